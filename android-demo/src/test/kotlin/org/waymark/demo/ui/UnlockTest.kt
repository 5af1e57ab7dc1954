package org.waymark.demo.ui

import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.Test
import org.waymark.DocumentKind
import org.waymark.DocumentMetadata

class UnlockTest : ScreenTest() {

    @Test
    fun wrong_passphrases_show_the_attempts_and_a_live_countdown() {
        language("en")
        vaultWith("the right one").lock()
        val unlock = launch<UnlockActivity>()
        waitFor("the form") { unlock.has("passphrase") }
        assertTrue(unlock.isSecure())
        // Three attempts are free; the fourth failure starts the vault's delay.
        repeat(4) { n ->
            unlock.type("passphrase", "wrong $n")
            unlock.click("unlock")
            waitFor("attempt ${n + 1}") { unlock.textOf("status").contains("Tries: ${n + 1}") }
        }
        // A countdown, and the button refuses until it ends.
        waitFor("the countdown") { Regex("Wait (\\d+) seconds").containsMatchIn(unlock.textOf("status")) }
        val first = Regex("Wait (\\d+) seconds").find(unlock.textOf("status"))!!.groupValues[1].toLong()
        assertTrue(first > 0)
        assertFalse(unlock.view("unlock")!!.isEnabled)
        advance(1)
        val next = Regex("Wait (\\d+) seconds").find(unlock.textOf("status"))?.groupValues?.get(1)?.toLong()
        assertEquals(first - 1, next, unlock.textOf("status"))
        advance(first)
        waitFor("the end of the countdown") { unlock.view("unlock")!!.isEnabled }
        assertFalse(session().isUnlocked)
        // The vault keeps its own time (the looper's clock moved, the real
        // one did not): even the right passphrase is refused until the
        // delay really ends, and the countdown comes back from the vault's figure.
        unlock.type("passphrase", "the right one")
        unlock.click("unlock")
        waitFor("the vault's countdown") { Regex("Wait (\\d+) seconds").containsMatchIn(unlock.textOf("status")) }
        assertFalse(session().isUnlocked)
    }

    @Test
    fun the_duress_passphrase_opens_the_decoy_and_shows_its_documents() {
        language("en")
        val s = vaultWith("real passphrase")
        runBlocking {
            val vault = s.vault!!
            vault.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "Real passport"), "real".toByteArray())
            vault.setDuressPassphrase("duress passphrase", false)
            vault.lock()
            vault.unlock("duress passphrase")
            vault.addDocument(DocumentMetadata(kind = DocumentKind.TRAVEL_TICKET, title = "Bus ticket"), "decoy".toByteArray())
            vault.lock()
        }
        val unlock = launch<UnlockActivity>()
        waitFor("the form") { unlock.has("passphrase") }
        unlock.type("passphrase", "duress passphrase")
        unlock.click("unlock")
        waitFor("home") { nextStarted()?.component?.className == HomeActivity::class.java.name }
        val docs = launch<DocumentsActivity>()
        waitFor("the list") { docs.allText().contains("Bus ticket") }
        assertFalse(docs.allText().contains("Real passport"))
    }

    @Test
    fun recovery_with_a_typo_changes_nothing_and_the_right_code_opens() {
        language("fr")
        val s = session()
        val code = runBlocking { s.create("ancienne phrase") }
        s.lock()
        val unlock = launch<UnlockActivity>()
        waitFor("the form") { unlock.has("forgot") }
        unlock.click("forgot")
        unlock.type("recovery-code", code.replaceRange(0, 4, "0000"))
        unlock.type("new-passphrase", "nouvelle phrase secrète")
        unlock.click("recover")
        waitFor("the refusal") { unlock.textOf("status").contains("Ce code n'est pas bon") }
        assertFalse(s.isUnlocked)
        unlock.type("recovery-code", code.lowercase())
        unlock.type("new-passphrase", "nouvelle phrase secrète")
        unlock.click("recover")
        waitFor("home") { nextStarted()?.component?.className == HomeActivity::class.java.name }
        s.lock()
        runBlocking { s.vault!!.unlock("nouvelle phrase secrète") }
        assertTrue(s.isUnlocked)
    }

    @Test
    fun panic_wipe_from_the_unlock_screen_leaves_the_vault_directory_empty() {
        language("ar")
        val s = vaultWith("كلمة السر الطويلة")
        runBlocking { s.vault!!.addDocument(DocumentMetadata(kind = DocumentKind.PASSPORT, title = "جواز"), ByteArray(5000) { 7 }) }
        s.lock()
        val vaultDir = File(app.noBackupFilesDir, "waymark/vault")
        assertTrue(vaultDir.walkTopDown().any { it.isFile })
        val unlock = launch<UnlockActivity>()
        waitFor("the form") { unlock.has("erase") }
        unlock.click("erase") // tap 1
        confirmDialog() // tap 2
        waitFor("the wipe") { nextStarted()?.component?.className == WelcomeActivity::class.java.name }
        assertTrue(!vaultDir.exists() || vaultDir.walkTopDown().none { it.isFile }, vaultDir.walkTopDown().toList().toString())
        assertFalse(runBlocking { session().hasVault() })
    }
}
