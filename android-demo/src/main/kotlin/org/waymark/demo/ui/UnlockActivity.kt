package org.waymark.demo.ui

import android.content.Intent
import android.view.View
import android.widget.Button
import android.widget.TextView
import org.waymark.demo.core.UnlockPresenter
import org.waymark.demo.core.UnlockState
import org.waymark.demo.platform.Biometrics

/**
 * Unlock: the passphrase, a live countdown after wrong ones, recovery
 * with the code, fingerprint where it was turned on, and the panic wipe
 * two taps away (the button, then one confirmation).
 */
public class UnlockActivity : Screen() {
    override val needsUnlock: Boolean = false
    private lateinit var presenter: UnlockPresenter
    private var shownRecovering: Boolean? = null
    private lateinit var status: TextView
    private var openButton: Button? = null

    override fun build() {
        header(texts.unlockTitle, back = false)
        withSession { session ->
            presenter = UnlockPresenter(session, scope)
            presenter.state.collect { render(it) }
        }
    }

    private fun render(state: UnlockState) {
        if (state.unlocked) {
            val pending = org.waymark.demo.platform.Graph.prefs(this).string(RECOVERY_PENDING) == "true"
            startActivity(
                if (pending) Intent(this, WelcomeActivity::class.java).putExtra(EXTRA_NEW_CODE, true)
                else Intent(this, HomeActivity::class.java),
            )
            finish()
            return
        }
        if (state.wiped) {
            toast(texts.erased)
            startActivity(Intent(this, WelcomeActivity::class.java))
            finish()
            return
        }
        if (state.recovering != shownRecovering) {
            shownRecovering = state.recovering
            content.removeAllViews()
            status = text("", bold = true, color = Style.DANGER, tag = "status")
            if (state.recovering) recoveryForm() else passphraseForm()
            content.add(status, 12)
            content.add(button(texts.information, tag = "information", filled = false) {
                startActivity(Intent(this, SearchActivity::class.java))
            }, 24)
            content.add(button(texts.eraseEverything, tag = "erase", color = Style.DANGER, filled = false) { askErase() }, 48)
        }
        val lines = mutableListOf<String>()
        if (state.attempts > 0) lines += texts.wrongPassphrase(state.attempts)
        if (state.waitSeconds > 0) lines += texts.waitSeconds(state.waitSeconds)
        state.notice?.let { lines += words(it) }
        if (state.busy) lines += texts.working
        status.text = lines.joinToString("\n")
        status.setTextColor(if (state.busy && lines.size == 1) Style.MUTED else Style.DANGER)
        openButton?.isEnabled = !state.busy && state.waitSeconds == 0L
        openButton?.alpha = if (openButton?.isEnabled == true) 1f else 0.5f
    }

    private fun passphraseForm() {
        val passphrase = field(texts.passphrase, "passphrase", secret = true)
        content.add(passphrase, 16)
        openButton = button(texts.open, tag = "unlock") {
            presenter.unlock(passphrase.value())
            passphrase.setText("")
        }
        content.add(openButton!!, 16)
        if (Biometrics.enabled(this)) {
            content.add(
                button(texts.biometricYes, tag = "fingerprint", filled = false) {
                    Biometrics.unlock(this, texts) { opened ->
                        if (opened) {
                            startActivity(Intent(this, HomeActivity::class.java))
                            finish()
                        }
                    }
                },
            )
        }
        content.add(button(texts.forgotPassphrase, tag = "forgot", filled = false) { presenter.recovering(true) }, 16)
    }

    private fun recoveryForm() {
        content.add(text(texts.recoveryCode, bold = true), 16)
        // Several lines: the code wraps instead of scrolling out of sight.
        val code = field("XXXX-XXXX-…", "recovery-code", singleLine = false).apply {
            layoutDirection = View.LAYOUT_DIRECTION_LTR
            textDirection = View.TEXT_DIRECTION_LTR
        }
        content.add(code, 4)
        val fresh = field(texts.newPassphrase, "new-passphrase", secret = true)
        content.add(fresh)
        openButton = button(texts.openWithCode, tag = "recover") { presenter.recover(code.value(), fresh.value()) }
        content.add(openButton!!, 16)
        content.add(button(texts.back, tag = "back-to-passphrase", filled = false) { presenter.recovering(false) })
    }

    private fun askErase() {
        confirm(texts.eraseTitle, texts.eraseBody, texts.eraseNow) {
            Biometrics.forget(this)
            presenter.wipe()
        }
    }
}
