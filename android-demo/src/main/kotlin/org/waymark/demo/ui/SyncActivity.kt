package org.waymark.demo.ui

import android.content.Context
import android.net.ConnectivityManager
import android.widget.LinearLayout
import android.widget.ProgressBar
import org.waymark.Network
import org.waymark.demo.core.SyncPhase
import org.waymark.demo.core.SyncPresenter
import org.waymark.demo.core.SyncState
import org.waymark.demo.platform.Graph
import org.waymark.ktx.inLanguage

/**
 * Update: first what would be downloaded, per organisation, in KB or MB,
 * before any pack is downloaded; on mobile data a question when that is
 * above the person's limit; then a progress bar with a cancel button.
 */
public class SyncActivity : Screen() {
    override val secure: Boolean = false
    override val needsUnlock: Boolean = false
    private lateinit var presenter: SyncPresenter
    private lateinit var body: LinearLayout

    override fun build() {
        header(texts.update)
        body = column().apply { tag = "sync-body" }
        content.add(body, 0)
        withSession { session ->
            presenter = SyncPresenter(session.content, { Graph.settings(this) }, scope)
            presenter.plan(network())
            presenter.state.collect { render(it) }
        }
    }

    /** Metered (mobile data, a metered hotspot) or not, as the framework says. */
    private fun network(): Network {
        val cm = getSystemService(Context.CONNECTIVITY_SERVICE) as? ConnectivityManager
        return if (cm?.isActiveNetworkMetered != false) Network.METERED else Network.UNMETERED
    }

    private fun render(state: SyncState) {
        body.removeAllViews()
        noticeView(state.notice)?.let { body.add(it) }
        when (state.phase) {
            SyncPhase.IDLE, SyncPhase.PLANNING -> {
                body.add(text(texts.working, color = Style.MUTED, tag = "planning"))
                body.add(button(texts.cancel, tag = "cancel", filled = false) { presenter.cancel() })
            }
            SyncPhase.PLANNED -> {
                val plan = state.plan ?: return
                for (p in plan.publishers) {
                    if (p.bytes > 0) {
                        // The name and the size on lines of their own: a Latin
                        // name and a size inside an Arabic line reorder.
                        body.add(card(tag = "plan-${p.publisher}") {
                            addView(text(state.names[p.publisher] ?: p.publisher, bold = true))
                            addView(text(SyncPresenter.size(p.bytes)).apply { textDirection = android.view.View.TEXT_DIRECTION_LTR })
                        })
                    }
                }
                if (plan.totalBytes > 0) {
                    body.add(appLine(texts.willDownload(isolate(SyncPresenter.size(plan.totalBytes))), bold = true, tag = "plan-total"), 12)
                    body.add(button(texts.download, tag = "download") { presenter.start(network()) })
                }
            }
            SyncPhase.CONFIRM_METERED -> {
                body.add(appLine(texts.metered(isolate(SyncPresenter.size(state.plan?.totalBytes ?: 0))), color = Style.WARNING, bold = true, tag = "metered"))
                body.add(button(texts.downloadAnyway, tag = "download-anyway") { presenter.start(network(), confirmed = true) })
                body.add(button(texts.cancel, tag = "cancel", filled = false) { presenter.cancel() })
            }
            SyncPhase.SYNCING -> {
                val bar = ProgressBar(this, null, android.R.attr.progressBarStyleHorizontal).apply {
                    max = 1000
                    progress = if (state.total > 0) (state.received * 1000 / state.total).toInt() else 0
                    isIndeterminate = state.total <= 0
                    tag = "progress"
                }
                body.add(bar)
                if (state.total > 0) body.add(text("${SyncPresenter.size(state.received)} / ${SyncPresenter.size(state.total)}", Style.SMALL_SP, Style.MUTED).apply { textDirection = android.view.View.TEXT_DIRECTION_LTR })
                body.add(button(texts.cancel, tag = "cancel", color = Style.DANGER, filled = false) { presenter.cancel() }, 16)
            }
            SyncPhase.DONE -> {
                val installed = state.report?.publishers?.sumOf { it.installed.size } ?: 0
                body.add(text(texts.syncDone(installed), color = Style.PRIMARY, bold = true, tag = "done"))
                // Per pack, what changed ("3 services updated"): the title on
                // a line of its own, as a Latin title inside an Arabic line reorders.
                for (u in state.updates) {
                    body.add(card(tag = "changes-${u.pack}") {
                        addView(text(state.titles[u.pack]?.inLanguage(language.tag, "en") ?: u.pack, bold = true))
                        addView(text(texts.changes(u.changes)))
                    })
                }
            }
            SyncPhase.STOPPED, SyncPhase.FAILED -> {
                body.add(button(texts.tryAgain, tag = "retry") { presenter.plan(network()) }, 12)
            }
        }
    }
}
