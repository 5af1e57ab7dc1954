//! The document vault: [`Vault`], and [`PlatformKeystore`], the foreign
//! trait through which the app lends Waymark a secret held by Android
//! Keystore or the iOS Keychain.
//!
//! Calls that derive a key (create, unlock, passphrase change, duress) take
//! about a second on purpose, and calls that move document content scale
//! with its size: those are `async` and run on a background thread. The
//! rest are quick and synchronous.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use waymark_core::vault::{self as core, RecoveryCode, VaultOptions};

use crate::document::{
    DocumentInfo, DocumentMetadata, ExpiryReminder, KdfParams, VaultSettings, document_id,
};
use crate::error::{Result, WaymarkError};
use crate::task::{blocking, blocking_ffi};

/// Gives Waymark a 32-byte secret guarded by the platform keystore, for
/// unlocking without typing the passphrase.
///
/// The app implements it (Kotlin: a class implementing `PlatformKeystore`;
/// Swift: a type conforming to `PlatformKeystore`).
/// Implementations MUST return the same secret every time for the same
/// installation, and SHOULD require user presence (biometric or device
/// credential) to release it. To refuse (the person cancelled, the key was
/// invalidated), throw `WaymarkError.Keystore` with a reason free of
/// personal data; any other exception becomes `WaymarkError.Internal`.
#[uniffi::export(foreign)]
pub trait PlatformKeystore: Send + Sync {
    /// Returns the secret, creating and storing it on first use: exactly 32
    /// bytes of uniformly random data.
    fn vault_secret(&self) -> Result<Vec<u8>>;
}

/// Lends the app's keystore to the core. A failure the app did not
/// declare (anything but `WaymarkError::Keystore`) is kept aside and
/// becomes the call's error as it was, rather than a keystore refusal.
struct KeystoreAdapter {
    keystore: Arc<dyn PlatformKeystore>,
    unexpected: Mutex<Option<WaymarkError>>,
}

impl KeystoreAdapter {
    /// Runs `call` with the app's keystore lent to the core.
    fn lend<T>(
        keystore: Arc<dyn PlatformKeystore>,
        call: impl FnOnce(&KeystoreAdapter) -> waymark_core::Result<T>,
    ) -> Result<T> {
        let adapter = KeystoreAdapter {
            keystore,
            unexpected: Mutex::new(None),
        };
        call(&adapter).map_err(|e| {
            let unexpected = adapter
                .unexpected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            unexpected.unwrap_or_else(|| e.into())
        })
    }
}

impl core::PlatformKeystore for KeystoreAdapter {
    fn vault_secret(&self) -> std::result::Result<Vec<u8>, core::KeystoreError> {
        self.keystore.vault_secret().map_err(|e| match e {
            WaymarkError::Keystore { reason } => core::KeystoreError { reason },
            other => {
                *self.unexpected.lock().unwrap_or_else(|p| p.into_inner()) = Some(other);
                core::KeystoreError {
                    reason: "the app's keystore failed".into(),
                }
            }
        })
    }
}

/// A vault just created: the open (unlocked) vault and its recovery code.
#[derive(uniffi::Record)]
pub struct NewVault {
    /// The vault, unlocked.
    pub vault: Arc<Vault>,
    /// The recovery code: show it to the person once and ask them to write
    /// it down. It is stored nowhere in a readable form.
    pub recovery_code: String,
}

/// An open vault of documents (passport scans, permits, certificates),
/// encrypted at rest.
///
/// Locked until [`Vault::unlock`] (or created unlocked); it locks itself
/// after the auto-lock idle time ([`Vault::set_auto_lock`]). Every method is
/// safe to call from any thread; calls are serialised. Close it (Kotlin
/// `close()`/`use {}`, Swift: drop the last reference) to forget the keys
/// and release the database.
#[derive(uniffi::Object)]
pub struct Vault {
    inner: core::Vault,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

/// True if `dir` holds a vault.
#[uniffi::export]
pub fn vault_exists(dir: String) -> bool {
    core::Vault::exists(&PathBuf::from(dir))
}

/// Wipes the vault in `dir` without opening it (no passphrase needed): the
/// panic button. Keys are destroyed first, then the files. Succeeds if
/// there is nothing to wipe.
#[uniffi::export]
pub fn wipe_vault_dir(dir: String) -> Result<()> {
    Ok(core::wipe_dir(&PathBuf::from(dir))?)
}

fn options(kdf: Option<KdfParams>) -> VaultOptions {
    VaultOptions {
        kdf: kdf.map_or(core::KdfParams::DEFAULT, Into::into),
        ..VaultOptions::default()
    }
}

/// Creates a vault in `dir` (created if missing) and returns it
/// unlocked, with its recovery code. Fails with `InvalidInput` if a
/// vault already exists there or the passphrase is shorter than 4
/// characters. `kdf`: leave it `null`/`nil` except in tests.
#[uniffi::export(async_runtime = "tokio", default(kdf = None))]
pub async fn create_vault(
    dir: String,
    passphrase: String,
    kdf: Option<KdfParams>,
) -> Result<NewVault> {
    blocking(move || {
        let (vault, code) = core::Vault::create(&PathBuf::from(dir), &passphrase, options(kdf))?;
        Ok(NewVault {
            vault: Arc::new(Vault { inner: vault }),
            recovery_code: code.to_string(),
        })
    })
    .await
}

#[uniffi::export(async_runtime = "tokio")]
impl Vault {
    /// Opens the vault in `dir`, locked. `NotFound` if there is none.
    #[uniffi::constructor]
    pub fn open(dir: String) -> Result<Arc<Self>> {
        let inner = core::Vault::open(&PathBuf::from(dir), VaultOptions::default())?;
        Ok(Arc::new(Vault { inner }))
    }

    // ----- locking ---------------------------------------------------------

    /// True while the keys are in memory.
    pub fn is_unlocked(&self) -> bool {
        self.inner.is_unlocked()
    }

    /// Forgets the keys now.
    pub fn lock(&self) {
        self.inner.lock();
    }

    /// Unlocks with the passphrase (a duress passphrase opens the decoy
    /// vault exactly as if it were the real one).
    ///
    /// Every attempt is counted before it is evaluated. Fails with
    /// `WrongPassphrase { attempts, retry_after_seconds }`; after 3 failures
    /// attempts are refused for a delay that doubles each time
    /// (`TooManyAttempts { retry_after_seconds }`).
    pub async fn unlock(self: Arc<Self>, passphrase: String) -> Result<()> {
        blocking(move || self.inner.unlock(&passphrase)).await
    }

    /// Unlocks with the recovery code (any case, with or without dashes)
    /// and sets a new passphrase. The code stays valid until regenerated.
    pub async fn unlock_with_recovery_code(
        self: Arc<Self>,
        recovery_code: String,
        new_passphrase: String,
    ) -> Result<()> {
        blocking(move || {
            let code = RecoveryCode::parse(&recovery_code)?;
            self.inner.unlock_with_recovery_code(&code, &new_passphrase)
        })
        .await
    }

    /// Unlocks with the platform keystore's secret (see
    /// [`Vault::enable_keystore_unlock`]). Async: the keystore may show a
    /// biometric prompt.
    pub async fn unlock_with_keystore(
        self: Arc<Self>,
        keystore: Arc<dyn PlatformKeystore>,
    ) -> Result<()> {
        blocking_ffi(move || {
            KeystoreAdapter::lend(keystore, |k| self.inner.unlock_with_keystore(k))
        })
        .await
    }

    // ----- documents -------------------------------------------------------

    /// Adds a document whose content is in memory; returns its id. The
    /// bytes cross from the app once and are encrypted as they are read.
    /// For scans larger than a few megabytes prefer
    /// [`Vault::add_document_from_file`].
    pub async fn add_document(
        self: Arc<Self>,
        metadata: DocumentMetadata,
        content: Vec<u8>,
    ) -> Result<String> {
        let metadata = metadata.try_into()?;
        blocking(move || {
            let id = self.inner.add_document_bytes(metadata, &content)?;
            Ok(id.to_string())
        })
        .await
    }

    /// Adds a document from a file, streamed in 64 KiB chunks (memory stays
    /// bounded whatever its size); returns its id. The app may delete the
    /// file afterwards. A MIME type of `application/octet-stream` is
    /// replaced by one guessed from the file's extension.
    pub async fn add_document_from_file(
        self: Arc<Self>,
        metadata: DocumentMetadata,
        path: String,
    ) -> Result<String> {
        let metadata = metadata.try_into()?;
        blocking(move || {
            let id = self
                .inner
                .add_document_file(metadata, &PathBuf::from(path))?;
            Ok(id.to_string())
        })
        .await
    }

    /// Every document (the decoy's only, in a duress session), by title.
    pub fn list_documents(&self) -> Result<Vec<DocumentInfo>> {
        Ok(self
            .inner
            .list_documents()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One document's metadata.
    pub fn document(&self, id: String) -> Result<DocumentInfo> {
        Ok(self.inner.document(&document_id(&id)?)?.into())
    }

    /// A document's content, in memory. Every chunk is authenticated before
    /// it is returned (`Integrity` otherwise). For large documents prefer
    /// [`Vault::export_document`].
    pub async fn read_document(self: Arc<Self>, id: String) -> Result<Vec<u8>> {
        let id = document_id(&id)?;
        blocking(move || {
            let mut bytes = self.inner.read_document_bytes(&id)?;
            // Handed over without a copy; the app owns (and should clear)
            // its copy from here on.
            Ok(std::mem::take(&mut *bytes))
        })
        .await
    }

    /// Writes a document's content to the file `path`, atomically (the file
    /// appears complete or not at all), and returns its size. For opening
    /// in a viewer: the app should put it in its private cache and delete it
    /// afterwards, since the copy is not encrypted.
    pub async fn export_document(self: Arc<Self>, id: String, path: String) -> Result<u64> {
        let id = document_id(&id)?;
        blocking(move || self.inner.export_document(&id, &PathBuf::from(path))).await
    }

    /// Replaces a document's content (a better scan), keeping its id and
    /// metadata.
    pub async fn replace_document_content(
        self: Arc<Self>,
        id: String,
        content: Vec<u8>,
    ) -> Result<()> {
        let id = document_id(&id)?;
        blocking(move || self.inner.replace_content(&id, &content[..])).await
    }

    /// Replaces a document's content from a file, streamed.
    pub async fn replace_document_content_from_file(
        self: Arc<Self>,
        id: String,
        path: String,
    ) -> Result<()> {
        let id = document_id(&id)?;
        blocking(move || {
            let file = std::fs::File::open(PathBuf::from(path))?;
            self.inner.replace_content(&id, file)
        })
        .await
    }

    /// Replaces a document's metadata; returns it as stored.
    pub fn update_metadata(&self, id: String, metadata: DocumentMetadata) -> Result<DocumentInfo> {
        let id = document_id(&id)?;
        Ok(self
            .inner
            .update_metadata(&id, metadata.try_into()?)?
            .into())
    }

    /// Deletes a document; its rows are overwritten in the database file.
    pub fn delete_document(&self, id: String) -> Result<()> {
        Ok(self.inner.delete_document(&document_id(&id)?)?)
    }

    /// Documents that expire within `within_days` days, and those already
    /// expired, soonest first.
    pub fn expiry_reminders(&self, within_days: u32) -> Result<Vec<ExpiryReminder>> {
        Ok(self
            .inner
            .expiry_reminders(within_days)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    // ----- keys and settings -----------------------------------------------

    /// Changes the passphrase; the current one is asked again and counted
    /// like an unlock attempt. No document is re-encrypted.
    pub async fn change_passphrase(
        self: Arc<Self>,
        current: String,
        new_passphrase: String,
    ) -> Result<()> {
        blocking(move || self.inner.change_passphrase(&current, &new_passphrase)).await
    }

    /// Makes a new recovery code (the old one stops working) and returns it
    /// to show once. In a decoy (opened with a duress passphrase) the code
    /// is the decoy's own and opens the decoy.
    pub fn regenerate_recovery_code(&self) -> Result<String> {
        Ok(self.inner.regenerate_recovery_code()?.to_string())
    }

    /// Sets (or replaces) the duress passphrase: it opens an empty decoy
    /// vault that looks like the real one. With `destroy_real`, unlocking
    /// with it also silently destroys the real vault's keys and documents.
    /// A decoy behaves the same way: its duress passphrase opens a decoy of
    /// its own (the real vault is never touched). `InvalidInput` when decoys
    /// are already nested eight deep.
    pub async fn set_duress_passphrase(
        self: Arc<Self>,
        duress: String,
        destroy_real: bool,
    ) -> Result<()> {
        blocking(move || self.inner.set_duress_passphrase(&duress, destroy_real)).await
    }

    /// Removes the duress passphrase and the decoy's documents.
    pub fn remove_duress_passphrase(&self) -> Result<()> {
        Ok(self.inner.remove_duress_passphrase()?)
    }

    /// Lets the platform keystore's secret unlock this vault (for biometric
    /// unlock). The vault must be unlocked. The keystore opens the vault
    /// last unlocked with a passphrase or recovery code: after a duress
    /// passphrase, the decoy, until the real passphrase is entered again.
    pub async fn enable_keystore_unlock(
        self: Arc<Self>,
        keystore: Arc<dyn PlatformKeystore>,
    ) -> Result<()> {
        blocking_ffi(move || {
            KeystoreAdapter::lend(keystore, |k| self.inner.enable_keystore_unlock(k))
        })
        .await
    }

    /// Stops the keystore from unlocking this vault (and its decoys).
    pub fn disable_keystore_unlock(&self) -> Result<()> {
        Ok(self.inner.disable_keystore_unlock()?)
    }

    /// The vault's settings.
    pub fn settings(&self) -> Result<VaultSettings> {
        Ok(self.inner.settings()?.into())
    }

    /// Sets the auto-lock idle time (100 ms to 24 hours).
    pub fn set_auto_lock(&self, idle: Duration) -> Result<()> {
        Ok(self.inner.set_auto_lock(idle)?)
    }

    /// Wipe the vault after this many failed attempts in a row (at least
    /// 3), or never (`null`/`nil`).
    pub fn set_wipe_after_failures(&self, failures: Option<u32>) -> Result<()> {
        Ok(self.inner.set_wipe_after_failures(failures)?)
    }

    /// The Argon2id parameters of this vault's passphrases.
    pub fn kdf_params(&self) -> KdfParams {
        self.inner.kdf_params().into()
    }

    /// Wipes the vault, locked or not: keys first, then files. Afterwards
    /// every call on this handle fails with `NotFound`.
    pub fn wipe(&self) -> Result<()> {
        Ok(self.inner.wipe()?)
    }
}
