package org.waymark

import java.io.File
import java.security.KeyStore
import java.security.cert.X509Certificate
import java.util.concurrent.TimeUnit
import javax.net.ssl.HttpsURLConnection
import javax.net.ssl.KeyManagerFactory
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLServerSocket
import javax.net.ssl.TrustManagerFactory
import kotlin.concurrent.thread
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import org.waymark.ktx.UrlConnectionTransport
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * MKCOL over TLS, which UrlConnectionTransport sends on a socket of its own:
 * the platform's trust (HttpsURLConnection's default socket factory) and
 * the host name are both checked, as HttpURLConnection checks them.
 */
class TlsTransportTest {
    private val platformFactory = HttpsURLConnection.getDefaultSSLSocketFactory()

    @AfterEach
    fun restore() = HttpsURLConnection.setDefaultSSLSocketFactory(platformFactory)

    /** A certificate for `localhost` only, made by the JDK's keytool. */
    private val keys: KeyStore by lazy {
        val file = File(tempDir("tls"), "server.p12")
        val keytool = File(System.getProperty("java.home"), "bin/keytool").path
        val process = ProcessBuilder(
            keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-validity", "2",
            "-keystore", file.path, "-storepass", "changeit", "-storetype", "PKCS12",
        ).redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        check(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0) { "keytool: $output" }
        KeyStore.getInstance("PKCS12").apply { file.inputStream().use { load(it, "changeit".toCharArray()) } }
    }

    /** Answers one TLS request with 201 and returns the request line (empty if the handshake failed). */
    private fun oneTlsShot(exchange: (port: Int) -> Unit): String {
        val context = SSLContext.getInstance("TLS").apply {
            init(KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm()).apply { init(keys, "changeit".toCharArray()) }.keyManagers, null, null)
        }
        (context.serverSocketFactory.createServerSocket(0) as SSLServerSocket).use { server ->
            var line = ""
            val t = thread {
                runCatching {
                    server.accept().use { socket ->
                        val input = socket.getInputStream().bufferedReader(Charsets.ISO_8859_1)
                        line = input.readLine()
                        while (input.readLine()?.isNotEmpty() == true) Unit
                        socket.getOutputStream().apply {
                            write("HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".toByteArray())
                            flush()
                        }
                    }
                }
            }
            exchange(server.localPort)
            t.join(10_000)
            return line
        }
    }

    private fun mkcol(url: String) = UrlConnectionTransport().send(
        HttpRequest(
            method = "MKCOL",
            url = url,
            headers = listOf(HttpHeader("user-agent", "Waymark")),
            connectTimeoutMs = 5_000L,
            readTimeoutMs = 5_000L,
            proxy = null,
            body = ByteArray(0),
        ),
    )

    private fun trustTheTestCertificate() {
        val trusted = KeyStore.getInstance("PKCS12").apply {
            load(null, null)
            setCertificateEntry("server", keys.getCertificate("server") as X509Certificate)
        }
        val context = SSLContext.getInstance("TLS").apply {
            init(null, TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(trusted) }.trustManagers, null)
        }
        HttpsURLConnection.setDefaultSSLSocketFactory(context.socketFactory)
    }

    @Test
    fun `MKCOL over TLS reaches a server the platform trusts, under its name`() {
        trustTheTestCertificate()
        val line = oneTlsShot { port ->
            val response = mkcol("https://localhost:$port/backups/")
            assertEquals(201, response.status)
            response.body.release()
        }
        assertEquals("MKCOL /backups/ HTTP/1.1", line)
    }

    @Test
    fun `MKCOL over TLS refuses a certificate the platform does not trust`() {
        oneTlsShot { port ->
            val e = runCatching { mkcol("https://localhost:$port/backups/") }.exceptionOrNull()
            assertTrue(e is HttpException.Connect, "$e")
        }
    }

    @Test
    fun `MKCOL over TLS refuses a trusted certificate for another name`() {
        trustTheTestCertificate()
        oneTlsShot { port ->
            // The certificate names localhost, not 127.0.0.1.
            val e = runCatching { mkcol("https://127.0.0.1:$port/backups/") }.exceptionOrNull()
            assertTrue(e is HttpException.Connect, "$e")
        }
    }
}
