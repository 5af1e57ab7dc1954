package org.waymark

import java.net.ServerSocket
import kotlin.concurrent.thread
import org.junit.jupiter.api.Test
import org.waymark.ktx.UrlConnectionTransport
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

class TransportTest {
    /** Answers one request with [response] and returns the request's head. */
    private fun oneShot(response: String, exchange: (url: String) -> Unit): String {
        ServerSocket(0).use { server ->
            var head = ""
            val t = thread {
                server.accept().use { socket ->
                    val input = socket.getInputStream().bufferedReader(Charsets.ISO_8859_1)
                    head = generateSequence { input.readLine() }.takeWhile { it.isNotEmpty() }.joinToString("\n")
                    socket.getOutputStream().apply { write(response.toByteArray(Charsets.ISO_8859_1)); flush() }
                }
            }
            exchange("http://127.0.0.1:${server.localPort}/metadata/timestamp.json")
            t.join(10_000)
            return head
        }
    }

    private fun request(url: String) = HttpRequest(
        url = url,
        headers = listOf(HttpHeader("user-agent", "Waymark"), HttpHeader("accept", "*/*"), HttpHeader("accept-encoding", "identity")),
        connectTimeoutMs = 5_000L,
        readTimeoutMs = 5_000L,
        proxy = null,
    )

    @Test
    fun `a redirect is returned as it came, not followed, and only Waymark's headers are sent`() {
        val head = oneShot("HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n") { url ->
            val response = UrlConnectionTransport().get(request(url))
            assertEquals(302, response.status)
            assertEquals(0, response.body.read(1024).size)
            response.body.release()
        }
        val lines = head.lines().map { it.lowercase() }
        assertTrue("user-agent: waymark" in lines, head)
        assertTrue("accept: */*" in lines, head)
        assertTrue("accept-encoding: identity" in lines, head)
        assertFalse(lines.any { it.startsWith("cookie") || it.startsWith("referer") }, head)
        assertEquals(setOf("get /metadata/timestamp.json http/1.1", "user-agent", "accept", "accept-encoding", "host", "connection"),
            lines.map { it.substringBefore(':') }.toSet(), head)
    }

    @Test
    fun `an error status and its body come back as an answer`() {
        oneShot("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy") { url ->
            val response = UrlConnectionTransport().get(request(url))
            assertEquals(503, response.status)
            assertEquals("7", response.headers.first { it.name.equals("retry-after", ignoreCase = true) }.value)
            assertEquals("busy", String(response.body.read(1024)))
            assertEquals(0, response.body.read(1024).size)
            response.body.release()
        }
    }

    @Test
    fun `a closed port is a connect error, retried by the core`() {
        val port = ServerSocket(0).use { it.localPort }
        val e = runCatching { UrlConnectionTransport().get(request("http://127.0.0.1:$port/")) }.exceptionOrNull()
        assertTrue(e is HttpException.Connect, "$e")
    }
}
