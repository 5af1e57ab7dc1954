package org.waymark.demo.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.waymark.WaymarkException

/** What the unlock screen shows. */
public data class UnlockState(
    val busy: Boolean = false,
    /** Failed attempts in a row, as the vault counts them (0: none shown). */
    val attempts: Int = 0,
    /** Seconds before the next attempt is accepted, counting down. */
    val waitSeconds: Long = 0,
    val recovering: Boolean = false,
    val notice: Notice? = null,
    val unlocked: Boolean = false,
    /** The vault is gone (panic wipe, or wiped after too many failures). */
    val wiped: Boolean = false,
)

/**
 * Unlock: the passphrase (a duress passphrase opens the decoy through the
 * same path: nothing here can tell them apart), the recovery code, and the
 * panic wipe. A wrong passphrase shows the attempts and a live countdown of
 * the vault's retry delay.
 */
public class UnlockPresenter(
    private val session: Session,
    scope: CoroutineScope,
) : Presenter<UnlockState>(UnlockState(), scope) {
    private var countdown: Job? = null

    /** Tries [passphrase]. */
    public fun unlock(passphrase: String) {
        if (current.busy || current.waitSeconds > 0) return
        update { it.copy(busy = true, notice = null) }
        scope.launch {
            try {
                session.openVault().unlock(passphrase)
                update { it.copy(busy = false, unlocked = true, attempts = 0) }
            } catch (e: Exception) {
                refused(e, recovering = false)
            }
        }
    }

    /** Shows (or hides) the recovery form. */
    public fun recovering(on: Boolean) {
        update { it.copy(recovering = on, notice = null) }
    }

    /** Opens the vault with the recovery code and sets [newPassphrase]. */
    public fun recover(code: String, newPassphrase: String) {
        if (current.busy) return
        if (Strength.of(newPassphrase) == Strength.TOO_SHORT) {
            return update { it.copy(notice = said(Notice.What.TOO_SHORT)) }
        }
        update { it.copy(busy = true, notice = null) }
        scope.launch {
            try {
                session.openVault().unlockWithRecoveryCode(code, newPassphrase)
                update { it.copy(busy = false, unlocked = true, attempts = 0) }
            } catch (e: Exception) {
                refused(e, recovering = true)
            }
        }
    }

    /** The panic button: erases the vault without its passphrase. */
    public fun wipe() {
        countdown?.cancel()
        update { it.copy(busy = true, notice = null) }
        scope.launch {
            try {
                session.wipe()
                update { UnlockState(wiped = true, notice = said(Notice.What.ERASED)) }
            } catch (e: Exception) {
                update { it.copy(busy = false, notice = failed(e)) }
            }
        }
    }

    private fun refused(e: Exception, recovering: Boolean) {
        when (e) {
            is WaymarkException.WrongPassphrase -> {
                update { it.copy(busy = false, attempts = e.attempts, notice = if (recovering) said(Notice.What.RECOVERY_INVALID) else null) }
                countDown(e.retryAfterSeconds)
            }
            is WaymarkException.TooManyAttempts -> {
                update { it.copy(busy = false) }
                countDown(e.retryAfterSeconds)
            }
            // Wiped after too many failures (the person's own setting).
            is WaymarkException.NotFound -> update { UnlockState(wiped = true) }
            is WaymarkException.InvalidInput ->
                update { it.copy(busy = false, notice = said(if (recovering) Notice.What.RECOVERY_INVALID else Notice.What.TOO_SHORT)) }
            else -> update { it.copy(busy = false, notice = failed(e)) }
        }
    }

    private fun countDown(seconds: Long) {
        countdown?.cancel()
        if (seconds <= 0) return update { it.copy(waitSeconds = 0) }
        countdown = scope.launch {
            var left = seconds
            while (left > 0) {
                update { it.copy(waitSeconds = left) }
                delay(1000)
                left--
            }
            update { it.copy(waitSeconds = 0) }
        }
    }
}
