package org.waymark.demo.ui

import android.Manifest
import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.text.Spanned
import android.text.style.BackgroundColorSpan
import android.view.View
import android.widget.TextView
import java.util.Locale
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.Test
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowTextToSpeech
import org.waymark.GeoPoint
import org.waymark.TrustOptions
import org.waymark.demo.core.SAMPLE_ADDED_EN
import org.waymark.demo.platform.Graph
import org.waymark.demo.platform.SyncScheduler
import org.waymark.demo.support.CountingProxy
import org.waymark.demo.support.SamplePublisher

class ContentTest : ScreenTest() {

    private fun trustSample(url: String? = null) {
        runBlocking { session().content.trustPublisher(SamplePublisher.card, TrustOptions(id = null, name = null, url = url)) }
    }

    private fun installSample() {
        trustSample()
        runBlocking { session().content.installPackFromFile(SamplePublisher.bundle.path) }
    }

    @Test
    fun the_sample_pack_installs_from_a_file_another_app_hands_over() {
        language("en")
        trustSample()
        val view = Intent(Intent.ACTION_VIEW, Uri.fromFile(SamplePublisher.bundle))
        val packs = launch<PacksActivity>(view.setClass(app, PacksActivity::class.java))
        waitFor("the pack installed and listed") { packs.has("installed") && packs.has("pack-${SamplePublisher.PACK}") }
        assertTrue(packs.textOf("installed").startsWith("Installed: "), packs.textOf("installed"))
        assertEquals(SAMPLE_ADDED_EN, packs.textOf("installed-changes"))
        assertTrue(packs.has("pack-${SamplePublisher.PACK}"))
        assertTrue(packs.allText().contains("SAMPLE"))
        assertEquals(1, runBlocking { session().content.packs() }.size)
    }

    @Test
    fun a_bundle_from_an_untrusted_publisher_is_refused_and_changes_nothing() {
        language("en")
        val view = Intent(Intent.ACTION_SEND).putExtra(Intent.EXTRA_STREAM, Uri.fromFile(SamplePublisher.bundle))
        val packs = launch<PacksActivity>(view.setClass(app, PacksActivity::class.java))
        waitFor("the refusal") { packs.allText().contains("could not be installed") }
        assertTrue(runBlocking { session().content.packs() }.isEmpty())
    }

    @Test
    fun a_publisher_whose_fingerprint_differs_is_removed() {
        language("en")
        val packs = launch<PacksActivity>()
        waitFor("the screen") { packs.has("card") && packs.has("install-file") }
        packs.type("card", String(SamplePublisher.card))
        packs.click("trust-pasted")
        waitFor("the fingerprint to compare") { packs.has("compare") }
        assertTrue(packs.textOf("fingerprint").length > 16)
        packs.click("fingerprint-different")
        waitFor("the removal") { !packs.has("publisher-${SamplePublisher.ID}") && !packs.has("compare") && runBlocking { session().content.trustedPublishers() }.isEmpty() }
    }

    @Test
    fun an_arabic_search_renders_right_to_left_with_highlights_and_provenance() {
        language("ar")
        installSample()
        val search = launch<SearchActivity>()
        assertFalse(search.isSecure(), "information can be screenshotted to share")
        waitFor("the field") { search.has("search") }
        search.type("search", "مركز الشرطة")
        waitFor("hits") { search.has("hit") }
        val snippet = search.view("snippet") as TextView
        assertEquals(View.LAYOUT_DIRECTION_RTL, snippet.layoutDirection)
        assertTrue(snippet.isLayoutRtl || snippet.layoutDirection == View.LAYOUT_DIRECTION_RTL)
        val spans = (snippet.text as Spanned).getSpans(0, snippet.text.length, BackgroundColorSpan::class.java)
        assertTrue(spans.isNotEmpty(), "highlights in: ${snippet.text}")
        val text = search.allText()
        assertTrue(text.contains("باللغة: العربية"), text)
        assertTrue(text.contains("Sample NGO") && text.contains("الإصدار 1"), text)
        assertTrue(text.contains("عيّنة"), text)
    }

    @Test
    fun an_entry_is_read_aloud_in_its_language_when_a_voice_exists() {
        language("en")
        val entry = launch<EntryActivity>(
            Intent(app, EntryActivity::class.java).putExtra(EntryActivity.EXTRA_TITLE, "Legal aid").putExtra(EntryActivity.EXTRA_BODY, "Free lawyers").putExtra(EntryActivity.EXTRA_LANGUAGE, "fr"),
        )
        val tts = shadowOf(ShadowTextToSpeech.getLastTextToSpeechInstance())
        tts.onInitListener.onInit(android.speech.tts.TextToSpeech.SUCCESS)
        entry.click("read-aloud")
        assertEquals("No voice for this language on this phone.", entry.textOf("voice-status"))
        ShadowTextToSpeech.addLanguageAvailability(Locale("fr"))
        entry.click("read-aloud")
        assertEquals("Legal aid. Free lawyers", tts.lastSpokenText)
    }

    @Test
    fun nearby_uses_the_location_once_and_shows_distance_and_opening() {
        language("en")
        installSample()
        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_COARSE_LOCATION)
        var reads = 0
        Graph.location = org.waymark.demo.platform.LocationSource { reads++; GeoPoint(37.9838, 23.7275) } // Athens
        val nearby = launch<InfoActivity>(Intent(app, InfoActivity::class.java).putExtra(InfoActivity.EXTRA_MODE, InfoActivity.NEARBY))
        waitFor("the button") { nearby.has("find-nearby") }
        assertEquals(0, reads, "no location before the person asks")
        nearby.click("find-nearby")
        waitFor("services") { nearby.has("service") }
        assertEquals(1, reads)
        assertTrue(Regex("\\d+\\.\\d km").containsMatchIn(nearby.allText()), nearby.allText())
        // Nothing about the location is kept in the app's settings.
        val prefs = app.getSharedPreferences("waymark-settings", Context.MODE_PRIVATE).all.values.joinToString()
        assertFalse(prefs.contains("37.98") || prefs.contains("23.72"))
    }

    @Test
    fun no_location_says_so_plainly() {
        language("en")
        installSample()
        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_COARSE_LOCATION)
        Graph.location = org.waymark.demo.platform.LocationSource { null }
        val nearby = launch<InfoActivity>(Intent(app, InfoActivity::class.java).putExtra(InfoActivity.EXTRA_MODE, InfoActivity.NEARBY))
        waitFor("the button") { nearby.has("find-nearby") }
        nearby.click("find-nearby")
        waitFor("the message") { nearby.allText().contains("Location is not available") }
    }

    @Test
    fun country_profile_dials_an_emergency_number_and_alerts_show_severity() {
        language("en")
        installSample()
        val country = launch<InfoActivity>(Intent(app, InfoActivity::class.java).putExtra(InfoActivity.EXTRA_MODE, InfoActivity.COUNTRY))
        waitFor("countries") { country.has("country-GR") }
        country.click("country-GR")
        waitFor("the profile") { country.has("dial-112") }
        country.click("dial-112")
        val dial = nextStarted()!!
        assertEquals(Intent.ACTION_DIAL, dial.action)
        assertEquals("tel:112", dial.dataString)
        val alerts = launch<InfoActivity>(Intent(app, InfoActivity::class.java).putExtra(InfoActivity.EXTRA_MODE, InfoActivity.ALERTS))
        waitFor("alerts") { alerts.allText().contains("Warning") || alerts.allText().contains("Danger") || alerts.has("no-alerts") }
    }

    @Test
    fun sync_shows_the_plan_and_progress_then_cancel_stops_all_requests() {
        language("en")
        SamplePublisher.serve().use { served ->
            CountingProxy(served.url, chunk = 2048, pauseMs = 40).use { proxy ->
                trustSample(proxy.url)
                val sync = launch<SyncActivity>()
                waitFor("the plan", 60_000) { sync.has("plan-total") }
                assertTrue(Regex("This will download \\d+(\\.\\d)? (KB|MB)\\.").containsMatchIn(sync.textOf("plan-total")), sync.textOf("plan-total"))
                sync.click("download")
                waitFor("progress", 60_000) { sync.has("progress") && (sync.view("progress") as android.widget.ProgressBar).progress > 0 }
                sync.click("cancel")
                waitFor("stopped") { sync.allText().contains("Stopped. Nothing was lost.") }
                Thread.sleep(300) // a request already on the wire may still arrive
                val after = proxy.requests.get()
                Thread.sleep(1500)
                assertEquals(after, proxy.requests.get(), "requests after cancel")
                assertTrue(runBlocking { session().content.packs() }.isEmpty())
            }
        }
    }

    @Test
    fun background_update_is_scheduled_on_unmetered_while_charging_by_default() {
        language("en")
        vaultWith("a long passphrase")
        val settings = launch<SettingsActivity>()
        waitFor("the screen") { settings.has("background") }
        settings.click("background")
        val scheduler = app.getSystemService(Context.JOB_SCHEDULER_SERVICE) as JobScheduler
        val job = scheduler.allPendingJobs.single { it.id == SyncScheduler.JOB_ID }
        assertEquals(JobInfo.NETWORK_TYPE_UNMETERED, job.networkType)
        assertTrue(job.isRequireCharging)
        assertTrue(job.isPeriodic)
        settings.click("only-charging")
        assertFalse(scheduler.allPendingJobs.single { it.id == SyncScheduler.JOB_ID }.isRequireCharging)
        settings.click("background")
        assertTrue(scheduler.allPendingJobs.none { it.id == SyncScheduler.JOB_ID })
    }

    @Test
    fun panic_wipe_from_settings_empties_the_vault_directory() {
        language("en")
        val s = vaultWith("a long passphrase")
        runBlocking { s.vault!!.addDocument(org.waymark.DocumentMetadata(kind = org.waymark.DocumentKind.PASSPORT, title = "p"), ByteArray(100)) }
        val settings = launch<SettingsActivity>()
        assertTrue(settings.isSecure())
        waitFor("the screen") { settings.has("erase") }
        settings.click("erase")
        confirmDialog()
        waitFor("the wipe") { nextStarted()?.component?.className == WelcomeActivity::class.java.name }
        val dir = java.io.File(app.noBackupFilesDir, "waymark/vault")
        assertTrue(!dir.exists() || dir.walkTopDown().none { it.isFile })
    }

    @Test
    fun vault_screens_are_secure_and_information_screens_are_not() {
        language("en")
        vaultWith("a long passphrase")
        assertTrue(launch<HomeActivity>().isSecure())
        assertTrue(launch<DocumentsActivity>().isSecure())
        assertTrue(launch<SettingsActivity>().isSecure())
        assertTrue(launch<UnlockActivity>().isSecure())
        assertTrue(launch<WelcomeActivity>().isSecure())
        assertFalse(launch<SearchActivity>().isSecure())
        assertFalse(launch<InfoActivity>().isSecure())
    }
}

class ShareTest : ScreenTest() {
    @Test
    fun a_shared_pack_installs_on_another_phone_with_no_network() {
        language("en")
        runBlocking {
            session().content.trustPublisher(SamplePublisher.card, TrustOptions(id = null, name = null, url = null))
            session().content.installPackFromFile(SamplePublisher.bundle.path)
        }
        org.robolectric.Robolectric.setupContentProvider(org.waymark.demo.platform.ShareProvider::class.java, "${app.packageName}.share")
        val packs = launch<PacksActivity>()
        waitFor("the pack") { packs.has("share-${SamplePublisher.PACK}") }
        packs.click("share-${SamplePublisher.PACK}")
        waitFor("the share sheet") { shadowOf(app).peekNextStartedActivity() != null }
        val chooser = nextStarted()!!
        assertEquals(Intent.ACTION_CHOOSER, chooser.action)
        @Suppress("DEPRECATION")
        val send = chooser.getParcelableExtra<Intent>(Intent.EXTRA_INTENT)!!
        assertEquals(Intent.ACTION_SEND, send.action)
        @Suppress("DEPRECATION")
        val uri = send.getParcelableExtra<Uri>(Intent.EXTRA_STREAM)!!
        assertEquals("content", uri.scheme)
        // The other phone: its own store, trusting the same publisher, offline.
        val received = java.io.File.createTempFile("received", ".wmbundle")
        app.contentResolver.openInputStream(uri)!!.use { input -> received.outputStream().use { input.copyTo(it) } }
        val other = runBlocking { org.waymark.ContentStore.open(org.waymark.demo.support.tempDir("other-phone").path, null) }
        other.use {
            runBlocking {
                it.trustPublisher(SamplePublisher.card, TrustOptions(id = null, name = null, url = null))
                assertEquals(SamplePublisher.PACK, it.installPackFromFile(received.path).id)
            }
        }
    }
}
