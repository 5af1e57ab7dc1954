//! A vault's life: creating one (keys, slots and the first rows in one
//! transaction), opening one (and sweeping content files a killed process
//! left), and closing it when the handle is dropped.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};

use super::autolock::{DEFAULT_AUTO_LOCK, duration_ms, spawn_watchdog};
use super::blobs::BlobStore;
use super::crypto::{KdfParams, SecretKey, random_bytes};
use super::document::DocumentId;
use super::duress::{clear_cell, put_record};
use super::keys::{Header, Session, check_new_passphrase, passphrase_slot_key, put_slot};
use super::lockstate::Listeners;
use super::record::Record;
use super::recovery::RecoveryCode;
use super::schema::{CELLS, DB_FILE, VaultSchema, passphrase_row, recovery_row};
use super::{Inner, LockReason, LockState, Shared, Vault};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::storage::{OpenMode, open_database, private_dir};

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
    ///
    /// Parameters below [`KdfParams::MINIMUM`] are recorded at creation as
    /// insecure test parameters, a marker bound to every key slot: a vault
    /// created with real parameters refuses to open if someone lowers them,
    /// and claiming the marker afterwards makes every slot fail to open.
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

impl Vault {
    /// True if `dir` holds a vault (not one a wipe was cut short in: the
    /// next open or create finishes that wipe).
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).is_file() && !dir.join(super::wipe::WIPING).exists()
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
        super::wipe::finish_interrupted_wipe(dir)?;
        private_dir(dir)?;
        let mut conn = open_database(&dir.join(DB_FILE), &VaultSchema, OpenMode::CreateIfMissing)?;

        let header = Header::new(random_bytes()?, options.kdf)?;
        // Any of the cells, uniformly (CELLS divides 256).
        let cell = random_bytes::<1>()?[0] % CELLS;
        let session = Session::new(SecretKey::random()?, cell, Record::root(), true);
        let master = header.master_key(passphrase)?;
        let code = RecoveryCode::generate()?;

        let passphrase_slot = header.wrap(
            &passphrase_slot_key(&master, cell),
            &passphrase_row(cell),
            &session.payload(),
        )?;
        let recovery_slot = header.wrap(
            &code.wrapping_key(),
            &recovery_row(cell),
            &session.payload(),
        )?;
        write_new_vault(
            &mut conn,
            &header,
            &session,
            &passphrase_slot,
            &recovery_slot,
        )?;

        let vault = Vault::from_parts(dir, header, conn, options.clock)?;
        vault.shared.lock().install(session);
        vault.touch();
        Ok((vault, code))
    }

    /// Opens the vault in `dir`, locked. A wipe cut short there (the
    /// process killed half-way) is finished first: then there is no vault.
    pub fn open(dir: &Path, options: VaultOptions) -> Result<Vault> {
        super::wipe::finish_interrupted_wipe(dir)?;
        if !Vault::exists(dir) {
            return Err(Error::NoVault);
        }
        // A vault written before its files were made private, or copied
        // in, gets its modes fixed (the database's own in open_database).
        private_dir(dir)?;
        let conn = open_database(&dir.join(DB_FILE), &VaultSchema, OpenMode::MustExist)?;
        let header = Header::load(&conn)?;
        let vault = Vault::from_parts(dir, header, conn, options.clock)?;
        vault.blobs.make_private()?;
        // Content files left by a process killed before its commit.
        vault.with_conn(|conn| vault.sweep_blobs(conn))?;
        Ok(vault)
    }

    /// Removes content files no row references. Takes the write lock so that
    /// no writer in another process is between writing a file and committing.
    pub(super) fn sweep_blobs(&self, conn: &mut Connection) -> Result<()> {
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

    pub(super) fn from_parts(
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
                pending_erase: false,
                state: LockState::Locked(LockReason::Opened),
                listeners: Listeners::default(),
            }),
            wake: Condvar::new(),
        });
        spawn_watchdog(Arc::clone(&shared));
        Ok(Vault {
            dir: dir.to_path_buf(),
            blobs: BlobStore::new(dir),
            header: RwLock::new(header),
            clock,
            shared,
        })
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.closed = true;
        inner.forget_keys(LockReason::Closed);
        drop(inner);
        self.shared.wake.notify_all();
    }
}

/// Writes a new vault's rows in one transaction: the header, the vault's
/// passphrase and recovery slots in its cell, every other cell free
/// (random bytes), its record, the unlock guard and the settings.
/// [`Error::VaultExists`] if the database holds a vault already (a database
/// file left by a creation killed half-way is reused). Used by
/// [`Vault::create`] and by a restore (`carried.rs`).
pub(super) fn write_new_vault(
    conn: &mut Connection,
    header: &Header,
    session: &Session,
    passphrase_slot: &[u8],
    recovery_slot: &[u8],
) -> Result<()> {
    let cell = session.cell;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: i64 = tx.query_row("SELECT count(*) FROM vault", [], |r| r.get(0))?;
    if existing != 0 {
        return Err(Error::VaultExists);
    }
    tx.execute(
        "INSERT INTO vault (id, vault_id, kdf, salt, insecure_kdf) VALUES (1, ?1, '', x'', 0)",
        [header.vault_id],
    )?;
    header.store(&tx)?;
    // Every cell's rows exist from the start; only this vault's are more
    // than random bytes.
    for other in (0..CELLS).filter(|&c| c != cell) {
        clear_cell(&tx, other)?;
    }
    put_slot(&tx, &passphrase_row(cell), passphrase_slot)?;
    put_slot(&tx, &recovery_row(cell), recovery_slot)?;
    put_record(&tx, header, session)?;
    tx.execute(
        "INSERT INTO unlock_guard (id, failures, last_attempt) VALUES (1, 0, 0)",
        [],
    )?;
    tx.execute(
        "INSERT INTO settings (id, auto_lock_ms, wipe_after_failures) VALUES (1, ?1, NULL)",
        [duration_ms(DEFAULT_AUTO_LOCK)],
    )?;
    tx.commit()?;
    Ok(())
}
