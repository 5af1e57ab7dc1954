package org.waymark

import java.io.File
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import org.waymark.ktx.BackupEvent
import org.waymark.ktx.UrlConnectionTransport
import org.waymark.ktx.addDocument
import org.waymark.ktx.backupEvents
import org.waymark.ktx.backupNow
import org.waymark.ktx.restoreBackupEvents
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The vault's backups from Kotlin: files, and the remote backup to a real WebDAV server. */
class BackupTest {
    private val passphrase = "correct horse battery"

    /** A vault with three documents; its recovery code and the documents' content by id. */
    private suspend fun vaultWithDocuments(): Triple<NewVault, String, Map<String, ByteArray>> {
        val created = createVault(tempDir("vault").path, passphrase, TEST_KDF)
        val docs = listOf(
            Triple(DocumentKind.PASSPORT, "Passport", ByteArray(300_000) { (it * 31 % 251).toByte() }),
            Triple(DocumentKind.VISA, "Visa", ByteArray(5_000) { (it * 7 % 253).toByte() }),
            Triple(DocumentKind.OTHER, "Note", "one line".toByteArray()),
        ).associate { (kind, title, bytes) ->
            created.vault.addDocument(DocumentMetadata(kind = kind, title = title), bytes) to bytes
        }
        return Triple(created, created.recoveryCode, docs)
    }

    private suspend fun assertHolds(vault: Vault, docs: Map<String, ByteArray>) {
        assertEquals(docs.keys, vault.listDocuments().map { it.id }.toSet())
        for ((id, bytes) in docs) assertContentEquals(bytes, vault.readDocument(id), "document $id")
    }

    @Test
    fun `a backup to WebDAV makes its folder, reports progress, is unchanged the second time, and restores with the recovery code`(): Unit =
        runBlocking {
            WebDav().use { dav ->
                val (created, code, docs) = vaultWithDocuments()
                created.vault.use { vault ->
                    // The folder does not exist: the first backup makes it (MKCOL).
                    vault.setBackupLocation(dav.location("backups/phone/"))
                    val events = vault.backupEvents(UrlConnectionTransport()).toList()

                    val finished = assertIs<BackupEvent.Finished<BackupReport>>(events.last())
                    val report = finished.result
                    assertEquals(false, report.unchanged)
                    assertEquals(3L, report.uploaded)
                    assertEquals(3L, report.storedDocuments)
                    assertTrue(File(dav.root, "backups/phone").isDirectory, "the folder was made")
                    val progress = events.dropLast(1).map { assertIs<BackupEvent.Progress>(it).progress }
                    assertTrue(progress.isNotEmpty(), "progress was reported")
                    assertEquals(docs.values.sumOf { it.size.toLong() }, progress.last().totalBytes)
                    assertEquals(3L, progress.last().documents)
                    assertEquals(progress.last().totalBytes, progress.last().bytes)
                    assertEquals(progress.map { it.bytes }.sorted(), progress.map { it.bytes }, "bytes only grow")

                    val again = vault.backupNow(UrlConnectionTransport()) { }
                    assertTrue(again.unchanged, "nothing changed: $again")
                    assertEquals(1L, again.requests)
                    val status = assertNotNull(vault.backupStatus())
                    assertNotNull(status.lastBackupMs)
                    assertEquals(3L, status.storedDocuments)
                    assertEquals(false, status.changedSince)
                }

                val dir = File(tempDir("new-phone"), "vault")
                val restoring = restoreBackupEvents(
                    dir,
                    dav.location("backups/phone/"),
                    RestoreSecret.RecoveryCode(code = code, newPassphrase = "a new passphrase"),
                    UrlConnectionTransport(),
                ).toList()
                val restored = assertIs<BackupEvent.Finished<RestoredVault>>(restoring.last()).result
                assertTrue(restoring.dropLast(1).all { it is BackupEvent.Progress })
                assertEquals(3L, restored.documents)
                restored.vault.use { vault ->
                    assertTrue(vault.isUnlocked())
                    assertHolds(vault, docs)
                }
                Vault.open(dir.path).use { vault ->
                    vault.unlock("a new passphrase")
                    assertHolds(vault, docs)
                }
            }
        }

    @Test
    fun `a restore with a wrong passphrase fails and leaves nothing behind`(): Unit = runBlocking {
        WebDav().use { dav ->
            val (created, _, _) = vaultWithDocuments()
            created.vault.use { vault ->
                vault.setBackupLocation(dav.location("backups/"))
                vault.backupNow(UrlConnectionTransport()) { }
            }
            val dir = File(tempDir("new-phone"), "vault")
            assertFailsWith<WaymarkException.WrongPassphrase> {
                restoreBackupEvents(dir, dav.location("backups/"), RestoreSecret.Passphrase("not the passphrase")).toList()
            }
            assertTrue(!dir.exists() || dir.listFiles().isNullOrEmpty(), "nothing left in $dir")
        }
    }

    @Test
    fun `wrong WebDAV credentials fail the backup with a clear error`(): Unit = runBlocking {
        WebDav().use { dav ->
            File(dav.root, "backups").mkdirs()
            val (created, _, _) = vaultWithDocuments()
            created.vault.use { vault ->
                vault.setBackupLocation(dav.location("backups/", password = "wrong"))
                val e = assertFailsWith<WaymarkException> { vault.backupEvents(UrlConnectionTransport()).toList() }
                assertTrue("credentials" in e.message.orEmpty(), "${e.message}")
                assertNull(vault.backupStatus()?.lastBackupMs)
            }
        }
    }

    @Test
    fun `cancelling the collector stops the backup, and the next backup completes it`(): Unit = runBlocking {
        WebDav().use { dav ->
            val (created, code, docs) = vaultWithDocuments()
            created.vault.use { vault ->
                vault.setBackupLocation(dav.location("backups/"))
                val requests = AtomicInteger()
                val firstPut = CountDownLatch(1)
                val release = CountDownLatch(1)
                val real = UrlConnectionTransport()
                // Holds the first document upload until the collector is cancelled.
                val held = object : HttpTransport {
                    override fun send(request: HttpRequest): HttpResponse {
                        requests.incrementAndGet()
                        if (request.method == "PUT" && firstPut.count > 0) {
                            firstPut.countDown()
                            release.await(30, TimeUnit.SECONDS)
                        }
                        return real.send(request)
                    }
                }
                val events = Collections.synchronizedList(mutableListOf<BackupEvent<BackupReport>>())
                var failure: Throwable? = null
                val job = launch(Dispatchers.Default) {
                    try {
                        vault.backupEvents(held).collect { events += it }
                    } catch (e: Throwable) {
                        failure = e
                        throw e
                    }
                }
                assertTrue(firstPut.await(60, TimeUnit.SECONDS), "the backup reached its first upload")
                job.cancel()
                withTimeout(10_000) { job.join() }
                release.countDown()

                // What was in flight ends; nothing follows it.
                Thread.sleep(1_500)
                val after = requests.get()
                Thread.sleep(1_000)
                assertEquals(after, requests.get(), "no request after the cancellation")
                assertIs<CancellationException>(failure)
                assertTrue(events.none { it is BackupEvent.Finished }, "$events")
                assertNull(vault.backupStatus()?.lastBackupMs, "the backup did not finish")

                val report = vault.backupNow(UrlConnectionTransport()) { }
                assertEquals(3L, report.storedDocuments)
                assertNotNull(vault.backupStatus()?.lastBackupMs)
            }

            val restored = org.waymark.ktx.restoreBackup(
                File(tempDir("new-phone"), "vault"),
                dav.location("backups/"),
                RestoreSecret.Passphrase(passphrase),
            )
            restored.vault.use { assertHolds(it, docs) }
        }
    }

    @Test
    fun `a passphrase backup file exported from one vault imports into another`(): Unit = runBlocking {
        val (created, _, docs) = vaultWithDocuments()
        val file = File(tempDir("export"), "vault.age")
        created.vault.use { vault ->
            val summary = vault.exportBackupToFile(file.path, BackupRecipient.Passphrase("backup words"))
            assertEquals(3L, summary.documents)
            assertEquals(docs.values.sumOf { it.size.toLong() }, summary.contentBytes)
        }
        assertTrue(file.readBytes().copyOf(21).decodeToString().startsWith("age-encryption.org/v1"), "an age file")

        createVault(tempDir("other").path, passphrase, TEST_KDF).vault.use { other ->
            assertFailsWith<WaymarkException> { other.importBackupFromFile(file.path, passphrase = "not it") }
            assertTrue(other.listDocuments().isEmpty(), "a failed import changes nothing")

            val imported = other.importBackupFromFile(file.path, passphrase = "backup words")
            assertEquals(docs.keys, imported.imported.toSet())
            assertHolds(other, docs)
            val again = other.importBackupFromFile(file.path, passphrase = "backup words")
            assertEquals(docs.keys, again.skipped.toSet(), "what the vault has is skipped")
        }
    }
}
