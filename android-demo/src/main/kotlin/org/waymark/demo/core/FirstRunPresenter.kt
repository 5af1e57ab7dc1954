package org.waymark.demo.core

import kotlin.random.Random
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch

/** The first run's steps, in order. */
public enum class FirstRunStep { LANGUAGE, PASSPHRASE, CREATING, SHOW_CODE, CHECK_CODE, BIOMETRIC, DONE }

/** What the first-run screen shows. */
public data class FirstRunState(
    val step: FirstRunStep = FirstRunStep.LANGUAGE,
    val strength: Strength = Strength.TOO_SHORT,
    val notice: Notice? = null,
    /** The recovery code while it is being shown and checked; dropped once checked. */
    val recoveryCode: String? = null,
    /** The two groups (1-based) the person re-types to show they wrote the code down. */
    val checkGroups: Pair<Int, Int>? = null,
)

/**
 * First run: language, passphrase (with a strength hint), the vault
 * created, the recovery code shown once and checked by re-typing two of its
 * groups, then the optional biometric unlock.
 */
public class FirstRunPresenter(
    private val session: Session,
    scope: CoroutineScope,
    private val biometricAvailable: Boolean,
    private val random: Random = Random.Default,
) : Presenter<FirstRunState>(FirstRunState(), scope) {

    /** The language was chosen (the Activity stores it). */
    public fun languageChosen() {
        update { it.copy(step = FirstRunStep.PASSPHRASE, notice = null) }
    }

    /** The passphrase field changed: update the hint. */
    public fun passphraseTyped(passphrase: String) {
        update { it.copy(strength = Strength.of(passphrase), notice = null) }
    }

    /** Creates the vault with [passphrase], typed twice. */
    public fun create(passphrase: String, again: String) {
        if (current.step != FirstRunStep.PASSPHRASE) return
        when {
            Strength.of(passphrase) == Strength.TOO_SHORT ->
                return update { it.copy(notice = said(Notice.What.TOO_SHORT)) }
            passphrase != again ->
                return update { it.copy(notice = said(Notice.What.PASSPHRASES_DIFFER)) }
        }
        update { it.copy(step = FirstRunStep.CREATING, notice = null) }
        scope.launch {
            try {
                val code = session.create(passphrase)
                update { it.copy(step = FirstRunStep.SHOW_CODE, recoveryCode = code) }
            } catch (e: Exception) {
                update { it.copy(step = FirstRunStep.PASSPHRASE, notice = failed(e)) }
            }
        }
    }

    /**
     * The code was never checked (the app was closed while it showed):
     * with the vault unlocked, a new code replaces it (the old one stops
     * working) and is shown and checked as on the first run.
     */
    public fun newCode() {
        update { it.copy(step = FirstRunStep.CREATING, notice = null) }
        scope.launch {
            try {
                val vault = session.vault ?: throw org.waymark.WaymarkException.Locked()
                val code = vault.regenerateRecoveryCode()
                update { it.copy(step = FirstRunStep.SHOW_CODE, recoveryCode = code) }
            } catch (e: Exception) {
                update { it.copy(step = FirstRunStep.DONE, notice = failed(e)) }
            }
        }
    }

    /** "I wrote it down": ask for two groups of it, chosen at random. */
    public fun wroteItDown() {
        if (current.step != FirstRunStep.SHOW_CODE) return
        val groups = groupsOf(current.recoveryCode ?: return).size
        val a = random.nextInt(groups) + 1
        var b = random.nextInt(groups - 1) + 1
        if (b >= a) b++
        update { it.copy(step = FirstRunStep.CHECK_CODE, checkGroups = minOf(a, b) to maxOf(a, b), notice = null) }
    }

    /** Back from the check to the code (it is shown until it was checked). */
    public fun showCodeAgain() {
        if (current.step == FirstRunStep.CHECK_CODE) update { it.copy(step = FirstRunStep.SHOW_CODE, notice = null) }
    }

    /** The two groups as typed. */
    public fun check(first: String, second: String) {
        val state = current
        val code = state.recoveryCode ?: return
        val (a, b) = state.checkGroups ?: return
        val groups = groupsOf(code)
        if (normalize(first) == groups[a - 1] && normalize(second) == groups[b - 1]) {
            // The code leaves memory: it is never shown again.
            update {
                it.copy(
                    step = if (biometricAvailable) FirstRunStep.BIOMETRIC else FirstRunStep.DONE,
                    recoveryCode = null, checkGroups = null, notice = null,
                )
            }
        } else {
            update { it.copy(notice = said(Notice.What.RECOVERY_MISMATCH)) }
        }
    }

    /** The biometric step is over (turned on or not). */
    public fun biometricDone() {
        update { it.copy(step = FirstRunStep.DONE, notice = null) }
    }

    public companion object {
        /** The code's groups (`ABCD-EFGH-…`). */
        public fun groupsOf(code: String): List<String> = code.split('-').map { normalize(it) }

        /**
         * A group as the person may type it: any case, spaces, and the
         * letters Crockford base32 reads as digits (O as 0, I and L as 1).
         */
        public fun normalize(text: String): String =
            text.uppercase().filter { !it.isWhitespace() && it != '-' }
                .replace('O', '0').replace('I', '1').replace('L', '1')
    }
}
