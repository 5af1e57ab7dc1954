package org.waymark.ktx

import java.io.BufferedInputStream
import java.io.ByteArrayInputStream
import java.io.ByteArrayOutputStream
import java.io.EOFException
import java.io.IOException
import java.io.InputStream
import java.net.ConnectException
import java.net.HttpRetryException
import java.net.HttpURLConnection
import java.net.InetSocketAddress
import java.net.NoRouteToHostException
import java.net.Proxy
import java.net.ResponseCache
import java.net.Socket
import java.net.SocketTimeoutException
import java.net.URI
import java.net.URL
import java.net.UnknownHostException
import javax.net.ssl.HttpsURLConnection
import javax.net.ssl.SSLException
import javax.net.ssl.SSLPeerUnverifiedException
import javax.net.ssl.SSLSocket
import org.waymark.HttpBody
import org.waymark.HttpException
import org.waymark.HttpHeader
import org.waymark.HttpRequest
import org.waymark.HttpResponse
import org.waymark.HttpTransport

/**
 * Waymark's sync and remote backup over `java.net.HttpURLConnection` (on
 * Android, the platform's OkHttp-based implementation and its certificate
 * store): the [HttpTransport] [WaymarkHome] gives its content store, and the
 * one to pass to [backupEvents] and [restoreBackupEvents].
 *
 * It does what the contract asks: the request's method (`GET`, `HEAD`,
 * `DELETE`, `PUT` with its body streamed at a fixed `Content-Length`, even
 * `0`; `MKCOL`, see below), redirects not followed, no cache
 * (`useCaches = false` when the app installed a `ResponseCache`; then the
 * JDK adds `Cache-Control: no-cache`), exactly the headers Waymark gives (its
 * `User-Agent`, `Accept` and `Accept-Encoding: identity` replace the
 * platform's), the connect and read timeouts, the person's proxy
 * (HTTP or SOCKS5) and otherwise `Proxy.NO_PROXY`, never the system's;
 * every status returned as it came; the body streamed.
 *
 * Some requests do not go through `HttpURLConnection`: this transport
 * sends them itself, as one HTTP/1.1 request on a socket of its own
 * (`Connection: close`; a `PUT`'s body at its `Content-Length`), with the
 * same headers, timeouts and proxy (an HTTP proxy through `CONNECT` for
 * `https://`), and TLS from `HttpsURLConnection.getDefaultSSLSocketFactory()`
 * with the host name verified (`SSLParameters.endpointIdentificationAlgorithm
 * = "HTTPS"`, and on Android also
 * `HttpsURLConnection.getDefaultHostnameVerifier()`). They are:
 *
 * - every request through a SOCKS5 proxy (`socks5h://` or `socks5://`: the
 *   core hands both over as `socks5h`). The proxy MUST be given the host's
 *   name, never an address looked up on the phone (Orbot/Tor: a local DNS
 *   query says where the person syncs from). The JDK's `HttpURLConnection`
 *   does not: through a SOCKS `Proxy` it resolves the host locally first
 *   (`sun.net.NetworkClient.doConnect`) and hands the proxy the address
 *   (the name only when the lookup fails, after the query went out).
 *   Here the socket is `Socket(proxy)` connected to
 *   `InetSocketAddress.createUnresolved(host, port)`, so the JDK's SOCKS5
 *   client sends the name (address type 3). One connection per request:
 *   none is kept for the next.
 * - `MKCOL` (WebDAV's "make folder", sent by the first backup to a WebDAV
 *   folder for each folder of its path), a method `HttpURLConnection`
 *   refuses on the JVM and on Android alike.
 *
 * Cookies: `HttpURLConnection` sends cookies only through the process-wide
 * `java.net.CookieHandler.getDefault()`. Android sets none; an app that
 * installs one MUST NOT do so for Waymark's hosts (the `MKCOL` path never
 * sends any).
 *
 * ```
 * val store = ContentStore.open(dir.path, UrlConnectionTransport())
 * ```
 */
public class UrlConnectionTransport : HttpTransport {
    override fun send(request: HttpRequest): HttpResponse {
        if (request.method !in METHODS) throw HttpException.Other("the method ${request.method} is not supported")
        // Through SOCKS, HttpURLConnection would look the host up here.
        if (request.method == "MKCOL" || proxyFor(request.proxy).type() == Proxy.Type.SOCKS) {
            return RawRequest(request).send()
        }
        val connection = try {
            URL(request.url).openConnection(proxyFor(request.proxy)) as HttpURLConnection
        } catch (e: IOException) {
            throw HttpException.Other("not an HTTP URL")
        } catch (e: IllegalArgumentException) {
            throw HttpException.Other("not an HTTP URL")
        } catch (e: ClassCastException) {
            throw HttpException.Other("not an HTTP URL")
        }
        try {
            connection.requestMethod = request.method
            connection.instanceFollowRedirects = false
            // No cache: with no ResponseCache installed nothing is cached
            // anyway, and useCaches = false would make the JDK add
            // `Cache-Control: no-cache` and `Pragma: no-cache`, which send
            // every request through a CDN to the origin.
            connection.useCaches = ResponseCache.getDefault() == null
            connection.doInput = true
            connection.connectTimeout = millis(request.connectTimeoutMs)
            connection.readTimeout = millis(request.readTimeoutMs)
            for (header in request.headers) {
                // Replaces the platform's default of the same name.
                connection.setRequestProperty(header.name, header.value)
            }
            if (request.method == "PUT") {
                // Streamed at its length, never buffered again by the
                // platform (nor chunked): S3 and WebDAV want the length.
                connection.doOutput = true
                connection.setFixedLengthStreamingMode(request.body.size.toLong())
                connection.outputStream.use { it.write(request.body) }
            }
            val status = try {
                connection.responseCode
            } catch (e: HttpRetryException) {
                // A 401 or 407 to a streamed PUT: the JDK will not read
                // it (it cannot resend the body), but the status is the
                // server's answer.
                connection.disconnect()
                return HttpResponse(e.responseCode(), emptyList(), EmptyBody)
            }
            if (status < 0) throw HttpException.Other("not an HTTP response")
            val headers = connection.headerFields.flatMap { (name, values) ->
                // The null name is the status line.
                if (name == null) emptyList() else values.map { HttpHeader(name, it) }
            }
            val stream: InputStream? = if (status >= 400) connection.errorStream else connection.inputStream
            return HttpResponse(status, headers, StreamBody(stream) {
                try {
                    stream?.close()
                } catch (_: IOException) {
                    connection.disconnect()
                }
            })
        } catch (e: HttpException) {
            connection.disconnect()
            throw e
        } catch (e: Exception) {
            connection.disconnect()
            throw translate(e)
        }
    }

    private fun millis(ms: Long): Int = ms.coerceIn(0L, Int.MAX_VALUE.toLong()).toInt()

    private companion object {
        /** The contract's methods (`MKCOL` always goes by [RawRequest]). */
        val METHODS = setOf("GET", "HEAD", "PUT", "DELETE", "MKCOL")
    }
}

private fun proxyFor(url: String?): Proxy {
    if (url == null) return Proxy.NO_PROXY
    val uri = try {
        URI(url)
    } catch (e: Exception) {
        throw HttpException.Other("the proxy is not a URL")
    }
    val host = uri.host?.removeSurrounding("[", "]") ?: throw HttpException.Other("the proxy has no host")
    val type = when (uri.scheme) {
        "http" -> Proxy.Type.HTTP
        "socks5", "socks5h" -> Proxy.Type.SOCKS
        else -> throw HttpException.Other("the proxy is not HTTP or SOCKS5")
    }
    // Unresolved: the name is resolved when connecting, not now.
    return Proxy(type, InetSocketAddress.createUnresolved(host, uri.port))
}

/**
 * One HTTP/1.1 request on a socket of its own (through a SOCKS proxy, or
 * for `MKCOL`, which `HttpURLConnection` refuses): `Connection: close`,
 * exactly the given headers besides `Host` (and a `PUT`'s `Content-Length`,
 * its body following), the response read as it comes (by `Content-Length`,
 * chunked, or to the end; none for `HEAD`).
 */
private class RawRequest(private val request: HttpRequest) {
    private val uri: URI = try {
        URI(request.url)
    } catch (e: Exception) {
        throw HttpException.Other("not an HTTP URL")
    }
    private val https = when (uri.scheme?.lowercase()) {
        "https" -> true
        "http" -> false
        else -> throw HttpException.Other("not an HTTP URL")
    }
    private val host: String = uri.host?.removeSurrounding("[", "]") ?: throw HttpException.Other("not an HTTP URL")
    private val port: Int = if (uri.port >= 0) uri.port else if (https) 443 else 80

    fun send(): HttpResponse {
        val head = head()
        val socket = try {
            connect()
        } catch (e: HttpException) {
            throw e
        } catch (e: SocketTimeoutException) {
            throw HttpException.Timeout()
        } catch (e: IOException) {
            // Refused, unreachable, or the proxy's refusal ("SOCKS: Host
            // unreachable"): no way to the server, which the core retries.
            throw HttpException.Connect()
        } catch (e: Exception) {
            throw translate(e)
        }
        try {
            // A server may answer (401, 413…) and close before the body is
            // all sent: its answer, if it can be read, is the result.
            val unsent = try {
                socket.getOutputStream().apply {
                    write(head)
                    if (request.method == "PUT") write(request.body)
                    flush()
                }
                null
            } catch (e: IOException) {
                e
            }
            val input = BufferedInputStream(socket.getInputStream())
            var status: Int
            var headers: List<HttpHeader>
            try {
                do {
                    // 1xx are interim: the answer follows.
                    status = statusOf(readLine(input))
                    headers = readHeaders(input)
                } while (status in 100..199)
            } catch (e: IOException) {
                throw unsent ?: e
            }
            val body = when {
                request.method == "HEAD" || status == 204 || status == 304 -> ByteArrayInputStream(ByteArray(0))
                headers.any { it.name.equals("transfer-encoding", true) && it.value.contains("chunked", true) } ->
                    ChunkedInput(input)
                else -> headers.firstOrNull { it.name.equals("content-length", true) }?.value?.trim()?.toLongOrNull()
                    ?.let { BoundedInput(input, it) } ?: input
            }
            return HttpResponse(status, headers, StreamBody(body) { socket.close() })
        } catch (e: Exception) {
            socket.close()
            throw if (e is HttpException) e else translate(e)
        }
    }

    /** The request line and headers, refused if a header could split them. */
    private fun head(): ByteArray {
        val target = buildString {
            append(uri.rawPath?.ifEmpty { null } ?: "/")
            uri.rawQuery?.let { append('?').append(it) }
        }
        val viaHttpProxy = !https && proxyFor(request.proxy).type() == Proxy.Type.HTTP
        // Through an HTTP proxy, a plain request names the whole URL.
        val line = if (viaHttpProxy) "${uri.scheme}://${authority()}$target" else target
        val text = buildString {
            append(request.method).append(' ').append(line).append(" HTTP/1.1\r\n")
            append("host: ").append(authority()).append("\r\n")
            for (h in request.headers) {
                if (h.name.any { it <= ' ' || it == ':' || it.code > 126 } || h.value.any { it == '\r' || it == '\n' }) {
                    throw HttpException.Other("a header is not valid HTTP")
                }
                // The body's length is the body's, said once.
                if (h.name.equals("content-length", true)) continue
                append(h.name).append(": ").append(h.value).append("\r\n")
            }
            if (request.method == "PUT") append("content-length: ").append(request.body.size).append("\r\n")
            append("connection: close\r\n\r\n")
        }
        return text.toByteArray(Charsets.UTF_8)
    }

    private fun authority(): String {
        val name = if (host.contains(':')) "[$host]" else host
        return if (uri.port >= 0) "$name:${uri.port}" else name
    }

    private fun connect(): Socket {
        val proxy = proxyFor(request.proxy)
        val connectTimeout = request.connectTimeoutMs.coerceIn(0L, Int.MAX_VALUE.toLong()).toInt()
        val readTimeout = request.readTimeoutMs.coerceIn(0L, Int.MAX_VALUE.toLong()).toInt()
        val socket = when (proxy.type()) {
            // Unresolved: a SOCKS proxy resolves the name itself.
            Proxy.Type.SOCKS -> Socket(proxy).also {
                it.soTimeout = readTimeout
                it.connect(InetSocketAddress.createUnresolved(host, port), connectTimeout)
            }
            Proxy.Type.HTTP -> Socket(Proxy.NO_PROXY).also {
                val at = proxy.address() as InetSocketAddress
                it.soTimeout = readTimeout
                it.connect(InetSocketAddress(at.hostString, at.port), connectTimeout)
                if (https) tunnel(it)
            }
            else -> Socket(Proxy.NO_PROXY).also {
                it.soTimeout = readTimeout
                it.connect(InetSocketAddress(host, port), connectTimeout)
            }
        }
        if (!https) return socket
        try {
            val tls = HttpsURLConnection.getDefaultSSLSocketFactory()
                .createSocket(socket, host, port, true) as SSLSocket
            tls.sslParameters = tls.sslParameters.apply { endpointIdentificationAlgorithm = "HTTPS" }
            tls.startHandshake()
            // The JDK's default verifier refuses everything (the check above
            // is the JDK's); Android's is the platform's host name check.
            if (System.getProperty("java.vm.name") == "Dalvik" &&
                !HttpsURLConnection.getDefaultHostnameVerifier().verify(host, tls.session)
            ) {
                throw SSLPeerUnverifiedException("the certificate is not for this host")
            }
            return tls
        } catch (e: Exception) {
            socket.close()
            throw e
        }
    }

    /** An HTTP proxy's tunnel to the origin (`CONNECT`), for TLS inside. */
    private fun tunnel(socket: Socket) {
        val name = if (host.contains(':')) "[$host]" else host
        socket.getOutputStream().apply {
            write("CONNECT $name:$port HTTP/1.1\r\nhost: $name:$port\r\n\r\n".toByteArray(Charsets.UTF_8))
            flush()
        }
        val input = socket.getInputStream()
        val status = statusOf(readLine(input))
        readHeaders(input)
        // A refusal has no way to the origin: it is a connect failure.
        if (status != 200) throw ConnectException("the proxy refused the tunnel")
    }

    private fun statusOf(line: String): Int {
        val parts = line.split(' ', limit = 3)
        if (parts.size < 2 || !parts[0].startsWith("HTTP/1.")) throw HttpException.Other("not an HTTP response")
        return parts[1].toIntOrNull()?.takeIf { it in 100..599 } ?: throw HttpException.Other("not an HTTP response")
    }

    private fun readHeaders(input: InputStream): List<HttpHeader> {
        val headers = mutableListOf<HttpHeader>()
        while (true) {
            val line = readLine(input)
            if (line.isEmpty()) return headers
            if (headers.size >= 200) throw HttpException.Other("too many response headers")
            val colon = line.indexOf(':')
            if (colon <= 0) throw HttpException.Other("not an HTTP response")
            headers += HttpHeader(line.substring(0, colon).trim(), line.substring(colon + 1).trim())
        }
    }
}

/** One line ending in CRLF (or LF), without it; at most 16 KiB. */
private fun readLine(input: InputStream): String {
    val line = ByteArrayOutputStream()
    while (true) {
        val b = input.read()
        if (b < 0) throw EOFException("the connection closed")
        if (b == '\n'.code) break
        if (line.size() >= 16 * 1024) throw HttpException.Other("a response line is too long")
        line.write(b)
    }
    return String(line.toByteArray(), Charsets.ISO_8859_1).removeSuffix("\r")
}

/** At most [left] bytes of [input]. */
private class BoundedInput(private val input: InputStream, private var left: Long) : InputStream() {
    override fun read(): Int {
        val one = ByteArray(1)
        return if (read(one, 0, 1) <= 0) -1 else one[0].toInt() and 0xff
    }

    override fun read(b: ByteArray, off: Int, len: Int): Int {
        if (left <= 0) return -1
        val n = input.read(b, off, minOf(len.toLong(), left).toInt())
        if (n < 0) throw EOFException("the body ended early")
        left -= n
        return n
    }

    override fun close() = input.close()
}

/** A chunked body (RFC 9112 §7.1), decoded; trailers skipped. */
private class ChunkedInput(private val input: InputStream) : InputStream() {
    private var left = 0L
    private var done = false

    override fun read(): Int {
        val one = ByteArray(1)
        return if (read(one, 0, 1) <= 0) -1 else one[0].toInt() and 0xff
    }

    override fun read(b: ByteArray, off: Int, len: Int): Int {
        if (done) return -1
        if (left == 0L) {
            val size = readLine(input).substringBefore(';').trim()
            left = size.toLongOrNull(16)?.takeIf { it >= 0 } ?: throw HttpException.Other("not an HTTP response")
            if (left == 0L) {
                while (readLine(input).isNotEmpty()) Unit
                done = true
                return -1
            }
        }
        val n = input.read(b, off, minOf(len.toLong(), left).toInt())
        if (n < 0) throw EOFException("the body ended early")
        left -= n
        if (left == 0L) readLine(input)
        return n
    }

    override fun close() = input.close()
}

/** No body (a status whose body the platform would not hand over). */
private object EmptyBody : HttpBody {
    override fun read(maxBytes: Int): ByteArray = ByteArray(0)
    override fun release() = Unit
}

/** A response body read in chunks by the native side; [onRelease] frees its connection. */
private class StreamBody(
    private val stream: InputStream?,
    private val onRelease: () -> Unit,
) : HttpBody {
    override fun read(maxBytes: Int): ByteArray {
        val input = stream ?: return ByteArray(0)
        val buffer = ByteArray(maxBytes.coerceIn(1, 64 * 1024))
        val n = try {
            input.read(buffer)
        } catch (e: HttpException) {
            throw e
        } catch (e: Exception) {
            throw translate(e)
        }
        return if (n <= 0) ByteArray(0) else buffer.copyOf(n)
    }

    override fun release() = onRelease()
}

/** An exception as Waymark's retryable kinds; the message keeps no host or URL. */
private fun translate(e: Exception): HttpException = when (e) {
    is SocketTimeoutException -> HttpException.Timeout()
    is ConnectException, is UnknownHostException, is NoRouteToHostException, is SSLException -> HttpException.Connect()
    else -> HttpException.Other(e.javaClass.simpleName)
}
