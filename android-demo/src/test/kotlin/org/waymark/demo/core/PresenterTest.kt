package org.waymark.demo.core

import java.io.ByteArrayInputStream
import java.io.File
import java.time.LocalDate
import kotlin.random.Random
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Test
import org.waymark.ContentStore
import org.waymark.DocumentKind
import org.waymark.DocumentMetadata
import org.waymark.KindChanges
import org.waymark.PackChanges
import org.waymark.Network
import org.waymark.TrustOptions
import org.waymark.demo.i18n.Ar
import org.waymark.demo.i18n.En
import org.waymark.demo.i18n.Fr
import org.waymark.demo.i18n.Language
import org.waymark.demo.support.SamplePublisher
import org.waymark.demo.support.TEST_KDF
import org.waymark.demo.support.tempDir
import org.waymark.ktx.UrlConnectionTransport

/** The presenters on the plain JVM, against the host library: no Android. */
class PresenterTest {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val home = tempDir("presenter")
    private val content = runBlocking { ContentStore.open(File(home, "content").path, UrlConnectionTransport()) }
    private val session = Session(content, File(home, "vault"), TEST_KDF)

    @After
    fun close() {
        scope.cancel()
        session.vault?.let { (it as AutoCloseable).close() }
        content.close()
    }

    private fun <S> StateFlow<S>.until(what: String, predicate: (S) -> Boolean): S = runBlocking {
        try {
            withTimeout(30_000) { first(predicate) }
        } catch (e: Exception) {
            throw AssertionError("timed out waiting for $what; state: $value")
        }
    }

    @Test
    fun first_run_keeps_the_code_until_two_groups_are_retyped_then_forgets_it() {
        val p = FirstRunPresenter(session, scope, biometricAvailable = false, random = Random(7))
        p.languageChosen()
        p.create("river tent", "river tnet")
        assertEquals(said(Notice.What.PASSPHRASES_DIFFER), p.state.value.notice)
        p.create("abc", "abc")
        assertEquals(said(Notice.What.TOO_SHORT), p.state.value.notice)
        p.create("river tent morning", "river tent morning")
        val shown = p.state.until("the code") { it.step == FirstRunStep.SHOW_CODE }
        val groups = FirstRunPresenter.groupsOf(shown.recoveryCode!!)
        assertEquals(8, groups.size)
        p.wroteItDown()
        val (a, b) = p.state.value.checkGroups!!
        assertTrue(a < b && a in 1..8 && b in 1..8)
        p.check(groups[a - 1], "0000")
        assertEquals(said(Notice.What.RECOVERY_MISMATCH), p.state.value.notice)
        assertNotNull(p.state.value.recoveryCode)
        p.check(groups[a - 1].lowercase(), " " + groups[b - 1] + " ")
        assertEquals(FirstRunStep.DONE, p.state.value.step)
        assertNull(p.state.value.recoveryCode)
        assertTrue(session.isUnlocked)
    }

    @Test
    fun unlock_counts_wrong_passphrases_and_refuses_during_the_delay() {
        runBlocking { session.create("right passphrase") }
        session.lock()
        val p = UnlockPresenter(session, scope)
        for (n in 1..4) {
            p.unlock("wrong")
            p.state.until("attempt $n") { it.attempts == n && !it.busy }
        }
        val waiting = p.state.until("the delay") { it.waitSeconds > 0 }
        assertTrue(waiting.waitSeconds in 1..60)
        p.unlock("right passphrase") // ignored while the countdown runs
        assertFalse(p.state.value.busy)
        assertFalse(session.isUnlocked)
    }

    @Test
    fun documents_stream_in_and_carry_expiry_badges() {
        runBlocking { session.create("right passphrase") }
        val vault = session.vault!!
        runBlocking {
            vault.addDocument(DocumentMetadata(kind = DocumentKind.VISA, title = "visa", expiresOn = LocalDate.now().plusDays(10).toString()), byteArrayOf(1))
            vault.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "passport", expiresOn = LocalDate.now().minusDays(1).toString()), byteArrayOf(1))
        }
        val p = DocumentsPresenter(vault, scope)
        p.refresh()
        val listed = p.state.until("the list") { it.rows.size == 2 }
        assertEquals(Badge.ExpiresIn(10), listed.rows.single { it.title == "visa" }.badge)
        assertEquals(Badge.Expired, listed.rows.single { it.title == "passport" }.badge)

        p.add(DocumentKind.OTHER, "scan", "image/png") { ByteArrayInputStream(ByteArray(300_000) { 3 }) }
        val added = p.state.until("the scan") { it.rows.size == 3 }
        assertEquals(said(Notice.What.ADDED), added.notice)
        assertEquals(300_000L, runBlocking { vault.listDocuments() }.single { it.metadata.title == "scan" }.size)

        p.add(DocumentKind.OTHER, "nothing", "image/png") { null }
        assertEquals(said(Notice.What.NOTHING_ADDED), p.state.until("the refusal") { !it.busy }.notice)
        assertEquals(3, runBlocking { vault.listDocuments() }.size)
    }

    @Test
    fun a_bad_expiry_date_is_refused_and_changes_nothing() {
        runBlocking { session.create("right passphrase") }
        val vault = session.vault!!
        val id = runBlocking { vault.addDocument(DocumentMetadata(kind = DocumentKind.VISA, title = "visa"), byteArrayOf(1)) }
        val p = DocumentPresenter(vault, id, scope)
        p.load()
        p.state.until("the document") { it.info != null }
        p.save(DocumentKind.VISA, "visa", "", "2027-02-30", "", "")
        assertEquals(said(Notice.What.DATE_INVALID), p.state.value.notice)
        p.save(DocumentKind.VISA, "visa", "X1", "2027-02-28", "sy", "")
        val saved = p.state.until("saved") { it.notice == said(Notice.What.SAVED) }
        assertEquals("2027-02-28", saved.info!!.metadata.expiresOn)
        assertEquals("SY", saved.info!!.metadata.issuingCountry)
    }

    @Test
    fun search_finds_sample_entries_with_their_provenance_and_sample_mark() {
        runBlocking {
            content.trustPublisher(SamplePublisher.card, TrustOptions(id = null, name = null, url = null))
            content.installPackFromFile(SamplePublisher.bundle.path)
        }
        val p = SearchPresenter(content, "en", scope, pauseMs = 0)
        p.start()
        p.query("police")
        val found = p.state.until("hits") { it.hits.isNotEmpty() }
        assertTrue(found.hits.all { it.provenance.sample })
        assertEquals("Sample NGO (example data)", found.hits.first().provenance.publisherName)
        p.query("  ")
        assertTrue(p.state.value.hits.isEmpty())
    }

    @Test
    fun a_pack_installed_from_a_file_says_what_it_added() {
        runBlocking { content.trustPublisher(SamplePublisher.card, TrustOptions(id = null, name = null, url = null)) }
        val p = PacksPresenter(content, scope)
        p.install(SamplePublisher.bundle)
        val installed = p.state.until("installed") { it.installed != null && !it.busy }.installed!!
        assertEquals(SAMPLE_ADDED_EN, En.changes(installed.changes))
    }

    @Test
    fun change_summaries_count_in_each_language() {
        val kinds = PackChanges(
            listOf(
                KindChanges("service", added = 0, changed = 3, removed = 0, addedIds = emptyList(), changedIds = listOf("a", "b", "c"), removedIds = emptyList()),
                KindChanges("article", added = 0, changed = 0, removed = 2, addedIds = emptyList(), changedIds = emptyList(), removedIds = listOf("x", "y")),
                KindChanges("alert", added = 1, changed = 11, removed = 0, addedIds = listOf("h"), changedIds = emptyList(), removedIds = emptyList()),
            ),
        )
        assertEquals("3 services updated, 2 articles removed, 1 alert added, 11 alerts updated", En.changes(kinds))
        assertEquals("تم تحديث 3 خدمات، تمت إزالة مقالتين، تمت إضافة تنبيه واحد، تم تحديث 11 تنبيهًا", Ar.changes(kinds))
        assertEquals("3 services mis à jour, 2 articles supprimés, 1 alerte ajoutée, 11 alertes mises à jour", Fr.changes(kinds))
        for (lang in Language.entries) {
            val texts = lang.texts
            assertEquals(texts.nothingChanged, texts.changes(PackChanges(emptyList())))
            assertEquals(texts.nothingChanged, texts.changes(null))
        }
    }

    @Test
    fun sync_on_mobile_data_above_the_budget_asks_first_then_installs() {
        SamplePublisher.serve().use { served ->
            runBlocking { content.trustPublisher(SamplePublisher.card, TrustOptions(id = null, name = null, url = served.url)) }
            val settings = AppSettings(budgetBytes = 1024)
            val p = SyncPresenter(content, { settings }, scope)
            p.plan(Network.METERED)
            val planned = p.state.until("the plan") { it.phase == SyncPhase.PLANNED }
            assertTrue(planned.plan!!.totalBytes > 1024)
            p.start(Network.METERED)
            assertEquals(SyncPhase.CONFIRM_METERED, p.state.value.phase)
            assertTrue(runBlocking { content.packs() }.isEmpty())
            p.start(Network.METERED, confirmed = true)
            val done = p.state.until("done") { it.phase == SyncPhase.DONE }
            assertEquals(1, runBlocking { content.packs() }.size)
            // What the first sync brought, per kind, as the sync screen says it.
            val update = done.updates.single()
            assertEquals(SamplePublisher.PACK, update.pack)
            assertEquals(SAMPLE_ADDED_EN, En.changes(update.changes))
            assertEquals(SAMPLE_ADDED_AR, Ar.changes(update.changes))
            assertEquals("Eastern Mediterranean route — SAMPLE DATA", done.titles[SamplePublisher.PACK]?.get("en"))
            // The person's own limits are back for the next sync.
            assertEquals(1024L, content.syncSettings().budgetBytes)
        }
    }

    @Test
    fun settings_round_trip_and_orbot_is_socks5_on_the_phone() {
        val prefs = MemoryPrefs()
        val chosen = AppSettings(language = "ti", autoLockMinutes = 15, lockOnLeave = false, backgroundSync = true, useOrbot = true, budgetBytes = null)
        chosen.save(prefs)
        assertEquals(chosen, AppSettings.load(prefs))
        assertEquals("socks5h://127.0.0.1:9050", chosen.syncSettings().proxy)
        assertNull(AppSettings().syncSettings().proxy)
        assertTrue(AppSettings().syncUnmeteredOnly && AppSettings().syncChargingOnly)
    }

    @Test
    fun the_strength_hint_has_no_character_class_rules() {
        assertEquals(Strength.TOO_SHORT, Strength.of("abc"))
        assertEquals(Strength.STRONG, Strength.of("river tent morning bread"))
        assertEquals(Strength.WEAK, Strength.of("aaaaaaaa"))
        assertTrue(Strength.of("Passw0rd!") < Strength.STRONG)
        assertTrue(Strength.of("نهر أزرق خيمة صباح") == Strength.STRONG)
    }

    @Test
    fun sizes_read_as_kb_and_mb() {
        assertEquals("1 KB", SyncPresenter.size(10))
        assertEquals("200 KB", SyncPresenter.size(200 * 1024))
        assertEquals("2.5 MB", SyncPresenter.size(5L * 1024 * 1024 / 2))
    }

    @Test
    fun every_language_names_every_kind_and_severity_and_no_text_is_blank() {
        for (lang in Language.entries) {
            val t = lang.texts
            assertEquals(DocumentKind.entries.size, t.kindNames.size, lang.name)
            assertEquals(org.waymark.Severity.entries.size, t.severityNames.size, lang.name)
            for (m in t.javaClass.methods.filter { it.parameterCount == 0 && it.returnType == String::class.java && it.name.startsWith("get") }) {
                assertTrue((m.invoke(t) as String).isNotBlank(), "${lang.name}.${m.name}")
            }
        }
        assertEquals(setOf(Language.ARABIC, Language.FARSI), Language.entries.filter { it.rtl }.toSet())
        assertEquals(Language.ARABIC, Language.forTag("ar-EG"))
    }
}

/**
 * The sample pack's first install, as the apps say it: its 60 services, 3
 * countries, 1 route, 4 alerts, and 4 articles (each counted once, whatever
 * the number of its translations).
 */
const val SAMPLE_ADDED_EN = "60 services added, 4 articles added, 3 countries added, 1 route added, 4 alerts added"
const val SAMPLE_ADDED_AR = "تمت إضافة 60 خدمة، تمت إضافة 4 مقالات، تمت إضافة 3 بلدان، تمت إضافة طريق واحد، تمت إضافة 4 تنبيهات"
