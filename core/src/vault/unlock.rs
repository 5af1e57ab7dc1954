//! Unlocking: with the passphrase (or the duress passphrase), the recovery
//! code or the platform keystore; and the throttle on passphrase attempts,
//! counted in the database before each is evaluated, with delays that double
//! after [`FREE_ATTEMPTS`] failures and an optional wipe.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{TransactionBehavior, params};
use zeroize::Zeroizing;

use super::crypto::{KdfParams, SecretKey, SlotPayload, random_slot};
use super::duress::delete_foreign_documents;
use super::keys::{
    Header, Session, SlotFormat, get_slot, keystore_key, passphrase_slot_key, put_slot,
};
use super::lifecycle::check_new_passphrase;
use super::schema::{SLOT_KEYSTORE, SLOT_PASSPHRASE, SLOT_RECOVERY};
use super::{PlatformKeystore, RecoveryCode, Vault};
use crate::error::{Error, Result};
use crate::storage::checkpoint_truncate;

/// Failed attempts allowed before delays start.
pub const FREE_ATTEMPTS: u32 = 3;
/// The first delay, after attempt `FREE_ATTEMPTS + 1`; it doubles with every
/// further failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(30);
/// The longest delay between attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(60 * 60);

/// How long the vault refuses attempts after `failures` consecutive failures.
pub fn retry_delay(failures: u32) -> Duration {
    if failures <= FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_ATTEMPTS - 1).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

/// A passphrase slot opened by a typed passphrase.
pub(super) struct OpenedSlot {
    /// Which passphrase slot.
    pub(super) index: u8,
    pub(super) payload: SlotPayload,
    /// The slot's key under the passphrase's NFC form: its key now, or once
    /// rewrapped ([`Vault::rewrap_as_nfc`]) if `as_typed`.
    pub(super) key: SecretKey,
    /// The slot opened with the passphrase's bytes as typed, not NFC.
    pub(super) as_typed: bool,
    /// The associated data it opened with.
    pub(super) format: SlotFormat,
}

/// When, on the clock's monotonic source, a vault's current delay ends, as
/// this process saw it start; valid while the stored failure count and time
/// of the last attempt are those it saw.
struct DelayEnd {
    failures: u32,
    last_attempt: i64,
    ends_at: Duration,
}

/// The delays this process has seen, by vault directory and vault id. They
/// outlive a vault handle: closing and reopening the vault does not fall
/// back on the wall clock.
type DelayEnds = HashMap<(PathBuf, [u8; 16]), DelayEnd>;

fn delay_ends() -> MutexGuard<'static, DelayEnds> {
    static ENDS: LazyLock<Mutex<DelayEnds>> = LazyLock::new(Default::default);
    ENDS.lock().unwrap_or_else(|p| p.into_inner())
}

/// `d` rounded up to whole seconds, as a delay is shown.
fn whole_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

impl Vault {
    /// Unlocks with the passphrase (or the duress passphrase, which opens the
    /// decoy vault exactly as if it were the real one).
    ///
    /// Every attempt is counted in the database *before* it is evaluated, so
    /// killing the app mid-attempt does not dodge the count. After
    /// [`FREE_ATTEMPTS`] failures, attempts are refused for a delay that
    /// doubles each time ([`retry_delay`]); the error says how long.
    pub fn unlock(&self, passphrase: &str) -> Result<()> {
        let failures = self.begin_attempt()?;
        match self.open_passphrase_slot(passphrase, &[0, 1])? {
            Some(opened) => {
                self.rewrap_opened(&opened)?;
                self.finish_unlock(opened.payload, &opened.key)
            }
            None => self.fail_attempt(failures),
        }
    }

    /// Tries `passphrase` on the passphrase slots `indices`: its NFC form
    /// first and, only if that opens none and the passphrase as typed
    /// differs, its bytes as typed (slots written before passphrases were
    /// normalised). Each form costs one Argon2id derivation, whichever slot
    /// opens.
    pub(super) fn open_passphrase_slot(
        &self,
        passphrase: &str,
        indices: &[u8],
    ) -> Result<Option<OpenedSlot>> {
        let header = self.header();
        let master = header.master_key(passphrase)?;
        if let Some((index, payload, format)) =
            self.try_passphrase_slots(&header, &master, indices)?
        {
            return Ok(Some(OpenedSlot {
                index,
                payload,
                key: passphrase_slot_key(&master, index),
                as_typed: false,
                format,
            }));
        }
        let Some(as_typed) = header.as_typed_master_key(passphrase)? else {
            return Ok(None);
        };
        Ok(self.try_passphrase_slots(&header, &as_typed, indices)?.map(
            |(index, payload, format)| OpenedSlot {
                index,
                payload,
                key: passphrase_slot_key(&master, index),
                as_typed: true,
                format,
            },
        ))
    }

    fn try_passphrase_slots(
        &self,
        header: &Header,
        master: &SecretKey,
        indices: &[u8],
    ) -> Result<Option<(u8, SlotPayload, SlotFormat)>> {
        self.with_conn(|conn| {
            for &index in indices {
                let name = SLOT_PASSPHRASE[index as usize];
                let blob = get_slot(conn, name)?.ok_or(Error::Integrity("key slot missing"))?;
                let key = passphrase_slot_key(master, index);
                if let Some((p, format)) = header.unwrap(&key, name, &blob) {
                    return Ok(Some((index, p, format)));
                }
            }
            Ok(None)
        })
    }

    /// Rewraps a slot that opened with the passphrase's bytes as typed, or
    /// with the associated data of before the header was bound, under the
    /// NFC form and bound to the header. The passphrase just opened the
    /// slot with this header's parameters, so they are the vault's own.
    pub(super) fn rewrap_opened(&self, opened: &OpenedSlot) -> Result<()> {
        if !opened.as_typed && opened.format == SlotFormat::Bound {
            return Ok(());
        }
        let name = SLOT_PASSPHRASE[opened.index as usize];
        let blob = self.header().wrap(&opened.key, name, &opened.payload)?;
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            put_slot(&tx, name, &blob)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Unlocks the real vault with the recovery code and sets a new
    /// passphrase. The code stays valid until regenerated.
    ///
    /// The new passphrase is wrapped under the header's parameters when the
    /// recovery slot is bound to them. A recovery slot written before the
    /// parameters were bound vouches for nothing: if the parameters are then
    /// weaker than the defaults (someone may have lowered them), they are
    /// raised to the defaults with a fresh salt. Every other passphrase slot
    /// was derived with the old ones and is replaced by random bytes (a
    /// duress passphrase must be set again), and the other vault's documents
    /// are deleted; the keystore slot goes too.
    pub fn unlock_with_recovery_code(
        &self,
        code: &RecoveryCode,
        new_passphrase: &str,
    ) -> Result<()> {
        check_new_passphrase(new_passphrase)?;
        let mut header = self.header();
        let (payload, format) = self
            .with_conn(|conn| {
                let blob =
                    get_slot(conn, SLOT_RECOVERY)?.ok_or(Error::Integrity("key slot missing"))?;
                Ok(header.unwrap(&code.wrapping_key(), SLOT_RECOVERY, &blob))
            })?
            .ok_or_else(|| Error::invalid("this recovery code does not open this vault"))?;
        let raise = format == SlotFormat::Legacy && !header.kdf.at_least(&KdfParams::DEFAULT);
        if raise {
            header = Header::new(header.vault_id, KdfParams::DEFAULT)?;
        }
        let masters = header.master_keys(new_passphrase)?;
        let session = Session::new(payload, true);
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let home = session.home_slot & 1;
            let name = SLOT_PASSPHRASE[home as usize];
            if raise {
                header.store(&tx)?;
                put_slot(&tx, SLOT_PASSPHRASE[(home ^ 1) as usize], &random_slot()?)?;
                tx.execute("DELETE FROM key_slots WHERE name = ?1", [SLOT_KEYSTORE])?;
                delete_foreign_documents(&tx, &session)?;
            } else {
                self.refuse_if_opens_other_slot(&tx, &header, &masters, home)?;
            }
            let blob = header.wrap(
                &passphrase_slot_key(&masters.nfc, session.home_slot),
                name,
                &session.payload(false),
            )?;
            put_slot(&tx, name, &blob)?;
            if format == SlotFormat::Legacy {
                let recovery =
                    header.wrap(&code.wrapping_key(), SLOT_RECOVERY, &session.payload(false))?;
                put_slot(&tx, SLOT_RECOVERY, &recovery)?;
            }
            tx.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            tx.commit()?;
            if raise {
                *self.header.write().unwrap_or_else(|p| p.into_inner()) = header.clone();
                self.sweep_blobs(conn)?;
                checkpoint_truncate(conn)?;
            }
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
        let header = self.header();
        let opened = self.with_conn(|conn| {
            let blob = get_slot(conn, SLOT_KEYSTORE)?
                .ok_or_else(|| Error::invalid("keystore unlock is not enabled"))?;
            Ok(header.unwrap(&key, SLOT_KEYSTORE, &blob))
        })?;
        let (payload, format) = opened.ok_or(Error::Keystore(
            "the keystore secret does not open this vault".into(),
        ))?;
        self.with_conn(|conn| {
            conn.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            Ok(())
        })?;
        // A slot written before the header was bound vouches for nothing:
        // until a passphrase proves the parameters, no slot is wrapped under
        // them if they are weaker than the defaults.
        self.shared.lock().session = Some(Session::new(payload, format == SlotFormat::Bound));
        self.touch();
        Ok(())
    }

    /// The header to wrap a new slot under in this session: refused while
    /// its parameters are weaker than the defaults and nothing proved them
    /// the vault's own (a session opened through a keystore slot written
    /// before the header was bound; the passphrase proves them).
    pub(super) fn wrapping_header(&self, session: &Session) -> Result<Header> {
        let header = self.header();
        if session.kdf_proven || header.kdf.at_least(&KdfParams::DEFAULT) {
            Ok(header)
        } else {
            Err(Error::invalid(
                "unlock with the passphrase first: this vault's key settings must be confirmed",
            ))
        }
    }

    /// Checks the delay and records the attempt; returns the failure count
    /// the attempt will have if it fails.
    ///
    /// How long a delay has run is measured with the clock's monotonic
    /// source whenever this process saw it start (or saw it running), so
    /// setting the phone's clock neither skips nor extends it. A delay this
    /// process has not seen (the app was restarted) is measured with the
    /// wall clock from the stored time of the last attempt, but never for
    /// longer than its own length: a last attempt "in the future" (the clock
    /// was set back, or forward and back) counts as "the delay starts now",
    /// and that time is stored, so it ends.
    pub(super) fn begin_attempt(&self) -> Result<u32> {
        let now = self.clock.now().timestamp();
        let monotonic = self.clock.monotonic();
        let key = (self.dir.clone(), self.header().vault_id);
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (failures, mut last): (u32, i64) = tx.query_row(
                "SELECT failures, last_attempt FROM unlock_guard WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let delay = retry_delay(failures);
            let mut ends = delay_ends();
            if !delay.is_zero() {
                let ends_at = match ends.get(&key) {
                    Some(seen) if seen.failures == failures && seen.last_attempt == last => {
                        seen.ends_at
                    }
                    _ => {
                        let elapsed = match u64::try_from(now - last) {
                            Ok(secs) => Duration::from_secs(secs),
                            Err(_) => {
                                // The clock went back: the delay has not run
                                // yet, and starts now.
                                last = now;
                                tx.execute(
                                    "UPDATE unlock_guard SET last_attempt = ?1 WHERE id = 1",
                                    [now],
                                )?;
                                Duration::ZERO
                            }
                        };
                        let ends_at = monotonic + delay.saturating_sub(elapsed);
                        ends.insert(
                            key.clone(),
                            DelayEnd {
                                failures,
                                last_attempt: last,
                                ends_at,
                            },
                        );
                        ends_at
                    }
                };
                let left = ends_at.saturating_sub(monotonic);
                if !left.is_zero() {
                    tx.commit()?;
                    return Err(Error::Throttled {
                        retry_after: whole_seconds(left),
                    });
                }
            }
            let failures = failures.saturating_add(1);
            tx.execute(
                "UPDATE unlock_guard SET failures = ?1, last_attempt = ?2 WHERE id = 1",
                params![failures, now],
            )?;
            tx.commit()?;
            ends.insert(
                key,
                DelayEnd {
                    failures,
                    last_attempt: now,
                    ends_at: monotonic + retry_delay(failures),
                },
            );
            Ok(failures)
        })
    }

    pub(super) fn fail_attempt(&self, failures: u32) -> Result<()> {
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
        let mut session = Session::new(payload, true);
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            if destroy_other {
                self.destroy_other_vault(&tx, &session, slot_key)?;
            }
            tx.commit()?;
            if destroy_other {
                self.sweep_blobs(conn)?;
            }
            Ok(())
        })?;
        let mut erased = true;
        if destroy_other {
            session.is_decoy = false;
            // A reader elsewhere may keep the destroyed vault's old pages in
            // the WAL. The decoy opens all the same (a failure here would
            // tell), and the WAL is emptied at the next call that can.
            erased = self.with_conn(|conn| Ok(checkpoint_truncate(conn).is_ok()))?;
        }
        let mut inner = self.shared.lock();
        inner.pending_erase |= !erased;
        drop(inner);
        self.shared.lock().session = Some(session);
        self.touch();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::VaultOptions;
    use super::super::crypto::{unwrap_slot, wrap_slot};
    use super::*;

    const COMPOSED: &str = "caf\u{e9} cr\u{e8}me";
    const DECOMPOSED: &str = "cafe\u{301} cre\u{300}me";

    /// The home slot's key for `passphrase` taken byte for byte, as the
    /// code before normalisation derived it.
    fn as_typed_key(vault: &Vault, passphrase: &str, home: u8) -> SecretKey {
        let header = vault.header();
        let master = header
            .kdf
            .derive(passphrase.as_bytes(), &header.salt)
            .unwrap();
        passphrase_slot_key(&master, home)
    }

    #[test]
    fn a_slot_wrapped_before_normalisation_is_rewrapped_under_nfc() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) = Vault::create(dir.path(), COMPOSED, VaultOptions::for_tests()).unwrap();
        let (home, payload) = vault
            .with_session(|_, s| Ok((s.home_slot & 1, s.payload(false))))
            .unwrap();
        let name = SLOT_PASSPHRASE[home as usize];
        let aad = vault.header().slot_aad(name);
        // A slot as written before: the passphrase typed decomposed, its
        // bytes as they came.
        let old = wrap_slot(&as_typed_key(&vault, DECOMPOSED, home), &aad, &payload).unwrap();
        vault.with_conn(|conn| put_slot(conn, name, &old)).unwrap();
        vault.lock();

        vault.unlock(DECOMPOSED).unwrap();
        let slot = vault
            .with_conn(|conn| Ok(get_slot(conn, name)?.unwrap()))
            .unwrap();
        assert_ne!(slot, old, "the slot was rewrapped");
        assert!(
            unwrap_slot(&as_typed_key(&vault, COMPOSED, home), &aad, &slot).is_some(),
            "under the composed (NFC) form"
        );
        vault.lock();
        vault.unlock(COMPOSED).unwrap();
    }
}
