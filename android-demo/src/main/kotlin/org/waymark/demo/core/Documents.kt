package org.waymark.demo.core

import java.io.InputStream
import java.io.OutputStream
import java.time.LocalDate
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import org.waymark.DocumentInfo
import org.waymark.DocumentKind
import org.waymark.DocumentMetadata
import org.waymark.DocumentSink
import org.waymark.DocumentSource
import org.waymark.VaultInterface
import org.waymark.WaymarkException

/** A document's expiry, as the list marks it. */
public sealed class Badge {
    /** Past its expiry date. */
    public object Expired : Badge()

    /** Expires within [EXPIRY_WARNING_DAYS] days. */
    public data class ExpiresIn(val days: Long) : Badge()

    public companion object {
        /** How far ahead the list warns. */
        public const val EXPIRY_WARNING_DAYS: Int = 90
    }
}

/** One line of the documents list. */
public data class DocumentRow(val id: String, val title: String, val kind: DocumentKind, val mime: String, val badge: Badge?)

/** What the documents screen shows. */
public data class DocumentsState(
    val loading: Boolean = true,
    val rows: List<DocumentRow> = emptyList(),
    val busy: Boolean = false,
    val notice: Notice? = null,
    /** The vault locked itself (auto-lock): go to the unlock screen. */
    val locked: Boolean = false,
)

/** The documents list, and adding a document from a stream (camera or file). */
public class DocumentsPresenter(
    private val vault: VaultInterface,
    scope: CoroutineScope,
) : Presenter<DocumentsState>(DocumentsState(), scope) {

    /** Reloads the list and the expiry badges. */
    public fun refresh() {
        scope.launch {
            try {
                val rows = rows()
                update { it.copy(rows = rows, loading = false) }
            } catch (e: Exception) {
                fail(e)
            }
        }
    }

    private suspend fun rows(): List<DocumentRow> {
        val docs = vault.listDocuments()
        val reminders = vault.expiryReminders(Badge.EXPIRY_WARNING_DAYS).associateBy { it.document.id }
        return docs.map { d ->
            val r = reminders[d.id]
            val badge = when {
                r == null -> null
                r.expired -> Badge.Expired
                else -> Badge.ExpiresIn(r.daysLeft)
            }
            DocumentRow(d.id, d.metadata.title, d.metadata.kind, d.metadata.mimeType, badge)
        }
    }

    /**
     * Adds a document whose content [open] streams (a `content://` URI the
     * person picked, or the camera's output): encrypted as it is read, no
     * plaintext copy. [open] returning null (the picker was cancelled)
     * adds nothing.
     */
    public fun add(kind: DocumentKind, title: String, mime: String, open: () -> InputStream?) {
        update { it.copy(busy = true, notice = null) }
        scope.launch {
            try {
                val input = open()
                if (input == null) {
                    update { it.copy(busy = false, notice = said(Notice.What.NOTHING_ADDED)) }
                    return@launch
                }
                input.use { vault.addDocumentFromSource(DocumentMetadata(kind = kind, title = title, mimeType = mime), StreamSource(it)) }
                val rows = rows()
                update { it.copy(busy = false, rows = rows, loading = false, notice = said(Notice.What.ADDED)) }
            } catch (e: Exception) {
                fail(e)
            }
        }
    }

    /** The picker or camera was cancelled: nothing changes. */
    public fun cancelled() {
        update { it.copy(notice = said(Notice.What.NOTHING_ADDED)) }
    }

    private fun fail(e: Exception) {
        update { it.copy(busy = false, loading = false, locked = e is WaymarkException.Locked, notice = failed(e)) }
    }
}

/** What a document's screen shows. */
public data class DocumentState(
    val info: DocumentInfo? = null,
    val busy: Boolean = false,
    val notice: Notice? = null,
    val deleted: Boolean = false,
    val locked: Boolean = false,
)

/** One document: its metadata, edit, delete, view and export. */
public class DocumentPresenter(
    private val vault: VaultInterface,
    private val id: String,
    scope: CoroutineScope,
) : Presenter<DocumentState>(DocumentState(), scope) {

    /** Loads the document's metadata. */
    public fun load() {
        scope.launch {
            try {
                val info = vault.document(id)
                update { it.copy(info = info) }
            } catch (e: Exception) {
                fail(e)
            }
        }
    }

    /**
     * Saves the edited fields. A date not written `YYYY-MM-DD` or a country
     * that is not two letters is refused here, with nothing changed.
     */
    public fun save(kind: DocumentKind, title: String, number: String, expires: String, country: String, notes: String) {
        val old = current.info?.metadata ?: return
        val expiry = expires.trim().ifEmpty { null }
        if (expiry != null && !isDate(expiry)) return update { it.copy(notice = said(Notice.What.DATE_INVALID)) }
        val code = country.trim().uppercase().ifEmpty { null }
        if (code != null && !Regex("[A-Z]{2}").matches(code)) return update { it.copy(notice = failed(WaymarkException.InvalidInput("country"))) }
        val metadata = old.copy(
            kind = kind, title = title.trim().ifEmpty { old.title }, number = number.trim().ifEmpty { null },
            expiresOn = expiry, issuingCountry = code, notes = notes,
        )
        update { it.copy(busy = true, notice = null) }
        scope.launch {
            try {
                val info = vault.updateMetadata(id, metadata)
                update { it.copy(busy = false, info = info, notice = said(Notice.What.SAVED)) }
            } catch (e: Exception) {
                fail(e)
            }
        }
    }

    /** Deletes the document. */
    public fun delete() {
        scope.launch {
            try {
                vault.deleteDocument(id)
                update { it.copy(deleted = true) }
            } catch (e: Exception) {
                fail(e)
            }
        }
    }

    /**
     * Streams the content into [output] (a viewer's memory, or the
     * `content://` URI the person chose for an exported copy, after the
     * warning). [output] is closed afterwards.
     */
    public suspend fun read(output: OutputStream): Boolean =
        try {
            output.use { vault.readDocumentInto(id, StreamSink(it)) }
            true
        } catch (e: Exception) {
            fail(e)
            false
        }

    /** Exports a copy to [open]'s stream (null: cancelled, nothing written). */
    public fun export(open: () -> OutputStream?) {
        scope.launch {
            val out = try {
                open()
            } catch (e: Exception) {
                fail(e)
                return@launch
            } ?: return@launch
            if (read(out)) update { it.copy(notice = said(Notice.What.COPY_SAVED)) }
        }
    }

    private fun fail(e: Exception) {
        update { it.copy(busy = false, locked = e is WaymarkException.Locked, notice = failed(e)) }
    }

    public companion object {
        /** True for an ISO 8601 calendar date that exists (`2027-02-30` does not). */
        public fun isDate(text: String): Boolean =
            Regex("\\d{4}-\\d{2}-\\d{2}").matches(text) && runCatching { LocalDate.parse(text) }.isSuccess
    }
}

/** An [InputStream] as the vault reads it, in chunks, on its worker thread. */
internal class StreamSource(private val input: InputStream) : DocumentSource {
    override fun read(maxLen: Int): ByteArray {
        val buffer = ByteArray(maxLen.coerceIn(1, 1 shl 20))
        var n = 0
        while (n == 0) n = input.read(buffer)
        return if (n < 0) ByteArray(0) else buffer.copyOf(n)
    }
}

/** An [OutputStream] as the vault writes to it. */
internal class StreamSink(private val output: OutputStream) : DocumentSink {
    override fun write(chunk: ByteArray) {
        output.write(chunk)
    }
}
