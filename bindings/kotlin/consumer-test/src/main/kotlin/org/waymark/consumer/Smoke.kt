package org.waymark.consumer

import java.io.File
import kotlin.system.exitProcess
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.waymark.BackupLocation
import org.waymark.BackupRecipient
import org.waymark.DocumentKind
import org.waymark.DocumentMetadata
import org.waymark.RestoreSecret
import org.waymark.SyncEvent
import org.waymark.Vault
import org.waymark.ktx.BackupEvent
import org.waymark.ktx.UrlConnectionTransport
import org.waymark.ktx.WaymarkHome
import org.waymark.ktx.backupEvents
import org.waymark.ktx.installPack
import org.waymark.ktx.platformKeystore
import org.waymark.ktx.restoreBackupEvents
import org.waymark.ktx.search
import org.waymark.ktx.syncEvents
import org.waymark.ktx.trustPublisher

/** What the smoke run saw; [Smoke.run] has checked it already. */
data class SmokeReport(
    val documentBytes: Int,
    val documentTitle: String,
    val unlockedByKeystore: Boolean,
    val pack: String,
    val hits: Int,
    val firstHitPublisher: String,
    val syncEvents: List<String>,
    val syncedPacks: List<String>,
    val backupEvents: List<String>,
    val restoredBytes: Int,
)

/**
 * A small app over waymark-kotlin: the calls an Android app makes, on the
 * desktop JVM. Every step checks its outcome and throws if it is wrong.
 */
object Smoke {
    private const val PASSPHRASE = "correct horse battery staple"

    /**
     * In [work]: a vault round trip (create, add a document, close, open,
     * unlock, read it back, keystore unlock), the sample pack installed
     * from [bundle] after trusting [card], a search; then, if [serverUrl]
     * is given, a second phone that syncs the pack from it; if [webdavUrl]
     * is given (a WebDAV server with user alice, password s3cret), a
     * remote backup there with its progress, restored on a third phone,
     * and a backup file exported and imported.
     */
    suspend fun run(work: File, card: File, bundle: File, serverUrl: String?, webdavUrl: String? = null): SmokeReport {
        val scan = ByteArray(300_000) { (it * 131 % 251).toByte() }
        val secret = ByteArray(32) { (it * 17 + 3).toByte() }
        val keystore = platformKeystore { secret.copyOf() }

        return WaymarkHome.open(File(work, "phone")).use { home ->
            check(!home.hasVault()) { "a vault already exists" }
            val created = home.createVault(PASSPHRASE)
            check(created.recoveryCode.isNotBlank()) { "no recovery code" }
            val id = created.vault.use { vault ->
                val id = vault.addDocument(
                    DocumentMetadata(kind = DocumentKind.PASSPORT, title = "Passport", mimeType = "image/jpeg"),
                    scan,
                )
                vault.enableKeystoreUnlock(keystore)
                id
            }

            val (read, title, byKeystore) = home.openVault().use { vault ->
                check(!vault.isUnlocked()) { "a vault opens locked" }
                vault.unlock(PASSPHRASE)
                val read = vault.readDocument(id)
                val title = vault.document(id).metadata.title
                vault.lock()
                check(!vault.isUnlocked()) { "lock() did not lock" }
                vault.unlockWithKeystore(keystore)
                Triple(read, title, vault.isUnlocked())
            }
            check(read.contentEquals(scan)) { "the document read back differs" }
            check(title == "Passport") { "title: $title" }
            check(byKeystore) { "the keystore did not unlock" }

            home.content.trustPublisher(card)
            val pack = home.content.installPack(bundle)
            val results = home.content.search("asylum", language = "en")
            check(results.hits.isNotEmpty()) { "no hit for asylum" }
            val publisher = results.hits.first().provenance.publisher

            val (events, synced) = if (serverUrl == null) emptyList<String>() to emptyList() else
                WaymarkHome.open(File(work, "second-phone")).use { second ->
                    second.content.trustPublisher(card, url = serverUrl)
                    val events = second.content.syncEvents().toList()
                    check(events.last() is SyncEvent.Finished) { "the sync ended with ${events.last()}" }
                    check(events.any { it is SyncEvent.Done }) { "no pack was synced: $events" }
                    events.map { it::class.java.simpleName }.distinct() to second.content.packs().map { it.id }
                }

            val (backupEvents, restored) = if (webdavUrl == null) emptyList<String>() to 0 else
                home.openVault().use { vault ->
                    vault.unlock(PASSPHRASE)
                    backUpAndRestore(vault, id, File(work, "third-phone"), webdavUrl)
                }

            SmokeReport(read.size, title, byKeystore, pack.id, results.hits.size, publisher, events, synced, backupEvents, restored)
        }
    }

    /**
     * Backs [vault] up to a folder of [webdavUrl] that does not exist yet,
     * restores it into [elsewhere], and checks document [id] came back;
     * then a backup file of the vault, imported into the restored one.
     */
    private suspend fun backUpAndRestore(vault: Vault, id: String, elsewhere: File, webdavUrl: String): Pair<List<String>, Int> {
        val location = BackupLocation.WebDav(url = "$webdavUrl/smoke/phone/", username = "alice", password = "s3cret")
        vault.setBackupLocation(location)
        val events = vault.backupEvents(UrlConnectionTransport()).toList()
        val report = (events.last() as? BackupEvent.Finished)?.result ?: error("the backup ended with ${events.last()}")
        check(report.uploaded == 1L) { "backup: $report" }
        check(events.any { it is BackupEvent.Progress }) { "no backup progress: $events" }

        val restoring = restoreBackupEvents(File(elsewhere, "vault"), location, RestoreSecret.Passphrase(PASSPHRASE)).toList()
        val restored = (restoring.last() as? BackupEvent.Finished)?.result ?: error("the restore ended with ${restoring.last()}")
        return restored.vault.use { copy ->
            val bytes = copy.readDocument(id)
            check(bytes.contentEquals(vault.readDocument(id))) { "the restored document differs" }

            val file = File(elsewhere, "vault.age")
            vault.exportBackupToFile(file.path, BackupRecipient.Passphrase("file passphrase"))
            val imported = copy.importBackupFromFile(file.path, passphrase = "file passphrase")
            check(imported.skipped == listOf(id)) { "import: $imported" }
            events.map { it::class.java.simpleName }.distinct() to bytes.size
        }
    }
}

/**
 * `Smoke --work DIR --card publisher.json --bundle PACK.wmbundle [--server URL] [--webdav URL]`:
 * prints the report, exits 1 on any failure.
 */
fun main(args: Array<String>) {
    val options = args.toList().chunked(2).associate { (k, v) -> k.removePrefix("--") to v }
    try {
        val report = runBlocking {
            Smoke.run(
                File(options.getValue("work")),
                File(options.getValue("card")),
                File(options.getValue("bundle")),
                options["server"],
                options["webdav"],
            )
        }
        println("smoke ok: $report")
    } catch (e: Throwable) {
        System.err.println("smoke failed: $e")
        e.printStackTrace()
        exitProcess(1)
    }
}
