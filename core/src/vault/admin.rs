//! Managing an unlocked vault's keys and settings: passphrase change,
//! recovery code, platform keystore, the settings and wipe-after-failures.
//! The duress passphrase is managed in `duress.rs`, the auto-lock time in
//! `autolock.rs`.

use std::time::Duration;

use rusqlite::{TransactionBehavior, params};
use serde::Serialize;
use zeroize::Zeroizing;

use super::crypto::SlotPayload;
use super::keys::{keystore_key, passphrase_slot_key, put_slot};
use super::lifecycle::check_new_passphrase;
use super::schema::{SLOT_KEYSTORE, SLOT_PASSPHRASE, SLOT_RECOVERY};
use super::unlock::FREE_ATTEMPTS;
use super::{PlatformKeystore, RecoveryCode, Vault};
use crate::error::{Error, Result};
use crate::storage::checkpoint_truncate;

/// The user's vault settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VaultSettings {
    /// Lock after this long without use.
    pub auto_lock: Duration,
    /// Wipe the vault after this many consecutive failed attempts (`None`:
    /// never).
    pub wipe_after_failures: Option<u32>,
}

impl Vault {
    /// Changes the passphrase of the unlocked vault. The data key is only
    /// rewrapped: no document is re-encrypted. The current passphrase is
    /// asked again (and counted like an unlock attempt), so a phone left
    /// unlocked cannot have its passphrase changed by someone else.
    pub fn change_passphrase(&self, current: &str, new: &str) -> Result<()> {
        check_new_passphrase(new)?;
        let (payload, home) = self.with_session(|_, s| Ok((s.payload(false), s.home_slot & 1)))?;
        let failures = self.begin_attempt()?;
        let Some(opened) = self.open_passphrase_slot(current, &[home])? else {
            return self.fail_attempt(failures);
        };
        // The current passphrase opened its slot with these parameters: they
        // are the vault's own.
        let header = self.header();
        let name = SLOT_PASSPHRASE[home as usize];
        let new_masters = header.master_keys(new)?;
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            self.refuse_if_opens_other_slot(&tx, &header, &new_masters, home)?;
            // Keep the slot's duress flags as they were.
            let payload = SlotPayload {
                destroy_other: opened.payload.destroy_other,
                ..payload
            };
            put_slot(
                &tx,
                name,
                &header.wrap(&passphrase_slot_key(&new_masters.nfc, home), name, &payload)?,
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
            let blob = self.wrapping_header(session)?.wrap(
                &code.wrapping_key(),
                SLOT_RECOVERY,
                &session.payload(false),
            )?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            put_slot(&tx, SLOT_RECOVERY, &blob)?;
            tx.commit()?;
            checkpoint_truncate(conn)
        })?;
        Ok(code)
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
            let blob = self.wrapping_header(session)?.wrap(
                &key,
                SLOT_KEYSTORE,
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
}
