//! Managing an unlocked vault's keys and settings: passphrase change,
//! recovery code, platform keystore, the settings and wipe-after-failures.
//! The duress passphrase is managed in `duress.rs`, the auto-lock time in
//! `autolock.rs`.

use std::time::Duration;

use rusqlite::{Transaction, TransactionBehavior, params};
use serde::Serialize;
use zeroize::Zeroizing;

use super::duress::{put_record, reload_record};
use super::keys::{Header, Session, check_new_passphrase, passphrase_slot_key, put_slot};
use super::record::keystore_key_v2;
use super::record::{Keystore, KeystoreKey};
use super::schema::{KEYSTORE_ROW, passphrase_row, record_row, recovery_row};
use super::unlock::{FREE_ATTEMPTS, arm_keystore};
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
        let (payload, cell) = self.with_session(|_, s| Ok((s.payload(), s.cell)))?;
        let failures = self.begin_attempt()?;
        if self.open_passphrase_slot(current, &[cell])?.is_none() {
            return self.fail_attempt(failures);
        }
        // The current passphrase opened its slot with these parameters: they
        // are the vault's own.
        let header = self.header();
        let row = passphrase_row(cell);
        let new_masters = header.master_keys(new)?;
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            self.refuse_if_opens_other_slot(&tx, &header, &new_masters, cell)?;
            put_slot(
                &tx,
                &row,
                &header.wrap(&passphrase_slot_key(&new_masters.nfc, cell), &row, &payload)?,
            )?;
            tx.commit()?;
            checkpoint_truncate(conn)
        })
    }

    /// Makes a new recovery code and revokes the old one. Show it once.
    ///
    /// A decoy gets a code of its own, which opens the decoy.
    pub fn regenerate_recovery_code(&self) -> Result<RecoveryCode> {
        let code = RecoveryCode::generate()?;
        self.with_session(|conn, session| {
            let row = recovery_row(session.cell);
            let blob = self.wrapping_header(session)?.wrap(
                &code.wrapping_key(),
                &row,
                &session.payload(),
            )?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            put_slot(&tx, &row, &blob)?;
            tx.commit()?;
            checkpoint_truncate(conn)
        })?;
        Ok(code)
    }

    /// Enables unlocking with the platform keystore's secret, so the app can
    /// unlock with biometrics ([`Vault::unlock_with_keystore`]).
    ///
    /// The keystore opens the vault last unlocked with its passphrase (or
    /// recovery code). This vault's decoys, present and future, get keystore
    /// keys of their own: after a duress passphrase the keystore opens the
    /// decoy, never this vault, until this vault's passphrase is entered.
    pub fn enable_keystore_unlock(&self, keystore: &dyn PlatformKeystore) -> Result<()> {
        let secret = Zeroizing::new(
            keystore
                .vault_secret()
                .map_err(|e| Error::Keystore(e.reason))?,
        );
        keystore_key_v2(&secret, &[0; 16])?;
        self.with_session_mut(|conn, session| {
            let header = self.wrapping_header(session)?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            reload_record(&tx, &header, session)?;
            let before = session.record.keystore.clone();
            let done = (|| {
                self.provision_keystore(&tx, &header, session, &secret)?;
                put_record(&tx, &header, session)?;
                arm_keystore(&tx, &header, session)?;
                Ok(tx.commit()?)
            })();
            if done.is_err() {
                session.record.keystore = before;
            }
            done
        })
    }

    /// Disables keystore unlock for this vault and its decoys; only their
    /// passphrases and recovery codes open them afterwards.
    pub fn disable_keystore_unlock(&self) -> Result<()> {
        self.with_session_mut(|conn, session| {
            let header = self.wrapping_header(session)?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            reload_record(&tx, &header, session)?;
            let below = self.subtree(&tx, &header, session)?;
            for d in below {
                if let (Some(key), Some(mut record)) = (d.data_key, d.record) {
                    record.keystore = Keystore::Off;
                    put_slot(
                        &tx,
                        &record_row(d.cell),
                        &header.seal_record(&record, d.cell, &key)?,
                    )?;
                }
            }
            let mut record = session.record.clone();
            record.keystore = Keystore::Off;
            put_slot(
                &tx,
                &record_row(session.cell),
                &header.seal_record(&record, session.cell, &session.data_key)?,
            )?;
            tx.execute("DELETE FROM key_slots WHERE name = ?1", [KEYSTORE_ROW])?;
            tx.commit()?;
            session.record = record;
            checkpoint_truncate(conn)
        })
    }

    /// Gives this vault keystore keys from the keystore's secret (see
    /// `record.rs`), and its descendants theirs; writes the descendants'
    /// records (the caller writes the session's).
    pub(super) fn provision_keystore(
        &self,
        tx: &Transaction<'_>,
        header: &Header,
        session: &mut Session,
        secret: &[u8],
    ) -> Result<()> {
        let mut keys = KeystoreKey::pool(secret)?;
        session.record.keystore = Keystore::On(keys.clone());
        for d in self.subtree(tx, header, session)? {
            keys = KeystoreKey::for_child(&keys)?;
            if let (Some(key), Some(mut record)) = (d.data_key, d.record) {
                record.keystore = Keystore::On(keys.clone());
                put_slot(
                    tx,
                    &record_row(d.cell),
                    &header.seal_record(&record, d.cell, &key)?,
                )?;
            }
        }
        Ok(())
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
