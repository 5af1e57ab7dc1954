//! The vault's cryptography: key derivation, key wrapping, sealed envelopes
//! and the chunked STREAM encryption of document content.
//!
//! Key hierarchy (every key is 256 bits and zeroized on drop):
//!
//! ```text
//! passphrase (NFC) --Argon2id(salt, params)--> master --HKDF(slot i)--> slot key i --wraps--> data key (cell i)
//! recovery code (128 bits) ------------HKDF(recovery)---------> recovery key --wraps--> data key (recovery-i)
//! platform keystore secret (256 bits) --HKDF(keystore, salt)--> keystore key --wraps--> data key (keystore)
//! data key --HKDF--> metadata key, content key, index key, record key
//! record key --seals--> the vault's record (record-i; see record.rs)
//! ```
//!
//! Every key slot and record is bound to the header (vault id, Argon2id
//! parameters, insecure test parameters marker, salt) by its associated
//! data; see `keys.rs`.
//!
//! The HKDF labels and the associated data of every envelope are in
//! `labels.rs`.
//!
//! All encryption is XChaCha20-Poly1305 (24-byte random nonces, so nonce reuse
//! under one key is negligible without any counter state). Every envelope
//! starts with [`FORMAT_V1`] so the format can change without breaking old
//! vaults.

use aead_stream::{DecryptorBE32, EncryptorBE32};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};

/// Envelope format version written by this code.
pub const FORMAT_V1: u8 = 1;
/// Length of an XChaCha20 nonce.
pub const NONCE_LEN: usize = 24;
/// Length of a Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// What [`seal`] adds to a plaintext: version, nonce and tag.
pub const ENVELOPE_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// Plaintext bytes per STREAM chunk. Memory use while adding or reading a
/// document is a small multiple of this, whatever the document's size.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// STREAM nonce prefix: the 24-byte nonce minus the 4-byte big-endian chunk
/// counter and the 1-byte last-chunk flag (Hoang, Reyhanitabar, Rogaway and
/// Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
/// Misuse-Resistance", CRYPTO 2015).
pub const STREAM_PREFIX_LEN: usize = NONCE_LEN - 5;
/// Length of a wrapped key slot: version, nonce, payload, tag.
pub const SLOT_LEN: usize = 1 + NONCE_LEN + SLOT_PAYLOAD_LEN + TAG_LEN;
/// Slot payload: the data key, a flags byte and reserved zeroes, so that every
/// slot (real, decoy or unused) has exactly the same length.
const SLOT_PAYLOAD_LEN: usize = 48;

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_fill(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Error::Random)
}

/// `N` random bytes.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    random_fill(&mut b)?;
    Ok(b)
}

/// A 256-bit secret key, zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// A fresh random key.
    pub fn random() -> Result<Self> {
        Ok(SecretKey(random_bytes()?))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A key from its bytes (as kept in a vault record).
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }

    /// HKDF-SHA256 expansion of this key for one purpose.
    pub fn derive(&self, info: &[u8]) -> SecretKey {
        derive_key(&self.0, info)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// HKDF-SHA256 (RFC 5869) of high-entropy input keying material.
pub fn derive_key(ikm: &[u8], info: &[u8]) -> SecretKey {
    let hk = Hkdf::<Sha256>::new(None, ikm);
    let mut out = [0u8; 32];
    hk.expand(info, &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    SecretKey(out)
}

/// Argon2id parameters, stored in the vault so they can be raised later
/// without breaking existing vaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The defaults for new vaults: 64 MiB, 3 passes, 1 lane.
    ///
    /// How they were chosen: the brief caps memory at 64 MiB (a 1 GB phone
    /// must unlock with the app in the foreground), so all the remaining cost
    /// goes into passes. Argon2id fills memory at roughly 1 GiB/s per desktop
    /// core and roughly a sixth of that on a 1.4 GHz Cortex-A53 without SIMD;
    /// 64 MiB × 3 passes is then ≈ 0.2 s on a desktop core and ≈ 1 s on the
    /// phone. One lane, because the Rust implementation runs lanes one after
    /// another: extra lanes would add cost for us and none for an attacker.
    /// `cargo bench -p waymark-core --bench vault` prints the time on the
    /// machine at hand (120 ms on the desktop core this was tuned on).
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// The floor for a real vault: OWASP's minimum for Argon2id (19 MiB, 2
    /// passes). A vault whose stored parameters are below it opens only if
    /// it was created with them and says so (the authenticated "insecure
    /// test parameters" marker, see `vault/keys.rs`).
    pub const MINIMUM: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// True if these parameters cost at least `other`'s in memory and in
    /// passes.
    pub fn at_least(&self, other: &KdfParams) -> bool {
        self.memory_kib >= other.memory_kib && self.iterations >= other.iterations
    }

    /// Refuses parameters too weak to protect a passphrase or too large for a
    /// phone; a vault file claiming them is refused rather than obeyed.
    /// (Between this range's bottom and [`KdfParams::MINIMUM`] lie the
    /// insecure test parameters a vault must have been created with.)
    pub fn validate(&self) -> Result<()> {
        if !(8..=1024 * 1024).contains(&self.memory_kib)
            || !(1..=64).contains(&self.iterations)
            || !(1..=16).contains(&self.parallelism)
            || self.memory_kib < 8 * self.parallelism
        {
            return Err(Error::UnsupportedFormat(
                "key derivation parameters out of range".into(),
            ));
        }
        Ok(())
    }

    /// Argon2id(passphrase, salt) with these parameters.
    pub(crate) fn derive(&self, passphrase: &[u8], salt: &[u8]) -> Result<SecretKey> {
        self.validate()?;
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|_| Error::UnsupportedFormat("key derivation parameters".into()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase, salt, out.as_mut())
            .map_err(|_| Error::invalid("passphrase could not be processed"))?;
        Ok(SecretKey(*out))
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Seals `plaintext` as `version || nonce || ciphertext || tag`.
pub fn seal(key: &SecretKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let ct = key
        .cipher()
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| Error::Integrity("encryption failed"))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens an envelope written by [`seal`]; any alteration is an integrity error.
pub fn open(
    key: &SecretKey,
    aad: &[u8],
    envelope: &[u8],
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>> {
    let (nonce, ct) = split_envelope(envelope, what)?;
    key.cipher()
        .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| Error::Integrity(what))
}

fn split_envelope<'a>(
    envelope: &'a [u8],
    what: &'static str,
) -> Result<([u8; NONCE_LEN], &'a [u8])> {
    match envelope.split_first() {
        Some((&FORMAT_V1, rest)) if rest.len() >= NONCE_LEN + TAG_LEN => {
            let (nonce, ct) = rest.split_at(NONCE_LEN);
            Ok((nonce.try_into().expect("split at NONCE_LEN"), ct))
        }
        // An unknown version byte is as likely to be tampering as a future
        // format; either way nothing can be read.
        _ => Err(Error::Integrity(what)),
    }
}

/// What a key slot unwraps to.
///
/// Slots written since vaults have records (see `record.rs`) carry the data
/// key, the vault's cell and `has_record`, and nothing else: the flags that
/// told a decoy from a real vault (`destroy_other`, `is_decoy`) are only
/// read, from slots written before, to make the record of such a vault.
pub struct SlotPayload {
    /// The vault data key.
    pub data_key: SecretKey,
    /// Written before records: on unlock through this slot, destroy the
    /// other vault (duress).
    pub destroy_other: bool,
    /// Written before records: this key opens the decoy vault.
    pub is_decoy: bool,
    /// The cell (passphrase slot index) of the vault this key belongs to.
    pub home_slot: u8,
    /// The vault has a record (`record-<cell>`); a slot without this flag
    /// was written before records existed.
    pub has_record: bool,
}

impl SlotPayload {
    /// A slot payload as written now: the data key of the vault in `cell`.
    pub fn new(data_key: SecretKey, cell: u8) -> Self {
        SlotPayload {
            data_key,
            destroy_other: false,
            is_decoy: false,
            home_slot: cell,
            has_record: true,
        }
    }
}

const FLAG_DESTROY_OTHER: u8 = 1;
const FLAG_DECOY: u8 = 2;
const FLAG_HAS_RECORD: u8 = 4;

/// Wraps a data key (and its flags) into a fixed-length slot.
pub fn wrap_slot(wrapping: &SecretKey, aad: &[u8], payload: &SlotPayload) -> Result<Vec<u8>> {
    let mut plain = Zeroizing::new([0u8; SLOT_PAYLOAD_LEN]);
    plain[..32].copy_from_slice(payload.data_key.bytes());
    if payload.destroy_other {
        plain[32] |= FLAG_DESTROY_OTHER;
    }
    if payload.is_decoy {
        plain[32] |= FLAG_DECOY;
    }
    if payload.has_record {
        plain[32] |= FLAG_HAS_RECORD;
    }
    plain[33] = payload.home_slot;
    let out = seal(wrapping, aad, plain.as_ref())?;
    debug_assert_eq!(out.len(), SLOT_LEN, "every slot has the same length");
    Ok(out)
}

/// Random bytes indistinguishable from a wrapped slot without its key.
pub fn random_slot() -> Result<Vec<u8>> {
    random_envelope(SLOT_PAYLOAD_LEN)
}

/// Length of a vault record's plaintext (see `record.rs`): every record has
/// it, whatever it holds.
pub const RECORD_LEN: usize = 512;

/// Random bytes of a sealed record's length: a free cell's record.
pub fn random_record() -> Result<Vec<u8>> {
    random_envelope(RECORD_LEN)
}

/// Random bytes indistinguishable, without its key, from an envelope
/// sealed by [`seal`] over `plaintext_len` bytes.
pub fn random_envelope(plaintext_len: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; 1 + NONCE_LEN + plaintext_len + TAG_LEN];
    random_fill(&mut out)?;
    out[0] = FORMAT_V1;
    Ok(out)
}

/// Unwraps a slot; `None` if the key does not fit (not an error: trying keys
/// against slots is how unlock works).
pub fn unwrap_slot(wrapping: &SecretKey, aad: &[u8], slot: &[u8]) -> Option<SlotPayload> {
    let plain = open(wrapping, aad, slot, "key slot").ok()?;
    if plain.len() != SLOT_PAYLOAD_LEN {
        return None;
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&plain[..32]);
    Some(SlotPayload {
        data_key: SecretKey(key),
        destroy_other: plain[32] & FLAG_DESTROY_OTHER != 0,
        is_decoy: plain[32] & FLAG_DECOY != 0,
        home_slot: plain[33],
        has_record: plain[32] & FLAG_HAS_RECORD != 0,
    })
}

/// HMAC-SHA256(key, msg) truncated to 16 bytes.
pub fn tag16(key: &SecretKey, msg: &[u8]) -> [u8; 16] {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.bytes())
        .expect("HMAC takes keys of any length");
    mac.update(msg);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// The header stored beside a document's chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeader {
    /// Random per content version.
    pub prefix: [u8; STREAM_PREFIX_LEN],
}

impl StreamHeader {
    /// A new random header.
    pub fn random() -> Result<Self> {
        Ok(StreamHeader {
            prefix: random_bytes()?,
        })
    }

    /// `version || prefix`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(1 + STREAM_PREFIX_LEN);
        v.push(FORMAT_V1);
        v.extend_from_slice(&self.prefix);
        v
    }

    /// Parses [`StreamHeader::to_bytes`]; anything else is an integrity error.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        match b.split_first() {
            Some((&FORMAT_V1, rest)) if rest.len() == STREAM_PREFIX_LEN => Ok(StreamHeader {
                prefix: rest.try_into().expect("length checked"),
            }),
            _ => Err(Error::Integrity("document content header")),
        }
    }
}

/// Encrypts a document's content chunk by chunk (STREAM, big-endian 32-bit
/// counter). Every chunk is bound to the document's associated data (its id
/// and content version), to its position and to whether it is the last, so
/// swapping, truncating or reordering chunks is detected on reading.
///
/// Callers MUST finish with [`ChunkSealer::seal_last`]; a stream without its
/// last chunk does not decrypt.
pub struct ChunkSealer {
    inner: EncryptorBE32<XChaCha20Poly1305>,
    aad: Vec<u8>,
}

impl ChunkSealer {
    /// Starts a stream under `key` with `header`'s nonce prefix.
    pub fn new(key: &SecretKey, header: &StreamHeader, aad: Vec<u8>) -> Self {
        ChunkSealer {
            inner: EncryptorBE32::from_aead(key.cipher(), &header.prefix.into()),
            aad,
        }
    }

    /// Encrypts a non-final chunk in place (the buffer grows by [`TAG_LEN`]).
    pub fn seal_next(&mut self, buf: &mut Vec<u8>) -> Result<()> {
        self.inner
            .encrypt_next_in_place(&self.aad, buf)
            .map_err(|_| Error::invalid("document too large"))
    }

    /// Encrypts the final chunk in place.
    pub fn seal_last(self, buf: &mut Vec<u8>) -> Result<()> {
        self.inner
            .encrypt_last_in_place(&self.aad, buf)
            .map_err(|_| Error::invalid("document too large"))
    }
}

/// The reading side of [`ChunkSealer`].
pub struct ChunkOpener {
    inner: DecryptorBE32<XChaCha20Poly1305>,
    aad: Vec<u8>,
}

impl ChunkOpener {
    /// Starts reading a stream.
    pub fn new(key: &SecretKey, header: &StreamHeader, aad: Vec<u8>) -> Self {
        ChunkOpener {
            inner: DecryptorBE32::from_aead(key.cipher(), &header.prefix.into()),
            aad,
        }
    }

    /// Decrypts a non-final chunk in place.
    pub fn open_next(&mut self, buf: &mut Vec<u8>) -> Result<()> {
        self.inner
            .decrypt_next_in_place(&self.aad, buf)
            .map_err(|_| Error::Integrity("document content"))
    }

    /// Decrypts the final chunk in place.
    pub fn open_last(self, buf: &mut Vec<u8>) -> Result<()> {
        self.inner
            .decrypt_last_in_place(&self.aad, buf)
            .map_err(|_| Error::Integrity("document content"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::random().unwrap()
    }

    #[test]
    fn sealed_envelope_opens_only_with_its_key_and_aad() {
        let k = key();
        let env = seal(&k, b"aad", b"hello").unwrap();
        assert_eq!(&open(&k, b"aad", &env, "t").unwrap()[..], b"hello");
        assert!(open(&k, b"other", &env, "t").is_err());
        assert!(open(&key(), b"aad", &env, "t").is_err());
        for i in 0..env.len() {
            let mut bad = env.clone();
            bad[i] ^= 0x01;
            assert!(open(&k, b"aad", &bad, "t").is_err(), "flip at {i}");
        }
    }

    #[test]
    fn slots_have_one_length_whether_real_or_random() {
        let k = key();
        let payload = SlotPayload {
            data_key: key(),
            destroy_other: true,
            is_decoy: false,
            home_slot: 1,
            has_record: false,
        };
        let real = wrap_slot(&k, b"s", &payload).unwrap();
        assert_eq!(real.len(), SLOT_LEN);
        assert_eq!(random_slot().unwrap().len(), SLOT_LEN);
        let back = unwrap_slot(&k, b"s", &real).unwrap();
        assert_eq!(back.data_key.bytes(), payload.data_key.bytes());
        assert!(back.destroy_other && !back.is_decoy && !back.has_record);
        assert_eq!(back.home_slot, 1);
        let now = wrap_slot(&k, b"s", &SlotPayload::new(key(), 7)).unwrap();
        assert_eq!(now.len(), SLOT_LEN);
        let back = unwrap_slot(&k, b"s", &now).unwrap();
        assert!(back.has_record && !back.destroy_other && !back.is_decoy);
        assert_eq!(back.home_slot, 7);
        assert!(unwrap_slot(&k, b"s", &random_slot().unwrap()).is_none());
    }

    #[test]
    fn kdf_is_deterministic_and_salted() {
        let p = KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let a = p.derive(b"pass", b"saltsaltsaltsalt").unwrap();
        let b = p.derive(b"pass", b"saltsaltsaltsalt").unwrap();
        let c = p.derive(b"pass", b"SALTSALTSALTSALT").unwrap();
        assert_eq!(a.bytes(), b.bytes());
        assert_ne!(a.bytes(), c.bytes());
    }

    #[test]
    fn absurd_kdf_parameters_are_refused() {
        let p = KdfParams {
            memory_kib: 4 * 1024 * 1024,
            iterations: 1,
            parallelism: 1,
        };
        assert!(p.derive(b"p", b"saltsaltsalt").is_err());
    }

    #[test]
    fn stream_detects_truncation_and_reordering() {
        let k = key();
        let h = StreamHeader::random().unwrap();
        let mut chunks = Vec::new();
        let mut s = ChunkSealer::new(&k, &h, b"doc".to_vec());
        for i in 0..3u8 {
            let mut b = vec![i; 10];
            s.seal_next(&mut b).unwrap();
            chunks.push(b);
        }
        let mut b = vec![9u8; 4];
        s.seal_last(&mut b).unwrap();
        chunks.push(b);

        let read = |order: &[usize]| -> Result<()> {
            let mut o = ChunkOpener::new(&k, &h, b"doc".to_vec());
            let (last, init) = order.split_last().unwrap();
            for &i in init {
                o.open_next(&mut chunks[i].clone())?;
            }
            o.open_last(&mut chunks[*last].clone())
        };
        assert!(read(&[0, 1, 2, 3]).is_ok());
        assert!(read(&[0, 1, 2]).is_err(), "truncated");
        assert!(read(&[0, 2, 1, 3]).is_err(), "reordered");
        assert!(read(&[1, 2, 3]).is_err(), "first chunk dropped");
    }
}

/// Property tests of the envelope and stream header parsers, which read bytes
/// from the vault's files (in `tests/vault_parsers.rs` while this module was
/// public).
#[cfg(test)]
mod parser_tests {
    use proptest::prelude::*;

    use crate::vault::crypto::{self, SecretKey, StreamHeader};

    proptest! {
        #[test]
        fn arbitrary_bytes_never_open_as_an_envelope(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let key = SecretKey::random().unwrap();
            prop_assert!(crypto::open(&key, b"aad", &bytes, "test").is_err());
        }

        #[test]
        fn envelopes_round_trip_any_plaintext(
            plain in prop::collection::vec(any::<u8>(), 0..2000),
            aad in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let key = SecretKey::random().unwrap();
            let sealed = crypto::seal(&key, &aad, &plain).unwrap();
            prop_assert_eq!(&crypto::open(&key, &aad, &sealed, "test").unwrap()[..], &plain[..]);
        }

        #[test]
        fn stream_headers_parse_only_their_own_shape(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            let parsed = StreamHeader::from_bytes(&bytes);
            prop_assert_eq!(parsed.is_ok(), bytes.len() == 20 && bytes[0] == 1);
            if let Ok(h) = parsed {
                prop_assert_eq!(h.to_bytes(), bytes);
            }
        }
    }
}
