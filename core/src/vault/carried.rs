//! What the remote backup (`crate::backup::remote`) needs of the vault,
//! without the vault knowing anything of networks or backups:
//!
//! - [`CarriedKeys`]: the vault's header and the open vault's passphrase
//!   and recovery slots, exactly as stored. A backup carries them, so the
//!   person's own passphrase **or** recovery code opens the backup on a new
//!   phone, and [`Vault::restore_carried`] makes there a vault those same
//!   secrets open.
//! - [`BackupKey`]: a key derived from the data key, which seals what the
//!   backup stores. Every phone holding the same vault (restored from the
//!   same backup) derives the same one.
//! - Private records: small values (the backup's location and credentials,
//!   what was last backed up) sealed under the open vault's key, each row
//!   owned like a document (`owner = HMAC(index key, id)`), so a decoy
//!   never reads the real vault's and a destruction deletes them with the
//!   destroyed vault's documents.

use rusqlite::{Connection, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::crypto::{self, KdfParams, SecretKey, random_bytes};
use super::keys::{Header, Session, get_slot, passphrase_slot_key};
use super::labels;
use super::lifecycle::write_new_vault;
use super::record::Record;
use super::recovery::RecoveryCode;
use super::schema::{CELLS, DB_FILE, VaultSchema, passphrase_row, recovery_row};
use super::{Vault, VaultOptions};
use crate::error::{Error, Result};
use crate::storage::{OpenMode, open_database, private_dir};

/// A vault's key material as a backup carries it: the vault id, the
/// Argon2id parameters and salt, the insecure test marker, and the open
/// vault's passphrase slot and recovery slot, byte for byte. Without the
/// passphrase or the recovery code nothing in it opens; it names no cell
/// (restore tries each), so it does not tell which of the vault's cells
/// the backed-up vault lives in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedKeys {
    #[serde(with = "hex_bytes")]
    vault_id: Vec<u8>,
    kdf: KdfParams,
    #[serde(with = "hex_bytes")]
    salt: Vec<u8>,
    insecure_kdf: bool,
    #[serde(with = "hex_bytes")]
    passphrase_slot: Vec<u8>,
    #[serde(with = "hex_bytes")]
    recovery_slot: Vec<u8>,
}

impl std::fmt::Debug for CarriedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarriedKeys").finish_non_exhaustive()
    }
}

/// What opens [`CarriedKeys`].
pub enum CarriedSecret<'a> {
    /// The vault's passphrase.
    Passphrase(&'a str),
    /// The vault's recovery code.
    RecoveryCode(&'a RecoveryCode),
}

/// [`CarriedKeys`] opened: the data key and the cell it was found in.
pub struct OpenedKeys {
    header: Header,
    data_key: SecretKey,
    cell: u8,
}

impl OpenedKeys {
    /// The key that seals what the backup stores.
    pub(crate) fn backup_key(&self) -> BackupKey {
        BackupKey::of(&self.data_key, &self.header.vault_id)
    }
}

impl CarriedKeys {
    /// The vault id these keys belong to (16 bytes).
    pub fn vault_id(&self) -> &[u8] {
        &self.vault_id
    }

    fn header(&self) -> Result<Header> {
        self.kdf.validate()?;
        if !self.insecure_kdf && !self.kdf.at_least(&KdfParams::MINIMUM) {
            return Err(Error::UnsupportedFormat(
                "key derivation parameters below the minimum (19 MiB, 2 passes)".into(),
            ));
        }
        Ok(Header {
            vault_id: self
                .vault_id
                .as_slice()
                .try_into()
                .map_err(|_| Error::UnsupportedFormat("vault id".into()))?,
            kdf: self.kdf,
            salt: self.salt.clone(),
            insecure_kdf: self.insecure_kdf,
        })
    }

    /// Opens the keys with the passphrase (one Argon2id derivation, as an
    /// unlock) or the recovery code. A wrong secret of either kind is
    /// [`Error::WrongPassphrase`].
    pub fn open(&self, secret: &CarriedSecret<'_>) -> Result<OpenedKeys> {
        let header = self.header()?;
        let found = match secret {
            CarriedSecret::Passphrase(passphrase) => {
                let masters = header.master_keys(passphrase)?;
                (0..CELLS).find_map(|cell| {
                    let name = passphrase_row(cell);
                    std::iter::once(&masters.nfc)
                        .chain(&masters.as_typed)
                        .find_map(|master| {
                            header.unwrap(
                                &passphrase_slot_key(master, cell),
                                &name,
                                &self.passphrase_slot,
                            )
                        })
                        .map(|(payload, _)| (payload, cell))
                })
            }
            CarriedSecret::RecoveryCode(code) => {
                let key = code.wrapping_key();
                (0..CELLS).find_map(|cell| {
                    header
                        .unwrap_recovery(&key, &recovery_row(cell), &self.recovery_slot)
                        .map(|(payload, _)| (payload, cell))
                })
            }
        };
        // Not counted or throttled: whoever holds the backup's bytes can try
        // secrets offline anyway; Argon2id is what slows them.
        let Some((payload, cell)) = found else {
            return Err(Error::WrongPassphrase {
                failed_attempts: 0,
                retry_after: std::time::Duration::ZERO,
            });
        };
        Ok(OpenedKeys {
            header,
            data_key: payload.data_key,
            cell,
        })
    }
}

/// The key that seals a vault's remote backup: derived from the data key
/// and bound to the vault id.
pub struct BackupKey {
    key: SecretKey,
    vault_id: [u8; 16],
}

impl BackupKey {
    fn of(data_key: &SecretKey, vault_id: &[u8; 16]) -> Self {
        BackupKey {
            key: data_key.derive(labels::BACKUP_KEY_INFO),
            vault_id: *vault_id,
        }
    }

    /// A key derived from this one for `purpose` (object names, …).
    pub(crate) fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        *self.key.derive(purpose).bytes()
    }

    /// Seals `plaintext`, bound to `place` (what it is and where it goes).
    pub(crate) fn seal(&self, place: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        crypto::seal(&self.key, &self.aad(place), plaintext)
    }

    /// Opens what [`BackupKey::seal`] sealed for `place`.
    pub(crate) fn open(
        &self,
        place: &[u8],
        sealed: &[u8],
        what: &'static str,
    ) -> Result<Zeroizing<Vec<u8>>> {
        crypto::open(&self.key, &self.aad(place), sealed, what)
    }

    fn aad(&self, place: &[u8]) -> Vec<u8> {
        [labels::BACKUP_AAD_DOMAIN, &self.vault_id, place].concat()
    }
}

/// The bytes of an envelope sealed by [`BackupKey::seal`] beyond its
/// plaintext.
pub const SEAL_OVERHEAD: usize = crypto::ENVELOPE_OVERHEAD;

impl Vault {
    /// The open vault's keys as a backup carries them.
    pub fn carried_keys(&self) -> Result<CarriedKeys> {
        let header = self.header();
        self.with_session(|conn, session| {
            let slot =
                |name: String| get_slot(conn, &name)?.ok_or(Error::Integrity("key slot missing"));
            Ok(CarriedKeys {
                vault_id: header.vault_id.to_vec(),
                kdf: header.kdf,
                salt: header.salt.clone(),
                insecure_kdf: header.insecure_kdf,
                passphrase_slot: slot(passphrase_row(session.cell))?,
                recovery_slot: slot(recovery_row(session.cell))?,
            })
        })
    }

    /// The key that seals the open vault's remote backup.
    pub(crate) fn backup_key(&self) -> Result<BackupKey> {
        let vault_id = self.header().vault_id;
        self.with_session(|_, session| Ok(BackupKey::of(&session.data_key, &vault_id)))
    }

    /// Makes in `dir` (where there must be no vault) the vault `keys` came
    /// from, with no documents yet, and returns it unlocked: the same vault
    /// id, parameters and salt, the passphrase and recovery slots as
    /// carried (so the same passphrase and recovery code open it), the
    /// other cells free, a new record. To recover with the recovery code
    /// only, lock it and call [`Vault::unlock_with_recovery_code`] with a
    /// new passphrase.
    pub fn restore_carried(
        dir: &std::path::Path,
        keys: &CarriedKeys,
        opened: &OpenedKeys,
        options: VaultOptions,
    ) -> Result<Vault> {
        private_dir(dir)?;
        let mut conn = open_database(&dir.join(DB_FILE), &VaultSchema, OpenMode::CreateIfMissing)?;
        let header = opened.header.clone();
        let cell = opened.cell;
        let session = Session::new(opened.data_key.clone(), cell, Record::root(), true);
        write_new_vault(
            &mut conn,
            &header,
            &session,
            &keys.passphrase_slot,
            &keys.recovery_slot,
        )?;
        let vault = Vault::from_parts(dir, header, conn, options.clock)?;
        vault.shared.lock().install(session);
        vault.touch();
        Ok(vault)
    }

    /// The open vault's private record `name`, if it has one.
    pub(crate) fn private_record(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.with_session(|conn, session| {
            Ok(find_private(conn, &self.header(), session, name)?.map(|(_, value)| value))
        })
    }

    /// Sets (or with `None` removes) the open vault's private record `name`.
    pub(crate) fn set_private_record(&self, name: &str, value: Option<&[u8]>) -> Result<()> {
        let header = self.header();
        self.with_session(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some((id, _)) = find_private(&tx, &header, session, name)? {
                tx.execute("DELETE FROM private_records WHERE id = ?1", [id])?;
            }
            if let Some(value) = value {
                let id: [u8; 16] = random_bytes()?;
                let mut plain = Zeroizing::new(Vec::with_capacity(value.len() + 64));
                plain.push(u8::try_from(name.len()).map_err(|_| Error::invalid("name"))?);
                plain.extend_from_slice(name.as_bytes());
                plain.extend_from_slice(&(value.len() as u32).to_be_bytes());
                plain.extend_from_slice(value);
                // Padded, so the length tells little of what it holds.
                let padded = plain.len().div_ceil(PRIVATE_PAD) * PRIVATE_PAD;
                plain.resize(padded, 0);
                tx.execute(
                    "INSERT INTO private_records (id, owner, sealed) VALUES (?1, ?2, ?3)",
                    params![
                        id,
                        session.owner_tag(&super::DocumentId(id)),
                        crypto::seal(&private_key(session), &private_aad(&header, &id), &plain)?
                    ],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}

/// Private records are padded to a multiple of this.
const PRIVATE_PAD: usize = 256;

fn private_key(session: &Session) -> SecretKey {
    session.data_key.derive(labels::PRIVATE_RECORD_KEY_INFO)
}

fn private_aad(header: &Header, id: &[u8]) -> Vec<u8> {
    [labels::PRIVATE_RECORD_AAD_DOMAIN, &header.vault_id, id].concat()
}

/// A private record's row id and value.
type PrivateRow = (Vec<u8>, Zeroizing<Vec<u8>>);

/// The row and value of the session's private record `name`.
fn find_private(
    conn: &Connection,
    header: &Header,
    session: &Session,
    name: &str,
) -> Result<Option<PrivateRow>> {
    let mut stmt = conn.prepare("SELECT id, owner, sealed FROM private_records")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let key = private_key(session);
    for row in rows {
        let (id, owner, sealed) = row?;
        let Ok(id16) = <[u8; 16]>::try_from(id.as_slice()) else {
            continue;
        };
        if owner != session.owner_tag(&super::DocumentId(id16)) {
            continue;
        }
        let plain = crypto::open(&key, &private_aad(header, &id), &sealed, "a private record")?;
        let Some((&len, rest)) = plain.split_first() else {
            return Err(Error::Integrity("a private record"));
        };
        let len = usize::from(len);
        if rest.len() < len + 4 || &rest[..len] != name.as_bytes() {
            continue;
        }
        let size = u32::from_be_bytes(rest[len..len + 4].try_into().expect("4 bytes")) as usize;
        let value = rest
            .get(len + 4..len + 4 + size)
            .ok_or(Error::Integrity("a private record"))?;
        return Ok(Some((id, Zeroizing::new(value.to_vec()))));
    }
    Ok(None)
}

/// Serde for bytes as lower-case hex.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}
