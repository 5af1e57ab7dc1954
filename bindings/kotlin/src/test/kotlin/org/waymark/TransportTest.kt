package org.waymark

import java.io.ByteArrayOutputStream
import java.io.InputStream
import java.net.ServerSocket
import kotlin.concurrent.thread
import org.junit.jupiter.api.Test
import org.waymark.ktx.UrlConnectionTransport
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

class TransportTest {
    /** What a server received: the request line and headers, and the body. */
    private class Received(val head: String, val body: ByteArray) {
        val lines: List<String> get() = head.lines().map { it.lowercase() }
        val requestLine: String get() = head.lines().first()
        fun header(name: String): String? =
            head.lines().drop(1).firstOrNull { it.substringBefore(':').equals(name, true) }?.substringAfter(':')?.trim()
    }

    /** A line of [input] without its CRLF (ISO-8859-1), null at the end. */
    private fun readLine(input: InputStream): String? {
        val out = ByteArrayOutputStream()
        while (true) {
            val b = input.read()
            if (b < 0) return if (out.size() == 0) null else out.toString(Charsets.ISO_8859_1.name())
            if (b == '\n'.code) return out.toString(Charsets.ISO_8859_1.name()).removeSuffix("\r")
            out.write(b)
        }
    }

    /**
     * Answers one request on [path] with [response] and returns what came:
     * the head, and the body by its `Content-Length`.
     */
    private fun oneShot(
        response: String,
        path: String = "/metadata/timestamp.json",
        exchange: (url: String) -> Unit,
    ): Received {
        ServerSocket(0).use { server ->
            var received = Received("", ByteArray(0))
            val t = thread {
                server.accept().use { socket ->
                    val input = socket.getInputStream().buffered()
                    val head = generateSequence { readLine(input) }.takeWhile { it.isNotEmpty() }.joinToString("\n")
                    val length = Received(head, ByteArray(0)).header("content-length")?.toInt() ?: 0
                    val body = ByteArray(length)
                    var n = 0
                    while (n < length) {
                        val r = input.read(body, n, length - n)
                        if (r < 0) break
                        n += r
                    }
                    received = Received(head, body)
                    socket.getOutputStream().apply { write(response.toByteArray(Charsets.ISO_8859_1)); flush() }
                }
            }
            exchange("http://127.0.0.1:${server.localPort}$path")
            t.join(10_000)
            return received
        }
    }

    private val waymarkHeaders = listOf(
        HttpHeader("user-agent", "Waymark"),
        HttpHeader("accept", "*/*"),
        HttpHeader("accept-encoding", "identity"),
    )

    private fun request(
        url: String,
        method: String = "GET",
        body: ByteArray = ByteArray(0),
        extra: List<HttpHeader> = emptyList(),
        proxy: String? = null,
    ) = HttpRequest(
        method = method,
        url = url,
        headers = waymarkHeaders + extra,
        connectTimeoutMs = 5_000L,
        readTimeoutMs = 5_000L,
        proxy = proxy,
        body = body,
    )

    private fun HttpResponse.readAll(): ByteArray {
        val out = ByteArrayOutputStream()
        while (true) {
            val chunk = body.read(1024)
            if (chunk.isEmpty()) break
            out.write(chunk)
        }
        body.release()
        return out.toByteArray()
    }

    @Test
    fun `a redirect is returned as it came, not followed, and only Waymark's headers are sent`() {
        val got = oneShot("HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n") { url ->
            val response = UrlConnectionTransport().send(request(url))
            assertEquals(302, response.status)
            assertEquals(0, response.readAll().size)
        }
        val lines = got.lines
        assertTrue("user-agent: waymark" in lines, got.head)
        assertTrue("accept: */*" in lines, got.head)
        assertTrue("accept-encoding: identity" in lines, got.head)
        assertFalse(lines.any { it.startsWith("cookie") || it.startsWith("referer") }, got.head)
        assertEquals(setOf("get /metadata/timestamp.json http/1.1", "user-agent", "accept", "accept-encoding", "host", "connection"),
            lines.map { it.substringBefore(':') }.toSet(), got.head)
    }

    @Test
    fun `an error status and its body come back as an answer`() {
        oneShot("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy") { url ->
            val response = UrlConnectionTransport().send(request(url))
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
        val e = runCatching { UrlConnectionTransport().send(request("http://127.0.0.1:$port/")) }.exceptionOrNull()
        assertTrue(e is HttpException.Connect, "$e")
        val mkcol = runCatching { UrlConnectionTransport().send(request("http://127.0.0.1:$port/a/", "MKCOL")) }.exceptionOrNull()
        assertTrue(mkcol is HttpException.Connect, "$mkcol")
    }

    @Test
    fun `a PUT sends its body exactly, with its length and only the given headers`() {
        val body = ByteArray(100_000) { (it * 7 % 256).toByte() }
        val got = oneShot("HTTP/1.1 201 Created\r\nETag: \"v1\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "/backup/head") { url ->
            val response = UrlConnectionTransport().send(
                request(url, "PUT", body, listOf(HttpHeader("content-type", "application/octet-stream"), HttpHeader("if-none-match", "*"))),
            )
            assertEquals(201, response.status)
            assertEquals("\"v1\"", response.headers.first { it.name.equals("etag", true) }.value)
            response.readAll()
        }
        assertEquals("PUT /backup/head HTTP/1.1", got.requestLine)
        assertEquals("100000", got.header("content-length"))
        assertEquals("application/octet-stream", got.header("content-type"))
        assertEquals("*", got.header("if-none-match"))
        assertEquals(null, got.header("transfer-encoding"), "not chunked")
        assertContentEquals(body, got.body)
        assertEquals(
            setOf("put /backup/head http/1.1", "user-agent", "accept", "accept-encoding", "content-type", "if-none-match", "content-length", "host", "connection"),
            got.lines.map { it.substringBefore(':') }.toSet(), got.head,
        )
    }

    @Test
    fun `an empty PUT still sends Content-Length 0`() {
        val got = oneShot("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", "/empty") { url ->
            assertEquals(204, UrlConnectionTransport().send(request(url, "PUT")).also { it.readAll() }.status)
        }
        assertEquals("PUT /empty HTTP/1.1", got.requestLine)
        assertEquals("0", got.header("content-length"))
    }

    @Test
    fun `a refusal of a PUT's credentials comes back as its status`() {
        oneShot("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "/x") { url ->
            val response = UrlConnectionTransport().send(request(url, "PUT", "abc".toByteArray()))
            assertEquals(401, response.status)
            response.readAll()
        }
    }

    @Test
    fun `HEAD and DELETE are sent as themselves, without a body`() {
        val head = oneShot("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nETag: \"e\"\r\nConnection: close\r\n\r\n", "/backup/chunk") { url ->
            val response = UrlConnectionTransport().send(request(url, "HEAD"))
            assertEquals(200, response.status)
            assertEquals("1234", response.headers.first { it.name.equals("content-length", true) }.value)
            assertEquals(0, response.readAll().size, "a HEAD has no body")
        }
        assertEquals("HEAD /backup/chunk HTTP/1.1", head.requestLine)
        assertEquals(null, head.header("content-length"))

        val delete = oneShot("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", "/backup/chunk") { url ->
            assertEquals(204, UrlConnectionTransport().send(request(url, "DELETE")).also { it.readAll() }.status)
        }
        assertEquals("DELETE /backup/chunk HTTP/1.1", delete.requestLine)
        assertEquals(null, delete.header("content-length"))
    }

    @Test
    fun `MKCOL is sent with exactly the given headers and its answer comes back`() {
        val got = oneShot("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nConnection: close\r\n\r\nmade!", "/dav/backups/") { url ->
            val response = UrlConnectionTransport().send(request(url, "MKCOL", extra = listOf(HttpHeader("authorization", "Basic YWxpY2U6czNjcmV0"))))
            assertEquals(201, response.status)
            assertEquals("5", response.headers.first { it.name.equals("content-length", true) }.value)
            assertEquals("made!", String(response.readAll()))
        }
        assertEquals("MKCOL /dav/backups/ HTTP/1.1", got.requestLine)
        assertEquals("Basic YWxpY2U6czNjcmV0", got.header("authorization"))
        assertEquals(
            setOf("mkcol /dav/backups/ http/1.1", "host", "user-agent", "accept", "accept-encoding", "authorization", "connection"),
            got.lines.map { it.substringBefore(':') }.toSet(), got.head,
        )
        assertTrue(got.header("host")!!.startsWith("127.0.0.1:"))
        assertEquals(0, got.body.size)
    }

    @Test
    fun `a chunked answer to MKCOL is read whole, and interim answers are skipped`() {
        val response = "HTTP/1.1 100 Continue\r\n\r\n" +
            "HTTP/1.1 405 Method Not Allowed\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
            "5;ext=1\r\nalrea\r\n7\r\ndy here\r\n0\r\nX-Trailer: t\r\n\r\n"
        oneShot(response, "/dav/") { url ->
            val got = UrlConnectionTransport().send(request(url, "MKCOL"))
            assertEquals(405, got.status)
            assertEquals("already here", String(got.readAll()))
        }
    }

    @Test
    fun `MKCOL through an HTTP proxy names the whole URL`() {
        val got = oneShot("HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "/") { proxyUrl ->
            val proxy = proxyUrl.removeSuffix("/")
            val response = UrlConnectionTransport().send(request("http://dav.example.invalid:8080/remote.php/dav/", "MKCOL", proxy = proxy))
            assertEquals(201, response.status)
            response.readAll()
        }
        assertEquals("MKCOL http://dav.example.invalid:8080/remote.php/dav/ HTTP/1.1", got.requestLine)
        assertEquals("dav.example.invalid:8080", got.header("host"))
    }

    @Test
    fun `a header that would split the request is refused, not sent`() {
        val e = runCatching {
            UrlConnectionTransport().send(request("http://127.0.0.1:9/a/", "MKCOL", extra = listOf(HttpHeader("x-a", "b\r\nx-evil: 1"))))
        }.exceptionOrNull()
        assertTrue(e is HttpException.Other, "$e")
    }

    @Test
    fun `a method the contract does not name is refused`() {
        val e = runCatching { UrlConnectionTransport().send(request("http://127.0.0.1:9/", "PATCH")) }.exceptionOrNull()
        assertTrue(e is HttpException.Other, "$e")
    }
}
