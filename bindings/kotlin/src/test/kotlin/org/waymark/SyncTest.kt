package org.waymark

import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import org.waymark.ktx.search
import org.waymark.ktx.sync
import org.waymark.ktx.syncEvents
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue

class SyncTest {
    @Test
    fun `a sync from a loopback server installs the pack and reports progress in order`(): Unit = runBlocking {
        SamplePublisher.serve().use { server ->
            phoneTrustingSample(server.url).use { store ->
                val plan = store.planSync(Network.UNMETERED)
                assertEquals(listOf(SamplePublisher.ID), plan.publishers.map { it.publisher })
                val planned = plan.publishers[0].downloads.single()
                assertEquals(SamplePublisher.PACK, planned.pack)
                assertEquals(DownloadKind.FULL, planned.kind)
                assertTrue(planned.bytes > 0L)

                val events = store.syncEvents(Network.UNMETERED).toList()

                assertIs<SyncEvent.Checking>(events.first())
                val downloading = events.filterIsInstance<SyncEvent.Downloading>()
                assertTrue(downloading.isNotEmpty())
                assertEquals(downloading.map { it.received }.sorted(), downloading.map { it.received })
                assertEquals(planned.bytes, downloading.last().received)
                assertEquals(planned.bytes, downloading.last().total)
                val kinds = events.map { it::class.simpleName }.distinct()
                assertEquals(listOf("Checking", "Downloading", "Verifying", "Installing", "Done", "Finished"), kinds)
                val done = events[events.size - 2] as SyncEvent.Done
                assertEquals(1, done.installed)
                // The flow ends with the report.
                val finished = assertIs<SyncEvent.Finished>(events.last())
                val publisher = finished.report.publishers.single()
                assertEquals(PublisherStatus.UPDATED, publisher.status)
                assertEquals(listOf(SamplePublisher.PACK), publisher.installed.map { it.pack })
                assertEquals(finished.report.bytes, publisher.bytes)

                assertEquals(listOf(SamplePublisher.PACK), store.packs().map { it.id })
                assertTrue(store.search("asylum").hits.isNotEmpty())

                // Nothing changed on the server: the next sync installs nothing.
                val again = store.sync(Network.UNMETERED) { }
                assertEquals(PublisherStatus.UP_TO_DATE, again.publishers.single().status)
                assertTrue(store.planSync(Network.UNMETERED).publishers.single().downloads.isEmpty())
            }
        }
    }

    @Test
    fun `a data budget makes the download wait and says why`(): Unit = runBlocking {
        SamplePublisher.serve().use { server ->
            phoneTrustingSample(server.url).use { store ->
                store.setSyncSettings(SyncSettings(budgetBytes = 100L))
                val events = mutableListOf<SyncEvent>()
                val report = store.sync(Network.UNMETERED) { events += it }
                val waiting = events.filterIsInstance<SyncEvent.Waiting>().single()
                assertEquals(WaitReason.BUDGET, waiting.reason)
                assertEquals(PublisherStatus.PARTIAL, report.publishers.single().status)
                assertTrue(store.packs().isEmpty())
            }
        }
    }

    @Test
    fun `a proxy that is not a URL is refused and the settings stay`(): Unit = runBlocking {
        ContentStore.open(tempDir("phone").path).use { store ->
            val e = assertFailsWith<WaymarkException.InvalidInput> { store.setSyncSettings(SyncSettings(proxy = "not a proxy")) }
            assertTrue(e.reason.contains("proxy"))
            assertEquals(null, store.syncSettings().proxy)
            assertFailsWith<WaymarkException.InvalidInput> { store.setSyncSettings(SyncSettings(budgetBytes = -1L)) }
            assertEquals(null, store.syncSettings().budgetBytes)
            store.setSyncSettings(SyncSettings(proxy = "socks5h://127.0.0.1:9050"))
            assertEquals("socks5h://127.0.0.1:9050", store.syncSettings().proxy)
        }
    }

    @Test
    fun `cancelSync stops a running sync, and the next sync completes`(): Unit = runBlocking {
        SamplePublisher.serve().use { server ->
            phoneTrustingSample(server.url).use { store ->
                val events = Collections.synchronizedList(mutableListOf<SyncEvent>())
                assertFailsWith<WaymarkException.Cancelled> {
                    store.sync(Network.UNMETERED) { event ->
                        events += event
                        if (event is SyncEvent.Checking) store.cancelSync()
                    }
                }
                assertEquals(1, events.size, "nothing after the cancellation: $events")
                assertTrue(store.packs().isEmpty())

                val report = store.sync(Network.UNMETERED) { }
                assertEquals(PublisherStatus.UPDATED, report.publishers.single().status)
                assertEquals(1, store.packs().size)
            }
        }
    }

    @Test
    fun `cancelling the awaiting coroutine cancels the native sync`(): Unit = runBlocking {
        SamplePublisher.serve().use { server ->
            phoneTrustingSample(server.url).use { store ->
                val events = Collections.synchronizedList(mutableListOf<SyncEvent>())
                val started = CountDownLatch(1)
                lateinit var job: Job
                val sync = async(Dispatchers.Default, start = CoroutineStart.LAZY) {
                    store.sync(Network.UNMETERED) { event ->
                        events += event
                        if (event is SyncEvent.Checking) {
                            // Cancel from the syncing thread and wait until the
                            // coroutine has finished (uniffi has dropped the
                            // native future), so the cancellation cannot race
                            // the rest of the sync.
                            started.await()
                            job.cancel()
                            runBlocking { withTimeout(10_000) { job.join() } }
                        }
                    }
                }
                job = sync
                sync.start()
                started.countDown()
                assertFailsWith<kotlinx.coroutines.CancellationException> { sync.await() }

                // Give a sync that failed to stop the time to finish.
                Thread.sleep(1_000)
                assertEquals(listOf("Checking"), events.map { it::class.simpleName }, "nothing after the cancellation")
                assertTrue(store.packs().isEmpty())

                val report = store.sync(Network.UNMETERED) { }
                assertEquals(PublisherStatus.UPDATED, report.publishers.single().status)
            }
        }
    }

    @Test
    fun `an unreachable server is a publisher failure in the report, not an exception`(): Unit = runBlocking {
        val port = java.net.ServerSocket(0).use { it.localPort }
        phoneTrustingSample("http://127.0.0.1:$port").use { store ->
            val events = mutableListOf<SyncEvent>()
            val report = withTimeout(120_000) { store.sync(Network.UNMETERED) { events += it } }
            assertEquals(PublisherStatus.FAILED, report.publishers.single().status)
            assertIs<SyncEvent.Failed>(events[events.size - 2])
            assertEquals(SyncEvent.Finished(report), events.last())
        }
    }
}
