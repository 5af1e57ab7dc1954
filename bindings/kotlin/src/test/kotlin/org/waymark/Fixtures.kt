package org.waymark

import java.io.File
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.TimeUnit

/** Cheap Argon2id for tests (a real vault uses the default, ~1 s). */
val TEST_KDF = KdfParams(memoryKib = 64, iterations = 1, parallelism = 1)

fun tempDir(prefix: String): File = Files.createTempDirectory("waymark-kt-$prefix").toFile()

/**
 * The sample NGO: the real `waymark-pack` builds, signs and publishes the
 * SAMPLE mediterranean pack into a TUF repository, once per test run.
 */
object SamplePublisher {
    const val ID = "sample-ngo"
    const val PACK = "sample-mediterranean"

    private val bin: String = System.getProperty("waymark.pack.bin")
        ?: error("waymark.pack.bin is not set: run scripts/kotlin-test")
    private val samples: File = File(
        System.getProperty("waymark.samples") ?: error("waymark.samples is not set: run scripts/kotlin-test"),
    )

    /** The published repository (metadata/, targets/, publisher.json, bundles/). */
    val repo: File by lazy {
        val dir = tempDir("publisher")
        val pack = File(dir, "mediterranean.wmpack")
        run("build", File(samples, "mediterranean").path, "--out", pack.path)
        run("keygen", "--out", File(dir, "keys").path)
        run("publish", pack.path, "--repo", File(dir, "repo").path, "--keys", File(dir, "keys").path)
        File(dir, "repo")
    }

    /** The publisher card phones trust. */
    val card: ByteArray get() = File(repo, "publisher.json").readBytes()

    /** The offline bundle of the sample pack. */
    val bundle: File get() = File(repo, "bundles/$PACK.wmbundle")

    fun run(vararg args: String) {
        val process = ProcessBuilder(listOf(bin) + args)
            .redirectErrorStream(true)
            .start()
        val output = process.inputStream.bufferedReader().readText()
        check(process.waitFor(120, TimeUnit.SECONDS) && process.exitValue() == 0) {
            "waymark-pack ${args.first()} failed: $output"
        }
    }

    /** Serves [repo] over HTTP on 127.0.0.1 (`waymark-pack serve`) until closed. */
    fun serve(): Server = Server(bin, repo)
}

/** A real static server on a free loopback port. */
class Server(bin: String, repo: File) : AutoCloseable {
    val port: Int = ServerSocket(0).use { it.localPort }
    val url: String = "http://127.0.0.1:$port"
    private val process: Process = ProcessBuilder(bin, "serve", repo.path, "--addr", "127.0.0.1:$port")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()

    init {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
        while (true) {
            try {
                Socket().use { it.connect(InetSocketAddress("127.0.0.1", port), 200) }
                break
            } catch (e: java.io.IOException) {
                check(process.isAlive) { "waymark-pack serve exited" }
                check(System.nanoTime() < deadline) { "waymark-pack serve did not start" }
                Thread.sleep(50)
            }
        }
    }

    override fun close() {
        process.destroy()
        process.waitFor(10, TimeUnit.SECONDS)
    }
}

/** A phone's content store that trusts the sample publisher (syncing from [url] if given). */
suspend fun phoneTrustingSample(url: String? = null): ContentStore {
    // Syncs through the transport the Kotlin layer ships.
    val store = ContentStore.open(tempDir("phone").path, org.waymark.ktx.UrlConnectionTransport())
    store.trustPublisher(SamplePublisher.card, TrustOptions(url = url))
    return store
}
