package org.waymark.consumer

import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

class ConsumerTest {
    private val sample = File(System.getProperty("waymark.sample.dir"))
    private val url = System.getProperty("waymark.sample.url").takeIf { !it.isNullOrEmpty() }
    private val webdav = System.getProperty("waymark.webdav.url").takeIf { !it.isNullOrEmpty() }

    @Test
    fun `an app depending on org_waymark waymark-kotlin keeps a document and searches a pack`(): Unit = runBlocking {
        val work = Files.createTempDirectory("waymark-consumer").toFile()
        val report = Smoke.run(
            work,
            File(sample, "publisher.json"),
            File(sample, "bundles/sample-mediterranean.wmbundle"),
            url,
            webdav,
        )
        assertEquals(300_000, report.documentBytes)
        assertEquals("Passport", report.documentTitle)
        assertTrue(report.unlockedByKeystore)
        assertEquals("sample-mediterranean", report.pack)
        assertTrue(report.hits > 0)
        assertEquals("sample-ngo", report.firstHitPublisher)
        if (url != null) {
            assertEquals(listOf("sample-mediterranean"), report.syncedPacks)
            assertTrue("Done" in report.syncEvents, report.syncEvents.toString())
            assertEquals("Finished", report.syncEvents.last())
        }
        if (webdav != null) {
            assertEquals(listOf("Progress", "Finished"), report.backupEvents)
            assertEquals(300_000, report.restoredBytes)
        }
    }
}
