//! The document vault: copies of a passport, permit or certificate, readable
//! by no one who takes the phone, and recoverable when the passphrase is
//! forgotten.
//!
//! ```
//! use waymark_core::vault::{DocumentKind, DocumentMetadata, Vault, VaultOptions};
//! # let dir = tempfile::tempdir().unwrap();
//! # let options = VaultOptions::for_tests();
//! let (vault, recovery_code) = Vault::create(dir.path(), "correct horse", options.clone()).unwrap();
//! println!("write this down: {recovery_code}");
//! let id = vault
//!     .add_document_bytes(DocumentMetadata::new(DocumentKind::Passport, "My passport"), b"scan")
//!     .unwrap();
//! vault.lock();
//! assert!(vault.read_document_bytes(&id).is_err());
//! vault.unlock("correct horse").unwrap();
//! assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], b"scan");
//! ```
//!
//! # How it is built
//!
//! A random 256-bit data key encrypts everything. It is stored only wrapped:
//! by a key derived from the passphrase with Argon2id, by the recovery code,
//! and optionally by a platform keystore secret. A passphrase is put in
//! Unicode normalisation form C before Argon2id, so the same words typed on
//! two keyboards (`é` as one code point or as `e` and a combining accent)
//! open the vault; a slot written before normalisation opens with the
//! passphrase's bytes as typed and is rewrapped under NFC when it does.
//! Changing the passphrase
//! rewraps the data key; documents are not re-encrypted. The key hierarchy
//! and the envelope formats are described in `crypto.rs`, the label every
//! key and envelope is bound to in `labels.rs`.
//!
//! # Key derivation parameters: bound, with a floor
//!
//! The Argon2id parameters and salt sit in clear in the header, because they
//! are needed before any key exists. Every key slot binds them: a slot's
//! associated data carries the vault id, memory, passes, lanes, the
//! insecure test parameters marker and the salt (`labels.rs`). Someone with
//! write access who lowers the parameters therefore opens nothing: the
//! passphrase derives another key, and the recovery code's and keystore's
//! slots, whose keys do not depend on the parameters, fail their
//! authentication too, so a recovery can never wrap the new passphrase
//! under the lowered parameters.
//!
//! The floor is OWASP's minimum for Argon2id, 19 MiB and 2 passes
//! ([`KdfParams::MINIMUM`]): a header below it is refused at open unless it
//! carries the insecure test parameters marker. The marker is recorded when
//! a vault is created with such parameters (tests use 64 KiB × 1 so they run
//! fast; `VaultOptions::for_tests`), and it is bound to every slot like the
//! parameters: setting it on a real vault makes every slot fail. This was
//! chosen over a cargo feature for tests because it protects the library as
//! shipped whatever it was built with, the tests exercise the same code as
//! the phones, and the bindings' tests (which create vaults through the FFI
//! with test parameters) need nothing special.
//!
//! Vaults written before the binding (schema version 1) have unbound slots
//! and, if below the floor, get the marker at the upgrade, unauthenticated.
//! So an unbound slot is trusted with parameters weaker than the defaults
//! only when a passphrase opens it (the derivation proves the parameters);
//! the slot is then rewrapped, bound. A recovery through an unbound recovery
//! slot (and before any passphrase unlock made the vault's record, which
//! is bound and vouches for them) raises parameters weaker than the
//! defaults to the defaults, with a fresh salt, before wrapping the new
//! passphrase: every other cell, derived or bound under the old ones, is
//! cleared (a duress passphrase must then be set again, keystore unlock
//! enabled again). After a keystore unlock through an unbound slot, nothing
//! is bound to such parameters until the passphrase has been entered.
//!
//! # Duress passphrase: cells, and what can tell a decoy from the real vault
//!
//! A vault file always holds eight cells (`schema::CELLS`), each
//! three rows of `key_slots` of fixed lengths: a passphrase slot, a recovery
//! slot and a record. A free cell's rows are random bytes, which without a
//! key cannot be told from sealed ones. One salt and one set of Argon2id
//! parameters serve every passphrase slot; unlock derives one key and tries
//! all eight slots, so it costs the same whichever opens.
//!
//! The real vault is created in a random cell. Its duress passphrase opens a
//! decoy in another cell, chosen at random among the free ones. A decoy is
//! made like the real vault and does everything the same way:
//! - a recovery code made in the decoy opens the decoy (its own recovery
//!   slot, random until then, like the real vault's after a wipe of it);
//! - its duress passphrase opens a decoy of its own, in a further free cell,
//!   and can be replaced or removed;
//! - its passphrase can be changed, keystore unlock enabled and disabled;
//! - a duress passphrase set "to destroy" destroys, when its vault is
//!   unlocked, the vault it was set in, whichever that is.
//!
//! So nothing a person can do in the app tells them which vault they are in,
//! and a decoy never touches the real vault: each vault's record, sealed
//! under its own data key (`record.rs`), names the cells of the vaults above
//! it, which it never uses, and the cell and data key of its child, which it
//! clears with the child's descendants and documents when its duress
//! passphrase is replaced or removed. The slots' payloads no longer say
//! "decoy" (the flags of slots written before are read once, to make the
//! record).
//!
//! The platform keystore opens the vault last unlocked with a passphrase or
//! a recovery code: every such unlock points the one keystore slot at the
//! vault just opened, or removes the slot if that vault has keystore unlock
//! off. Each vault has keystore keys of its own, `HKDF(keystore secret,
//! salt)` for salts of its own, and hands its child keys for the child and
//! the child's descendants when it makes it, so a decoy made after keystore
//! unlock was enabled has it too. A fingerprint forced after the duress
//! passphrase therefore opens the decoy, and the real vault only once its
//! passphrase has been entered again. No vault keeps the keystore secret
//! itself, which would open whichever vault the slot points at.
//!
//! Documents carry an owner tag, HMAC(index key, id), which looks random
//! without the key, so rows cannot be grouped by vault.
//!
//! Limits, stated plainly:
//! - Someone who sees the real vault unlocked and counts the rows and
//!   content files can tell that some exist that the real vault does not
//!   show (the decoy's), and the other way round when the decoy is shown.
//!   With "destroy on duress" set, the real vault's rows and files are
//!   deleted at the duress unlock, so the files then match what the decoy
//!   shows.
//! - Someone who knows the duress passphrase and reads the files with a
//!   program of their own (not the app, which acts on it) can open the
//!   decoy's record: it names a cell above it to leave alone, and, when set,
//!   the instruction to destroy that cell's vault. The real vault's record
//!   names none. The slot's flags of before said as much ("decoy"); nothing
//!   of it shows without the decoy's key, or through the app.
//! - Decoys nest at most eight deep, one per cell: the eighth refuses a
//!   duress passphrase. Counting from the decoy, that refusal comes one
//!   step earlier than counting from the real vault, which someone patient
//!   enough to nest seven decoys in one another could notice.
//! - Settings (auto-lock time, wipe after failures) and the attempt counter
//!   belong to the file, not to one vault: a change made in the decoy holds
//!   for the real vault too, as a change made in the real vault does.
//! - A decoy destroyed by a "destroy" duress passphrase set in its own decoy
//!   leaves a cell the vault above it still counts as its child's (cleared
//!   when it replaces or removes its duress passphrase), and the destroying
//!   vault in a cell the real vault cannot see; the real vault's next new
//!   duress passphrase may take that cell over.
//! - Vaults written before cells: their decoy's data key was never known to
//!   the real vault, so the decoy has no keystore keys. After its duress
//!   passphrase the keystore slot is removed rather than pointed at it (a
//!   fingerprint forced then fails, where the app may offer one), and the
//!   real vault must enable keystore unlock again. Setting the duress
//!   passphrase again (in the real vault) makes a decoy with keystore keys.
//! - The number of documents and their sizes are visible (the content files'
//!   lengths); their contents and metadata are not (metadata is padded to
//!   256-byte steps).
//! - The attempt counter lives in the same files; someone who copies the
//!   files can reset it and guess offline, limited only by Argon2id's cost.
//! - Delays between attempts are measured with a monotonic clock (which
//!   setting the phone's time does not move) for as long as the app's
//!   process lives. A process that did not see a delay start can only read
//!   the stored time of the last attempt against the wall clock: someone
//!   who restarts the app *and* sets the clock forward skips the delay then
//!   running (one guess per restart). A clock set back never makes a delay
//!   longer than its own length.
//! - On flash storage, overwriting a file does not guarantee that the old
//!   blocks are gone; wipe relies on destroying the keys first, and on the
//!   phone's own file-based encryption for the rest.

mod admin;
mod autolock;
mod blobs;
mod carried;
mod crypto;
mod document;
mod documents;
mod duress;
mod keys;
mod keystore;
mod labels;
mod lifecycle;
mod lockstate;
mod record;
mod recovery;
mod schema;
mod unlock;
mod wipe;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use rusqlite::Connection;

pub use self::admin::VaultSettings;
use self::autolock::expire_if_idle;
pub use self::autolock::{DEFAULT_AUTO_LOCK, MAX_AUTO_LOCK, MIN_AUTO_LOCK};
use self::blobs::BlobStore;
pub use self::carried::{BackupKey, CarriedKeys, CarriedSecret, OpenedKeys, SEAL_OVERHEAD};
pub use self::crypto::KdfParams;
pub use self::document::{
    DocumentId, DocumentInfo, DocumentKind, DocumentMetadata, ExpiryReminder, mime_from_extension,
};
pub(crate) use self::documents::{ImportOutcome, ImportedDocument, StoredMetadata};
pub use self::keys::MIN_PASSPHRASE_CHARS;
use self::keys::{Header, Session};
pub use self::keystore::{KeystoreError, PlatformKeystore};
pub use self::lifecycle::VaultOptions;
use self::lockstate::Listeners;
pub use self::lockstate::{ListenerId, LockListener, LockReason, LockState};
pub use self::recovery::RecoveryCode;
pub use self::unlock::{FIRST_DELAY, FREE_ATTEMPTS, MAX_DELAY, retry_delay};
pub use self::wipe::wipe_dir;
use crate::clock::Clock;
use crate::error::{Error, Result};
/// Documents name their issuing country with the shared type.
pub use crate::types::CountryCode;

/// What an open vault's handle and its auto-lock watchdog share.
struct Inner {
    /// `None` once wiped.
    conn: Option<Connection>,
    session: Option<Session>,
    last_activity: Instant,
    auto_lock: Duration,
    closed: bool,
    /// A destruction committed whose old pages another connection kept in
    /// the WAL: emptying it is tried again at every call until it works.
    pending_erase: bool,
    /// The state last reported to the lock listeners.
    state: LockState,
    listeners: Listeners,
}

impl Inner {
    /// Installs the keys of an unlocked session.
    fn install(&mut self, session: Session) {
        self.session = Some(session);
        self.report(LockState::Unlocked);
    }

    /// Tries once more to empty the WAL after a destruction it could not
    /// empty at the time (see [`Inner::pending_erase`]).
    fn retry_erase(&mut self) {
        if self.pending_erase
            && let Some(conn) = &self.conn
            && matches!(crate::storage::try_checkpoint_truncate(conn), Ok(true))
        {
            self.pending_erase = false;
        }
    }
}

struct Shared {
    inner: Mutex<Inner>,
    /// Wakes the auto-lock watchdog when activity or the setting changes.
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the database
        // inconsistent (SQLite rolls back), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An open vault. Locked until [`Vault::unlock`] (or created unlocked by
/// [`Vault::create`]); it locks itself after the auto-lock idle time.
///
/// All methods take `&self` and are safe to call from several threads; calls
/// are serialised.
pub struct Vault {
    dir: PathBuf,
    blobs: BlobStore,
    /// Changes only when a recovery raises unauthenticated parameters.
    header: RwLock<Header>,
    clock: Arc<dyn Clock>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

impl Vault {
    /// The directory this vault lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Argon2id parameters of this vault's passphrases.
    pub fn kdf_params(&self) -> KdfParams {
        self.header().kdf
    }

    /// The header (a copy: it is small, and a recovery may replace it).
    fn header(&self) -> Header {
        self.header
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// True while the keys are in memory.
    pub fn is_unlocked(&self) -> bool {
        let mut inner = self.shared.lock();
        self.expire_if_idle(&mut inner);
        inner.session.is_some()
    }

    /// Forgets the keys if the vault has been idle for the auto-lock time,
    /// waking the watchdog to tell the listeners.
    fn expire_if_idle(&self, inner: &mut Inner) {
        if expire_if_idle(inner) {
            self.shared.wake.notify_all();
        }
    }

    /// Forgets the keys now (they are zeroized).
    pub fn lock(&self) {
        let mut inner = self.shared.lock();
        inner.forget_keys(LockReason::User);
        inner.retry_erase();
        drop(inner);
        self.shared.wake.notify_all();
    }

    /// Runs `f` with the connection, failing if the vault was wiped.
    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut inner = self.shared.lock();
        inner.retry_erase();
        let conn = inner.conn.as_mut().ok_or(Error::NoVault)?;
        f(conn)
    }

    /// Runs `f` with the connection and the keys; refuses if locked or idle
    /// too long, and counts as activity.
    fn with_session<T>(&self, f: impl FnOnce(&mut Connection, &Session) -> Result<T>) -> Result<T> {
        self.with_session_mut(|conn, session| f(conn, session))
    }
}

impl Vault {
    /// [`Vault::with_session`] for the calls that change the session's
    /// record.
    fn with_session_mut<T>(
        &self,
        f: impl FnOnce(&mut Connection, &mut Session) -> Result<T>,
    ) -> Result<T> {
        let mut inner = self.shared.lock();
        self.expire_if_idle(&mut inner);
        inner.retry_erase();
        let Inner {
            conn,
            session,
            last_activity,
            ..
        } = &mut *inner;
        let conn = conn.as_mut().ok_or(Error::NoVault)?;
        let session = session.as_mut().ok_or(Error::Locked)?;
        *last_activity = Instant::now();
        f(conn, session)
    }
}

/// Not API: what `core/benches/vault.rs` measures that the API does not
/// expose. It may change or go at any time.
#[doc(hidden)]
pub mod bench {
    use super::KdfParams;
    use crate::error::Result;

    /// One Argon2id derivation of a passphrase with `params`, the slow step
    /// of an unlock. The key is dropped (and zeroized).
    pub fn derive_passphrase_key(params: &KdfParams, passphrase: &[u8], salt: &[u8]) -> Result<()> {
        params.derive(passphrase, salt).map(drop)
    }
}
