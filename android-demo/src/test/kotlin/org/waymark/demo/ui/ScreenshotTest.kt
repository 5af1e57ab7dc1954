package org.waymark.demo.ui

import android.app.Activity
import android.content.Intent
import android.graphics.Bitmap
import android.graphics.Canvas
import android.view.View
import android.view.ViewGroup
import android.widget.TextView
import java.io.ByteArrayOutputStream
import java.io.File
import java.time.LocalDate
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.Test
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.waymark.DocumentKind
import org.waymark.DocumentMetadata
import org.waymark.GeoPoint
import org.waymark.TrustOptions
import org.waymark.demo.core.SAMPLE_ADDED_AR
import org.waymark.demo.core.SAMPLE_ADDED_EN
import org.waymark.demo.platform.Graph
import org.waymark.demo.support.SamplePublisher

/**
 * Every screen rendered to PNG (native graphics, the framework's own
 * text layout with Noto fonts) on a low-end phone's screen (360×640 dp,
 * xhdpi: 720 px wide) at the largest font scale Android 14 offers (2.0),
 * in English and Arabic, and the information screens in Tigrinya too. Each
 * picture is the whole scrolling screen, top to bottom. Written to
 * `waymark.screenshots` (scripts/android-screenshots: android-demo/screenshots/).
 *
 * Besides the pictures, every shown text is checked: none is ellipsized or
 * taller than its view (cut), and in ar the content is laid out right to left.
 */
@GraphicsMode(GraphicsMode.Mode.NATIVE)
@Config(qualifiers = "w360dp-h640dp-xhdpi")
class ScreenshotTest : ScreenTest() {
    private val out = File(System.getProperty("waymark.screenshots") ?: "target/screenshots").apply { mkdirs() }
    private val problems = mutableListOf<String>()

    private fun shoot(name: String, activity: Activity, lang: String) {
        waitFor("$name to settle") { true }
        val root = (activity.window.decorView as ViewGroup).getChildAt(0) as ViewGroup
        val content = activity.window.decorView.findViewWithTag<View>("content")
        val width = activity.resources.displayMetrics.widthPixels
        // The whole scrolling screen: the content measured at its full height.
        content.measure(View.MeasureSpec.makeMeasureSpec(width, View.MeasureSpec.EXACTLY), View.MeasureSpec.makeMeasureSpec(0, View.MeasureSpec.UNSPECIFIED))
        val screen = activity.resources.displayMetrics.heightPixels
        val bar = root.getChildAt(0)
        bar.measure(View.MeasureSpec.makeMeasureSpec(width, View.MeasureSpec.EXACTLY), View.MeasureSpec.makeMeasureSpec(0, View.MeasureSpec.UNSPECIFIED))
        var height = maxOf(screen, bar.measuredHeight + content.measuredHeight)
        val scroll = content.parent as View
        scroll.isVerticalScrollBarEnabled = false
        // Grow until the scrolling part holds all of its content.
        repeat(4) {
            root.measure(View.MeasureSpec.makeMeasureSpec(width, View.MeasureSpec.EXACTLY), View.MeasureSpec.makeMeasureSpec(height, View.MeasureSpec.EXACTLY))
            val missing = content.measuredHeight - scroll.measuredHeight
            if (missing > 0) height += missing
        }
        root.measure(View.MeasureSpec.makeMeasureSpec(width, View.MeasureSpec.EXACTLY), View.MeasureSpec.makeMeasureSpec(height, View.MeasureSpec.EXACTLY))
        root.layout(0, 0, width, height)
        check(root, name)
        // The language chooser speaks every language: it has no direction of its own.
        if (lang == "ar" && !name.startsWith("01-")) {
            if (content.layoutDirection != View.LAYOUT_DIRECTION_RTL) problems += "$name: not right to left"
        }
        val bitmap = Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888)
        root.draw(Canvas(bitmap))
        val png = ByteArrayOutputStream()
        bitmap.compress(Bitmap.CompressFormat.PNG, 100, png)
        File(out, "$name-$lang.png").writeBytes(png.toByteArray())
    }

    /** Text that is cut (ellipsized, or taller than its view) is a bug. */
    private fun check(v: View, name: String) {
        if (!v.isShown) return
        if (v is TextView && v.text.isNotEmpty()) {
            val layout = v.layout
            if (layout != null) {
                val room = v.height - v.totalPaddingTop - v.totalPaddingBottom
                if (layout.height > room + 2) problems += "$name: cut vertically: '${v.text.take(40)}' (${layout.height} > $room)"
                for (i in 0 until layout.lineCount) if (layout.getEllipsisCount(i) > 0) problems += "$name: ellipsized: '${v.text.take(40)}'"
            }
        }
        if (v is ViewGroup) for (i in 0 until v.childCount) check(v.getChildAt(i), name)
    }

    private fun setUpContent() {
        runBlocking {
            val s = session()
            s.content.trustPublisher(SamplePublisher.card, TrustOptions(id = null, name = null, url = null))
            s.content.installPackFromFile(SamplePublisher.bundle.path)
        }
    }

    private fun setUpVault() {
        val s = vaultWith("river tent morning bread")
        val today = LocalDate.now()
        val photo = Bitmap.createBitmap(600, 400, Bitmap.Config.ARGB_8888).apply { eraseColor(0xFF7EA6C9.toInt()) }
        val png = ByteArrayOutputStream().also { photo.compress(Bitmap.CompressFormat.PNG, 100, it) }.toByteArray()
        runBlocking {
            val v = s.vault!!
            v.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "Passport", expiresOn = today.minusDays(12).toString(), mimeType = "image/png"), png)
            v.addDocument(DocumentMetadata(kind = DocumentKind.RESIDENCE_PERMIT, title = "Residence permit", expiresOn = today.plusDays(45).toString()), byteArrayOf(1))
            v.addDocument(DocumentMetadata(kind = DocumentKind.MEDICAL, title = "Vaccination card"), byteArrayOf(2))
            v.addDocument(DocumentMetadata(kind = DocumentKind.BIRTH_CERTIFICATE, title = "Birth certificate"), byteArrayOf(3))
        }
    }

    private fun info(mode: String) = Intent(app, InfoActivity::class.java).putExtra(InfoActivity.EXTRA_MODE, mode)

    private fun vaultScreens(lang: String) {
        language(lang)
        // First run.
        Graph.settings(app).copy(language = null).save(Graph.prefs(app))
        val chooser = launch<WelcomeActivity>()
        waitFor("languages") { chooser.has("lang-en") }
        shoot("01-first-run-language", chooser, lang)
        language(lang)
        Graph.firstRun = null
        val welcome = launch<WelcomeActivity>()
        waitFor("passphrase") { welcome.has("passphrase") }
        welcome.type("passphrase", "river tent morning bread")
        shoot("02-first-run-passphrase", welcome, lang)
        welcome.type("passphrase-again", "river tent morning bread")
        welcome.click("create")
        waitFor("code") { welcome.has("recovery-code") }
        shoot("03-first-run-recovery-code", welcome, lang)
        welcome.click("wrote-it-down")
        welcome.type("group-a", "ZZZZ")
        welcome.click("check")
        shoot("04-first-run-check-code", welcome, lang)
        session().lock()
        val unlock = launch<UnlockActivity>()
        waitFor("unlock") { unlock.has("passphrase") }
        repeat(4) {
            unlock.type("passphrase", "wrong")
            unlock.click("unlock")
            waitFor("attempt") { unlock.textOf("status").contains(Regex("\\d")) && !unlock.textOf("status").contains("…") }
        }
        waitFor("countdown") { unlock.textOf("status").lines().size >= 2 }
        shoot("05-unlock-wrong-passphrase", unlock, lang)
        unlock.click("forgot")
        shoot("06-unlock-recovery", unlock, lang)
        // The delay holds that vault shut: a fresh one, with documents.
        runBlocking { session().wipe() }
        setUpVault()
        shoot("07-home", launch<HomeActivity>(), lang)
        val docs = launch<DocumentsActivity>()
        waitFor("documents") { docs.allText().contains("Birth certificate") }
        shoot("08-documents", docs, lang)
        val id = runBlocking { session().vault!!.listDocuments() }.first { it.metadata.title == "Passport" }.id
        val doc = launch<DocumentActivity>(Intent(app, DocumentActivity::class.java).putExtra(DocumentActivity.EXTRA_ID, id))
        waitFor("preview") { doc.has("image") }
        shoot("09-document", doc, lang)
        val settings = launch<SettingsActivity>()
        waitFor("settings") { settings.has("erase") }
        shoot("10-settings", settings, lang)
    }

    private fun infoScreens(lang: String) {
        language(lang)
        setUpContent()
        val search = launch<SearchActivity>()
        waitFor("field") { search.has("search") }
        search.type("search", if (lang == "ar") "مركز الشرطة" else if (lang == "ti") "ፖሊስ" else "police")
        waitFor("hits") { search.has("hit") || search.has("no-results") }
        shoot("11-search", search, lang)
        // The entry as the hit opens it (its real provenance line).
        while (nextStarted() != null) Unit
        search.click("hit")
        val entry = launch<EntryActivity>(nextStarted()!!)
        shoot("12-entry", entry, lang)
        val country = launch<InfoActivity>(info(InfoActivity.COUNTRY))
        waitFor("countries") { country.has("country-GR") }
        country.click("country-GR")
        waitFor("profile") { country.has("profile-GR") }
        shoot("13-country", country, lang)
        app.checkCallingOrSelfPermission(android.Manifest.permission.ACCESS_COARSE_LOCATION)
        org.robolectric.Shadows.shadowOf(app).grantPermissions(android.Manifest.permission.ACCESS_COARSE_LOCATION)
        Graph.location = org.waymark.demo.platform.LocationSource { GeoPoint(37.9838, 23.7275) }
        val nearby = launch<InfoActivity>(info(InfoActivity.NEARBY))
        waitFor("button") { nearby.has("find-nearby") }
        nearby.click("find-nearby")
        waitFor("services") { nearby.has("service") }
        shoot("14-nearby", nearby, lang)
        val routes = launch<InfoActivity>(info(InfoActivity.ROUTES))
        waitFor("field") { routes.has("route-place") }
        routes.type("route-place", mapOf("ar" to "أثينا", "ti" to "ኣቴንስ").getOrDefault(lang, "Athens"))
        routes.click("find-routes")
        waitFor("routes") { routes.has("route") || routes.allText().contains(org.waymark.demo.i18n.Language.forTag(lang)!!.texts.noResults) }
        shoot("15-routes", routes, lang)
        val alerts = launch<InfoActivity>(info(InfoActivity.ALERTS))
        waitFor("alerts") { alerts.allText().lines().size > 4 }
        shoot("16-alerts", alerts, lang)
        val packs = launch<PacksActivity>()
        waitFor("packs") { packs.has("pack-${SamplePublisher.PACK}") }
        shoot("17-packs", packs, lang)
    }

    private fun syncScreen(lang: String) {
        language(lang)
        SamplePublisher.serve().use { served ->
            runBlocking {
                // Trusted again, now with its repository's address.
                session().content.removePublisher(SamplePublisher.ID)
                session().content.trustPublisher(SamplePublisher.card, TrustOptions(id = null, name = null, url = served.url))
            }
            val sync = launch<SyncActivity>()
            waitFor("plan", 60_000) { sync.has("plan-total") }
            shoot("18-sync-plan", sync, lang)
            sync.click("download")
            waitFor("the download", 60_000) { sync.has("changes-${SamplePublisher.PACK}") || sync.has("download-anyway") }
            if (sync.has("download-anyway")) sync.click("download-anyway")
            waitFor("what changed", 60_000) { sync.has("changes-${SamplePublisher.PACK}") }
            val said = if (lang == "ar") SAMPLE_ADDED_AR else SAMPLE_ADDED_EN
            assertTrue(sync.allText().contains(said), sync.allText())
            shoot("19-sync-done", sync, lang)
        }
    }

    private fun all(lang: String, vault: Boolean = true) {
        RuntimeEnvironment.setFontScale(2.0f)
        if (vault) {
            vaultScreens(lang)
            Graph.reset()
            Graph.kdf = org.waymark.demo.support.TEST_KDF
        }
        infoScreens(lang)
        if (vault) syncScreen(lang)
        assertTrue(problems.isEmpty(), problems.joinToString("\n"))
    }

    @Test
    fun english() = all("en")

    @Test
    fun arabic() = all("ar")

    @Test
    fun tigrinya_information() = all("ti", vault = false)
}
