//! The vault database schema.
//!
//! Nothing personal is stored in clear: document metadata and content are
//! sealed; what is in clear is what must be read before unlock (key slots,
//! KDF parameters, the failed-attempt counter, settings) and structure
//! (random ids; content sizes, which show in the content files under
//! `blobs/`, see `blobs.rs`).

use rusqlite::{OptionalExtension, Transaction, params};

use super::crypto::{KdfParams, random_record, random_slot};
use crate::error::{Error, Result};
use crate::storage::{Schema, json_from_text};

/// File name of the vault database inside the vault directory.
pub const DB_FILE: &str = "vault.db";

/// How many vaults a vault file can hold: the real one, its decoy, the
/// decoy's decoy, and so on (see the module documentation of
/// [`crate::vault`]). Each vault lives in a cell: three rows of `key_slots`,
/// always present, random while the cell is free.
pub const CELLS: u8 = 8;

/// The passphrase slot of a cell: the vault's data key under its passphrase.
pub fn passphrase_row(cell: u8) -> String {
    format!("passphrase-{cell}")
}

/// The recovery slot of a cell: the vault's data key under its recovery
/// code (random until the vault has a code).
pub fn recovery_row(cell: u8) -> String {
    format!("recovery-{cell}")
}

/// The record of a cell: what the vault in it knows of its place among the
/// others, sealed under its own data key (`record.rs`).
pub fn record_row(cell: u8) -> String {
    format!("record-{cell}")
}

/// The one recovery slot of vaults written before cells: the real vault's.
/// Moved to its cell's recovery row at the first unlock.
pub const LEGACY_RECOVERY_ROW: &str = "recovery";
/// The platform keystore's slot: present while the vault last unlocked with
/// a passphrase (or recovery code) has keystore unlock enabled.
pub const KEYSTORE_ROW: &str = "keystore";

pub struct VaultSchema;

impl Schema for VaultSchema {
    const NAME: &'static str = "vault";
    /// 2: `vault.insecure_kdf`, the insecure test parameters marker.
    /// 3: cells: eight passphrase slots, eight recovery slots, eight records.
    const END_VERSION: u32 = 4;

    fn create(&self, tx: &Transaction<'_>) -> Result<()> {
        tx.execute_batch(
            "CREATE TABLE vault (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 vault_id BLOB NOT NULL,   -- 16 random bytes bound into every envelope
                 kdf TEXT NOT NULL,        -- Argon2id parameters (JSON)
                 salt BLOB NOT NULL,       -- Argon2id salt, 16 random bytes
                 insecure_kdf INTEGER NOT NULL DEFAULT 0
                                           -- 1: created with parameters below the
                                           -- floor on purpose (tests); bound to every slot
             );
             CREATE TABLE key_slots (
                 name TEXT PRIMARY KEY,    -- passphrase-<cell>, recovery-<cell>, record-<cell>, keystore
                 wrapped BLOB NOT NULL     -- version || nonce || sealed payload || tag
             );
             CREATE TABLE unlock_guard (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 failures INTEGER NOT NULL,
                 last_attempt INTEGER NOT NULL  -- unix seconds
             );
             CREATE TABLE settings (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 auto_lock_ms INTEGER NOT NULL,
                 wipe_after_failures INTEGER
             );
             CREATE TABLE documents (
                 id BLOB PRIMARY KEY,      -- 16 random bytes
                 owner BLOB NOT NULL,      -- HMAC(index key, id): real or decoy vault
                 version INTEGER NOT NULL, -- content version, bound into every chunk
                 metadata BLOB NOT NULL,   -- sealed, padded JSON
                 header BLOB NOT NULL      -- STREAM header of the content file blobs/<id>.<version>
             );",
        )?;
        create_private_records(tx)
    }

    fn upgrade_from(&self, tx: &Transaction<'_>, version: u32) -> Result<()> {
        match version {
            // Version 1 accepted any parameters from 8 KiB; a vault written
            // with parameters below the floor is marked as made with them.
            // Nothing authenticates that (the parameters were not bound to
            // the slots yet), which is why a slot written before is trusted
            // with weak parameters only when a passphrase opens it (the
            // derivation proves them), never on the word of a recovery code
            // or the keystore (see `unlock.rs`).
            1 => {
                tx.execute_batch(
                    "ALTER TABLE vault ADD COLUMN insecure_kdf INTEGER NOT NULL DEFAULT 0;",
                )?;
                let kdf: Option<String> = tx
                    .query_row("SELECT kdf FROM vault WHERE id = 1", [], |r| r.get(0))
                    .optional()?;
                let below = kdf
                    .and_then(|k| json_from_text::<KdfParams>(&k).ok())
                    .is_some_and(|k| !k.at_least(&KdfParams::MINIMUM));
                if below {
                    tx.execute("UPDATE vault SET insecure_kdf = 1 WHERE id = 1", [])?;
                }
                Ok(())
            }
            // Cells: the rows a vault of two passphrase slots and one
            // recovery slot lacks, as random bytes. Which cell holds the
            // real vault is unknown without a key, so the old recovery slot
            // stays where it is until the first unlock moves it.
            2 => {
                let mut insert =
                    tx.prepare("INSERT OR IGNORE INTO key_slots (name, wrapped) VALUES (?1, ?2)")?;
                for cell in 0..CELLS {
                    insert.execute(params![passphrase_row(cell), random_slot()?])?;
                    insert.execute(params![recovery_row(cell), random_slot()?])?;
                    insert.execute(params![record_row(cell), random_record()?])?;
                }
                Ok(())
            }
            // Private records (the remote backup's location and state).
            3 => create_private_records(tx),
            _ => Err(Error::UnsupportedFormat(format!(
                "no upgrade from vault schema version {version}"
            ))),
        }
    }
}

/// The private records (`carried.rs`): small values sealed under a vault's
/// own key, owned like documents.
fn create_private_records(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "CREATE TABLE private_records (
             id BLOB PRIMARY KEY,      -- 16 random bytes
             owner BLOB NOT NULL,      -- HMAC(index key, id): which vault's
             sealed BLOB NOT NULL      -- name and value, padded, sealed
         );",
    )?;
    Ok(())
}
