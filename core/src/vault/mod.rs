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
//! and optionally by a platform keystore secret. Changing the passphrase
//! rewraps the data key; documents are not re-encrypted. See [`crypto`] for
//! the key hierarchy and the envelope formats, and `labels.rs` for the label
//! every key and envelope is bound to.
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
//! - On flash storage, overwriting a file does not guarantee that the old
//!   blocks are gone; wipe relies on destroying the keys first, and on the
//!   phone's own file-based encryption for the rest.

mod admin;
mod blobs;
pub mod crypto;
mod document;
mod documents;
mod keystore;
mod labels;
mod recovery;
mod schema;
mod wipe;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use self::admin::{MAX_AUTO_LOCK, MIN_AUTO_LOCK};
use self::blobs::BlobStore;
pub use self::crypto::KdfParams;
use self::crypto::{
    SecretKey, SlotPayload, random_bytes, random_slot, tag16, unwrap_slot, wrap_slot,
};
pub use self::document::{
    DocumentId, DocumentInfo, DocumentKind, DocumentMetadata, ExpiryReminder, mime_from_extension,
};
pub use self::keystore::{KeystoreError, PlatformKeystore};
pub use self::recovery::RecoveryCode;
use self::schema::{DB_FILE, SLOT_KEYSTORE, SLOT_PASSPHRASE, SLOT_RECOVERY, VaultSchema};
pub use self::wipe::wipe_dir;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::storage::{OpenMode, checkpoint_truncate, json_from_text, open_database};

/// Shortest passphrase accepted, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 4;
/// Failed attempts allowed before delays start.
pub const FREE_ATTEMPTS: u32 = 3;
/// The first delay, after attempt `FREE_ATTEMPTS + 1`; it doubles with every
/// further failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(30);
/// The longest delay between attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(60 * 60);
/// Auto-lock idle time of a new vault.
pub const DEFAULT_AUTO_LOCK: Duration = Duration::from_secs(5 * 60);
/// Sealed metadata is padded to a multiple of this, so its length does not
/// reveal the length of a title or name.
const METADATA_PAD: usize = 256;

/// How long the vault refuses attempts after `failures` consecutive failures.
pub fn retry_delay(failures: u32) -> Duration {
    if failures <= FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_ATTEMPTS - 1).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

/// Options for opening or creating a vault.
#[derive(Debug, Clone)]
pub struct VaultOptions {
    /// Argon2id parameters for a new vault (an existing vault keeps its own).
    pub kdf: KdfParams,
    /// Where the time comes from.
    pub clock: Arc<dyn Clock>,
}

impl Default for VaultOptions {
    fn default() -> Self {
        VaultOptions {
            kdf: KdfParams::DEFAULT,
            clock: Arc::new(SystemClock),
        }
    }
}

impl VaultOptions {
    /// Cheap key derivation (64 KiB, 1 pass) for tests and examples. Never
    /// use it for a real vault.
    pub fn for_tests() -> Self {
        VaultOptions {
            kdf: KdfParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            clock: Arc::new(SystemClock),
        }
    }
}

/// The user's vault settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VaultSettings {
    /// Lock after this long without use.
    pub auto_lock: Duration,
    /// Wipe the vault after this many consecutive failed attempts (`None`:
    /// never).
    pub wipe_after_failures: Option<u32>,
}

/// What is encrypted in a document's metadata envelope.
#[derive(Serialize, Deserialize)]
struct StoredMetadata {
    #[serde(flatten)]
    metadata: DocumentMetadata,
    size: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The keys of an unlocked vault.
struct Session {
    meta_key: SecretKey,
    content_key: SecretKey,
    index_key: SecretKey,
    data_key: SecretKey,
    /// The passphrase slot this vault lives in.
    home_slot: u8,
    is_decoy: bool,
}

impl Session {
    fn new(payload: SlotPayload) -> Self {
        let dk = payload.data_key;
        Session {
            meta_key: dk.derive(labels::METADATA_KEY_INFO),
            content_key: dk.derive(labels::CONTENT_KEY_INFO),
            index_key: dk.derive(labels::INDEX_KEY_INFO),
            data_key: dk,
            home_slot: payload.home_slot,
            is_decoy: payload.is_decoy,
        }
    }

    fn owner_tag(&self, id: &DocumentId) -> [u8; 16] {
        tag16(&self.index_key, id.as_bytes())
    }

    fn payload(&self, destroy_other: bool) -> SlotPayload {
        SlotPayload {
            data_key: self.data_key.clone(),
            destroy_other,
            is_decoy: self.is_decoy,
            home_slot: self.home_slot,
        }
    }
}

/// Things that never change for an open vault.
struct Header {
    vault_id: [u8; 16],
    kdf: KdfParams,
    salt: Vec<u8>,
}

impl Header {
    fn load(conn: &Connection) -> Result<Self> {
        let (vault_id, kdf, salt): (Vec<u8>, String, Vec<u8>) = conn
            .query_row(
                "SELECT vault_id, kdf, salt FROM vault WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(Error::NoVault)?;
        let kdf: KdfParams = json_from_text(&kdf)
            .map_err(|_| Error::UnsupportedFormat("key derivation parameters".into()))?;
        kdf.validate()?;
        Ok(Header {
            vault_id: vault_id
                .try_into()
                .map_err(|_| Error::UnsupportedFormat("vault id".into()))?,
            kdf,
            salt,
        })
    }

    fn slot_aad(&self, name: &str) -> Vec<u8> {
        [labels::SLOT_AAD_PREFIX, name.as_bytes(), &self.vault_id].concat()
    }

    fn doc_aad(&self, domain: &[u8], id: &DocumentId, version: u32) -> Vec<u8> {
        [
            domain,
            &self.vault_id,
            id.as_bytes(),
            &version.to_be_bytes(),
        ]
        .concat()
    }

    /// Argon2id of the passphrase: the one slow step of an unlock.
    fn master_key(&self, passphrase: &str) -> Result<SecretKey> {
        self.kdf.derive(passphrase.as_bytes(), &self.salt)
    }
}

fn passphrase_slot_key(master: &SecretKey, index: u8) -> SecretKey {
    master.derive(&[labels::PASSPHRASE_SLOT_KEY_INFO_PREFIX, &[index]].concat())
}

fn keystore_key(secret: &[u8]) -> Result<SecretKey> {
    if secret.len() != 32 {
        return Err(Error::Keystore(
            "the keystore secret must be 32 bytes".into(),
        ));
    }
    Ok(crypto::derive_key(secret, labels::KEYSTORE_SLOT_KEY_INFO))
}

struct Inner {
    /// `None` once wiped.
    conn: Option<Connection>,
    session: Option<Session>,
    last_activity: Instant,
    auto_lock: Duration,
    closed: bool,
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
    header: Header,
    clock: Arc<dyn Clock>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

impl Vault {
    /// True if `dir` holds a vault.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).is_file()
    }

    /// Creates a vault in `dir` (created if missing) and returns it unlocked,
    /// with the recovery code. Show the code to the person once; it is not
    /// stored anywhere in a readable form.
    pub fn create(
        dir: &Path,
        passphrase: &str,
        options: VaultOptions,
    ) -> Result<(Vault, RecoveryCode)> {
        check_new_passphrase(passphrase)?;
        options.kdf.validate()?;
        // Whether a vault exists is decided inside the creating transaction
        // (a database file left by a creation killed half-way is reused).
        std::fs::create_dir_all(dir)?;
        let mut conn = open_database(&dir.join(DB_FILE), &VaultSchema, OpenMode::CreateIfMissing)?;

        let header = Header {
            vault_id: random_bytes()?,
            kdf: options.kdf,
            salt: random_bytes::<16>()?.to_vec(),
        };
        let home_slot = random_bytes::<1>()?[0] & 1;
        let session = Session::new(SlotPayload {
            data_key: SecretKey::random()?,
            destroy_other: false,
            is_decoy: false,
            home_slot,
        });
        let master = header.master_key(passphrase)?;
        let code = RecoveryCode::generate()?;

        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: i64 = tx.query_row("SELECT count(*) FROM vault", [], |r| r.get(0))?;
        if existing != 0 {
            return Err(Error::VaultExists);
        }
        tx.execute(
            "INSERT INTO vault (id, vault_id, kdf, salt) VALUES (1, ?1, ?2, ?3)",
            params![
                header.vault_id,
                serde_json::to_string(&header.kdf)?,
                header.salt
            ],
        )?;
        for index in 0..2u8 {
            let name = SLOT_PASSPHRASE[index as usize];
            let blob = if index == home_slot {
                wrap_slot(
                    &passphrase_slot_key(&master, index),
                    &header.slot_aad(name),
                    &session.payload(false),
                )?
            } else {
                random_slot()?
            };
            put_slot(&tx, name, &blob)?;
        }
        put_slot(
            &tx,
            SLOT_RECOVERY,
            &wrap_slot(
                &code.wrapping_key(),
                &header.slot_aad(SLOT_RECOVERY),
                &session.payload(false),
            )?,
        )?;
        tx.execute(
            "INSERT INTO unlock_guard (id, failures, last_attempt) VALUES (1, 0, 0)",
            [],
        )?;
        tx.execute(
            "INSERT INTO settings (id, auto_lock_ms, wipe_after_failures) VALUES (1, ?1, NULL)",
            [duration_ms(DEFAULT_AUTO_LOCK)],
        )?;
        tx.commit()?;

        let vault = Vault::from_parts(dir, header, conn, options.clock)?;
        vault.shared.lock().session = Some(session);
        vault.touch();
        Ok((vault, code))
    }

    /// Opens the vault in `dir`, locked.
    pub fn open(dir: &Path, options: VaultOptions) -> Result<Vault> {
        if !Vault::exists(dir) {
            return Err(Error::NoVault);
        }
        let conn = open_database(&dir.join(DB_FILE), &VaultSchema, OpenMode::MustExist)?;
        let header = Header::load(&conn)?;
        let vault = Vault::from_parts(dir, header, conn, options.clock)?;
        // Content files left by a process killed before its commit.
        vault.with_conn(|conn| vault.sweep_blobs(conn))?;
        Ok(vault)
    }

    /// Removes content files no row references. Takes the write lock so that
    /// no writer in another process is between writing a file and committing.
    fn sweep_blobs(&self, conn: &mut Connection) -> Result<()> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let keep = {
            let mut stmt = tx.prepare("SELECT id, version FROM documents")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, u32>(1)?)))?;
            let mut keep = std::collections::HashSet::new();
            for row in rows {
                let (id, version) = row?;
                if let Ok(id) = <[u8; 16]>::try_from(id.as_slice()) {
                    keep.insert((DocumentId(id), version));
                }
            }
            keep
        };
        self.blobs.sweep(&keep)?;
        tx.commit()?;
        Ok(())
    }

    fn from_parts(
        dir: &Path,
        header: Header,
        conn: Connection,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        let auto_lock: i64 =
            conn.query_row("SELECT auto_lock_ms FROM settings WHERE id = 1", [], |r| {
                r.get(0)
            })?;
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                conn: Some(conn),
                session: None,
                last_activity: Instant::now(),
                auto_lock: Duration::from_millis(auto_lock.max(0) as u64),
                closed: false,
            }),
            wake: Condvar::new(),
        });
        spawn_watchdog(Arc::clone(&shared));
        Ok(Vault {
            dir: dir.to_path_buf(),
            blobs: BlobStore::new(dir),
            header,
            clock,
            shared,
        })
    }

    /// The directory this vault lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Argon2id parameters this vault was created with.
    pub fn kdf_params(&self) -> KdfParams {
        self.header.kdf
    }

    /// True while the keys are in memory.
    pub fn is_unlocked(&self) -> bool {
        let mut inner = self.shared.lock();
        expire_if_idle(&mut inner);
        inner.session.is_some()
    }

    /// Forgets the keys now (they are zeroized).
    pub fn lock(&self) {
        self.shared.lock().session = None;
        self.shared.wake.notify_all();
    }

    fn touch(&self) {
        self.shared.lock().last_activity = Instant::now();
        self.shared.wake.notify_all();
    }

    /// Runs `f` with the connection, failing if the vault was wiped.
    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut inner = self.shared.lock();
        let conn = inner.conn.as_mut().ok_or(Error::NoVault)?;
        f(conn)
    }

    /// Runs `f` with the connection and the keys; refuses if locked or idle
    /// too long, and counts as activity.
    fn with_session<T>(&self, f: impl FnOnce(&mut Connection, &Session) -> Result<T>) -> Result<T> {
        let mut inner = self.shared.lock();
        expire_if_idle(&mut inner);
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

    // ----- unlocking -------------------------------------------------------

    /// Unlocks with the passphrase (or the duress passphrase, which opens the
    /// decoy vault exactly as if it were the real one).
    ///
    /// Every attempt is counted in the database *before* it is evaluated, so
    /// killing the app mid-attempt does not dodge the count. After
    /// [`FREE_ATTEMPTS`] failures, attempts are refused for a delay that
    /// doubles each time ([`retry_delay`]); the error says how long.
    pub fn unlock(&self, passphrase: &str) -> Result<()> {
        let failures = self.begin_attempt()?;
        let master = self.header.master_key(passphrase)?;
        let found = self.with_conn(|conn| {
            for index in 0..2u8 {
                let name = SLOT_PASSPHRASE[index as usize];
                let blob = get_slot(conn, name)?.ok_or(Error::Integrity("key slot missing"))?;
                let key = passphrase_slot_key(&master, index);
                if let Some(p) = unwrap_slot(&key, &self.header.slot_aad(name), &blob) {
                    return Ok(Some((p, key)));
                }
            }
            Ok(None)
        })?;
        match found {
            Some((payload, slot_key)) => self.finish_unlock(payload, &slot_key),
            None => self.fail_attempt(failures),
        }
    }

    /// Unlocks the real vault with the recovery code and sets a new
    /// passphrase. The code stays valid until regenerated.
    pub fn unlock_with_recovery_code(
        &self,
        code: &RecoveryCode,
        new_passphrase: &str,
    ) -> Result<()> {
        check_new_passphrase(new_passphrase)?;
        let payload = self
            .with_conn(|conn| {
                let blob =
                    get_slot(conn, SLOT_RECOVERY)?.ok_or(Error::Integrity("key slot missing"))?;
                Ok(unwrap_slot(
                    &code.wrapping_key(),
                    &self.header.slot_aad(SLOT_RECOVERY),
                    &blob,
                ))
            })?
            .ok_or_else(|| Error::invalid("this recovery code does not open this vault"))?;
        let master = self.header.master_key(new_passphrase)?;
        let session = Session::new(payload);
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let home = session.home_slot & 1;
            let name = SLOT_PASSPHRASE[home as usize];
            self.refuse_if_opens_other_slot(&tx, &master, home)?;
            let blob = wrap_slot(
                &passphrase_slot_key(&master, session.home_slot),
                &self.header.slot_aad(name),
                &session.payload(false),
            )?;
            put_slot(&tx, name, &blob)?;
            tx.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            tx.commit()?;
            Ok(())
        })?;
        self.shared.lock().session = Some(session);
        self.touch();
        Ok(())
    }

    /// Unlocks with the platform keystore's secret (see
    /// [`Vault::enable_keystore_unlock`]).
    pub fn unlock_with_keystore(&self, keystore: &dyn PlatformKeystore) -> Result<()> {
        let secret = Zeroizing::new(
            keystore
                .vault_secret()
                .map_err(|e| Error::Keystore(e.reason))?,
        );
        let key = keystore_key(&secret)?;
        let payload = self.with_conn(|conn| {
            let blob = get_slot(conn, SLOT_KEYSTORE)?
                .ok_or_else(|| Error::invalid("keystore unlock is not enabled"))?;
            Ok(unwrap_slot(
                &key,
                &self.header.slot_aad(SLOT_KEYSTORE),
                &blob,
            ))
        })?;
        let payload = payload.ok_or(Error::Keystore(
            "the keystore secret does not open this vault".into(),
        ))?;
        self.with_conn(|conn| {
            conn.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            Ok(())
        })?;
        self.shared.lock().session = Some(Session::new(payload));
        self.touch();
        Ok(())
    }

    /// Checks the delay and records the attempt; returns the failure count
    /// the attempt will have if it fails.
    fn begin_attempt(&self) -> Result<u32> {
        let now = self.clock.now().timestamp();
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (failures, last): (u32, i64) = tx.query_row(
                "SELECT failures, last_attempt FROM unlock_guard WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let delay = retry_delay(failures).as_secs() as i64;
            // A clock set back counts as no time elapsed.
            let elapsed = (now - last).max(0);
            if failures > 0 && elapsed < delay {
                return Err(Error::Throttled {
                    retry_after: Duration::from_secs((delay - elapsed) as u64),
                });
            }
            let failures = failures.saturating_add(1);
            tx.execute(
                "UPDATE unlock_guard SET failures = ?1, last_attempt = ?2 WHERE id = 1",
                params![failures, now],
            )?;
            tx.commit()?;
            Ok(failures)
        })
    }

    fn fail_attempt(&self, failures: u32) -> Result<()> {
        let wipe_after: Option<u32> = self.with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT wipe_after_failures FROM settings WHERE id = 1",
                [],
                |r| r.get(0),
            )?)
        })?;
        if wipe_after.is_some_and(|n| failures >= n) {
            self.wipe()?;
        }
        Err(Error::WrongPassphrase {
            failed_attempts: failures,
            retry_after: retry_delay(failures),
        })
    }

    fn finish_unlock(&self, payload: SlotPayload, slot_key: &SecretKey) -> Result<()> {
        let destroy_other = payload.destroy_other;
        let mut session = Session::new(payload);
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            if destroy_other {
                self.destroy_other_vault(&tx, &session, slot_key)?;
            }
            tx.commit()?;
            if destroy_other {
                self.sweep_blobs(conn)?;
                checkpoint_truncate(conn)?;
            }
            Ok(())
        })?;
        if destroy_other {
            session.is_decoy = false;
        }
        self.shared.lock().session = Some(session);
        self.touch();
        Ok(())
    }

    /// Duress: make the other vault's keys unrecoverable and delete its rows,
    /// then rewrap our own slot without the duress flags, so the decoy lives
    /// on as a plain vault. Random bytes take the destroyed slots' places, so
    /// the file keeps its shape.
    fn destroy_other_vault(
        &self,
        tx: &rusqlite::Transaction<'_>,
        session: &Session,
        slot_key: &SecretKey,
    ) -> Result<()> {
        let home = session.home_slot & 1;
        put_slot(tx, SLOT_PASSPHRASE[(home ^ 1) as usize], &random_slot()?)?;
        put_slot(tx, SLOT_RECOVERY, &random_slot()?)?;
        tx.execute("DELETE FROM key_slots WHERE name = ?1", [SLOT_KEYSTORE])?;
        let name = SLOT_PASSPHRASE[home as usize];
        let plain = SlotPayload {
            is_decoy: false,
            ..session.payload(false)
        };
        put_slot(
            tx,
            name,
            &wrap_slot(slot_key, &self.header.slot_aad(name), &plain)?,
        )?;
        delete_foreign_documents(tx, session)
    }
}

fn delete_foreign_documents(tx: &rusqlite::Transaction<'_>, session: &Session) -> Result<()> {
    let ids: Vec<Vec<u8>> = {
        let mut stmt = tx.prepare("SELECT id, owner FROM documents")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut foreign = Vec::new();
        for row in rows {
            let (id, owner) = row?;
            let mine = <[u8; 16]>::try_from(id.as_slice())
                .map(|b| session.owner_tag(&DocumentId(b)) == owner.as_slice())
                .unwrap_or(false);
            if !mine {
                foreign.push(id);
            }
        }
        foreign
    };
    // Their content files go at the next sweep, after the commit.
    for id in ids {
        tx.execute("DELETE FROM documents WHERE id = ?1", [&id])?;
    }
    Ok(())
}

fn check_new_passphrase(p: &str) -> Result<()> {
    if p.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::invalid(format!(
            "a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    Ok(())
}

fn get_slot(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT wrapped FROM key_slots WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

fn put_slot(conn: &Connection, name: &str, blob: &[u8]) -> Result<()> {
    conn.execute(
        "INSERT INTO key_slots (name, wrapped) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped",
        params![name, blob],
    )?;
    Ok(())
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn expire_if_idle(inner: &mut Inner) {
    if inner.session.is_some() && inner.last_activity.elapsed() >= inner.auto_lock {
        inner.session = None;
    }
}

/// Locks the vault when it has been idle for the auto-lock time, even if no
/// call comes in: the keys do not wait in memory for the next call.
fn spawn_watchdog(shared: Arc<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("waymark-autolock".into())
        .spawn(move || {
            let mut inner = shared.lock();
            loop {
                if inner.closed {
                    return;
                }
                expire_if_idle(&mut inner);
                inner = if inner.session.is_some() {
                    let left = inner
                        .auto_lock
                        .saturating_sub(inner.last_activity.elapsed());
                    shared
                        .wake
                        .wait_timeout(inner, left.max(Duration::from_millis(10)))
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                } else {
                    shared.wake.wait(inner).unwrap_or_else(|p| p.into_inner())
                };
            }
        });
    // Without a thread (resource exhaustion) auto-lock still happens lazily
    // at the next call.
    drop(spawned);
}

impl Drop for Vault {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.closed = true;
        inner.session = None;
        drop(inner);
        self.shared.wake.notify_all();
    }
}
