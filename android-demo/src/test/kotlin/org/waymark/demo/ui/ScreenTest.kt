package org.waymark.demo.ui

import android.app.Activity
import android.app.AlertDialog
import android.app.Application
import android.content.Intent
import android.content.pm.ApplicationInfo
import android.os.Looper
import android.view.View
import android.widget.EditText
import android.widget.TextView
import java.time.Duration
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Before
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowDialog
import org.waymark.demo.core.Session
import org.waymark.demo.platform.Graph
import org.waymark.demo.support.TEST_KDF

/**
 * One Robolectric sandbox for every test class: the generated bindings
 * register their callbacks (HTTP transport, document streams) with the
 * native library once per process, so a second sandbox (a second class
 * loader: Robolectric makes one per graphics mode) would see its callbacks
 * answered by the first one's objects. Hence native graphics everywhere,
 * as the screenshots need it.
 *
 * Drives the app's Activities under Robolectric (the framework's real
 * code, SDK 34) against the host library through JNA. Every test starts
 * from a fresh application (empty data directories) and a fresh [Graph].
 */
@RunWith(RobolectricTestRunner::class)
@org.robolectric.annotation.GraphicsMode(org.robolectric.annotation.GraphicsMode.Mode.NATIVE)
abstract class ScreenTest {
    protected lateinit var app: Application

    @Before
    fun freshApp() {
        app = RuntimeEnvironment.getApplication()
        // The manifest's android:supportsRtl="true"; Robolectric runs without a manifest.
        app.applicationInfo.flags = app.applicationInfo.flags or ApplicationInfo.FLAG_SUPPORTS_RTL
        Graph.reset()
        Graph.kdf = TEST_KDF
    }

    @After
    fun closeGraph() {
        Graph.reset()
    }

    /** Chooses the app's language as the first run would. */
    protected fun language(tag: String) {
        Graph.settings(app).copy(language = tag).save(Graph.prefs(app))
    }

    protected fun session(): Session = runBlocking { Graph.session(app) }

    /** A vault created (unlocked) with [passphrase], as the first run leaves it. */
    protected fun vaultWith(passphrase: String): Session {
        val s = session()
        runBlocking { s.create(passphrase) }
        return s
    }

    protected val shown = mutableListOf<Activity>()

    protected inline fun <reified A : Activity> launch(intent: Intent? = null): A =
        Robolectric.buildActivity(A::class.java, intent ?: Intent(app, A::class.java)).setup().get().also { shown += it }

    /** Lets the main looper and Waymark's threads work until [condition] holds. */
    protected fun waitFor(what: String, timeoutMs: Long = 20_000, condition: () -> Boolean) {
        val end = System.currentTimeMillis() + timeoutMs
        while (true) {
            // The looper's clock moves with real time, roughly (a typing pause, a delay).
            shadowOf(Looper.getMainLooper()).idleFor(Duration.ofMillis(10))
            if (condition()) return
            if (System.currentTimeMillis() > end) {
                val screen = shown.lastOrNull()?.let { "\nOn screen:\n" + it.allText() } ?: ""
                throw AssertionError("timed out waiting for: $what$screen")
            }
            Thread.sleep(5)
        }
    }

    /** Moves the main looper's clock (countdowns). */
    protected fun advance(seconds: Long) {
        shadowOf(Looper.getMainLooper()).idleFor(Duration.ofSeconds(seconds))
    }

    protected fun Activity.view(tag: String): View? = window.decorView.findViewWithTag(tag)

    protected fun Activity.has(tag: String): Boolean = view(tag)?.isShown == true

    protected fun Activity.textOf(tag: String): String =
        ((view(tag) as? TextView)?.text?.toString() ?: "").replace(Regex("[\u2066-\u2069]"), "")

    protected fun Activity.click(tag: String) {
        val v = view(tag) ?: throw AssertionError("no view tagged $tag")
        check(v.isShown && v.isEnabled) { "$tag is not there to click" }
        v.performClick()
        shadowOf(Looper.getMainLooper()).idle()
    }

    protected fun Activity.type(tag: String, text: String) {
        (view(tag) as? EditText ?: throw AssertionError("no field tagged $tag")).setText(text)
        shadowOf(Looper.getMainLooper()).idle()
    }

    /** Every text shown in the Activity's window. */
    protected fun Activity.allText(): String {
        val out = StringBuilder()
        fun walk(v: View) {
            if (v is TextView && v.isShown) out.append(v.text).append('\n')
            if (v is android.view.ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(window.decorView)
        // Without the bidi isolates the app puts around embedded names.
        return out.toString().replace(Regex("[\u2066-\u2069]"), "")
    }

    /** Presses the confirmation of the dialog on screen. */
    protected fun confirmDialog() {
        val dialog = ShadowDialog.getLatestDialog() as AlertDialog
        dialog.getButton(AlertDialog.BUTTON_POSITIVE).performClick()
        shadowOf(Looper.getMainLooper()).idle()
    }

    protected fun nextStarted(): Intent? = shadowOf(app).nextStartedActivity

    protected fun Activity.isSecure(): Boolean =
        window.attributes.flags and android.view.WindowManager.LayoutParams.FLAG_SECURE != 0
}
