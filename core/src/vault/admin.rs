//! Managing an unlocked vault's keys and settings: passphrase change,
//! recovery code, duress passphrase, platform keystore, auto-lock and
//! wipe-after-failures.

use std::time::Duration;

use rusqlite::{TransactionBehavior, params};
use zeroize::Zeroizing;

use super::crypto::{SecretKey, SlotPayload, random_slot, unwrap_slot, wrap_slot};
use super::schema::{SLOT_KEYSTORE, SLOT_PASSPHRASE, SLOT_RECOVERY};
use super::{
    FREE_ATTEMPTS, PlatformKeystore, RecoveryCode, Vault, VaultSettings, check_new_passphrase,
    delete_foreign_documents, duration_ms, get_slot, keystore_key, passphrase_slot_key, put_slot,
};
use crate::error::{Error, Result};
use crate::storage::checkpoint_truncate;

/// Shortest auto-lock idle time accepted.
pub const MIN_AUTO_LOCK: Duration = Duration::from_millis(100);
/// Longest auto-lock idle time accepted.
pub const MAX_AUTO_LOCK: Duration = Duration::from_secs(24 * 60 * 60);

impl Vault {
    /// Changes the passphrase of the unlocked vault. The data key is only
    /// rewrapped: no document is re-encrypted. The current passphrase is
    /// asked again (and counted like an unlock attempt), so a phone left
    /// unlocked cannot have its passphrase changed by someone else.
    pub fn change_passphrase(&self, current: &str, new: &str) -> Result<()> {
        check_new_passphrase(new)?;
        let (payload, home) = self.with_session(|_, s| Ok((s.payload(false), s.home_slot & 1)))?;
        let failures = self.begin_attempt()?;
        let current_key = passphrase_slot_key(&self.header.master_key(current)?, home);
        let name = SLOT_PASSPHRASE[home as usize];
        let opened = self.with_conn(|conn| {
            let blob = get_slot(conn, name)?.ok_or(Error::Integrity("key slot missing"))?;
            Ok(unwrap_slot(
                &current_key,
                &self.header.slot_aad(name),
                &blob,
            ))
        })?;
        let Some(opened) = opened else {
            return self.fail_attempt(failures);
        };
        let new_master = self.header.master_key(new)?;
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            self.refuse_if_opens_other_slot(&tx, &new_master, home)?;
            // Keep the slot's duress flags as they were.
            let payload = SlotPayload {
                destroy_other: opened.destroy_other,
                ..payload
            };
            put_slot(
                &tx,
                name,
                &wrap_slot(
                    &passphrase_slot_key(&new_master, home),
                    &self.header.slot_aad(name),
                    &payload,
                )?,
            )?;
            tx.commit()?;
            checkpoint_truncate(conn)
        })
    }

    /// Makes a new recovery code and revokes the old one. Show it once.
    ///
    /// In a decoy session (opened with the duress passphrase) this returns a
    /// well-formed code and changes nothing, so that the decoy behaves like
    /// a real vault to whoever is watching.
    pub fn regenerate_recovery_code(&self) -> Result<RecoveryCode> {
        let code = RecoveryCode::generate()?;
        self.with_session(|conn, session| {
            if session.is_decoy {
                return Ok(());
            }
            let blob = wrap_slot(
                &code.wrapping_key(),
                &self.header.slot_aad(SLOT_RECOVERY),
                &session.payload(false),
            )?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            put_slot(&tx, SLOT_RECOVERY, &blob)?;
            tx.commit()?;
            checkpoint_truncate(conn)
        })?;
        Ok(code)
    }

    /// Sets (or replaces) the duress passphrase. It opens an empty decoy
    /// vault that looks and behaves like the real one; the person can put
    /// harmless documents in it. With `destroy_real`, unlocking with the
    /// duress passphrase also silently destroys the real vault's keys and
    /// documents. Replacing a duress passphrase deletes the old decoy's
    /// documents.
    ///
    /// In a decoy session this succeeds and changes nothing.
    pub fn set_duress_passphrase(&self, duress: &str, destroy_real: bool) -> Result<()> {
        check_new_passphrase(duress)?;
        let (is_decoy, home) = self.with_session(|_, s| Ok((s.is_decoy, s.home_slot & 1)))?;
        if is_decoy {
            return Ok(());
        }
        let master = self.header.master_key(duress)?;
        let other = home ^ 1;
        let name = SLOT_PASSPHRASE[other as usize];
        let decoy = SlotPayload {
            data_key: SecretKey::random()?,
            destroy_other: destroy_real,
            is_decoy: true,
            home_slot: other,
        };
        let blob = wrap_slot(
            &passphrase_slot_key(&master, other),
            &self.header.slot_aad(name),
            &decoy,
        )?;
        self.with_session(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let home_name = SLOT_PASSPHRASE[home as usize];
            let home_blob =
                get_slot(&tx, home_name)?.ok_or(Error::Integrity("key slot missing"))?;
            if unwrap_slot(
                &passphrase_slot_key(&master, home),
                &self.header.slot_aad(home_name),
                &home_blob,
            )
            .is_some()
            {
                return Err(Error::invalid(
                    "the duress passphrase must differ from the passphrase",
                ));
            }
            put_slot(&tx, name, &blob)?;
            delete_foreign_documents(&tx, session)?;
            tx.commit()?;
            self.sweep_blobs(conn)?;
            checkpoint_truncate(conn)
        })
    }

    /// Removes the duress passphrase and its decoy's documents. In a decoy
    /// session this succeeds and changes nothing.
    pub fn remove_duress_passphrase(&self) -> Result<()> {
        self.with_session(|conn, session| {
            if session.is_decoy {
                return Ok(());
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            put_slot(
                &tx,
                SLOT_PASSPHRASE[((session.home_slot & 1) ^ 1) as usize],
                &random_slot()?,
            )?;
            delete_foreign_documents(&tx, session)?;
            tx.commit()?;
            self.sweep_blobs(conn)?;
            checkpoint_truncate(conn)
        })
    }

    /// Adds a second wrapping of the data key under the platform keystore's
    /// secret, so the app can unlock with biometrics
    /// ([`Vault::unlock_with_keystore`]).
    pub fn enable_keystore_unlock(&self, keystore: &dyn PlatformKeystore) -> Result<()> {
        let secret = Zeroizing::new(
            keystore
                .vault_secret()
                .map_err(|e| Error::Keystore(e.reason))?,
        );
        let key = keystore_key(&secret)?;
        self.with_session(|conn, session| {
            let blob = wrap_slot(
                &key,
                &self.header.slot_aad(SLOT_KEYSTORE),
                &session.payload(false),
            )?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            put_slot(&tx, SLOT_KEYSTORE, &blob)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Removes the keystore wrapping; only passphrase and recovery code open
    /// the vault afterwards.
    pub fn disable_keystore_unlock(&self) -> Result<()> {
        self.with_session(|conn, _| {
            conn.execute("DELETE FROM key_slots WHERE name = ?1", [SLOT_KEYSTORE])?;
            checkpoint_truncate(conn)
        })
    }

    /// The current settings.
    pub fn settings(&self) -> Result<VaultSettings> {
        self.with_session(|conn, _| {
            let (ms, wipe): (i64, Option<u32>) = conn.query_row(
                "SELECT auto_lock_ms, wipe_after_failures FROM settings WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(VaultSettings {
                auto_lock: Duration::from_millis(ms.max(0) as u64),
                wipe_after_failures: wipe,
            })
        })
    }

    /// Locks the vault after `idle` without use (100 ms to 24 h).
    pub fn set_auto_lock(&self, idle: Duration) -> Result<()> {
        if !(MIN_AUTO_LOCK..=MAX_AUTO_LOCK).contains(&idle) {
            return Err(Error::invalid(
                "auto-lock must be between 100 ms and 24 hours",
            ));
        }
        self.with_session(|conn, _| {
            conn.execute(
                "UPDATE settings SET auto_lock_ms = ?1 WHERE id = 1",
                [duration_ms(idle)],
            )?;
            Ok(())
        })?;
        self.shared.lock().auto_lock = idle;
        self.shared.wake.notify_all();
        Ok(())
    }

    /// Wipes the vault after `n` consecutive failed attempts (`None`: never).
    /// At least [`FREE_ATTEMPTS`] attempts are always allowed, so one typo
    /// cannot destroy everything.
    pub fn set_wipe_after_failures(&self, n: Option<u32>) -> Result<()> {
        if n.is_some_and(|n| n < FREE_ATTEMPTS) {
            return Err(Error::invalid(format!(
                "wipe-after-failures must allow at least {FREE_ATTEMPTS} attempts"
            )));
        }
        self.with_session(|conn, _| {
            conn.execute(
                "UPDATE settings SET wipe_after_failures = ?1 WHERE id = 1",
                params![n],
            )?;
            Ok(())
        })
    }

    /// Refuses a new passphrase that would open the other passphrase slot.
    pub(super) fn refuse_if_opens_other_slot(
        &self,
        conn: &rusqlite::Connection,
        master: &SecretKey,
        home: u8,
    ) -> Result<()> {
        let other = SLOT_PASSPHRASE[(home ^ 1) as usize];
        let blob = get_slot(conn, other)?.ok_or(Error::Integrity("key slot missing"))?;
        if unwrap_slot(
            &passphrase_slot_key(master, home ^ 1),
            &self.header.slot_aad(other),
            &blob,
        )
        .is_some()
        {
            return Err(Error::invalid(
                "choose a passphrase different from the duress passphrase",
            ));
        }
        Ok(())
    }
}
