package org.waymark.demo.ui

import android.app.Activity
import android.content.Intent
import android.os.Bundle
import android.view.WindowManager
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.waymark.demo.platform.Graph

/**
 * The launcher: sends the person to the first run, the unlock screen or
 * home, and closes. Draws nothing (cold start reaches the first real
 * screen after one vault-exists check).
 */
public class MainActivity : Activity() {
    private val scope = MainScope()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        scope.launch {
            val session = Graph.session(this@MainActivity)
            val next = when {
                Graph.settings(this@MainActivity).language == null || !session.hasVault() -> WelcomeActivity::class.java
                session.isUnlocked -> HomeActivity::class.java
                else -> UnlockActivity::class.java
            }
            startActivity(Intent(this@MainActivity, next))
            finish()
        }
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }
}
