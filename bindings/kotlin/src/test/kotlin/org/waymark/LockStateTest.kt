package org.waymark

import java.time.Duration
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import org.waymark.ktx.lockStateIn
import org.waymark.ktx.lockStates
import kotlin.test.assertEquals

class LockStateTest {
    private val passphrase = "correct horse battery"

    @Test
    fun `the flow hears the auto-lock timer lock the vault with no call made`(): Unit = runBlocking {
        createVault(tempDir("lock").path, passphrase, TEST_KDF).vault.use { vault ->
            // Listening before the timer is set (the first state heard says
            // the listener is in place): on a loaded machine 200 ms can pass
            // before a flow collected afterwards would begin.
            val states = Channel<LockState>(Channel.UNLIMITED)
            val listening = launch(Dispatchers.Default) { vault.lockStates().collect { states.send(it) } }
            try {
                assertEquals(LockState.Unlocked, withTimeout(10_000) { states.receive() })
                vault.setAutoLock(Duration.ofMillis(200))
                assertEquals(LockState.Locked(LockReason.AUTO_LOCK), withTimeout(10_000) { states.receive() })
            } finally {
                listening.cancel()
            }
        }
    }

    @Test
    fun `a state flow follows unlock, lock by the user and wipe`(): Unit = runBlocking {
        val dir = tempDir("lock")
        createVault(dir.path, passphrase, TEST_KDF).vault.close()
        val screen = CoroutineScope(Dispatchers.Default)
        try {
            Vault.open(dir.path).use { vault ->
                val state = vault.lockStateIn(screen)
                assertEquals(LockState.Locked(LockReason.OPENED), state.value)
                vault.unlock(passphrase)
                withTimeout(10_000) { state.first { it == LockState.Unlocked } }
                vault.lock()
                withTimeout(10_000) { state.first { it == LockState.Locked(LockReason.USER) } }
                vault.wipe()
                withTimeout(10_000) { state.first { it == LockState.Locked(LockReason.WIPED) } }
            }
        } finally {
            screen.cancel()
        }
    }
}
