package org.waymark.demo.core

import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import org.waymark.VaultInterface

/** What the settings screen shows. */
public data class SettingsState(
    val settings: AppSettings,
    val busy: Boolean = false,
    val notice: Notice? = null,
    val wiped: Boolean = false,
)

/**
 * Settings and safety: auto-lock, lock on leaving, the duress passphrase,
 * data budget, background sync, Orbot, language, and the panic wipe.
 * Choices are saved at once.
 */
public class SettingsPresenter(
    private val session: Session,
    private val prefs: Prefs,
    scope: CoroutineScope,
) : Presenter<SettingsState>(SettingsState(AppSettings.load(prefs)), scope) {

    /** Changes and saves the settings; the vault's auto-lock follows. */
    public fun change(change: (AppSettings) -> AppSettings) {
        val before = current.settings
        val after = change(before)
        after.save(prefs)
        update { it.copy(settings = after, notice = null) }
        runCatching { session.content.setSyncSettings(after.syncSettings()) }
        if (after.autoLockMinutes != before.autoLockMinutes) {
            val vault: VaultInterface = session.vault ?: return
            scope.launch {
                try {
                    vault.setAutoLock(after.autoLockMinutes.minutes.toJavaDuration())
                } catch (e: Exception) {
                    update { it.copy(notice = failed(e)) }
                }
            }
        }
    }

    /** Sets the duress passphrase (it opens an empty decoy vault). */
    public fun setDuress(passphrase: String) {
        val vault = session.vault ?: return
        if (Strength.of(passphrase) == Strength.TOO_SHORT) return update { it.copy(notice = said(Notice.What.TOO_SHORT)) }
        update { it.copy(busy = true, notice = null) }
        scope.launch {
            try {
                vault.setDuressPassphrase(passphrase, false)
                update { it.copy(busy = false, notice = said(Notice.What.DURESS_SET)) }
            } catch (e: Exception) {
                update { it.copy(busy = false, notice = failed(e)) }
            }
        }
    }

    /** The panic wipe. */
    public fun wipe() {
        update { it.copy(busy = true) }
        scope.launch {
            try {
                session.wipe()
                update { it.copy(busy = false, wiped = true, notice = said(Notice.What.ERASED)) }
            } catch (e: Exception) {
                update { it.copy(busy = false, notice = failed(e)) }
            }
        }
    }
}

private fun kotlin.time.Duration.toJavaDuration(): java.time.Duration = java.time.Duration.ofMillis(inWholeMilliseconds)
