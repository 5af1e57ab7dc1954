//! A vault's record: what a vault (the real one or a decoy: they are built
//! alike) knows of its place among the others in the file, sealed under a
//! key derived from its own data key in the row `record-<cell>`, bound to
//! the header like every slot.
//!
//! - its parent: the vault that set the passphrase opening it as a duress
//!   passphrase, and the cells of all its ancestors, which it must never
//!   touch (it cannot tell them from free cells otherwise: a free cell is
//!   random bytes, a live one looks the same without its key);
//! - whether unlocking it destroys its parent, and the parent's index key to
//!   find the parent's documents by (the destruction a duress passphrase
//!   set "to destroy the real vault" carries out);
//! - its child: the cell and data key of the vault its own duress passphrase
//!   opens, so it can replace or remove it with its documents, and hand it
//!   keystore keys;
//! - its platform keystore keys: one for itself and one for each descendant
//!   it may have, each `HKDF(keystore secret, salt)` for a random salt, so
//!   that a decoy made after the keystore was enabled gets keystore unlock
//!   too without the keystore secret itself (which would open whichever
//!   vault the keystore slot is armed for).
//!
//! Every cell has a record row, random while the cell is free, and every
//! record has the same length whatever it holds.

use zeroize::Zeroizing;

use super::crypto::{self, RECORD_LEN, SecretKey, random_bytes};
use super::labels;
use super::schema::CELLS;
use crate::error::{Error, Result};
const VERSION: u8 = 1;
/// "No cell".
const NO_CELL: u8 = 0xFF;

const FLAG_DESTROY_PARENT: u8 = 1;
const FLAG_PARENT_KEY_KNOWN: u8 = 2;

const CHILD_NONE: u8 = 0;
const CHILD_KNOWN: u8 = 1;
const CHILD_LEGACY: u8 = 2;

const KEYSTORE_OFF: u8 = 0;
const KEYSTORE_ON: u8 = 1;
const KEYSTORE_LEGACY: u8 = 2;

// Layout of the plaintext.
const AT_PARENT: usize = 1;
const AT_PROTECTED: usize = 2;
const AT_FLAGS: usize = 4;
const AT_PARENT_KEY: usize = 5;
const AT_CHILD: usize = 37;
const AT_CHILD_CELL: usize = 38;
const AT_CHILD_KEY: usize = 39;
const AT_KEYSTORE: usize = 71;
const AT_KEYSTORE_KEYS: usize = 72;
const KEYSTORE_KEY_LEN: usize = 16 + 32;
const _: () = assert!(AT_KEYSTORE_KEYS + CELLS as usize * KEYSTORE_KEY_LEN <= RECORD_LEN);

/// The bit of `cell` in a set of cells.
pub(super) fn bit(cell: u8) -> u16 {
    1 << cell
}

/// A keystore slot key: `HKDF(keystore secret, salt)`, and the salt that
/// the keystore slot carries in clear so that the secret finds it again.
#[derive(Clone)]
pub(super) struct KeystoreKey {
    pub(super) salt: [u8; 16],
    pub(super) key: SecretKey,
}

impl KeystoreKey {
    /// One key for a vault and one for each descendant it may have, from
    /// the platform keystore's secret.
    pub(super) fn pool(secret: &[u8]) -> Result<Vec<KeystoreKey>> {
        (0..CELLS)
            .map(|_| {
                let salt = random_bytes()?;
                Ok(KeystoreKey {
                    salt,
                    key: keystore_key_v2(secret, &salt)?,
                })
            })
            .collect()
    }

    /// A vault's keys as handed to its child: the child's own first, the
    /// place freed at the end filled with a key no secret derives (a chain
    /// of vaults is never deeper than the cells, so it is never used).
    pub(super) fn for_child(pool: &[KeystoreKey]) -> Result<Vec<KeystoreKey>> {
        let mut out = pool[1..].to_vec();
        out.push(KeystoreKey {
            salt: random_bytes()?,
            key: SecretKey::random()?,
        });
        Ok(out)
    }
}

/// What a vault knows of its child.
#[derive(Clone)]
pub(super) enum Child {
    None,
    Known {
        cell: u8,
        data_key: SecretKey,
    },
    /// A vault written before records: the other of its two passphrase
    /// slots may hold its decoy, whose key it never had.
    Legacy {
        cell: u8,
    },
}

/// A vault's platform keystore unlock.
#[derive(Clone)]
pub(super) enum Keystore {
    Off,
    /// Enabled: its keys (see [`KeystoreKey::pool`]; the first is its own).
    On(Vec<KeystoreKey>),
    /// A vault written before records, which may have enabled the keystore
    /// then: the keystore slot is left as it is until the keystore secret
    /// is seen again (an unlock with it moves it to `On`).
    Legacy,
}

/// A destruction to carry out at the next unlock.
#[derive(Clone)]
pub(super) struct Destroy {
    /// The parent's index key (its documents' owner tags); `None` for a
    /// vault written before records, whose parent is the real vault and
    /// whose documents are then all but its own.
    pub(super) parent_index_key: Option<SecretKey>,
}

/// A vault's record (see the module documentation).
#[derive(Clone)]
pub(super) struct Record {
    pub(super) parent: Option<u8>,
    /// Cells of the ancestors: never touched.
    pub(super) protected: u16,
    pub(super) destroy_parent: Option<Destroy>,
    pub(super) child: Child,
    pub(super) keystore: Keystore,
}

impl Record {
    /// The record of a new vault made by [`super::Vault::create`].
    pub(super) fn root() -> Self {
        Record {
            parent: None,
            protected: 0,
            destroy_parent: None,
            child: Child::None,
            keystore: Keystore::Off,
        }
    }

    /// The record of a vault written before records, from the flags its
    /// slot carried: a decoy (its parent the real vault in the other of the
    /// two cells of that format), or the real vault (whose decoy, if any,
    /// is in the other cell, key unknown).
    pub(super) fn from_legacy(cell: u8, is_decoy: bool, destroy_other: bool) -> Self {
        let other = cell ^ 1;
        if is_decoy {
            Record {
                parent: Some(other),
                protected: bit(other),
                destroy_parent: destroy_other.then_some(Destroy {
                    parent_index_key: None,
                }),
                child: Child::None,
                keystore: Keystore::Off,
            }
        } else {
            Record {
                parent: None,
                protected: 0,
                destroy_parent: None,
                child: Child::Legacy { cell: other },
                keystore: Keystore::Legacy,
            }
        }
    }

    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut b = Zeroizing::new(vec![0u8; RECORD_LEN]);
        b[0] = VERSION;
        b[AT_PARENT] = self.parent.unwrap_or(NO_CELL);
        b[AT_PROTECTED..AT_PROTECTED + 2].copy_from_slice(&self.protected.to_be_bytes());
        if let Some(destroy) = &self.destroy_parent {
            b[AT_FLAGS] |= FLAG_DESTROY_PARENT;
            if let Some(key) = &destroy.parent_index_key {
                b[AT_FLAGS] |= FLAG_PARENT_KEY_KNOWN;
                b[AT_PARENT_KEY..AT_PARENT_KEY + 32].copy_from_slice(key.bytes());
            }
        }
        match &self.child {
            Child::None => b[AT_CHILD_CELL] = NO_CELL,
            Child::Known { cell, data_key } => {
                b[AT_CHILD] = CHILD_KNOWN;
                b[AT_CHILD_CELL] = *cell;
                b[AT_CHILD_KEY..AT_CHILD_KEY + 32].copy_from_slice(data_key.bytes());
            }
            Child::Legacy { cell } => {
                b[AT_CHILD] = CHILD_LEGACY;
                b[AT_CHILD_CELL] = *cell;
            }
        }
        match &self.keystore {
            Keystore::Off => {}
            Keystore::Legacy => b[AT_KEYSTORE] = KEYSTORE_LEGACY,
            Keystore::On(keys) => {
                b[AT_KEYSTORE] = KEYSTORE_ON;
                for (i, k) in keys.iter().take(CELLS as usize).enumerate() {
                    let at = AT_KEYSTORE_KEYS + i * KEYSTORE_KEY_LEN;
                    b[at..at + 16].copy_from_slice(&k.salt);
                    b[at + 16..at + KEYSTORE_KEY_LEN].copy_from_slice(k.key.bytes());
                }
            }
        }
        b
    }

    fn decode(b: &[u8]) -> Option<Self> {
        if b.len() != RECORD_LEN || b[0] != VERSION {
            return None;
        }
        let cell = |c: u8| (c < CELLS).then_some(c);
        let key_at = |at: usize| {
            let mut k = [0u8; 32];
            k.copy_from_slice(&b[at..at + 32]);
            SecretKey::from_bytes(k)
        };
        let flags = b[AT_FLAGS];
        let destroy_parent = (flags & FLAG_DESTROY_PARENT != 0).then(|| Destroy {
            parent_index_key: (flags & FLAG_PARENT_KEY_KNOWN != 0).then(|| key_at(AT_PARENT_KEY)),
        });
        let child = match b[AT_CHILD] {
            CHILD_NONE => Child::None,
            CHILD_KNOWN => Child::Known {
                cell: cell(b[AT_CHILD_CELL])?,
                data_key: key_at(AT_CHILD_KEY),
            },
            CHILD_LEGACY => Child::Legacy {
                cell: cell(b[AT_CHILD_CELL])?,
            },
            _ => return None,
        };
        let keystore = match b[AT_KEYSTORE] {
            KEYSTORE_OFF => Keystore::Off,
            KEYSTORE_LEGACY => Keystore::Legacy,
            KEYSTORE_ON => Keystore::On(
                (0..CELLS as usize)
                    .map(|i| {
                        let at = AT_KEYSTORE_KEYS + i * KEYSTORE_KEY_LEN;
                        KeystoreKey {
                            salt: b[at..at + 16].try_into().expect("16 bytes"),
                            key: key_at(at + 16),
                        }
                    })
                    .collect(),
            ),
            _ => return None,
        };
        Some(Record {
            parent: match b[AT_PARENT] {
                NO_CELL => None,
                c => Some(cell(c)?),
            },
            protected: u16::from_be_bytes([b[AT_PROTECTED], b[AT_PROTECTED + 1]]),
            destroy_parent,
            child,
            keystore,
        })
    }

    /// Seals the record of the vault whose data key is `data_key`; `aad`
    /// binds it to its row and the header (`Header::slot_aad`).
    pub(super) fn seal(&self, aad: &[u8], data_key: &SecretKey) -> Result<Vec<u8>> {
        crypto::seal(&record_key(data_key), aad, &self.encode())
    }

    /// Opens a record; `None` if it is not that vault's (a free cell,
    /// another vault's, or written under another header).
    pub(super) fn open(aad: &[u8], data_key: &SecretKey, blob: &[u8]) -> Option<Self> {
        let plain = crypto::open(&record_key(data_key), aad, blob, "vault record").ok()?;
        Record::decode(&plain)
    }
}

fn record_key(data_key: &SecretKey) -> SecretKey {
    data_key.derive(labels::RECORD_KEY_INFO)
}

/// The key of a keystore slot written now: the keystore secret and a salt.
pub(super) fn keystore_key_v2(secret: &[u8], salt: &[u8; 16]) -> Result<SecretKey> {
    if secret.len() != 32 {
        return Err(Error::Keystore(
            "the keystore secret must be 32 bytes".into(),
        ));
    }
    Ok(crypto::derive_key(
        secret,
        &[labels::KEYSTORE_SLOT_KEY_V2_INFO_PREFIX, salt].concat(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::crypto::random_record;

    #[test]
    fn a_record_round_trips_and_every_record_has_one_length() {
        let own = SecretKey::random().unwrap();
        let pool = KeystoreKey::pool(&[9; 32]).unwrap();
        let full = Record {
            parent: Some(3),
            protected: bit(3) | bit(5),
            destroy_parent: Some(Destroy {
                parent_index_key: Some(SecretKey::random().unwrap()),
            }),
            child: Child::Known {
                cell: 6,
                data_key: SecretKey::random().unwrap(),
            },
            keystore: Keystore::On(pool.clone()),
        };
        let sealed = full.seal(b"record-2", &own).unwrap();
        let empty = Record::root().seal(b"record-2", &own).unwrap();
        assert_eq!(sealed.len(), empty.len());
        assert_eq!(sealed.len(), random_record().unwrap().len());
        let back = Record::open(b"record-2", &own, &sealed).unwrap();
        assert_eq!(back.parent, Some(3));
        assert_eq!(back.protected, bit(3) | bit(5));
        assert!(back.destroy_parent.unwrap().parent_index_key.is_some());
        assert!(matches!(back.child, Child::Known { cell: 6, .. }));
        match back.keystore {
            Keystore::On(keys) => {
                assert_eq!(keys.len(), CELLS as usize);
                assert_eq!(keys[7].salt, pool[7].salt);
            }
            _ => panic!("keystore lost"),
        }
        assert!(
            Record::open(b"record-1", &own, &sealed).is_none(),
            "bound to its row"
        );
        assert!(
            Record::open(b"record-2", &SecretKey::random().unwrap(), &sealed).is_none(),
            "opened only by its vault's key"
        );
    }
}
