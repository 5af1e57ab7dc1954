//! Panic wipe: destroy the key material first, then the files.
//!
//! Order matters. Every key slot is overwritten with random bytes and
//! deleted, the salt and vault id are replaced, and the WAL is checkpointed
//! and truncated so that no older copy of a slot page survives in it. Only
//! then are the files overwritten with zeroes and removed. If the process
//! dies between the two steps, what remains is ciphertext whose keys no
//! longer exist anywhere: neither the passphrase nor the recovery code can
//! open it.
//!
//! A wipe first leaves a marker file ([`WIPING`]) and removes it last. If
//! the process dies before the end, the next [`Vault::open`] or
//! [`Vault::create`] in that folder finishes the wipe (and `open` then
//! finds no vault), instead of failing on a half-shredded database.

use std::path::Path;

use rusqlite::Connection;

use super::blobs::{BlobStore, shred, sync_dir};
use super::schema::DB_FILE;
use super::{LockReason, Vault};
use crate::error::Result;

/// The marker a wipe leaves in the vault's folder while it runs.
pub(super) const WIPING: &str = "wiping";

impl Vault {
    /// Wipes the vault, locked or not. Afterwards every call on this handle
    /// fails with [`crate::Error::NoVault`], and nothing in the directory
    /// opens with the passphrase or the recovery code.
    pub fn wipe(&self) -> Result<()> {
        let conn = {
            let mut inner = self.shared.lock();
            inner.forget_keys(LockReason::Wiped);
            inner.conn.take()
        };
        self.shared.wake.notify_all();
        begin(&self.dir)?;
        if let Some(conn) = conn {
            // Best effort: a damaged database must not stop the wipe.
            let _ = destroy_keys(&conn);
            drop(conn);
        }
        remove_files(&self.dir)?;
        finish(&self.dir)
    }
}

/// Wipes the vault in `dir` without opening it (no passphrase needed).
/// Succeeds if there is nothing to wipe.
pub fn wipe_dir(dir: &Path) -> Result<()> {
    let db = dir.join(DB_FILE);
    begin(dir)?;
    if db.exists()
        && let Ok(conn) = Connection::open(&db)
    {
        let _ = destroy_keys(&conn);
    }
    remove_files(dir)?;
    finish(dir)
}

/// Finishes a wipe a killed process left in `dir`, if there is one.
pub(super) fn finish_interrupted_wipe(dir: &Path) -> Result<()> {
    if dir.join(WIPING).exists() {
        wipe_dir(dir)?;
    }
    Ok(())
}

/// Leaves the marker, durably, before anything is destroyed.
fn begin(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    std::fs::File::create(dir.join(WIPING))?.sync_all()?;
    sync_dir(dir);
    Ok(())
}

/// Removes the marker once nothing else is left.
fn finish(dir: &Path) -> Result<()> {
    match std::fs::remove_file(dir.join(WIPING)) {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Destroys the key slots and empties the WAL. If another connection keeps
/// the WAL from being emptied, the error is returned to the wipe, which goes
/// on regardless: it then overwrites the WAL file itself with zeroes.
fn destroy_keys(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(2))?;
    conn.execute_batch(
        "PRAGMA secure_delete = ON;
         BEGIN IMMEDIATE;
         UPDATE key_slots SET wrapped = randomblob(length(wrapped));
         DELETE FROM key_slots;
         UPDATE vault SET salt = randomblob(16), vault_id = randomblob(16);
         COMMIT;",
    )?;
    crate::storage::checkpoint_truncate(conn)
}

fn remove_files(dir: &Path) -> Result<()> {
    BlobStore::new(dir).remove_all()?;
    let db = dir.join(DB_FILE);
    let mut paths = vec![db.clone()];
    for suffix in crate::storage::SIDE_FILE_SUFFIXES {
        let mut p = db.clone().into_os_string();
        p.push(suffix);
        paths.push(p.into());
    }
    for path in paths {
        shred(&path)?;
    }
    Ok(())
}
