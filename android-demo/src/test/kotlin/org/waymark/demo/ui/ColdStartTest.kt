package org.waymark.demo.ui

import kotlin.test.assertEquals
import org.junit.Test
import org.robolectric.Robolectric

/**
 * A figure to watch, not a budget: the launcher Activity created, the
 * content store opened (`WaymarkHome.open`), the vault looked for, and the
 * first screen (the language choice) built and laid out. Printed as
 * `cold start to first screen: N ms` (scripts/android-test shows it).
 */
class ColdStartTest : ScreenTest() {
    @Test
    fun the_launcher_reaches_the_first_screen() {
        // Twice: the first launch loads the app's classes; whether Robolectric
        // and the native library are loaded already depends on the test order.
        println("cold start to first screen: ${launchOnce()} ms (first launch in this test)")
        org.waymark.demo.platform.Graph.reset()
        started = null
        println("cold start to first screen: ${launchOnce()} ms (second launch, the app's classes loaded)")
    }

    private fun launchOnce(): Long {
        val start = System.nanoTime()
        Robolectric.buildActivity(MainActivity::class.java).setup()
        waitFor("the launcher's choice") { shadowNext() != null }
        val next = shadowNext()!!
        assertEquals(WelcomeActivity::class.java.name, next.component?.className)
        val welcome = Robolectric.buildActivity(WelcomeActivity::class.java, next).setup().get()
        waitFor("the language buttons") { welcome.has("lang-en") }
        welcome.window.decorView.let { it.measure(0, 0); it.layout(0, 0, it.measuredWidth, it.measuredHeight) }
        return (System.nanoTime() - start) / 1_000_000
    }

    private var started: android.content.Intent? = null

    private fun shadowNext(): android.content.Intent? {
        if (started == null) started = nextStarted()
        return started
    }
}
