//! The vault database schema.
//!
//! Nothing personal is stored in clear: document metadata and content are
//! sealed; what is in clear is what must be read before unlock (key slots,
//! KDF parameters, the failed-attempt counter, settings) and structure
//! (random ids; content sizes, which show in the content files under
//! `blobs/`, see `blobs.rs`).

use rusqlite::{OptionalExtension, Transaction};

use super::crypto::KdfParams;
use crate::error::{Error, Result};
use crate::storage::{Schema, json_from_text};

/// File name of the vault database inside the vault directory.
pub const DB_FILE: &str = "vault.db";

/// Names of the key slot rows.
pub const SLOT_PASSPHRASE: [&str; 2] = ["passphrase-0", "passphrase-1"];
/// The recovery code's slot.
pub const SLOT_RECOVERY: &str = "recovery";
/// The platform keystore's slot (present only when enabled).
pub const SLOT_KEYSTORE: &str = "keystore";

pub struct VaultSchema;

impl Schema for VaultSchema {
    const NAME: &'static str = "vault";
    /// 2: `vault.insecure_kdf`, the insecure test parameters marker.
    const END_VERSION: u32 = 2;

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
                 name TEXT PRIMARY KEY,
                 wrapped BLOB NOT NULL     -- version || nonce || sealed data key || tag
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
        Ok(())
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
            _ => Err(Error::UnsupportedFormat(format!(
                "no upgrade from vault schema version {version}"
            ))),
        }
    }
}
