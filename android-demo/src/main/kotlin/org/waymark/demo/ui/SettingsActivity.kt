package org.waymark.demo.ui

import android.content.Intent
import android.widget.CheckBox
import android.widget.LinearLayout
import org.waymark.demo.core.AppSettings
import org.waymark.demo.core.SettingsPresenter
import org.waymark.demo.core.SettingsState
import org.waymark.demo.core.SyncPresenter
import org.waymark.demo.i18n.Language
import org.waymark.demo.platform.Biometrics
import org.waymark.demo.platform.Graph
import org.waymark.demo.platform.SyncScheduler

/**
 * Settings and safety: auto-lock, locking when the app leaves the screen,
 * the duress passphrase, the data limit, background update (Wi-Fi and
 * charging by default), Orbot, the language, what the app never does, and
 * the panic wipe (one confirmation).
 */
public class SettingsActivity : Screen() {
    private lateinit var presenter: SettingsPresenter
    private lateinit var body: LinearLayout
    private var built = false

    override fun build() {
        header(texts.settings)
        body = column().apply { tag = "settings-body" }
        content.add(body, 0)
        withSession { session ->
            presenter = SettingsPresenter(session, Graph.prefs(this), scope)
            presenter.state.collect { render(it) }
        }
    }

    private fun render(state: SettingsState) {
        if (state.wiped) {
            toast(texts.erased)
            startActivity(Intent(this, WelcomeActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_CLEAR_TASK or Intent.FLAG_ACTIVITY_NEW_TASK))
            finish()
            return
        }
        val s = state.settings
        body.findViewWithTag<android.view.View>("notice")?.let { body.removeView(it) }
        if (built) {
            noticeView(state.notice)?.let { body.addView(it, 0) }
            return
        }
        built = true
        noticeView(state.notice)?.let { body.addView(it, 0) }

        body.add(text(texts.autoLock, bold = true), 8)
        choices(AppSettings.AUTO_LOCK_CHOICES.map { m ->
            button(texts.minutes(m), tag = "autolock-$m", filled = m == s.autoLockMinutes) {
                presenter.change { it.copy(autoLockMinutes = m) }
                rebuild()
            }
        })
        body.add(check(texts.lockOnLeave, "lock-on-leave", s.lockOnLeave) { on -> presenter.change { it.copy(lockOnLeave = on) } }, 8)

        body.add(title(texts.duressTitle), 20)
        body.add(text(texts.duressBody, Style.SMALL_SP, Style.MUTED), 4)
        val duress = field(texts.passphrase, "duress", secret = true)
        body.add(duress)
        body.add(button(texts.setDuress, tag = "set-duress", filled = false) {
            presenter.setDuress(duress.value())
            duress.setText("")
        })

        body.add(title(texts.update), 20)
        body.add(text(texts.dataLimit, bold = true), 8)
        choices(AppSettings.BUDGET_CHOICES.map { b ->
            button(b?.let { SyncPresenter.size(it) } ?: texts.noLimit, tag = "budget-${b ?: "none"}", filled = b == s.budgetBytes) {
                presenter.change { it.copy(budgetBytes = b) }
                rebuild()
            }
        })
        body.add(check(texts.backgroundUpdate, "background", s.backgroundSync) { on -> changeSync { it.copy(backgroundSync = on) } }, 8)
        body.add(check(texts.onlyWifi, "only-wifi", s.syncUnmeteredOnly) { on -> changeSync { it.copy(syncUnmeteredOnly = on) } })
        body.add(check(texts.onlyCharging, "only-charging", s.syncChargingOnly) { on -> changeSync { it.copy(syncChargingOnly = on) } })
        body.add(check(texts.useOrbot, "orbot", s.useOrbot) { on -> presenter.change { it.copy(useOrbot = on) } })

        body.add(title(texts.language), 20)
        for (lang in Language.entries) {
            body.add(button(lang.nativeName, tag = "language-${lang.tag}", filled = lang == language) {
                presenter.change { it.copy(language = lang.tag) }
                recreate()
            }, 6)
        }

        body.add(title(texts.neverTitle), 20)
        body.add(text(texts.neverBody, tag = "never"), 4)

        body.add(button(texts.eraseEverything, tag = "erase", color = Style.DANGER) {
            confirm(texts.eraseTitle, texts.eraseBody, texts.eraseNow) {
                Biometrics.forget(this)
                presenter.wipe()
            }
        }, 28)
    }

    /** Choices two to a row: wide enough for large text in every language. */
    private fun choices(buttons: List<android.widget.Button>) {
        for (pair in buttons.chunked(2)) {
            val line = row()
            for ((i, b) in pair.withIndex()) {
                line.addView(b, LinearLayout.LayoutParams(0, LinearLayout.LayoutParams.WRAP_CONTENT, 1f).apply { if (i == 0) marginEnd = dp(8) })
            }
            if (pair.size == 1) line.addView(android.view.View(this), LinearLayout.LayoutParams(0, 1, 1f))
            body.add(line, 6)
        }
    }

    private fun changeSync(change: (AppSettings) -> AppSettings) {
        presenter.change(change)
        SyncScheduler.apply(this, presenter.state.value.settings)
    }

    private fun rebuild() {
        built = false
        body.removeAllViews()
        render(presenter.state.value)
    }

    private fun check(label: String, tag: String, checked: Boolean, onChange: (Boolean) -> Unit) = CheckBox(this).apply {
        text = label
        textSize = Style.BODY_SP
        setTextColor(Style.TEXT)
        isChecked = checked
        minHeight = dp(Style.TOUCH_DP)
        this.tag = tag
        setOnCheckedChangeListener { _, on -> onChange(on) }
    }
}
