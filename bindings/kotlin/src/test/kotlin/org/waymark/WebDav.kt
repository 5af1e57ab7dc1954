package org.waymark

import java.io.File
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.TimeUnit

/**
 * A real WebDAV server, wsgidav on cheroot, serving a fresh folder on a free
 * loopback port with one user, `alice` (password `s3cret`, Basic auth), as
 * the core's tests start it (core/tests/servers/mod.rs). The binary: the
 * `waymark.wsgidav` system property (scripts/kotlin-test sets it from
 * `WAYMARK_WSGIDAV`, else `$CARGO_TARGET_DIR/wsgidav/bin/wsgidav`).
 */
class WebDav : AutoCloseable {
    val root: File = tempDir("webdav")
    val port: Int
    private val process: Process

    init {
        val exe = System.getProperty("waymark.wsgidav")
            ?: error("waymark.wsgidav is not set: run scripts/kotlin-test")
        check(File(exe).canExecute()) { "wsgidav is not at $exe: run scripts/kotlin-test once" }
        // A server whose port was taken between freePort() and its bind
        // exits at once: start it again on another port.
        val (port, process) = (1..5).firstNotNullOfOrNull { launch(exe) }
            ?: error("wsgidav exited five times before listening")
        this.port = port
        this.process = process
    }

    /** Starts wsgidav on a free port and waits until it listens; null when it exited first. */
    private fun launch(exe: String): Pair<Int, Process>? {
        val port = freePort()
        val config = File(root.parentFile, "${root.name}.yaml")
        config.writeText(
            """
            host: 127.0.0.1
            port: $port
            server: cheroot
            provider_mapping:
              "/": ${root.path}
            http_authenticator:
              domain_controller: null
              accept_basic: true
              accept_digest: false
              default_to_digest: false
            simple_dc:
              user_mapping:
                "*":
                  alice:
                    password: "s3cret"
            verbose: 0
            logging:
              enable: false
            """.trimIndent() + "\n",
        )
        val process = ProcessBuilder(exe, "--config", config.path)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        while (true) {
            try {
                Socket().use { it.connect(InetSocketAddress("127.0.0.1", port), 200) }
                return port to process
            } catch (e: java.io.IOException) {
                if (!process.isAlive) return null
                check(System.nanoTime() < deadline) { "wsgidav did not start" }
                Thread.sleep(100)
            }
        }
    }

    /**
     * A port that was free a moment ago, below Linux's and macOS's ephemeral
     * ranges (32768 and 49152 up), so that no outgoing connection of a test
     * running alongside takes it before wsgidav binds it.
     */
    private fun freePort(): Int =
        generateSequence { (20_000 until 32_000).random() }
            .take(100)
            .firstOrNull { port ->
                runCatching { ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close() }.isSuccess
            }
            ?: error("no free port on 127.0.0.1")

    /** The backup location of [folder] (a path under the root, ending in `/`). */
    fun location(folder: String, password: String = "s3cret"): BackupLocation =
        BackupLocation.WebDav(url = "http://127.0.0.1:$port/$folder", username = "alice", password = password)

    override fun close() {
        process.destroy()
        process.waitFor(10, TimeUnit.SECONDS)
    }
}
