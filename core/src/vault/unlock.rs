//! Unlocking: with the passphrase (or the duress passphrase), the recovery
//! code or the platform keystore; and the throttle on passphrase attempts,
//! counted in the database before each is evaluated, with delays that double
//! after [`FREE_ATTEMPTS`] failures and an optional wipe.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Transaction, TransactionBehavior, params};
use zeroize::Zeroizing;

use super::crypto::{KdfParams, SLOT_LEN, SecretKey, SlotPayload};
use super::duress::{clear_cell, delete_foreign_documents, put_record};
use super::keys::{
    Header, Session, SlotFormat, check_new_passphrase, get_slot, keystore_key, passphrase_slot_key,
    put_slot,
};
use super::record::{Keystore, Record, keystore_key_v2};
use super::schema::{
    CELLS, KEYSTORE_ROW, LEGACY_RECOVERY_ROW, passphrase_row, record_row, recovery_row,
};
use super::{PlatformKeystore, RecoveryCode, Vault};
use crate::error::{Error, Result};
use crate::storage::checkpoint_truncate;

/// Length of the salt a keystore slot carries in clear before its wrapped
/// payload.
const KEYSTORE_SALT_LEN: usize = 16;

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
    /// rewrapped (at unlock) if `as_typed`.
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
        let all: Vec<u8> = (0..CELLS).collect();
        let Some(opened) = self.open_passphrase_slot(passphrase, &all)? else {
            return self.fail_attempt(failures);
        };
        // The passphrase opened the slot with this header's parameters:
        // they are the vault's own.
        let header = self.header();
        let rewrap =
            opened.as_typed || opened.format == SlotFormat::Legacy || !opened.payload.has_record;
        let cell = opened.index;
        self.establish(&header, opened.payload, true, true, |tx, session| {
            if rewrap {
                let row = passphrase_row(cell);
                put_slot(
                    tx,
                    &row,
                    &header.wrap(&opened.key, &row, &session.payload())?,
                )?;
            }
            Ok(())
        })
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

    /// Tries every slot of `indices` (all of them, so the time does not
    /// depend on which opens).
    fn try_passphrase_slots(
        &self,
        header: &Header,
        master: &SecretKey,
        indices: &[u8],
    ) -> Result<Option<(u8, SlotPayload, SlotFormat)>> {
        self.with_conn(|conn| {
            let mut found = None;
            for &index in indices {
                let row = passphrase_row(index);
                let blob = get_slot(conn, &row)?.ok_or(Error::Integrity("key slot missing"))?;
                let key = passphrase_slot_key(master, index);
                if let Some((p, format)) = header.unwrap(&key, &row, &blob)
                    && p.home_slot == index
                    && found.is_none()
                {
                    found = Some((index, p, format));
                }
            }
            Ok(found)
        })
    }

    /// Unlocks the vault whose recovery code this is (the real vault's, or a
    /// decoy's made in the decoy) and sets a new passphrase. The code stays
    /// valid until regenerated.
    ///
    /// The new passphrase is wrapped under the header's parameters when
    /// something bound to them vouches for them: the recovery slot, or the
    /// vault's record. A vault written before the parameters were bound,
    /// recovered through its old recovery slot before any passphrase unlock
    /// made its record, has nothing to vouch for them: if they are weaker
    /// than the defaults (someone may have lowered them), they are raised to
    /// the defaults with a fresh salt first. Every other cell was derived or
    /// bound under the old ones and is cleared (a duress passphrase must be
    /// set again), with the other vault's documents, and the keystore slot
    /// goes too.
    pub fn unlock_with_recovery_code(
        &self,
        code: &RecoveryCode,
        new_passphrase: &str,
    ) -> Result<()> {
        check_new_passphrase(new_passphrase)?;
        let mut header = self.header();
        let key = code.wrapping_key();
        let found = self.with_conn(|conn| {
            let mut found = None;
            let rows = (0..CELLS)
                .map(recovery_row)
                .chain(std::iter::once(LEGACY_RECOVERY_ROW.to_owned()));
            for row in rows {
                let Some(blob) = get_slot(conn, &row)? else {
                    continue;
                };
                if let Some((payload, format)) = header.unwrap_recovery(&key, &row, &blob)
                    && payload.home_slot < CELLS
                    && found.is_none()
                {
                    let cell = payload.home_slot;
                    let vouched = format == SlotFormat::Bound
                        || get_slot(conn, &record_row(cell))?.is_some_and(|r| {
                            header.open_record(cell, &payload.data_key, &r).is_some()
                        });
                    found = Some((payload, format, vouched));
                }
            }
            Ok(found)
        })?;
        let (payload, format, vouched) =
            found.ok_or_else(|| Error::invalid("this recovery code does not open this vault"))?;
        let raise = !vouched && !header.kdf.at_least(&KdfParams::DEFAULT);
        if raise {
            header = Header::new(header.vault_id, KdfParams::DEFAULT)?;
        }
        let cell = payload.home_slot;
        let masters = header.master_keys(new_passphrase)?;
        let raised = header.clone();
        let result = self.establish(&header, payload, true, true, |tx, session| {
            if raise {
                header.store(tx)?;
                for other in (0..CELLS).filter(|&c| c != cell) {
                    clear_cell(tx, other)?;
                }
                tx.execute("DELETE FROM key_slots WHERE name = ?1", [KEYSTORE_ROW])?;
                delete_foreign_documents(tx, session)?;
                session.record = Record::root();
                put_record(tx, &header, session)?;
            } else {
                self.refuse_if_opens_other_slot(tx, &header, &masters, cell)?;
            }
            let row = passphrase_row(cell);
            put_slot(
                tx,
                &row,
                &header.wrap(
                    &passphrase_slot_key(&masters.nfc, cell),
                    &row,
                    &session.payload(),
                )?,
            )?;
            if format == SlotFormat::Legacy || raise {
                let row = recovery_row(cell);
                put_slot(tx, &row, &header.wrap(&key, &row, &session.payload())?)?;
                tx.execute(
                    "DELETE FROM key_slots WHERE name = ?1",
                    [LEGACY_RECOVERY_ROW],
                )?;
            }
            Ok(())
        });
        if raise && result.is_ok() {
            *self.header.write().unwrap_or_else(|p| p.into_inner()) = raised;
            // The other vault's documents were deleted.
            self.erase_deleted()?;
        }
        result
    }

    /// Unlocks with the platform keystore's secret (see
    /// [`Vault::enable_keystore_unlock`]): the vault last unlocked with its
    /// passphrase or recovery code opens, if it has keystore unlock enabled.
    /// After a duress passphrase, that is the decoy, until the passphrase
    /// is entered again.
    pub fn unlock_with_keystore(&self, keystore: &dyn PlatformKeystore) -> Result<()> {
        let secret = Zeroizing::new(
            keystore
                .vault_secret()
                .map_err(|e| Error::Keystore(e.reason))?,
        );
        let header = self.header();
        let blob = self
            .with_conn(|conn| get_slot(conn, KEYSTORE_ROW))?
            .ok_or_else(|| Error::invalid("keystore unlock is not enabled"))?;
        let (opened, legacy) = if blob.len() == KEYSTORE_SALT_LEN + SLOT_LEN {
            let (salt, wrapped) = blob.split_at(KEYSTORE_SALT_LEN);
            let salt: [u8; KEYSTORE_SALT_LEN] = salt.try_into().expect("split at the salt");
            let key = keystore_key_v2(&secret, &salt)?;
            (header.unwrap(&key, KEYSTORE_ROW, wrapped), false)
        } else {
            (
                header.unwrap(&keystore_key(&secret)?, KEYSTORE_ROW, &blob),
                true,
            )
        };
        let (payload, format) = opened.ok_or(Error::Keystore(
            "the keystore secret does not open this vault".into(),
        ))?;
        if payload.home_slot >= CELLS {
            return Err(Error::Integrity("key slot"));
        }
        // A slot written before the header was bound vouches for nothing:
        // unless the vault's record does, nothing is bound to parameters
        // weaker than the defaults until a passphrase proves them.
        self.establish(
            &header,
            payload,
            format == SlotFormat::Bound,
            false,
            |tx, session| {
                if legacy && self.may_bind(session) {
                    // The keystore slot of before records: this vault now gets
                    // keys of its own, and the slot is rewritten with them.
                    self.provision_keystore(tx, &header, session, &secret)?;
                    arm_keystore(tx, &header, session)?;
                }
                Ok(())
            },
        )
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
        let attempt = self.with_conn(|conn| {
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
        });
        // Logged with the vault's lock released: a log sink may call back.
        if let Err(Error::Throttled { retry_after }) = &attempt {
            log::warn!(
                target: "waymark::vault",
                "unlock attempt refused untried: retry in {}s",
                retry_after.as_secs()
            );
        }
        attempt
    }

    pub(super) fn fail_attempt(&self, failures: u32) -> Result<()> {
        let wipe_after: Option<u32> = self.with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT wipe_after_failures FROM settings WHERE id = 1",
                [],
                |r| r.get(0),
            )?)
        })?;
        log::warn!(
            target: "waymark::vault",
            "wrong passphrase ({failures} failed attempts in a row)"
        );
        if wipe_after.is_some_and(|n| failures >= n) {
            self.wipe()?;
            log::warn!(target: "waymark::vault", "vault wiped after {failures} failed attempts");
        }
        Err(Error::WrongPassphrase {
            failed_attempts: failures,
            retry_after: retry_delay(failures),
        })
    }

    /// What every unlock does once a slot has given the data key: loads the
    /// vault's record (or makes it from the flags of a slot written before
    /// records), moves the recovery slot of before cells to its cell,
    /// carries out a destruction the record holds, runs `then` (the way's
    /// own writes), arms the keystore slot for this vault if `arm` (an
    /// unlock by passphrase or recovery code), resets the failure count,
    /// all in one transaction; then installs the session.
    ///
    /// `kdf_proven`: the way in proved the header's parameters (a record
    /// that opens proves them too). Nothing is bound to the header when
    /// unproven parameters are weaker than the defaults.
    pub(super) fn establish(
        &self,
        header: &Header,
        payload: SlotPayload,
        kdf_proven: bool,
        arm: bool,
        then: impl FnOnce(&Transaction<'_>, &mut Session) -> Result<()>,
    ) -> Result<()> {
        let cell = payload.home_slot;
        let (session, destroyed) = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored = get_slot(&tx, &record_row(cell))?
                .and_then(|blob| header.open_record(cell, &payload.data_key, &blob));
            let had_record = stored.is_some();
            let record = match stored {
                Some(record) => record,
                None if payload.has_record => return Err(Error::Integrity("vault record")),
                None => Record::from_legacy(cell, payload.is_decoy, payload.destroy_other),
            };
            let mut session =
                Session::new(payload.data_key, cell, record, kdf_proven || had_record);
            let bind = self.may_bind(&session);
            if !had_record && bind {
                move_legacy_recovery(&tx, &session)?;
            }
            let destroyed = self.destroy_parent(&tx, header, &mut session)?;
            then(&tx, &mut session)?;
            if bind && (!had_record || destroyed) {
                put_record(&tx, header, &session)?;
            }
            if arm && bind {
                arm_keystore(&tx, header, &session)?;
            }
            tx.execute("UPDATE unlock_guard SET failures = 0 WHERE id = 1", [])?;
            tx.commit()?;
            Ok((session, destroyed))
        })?;
        if destroyed {
            self.erase_deleted()?;
        }
        self.shared.lock().install(session);
        self.touch();
        // The same line whichever vault opened (a decoy is never told apart).
        log::info!(target: "waymark::vault", "vault unlocked");
        Ok(())
    }

    /// After an unlock deleted another vault's documents: removes their
    /// content files and empties the WAL. A reader elsewhere may keep the old
    /// pages in the WAL; the unlock succeeds all the same (a failure here
    /// would tell), and the WAL is emptied at the next call that can.
    fn erase_deleted(&self) -> Result<()> {
        let erased = self.with_conn(|conn| {
            self.sweep_blobs(conn)?;
            Ok(checkpoint_truncate(conn).is_ok())
        })?;
        self.shared.lock().pending_erase |= !erased;
        Ok(())
    }

    /// May this session bind anything to the header (a record, a slot)?
    /// Yes if its parameters are proven or at least the defaults.
    pub(super) fn may_bind(&self, session: &Session) -> bool {
        session.kdf_proven || self.header().kdf.at_least(&KdfParams::DEFAULT)
    }
}

/// Moves the recovery slot of a vault written before cells (the real
/// vault's: a decoy could not have one then) to the real vault's cell.
fn move_legacy_recovery(tx: &Transaction<'_>, session: &Session) -> Result<()> {
    let Some(blob) = get_slot(tx, LEGACY_RECOVERY_ROW)? else {
        return Ok(());
    };
    let real = session.record.parent.unwrap_or(session.cell);
    put_slot(tx, &recovery_row(real), &blob)?;
    tx.execute(
        "DELETE FROM key_slots WHERE name = ?1",
        [LEGACY_RECOVERY_ROW],
    )?;
    Ok(())
}

/// Points the keystore slot at this vault if it has keystore unlock
/// enabled, and removes it if not; a vault of before records that may have
/// enabled it leaves it as it is.
pub(super) fn arm_keystore(tx: &Transaction<'_>, header: &Header, session: &Session) -> Result<()> {
    match &session.record.keystore {
        Keystore::On(keys) => {
            let own = &keys[0];
            let wrapped = header.wrap(&own.key, KEYSTORE_ROW, &session.payload())?;
            put_slot(tx, KEYSTORE_ROW, &[own.salt.as_slice(), &wrapped].concat())?;
        }
        Keystore::Off => {
            tx.execute("DELETE FROM key_slots WHERE name = ?1", [KEYSTORE_ROW])?;
        }
        Keystore::Legacy => {}
    }
    Ok(())
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
            .with_session(|_, s| Ok((s.cell, s.payload())))
            .unwrap();
        let name = passphrase_row(home);
        let aad = vault.header().slot_aad(&name);
        // A slot as written before: the passphrase typed decomposed, its
        // bytes as they came.
        let old = wrap_slot(&as_typed_key(&vault, DECOMPOSED, home), &aad, &payload).unwrap();
        vault.with_conn(|conn| put_slot(conn, &name, &old)).unwrap();
        vault.lock();

        vault.unlock(DECOMPOSED).unwrap();
        let slot = vault
            .with_conn(|conn| Ok(get_slot(conn, &name)?.unwrap()))
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
