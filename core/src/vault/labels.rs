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
/// this prefix followed by one byte, the slot index (0 or 1). The slot key
/// wraps the data key (real or decoy) in key slot `passphrase-<i>`.
pub(super) const PASSPHRASE_SLOT_KEY_INFO_PREFIX: &[u8] = b"waymark vault v1 passphrase slot ";

/// Derives the recovery key from the recovery code's 128 secret bits. The
/// recovery key wraps the real data key in key slot `recovery`.
pub(super) const RECOVERY_SLOT_KEY_INFO: &[u8] = b"waymark vault v1 recovery slot";

/// Derives the keystore key from the platform keystore's 32-byte secret.
/// The keystore key wraps the data key in key slot `keystore`.
pub(super) const KEYSTORE_SLOT_KEY_INFO: &[u8] = b"waymark vault v1 keystore slot";

// ----- Associated data of sealed envelopes -----------------------------------

/// Starts the associated data of every wrapped key slot:
/// `SLOT_AAD_PREFIX || slot name || vault id`, where the slot name is the
/// `key_slots` row name (`passphrase-0`, `passphrase-1`, `recovery`,
/// `keystore`; see `schema.rs`). A slot cannot be moved to another row or
/// another vault.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_keys_or_envelopes_share_a_label() {
        let labels: [&[u8]; 11] = [
            METADATA_KEY_INFO,
            CONTENT_KEY_INFO,
            INDEX_KEY_INFO,
            &[PASSPHRASE_SLOT_KEY_INFO_PREFIX, &[0]].concat(),
            &[PASSPHRASE_SLOT_KEY_INFO_PREFIX, &[1]].concat(),
            RECOVERY_SLOT_KEY_INFO,
            KEYSTORE_SLOT_KEY_INFO,
            SLOT_AAD_PREFIX,
            SLOT_AAD_V2_PREFIX,
            METADATA_AAD_DOMAIN,
            CONTENT_AAD_DOMAIN,
        ];
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
