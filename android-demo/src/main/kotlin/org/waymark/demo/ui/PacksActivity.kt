package org.waymark.demo.ui

import android.content.Intent
import android.net.Uri
import android.widget.LinearLayout
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.waymark.InstalledPack
import org.waymark.TrustedPublisher
import org.waymark.demo.core.PacksPresenter
import org.waymark.demo.core.PacksState
import org.waymark.demo.platform.ShareProvider
import org.waymark.ktx.inLanguage

/**
 * Information packs and trust: the organisations trusted (fingerprint to
 * compare, remove), adding one from a file or a pasted card, the packs
 * installed, installing one from a file (also when another app hands a
 * `.wmbundle` over with ACTION_VIEW or ACTION_SEND), and sharing one as a
 * file with another phone.
 */
public class PacksActivity : Screen() {
    override val secure: Boolean = false
    override val needsUnlock: Boolean = false
    private lateinit var presenter: PacksPresenter
    private lateinit var body: LinearLayout

    override fun build() {
        header(texts.packs)
        body = column().apply { tag = "packs-body" }
        content.add(body, 0)
        // Built once, below the lists, so that typing survives their updates.
        content.add(button(texts.addPublisherFile, tag = "trust-file", filled = false) { pick(TRUST) })
        val pasted = field(texts.pasteCard, "card", singleLine = false).apply {
            layoutDirection = android.view.View.LAYOUT_DIRECTION_LTR
            maxLines = 4
        }
        content.add(pasted)
        content.add(button(texts.trust, tag = "trust-pasted", filled = false) {
            val card = pasted.value().trim()
            if (card.isNotEmpty() && ::presenter.isInitialized) {
                presenter.trust(card.toByteArray())
                pasted.setText("")
            }
        })
        withSession { session ->
            presenter = PacksPresenter(session.content, scope)
            presenter.refresh()
            incoming(intent)?.let { install(it) }
            presenter.state.collect { render(it) }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        incoming(intent)?.let { install(it) }
    }

    /** The bundle another app handed over, if any. */
    private fun incoming(intent: Intent?): Uri? = when (intent?.action) {
        Intent.ACTION_VIEW -> intent.data
        @Suppress("DEPRECATION")
        Intent.ACTION_SEND -> intent.getParcelableExtra(Intent.EXTRA_STREAM) as? Uri
        else -> null
    }

    private fun render(state: PacksState) {
        body.removeAllViews()
        if (state.busy) body.add(text(texts.working, color = Style.MUTED, tag = "working"))
        noticeView(state.notice)?.let { body.add(it) }
        state.installed?.let {
            body.add(text(texts.installedPack(tr(it.title)), color = Style.PRIMARY, bold = true, tag = "installed"))
            body.add(text(texts.changes(it.changes), tag = "installed-changes"))
        }
        state.toCompare?.let { body.add(compare(it)) }
        state.shared?.let { file ->
            presenter.sharedHandled()
            share(file)
        }

        body.add(title(texts.installedPacks), 12)
        for (pack in state.packs) body.add(packView(pack))
        body.add(button(texts.installFromFile, tag = "install-file") { pick(INSTALL) })

        body.add(title(texts.trustedPublishers), 20)
        if (state.publishers.isEmpty()) body.add(text(texts.noPublishers, color = Style.MUTED))
        for (p in state.publishers) body.add(publisherView(p))
    }

    private fun tr(map: Map<String, String>): String = map.inLanguage(language.tag, "en") ?: ""

    private fun compare(p: TrustedPublisher) = card(tag = "compare") {
        addView(text(p.name, bold = true))
        add(text(texts.compareFingerprint), 6)
        add(fingerprintView(p.fingerprint), 6)
        add(button(texts.fingerprintMatches, tag = "fingerprint-same") { presenter.acceptCompared() })
        add(button(texts.fingerprintDiffers, tag = "fingerprint-different", color = Style.DANGER, filled = false) { presenter.rejectCompared() })
    }

    /**
     * The fingerprint two groups to a line, so that a large font never
     * breaks a group in two while the person compares it group by group.
     */
    private fun fingerprintView(fingerprint: String) =
        text(
            fingerprint.split('-').chunked(2).joinToString("\n") { it.joinToString("-") },
            Style.BODY_SP,
            bold = true,
            tag = "fingerprint",
        ).apply {
            typeface = android.graphics.Typeface.MONOSPACE
            layoutDirection = android.view.View.LAYOUT_DIRECTION_LTR
            textDirection = android.view.View.TEXT_DIRECTION_LTR
        }

    private fun publisherView(p: TrustedPublisher) = card(tag = "publisher-${p.id}") {
        addView(text(p.name, bold = true))
        add(text(texts.fingerprint, Style.SMALL_SP, Style.MUTED), 4)
        addView(fingerprintView(p.fingerprint))
        add(button(texts.remove, tag = "remove-${p.id}", color = Style.DANGER, filled = false) {
            confirm(texts.remove, p.name, texts.remove) { presenter.remove(p.id) }
        })
    }

    private fun packView(pack: InstalledPack) = card(tag = "pack-${pack.id}") {
        addView(text(tr(pack.title), bold = true))
        addView(text("${pack.publisherName} · v${pack.version} · ${pack.languages.joinToString(" ")}", Style.SMALL_SP, Style.MUTED))
        if (pack.sample) add(badge(texts.sample, Style.WARNING), 4)
        add(button(texts.share, tag = "share-${pack.id}", filled = false) {
            val file = ShareProvider.file(this@PacksActivity, "${pack.id}.wmbundle")
            presenter.share(pack, file)
        })
    }

    private fun pick(request: Int) {
        awaitingResult = true
        startActivityForResult(Intent(Intent.ACTION_OPEN_DOCUMENT).addCategory(Intent.CATEGORY_OPENABLE).setType("*/*"), request)
    }

    @Deprecated("Deprecated in Java")
    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        val uri = data?.data
        if (resultCode != RESULT_OK || uri == null) return
        when (requestCode) {
            INSTALL -> install(uri)
            TRUST -> scope.launch {
                val bytes = withContext(Dispatchers.IO) {
                    runCatching { contentResolver.openInputStream(uri)?.use { it.readBytes() } }.getOrNull()
                }
                if (bytes != null) presenter.trust(bytes)
            }
        }
    }

    /** Copies the bundle (public content) into the cache, installs it, deletes the copy. */
    private fun install(uri: Uri) {
        scope.launch {
            val copy = File(cacheDir, "incoming.wmbundle")
            val ok = withContext(Dispatchers.IO) {
                runCatching {
                    contentResolver.openInputStream(uri)!!.use { input -> copy.outputStream().use { input.copyTo(it) } }
                }.isSuccess
            }
            if (!ok) {
                copy.delete()
                return@launch presenter.install(File(cacheDir, "missing.wmbundle"))
            }
            presenter.install(copy)
            presenter.state.first { !it.busy }
            copy.delete()
        }
    }

    private fun share(file: File) {
        awaitingResult = true
        val send = Intent(Intent.ACTION_SEND)
            .setType("application/octet-stream")
            .putExtra(Intent.EXTRA_STREAM, ShareProvider.uri(this, file))
            .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)
        startActivity(Intent.createChooser(send, texts.share))
    }

    private companion object {
        const val INSTALL = 1
        const val TRUST = 2
    }
}
