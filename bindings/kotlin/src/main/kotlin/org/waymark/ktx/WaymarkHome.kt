package org.waymark.ktx

import java.io.File
import org.waymark.ContentStore
import org.waymark.HttpTransport
import org.waymark.KdfParams
import org.waymark.NewVault
import org.waymark.Vault
import org.waymark.createVault
import org.waymark.vaultExists
import org.waymark.wipeVaultDir

/**
 * Where Waymark keeps a person's data on this device: the vault in
 * `vault/` and the content in `content/` under [dir] (the same layout as
 * the `waymark` device CLI). Sync goes through `transport`
 * ([UrlConnectionTransport] unless the app passes its own).
 *
 * On Android, use `WaymarkHome.open(context)` (the Android module), which puts
 * it in `noBackupFilesDir/waymark`: private to the app and left out of
 * Android's backups (a copy of the encrypted vault off the phone is one
 * more place to attack it, which a panic wipe cannot reach; the content is
 * public and downloads again). Never shared storage.
 *
 * Opened with [open] (it opens the content store off the caller's thread).
 * Closing it closes the content store; vaults opened from it are handles
 * of their own, closed separately (`use {}`).
 *
 * ```
 * WaymarkHome.open(context).use { home ->   // Android; elsewhere WaymarkHome.open(dir)
 *     val vault = if (home.hasVault()) home.openVault() else home.createVault(passphrase).vault
 *     vault.use { it.unlock(passphrase); it.listDocuments() }
 * }
 * ```
 */
public class WaymarkHome private constructor(
    /** The directory that holds `vault/` and `content/`. */
    public val dir: File,
    /**
     * The installed content: trust store, packs, search, sync (over the
     * transport given to [open], by default the platform's
     * `HttpURLConnection`).
     */
    public val content: ContentStore,
) : AutoCloseable {
    /** The vault's directory. */
    public val vaultDir: File = File(dir, "vault")

    public companion object {
        /**
         * Opens (or creates) the content store under [dir]; its syncs go
         * through [transport]. The vault is opened separately.
         */
        public suspend fun open(dir: File, transport: HttpTransport = UrlConnectionTransport()): WaymarkHome =
            WaymarkHome(dir, ContentStore.open(File(dir, "content").path, transport))
    }

    /** True if a vault exists here. */
    public suspend fun hasVault(): Boolean = vaultExists(vaultDir.path)

    /**
     * Creates the vault, unlocked, with its recovery code (show it once).
     * Leave [kdf] `null` except in tests.
     */
    public suspend fun createVault(passphrase: String, kdf: KdfParams? = null): NewVault =
        createVault(vaultDir.path, passphrase, kdf)

    /** Opens the vault, locked. */
    public suspend fun openVault(): Vault = Vault.open(vaultDir.path)

    /**
     * The panic button: wipes the vault without its passphrase (keys
     * first, then files). Close any open [Vault] handle first.
     */
    public suspend fun wipeVault(): Unit = wipeVaultDir(vaultDir.path)

    /** Closes the content store (not the vaults opened from here). */
    override fun close() {
        content.close()
    }
}
