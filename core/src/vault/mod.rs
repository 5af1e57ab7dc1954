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
//! slot raises parameters weaker than the defaults to the defaults, with a
//! fresh salt, before wrapping the new passphrase (the other passphrase
//! slot, derived with the old ones, is lost: a duress passphrase must then
//! be set again; the keystore must be enabled again). After a keystore
//! unlock through an unbound slot, no new slot is wrapped under such
//! parameters until the passphrase has been entered.
//!
//! # Duress passphrase, and what someone holding the files can tell
//!
//! Every vault has exactly two passphrase slots of identical length, one salt
//! and one set of Argon2id parameters. At creation the real data key goes in
//! a randomly chosen slot and the other is filled with random bytes, which
//! without the key cannot be told apart from an AEAD ciphertext. Setting a
//! duress passphrase fills that other slot with a second (decoy) data key.
//! Unlock derives one Argon2id key and tries both slots, so it costs the same
//! either way. Documents carry an owner tag, HMAC(index key, id), which looks
//! random without the key, so rows cannot be grouped by vault.
//!
//! Limits, stated plainly:
//! - Someone who sees the real vault unlocked and counts the rows and
//!   content files can tell that some exist that the real vault does not
//!   show (the decoy's), and the other way round when the decoy is shown.
//!   With "destroy on duress" set, the real vault's rows and files are
//!   deleted at the duress unlock, so the files then match what the decoy
//!   shows.
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
mod crypto;
mod document;
mod documents;
mod duress;
mod keys;
mod keystore;
mod labels;
mod lifecycle;
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
pub use self::crypto::KdfParams;
pub use self::document::{
    DocumentId, DocumentInfo, DocumentKind, DocumentMetadata, ExpiryReminder, mime_from_extension,
};
use self::keys::{Header, Session};
pub use self::keystore::{KeystoreError, PlatformKeystore};
pub use self::lifecycle::{MIN_PASSPHRASE_CHARS, VaultOptions};
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
}

impl Inner {
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
        expire_if_idle(&mut inner);
        inner.session.is_some()
    }

    /// Forgets the keys now (they are zeroized).
    pub fn lock(&self) {
        let mut inner = self.shared.lock();
        inner.session = None;
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
        let mut inner = self.shared.lock();
        expire_if_idle(&mut inner);
        inner.retry_erase();
        let Inner {
            conn,
            session,
            last_activity,
            ..
        } = &mut *inner;
        let conn = conn.as_mut().ok_or(Error::NoVault)?;
        let session = session.as_ref().ok_or(Error::Locked)?;
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
