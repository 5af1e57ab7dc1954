package org.waymark.demo.ui

import android.content.Intent
import android.net.Uri
import android.provider.MediaStore
import android.provider.OpenableColumns
import android.view.Gravity
import android.view.View
import android.widget.LinearLayout
import org.waymark.DocumentKind
import org.waymark.demo.core.Badge
import org.waymark.demo.core.DocumentRow
import org.waymark.demo.core.DocumentsPresenter
import org.waymark.demo.core.DocumentsState
import org.waymark.demo.platform.CaptureProvider

/**
 * The documents: each with its kind's icon and an expiry badge (expired,
 * or within 90 days); add from the camera or from a file, streamed into
 * the vault (nothing copied to the cache).
 */
public class DocumentsActivity : Screen() {
    private var presenter: DocumentsPresenter? = null
    private lateinit var list: LinearLayout
    private lateinit var status: LinearLayout

    override fun build() {
        header(texts.myDocuments)
        content.add(button(texts.takePhoto, tag = "take-photo") { takePhoto() })
        content.add(button(texts.chooseFile, tag = "choose-file") { chooseFile() })
        status = column()
        content.add(status, 4)
        list = column().apply { tag = "documents" }
        content.add(list, 12)
        withSession { session ->
            val vault = session.vault ?: return@withSession
            val p = DocumentsPresenter(vault, scope)
            presenter = p
            p.refresh()
            p.state.collect { render(it) }
        }
    }

    override fun onRestart() {
        super.onRestart()
        presenter?.refresh()
    }

    private fun render(state: DocumentsState) {
        if (state.locked) {
            startActivity(Intent(this, UnlockActivity::class.java))
            finish()
            return
        }
        status.removeAllViews()
        if (state.busy) status.add(text(texts.working, color = Style.MUTED, tag = "working"))
        noticeView(state.notice)?.let { status.add(it) }
        list.removeAllViews()
        if (!state.loading && state.rows.isEmpty()) list.add(text(texts.noDocuments, color = Style.MUTED, tag = "empty"))
        for (row in state.rows) list.add(rowView(row))
    }

    private fun rowView(doc: DocumentRow): View = card(tag = "doc-${doc.id}", onClick = {
        startActivity(Intent(this, DocumentActivity::class.java).putExtra(DocumentActivity.EXTRA_ID, doc.id))
    }) {
        val line = row()
        val icon = View(context).apply { background = KindIcon(doc.kind) }
        line.addView(icon, LinearLayout.LayoutParams(dp(44), dp(44)))
        val words = column()
        words.addView(text(doc.title, bold = true))
        words.addView(text(texts.kind(doc.kind), Style.SMALL_SP, Style.MUTED))
        when (val b = doc.badge) {
            Badge.Expired -> words.add(badge(texts.expired, Style.DANGER, tag = "badge-expired"), 4)
            is Badge.ExpiresIn -> words.add(badge(texts.expiresIn(b.days), Style.WARNING, tag = "badge-soon"), 4)
            null -> Unit
        }
        line.addView(words, LinearLayout.LayoutParams(0, LinearLayout.LayoutParams.WRAP_CONTENT, 1f).apply { marginStart = dp(12) })
        line.gravity = Gravity.CENTER_VERTICAL
        addView(line)
    }

    private fun chooseFile() {
        awaitingResult = true
        val intent = Intent(Intent.ACTION_OPEN_DOCUMENT)
            .addCategory(Intent.CATEGORY_OPENABLE)
            .setType("*/*")
            .putExtra(Intent.EXTRA_MIME_TYPES, arrayOf("image/*", "application/pdf"))
        startActivityForResult(intent, PICK_FILE)
    }

    private fun takePhoto() {
        awaitingResult = true
        val target = CaptureProvider.newCapture(this)
        val intent = Intent(MediaStore.ACTION_IMAGE_CAPTURE)
            .putExtra(MediaStore.EXTRA_OUTPUT, target)
            .addFlags(Intent.FLAG_GRANT_WRITE_URI_PERMISSION or Intent.FLAG_GRANT_READ_URI_PERMISSION)
        try {
            startActivityForResult(intent, TAKE_PHOTO)
        } catch (e: android.content.ActivityNotFoundException) {
            CaptureProvider.discard(this)
            presenter?.cancelled()
        }
    }

    @Deprecated("Deprecated in Java")
    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        val p = presenter ?: return
        when (requestCode) {
            PICK_FILE -> {
                val uri = data?.data
                if (resultCode != RESULT_OK || uri == null) return p.cancelled()
                add(uri, DocumentKind.OTHER)
            }
            TAKE_PHOTO -> {
                if (resultCode != RESULT_OK) {
                    CaptureProvider.discard(this)
                    return p.cancelled()
                }
                val file = CaptureProvider.captured(this)
                p.add(DocumentKind.OTHER, texts.takePhoto, "image/jpeg") {
                    // Read, then the plaintext file is overwritten and deleted.
                    file?.let { f -> CaptureProvider.ReadOnce(f) }
                }
            }
        }
    }

    /** Streams [uri] into the vault: its name as the title, its type as the MIME type. */
    internal fun add(uri: Uri, kind: DocumentKind) {
        val resolver = contentResolver
        val name = runCatching {
            resolver.query(uri, arrayOf(OpenableColumns.DISPLAY_NAME), null, null, null)?.use { c ->
                if (c.moveToFirst()) c.getString(0) else null
            }
        }.getOrNull()?.substringBeforeLast('.')?.takeIf { it.isNotBlank() } ?: texts.kind(kind)
        val mime = resolver.getType(uri) ?: "application/octet-stream"
        presenter?.add(kind, name, mime) { resolver.openInputStream(uri) }
    }

    private companion object {
        const val PICK_FILE = 1
        const val TAKE_PHOTO = 2
    }
}
