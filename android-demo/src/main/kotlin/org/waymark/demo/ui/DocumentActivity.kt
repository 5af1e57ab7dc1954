package org.waymark.demo.ui

import android.app.AlertDialog
import android.content.Intent
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.pdf.PdfRenderer
import android.os.ParcelFileDescriptor
import android.widget.Button
import android.widget.ImageView
import android.widget.LinearLayout
import java.io.ByteArrayOutputStream
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.waymark.DocumentKind
import org.waymark.demo.core.DocumentPresenter
import org.waymark.demo.core.DocumentState

/**
 * One document: seen in the app (an image decoded from memory; a PDF's
 * pages rendered by the framework), its details edited, deleted, or a copy
 * exported after a plain warning.
 */
public class DocumentActivity : Screen() {
    private var presenter: DocumentPresenter? = null
    private var shown = false
    private lateinit var preview: LinearLayout
    private lateinit var status: LinearLayout
    private var kind: DocumentKind = DocumentKind.OTHER

    override fun build() {
        header(texts.details)
        preview = column().apply { tag = "preview" }
        status = column()
        val id = intent.getStringExtra(EXTRA_ID) ?: return finish()
        withSession { session ->
            val vault = session.vault ?: return@withSession
            val p = DocumentPresenter(vault, id, scope)
            presenter = p
            p.load()
            p.state.collect { render(it) }
        }
    }

    private fun render(state: DocumentState) {
        if (state.deleted) return finish()
        if (state.locked) {
            startActivity(Intent(this, UnlockActivity::class.java))
            finish()
            return
        }
        val info = state.info
        if (info != null && !shown) {
            shown = true
            form(info.metadata)
            scope.launch { showContent(info.metadata.mimeType) }
        }
        status.removeAllViews()
        noticeView(state.notice)?.let { status.add(it) }
    }

    private fun form(m: org.waymark.DocumentMetadata) {
        content.removeAllViews()
        content.add(preview)
        content.add(status)
        kind = m.kind
        // The label is above each field: no hint to repeat it (and be cut).
        val title = field("", "title").apply { setText(m.title) }
        content.add(text(texts.nameLabel, Style.SMALL_SP, Style.MUTED), 12)
        content.add(title, 2)
        content.add(text(texts.typeLabel, Style.SMALL_SP, Style.MUTED), 12)
        lateinit var kindButton: Button
        kindButton = button(texts.kind(kind), tag = "kind", filled = false) {
            AlertDialog.Builder(this).setItems(DocumentKind.entries.map { texts.kind(it) }.toTypedArray()) { _, i ->
                kind = DocumentKind.entries[i]
                kindButton.text = texts.kind(kind)
            }.show()
        }
        content.add(kindButton, 2)
        // Numbers, dates and codes read left to right in every language.
        val number = labelled(texts.numberLabel, "number", m.number).apply { textDirection = android.view.View.TEXT_DIRECTION_LTR }
        val expires = labelled(texts.expiryLabel, "expires", m.expiresOn).apply { textDirection = android.view.View.TEXT_DIRECTION_LTR }
        val country = labelled(texts.countryLabel, "country", m.issuingCountry).apply { textDirection = android.view.View.TEXT_DIRECTION_LTR }
        val notes = labelled(texts.notesLabel, "notes", m.notes, singleLine = false)
        content.add(
            button(texts.save, tag = "save") {
                presenter?.save(kind, title.value(), number.value(), expires.value(), country.value(), notes.value())
            },
            20,
        )
        content.add(
            button(texts.saveCopy, tag = "export", filled = false) {
                confirm(texts.saveCopy, texts.copyWarning, texts.copyConfirm) { export(m) }
            },
        )
        content.add(
            button(texts.delete, tag = "delete", color = Style.DANGER, filled = false) {
                confirm(texts.deleteTitle, texts.deleteBody, texts.delete) { presenter?.delete() }
            },
        )
    }

    private fun labelled(label: String, tag: String, value: String?, singleLine: Boolean = true) =
        field("", tag, singleLine = singleLine).also {
            it.setText(value ?: "")
            content.add(text(label, Style.SMALL_SP, Style.MUTED), 12)
            content.add(it, 2)
        }

    /** Shows the content: decrypted into memory, never into a file, for images. */
    private suspend fun showContent(mime: String) {
        val p = presenter ?: return
        val width = resources.displayMetrics.widthPixels - dp(32)
        when {
            mime.startsWith("image/") -> {
                val bytes = ByteArrayOutputStream()
                if (!p.read(bytes)) return
                val bitmap = withContext(Dispatchers.Default) { decodeScaled(bytes.toByteArray(), width) }
                if (bitmap == null) return cannotShow()
                preview.addView(image(bitmap))
            }
            mime == "application/pdf" -> {
                // PdfRenderer needs a seekable file: written in the app's
                // private no-backup directory, unlinked as soon as it is
                // open, never in the cache.
                val dir = File(noBackupFilesDir, "viewer").apply { mkdirs() }
                val file = File(dir, "page.pdf")
                if (!p.read(file.outputStream())) return
                val pages = withContext(Dispatchers.Default) {
                    try {
                        val fd = ParcelFileDescriptor.open(file, ParcelFileDescriptor.MODE_READ_ONLY)
                        org.waymark.demo.platform.CaptureProvider.wipe(file)
                        PdfRenderer(fd).use { pdf ->
                            (0 until minOf(pdf.pageCount, 5)).map { i ->
                                pdf.openPage(i).use { page ->
                                    val h = width * page.height / maxOf(1, page.width)
                                    Bitmap.createBitmap(width, h, Bitmap.Config.ARGB_8888).also {
                                        it.eraseColor(0xFFFFFFFF.toInt())
                                        page.render(it, null, null, PdfRenderer.Page.RENDER_MODE_FOR_DISPLAY)
                                    }
                                }
                            }
                        }
                    } catch (e: Exception) {
                        null
                    } finally {
                        org.waymark.demo.platform.CaptureProvider.wipe(file)
                    }
                }
                if (pages == null) return cannotShow()
                pages.forEach { preview.add(image(it)) }
            }
            else -> cannotShow()
        }
    }

    private fun image(bitmap: Bitmap) = ImageView(this).apply {
        setImageBitmap(bitmap)
        adjustViewBounds = true
        tag = "image"
    }

    private fun cannotShow() {
        preview.add(text(texts.cannotShow, color = Style.MUTED, tag = "cannot-show"))
    }

    private fun export(m: org.waymark.DocumentMetadata) {
        awaitingResult = true
        val intent = Intent(Intent.ACTION_CREATE_DOCUMENT)
            .addCategory(Intent.CATEGORY_OPENABLE)
            .setType(m.mimeType)
            .putExtra(Intent.EXTRA_TITLE, m.title)
        startActivityForResult(intent, EXPORT)
    }

    @Deprecated("Deprecated in Java")
    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        if (requestCode != EXPORT) return
        val uri = data?.data
        if (resultCode != RESULT_OK || uri == null) return
        presenter?.export { contentResolver.openOutputStream(uri) }
    }

    /** The intent extra, and the image decoding the viewer uses. */
    public companion object {
        /** The document's id. */
        public const val EXTRA_ID: String = "org.waymark.demo.DOCUMENT"
        private const val EXPORT = 3

        /** Decodes an image no wider than [width] pixels (a 12 MP photo stays within a low-end phone's heap). */
        internal fun decodeScaled(bytes: ByteArray, width: Int): Bitmap? {
            val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
            BitmapFactory.decodeByteArray(bytes, 0, bytes.size, bounds)
            if (bounds.outWidth <= 0) return null
            var sample = 1
            while (bounds.outWidth / (sample * 2) >= width) sample *= 2
            return BitmapFactory.decodeByteArray(bytes, 0, bytes.size, BitmapFactory.Options().apply { inSampleSize = sample })
        }
    }
}
