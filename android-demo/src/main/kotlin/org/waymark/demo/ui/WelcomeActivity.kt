package org.waymark.demo.ui

import android.content.Intent
import android.text.Editable
import android.text.TextWatcher
import android.widget.EditText
import android.widget.TextView
import kotlinx.coroutines.launch
import org.waymark.demo.core.FirstRunPresenter
import org.waymark.demo.core.FirstRunState
import org.waymark.demo.core.FirstRunStep
import org.waymark.demo.core.Strength
import org.waymark.demo.i18n.Language
import org.waymark.demo.platform.Biometrics
import org.waymark.demo.platform.Graph

/**
 * First run: the language, the passphrase, the recovery code shown once and
 * checked, the optional fingerprint unlock. Secure: the code must not end
 * up in a screenshot or the recents list.
 */
public class WelcomeActivity : Screen() {
    override val needsUnlock: Boolean = false
    private lateinit var presenter: FirstRunPresenter
    private var shownStep: FirstRunStep? = null
    private var strengthView: TextView? = null

    override fun build() {
        withSession { session ->
            presenter = Graph.firstRun ?: FirstRunPresenter(session, Graph.appScope, Biometrics.available(this)).also {
                Graph.firstRun = it
                if (intent.getBooleanExtra(EXTRA_NEW_CODE, false) && session.isUnlocked) it.newCode()
            }
            if (Graph.settings(this).language != null && presenter.state.value.step == FirstRunStep.LANGUAGE) presenter.languageChosen()
            presenter.state.collect { render(it) }
        }
    }

    private fun render(state: FirstRunState) {
        if (state.step != shownStep) {
            shownStep = state.step
            content.removeAllViews()
            strengthView = null
            when (state.step) {
                FirstRunStep.LANGUAGE -> languageStep()
                FirstRunStep.PASSPHRASE -> passphraseStep()
                FirstRunStep.CREATING -> {
                    header(texts.welcomeTitle, back = false)
                    content.add(text(texts.working, tag = "working"))
                }
                FirstRunStep.SHOW_CODE -> {
                    // Until it is checked, the next unlock shows a new one.
                    pending(true)
                    codeStep(state.recoveryCode ?: "")
                }
                FirstRunStep.CHECK_CODE -> checkStep(state.checkGroups ?: (1 to 2))
                FirstRunStep.BIOMETRIC -> biometricStep()
                FirstRunStep.DONE -> {
                    if (state.notice == null) pending(false)
                    Graph.firstRun = null
                    startActivity(Intent(this, HomeActivity::class.java))
                    finish()
                    return
                }
            }
        }
        strengthView?.text = when (state.strength) {
            Strength.TOO_SHORT -> texts.strengthTooShort
            Strength.WEAK -> texts.strengthWeak
            Strength.FAIR -> texts.strengthFair
            Strength.STRONG -> texts.strengthStrong
        }
        strengthView?.setTextColor(if (state.strength >= Strength.FAIR) Style.PRIMARY else Style.WARNING)
        content.findViewWithTag<android.view.View>("notice")?.let { content.removeView(it) }
        noticeView(state.notice)?.let { content.addView(it, 1) }
    }

    private fun pending(on: Boolean) {
        Graph.prefs(this).putString(RECOVERY_PENDING, on.toString())
    }

    private fun languageStep() {
        header(texts.chooseLanguage, back = false)
        content.add(text("Choose your language · اختر لغتك · زبان خود را انتخاب کنید · ቋንቋኻ ምረጽ · Choisissez votre langue", color = Style.MUTED))
        for (lang in Language.entries) {
            content.add(
                button(lang.nativeName, tag = "lang-${lang.tag}", filled = false) {
                    val prefs = Graph.prefs(this)
                    Graph.settings(this).copy(language = lang.tag).save(prefs)
                    withSession { session ->
                        if (session.hasVault()) {
                            // Only the settings were lost: the vault is there.
                            startActivity(Intent(this, UnlockActivity::class.java))
                            finish()
                        } else {
                            presenter.languageChosen()
                            // The whole screen in the chosen language and direction.
                            recreate()
                        }
                    }
                },
            )
        }
    }

    private fun passphraseStep() {
        header(texts.welcomeTitle, back = false)
        content.add(text(texts.welcomeBody))
        content.add(text(texts.choosePassphrase, bold = true), 20)
        content.add(text(texts.passphraseAdvice, Style.SMALL_SP, Style.MUTED), 4)
        val first = field(texts.passphrase, "passphrase", secret = true)
        content.add(first)
        strengthView = text("", Style.SMALL_SP, Style.WARNING, bold = true, tag = "strength")
        content.add(strengthView!!, 4)
        val again = field(texts.passphraseAgain, "passphrase-again", secret = true)
        content.add(again)
        first.addTextChangedListener(watcher { presenter.passphraseTyped(it) })
        content.add(button(texts.createSafe, tag = "create") { presenter.create(first.text.toString(), again.text.toString()) }, 20)
    }

    private fun codeStep(code: String) {
        header(texts.recoveryTitle, back = false)
        content.add(text(texts.recoveryBody))
        val groups = code.split('-')
        val shown = card(tag = "recovery-code") {
            // Left to right in every language: it is a code, read group by group.
            layoutDirection = android.view.View.LAYOUT_DIRECTION_LTR
            // One group a line, numbered: easy to copy, and to find group N.
            for ((i, g) in groups.withIndex()) {
                addView(text("${i + 1}.  $g", 24f, bold = true).apply { typeface = android.graphics.Typeface.MONOSPACE })
            }
        }
        content.add(shown, 16)
        content.add(button(texts.iWroteItDown, tag = "wrote-it-down") { presenter.wroteItDown() }, 20)
    }

    private fun checkStep(groups: Pair<Int, Int>) {
        header(texts.recoveryCheckTitle, back = false)
        content.add(text(texts.recoveryCheckBody(groups.first, groups.second)))
        val a = field(texts.group(groups.first), "group-a")
        val b = field(texts.group(groups.second), "group-b")
        content.add(a, 16)
        content.add(b)
        content.add(button(texts.next, tag = "check") { presenter.check(a.text.toString(), b.text.toString()) }, 20)
        content.add(button(texts.back, tag = "show-again", filled = false) { presenter.showCodeAgain() })
    }

    private fun biometricStep() {
        header(texts.biometricTitle, back = false)
        content.add(text(texts.biometricBody))
        content.add(
            button(texts.biometricYes, tag = "biometric-yes") {
                Biometrics.enable(this, texts) { presenter.biometricDone() }
            },
            20,
        )
        content.add(button(texts.notNow, tag = "biometric-no", filled = false) { presenter.biometricDone() })
    }
}

/** The intent extra asking for a new recovery code (the last one was never checked). */
internal const val EXTRA_NEW_CODE = "org.waymark.demo.NEW_CODE"

/** The setting that says a recovery code was shown but not checked. */
internal const val RECOVERY_PENDING = "recoveryPending"

internal fun watcher(onText: (String) -> Unit): TextWatcher = object : TextWatcher {
    override fun beforeTextChanged(s: CharSequence?, start: Int, count: Int, after: Int) = Unit
    override fun onTextChanged(s: CharSequence?, start: Int, before: Int, count: Int) = Unit
    override fun afterTextChanged(s: Editable?) = onText(s?.toString() ?: "")
}

internal fun EditText.value(): String = text.toString()
