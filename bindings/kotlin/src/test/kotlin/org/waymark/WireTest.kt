package org.waymark

import java.io.File
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.waymark.ktx.UrlConnectionTransport
import org.waymark.ktx.addDocument
import org.waymark.ktx.backupNow
import org.waymark.ktx.restoreBackup
import org.waymark.ktx.sync
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * The wire (issue 20 §4), for the transport the Kotlin layer ships
 * ([UrlConnectionTransport]): every request a sync and a backup send,
 * recorded by `tests/wire/wire.py` in front of a real server and checked by
 * `tests/wire/check.py` (only the documented headers, the fixed
 * User-Agent, no cookie, Referer, identifier or query string; the same
 * bytes from two phones), then the same through wire.py's SOCKS5 proxy,
 * which takes only the name `sync.waymark.invalid`: every connection must
 * reach it by name, none looked up on the phone. As `tests/tests/wire.rs`
 * does for the reqwest transport.
 */
class WireTest {
    @Test
    fun `two phones syncing send the same bytes with only the documented headers`(): Unit = runBlocking {
        SamplePublisher.serve().use { server ->
            Wire(server.port).use { wire ->
                val url = "http://127.0.0.1:${wire.http}/"
                // Each phone: the first sync (install), then one with nothing new.
                val marks = mutableListOf(wire.mark())
                for (phone in 1..2) {
                    phoneTrustingSample(url).use { store ->
                        assertEquals(PublisherStatus.UPDATED, store.sync(Network.UNMETERED) { }.publishers.single().status)
                        assertEquals(listOf(SamplePublisher.PACK), store.packs().map { it.id })
                        assertEquals(PublisherStatus.UP_TO_DATE, store.sync(Network.UNMETERED) { }.publishers.single().status)
                    }
                    marks += wire.mark()
                }
                val a = wire.part(marks[0], marks[1], "a.jsonl")
                val b = wire.part(marks[1], marks[2], "b.jsonl")
                println("UrlConnectionTransport, sync: ${checkWire(a, "--kind", "sync", "--same-as", b.path)}")
            }
        }
    }

    @Test
    fun `a backup to WebDAV and its restore send only the documented headers`(): Unit = runBlocking {
        WebDav().use { dav ->
            Wire(dav.port).use { wire ->
                val location = BackupLocation.WebDav("http://127.0.0.1:${wire.http}/backups/phone/", "alice", "s3cret")
                val docs = backUpAndRestore(location, proxy = null)
                assertTrue(File(dav.root, "backups/phone").isDirectory, "the backup reached the server ($docs documents)")
                println("UrlConnectionTransport, backup: ${checkWire(wire.everything(), "--kind", "backup")}")
            }
        }
    }

    @Test
    fun `a sync through a SOCKS5 proxy names the host to it and looks nothing up`(): Unit = runBlocking {
        SamplePublisher.serve().use { server ->
            // `.invalid` never resolves: a transport that looked the name up
            // itself fails before reaching the proxy, or (the JDK's own
            // SOCKS client) hands it on after asking the local DNS for it.
            // `localhost` does resolve: such a transport would hand the
            // proxy 127.0.0.1, which it refuses. Both spellings of a SOCKS5
            // proxy leave the name to it.
            for ((scheme, host) in listOf("socks5h" to "sync.waymark.invalid", "socks5" to "sync.waymark.invalid", "socks5h" to "localhost")) {
                // A wire (a proxy) of its own: no connection kept from before.
                Wire(server.port, socks = true, names = listOf(host)).use { wire ->
                    phoneTrustingSample("http://$host/").use { store ->
                        store.setSyncSettings(SyncSettings(proxy = "$scheme://127.0.0.1:${wire.socks}"))
                        val report = store.sync(Network.UNMETERED) { }
                        assertEquals(PublisherStatus.UPDATED, report.publishers.single().status, "$scheme, $host: $report")
                        assertEquals(listOf(SamplePublisher.PACK), store.packs().map { it.id }, "$scheme, $host")
                    }
                    val said = checkWire(wire.everything(), "--kind", "sync", "--socks")
                    println("UrlConnectionTransport, sync through $scheme to $host: $said")
                }
            }
        }
    }

    @Test
    fun `a backup through a SOCKS5 proxy names the host to it and looks nothing up`(): Unit = runBlocking {
        WebDav().use { dav ->
            // The core sends credentials in clear only to this machine
            // (http://localhost), and the relay cannot read TLS: the name the
            // proxy must be given is `localhost`, which resolves locally.
            Wire(dav.port, socks = true, names = listOf("localhost")).use { wire ->
                val location = BackupLocation.WebDav("http://localhost/backups/phone/", "alice", "s3cret")
                backUpAndRestore(location, proxy = "socks5h://127.0.0.1:${wire.socks}")
                assertTrue(File(dav.root, "backups/phone").isDirectory, "the backup reached the server")
                val said = checkWire(wire.everything(), "--kind", "backup", "--socks")
                println("UrlConnectionTransport, backup through socks5h to localhost: $said")
            }
        }
    }

    /**
     * A vault with two documents backs up to [location] (making its
     * folder), backs up again with nothing new, and restores on a new
     * phone, all through [proxy]. Returns how many documents came back.
     */
    private suspend fun backUpAndRestore(location: BackupLocation, proxy: String?): Long {
        val docs = listOf(
            DocumentMetadata(kind = DocumentKind.PASSPORT, title = "Passport") to ByteArray(200_000) { (it * 31 % 251).toByte() },
            DocumentMetadata(kind = DocumentKind.OTHER, title = "Note") to "one line".toByteArray(),
        )
        createVault(tempDir("vault").path, PASSPHRASE, TEST_KDF).vault.use { vault ->
            docs.forEach { (meta, bytes) -> vault.addDocument(meta, bytes) }
            vault.setBackupLocation(location)
            assertEquals(2L, vault.backupNow(UrlConnectionTransport(), proxy) { }.uploaded)
            assertTrue(vault.backupNow(UrlConnectionTransport(), proxy) { }.unchanged, "nothing new the second time")
        }
        val restored = restoreBackup(
            File(tempDir("new-phone"), "vault"),
            location,
            RestoreSecret.Passphrase(PASSPHRASE),
            UrlConnectionTransport(),
            proxy,
        )
        restored.vault.use { vault ->
            val titles = vault.listDocuments().associate { it.metadata.title to vault.readDocument(it.id) }
            for ((meta, bytes) in docs) assertContentEquals(bytes, titles[meta.title], meta.title)
        }
        return restored.documents
    }

    private companion object {
        const val PASSPHRASE = "correct horse battery"
    }
}

private val wireScripts: File = File(
    System.getProperty("waymark.wire") ?: error("waymark.wire is not set: run scripts/kotlin-test"),
)

/**
 * `tests/wire/wire.py` in front of the server on 127.0.0.1:[upstream]: a
 * recording relay on [http] and, with [socks], a SOCKS5 proxy on
 * [Wire.socks] that takes the host [names] (default `sync.waymark.invalid`)
 * and no address. Its stdin is a pipe held by this process: it
 * ends when closed, or when the test's JVM does.
 */
private class Wire(upstream: Int, socks: Boolean = false, names: List<String> = emptyList()) : AutoCloseable {
    private val dir: File = tempDir("wire")
    private val log = File(dir, "wire.jsonl")
    private val process: Process = ProcessBuilder(
        listOf("python3", File(wireScripts, "wire.py").path, "--upstream", "127.0.0.1:$upstream", "--log", log.path) +
            (if (socks) listOf("--socks") else emptyList()) + names.flatMap { listOf("--map", it) },
    ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    private val ready: String = process.inputStream.bufferedReader().readLine() ?: error("wire.py did not start")

    private fun port(key: String): Int? =
        ready.split(' ').firstNotNullOfOrNull { it.removePrefix("$key=").takeIf { p -> p != it }?.toIntOrNull() }

    /** The recording relay's port (plain HTTP to the server). */
    val http: Int = port("http") ?: error("wire.py said $ready")

    /** The SOCKS5 proxy's port, if asked for. */
    val socks: Int? = port("socks")

    /** How many events it has recorded so far (a mark for [part]). */
    fun mark(): Int = if (log.exists()) log.readLines().count { it.isNotBlank() } else 0

    /** The events recorded between [from] and [to], in a log of their own. */
    fun part(from: Int, to: Int, name: String): File =
        File(dir, name).apply { writeText(log.readLines().filter { it.isNotBlank() }.subList(from, to).joinToString("") { "$it\n" }) }

    /** Every event recorded so far. */
    fun everything(): File = log

    override fun close() {
        process.outputStream.close()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroy()
    }
}

/**
 * Runs `tests/wire/check.py` on [log] with [args]; returns its one-line
 * summary if every rule held, fails with each violation otherwise.
 */
private fun checkWire(log: File, vararg args: String): String {
    val process = ProcessBuilder(listOf("python3", File(wireScripts, "check.py").path, log.path) + args)
        .redirectErrorStream(true)
        .start()
    val said = process.inputStream.bufferedReader().readText().trim()
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "check.py did not finish")
    assertEquals(0, process.exitValue(), "the wire check (${args.joinToString(" ")}) failed:\n$said")
    return said
}
