package org.waymark.demo.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import org.waymark.ContentStoreInterface
import org.waymark.Network
import org.waymark.PackUpdate
import org.waymark.SyncEvent
import org.waymark.SyncListener
import org.waymark.SyncPlan
import org.waymark.SyncReport
import org.waymark.WaymarkException

/** Where a sync is. */
public enum class SyncPhase { IDLE, PLANNING, PLANNED, CONFIRM_METERED, SYNCING, DONE, STOPPED, FAILED }

/** What the sync screen shows. */
public data class SyncState(
    val phase: SyncPhase = SyncPhase.IDLE,
    val plan: SyncPlan? = null,
    /** The publishers' display names by id, for the plan. */
    val names: Map<String, String> = emptyMap(),
    /** Bytes received of the current download, and its total. */
    val received: Long = 0,
    val total: Long = 0,
    val report: SyncReport? = null,
    /** After a sync: the installed packs' titles (per language) by pack id. */
    val titles: Map<String, Map<String, String>> = emptyMap(),
    val notice: Notice? = null,
) {
    /** After a sync: the packs it installed or updated, each with what changed in it. */
    val updates: List<PackUpdate> get() = report?.publishers.orEmpty().flatMap { it.installed }
}

/**
 * Sync in the foreground: the plan first (what would be downloaded, per
 * publisher, before a byte of a pack is spent), a prompt on a metered
 * network when the plan is above the person's budget, then progress, and
 * cancel (the sync stops at its next chunk; the next one resumes).
 */
public class SyncPresenter(
    private val content: ContentStoreInterface,
    private val settings: () -> AppSettings,
    scope: CoroutineScope,
) : Presenter<SyncState>(SyncState(), scope) {
    private var job: Job? = null

    /** Asks every trusted publisher what changed (small requests only). */
    public fun plan(network: Network) {
        if (busy()) return
        update { SyncState(phase = SyncPhase.PLANNING) }
        job = scope.launch {
            try {
                content.setSyncSettings(settings().syncSettings())
                val plan = content.planSync(network, null)
                val names = content.trustedPublishers().associate { p -> p.id to p.name }
                update { it.copy(phase = SyncPhase.PLANNED, plan = plan, names = names, notice = if (plan.totalBytes == 0L) said(Notice.What.UP_TO_DATE) else null) }
            } catch (e: Exception) {
                ended(e)
            }
        }
    }

    /**
     * Starts the download. On a metered network above the budget the
     * person is asked first; [confirmed] is their yes (this sync then
     * ignores the budget and the large-download rule).
     */
    public fun start(network: Network, confirmed: Boolean = false) {
        if (busy()) return
        val chosen = settings()
        val planned = current.plan?.totalBytes ?: 0
        val budget = chosen.budgetBytes
        val overBudget = budget != null && planned > budget
        if (network == Network.METERED && overBudget && !confirmed) {
            return update { it.copy(phase = SyncPhase.CONFIRM_METERED) }
        }
        update { it.copy(phase = SyncPhase.SYNCING, received = 0, total = 0, notice = null) }
        job = scope.launch {
            try {
                val base = chosen.syncSettings()
                content.setSyncSettings(if (confirmed) base.copy(budgetBytes = null, allowLargeOnMetered = true) else base)
                val report = content.sync(network, Listener(), null)
                // The person's own limits back before DONE is seen (the
                // finally below covers the other endings).
                content.setSyncSettings(chosen.syncSettings())
                val titles = content.packs().associate { p -> p.id to p.title }
                update { it.copy(phase = SyncPhase.DONE, report = report, titles = titles) }
            } catch (e: Exception) {
                ended(e)
            } finally {
                content.setSyncSettings(chosen.syncSettings())
            }
        }
    }

    private fun busy() = current.phase == SyncPhase.PLANNING || current.phase == SyncPhase.SYNCING

    /** Cancels the plan or the sync in progress. */
    public fun cancel() {
        job?.cancel()
        content.cancelSync()
        update { it.copy(phase = SyncPhase.STOPPED, notice = said(Notice.What.STOPPED)) }
    }

    private fun ended(e: Exception) {
        if (e is kotlinx.coroutines.CancellationException || e is WaymarkException.Cancelled) {
            update { it.copy(phase = SyncPhase.STOPPED, notice = said(Notice.What.STOPPED)) }
        } else {
            update { it.copy(phase = SyncPhase.FAILED, notice = failed(e)) }
        }
    }

    /** Progress from the native syncing thread: only the state changes. */
    private inner class Listener : SyncListener {
        override fun onEvent(event: SyncEvent) {
            if (event is SyncEvent.Downloading) update { it.copy(received = event.received, total = event.total) }
        }
    }

    public companion object {
        /** A size in words a person reads: KB below a megabyte, else MB (one decimal unless whole). */
        public fun size(bytes: Long): String = when {
            bytes < 1024 * 1024 -> "${((bytes + 1023) / 1024).coerceAtLeast(1)} KB"
            bytes % (1024 * 1024) == 0L -> "${bytes / (1024 * 1024)} MB"
            else -> String.format(java.util.Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024.0))
        }
    }
}
