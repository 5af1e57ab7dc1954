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
use super::schema::SLOT_PASSPHRASE;
use crate::error::{Error, Result};
use crate::storage::json_from_text;

/// The keys of an unlocked vault.
pub(super) struct Session {
    pub(super) meta_key: SecretKey,
    pub(super) content_key: SecretKey,
    pub(super) index_key: SecretKey,
    pub(super) data_key: SecretKey,
    /// The passphrase slot this vault lives in.
    pub(super) home_slot: u8,
    pub(super) is_decoy: bool,
}

impl Session {
    pub(super) fn new(payload: SlotPayload) -> Self {
        let dk = payload.data_key;
        Session {
            meta_key: dk.derive(labels::METADATA_KEY_INFO),
            content_key: dk.derive(labels::CONTENT_KEY_INFO),
            index_key: dk.derive(labels::INDEX_KEY_INFO),
            data_key: dk,
            home_slot: payload.home_slot,
            is_decoy: payload.is_decoy,
        }
    }

    pub(super) fn owner_tag(&self, id: &DocumentId) -> [u8; 16] {
        tag16(&self.index_key, id.as_bytes())
    }

    pub(super) fn payload(&self, destroy_other: bool) -> SlotPayload {
        SlotPayload {
            data_key: self.data_key.clone(),
            destroy_other,
            is_decoy: self.is_decoy,
            home_slot: self.home_slot,
        }
    }
}

/// Things that never change for an open vault.
pub(super) struct Header {
    pub(super) vault_id: [u8; 16],
    pub(super) kdf: KdfParams,
    pub(super) salt: Vec<u8>,
}

impl Header {
    pub(super) fn load(conn: &Connection) -> Result<Self> {
        let (vault_id, kdf, salt): (Vec<u8>, String, Vec<u8>) = conn
            .query_row(
                "SELECT vault_id, kdf, salt FROM vault WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(Error::NoVault)?;
        let kdf: KdfParams = json_from_text(&kdf)
            .map_err(|_| Error::UnsupportedFormat("key derivation parameters".into()))?;
        kdf.validate()?;
        Ok(Header {
            vault_id: vault_id
                .try_into()
                .map_err(|_| Error::UnsupportedFormat("vault id".into()))?,
            kdf,
            salt,
        })
    }

    pub(super) fn slot_aad(&self, name: &str) -> Vec<u8> {
        [labels::SLOT_AAD_PREFIX, name.as_bytes(), &self.vault_id].concat()
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
        let name = SLOT_PASSPHRASE[index as usize];
        let blob = get_slot(conn, name)?.ok_or(Error::Integrity("key slot missing"))?;
        let aad = header.slot_aad(name);
        Ok(std::iter::once(&self.nfc)
            .chain(&self.as_typed)
            .any(|master| unwrap_slot(&passphrase_slot_key(master, index), &aad, &blob).is_some()))
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
