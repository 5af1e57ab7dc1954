package org.waymark.demo.core

import java.io.File
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.waymark.ContentStoreInterface
import org.waymark.KdfParams
import org.waymark.Vault
import org.waymark.VaultInterface
import org.waymark.createVault
import org.waymark.vaultExists
import org.waymark.wipeVaultDir

/**
 * The app's one handle on the person's data: the content store and the
 * vault (opened once, locked or not). Lives as long as the process.
 *
 * @param kdf the vault's Argon2id parameters: null (the phone setting,
 *   about a second on a low-end phone) except in tests.
 */
public class Session(
    public val content: ContentStoreInterface,
    private val vaultDir: File,
    private val kdf: KdfParams? = null,
) {
    private val mutex = Mutex()
    private var handle: Vault? = null

    /** The vault if it was opened, else null. */
    public val vault: VaultInterface? get() = handle

    /** True when the vault is open and unlocked. */
    public val isUnlocked: Boolean get() = handle?.isUnlocked() == true

    /** True if a vault exists (first run is over). */
    public suspend fun hasVault(): Boolean = vaultExists(vaultDir.path)

    /** Creates the vault, unlocked, and returns its recovery code (to show once). */
    public suspend fun create(passphrase: String): String = mutex.withLock {
        val created = createVault(vaultDir.path, passphrase, kdf)
        handle?.close()
        handle = created.vault
        created.recoveryCode
    }

    /** The vault, opened (locked) on first use. */
    public suspend fun openVault(): VaultInterface = mutex.withLock {
        handle ?: Vault.open(vaultDir.path).also { handle = it }
    }

    /** Forgets the vault's keys now. */
    public fun lock() {
        handle?.lock()
    }

    /**
     * The panic button: destroys the vault's keys, then its files, without
     * the passphrase. Leaves no vault behind (the next start is a first run).
     */
    public suspend fun wipe(): Unit = mutex.withLock {
        val open = handle
        handle = null
        if (open != null) {
            runCatching { open.wipe() }
            open.close()
        }
        wipeVaultDir(vaultDir.path)
    }
}
