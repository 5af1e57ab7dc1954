package org.waymark.demo.support

import com.sun.net.httpserver.HttpServer
import java.net.HttpURLConnection
import java.net.InetSocketAddress
import java.net.URL
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger

/**
 * A slow road to a real server: forwards each GET to [upstream] and sends
 * the body back [chunk] bytes at a time with a pause, so that a sync is
 * still downloading when a test cancels it; counts the requests.
 */
class CountingProxy(private val upstream: String, private val chunk: Int = 4096, private val pauseMs: Long = 30) : AutoCloseable {
    val requests = AtomicInteger()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
    val url: String get() = "http://127.0.0.1:${server.address.port}"

    init {
        server.executor = Executors.newCachedThreadPool()
        server.createContext("/") { exchange ->
            requests.incrementAndGet()
            try {
                val conn = URL(upstream + exchange.requestURI.toString()).openConnection() as HttpURLConnection
                for ((name, values) in exchange.requestHeaders) {
                    if (name.equals("Host", true) || name.equals("Connection", true)) continue
                    values.forEach { conn.addRequestProperty(name, it) }
                }
                val status = conn.responseCode
                val body = (if (status >= 400) conn.errorStream else conn.inputStream)?.use { it.readBytes() } ?: ByteArray(0)
                for ((name, values) in conn.headerFields) {
                    if (name == null || name.equals("Transfer-Encoding", true) || name.equals("Content-Length", true)) continue
                    values.forEach { exchange.responseHeaders.add(name, it) }
                }
                exchange.sendResponseHeaders(status, if (body.isEmpty()) -1 else body.size.toLong())
                exchange.responseBody.use { out ->
                    var i = 0
                    while (i < body.size) {
                        val n = minOf(chunk, body.size - i)
                        out.write(body, i, n)
                        out.flush()
                        i += n
                        Thread.sleep(pauseMs)
                    }
                }
            } catch (e: Exception) {
                runCatching { exchange.close() }
            }
        }
        server.start()
    }

    override fun close() {
        server.stop(0)
    }
}
