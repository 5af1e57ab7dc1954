package org.waymark.ktx

import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.launch
import org.waymark.ContentStore
import org.waymark.Network
import org.waymark.SyncEvent
import org.waymark.SyncListener
import org.waymark.SyncReport

/**
 * Syncs every trusted publisher and emits its progress as a cold [Flow]:
 * each collection runs one sync.
 *
 * The last event is [SyncEvent.Finished], carrying the [SyncReport] (what
 * was installed, what waits, what failed, per publisher); the flow
 * completes after it. The per-publisher outcome is also in the
 * [SyncEvent.Done] and [SyncEvent.Failed] events. It fails with
 * [org.waymark.WaymarkException] when the sync as a whole fails
 * (e.g. [org.waymark.WaymarkException.Cancelled]).
 *
 * Cancelling the collector (leaving the screen, `take(n)`, a timeout)
 * cancels the sync: the native side stops at its next chunk or step, with
 * everything consistent, and the next sync resumes.
 *
 * ```
 * store.syncEvents(Network.METERED).collect { event ->
 *     when (event) {
 *         is SyncEvent.Downloading -> progress.value = event.received.toFloat() / event.total.toFloat()
 *         is SyncEvent.Failed -> showError(event.publisher, event.reason)
 *         is SyncEvent.Finished -> showSummary(event.report)
 *         else -> Unit
 *     }
 * }
 * ```
 */
public fun ContentStore.syncEvents(network: Network = Network.UNMETERED): Flow<SyncEvent> =
    callbackFlow {
        val listener = object : SyncListener {
            override fun onEvent(event: SyncEvent) {
                // Called on the native syncing thread; never block it.
                trySend(event)
            }
        }
        val job = launch {
            try {
                // The native side sends SyncEvent.Finished last.
                sync(network, listener)
                close()
            } catch (e: Throwable) {
                close(e)
            }
        }
        awaitClose { job.cancel() }
    }.buffer(kotlinx.coroutines.channels.Channel.UNLIMITED)

/**
 * Syncs every trusted publisher, calling [onEvent] (on the native syncing
 * thread: keep it quick) with each progress event, the last one
 * [SyncEvent.Finished], and returns the report. Cancelling the calling
 * coroutine cancels the sync.
 */
public suspend fun ContentStore.sync(
    network: Network = Network.UNMETERED,
    onEvent: (SyncEvent) -> Unit,
): SyncReport =
    sync(
        network,
        object : SyncListener {
            override fun onEvent(event: SyncEvent) = onEvent(event)
        },
    )
