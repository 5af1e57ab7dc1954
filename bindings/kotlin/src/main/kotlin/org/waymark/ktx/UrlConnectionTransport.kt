package org.waymark.ktx

import java.io.IOException
import java.io.InputStream
import java.net.ConnectException
import java.net.HttpURLConnection
import java.net.InetSocketAddress
import java.net.NoRouteToHostException
import java.net.Proxy
import java.net.ResponseCache
import java.net.SocketTimeoutException
import java.net.URI
import java.net.URL
import java.net.UnknownHostException
import javax.net.ssl.SSLException
import org.waymark.HttpBody
import org.waymark.HttpException
import org.waymark.HttpHeader
import org.waymark.HttpRequest
import org.waymark.HttpResponse
import org.waymark.HttpTransport

/**
 * Waymark's sync over `java.net.HttpURLConnection` (on Android, the
 * platform's OkHttp-based implementation and its certificate store): the
 * [HttpTransport] [WaymarkHome] gives its content store.
 *
 * It does what the contract asks: one GET, redirects not followed, no
 * cache (`useCaches = false` when the app installed a `ResponseCache`; then
 * the JDK adds `Cache-Control: no-cache`), exactly the headers Waymark gives (its
 * `User-Agent`, `Accept` and `Accept-Encoding: identity` replace the
 * platform's), the connect and read timeouts, the person's proxy
 * (HTTP or SOCKS; `socks5h` and `socks5` both resolve names through the
 * proxy here) and otherwise `Proxy.NO_PROXY`, never the system's; every
 * status returned as it came; the body streamed.
 *
 * Cookies: `HttpURLConnection` sends cookies only through the process-wide
 * `java.net.CookieHandler.getDefault()`. Android sets none; an app that
 * installs one MUST NOT do so for Waymark's hosts.
 *
 * ```
 * val store = ContentStore.open(dir.path, UrlConnectionTransport())
 * ```
 */
public class UrlConnectionTransport : HttpTransport {
    override fun get(request: HttpRequest): HttpResponse {
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
            connection.requestMethod = "GET"
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
            val status = connection.responseCode
            if (status < 0) throw HttpException.Other("not an HTTP response")
            val headers = connection.headerFields.flatMap { (name, values) ->
                // The null name is the status line.
                if (name == null) emptyList() else values.map { HttpHeader(name, it) }
            }
            val stream: InputStream? = if (status >= 400) connection.errorStream else connection.inputStream
            return HttpResponse(status, headers, StreamBody(stream, connection))
        } catch (e: HttpException) {
            connection.disconnect()
            throw e
        } catch (e: Exception) {
            connection.disconnect()
            throw translate(e)
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

    private fun millis(ms: Long): Int = ms.coerceIn(0L, Int.MAX_VALUE.toLong()).toInt()
}

/** A response body read in chunks by the native side. */
private class StreamBody(
    private val stream: InputStream?,
    private val connection: HttpURLConnection,
) : HttpBody {
    override fun read(maxBytes: Int): ByteArray {
        val input = stream ?: return ByteArray(0)
        val buffer = ByteArray(maxBytes.coerceIn(1, 64 * 1024))
        val n = try {
            input.read(buffer)
        } catch (e: Exception) {
            throw translate(e)
        }
        return if (n <= 0) ByteArray(0) else buffer.copyOf(n)
    }

    override fun release() {
        try {
            stream?.close()
        } catch (_: IOException) {
            connection.disconnect()
        }
    }
}

/** An exception as Waymark's retryable kinds; the message keeps no host or URL. */
private fun translate(e: Exception): HttpException = when (e) {
    is SocketTimeoutException -> HttpException.Timeout()
    is ConnectException, is UnknownHostException, is NoRouteToHostException, is SSLException -> HttpException.Connect()
    else -> HttpException.Other(e.javaClass.simpleName)
}
