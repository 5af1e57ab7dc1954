package org.waymark.demo.support

import java.io.File
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import org.waymark.KdfParams

/** Cheap Argon2id for tests (the app uses the phone setting). */
val TEST_KDF = KdfParams(memoryKib = 64, iterations = 1, parallelism = 1)

fun tempDir(prefix: String): File = Files.createTempDirectory("waymark-demo-$prefix").toFile()

/**
 * The sample NGO: the real `waymark-pack` builds, signs and publishes the
 * SAMPLE mediterranean pack, once per JVM.
 */
object SamplePublisher {
    const val ID = "sample-ngo"
    const val PACK = "sample-mediterranean"

    private val bin: String = System.getProperty("waymark.pack.bin") ?: error("waymark.pack.bin is not set: run scripts/android-test")
    private val samples = File(System.getProperty("waymark.samples") ?: error("waymark.samples is not set: run scripts/android-test"))

    val repo: File by lazy {
        val dir = tempDir("publisher")
        val pack = File(dir, "mediterranean.wmpack")
        run("build", File(samples, "mediterranean").path, "--out", pack.path)
        run("keygen", "--out", File(dir, "keys").path)
        run("publish", pack.path, "--repo", File(dir, "repo").path, "--keys", File(dir, "keys").path)
        File(dir, "repo")
    }

    val card: ByteArray get() = File(repo, "publisher.json").readBytes()
    val bundle: File get() = File(repo, "bundles/$PACK.wmbundle")

    private fun run(vararg args: String) {
        val process = ProcessBuilder(listOf(bin) + args).redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        check(process.waitFor(120, TimeUnit.SECONDS) && process.exitValue() == 0) { "waymark-pack ${args.first()} failed: $output" }
    }

    /** `waymark-pack serve` on a free loopback port, until closed. */
    fun serve(): Served = Served(bin, repo)
}

class Served(bin: String, repo: File) : AutoCloseable {
    val port: Int = ServerSocket(0).use { it.localPort }
    val url = "http://127.0.0.1:$port"
    private val process = ProcessBuilder(bin, "serve", repo.path, "--addr", "127.0.0.1:$port")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()

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

/** True if [needle] occurs in any file under [dir]. */
fun containsBytes(dir: File, needle: ByteArray): Boolean =
    dir.walkTopDown().filter { it.isFile }.any { f -> indexOf(f.readBytes(), needle) >= 0 }

fun indexOf(haystack: ByteArray, needle: ByteArray): Int {
    outer@ for (i in 0..haystack.size - needle.size) {
        for (j in needle.indices) if (haystack[i + j] != needle[j]) continue@outer
        return i
    }
    return -1
}
