//! The document vault: [`Vault`], and [`PlatformKeystore`], the foreign
//! trait through which the app lends Waymark a secret held by Android
//! Keystore or the iOS Keychain.
//!
//! Every call that touches the disk or derives a key (create, unlock,
//! passphrase change, duress: about a second on purpose) is `async` and
//! runs on a Waymark worker thread; the synchronous rest read or change
//! memory only. A [`LockStateListener`] hears the vault lock and unlock.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use waymark_core::vault::{self as core, RecoveryCode, VaultOptions};

use crate::document::{
    DocumentInfo, DocumentMetadata, ExpiryReminder, KdfParams, VaultSettings, document_id,
};
use crate::error::{Result, WaymarkError};
use crate::num::{long, unsigned_int};
use crate::stream::{CallbackFailure, DocumentSink, DocumentSource, SinkWriter, source_reader};
use crate::task::{CancelOnDrop, blocking, blocking_ffi};

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
#[uniffi::export(callback_interface)]
pub trait PlatformKeystore: Send + Sync {
    /// Returns the secret, creating and storing it on first use: exactly 32
    /// bytes of uniformly random data.
    fn vault_secret(&self) -> Result<Vec<u8>>;
}

/// Lends the app's keystore to the core. A failure the app did not
/// declare (anything but `WaymarkError::Keystore`) is kept aside and
/// becomes the call's error as it was, rather than a keystore refusal.
struct KeystoreAdapter {
    keystore: Box<dyn PlatformKeystore>,
    unexpected: CallbackFailure,
}

impl KeystoreAdapter {
    /// Runs `call` with the app's keystore lent to the core.
    fn lend<T>(
        keystore: Box<dyn PlatformKeystore>,
        call: impl FnOnce(&KeystoreAdapter) -> waymark_core::Result<T>,
    ) -> Result<T> {
        let adapter = KeystoreAdapter {
            keystore,
            unexpected: CallbackFailure::default(),
        };
        adapter.unexpected.or(call(&adapter))
    }
}

impl core::PlatformKeystore for KeystoreAdapter {
    fn vault_secret(&self) -> std::result::Result<Vec<u8>, core::KeystoreError> {
        self.keystore.vault_secret().map_err(|e| match e {
            WaymarkError::Keystore { reason } => core::KeystoreError { reason },
            other => {
                self.unexpected.record(other);
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

/// Why a vault is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum LockReason {
    /// Opened and not unlocked yet.
    Opened,
    /// The app called `lock()`.
    User,
    /// Idle for the auto-lock time: ask for the passphrase again.
    AutoLock,
    /// Wiped (by `wipe()` or after too many failed attempts): nothing is
    /// left to unlock.
    Wiped,
    /// The handle was closed.
    Closed,
}

/// Whether a vault's keys are in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum LockState {
    /// Unlocked: documents can be read and written.
    Unlocked,
    /// Locked, and why.
    Locked {
        /// Why.
        reason: LockReason,
    },
}

impl From<core::LockState> for LockState {
    fn from(s: core::LockState) -> Self {
        match s {
            core::LockState::Unlocked => LockState::Unlocked,
            core::LockState::Locked(reason) => LockState::Locked {
                reason: match reason {
                    core::LockReason::Opened => LockReason::Opened,
                    core::LockReason::User => LockReason::User,
                    core::LockReason::AutoLock => LockReason::AutoLock,
                    core::LockReason::Wiped => LockReason::Wiped,
                    core::LockReason::Closed => LockReason::Closed,
                },
            },
        }
    }
}

/// Told when a vault locks or unlocks, whatever did it: the person, the
/// auto-lock timer, a wipe, closing the handle. The Kotlin layer turns it
/// into a `Flow`/`StateFlow`, the Swift layer into an `AsyncStream`.
///
/// Called on the vault's own background thread, in order, first with the
/// state at registration: return quickly (post to the UI thread). It may
/// call the vault. An exception thrown here is ignored.
#[uniffi::export(callback_interface)]
pub trait LockStateListener: Send + Sync {
    /// The vault's state is now `state`.
    fn on_lock_state(&self, state: LockState) -> Result<()>;
}

struct LockListenerAdapter(Box<dyn LockStateListener>);

impl core::LockListener for LockListenerAdapter {
    fn on_lock_state(&self, state: core::LockState) {
        // Advisory: a listener cannot break the vault.
        let _ = self.0.on_lock_state(state.into());
    }
}

/// An open vault of documents (passport scans, permits, certificates),
/// encrypted at rest.
///
/// Locked until [`Vault::unlock`] (or created unlocked); it locks itself
/// after the auto-lock idle time ([`Vault::set_auto_lock`]); a
/// [`LockStateListener`] hears every change. Every method is safe to call
/// from any thread; calls are serialised. Calls that touch the disk or
/// derive a key are `async` (Kotlin `suspend`, Swift `async`) and run on a
/// Waymark worker thread; the few synchronous ones (`is_unlocked`,
/// `lock_state`, `lock`, `kdf_params`, adding and removing listeners) only
/// read or change memory: about 0.1 µs each, `lock` about 10 µs (measured
/// by the binding tests, debug build, desktop core). Close it (Kotlin
/// `close()`/`use {}`, Swift: drop the last reference) to forget the keys
/// and release the database.
#[derive(uniffi::Object)]
pub struct Vault {
    inner: core::Vault,
}

impl Vault {
    /// The core's vault.
    pub(crate) fn core(&self) -> &core::Vault {
        &self.inner
    }

    /// Wraps a core vault.
    pub(crate) fn from_core(inner: core::Vault) -> Self {
        Vault { inner }
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

/// True if `dir` holds a vault.
#[uniffi::export]
pub async fn vault_exists(dir: String) -> bool {
    blocking_ffi(move || Ok(core::Vault::exists(&PathBuf::from(dir))))
        .await
        .unwrap_or(false)
}

/// Wipes the vault in `dir` without opening it (no passphrase needed): the
/// panic button. Keys are destroyed first, then the files. Succeeds if
/// there is nothing to wipe.
#[uniffi::export]
pub async fn wipe_vault_dir(dir: String) -> Result<()> {
    blocking(move || core::wipe_dir(&PathBuf::from(dir))).await
}

fn options(kdf: Option<KdfParams>) -> Result<VaultOptions> {
    Ok(VaultOptions {
        kdf: match kdf {
            Some(k) => k.try_into()?,
            None => core::KdfParams::DEFAULT,
        },
        ..VaultOptions::default()
    })
}

/// Creates a vault in `dir` (created if missing) and returns it
/// unlocked, with its recovery code. Fails with `InvalidInput` if a
/// vault already exists there or the passphrase is shorter than 4
/// characters. `kdf`: leave it `null`/`nil` except in tests.
#[uniffi::export(default(kdf = None))]
pub async fn create_vault(
    dir: String,
    passphrase: String,
    kdf: Option<KdfParams>,
) -> Result<NewVault> {
    let options = options(kdf)?;
    blocking(move || {
        let (vault, code) = core::Vault::create(&PathBuf::from(dir), &passphrase, options)?;
        Ok(NewVault {
            vault: Arc::new(Vault { inner: vault }),
            recovery_code: code.to_string(),
        })
    })
    .await
}

#[uniffi::export]
impl Vault {
    /// Opens the vault in `dir`, locked. `NotFound` if there is none.
    #[uniffi::constructor]
    pub async fn open(dir: String) -> Result<Arc<Self>> {
        blocking(move || {
            let inner = core::Vault::open(&PathBuf::from(dir), VaultOptions::default())?;
            Ok(Arc::new(Vault { inner }))
        })
        .await
    }

    // ----- locking ---------------------------------------------------------

    /// True while the keys are in memory. Cheap (memory only).
    pub fn is_unlocked(&self) -> bool {
        self.inner.is_unlocked()
    }

    /// Whether the keys are in memory, and why not. Cheap (memory only).
    pub fn lock_state(&self) -> LockState {
        self.inner.lock_state().into()
    }

    /// Forgets the keys now. Cheap (memory only).
    pub fn lock(&self) {
        self.inner.lock();
    }

    /// Registers `listener`: it hears the current state at once, then
    /// every change. Returns the id to remove it with. Cheap.
    pub fn add_lock_state_listener(&self, listener: Box<dyn LockStateListener>) -> i64 {
        let id = self
            .inner
            .add_lock_listener(Arc::new(LockListenerAdapter(listener)));
        long(id.0)
    }

    /// Unregisters a listener (a change already on its way may still reach
    /// it once). Unknown ids are ignored. Cheap.
    pub fn remove_lock_state_listener(&self, id: i64) {
        if let Ok(id) = u64::try_from(id) {
            self.inner.remove_lock_listener(core::ListenerId(id));
        }
    }

    /// Unlocks with the passphrase (a duress passphrase opens the decoy
    /// vault exactly as if it were the real one).
    ///
    /// Every attempt is counted before it is evaluated. Fails with
    /// `WrongPassphrase { attempts, retry_after_seconds }`. The first 3
    /// failures cost nothing; the 4th is still checked and, wrong, starts a
    /// 30 s delay that doubles with each further failure (at most an hour),
    /// during which attempts are refused with `TooManyAttempts
    /// { retry_after_seconds }`.
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
    /// [`Vault::enable_keystore_unlock`]). The keystore may show a
    /// biometric prompt.
    pub async fn unlock_with_keystore(
        self: Arc<Self>,
        keystore: Box<dyn PlatformKeystore>,
    ) -> Result<()> {
        blocking_ffi(move || {
            KeystoreAdapter::lend(keystore, |k| self.inner.unlock_with_keystore(k))
        })
        .await
    }

    // ----- documents -------------------------------------------------------

    /// Adds a document whose content is in memory; returns its id. For
    /// scans larger than a few megabytes prefer
    /// [`Vault::add_document_from_source`] or
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

    /// Adds a document whose content the app streams from `source` (an
    /// `InputStream`, a `content://` URI, a `FileHandle`…); returns its id.
    /// Encrypted as it is read, 64 KiB at a time: no plaintext file is
    /// written and memory stays bounded whatever the size. Nothing is
    /// stored unless the whole content was read; if `source` throws, that
    /// error is the call's. Cancelling the awaiting coroutine stops it at
    /// the next chunk, nothing stored.
    pub async fn add_document_from_source(
        self: Arc<Self>,
        metadata: DocumentMetadata,
        source: Box<dyn DocumentSource>,
    ) -> Result<String> {
        let metadata = metadata.try_into()?;
        let guard = CancelOnDrop::default();
        let cancel = guard.token();
        let result = blocking_ffi(move || {
            let failure = CallbackFailure::default();
            let reader = source_reader(source, cancel, failure.clone());
            failure.or(self.inner.add_document(metadata, reader))
        })
        .await;
        guard.finish();
        result.map(|id| id.to_string())
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
    pub async fn list_documents(self: Arc<Self>) -> Result<Vec<DocumentInfo>> {
        blocking(move || {
            Ok(self
                .inner
                .list_documents()?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// One document's metadata.
    pub async fn document(self: Arc<Self>, id: String) -> Result<DocumentInfo> {
        let id = document_id(&id)?;
        blocking(move || Ok(self.inner.document(&id)?.into())).await
    }

    /// A document's content, in memory. Every chunk is authenticated before
    /// it is returned (`Integrity` otherwise). For large documents prefer
    /// [`Vault::read_document_into`] or [`Vault::export_document`].
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

    /// Streams a document's content to `sink`, 64 KiB at a time, each chunk
    /// authenticated before it is handed over; returns the size. Nothing is
    /// written to disk. If it fails part-way (`Integrity`: the file was
    /// altered; or the sink's own error), the app MUST discard what it
    /// received. Cancelling the awaiting coroutine stops it at the next
    /// chunk.
    pub async fn read_document_into(
        self: Arc<Self>,
        id: String,
        sink: Box<dyn DocumentSink>,
    ) -> Result<i64> {
        let id = document_id(&id)?;
        let guard = CancelOnDrop::default();
        let cancel = guard.token();
        let result = blocking_ffi(move || {
            let failure = CallbackFailure::default();
            let writer = SinkWriter {
                sink,
                cancel,
                failure: failure.clone(),
            };
            failure.or(self.inner.read_document(&id, writer))
        })
        .await;
        guard.finish();
        result.map(long)
    }

    /// Writes a document's content to the file `path`, atomically (the file
    /// appears complete or not at all), and returns its size. For opening
    /// in a viewer that needs a file: the copy is not encrypted, so the app
    /// should put it in its private cache and delete it afterwards (or
    /// stream with [`Vault::read_document_into`] instead).
    pub async fn export_document(self: Arc<Self>, id: String, path: String) -> Result<i64> {
        let id = document_id(&id)?;
        blocking(move || self.inner.export_document(&id, &PathBuf::from(path)))
            .await
            .map(long)
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

    /// Replaces a document's content with what the app streams from
    /// `source`, as [`Vault::add_document_from_source`] reads it; the old
    /// content stays unless the whole new content was read.
    pub async fn replace_document_content_from_source(
        self: Arc<Self>,
        id: String,
        source: Box<dyn DocumentSource>,
    ) -> Result<()> {
        let id = document_id(&id)?;
        let guard = CancelOnDrop::default();
        let cancel = guard.token();
        let result = blocking_ffi(move || {
            let failure = CallbackFailure::default();
            let reader = source_reader(source, cancel, failure.clone());
            failure.or(self.inner.replace_content(&id, reader))
        })
        .await;
        guard.finish();
        result
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
    pub async fn update_metadata(
        self: Arc<Self>,
        id: String,
        metadata: DocumentMetadata,
    ) -> Result<DocumentInfo> {
        let id = document_id(&id)?;
        let metadata = metadata.try_into()?;
        blocking(move || Ok(self.inner.update_metadata(&id, metadata)?.into())).await
    }

    /// Deletes a document; its rows are overwritten in the database file.
    pub async fn delete_document(self: Arc<Self>, id: String) -> Result<()> {
        let id = document_id(&id)?;
        blocking(move || self.inner.delete_document(&id)).await
    }

    /// Documents that expire within `within_days` days, and those already
    /// expired, soonest first. `InvalidInput` for a negative number.
    pub async fn expiry_reminders(
        self: Arc<Self>,
        within_days: i32,
    ) -> Result<Vec<ExpiryReminder>> {
        let within_days = unsigned_int("within_days", within_days)?;
        blocking(move || {
            Ok(self
                .inner
                .expiry_reminders(within_days)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
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
    pub async fn regenerate_recovery_code(self: Arc<Self>) -> Result<String> {
        blocking(move || Ok(self.inner.regenerate_recovery_code()?.to_string())).await
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
    pub async fn remove_duress_passphrase(self: Arc<Self>) -> Result<()> {
        blocking(move || self.inner.remove_duress_passphrase()).await
    }

    /// Lets the platform keystore's secret unlock this vault (for biometric
    /// unlock). The vault must be unlocked. The keystore opens the vault
    /// last unlocked with a passphrase or recovery code: after a duress
    /// passphrase, the decoy, until the real passphrase is entered again.
    pub async fn enable_keystore_unlock(
        self: Arc<Self>,
        keystore: Box<dyn PlatformKeystore>,
    ) -> Result<()> {
        blocking_ffi(move || {
            KeystoreAdapter::lend(keystore, |k| self.inner.enable_keystore_unlock(k))
        })
        .await
    }

    /// Stops the keystore from unlocking this vault (and its decoys).
    pub async fn disable_keystore_unlock(self: Arc<Self>) -> Result<()> {
        blocking(move || self.inner.disable_keystore_unlock()).await
    }

    /// The vault's settings.
    pub async fn settings(self: Arc<Self>) -> Result<VaultSettings> {
        blocking(move || Ok(self.inner.settings()?.into())).await
    }

    /// Sets the auto-lock idle time (100 ms to 24 hours).
    pub async fn set_auto_lock(self: Arc<Self>, idle: Duration) -> Result<()> {
        blocking(move || self.inner.set_auto_lock(idle)).await
    }

    /// Wipe the vault after this many failed attempts in a row (at least
    /// 3), or never (`null`/`nil`).
    pub async fn set_wipe_after_failures(self: Arc<Self>, failures: Option<i32>) -> Result<()> {
        let failures = failures
            .map(|n| unsigned_int("the number of failures", n))
            .transpose()?;
        blocking(move || self.inner.set_wipe_after_failures(failures)).await
    }

    /// The Argon2id parameters of this vault's passphrases. Cheap (memory
    /// only).
    pub fn kdf_params(&self) -> KdfParams {
        self.inner.kdf_params().into()
    }

    /// Wipes the vault, locked or not: keys first, then files. Afterwards
    /// every call on this handle fails with `NotFound`.
    pub async fn wipe(self: Arc<Self>) -> Result<()> {
        blocking(move || self.inner.wipe()).await
    }
}
