package org.waymark.demo.ui

import android.view.View
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import org.junit.Test
import org.waymark.demo.core.FirstRunPresenter
import org.waymark.demo.platform.Graph
import org.waymark.demo.support.containsBytes

class FirstRunTest : ScreenTest() {

    private fun throughPassphrase(activity: WelcomeActivity, passphrase: String = "blue river tent morning") {
        activity.type("passphrase", passphrase)
        activity.type("passphrase-again", passphrase)
        activity.click("create")
        waitFor("the recovery code") { activity.has("recovery-code") }
    }

    /** The code's 8 groups as shown ("1. ABCD    2. EFGH" lines). */
    private fun shownGroups(activity: WelcomeActivity): List<String> =
        Regex("\\d\\.  ([0-9A-Z]{4})").findAll(activity.allText()).map { it.groupValues[1] }.toList()

    @Test
    fun first_run_shows_the_recovery_code_once_and_checks_two_groups() {
        val activity = launch<WelcomeActivity>()
        waitFor("the language buttons") { activity.has("lang-en") }
        activity.click("lang-en")
        val welcome = launch<WelcomeActivity>() // after recreate(), in English
        waitFor("the passphrase step") { welcome.has("passphrase") }
        assertTrue(welcome.isSecure(), "FLAG_SECURE on the first run")
        throughPassphrase(welcome)
        val groups = shownGroups(welcome)
        assertEquals(8, groups.size, welcome.allText())

        welcome.click("wrote-it-down")
        val asked = Regex("group (\\d) and group (\\d)").find(welcome.allText())!!.groupValues.drop(1).map { it.toInt() }
        // A typo changes nothing but a message.
        welcome.type("group-a", "ZZZZ")
        welcome.type("group-b", groups[asked[1] - 1])
        welcome.click("check")
        assertTrue(welcome.allText().contains("does not match"), welcome.allText())

        // Lower case and spaces are fine.
        welcome.type("group-a", groups[asked[0] - 1].lowercase().chunked(2).joinToString(" "))
        welcome.type("group-b", groups[asked[1] - 1])
        welcome.click("check")
        waitFor("home") { nextStarted()?.component?.className == HomeActivity::class.java.name }
        assertTrue(Graph.sessionOrNull()!!.isUnlocked)

        // Shown once: a new first-run screen never shows it again, and it is
        // nowhere in the app's files.
        val again = launch<WelcomeActivity>()
        waitFor("the screen") { again.has("passphrase") || again.has("lang-en") }
        assertFalse(again.allText().contains(groups.joinToString("-")))
        assertFalse(containsBytes(File(app.applicationInfo.dataDir), groups.joinToString("-").toByteArray()))
    }

    @Test
    fun arabic_first_run_is_right_to_left_and_in_arabic() {
        language("ar")
        val welcome = launch<WelcomeActivity>()
        waitFor("the passphrase step") { welcome.has("passphrase") }
        assertEquals(View.LAYOUT_DIRECTION_RTL, welcome.view("content")!!.layoutDirection)
        assertTrue(welcome.allText().contains("احفظ وثائقك بأمان"), welcome.allText())
        // A passphrase typed differently twice: a message, no vault.
        welcome.type("passphrase", "نهر أزرق خيمة صباح")
        welcome.type("passphrase-again", "نهر أزرق خيمة")
        welcome.click("create")
        assertTrue(welcome.allText().contains("العبارتان غير متطابقتين"), welcome.allText())
        assertFalse(kotlinx.coroutines.runBlocking { session().hasVault() })
        throughPassphrase(welcome, "نهر أزرق خيمة صباح")
        // The code reads left to right even in Arabic.
        assertEquals(View.LAYOUT_DIRECTION_LTR, welcome.view("recovery-code")!!.layoutDirection)
    }

    @Test
    fun the_strength_hint_follows_typing_without_rules() {
        language("en")
        val welcome = launch<WelcomeActivity>()
        waitFor("the passphrase step") { welcome.has("passphrase") }
        welcome.type("passphrase", "abc")
        assertEquals("Too short", welcome.textOf("strength"))
        welcome.type("passphrase", "correct horse battery staple")
        assertEquals("Very good", welcome.textOf("strength"))
        assertEquals(listOf("ABCD", "EF01"), FirstRunPresenter.groupsOf("abcd-efol"))
    }
}

class UncheckedCodeTest : ScreenTest() {
    @Test
    fun a_code_never_checked_is_replaced_and_shown_after_the_next_unlock() {
        language("en")
        val welcome = launch<WelcomeActivity>()
        waitFor("the passphrase step") { welcome.has("passphrase") }
        welcome.type("passphrase", "blue river tent morning")
        welcome.type("passphrase-again", "blue river tent morning")
        welcome.click("create")
        waitFor("the code") { welcome.has("recovery-code") }
        val first = shownCode(welcome)
        assertEquals(8, first.size)
        // The app is closed here: the code was never checked.
        Graph.reset()
        Graph.kdf = org.waymark.demo.support.TEST_KDF
        val unlock = launch<UnlockActivity>()
        waitFor("the form") { unlock.has("passphrase") }
        unlock.type("passphrase", "blue river tent morning")
        unlock.click("unlock")
        var next: android.content.Intent? = null
        waitFor("the next screen") { next = next ?: nextStarted(); next != null }
        assertEquals(WelcomeActivity::class.java.name, next!!.component?.className)
        val again = launch<WelcomeActivity>(next)
        waitFor("a new code") { again.has("recovery-code") }
        assertEquals(8, shownCode(again).size, again.allText())
        assertTrue(shownCode(again) != first, "a new code")
    }

    private fun shownCode(a: WelcomeActivity): List<String> =
        Regex("\\d\\.  ([0-9A-Z]{4})").findAll(a.allText()).map { it.groupValues[1] }.toList()
}
