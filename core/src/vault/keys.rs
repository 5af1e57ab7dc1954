//! The key schedule: the header every key and envelope of a vault is bound
//! to, the keys of an unlocked session, the keys that wrap the data key in
//! its slots, and the key slot rows themselves.
//!
//! The hierarchy is drawn in `crypto.rs`; the label of every derivation and
//! associated data is in `labels.rs`.

use rusqlite::{Connection, OptionalExtension, params};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::crypto::{self, KdfParams, SecretKey, SlotPayload, tag16, unwrap_slot};
use super::document::DocumentId;
use super::labels;
use super::record::Record;
use super::schema::{passphrase_row, record_row};
use crate::error::{Error, Result};
use crate::storage::json_from_text;

/// The keys of an unlocked vault, and its record.
pub(super) struct Session {
    pub(super) meta_key: SecretKey,
    pub(super) content_key: SecretKey,
    pub(super) index_key: SecretKey,
    pub(super) data_key: SecretKey,
    /// The cell this vault lives in.
    pub(super) cell: u8,
    /// What it knows of the others (`record.rs`), as last written.
    pub(super) record: Record,
    /// The header's key derivation parameters are known to be the vault's
    /// own: the session was opened by a passphrase derived with them, or
    /// through a slot or record bound to them. Only then may anything be
    /// bound to parameters weaker than the defaults.
    pub(super) kdf_proven: bool,
}

impl Session {
    pub(super) fn new(data_key: SecretKey, cell: u8, record: Record, kdf_proven: bool) -> Self {
        Session {
            meta_key: data_key.derive(labels::METADATA_KEY_INFO),
            content_key: data_key.derive(labels::CONTENT_KEY_INFO),
            index_key: index_key(&data_key),
            data_key,
            cell,
            record,
            kdf_proven,
        }
    }

    pub(super) fn owner_tag(&self, id: &DocumentId) -> [u8; 16] {
        tag16(&self.index_key, id.as_bytes())
    }

    /// What this vault's slots wrap.
    pub(super) fn payload(&self) -> SlotPayload {
        SlotPayload::new(self.data_key.clone(), self.cell)
    }
}

/// The index key of the vault whose data key is `data_key`: the key of its
/// documents' owner tags.
pub(super) fn index_key(data_key: &SecretKey) -> SecretKey {
    data_key.derive(labels::INDEX_KEY_INFO)
}

/// The owner tag of document `id` in the vault whose index key is given.
pub(super) fn owner_tag(index_key: &SecretKey, id: &[u8]) -> [u8; 16] {
    tag16(index_key, id)
}

/// What every key slot is bound to: the vault id, and how passphrases are
/// turned into keys (Argon2id parameters, salt, and whether the vault was
/// created with parameters below the floor on purpose).
///
/// The vault id never changes. The rest changes only when a recovery raises
/// parameters nothing vouched for to the defaults (see `unlock.rs`).
#[derive(Clone)]
pub(super) struct Header {
    pub(super) vault_id: [u8; 16],
    pub(super) kdf: KdfParams,
    pub(super) salt: Vec<u8>,
    /// Created with parameters below [`KdfParams::MINIMUM`] on purpose (the
    /// insecure test parameters marker). Bound to every slot, so it cannot
    /// be claimed afterwards.
    pub(super) insecure_kdf: bool,
}

/// Which associated data a slot opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlotFormat {
    /// Binds the whole header ([`labels::SLOT_AAD_V2_PREFIX`]): the
    /// parameters are those the slot was wrapped under.
    Bound,
    /// Written before the parameters were bound ([`labels::SLOT_AAD_PREFIX`]).
    Legacy,
}

impl Header {
    /// A new vault's header.
    pub(super) fn new(vault_id: [u8; 16], kdf: KdfParams) -> Result<Self> {
        Ok(Header {
            vault_id,
            kdf,
            salt: crypto::random_bytes::<16>()?.to_vec(),
            insecure_kdf: !kdf.at_least(&KdfParams::MINIMUM),
        })
    }

    /// Reads the header. Parameters out of range, or below the floor in a
    /// vault that does not carry the insecure test parameters marker, are
    /// refused: the vault does not open.
    pub(super) fn load(conn: &Connection) -> Result<Self> {
        let (vault_id, kdf, salt, insecure): (Vec<u8>, String, Vec<u8>, bool) = conn
            .query_row(
                "SELECT vault_id, kdf, salt, insecure_kdf FROM vault WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or(Error::NoVault)?;
        let kdf: KdfParams = json_from_text(&kdf)
            .map_err(|_| Error::UnsupportedFormat("key derivation parameters".into()))?;
        kdf.validate()?;
        if !insecure && !kdf.at_least(&KdfParams::MINIMUM) {
            return Err(Error::UnsupportedFormat(
                "key derivation parameters below the minimum (19 MiB, 2 passes)".into(),
            ));
        }
        Ok(Header {
            vault_id: vault_id
                .try_into()
                .map_err(|_| Error::UnsupportedFormat("vault id".into()))?,
            kdf,
            salt,
            insecure_kdf: insecure,
        })
    }

    /// Writes the parts that can change (after [`Header::load`] or a raise).
    pub(super) fn store(&self, conn: &Connection) -> Result<()> {
        conn.execute(
            "UPDATE vault SET kdf = ?1, salt = ?2, insecure_kdf = ?3 WHERE id = 1",
            params![
                serde_json::to_string(&self.kdf)?,
                self.salt,
                self.insecure_kdf
            ],
        )?;
        Ok(())
    }

    /// The associated data of key slot `name`: the slot's place and the whole
    /// header (see [`labels::SLOT_AAD_V2_PREFIX`]).
    pub(super) fn slot_aad(&self, name: &str) -> Vec<u8> {
        [
            labels::SLOT_AAD_V2_PREFIX,
            name.as_bytes(),
            &self.vault_id,
            &self.kdf.memory_kib.to_be_bytes(),
            &self.kdf.iterations.to_be_bytes(),
            &self.kdf.parallelism.to_be_bytes(),
            &[u8::from(self.insecure_kdf)],
            &self.salt,
        ]
        .concat()
    }

    /// The associated data of a slot written before the header was bound.
    fn legacy_slot_aad(&self, name: &str) -> Vec<u8> {
        [labels::SLOT_AAD_PREFIX, name.as_bytes(), &self.vault_id].concat()
    }

    /// Wraps a payload into key slot `name`, bound to this header.
    pub(super) fn wrap(
        &self,
        key: &SecretKey,
        name: &str,
        payload: &SlotPayload,
    ) -> Result<Vec<u8>> {
        crypto::wrap_slot(key, &self.slot_aad(name), payload)
    }

    /// Seals the record of the vault in `cell`, bound to this header.
    pub(super) fn seal_record(
        &self,
        record: &Record,
        cell: u8,
        data_key: &SecretKey,
    ) -> Result<Vec<u8>> {
        record.seal(&self.slot_aad(&record_row(cell)), data_key)
    }

    /// Opens the record of the vault in `cell`; `None` if it is not that
    /// vault's or not bound to this header.
    pub(super) fn open_record(
        &self,
        cell: u8,
        data_key: &SecretKey,
        blob: &[u8],
    ) -> Option<Record> {
        Record::open(&self.slot_aad(&record_row(cell)), data_key, blob)
    }

    /// Opens recovery slot `name` (`recovery-<cell>`): written now, or
    /// written before cells (in the row `recovery`, or moved from it, with
    /// that name in its associated data).
    pub(super) fn unwrap_recovery(
        &self,
        key: &SecretKey,
        name: &str,
        blob: &[u8],
    ) -> Option<(SlotPayload, SlotFormat)> {
        self.unwrap(key, name, blob).or_else(|| {
            self.unwrap(key, super::schema::LEGACY_RECOVERY_ROW, blob)
                .map(|(p, _)| (p, SlotFormat::Legacy))
        })
    }

    /// Opens key slot `name` written now or before the header was bound.
    pub(super) fn unwrap(
        &self,
        key: &SecretKey,
        name: &str,
        blob: &[u8],
    ) -> Option<(SlotPayload, SlotFormat)> {
        if let Some(p) = unwrap_slot(key, &self.slot_aad(name), blob) {
            return Some((p, SlotFormat::Bound));
        }
        unwrap_slot(key, &self.legacy_slot_aad(name), blob).map(|p| (p, SlotFormat::Legacy))
    }

    pub(super) fn doc_aad(&self, domain: &[u8], id: &DocumentId, version: u32) -> Vec<u8> {
        [
            domain,
            &self.vault_id,
            id.as_bytes(),
            &version.to_be_bytes(),
        ]
        .concat()
    }

    /// Argon2id of the passphrase in Unicode normalisation form C (see
    /// [`nfc`]): the one slow step of an unlock.
    pub(super) fn master_key(&self, passphrase: &str) -> Result<SecretKey> {
        self.kdf.derive(nfc(passphrase).as_bytes(), &self.salt)
    }

    /// The master keys a typed passphrase may have been wrapped under: its
    /// NFC form (what this code writes) and, when its bytes as typed differ
    /// (what the code before normalisation used), those too.
    pub(super) fn master_keys(&self, passphrase: &str) -> Result<MasterKeys> {
        Ok(MasterKeys {
            nfc: self.master_key(passphrase)?,
            as_typed: self.as_typed_master_key(passphrase)?,
        })
    }

    /// Argon2id of the passphrase's bytes as typed, if they differ from its
    /// NFC form (`None` otherwise).
    pub(super) fn as_typed_master_key(&self, passphrase: &str) -> Result<Option<SecretKey>> {
        if nfc(passphrase).as_str() == passphrase {
            return Ok(None);
        }
        self.kdf.derive(passphrase.as_bytes(), &self.salt).map(Some)
    }
}

/// Shortest passphrase accepted, in characters (of its NFC form).
pub const MIN_PASSPHRASE_CHARS: usize = 4;

/// Refuses a new passphrase shorter than [`MIN_PASSPHRASE_CHARS`].
pub(super) fn check_new_passphrase(p: &str) -> Result<()> {
    if nfc(p).chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::invalid(format!(
            "a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    Ok(())
}

/// A passphrase in Unicode normalisation form C, the form every key is
/// derived from: the same passphrase typed on two keyboards (one composing
/// `é` as one code point, one as `e` and a combining accent) gives the same
/// key.
pub(super) fn nfc(passphrase: &str) -> Zeroizing<String> {
    Zeroizing::new(passphrase.nfc().collect())
}

/// The master keys of one typed passphrase ([`Header::master_keys`]).
pub(super) struct MasterKeys {
    pub(super) nfc: SecretKey,
    pub(super) as_typed: Option<SecretKey>,
}

impl MasterKeys {
    /// True if the passphrase, in either form, opens passphrase slot `index`.
    pub(super) fn open(&self, header: &Header, conn: &Connection, index: u8) -> Result<bool> {
        let name = passphrase_row(index);
        let blob = get_slot(conn, &name)?.ok_or(Error::Integrity("key slot missing"))?;
        Ok(std::iter::once(&self.nfc)
            .chain(&self.as_typed)
            .any(|master| {
                header
                    .unwrap(&passphrase_slot_key(master, index), &name, &blob)
                    .is_some()
            }))
    }
}

pub(super) fn passphrase_slot_key(master: &SecretKey, index: u8) -> SecretKey {
    master.derive(&[labels::PASSPHRASE_SLOT_KEY_INFO_PREFIX, &[index]].concat())
}

pub(super) fn keystore_key(secret: &[u8]) -> Result<SecretKey> {
    if secret.len() != 32 {
        return Err(Error::Keystore(
            "the keystore secret must be 32 bytes".into(),
        ));
    }
    Ok(crypto::derive_key(secret, labels::KEYSTORE_SLOT_KEY_INFO))
}

pub(super) fn get_slot(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT wrapped FROM key_slots WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

pub(super) fn put_slot(conn: &Connection, name: &str, blob: &[u8]) -> Result<()> {
    conn.execute(
        "INSERT INTO key_slots (name, wrapped) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped",
        params![name, blob],
    )?;
    Ok(())
}
