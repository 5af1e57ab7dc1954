package org.waymark

import java.io.File
import java.io.InputStream
import java.io.OutputStream
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.waymark.ktx.addDocument
import org.waymark.ktx.readDocument
import org.waymark.ktx.replaceDocumentContent
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertSame
import kotlin.test.assertTrue

class StreamingTest {
    private val passphrase = "correct horse battery"

    /** The scan's bytes, made as they are read (xorshift64*): the test never holds the document. */
    private class Scan {
        private var state = 0x9E3779B97F4A7C15uL.toLong()
        private var word = 0L
        private var left = 0

        fun next(): Int {
            if (left == 0) {
                state = state xor (state ushr 12)
                state = state xor (state shl 25)
                state = state xor (state ushr 27)
                word = state * 0x2545F4914F6CDD1DL
                left = 8
            }
            val b = (word and 0xFF).toInt()
            word = word ushr 8
            left--
            return b
        }
    }

    /**
     * A 50 MB stream that samples the heap left after a full GC every 5 MB
     * read or written: what the Kotlin layer and the app's side retain while
     * the document streams.
     */
    private class Sampler {
        var peak = 0L
        private var next = 0L

        fun at(position: Long) {
            if (position >= next) {
                next += 5L * 1024 * 1024
                System.gc()
                val rt = Runtime.getRuntime()
                peak = maxOf(peak, rt.totalMemory() - rt.freeMemory())
            }
        }
    }

    private class ScanInput(private val size: Long, private val sampler: Sampler) : InputStream() {
        private val scan = Scan()
        var position = 0L

        override fun read(): Int = if (position >= size) -1 else scan.next().also { position++ }

        override fun read(b: ByteArray, off: Int, len: Int): Int {
            if (position >= size) return -1
            val n = minOf(len.toLong(), size - position).toInt()
            for (i in 0 until n) b[off + i] = scan.next().toByte()
            position += n
            sampler.at(position)
            return n
        }
    }

    private class ScanChecker(private val sampler: Sampler) : OutputStream() {
        private val scan = Scan()
        var received = 0L
        var same = true

        override fun write(b: Int) {
            same = same && (b and 0xFF) == scan.next()
            received++
        }

        override fun write(b: ByteArray, off: Int, len: Int) {
            for (i in off until off + len) same = same && (b[i].toInt() and 0xFF) == scan.next()
            received += len
            sampler.at(received)
        }
    }

    private fun heapAfterGc(): Long {
        System.gc()
        val rt = Runtime.getRuntime()
        return rt.totalMemory() - rt.freeMemory()
    }

    @Test
    fun `a 50 MB scan streams in from an InputStream and out to an OutputStream with a bounded heap`(): Unit = runBlocking {
        val size = 50L * 1024 * 1024
        val dir = tempDir("stream")
        createVault(File(dir, "vault").path, passphrase, TEST_KDF).vault.use { vault ->
            val baseline = heapAfterGc()
            val sampler = Sampler()
            val input = ScanInput(size, sampler)
            val id = vault.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "Scan", mimeType = "image/jpeg"), input)
            assertEquals(size, input.position, "the whole stream was read")
            assertEquals(size, vault.document(id).size)

            val checker = ScanChecker(sampler)
            assertEquals(size, vault.readDocument(id, checker))
            assertEquals(size, checker.received)
            assertTrue(checker.same, "the content came back byte for byte")

            val grew = sampler.peak - baseline
            println("50 MB document: retained heap grew by at most ${grew / 1024} KiB while streaming in and out")
            assertTrue(grew < 16L * 1024 * 1024, "the heap held $grew bytes more: the document was buffered")
            // No file beside the vault's own (database and one content file).
            val files = File(dir, "vault").walk().filter { it.isFile }.map { it.relativeTo(File(dir, "vault")).path }.toList()
            assertTrue(files.all { it.startsWith("vault.db") || it == "blobs/$id.1" }, "$files")
        }
    }

    @Test
    fun `a stream that fails is rethrown as it was and nothing is stored`(): Unit = runBlocking {
        createVault(tempDir("stream").path, passphrase, TEST_KDF).vault.use { vault ->
            val broken = java.io.IOException("the picked file went away")
            val input = object : InputStream() {
                var served = 0
                override fun read(): Int = throw UnsupportedOperationException()
                override fun read(b: ByteArray, off: Int, len: Int): Int {
                    if (served > 200_000) throw broken
                    served += len
                    return len
                }
            }
            val thrown = assertFailsWith<java.io.IOException> {
                vault.addDocument(DocumentMetadata(kind = DocumentKind.VISA, title = "Visa"), input)
            }
            assertSame(broken, thrown)
            assertTrue(vault.listDocuments().isEmpty())
        }
    }

    @Test
    fun `content is replaced from a stream, and small documents still go in as bytes`(): Unit = runBlocking {
        createVault(tempDir("stream").path, passphrase, TEST_KDF).vault.use { vault ->
            val id = vault.addDocument(DocumentMetadata(kind = DocumentKind.OTHER, title = "Note"), byteArrayOf(1, 2, 3))
            vault.replaceDocumentContent(id, ByteArray(300_000) { (it % 7).toByte() }.inputStream())
            val out = java.io.ByteArrayOutputStream()
            assertEquals(300_000L, vault.readDocument(id, out))
            assertContentEquals(ByteArray(300_000) { (it % 7).toByte() }, out.toByteArray())
        }
    }
}
