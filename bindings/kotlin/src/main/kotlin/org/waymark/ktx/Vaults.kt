package org.waymark.ktx

import java.io.File
import java.io.InputStream
import java.io.OutputStream
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.stateIn
import org.waymark.DocumentInfo
import org.waymark.DocumentMetadata
import org.waymark.DocumentSink
import org.waymark.DocumentSource
import org.waymark.LockState
import org.waymark.LockStateListener
import org.waymark.Vault
import org.waymark.WaymarkException

/**
 * Adds a document from [file], streamed (memory stays bounded whatever its
 * size), and returns its id. A MIME type of `application/octet-stream` in
 * [metadata] is replaced by one guessed from the file's extension.
 */
public suspend fun Vault.addDocument(metadata: DocumentMetadata, file: File): String =
    addDocumentFromFile(metadata, file.path)

/**
 * Adds a document whose content is read from [input], and returns its id.
 *
 * The content is encrypted as it is read, 64 KiB at a time, on a Waymark
 * worker thread: no plaintext file is written and memory stays bounded
 * whatever the size (a 50 MB scan adds well under 1 MB to the heap). For a
 * document the person picked or photographed, pass the stream of its
 * `content://` URI, `ContentResolver.openInputStream(uri)`, rather than
 * copying it to a file first. The stream is not closed (`use {}` it).
 *
 * Nothing is stored unless the whole stream was read. If reading it
 * throws, that exception is rethrown here; cancelling the coroutine stops
 * the add at its next chunk.
 */
public suspend fun Vault.addDocument(metadata: DocumentMetadata, input: InputStream): String {
    val source = StreamSource(input)
    return source.rethrowing { addDocumentFromSource(metadata, source) }
}

/**
 * Replaces a document's content with what [input] holds, streamed as
 * [addDocument] reads it; the old content stays unless the whole stream was
 * read. The stream is not closed.
 */
public suspend fun Vault.replaceDocumentContent(id: String, input: InputStream) {
    val source = StreamSource(input)
    source.rethrowing { replaceDocumentContentFromSource(id, source) }
}

/**
 * Writes a document's content to [output], 64 KiB at a time, each chunk
 * authenticated before it is written, and returns its size in bytes. No
 * file is written by Waymark and memory stays bounded: stream it to a
 * viewer, an `OutputStream` of a `content://` URI the person chose
 * (`ContentResolver.openOutputStream`), or a share intent's pipe.
 *
 * If it fails part-way ([WaymarkException.Integrity]: the stored content
 * was altered; or [output]'s own exception, rethrown here), what was
 * written is an authentic prefix that the app MUST discard. [output] is
 * flushed, not closed.
 */
public suspend fun Vault.readDocument(id: String, output: OutputStream): Long {
    val sink = StreamSink(output)
    val size = sink.rethrowing { readDocumentInto(id, sink) }
    output.flush()
    return size
}

/**
 * Writes a document's content to [file], atomically, and returns its size
 * in bytes. The copy is not encrypted: keep it in the app's private cache
 * and delete it when the viewer closes, or stream with [readDocument].
 */
public suspend fun Vault.exportDocument(id: String, file: File): Long =
    exportDocument(id, file.path)

/** The documents, each with its id, metadata and size, by title. */
public suspend fun Vault.documents(): List<DocumentInfo> = listDocuments()

/**
 * Every change of this vault's lock state, starting with the current one:
 * unlocked, locked by the person ([org.waymark.LockReason.USER]), by the
 * auto-lock timer ([org.waymark.LockReason.AUTO_LOCK]), by a wipe, or
 * closed. A cold flow: each collector registers its own listener, removed
 * when it stops collecting.
 *
 * ```
 * vault.lockStates().collect { state ->
 *     if (state is LockState.Locked) navigateToUnlockScreen()
 * }
 * ```
 */
public fun Vault.lockStates(): Flow<LockState> =
    callbackFlow {
        val id = addLockStateListener(
            object : LockStateListener {
                // Called on the vault's own thread; never block it.
                override fun onLockState(state: LockState) {
                    trySend(state)
                }
            },
        )
        // The handle may be closed by then; its listeners went with it.
        awaitClose { runCatching { removeLockStateListener(id) } }
    }.buffer(Channel.UNLIMITED)

/**
 * This vault's lock state as a [StateFlow] held in [scope], for a screen
 * to observe: its value is always the vault's current state.
 */
public fun Vault.lockStateIn(scope: CoroutineScope): StateFlow<LockState> =
    lockStates().stateIn(scope, SharingStarted.Eagerly, lockState())

/**
 * Keeps the first exception the app's stream threw, so the caller sees it
 * rather than the native side's account of it.
 */
private abstract class Rethrowing {
    @Volatile
    private var failure: Throwable? = null

    protected fun <T> guarded(io: () -> T): T =
        try {
            io()
        } catch (e: WaymarkException) {
            throw e
        } catch (e: Exception) {
            failure = failure ?: e
            // Its text is the app's: not copied into Waymark's error.
            throw WaymarkException.Internal("the app's stream failed")
        }

    suspend fun <T> rethrowing(call: suspend () -> T): T =
        try {
            call()
        } catch (e: WaymarkException) {
            throw failure ?: e
        }
}

/** An [InputStream] as the native side reads it. */
private class StreamSource(private val input: InputStream) : Rethrowing(), DocumentSource {
    override fun read(maxLen: Int): ByteArray = guarded {
        val buffer = ByteArray(maxLen.coerceIn(1, 1 shl 20))
        var n = 0
        while (n == 0) n = input.read(buffer)
        if (n < 0) ByteArray(0) else if (n == buffer.size) buffer else buffer.copyOf(n)
    }
}

/** An [OutputStream] as the native side writes to it. */
private class StreamSink(private val output: OutputStream) : Rethrowing(), DocumentSink {
    override fun write(chunk: ByteArray) = guarded { output.write(chunk) }
}

