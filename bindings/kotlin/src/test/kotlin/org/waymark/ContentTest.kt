package org.waymark

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.io.File
import org.waymark.ktx.exportPack
import org.waymark.ktx.inLanguage
import org.waymark.ktx.installPack
import org.waymark.ktx.search
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

class ContentTest {
    /** A phone with the sample pack installed from its offline bundle. */
    private fun phoneWithSample(): ContentStore = runBlocking {
        val store = phoneTrustingSample()
        store.installPack(SamplePublisher.bundle)
        store
    }

    private fun assertSampleProvenance(p: Provenance) {
        assertEquals(SamplePublisher.ID, p.publisher)
        assertEquals(SamplePublisher.PACK, p.pack)
        assertEquals(1L, p.packVersion)
        assertTrue(p.sample, "sample data is labelled as such")
        assertTrue(p.verified.matches(Regex("""\d{4}-\d{2}-\d{2}""")), p.verified)
    }

    @Test
    fun `the sample pack installs from its bundle and is listed`(): Unit = runBlocking {
        val store = phoneTrustingSample()
        store.use {
            val installed = it.installPack(SamplePublisher.bundle)
            assertEquals(SamplePublisher.PACK, installed.id)
            val packs = it.packs()
            assertEquals(listOf(SamplePublisher.PACK), packs.map { p -> p.id })
            assertEquals(SamplePublisher.ID, packs[0].publisher)
            assertTrue(packs[0].sample)
            assertTrue(packs[0].entries > 50L, "entries: ${packs[0].entries}")
            assertTrue("ar" in packs[0].languages)
            assertEquals(packs[0].title["en"], packs[0].title.inLanguage("de", "en"))

            it.removePack(SamplePublisher.ID, SamplePublisher.PACK)
            assertTrue(it.packs().isEmpty())
        }
    }

    @Test
    fun `an installed pack is shared as a file another phone installs and searches`(): Unit = runBlocking {
        val shared = File(tempDir("share"), "shared.wmbundle")
        phoneWithSample().use { phone ->
            val exported = phone.exportPack(SamplePublisher.ID, SamplePublisher.PACK, shared)
            assertEquals(SamplePublisher.PACK, exported.pack)
            assertEquals(1L, exported.version)
            assertEquals(shared.length(), exported.bytes)
            assertTrue(exported.validUntil > java.time.Instant.now())
            assertFailsWith<WaymarkException.NotFound> { phone.exportPack(SamplePublisher.ID, "no-such-pack", File(shared.parentFile, "x")) }
        }
        phoneTrustingSample().use { friend ->
            friend.installPack(shared)
            assertEquals(listOf(SamplePublisher.PACK), friend.packs().map { it.id })
            assertTrue(friend.search("مركز الشرطة", language = "ar").hits.isNotEmpty())
        }
    }

    @Test
    fun `a bundle from an untrusted publisher is refused and nothing is installed`(): Unit = runBlocking {
        ContentStore.open(tempDir("phone").path).use { store ->
            val e = assertFailsWith<WaymarkException> { store.installPack(SamplePublisher.bundle) }
            assertTrue(e is WaymarkException.NotFound || e is WaymarkException.Integrity, "got $e")
            assertTrue(store.packs().isEmpty())
        }
    }

    @Test
    fun `search in Arabic finds the Arabic version with highlights and provenance`(): Unit = runBlocking {
        phoneWithSample().use { store ->
            val results = store.search("مركز الشرطة", language = "ar", limit = 5)
            assertTrue(results.hits.isNotEmpty())
            val hit = results.hits[0]
            assertEquals("ar", hit.language)
            assertTrue(hit.title.any { it in '\u0600'..'\u06FF' }, "an Arabic title: ${hit.title}")
            assertSampleProvenance(hit.provenance)
            assertTrue(hit.highlights.isNotEmpty())
            for (h in hit.highlights) {
                val marked = hit.snippet.substring(h.start, h.end)
                assertTrue(marked.isNotBlank() && marked.all { it in '\u0600'..'\u06FF' }, "highlight '$marked' of '${hit.snippet}'")
            }
        }
    }

    @Test
    fun `search corrects a typo and says so`(): Unit = runBlocking {
        phoneWithSample().use { store ->
            val results = store.search("asylm", limit = 3)
            assertTrue(results.hits.isNotEmpty())
            assertEquals(listOf("asylm"), results.corrections.map { it.typed })
        }
    }

    @Test
    fun `nearby finds free legal help within the radius, nearest first`(): Unit = runBlocking {
        phoneWithSample().use { store ->
            val athens = GeoPoint(lat = 37.9838, lon = 23.7275)
            val found = store.nearby(NearbyRequest(point = athens, radiusKm = 2.0, category = "legal", freeOnly = true, language = "ar"))
            assertTrue(found.isNotEmpty())
            assertEquals(found.sortedBy { it.distanceKm }, found)
            for (s in found) {
                assertTrue(s.distanceKm <= 2.0)
                assertTrue("legal" in s.service.categories)
                assertEquals(true, s.service.free)
                assertSampleProvenance(s.provenance)
            }
            val wide = store.nearby(NearbyRequest(point = athens, radiusKm = 2.0))
            assertTrue(wide.size > found.size, "the filters narrow the result")
        }
    }

    @Test
    fun `country profile, routes and alerts in force come with provenance`(): Unit = runBlocking {
        phoneWithSample().use { store ->
            val greece = store.country("gr")
            assertEquals(listOf("GR"), greece.map { it.code })
            assertNotNull(greece[0].name.inLanguage("ar"))
            assertTrue(greece[0].emergency.any { it.number == "112" })
            assertSampleProvenance(greece[0].provenance)

            val routes = store.routes("Thessaloniki")
            assertTrue(routes.isNotEmpty())
            assertTrue(routes.all { r -> r.segments.any { s -> (s.from.name.values + s.to.name.values).any { it.startsWith("Thessaloniki") } } })

            val alerts = store.alerts(countryCode = "GR")
            val now = java.time.Instant.now()
            assertTrue(alerts.isNotEmpty())
            for (a in alerts) {
                assertTrue("GR" in a.area.countries || a.area.bbox != null)
                assertTrue(a.validFrom <= now && (a.validUntil == null || now < a.validUntil))
                assertSampleProvenance(a.provenance)
            }
            assertEquals(alerts.sortedByDescending { it.severity }, alerts, "most severe first")
            assertFailsWith<WaymarkException.InvalidInput> { store.country("Greece") }
        }
    }

    @Test
    fun `a text is found for a regional language tag by its primary subtag`() {
        val name = mapOf("en" to "Clinic", "ar" to "عيادة", "ti" to "ክሊኒክ")
        assertEquals("عيادة", name.inLanguage("ar-EG", "en"))
        assertEquals("ክሊኒክ", name.inLanguage("TI-er"))
        assertEquals("Clinic", name.inLanguage("fa", "en"))
        assertEquals("مستوصف", mapOf("ar" to "عيادة", "ar-EG" to "مستوصف").inLanguage("ar-EG"), "the exact tag first")
        assertEquals(null, emptyMap<String, String>().inLanguage("en"))
    }

    @Test
    fun `a negative limit is refused`(): Unit = runBlocking {
        ContentStore.open(tempDir("phone").path).use { store ->
            val e = assertFailsWith<WaymarkException.InvalidInput> { store.search("asylum", limit = -1) }
            assertEquals("the limit must not be negative", e.reason)
        }
    }

    @Test
    fun `a scanned trust link's card is trusted only with the link's fingerprint`(): Unit = runBlocking {
        val fingerprint = phoneTrustingSample().use { it.trustedPublishers().single().fingerprint }
        val link = parseTrustLink("waymark://trust?card=https://ngo.example/repo/publisher.json&fp=$fingerprint")
        assertEquals("https://ngo.example/repo/publisher.json", link.cardUrl)
        assertEquals(fingerprint, link.fingerprint)
        assertFailsWith<WaymarkException.InvalidInput> { parseTrustLink("https://ngo.example/repo/publisher.json") }

        ContentStore.open(tempDir("scanned").path).use { store ->
            val other = (if (fingerprint.startsWith("0")) "1" else "0") + fingerprint.drop(1)
            assertFailsWith<WaymarkException.InvalidInput> {
                store.trustPublisher(SamplePublisher.card, TrustOptions(expectedFingerprint = other))
            }
            assertTrue(store.trustedPublishers().isEmpty(), "nothing trusted")
            val trusted = store.trustPublisher(SamplePublisher.card, TrustOptions(expectedFingerprint = link.fingerprint))
            assertEquals(fingerprint, trusted.fingerprint)
        }
    }
}
