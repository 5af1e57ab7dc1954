//! Every label the vault binds a key or an envelope to, in one place.
//!
//! These bytes are part of the on-disk format: changing one makes every
//! vault already written unreadable. `core/tests/vault_fixture.rs` opens a
//! vault written before they were gathered here and fails if any changed.
//!
//! Two styles, kept exactly as they were first written:
//! - HKDF-SHA256 `info` strings, `waymark vault v1 …` (spaces), name what a
//!   key is derived for;
//! - associated-data domains, `waymark/v1/…` (slashes), start the AAD that
//!   binds a sealed envelope to its place in this vault.
//!
//! The key hierarchy they label is drawn in `crypto.rs`.

// ----- HKDF info: keys derived from the data key -----------------------------

/// Derives the metadata key from the data key. The metadata key seals each
/// document's metadata envelope (the person's metadata, size and times).
pub(super) const METADATA_KEY_INFO: &[u8] = b"waymark vault v1 metadata";

/// Derives the content key from the data key. The content key encrypts
/// documents' content, the STREAM chunks in `blobs/`.
pub(super) const CONTENT_KEY_INFO: &[u8] = b"waymark vault v1 content";

/// Derives the index key from the data key. The index key is the HMAC key
/// of the owner tags (`documents.owner = HMAC(index key, id)`) that tell the
/// real vault's documents from the decoy's.
pub(super) const INDEX_KEY_INFO: &[u8] = b"waymark vault v1 index";

// ----- HKDF info: keys that wrap the data key in a slot ----------------------

/// Derives passphrase slot key `i` from the Argon2id master key: the info is
/// this prefix followed by one byte, the slot index (the cell, 0 to 7; 0 or
/// 1 before cells). The slot key wraps the data key (real or decoy) in key
/// slot `passphrase-<i>`.
pub(super) const PASSPHRASE_SLOT_KEY_INFO_PREFIX: &[u8] = b"waymark vault v1 passphrase slot ";

/// Derives the recovery key from the recovery code's 128 secret bits. The
/// recovery key wraps a vault's data key in key slot `recovery-<cell>`
/// (`recovery` before cells).
pub(super) const RECOVERY_SLOT_KEY_INFO: &[u8] = b"waymark vault v1 recovery slot";

/// Derived the keystore key from the platform keystore's 32-byte secret
/// before vaults had records: such a key still opens a `keystore` slot
/// written then, until the next keystore unlock rewrites it.
pub(super) const KEYSTORE_SLOT_KEY_INFO: &[u8] = b"waymark vault v1 keystore slot";

/// Derives a keystore slot key from the platform keystore's 32-byte secret:
/// the info is this prefix followed by a 16-byte random salt, which the
/// keystore slot carries in clear. Each vault gets its own salts (see
/// `record.rs`), so no vault holds a key that opens another's keystore slot.
pub(super) const KEYSTORE_SLOT_KEY_V2_INFO_PREFIX: &[u8] = b"waymark vault v2 keystore slot ";

/// Derives the record key from the data key. The record key seals the
/// vault's record (`record-<cell>`: its parent, child and keystore keys).
pub(super) const RECORD_KEY_INFO: &[u8] = b"waymark vault v2 record";

// ----- Associated data of sealed envelopes -----------------------------------

/// Starts the associated data of every wrapped key slot:
/// `SLOT_AAD_PREFIX || slot name || vault id`, where the slot name is the
/// `key_slots` row name (`passphrase-0`, `passphrase-1`, `recovery`,
/// `keystore`; see `schema.rs`). A slot cannot be moved to another row or
/// another vault. Slots written since the parameters are bound use
/// [`SLOT_AAD_V2_PREFIX`]; a recovery slot written before cells keeps the
/// name `recovery` in its associated data wherever it moves.
pub(super) const SLOT_AAD_PREFIX: &[u8] = b"waymark/v1/slot/";

/// Starts the associated data of every key slot written since the key
/// derivation parameters are bound to the slots:
/// `SLOT_AAD_V2_PREFIX || slot name || vault id || memory KiB || passes ||
/// lanes || insecure marker || salt` (the three parameters as 4 big-endian
/// bytes each, the marker one byte, 0 or 1). Lowering the parameters, moving
/// the salt or claiming the insecure test marker in the header makes every
/// slot fail to open, including those (recovery code, keystore) whose key
/// does not depend on them. Slots written before keep [`SLOT_AAD_PREFIX`]
/// until rewrapped.
pub(super) const SLOT_AAD_V2_PREFIX: &[u8] = b"waymark/v2/slot/";

/// Starts the associated data of a document's sealed metadata:
/// `METADATA_AAD_DOMAIN || vault id || document id || content version`
/// (the version as 4 big-endian bytes).
pub(super) const METADATA_AAD_DOMAIN: &[u8] = b"waymark/v1/metadata";

/// Starts the associated data of every STREAM chunk of a document's
/// content: `CONTENT_AAD_DOMAIN || vault id || document id || content
/// version` (the version as 4 big-endian bytes).
pub(super) const CONTENT_AAD_DOMAIN: &[u8] = b"waymark/v1/content";

// ----- The remote backup and private records ---------------------------------

/// Derives the backup key from the data key: it seals what a remote backup
/// stores (`crate::backup::remote`), and keys derived from it name the
/// backup's objects. Every phone holding the vault derives the same one.
pub(super) const BACKUP_KEY_INFO: &[u8] = b"waymark vault v1 remote backup";

/// Starts the associated data of everything sealed under the backup key:
/// `BACKUP_AAD_DOMAIN || vault id || place` (what the envelope is and
/// where it is stored).
pub(super) const BACKUP_AAD_DOMAIN: &[u8] = b"waymark/v1/backup/";

/// Derives the private record key from the data key: it seals the vault's
/// private records (the backup's location and credentials, …).
pub(super) const PRIVATE_RECORD_KEY_INFO: &[u8] = b"waymark vault v1 private record";

/// Starts the associated data of a private record:
/// `PRIVATE_RECORD_AAD_DOMAIN || vault id || row id`.
pub(super) const PRIVATE_RECORD_AAD_DOMAIN: &[u8] = b"waymark/v1/private/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_keys_or_envelopes_share_a_label() {
        let labels: [&[u8]; 17] = [
            METADATA_KEY_INFO,
            CONTENT_KEY_INFO,
            INDEX_KEY_INFO,
            &[PASSPHRASE_SLOT_KEY_INFO_PREFIX, &[0]].concat(),
            &[PASSPHRASE_SLOT_KEY_INFO_PREFIX, &[1]].concat(),
            RECOVERY_SLOT_KEY_INFO,
            KEYSTORE_SLOT_KEY_INFO,
            KEYSTORE_SLOT_KEY_V2_INFO_PREFIX,
            RECORD_KEY_INFO,
            SLOT_AAD_PREFIX,
            SLOT_AAD_V2_PREFIX,
            METADATA_AAD_DOMAIN,
            CONTENT_AAD_DOMAIN,
            BACKUP_KEY_INFO,
            BACKUP_AAD_DOMAIN,
            PRIVATE_RECORD_KEY_INFO,
            PRIVATE_RECORD_AAD_DOMAIN,
        ];
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
