//! The age file format, version 1 (<https://age-encryption.org/v1>), with
//! its two native recipient types: a passphrase (`scrypt`) and an X25519
//! public key (`age1…`).
//!
//! Written here rather than taken from the `age` crate, because that crate
//! does not fit the phone library's size budget (it brings a second copy of
//! the RustCrypto stack at older versions, and fluent/i18n-embed for its
//! messages); this module uses the primitives the core already carries
//! (ChaCha20-Poly1305, HKDF-SHA-256, HMAC-SHA-256, X25519 from
//! curve25519-dalek) plus `scrypt` and `bech32`. It is checked against the
//! age project's published test vectors (C2SP CCTV, `core/tests/age_vectors.rs`)
//! and against the Go implementation (`core/tests/backup_age_interop.rs`).
//!
//! # The construction
//!
//! ```text
//! file key (16 random bytes)
//!   wrapped once per recipient, each in a stanza:
//!     scrypt:  ChaCha20-Poly1305(scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt, 2^logN, 8, 1), file key)
//!     X25519:  ChaCha20-Poly1305(HKDF(X25519(eph, recipient), eph_pub || recipient, "age-encryption.org/v1/X25519"), file key)
//!   header MAC = HMAC-SHA-256(HKDF(file key, "", "header"), header up to and including "---")
//!   payload key = HKDF(file key, nonce (16 random bytes), "payload")
//!   payload = STREAM(ChaCha20-Poly1305, payload key), 64 KiB chunks,
//!             nonce = 11-byte big-endian chunk counter || last-chunk flag
//! ```
//!
//! Parsing is strict, as the specification requires, because a lenient
//! parser is a second format: base64 must be canonical and unpadded, body
//! lines exactly 64 columns except the last, arguments non-empty printable
//! ASCII, a `scrypt` stanza alone in its header, a work factor written in
//! plain decimal and at most [`MAX_SCRYPT_LOG_N`]. Not supported: the ASCII
//! armor (`age -a`), plugins, and the post-quantum hybrid recipients; a file
//! using them fails with a clear error.
//!
//! A passphrase is used as the bytes given, without Unicode normalisation
//! (unlike the vault's): `age -p` does the same, and a file must open with
//! the same passphrase in both.

use std::fmt;
use std::io::{self, BufRead, Read, Write};

use base64ct::{Base64Unpadded, Encoding};
use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Hrp};
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
// The base point through the Montgomery ladder, not
// `MontgomeryPoint::mul_base_clamped`: that one uses the Edwards base point
// table (30 KB of the native library) that the core otherwise never needs.
use curve25519_dalek::constants::X25519_BASEPOINT;
use curve25519_dalek::montgomery::MontgomeryPoint;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

fn random_fill(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    getrandom::fill(buf)
}

/// The first line of every age v1 file.
const INTRO: &[u8] = b"age-encryption.org/v1";
/// What begins the line of every other version (refused as unsupported).
const VERSION_PREFIX: &[u8] = b"age-encryption.org/";
/// Begins a recipient stanza's line.
const STANZA_PREFIX: &[u8] = b"-> ";
/// Begins the header's last line, before the MAC.
const MAC_PREFIX: &[u8] = b"---";
/// Length of the file key every stanza wraps.
const FILE_KEY_LEN: usize = 16;
/// Length of the payload nonce (the salt of the payload key).
const PAYLOAD_NONCE_LEN: usize = 16;
/// Plaintext bytes per STREAM chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Length of a Poly1305 tag.
const TAG_LEN: usize = 16;
/// Ciphertext bytes per full STREAM chunk.
const ENCRYPTED_CHUNK_SIZE: usize = CHUNK_SIZE + TAG_LEN;
/// Columns of a full stanza body line (48 bytes of base64).
const BODY_COLUMNS: usize = 64;
/// The longest header line read. Far above anything age writes (a hybrid
/// post-quantum share is about 1,500 characters), and a bound on memory
/// when a file is not age at all.
const MAX_LINE: usize = 16 * 1024;
/// The most stanzas read; age writes one per recipient.
const MAX_STANZAS: usize = 256;

/// HKDF info and salts, from the specification.
const SCRYPT_LABEL: &[u8] = b"age-encryption.org/v1/scrypt";
const X25519_LABEL: &[u8] = b"age-encryption.org/v1/X25519";
const HEADER_LABEL: &[u8] = b"header";
const PAYLOAD_LABEL: &[u8] = b"payload";

/// Bech32 human-readable parts of X25519 recipients and identities.
const RECIPIENT_HRP: &str = "age";
const IDENTITY_HRP: &str = "age-secret-key-";

/// The highest scrypt work factor (log2 N) accepted when decrypting: 18,
/// what `age -p` writes (2^18 × 1 KiB = 256 MiB of memory). The Go
/// implementation accepts up to 22 (4 GiB), but a phone asked for that by a
/// hostile file would be killed for its memory, so a file asking more than
/// 18 is refused before any work.
pub const MAX_SCRYPT_LOG_N: u8 = 18;

/// The scrypt work factor `age -p` writes (256 MiB, about 1 s on a laptop).
pub const AGE_DEFAULT_SCRYPT_LOG_N: u8 = 18;

/// What went wrong reading an age file. The classes follow the test
/// vectors' `expect` values, so a lower-level failure is never reported as
/// a higher-level one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgeError {
    /// The header is not a well-formed age v1 header.
    #[error("not a valid age file: {0}")]
    Header(&'static str),
    /// The header is well formed but uses something this implementation
    /// does not read (armor, another version).
    #[error("unsupported age file: {0}")]
    Unsupported(&'static str),
    /// No stanza opens with the passphrase or identities given.
    #[error("the passphrase or identity does not open this file")]
    NoMatch,
    /// A stanza opened, but the header's MAC is wrong: the header was
    /// altered.
    #[error("the file's header was altered (MAC mismatch)")]
    HeaderMac,
    /// The payload is truncated, altered or has trailing data.
    #[error("the file's content is damaged: {0}")]
    Payload(&'static str),
    /// Reading or writing failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The system's random number generator failed.
    #[error("random number generator unavailable")]
    Random,
}

impl From<AgeError> for io::Error {
    fn from(e: AgeError) -> Self {
        match e {
            AgeError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// The 16-byte key the payload key and the header MAC key derive from.
struct FileKey([u8; FILE_KEY_LEN]);

impl Drop for FileKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A 32-byte symmetric key, zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Key32([u8; 32]);

impl Key32 {
    fn hkdf(ikm: &[u8], salt: &[u8], info: &[u8]) -> Key32 {
        let mut out = Key32([0; 32]);
        Hkdf::<Sha256>::new(Some(salt), ikm)
            .expand(info, &mut out.0)
            .expect("32 bytes is a valid HKDF-SHA-256 output length");
        out
    }

    fn aead(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&Key::from(self.0))
    }
}

/// An X25519 identity (`AGE-SECRET-KEY-1…`): the private key that opens
/// files encrypted to its [`X25519Recipient`].
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct X25519Identity([u8; 32]);

impl X25519Identity {
    /// A new random identity (what `age-keygen` makes).
    pub fn generate() -> Result<Self, AgeError> {
        let mut secret = [0u8; 32];
        random_fill(&mut secret).map_err(|_| AgeError::Random)?;
        Ok(X25519Identity(secret))
    }

    /// The recipient (public key) that files for this identity are
    /// encrypted to.
    pub fn to_public(&self) -> X25519Recipient {
        X25519Recipient(X25519_BASEPOINT.mul_clamped(self.0).to_bytes())
    }

    /// The identity in age's text form, `AGE-SECRET-KEY-1…` (upper case).
    /// Secret: write it only where the person asked.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        let hrp = Hrp::parse(IDENTITY_HRP).expect("valid human-readable part");
        Zeroizing::new(
            bech32::encode_upper::<Bech32>(hrp, &self.0).expect("32 bytes fit in Bech32"),
        )
    }

    /// Parses `AGE-SECRET-KEY-1…`. The text is not echoed in the error.
    pub fn parse(s: &str) -> Result<Self, AgeError> {
        let key = decode_bech32(s, IDENTITY_HRP)
            .ok_or(AgeError::Header("not an age identity (AGE-SECRET-KEY-1…)"))?;
        Ok(X25519Identity(*key))
    }

    /// Reads every identity of an age identity file (`age-keygen`'s output):
    /// one `AGE-SECRET-KEY-1…` per line, `#` comments and blank lines
    /// ignored.
    pub fn parse_file(text: &str) -> Result<Vec<Self>, AgeError> {
        let ids = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(Self::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Err(AgeError::Header("the identity file holds no identity"));
        }
        Ok(ids)
    }

    /// Unwraps an `X25519` stanza addressed to this identity: `Ok(None)` if
    /// it is not (its tag does not verify), an error if it is malformed.
    fn unwrap(&self, stanza: &Stanza) -> Result<Option<FileKey>, AgeError> {
        let [share] = stanza.args.as_slice() else {
            return Err(AgeError::Header("an X25519 stanza has one argument"));
        };
        let share: [u8; 32] = decode_b64(share)
            .and_then(|b| b.try_into().ok())
            .ok_or(AgeError::Header("an X25519 share is 32 bytes"))?;
        if stanza.body.len() != FILE_KEY_LEN + TAG_LEN {
            return Err(AgeError::Header(
                "an X25519 stanza wraps a 16-byte file key",
            ));
        }
        let shared = Zeroizing::new(MontgomeryPoint(share).mul_clamped(self.0).to_bytes());
        // A low-order share makes the shared secret all zeroes, which anyone
        // could compute: the specification makes it an error.
        if shared.iter().all(|&b| b == 0) {
            return Err(AgeError::Header("an X25519 share is a low-order point"));
        }
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(&share);
        salt[32..].copy_from_slice(&self.to_public().0);
        let key = Key32::hkdf(&shared[..], &salt, X25519_LABEL);
        Ok(unwrap_file_key(&key, &stanza.body))
    }
}

impl fmt::Debug for X25519Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("X25519Identity(…)")
    }
}

/// An X25519 recipient (`age1…`): the public key a file is encrypted to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct X25519Recipient([u8; 32]);

impl X25519Recipient {
    /// Parses `age1…` (lower case, as age prints it).
    pub fn parse(s: &str) -> Result<Self, AgeError> {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(AgeError::Header("an age recipient is lower case (age1…)"));
        }
        let key = decode_bech32(s, RECIPIENT_HRP)
            .ok_or(AgeError::Header("not an age recipient (age1…)"))?;
        Ok(X25519Recipient(*key))
    }

    fn wrap(&self, file_key: &FileKey) -> Result<Stanza, AgeError> {
        let mut ephemeral = Zeroizing::new([0u8; 32]);
        random_fill(&mut ephemeral[..]).map_err(|_| AgeError::Random)?;
        let share = X25519_BASEPOINT.mul_clamped(*ephemeral).to_bytes();
        let shared = Zeroizing::new(MontgomeryPoint(self.0).mul_clamped(*ephemeral).to_bytes());
        if shared.iter().all(|&b| b == 0) {
            return Err(AgeError::Header("the recipient is a low-order point"));
        }
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(&share);
        salt[32..].copy_from_slice(&self.0);
        let key = Key32::hkdf(&shared[..], &salt, X25519_LABEL);
        Ok(Stanza {
            kind: "X25519".into(),
            args: vec![Base64Unpadded::encode_string(&share)],
            body: wrap_file_key(&key, file_key),
        })
    }
}

impl fmt::Display for X25519Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = Hrp::parse(RECIPIENT_HRP).expect("valid human-readable part");
        let s = bech32::encode_lower::<Bech32>(hrp, &self.0).expect("32 bytes fit in Bech32");
        f.write_str(&s)
    }
}

impl fmt::Debug for X25519Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "X25519Recipient({self})")
    }
}

/// Who a file is encrypted to.
#[derive(Clone)]
#[non_exhaustive]
pub enum Recipient {
    /// A passphrase, stretched with scrypt at work factor `2^log_n`. age
    /// allows it only alone: a file to a passphrase has no other recipient.
    Passphrase {
        /// The passphrase, as bytes.
        passphrase: Zeroizing<String>,
        /// log2 of scrypt's N (memory is `2^log_n` KiB).
        log_n: u8,
    },
    /// An X25519 public key.
    X25519(X25519Recipient),
}

impl Recipient {
    fn wrap(&self, file_key: &FileKey) -> Result<Stanza, AgeError> {
        match self {
            Recipient::Passphrase { passphrase, log_n } => {
                let mut salt = [0u8; 16];
                random_fill(&mut salt).map_err(|_| AgeError::Random)?;
                let key = scrypt_key(passphrase.as_bytes(), &salt, *log_n)?;
                Ok(Stanza {
                    kind: "scrypt".into(),
                    args: vec![Base64Unpadded::encode_string(&salt), log_n.to_string()],
                    body: wrap_file_key(&key, file_key),
                })
            }
            Recipient::X25519(r) => r.wrap(file_key),
        }
    }
}

/// What can open a file.
#[derive(Clone)]
#[non_exhaustive]
pub enum Identity {
    /// A passphrase, for `scrypt` stanzas (any work factor up to
    /// [`MAX_SCRYPT_LOG_N`]).
    Passphrase(Zeroizing<String>),
    /// An X25519 private key, for `X25519` stanzas.
    X25519(X25519Identity),
}

impl Identity {
    /// `Ok(None)`: the stanza is not for this identity.
    fn unwrap(&self, stanza: &Stanza) -> Result<Option<FileKey>, AgeError> {
        match (self, stanza.kind.as_str()) {
            (Identity::Passphrase(p), "scrypt") => {
                let [salt, log_n] = stanza.args.as_slice() else {
                    return Err(AgeError::Header("a scrypt stanza has two arguments"));
                };
                let salt: [u8; 16] = decode_b64(salt)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(AgeError::Header("a scrypt salt is 16 bytes"))?;
                let log_n = parse_log_n(log_n)?;
                if stanza.body.len() != FILE_KEY_LEN + TAG_LEN {
                    return Err(AgeError::Header("a scrypt stanza wraps a 16-byte file key"));
                }
                let key = scrypt_key(p.as_bytes(), &salt, log_n)?;
                Ok(unwrap_file_key(&key, &stanza.body))
            }
            (Identity::X25519(id), "X25519") => id.unwrap(stanza),
            _ => Ok(None),
        }
    }
}

/// scrypt's work factor as the stanza writes it: decimal, no sign, no
/// leading zero, 1..=[`MAX_SCRYPT_LOG_N`].
fn parse_log_n(s: &str) -> Result<u8, AgeError> {
    let well_formed = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && !s.starts_with('0')
        && s.len() <= 3;
    let log_n: u16 = match s.parse() {
        Ok(n) if well_formed => n,
        _ => return Err(AgeError::Header("a scrypt work factor is a decimal number")),
    };
    if log_n == 0 || log_n > u16::from(MAX_SCRYPT_LOG_N) {
        return Err(AgeError::Header(
            "the scrypt work factor is out of range (at most 18)",
        ));
    }
    Ok(log_n as u8)
}

fn scrypt_key(passphrase: &[u8], salt: &[u8; 16], log_n: u8) -> Result<Key32, AgeError> {
    if !(1..=MAX_SCRYPT_LOG_N).contains(&log_n) {
        return Err(AgeError::Header("the scrypt work factor is out of range"));
    }
    let mut full_salt = [0u8; SCRYPT_LABEL.len() + 16];
    full_salt[..SCRYPT_LABEL.len()].copy_from_slice(SCRYPT_LABEL);
    full_salt[SCRYPT_LABEL.len()..].copy_from_slice(salt);
    let params = scrypt::Params::new(log_n, 8, 1).expect("r = 8, p = 1 and log_n ≤ 18 are valid");
    let mut key = Key32([0; 32]);
    scrypt::scrypt(passphrase, &full_salt, &params, &mut key.0)
        .expect("32 bytes is a valid scrypt output length");
    Ok(key)
}

/// ChaCha20-Poly1305 with an all-zero nonce: each wrapping key is used once.
fn wrap_file_key(key: &Key32, file_key: &FileKey) -> Vec<u8> {
    let mut body = file_key.0.to_vec();
    let tag = key
        .aead()
        .encrypt_inout_detached(&Nonce::default(), b"", body.as_mut_slice().into())
        .expect("16 bytes is within ChaCha20-Poly1305's limits");
    body.extend_from_slice(&tag);
    body
}

fn unwrap_file_key(key: &Key32, body: &[u8]) -> Option<FileKey> {
    let (ct, tag) = body.split_at(FILE_KEY_LEN);
    let mut out = FileKey([0; FILE_KEY_LEN]);
    out.0.copy_from_slice(ct);
    key.aead()
        .decrypt_inout_detached(
            &Nonce::default(),
            b"",
            out.0.as_mut_slice().into(),
            &Tag::try_from(tag).expect("a 16-byte tag"),
        )
        .ok()
        .map(|()| out)
}

/// Strict unpadded base64: canonical (no stray bits in the last
/// character), no `=`.
fn decode_b64(s: &str) -> Option<Vec<u8>> {
    Base64Unpadded::decode_vec(s).ok()
}

/// A Bech32 (not Bech32m) string with human-readable part `hrp` (either
/// case, not mixed) carrying 32 bytes.
fn decode_bech32(s: &str, hrp: &str) -> Option<Zeroizing<[u8; 32]>> {
    let parsed = CheckedHrpstring::new::<Bech32>(s).ok()?;
    if !parsed.hrp().as_str().eq_ignore_ascii_case(hrp) {
        return None;
    }
    let bytes = Zeroizing::new(parsed.byte_iter().collect::<Vec<u8>>());
    let key: [u8; 32] = bytes.as_slice().try_into().ok()?;
    Some(Zeroizing::new(key))
}

/// A recipient stanza: `-> type args…` and its body.
struct Stanza {
    /// The first argument: the recipient type (`X25519`, `scrypt`, or one
    /// this implementation ignores).
    kind: String,
    /// The arguments after the type.
    args: Vec<String>,
    body: Vec<u8>,
}

impl Stanza {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(STANZA_PREFIX);
        out.extend_from_slice(self.kind.as_bytes());
        for a in &self.args {
            out.push(b' ');
            out.extend_from_slice(a.as_bytes());
        }
        out.push(b'\n');
        // Full 64-column lines, then a shorter (possibly empty) final line.
        let encoded = Base64Unpadded::encode_string(&self.body);
        let mut rest = encoded.as_bytes();
        loop {
            let take = rest.len().min(BODY_COLUMNS);
            out.extend_from_slice(&rest[..take]);
            out.push(b'\n');
            if take < BODY_COLUMNS {
                break;
            }
            rest = &rest[take..];
        }
    }
}

/// A parsed header: its stanzas and the bytes its MAC covers.
struct Header {
    stanzas: Vec<Stanza>,
    /// Everything from the first byte up to and including `---`.
    mac_input: Vec<u8>,
    mac: [u8; 32],
}

/// Reads one `\n`-terminated line (without the `\n`) into `raw` too,
/// refusing lines longer than [`MAX_LINE`] and a missing newline.
fn read_line(input: &mut impl BufRead, raw: &mut Vec<u8>) -> Result<Vec<u8>, AgeError> {
    let mut line = Vec::new();
    let n = input
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(AgeError::Header(if n > MAX_LINE {
            "a header line is too long"
        } else {
            "the header ends early"
        }));
    }
    raw.extend_from_slice(&line);
    line.pop();
    Ok(line)
}

/// An argument: one or more printable ASCII characters (no space).
fn is_arg(a: &[u8]) -> bool {
    !a.is_empty() && a.iter().all(|&b| (0x21..=0x7e).contains(&b))
}

fn ascii(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

impl Header {
    fn read(input: &mut impl BufRead) -> Result<Header, AgeError> {
        let mut raw = Vec::new();
        let intro = read_line(input, &mut raw).map_err(|e| match e {
            AgeError::Io(e) => AgeError::Io(e),
            _ => AgeError::Header("not an age file"),
        })?;
        if intro != INTRO {
            if intro.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----") {
                return Err(AgeError::Unsupported(
                    "ASCII-armored age files (age -a) are not read: decrypt with age -d first",
                ));
            }
            return Err(if intro.starts_with(VERSION_PREFIX) {
                AgeError::Unsupported("an age version other than v1")
            } else {
                AgeError::Header("not an age file")
            });
        }
        let mut stanzas: Vec<Stanza> = Vec::new();
        loop {
            let start = raw.len();
            let line = read_line(input, &mut raw)?;
            if let Some(rest) = line.strip_prefix(STANZA_PREFIX) {
                if stanzas.len() == MAX_STANZAS {
                    return Err(AgeError::Header("too many recipient stanzas"));
                }
                let args: Vec<&[u8]> = rest.split(|&b| b == b' ').collect();
                if !args.iter().all(|a| is_arg(a)) {
                    return Err(AgeError::Header("a stanza argument is malformed"));
                }
                let mut body = Vec::new();
                loop {
                    let line = read_line(input, &mut raw)?;
                    if line.len() > BODY_COLUMNS {
                        return Err(AgeError::Header("a stanza body line is too long"));
                    }
                    let chunk = std::str::from_utf8(&line)
                        .ok()
                        .and_then(decode_b64)
                        .ok_or(AgeError::Header("a stanza body is not canonical base64"))?;
                    body.extend(chunk);
                    if line.len() < BODY_COLUMNS {
                        break;
                    }
                }
                stanzas.push(Stanza {
                    kind: ascii(args[0]),
                    args: args[1..].iter().map(|a| ascii(a)).collect(),
                    body,
                });
            } else if let Some(rest) = line.strip_prefix(MAC_PREFIX) {
                let mac_input = raw[..start + MAC_PREFIX.len()].to_vec();
                let mac = rest
                    .strip_prefix(b" ")
                    .and_then(|m| std::str::from_utf8(m).ok())
                    .and_then(decode_b64)
                    .and_then(|m| <[u8; 32]>::try_from(m).ok())
                    .ok_or(AgeError::Header("the header MAC is malformed"))?;
                if stanzas.is_empty() {
                    return Err(AgeError::Header("the header has no recipient"));
                }
                // A passphrase file is for the passphrase alone: with
                // another recipient, whoever holds that key could replace
                // the content under a header that still asks for the
                // passphrase.
                if stanzas.len() > 1 && stanzas.iter().any(|s| s.kind == "scrypt") {
                    return Err(AgeError::Header(
                        "a scrypt stanza must be the only one in the header",
                    ));
                }
                return Ok(Header {
                    stanzas,
                    mac_input,
                    mac,
                });
            } else {
                return Err(AgeError::Header("a header line is malformed"));
            }
        }
    }

    /// The file key, from the first stanza one of `identities` opens, with
    /// the header's MAC verified under it.
    fn file_key(&self, identities: &[Identity]) -> Result<FileKey, AgeError> {
        for stanza in &self.stanzas {
            for identity in identities {
                if let Some(key) = identity.unwrap(stanza)? {
                    self.verify_mac(&key)?;
                    return Ok(key);
                }
            }
        }
        Err(AgeError::NoMatch)
    }

    fn verify_mac(&self, file_key: &FileKey) -> Result<(), AgeError> {
        let mac = header_mac(file_key, &self.mac_input);
        mac.verify_slice(&self.mac).map_err(|_| AgeError::HeaderMac)
    }
}

fn header_mac(file_key: &FileKey, mac_input: &[u8]) -> Hmac<Sha256> {
    let key = Key32::hkdf(&file_key.0, b"", HEADER_LABEL);
    let mut mac = <Hmac<Sha256>>::new_from_slice(&key.0).expect("HMAC takes any key length");
    mac.update(mac_input);
    mac
}

/// STREAM's nonce for chunk `counter`: an 11-byte big-endian counter, then
/// the last-chunk flag.
fn stream_nonce(counter: u64, last: bool) -> Nonce {
    let mut nonce = Nonce::default();
    nonce[3..11].copy_from_slice(&counter.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

/// Writes an age file: [`Encryptor::new`] writes the header, the writer
/// encrypts what is written to it.
///
/// Callers MUST call [`Encryptor::finish`]: without it the last chunk is
/// never written and the file does not decrypt (it reads as truncated).
pub struct Encryptor<W: Write> {
    out: W,
    aead: ChaCha20Poly1305,
    /// Plaintext not yet sealed. A full chunk is sealed only once more
    /// bytes arrive, because the final chunk (which may be full) must be
    /// sealed with the last-chunk flag.
    buf: Zeroizing<Vec<u8>>,
    counter: u64,
}

impl<W: Write> Encryptor<W> {
    /// Starts a file to `recipients` and writes its header to `out`.
    ///
    /// At least one recipient; a passphrase recipient must be the only one
    /// (age's rule).
    pub fn new(recipients: &[Recipient], mut out: W) -> Result<Self, AgeError> {
        let passphrases = recipients
            .iter()
            .filter(|r| matches!(r, Recipient::Passphrase { .. }))
            .count();
        if recipients.is_empty() || (passphrases > 0 && recipients.len() > 1) {
            return Err(AgeError::Header(
                "encrypt to one passphrase, or to one or more age1 recipients",
            ));
        }
        let mut file_key = FileKey([0; FILE_KEY_LEN]);
        random_fill(&mut file_key.0).map_err(|_| AgeError::Random)?;
        let mut header = Vec::new();
        header.extend_from_slice(INTRO);
        header.push(b'\n');
        for r in recipients {
            r.wrap(&file_key)?.write(&mut header);
        }
        header.extend_from_slice(MAC_PREFIX);
        let mac = header_mac(&file_key, &header).finalize().into_bytes();
        header.push(b' ');
        header.extend_from_slice(Base64Unpadded::encode_string(&mac).as_bytes());
        header.push(b'\n');
        let mut nonce = [0u8; PAYLOAD_NONCE_LEN];
        random_fill(&mut nonce).map_err(|_| AgeError::Random)?;
        header.extend_from_slice(&nonce);
        out.write_all(&header)?;
        let key = Key32::hkdf(&file_key.0, &nonce, PAYLOAD_LABEL);
        Ok(Encryptor {
            out,
            aead: key.aead(),
            buf: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_SIZE)),
            counter: 0,
        })
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        // Invariant: only the final chunk may be shorter than CHUNK_SIZE.
        assert!(
            last || self.buf.len() == CHUNK_SIZE,
            "a non-final chunk is full"
        );
        let nonce = stream_nonce(self.counter, last);
        let tag = self
            .aead
            .encrypt_inout_detached(&nonce, b"", self.buf.as_mut_slice().into())
            .map_err(|_| io::Error::other("chunk too large"))?;
        self.out.write_all(&self.buf)?;
        self.out.write_all(&tag)?;
        self.buf.clear();
        // 2^64 chunks of 64 KiB cannot be written; the counter never wraps.
        self.counter += 1;
        Ok(())
    }

    /// Seals the final chunk, flushes, and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Encryptor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if self.buf.len() == CHUNK_SIZE {
            self.seal(false)?;
        }
        let take = data.len().min(CHUNK_SIZE - self.buf.len());
        self.buf.extend_from_slice(&data[..take]);
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Only whole chunks can be written; the rest waits for `finish`.
        self.out.flush()
    }
}

/// Reads an age file: [`Decryptor::new`] reads and checks the header and
/// finds the file key; the decryptor then reads the plaintext.
///
/// Each chunk is authenticated before any of its bytes are returned, but a
/// later chunk can still fail: callers MUST treat what they read as
/// unconfirmed until a read returns 0 (end of file) without error.
pub struct Decryptor<R: BufRead> {
    input: R,
    aead: ChaCha20Poly1305,
    counter: u64,
    /// The current chunk's plaintext and how much of it was returned.
    plain: Zeroizing<Vec<u8>>,
    pos: usize,
    /// The final chunk was read.
    done: bool,
    /// A read failed: every later read fails too.
    failed: bool,
}

impl<R: BufRead> Decryptor<R> {
    /// Reads the header from `input` and opens it with the first of
    /// `identities` that matches a stanza, verifying the header's MAC.
    pub fn new(mut input: R, identities: &[Identity]) -> Result<Self, AgeError> {
        let header = Header::read(&mut input)?;
        let file_key = header.file_key(identities)?;
        let mut nonce = [0u8; PAYLOAD_NONCE_LEN];
        input.read_exact(&mut nonce).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => AgeError::Header("the payload nonce is missing"),
            _ => AgeError::Io(e),
        })?;
        let key = Key32::hkdf(&file_key.0, &nonce, PAYLOAD_LABEL);
        Ok(Decryptor {
            input,
            aead: key.aead(),
            counter: 0,
            plain: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_SIZE + 1)),
            pos: 0,
            done: false,
            failed: false,
        })
    }

    /// Reads and authenticates the next chunk into `plain`.
    ///
    /// A chunk shorter than a full one is the last. A full chunk is tried
    /// as a non-final chunk first and, if that fails, as the final one
    /// (a payload whose length is a multiple of 64 KiB ends with a full
    /// final chunk); what follows a final chunk is checked at the next
    /// read.
    fn next_chunk(&mut self) -> Result<(), AgeError> {
        let buf = &mut self.plain;
        buf.clear();
        self.pos = 0;
        (&mut self.input)
            .take(ENCRYPTED_CHUNK_SIZE as u64)
            .read_to_end(buf)?;
        let full = buf.len() == ENCRYPTED_CHUNK_SIZE;
        if buf.len() < TAG_LEN {
            return Err(AgeError::Payload("truncated"));
        }
        if buf.len() == TAG_LEN && self.counter > 0 {
            // Only an empty payload has an empty (and then only) chunk.
            return Err(AgeError::Payload("the final chunk is empty"));
        }
        let tag_at = buf.len() - TAG_LEN;
        let tag = Tag::try_from(&buf[tag_at..]).expect("a 16-byte tag");
        buf.truncate(tag_at);
        // decrypt_inout_detached verifies before it decrypts: on failure the
        // buffer still holds the ciphertext, ready for the second try.
        let mut open = |last: bool| {
            self.aead
                .decrypt_inout_detached(
                    &stream_nonce(self.counter, last),
                    b"",
                    buf.as_mut_slice().into(),
                    &tag,
                )
                .is_ok()
        };
        let last = if full && open(false) {
            false
        } else if open(true) {
            true
        } else {
            buf.clear();
            return Err(AgeError::Payload("truncated or altered"));
        };
        self.counter += 1;
        self.done = last;
        Ok(())
    }
}

impl<R: BufRead> Read for Decryptor<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.failed {
            return Err(AgeError::Payload("an earlier chunk failed").into());
        }
        while self.pos == self.plain.len() {
            if self.done {
                if !self.input.fill_buf()?.is_empty() {
                    return Err(AgeError::Payload("data after the end").into());
                }
                return Ok(0);
            }
            if let Err(e) = self.next_chunk() {
                self.failed = true;
                return Err(e.into());
            }
        }
        let n = out.len().min(self.plain.len() - self.pos);
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encrypt(recipients: &[Recipient], plain: &[u8]) -> Vec<u8> {
        let mut e = Encryptor::new(recipients, Vec::new()).unwrap();
        e.write_all(plain).unwrap();
        e.finish().unwrap()
    }

    fn decrypt(file: &[u8], ids: &[Identity]) -> Result<Vec<u8>, io::Error> {
        let mut d = Decryptor::new(file, ids).map_err(io::Error::from)?;
        let mut out = Vec::new();
        d.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_length_around_chunk_boundaries_round_trips() {
        let id = X25519Identity::generate().unwrap();
        let to = [Recipient::X25519(id.to_public())];
        let ids = [Identity::X25519(id)];
        for len in [
            0,
            1,
            CHUNK_SIZE - 1,
            CHUNK_SIZE,
            CHUNK_SIZE + 1,
            2 * CHUNK_SIZE,
            2 * CHUNK_SIZE + 7,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let file = encrypt(&to, &plain);
            // Header, 16-byte nonce, then one tag per chunk (at least one).
            let chunks = len.div_ceil(CHUNK_SIZE).max(1);
            assert!(file.len() > len + chunks * TAG_LEN + PAYLOAD_NONCE_LEN);
            assert_eq!(decrypt(&file, &ids).unwrap(), plain, "{len}");
            // Cut anywhere in the payload: never accepted as complete.
            let cut = file.len() - 1;
            assert!(decrypt(&file[..cut], &ids).is_err(), "{len}");
        }
    }

    #[test]
    fn a_work_factor_above_18_is_refused_before_any_work() {
        assert_eq!(parse_log_n("18").unwrap(), 18);
        for too_much in ["19", "22"] {
            let err = parse_log_n(too_much).unwrap_err();
            assert!(err.to_string().contains("at most 18"), "{err}");
        }
    }

    #[test]
    fn recipients_and_identities_round_trip_through_their_text() {
        let id = X25519Identity::generate().unwrap();
        let text = id.to_secret_string();
        assert!(text.starts_with("AGE-SECRET-KEY-1"));
        let again = X25519Identity::parse(&text).unwrap();
        assert_eq!(again.to_public(), id.to_public());
        let public = id.to_public().to_string();
        assert!(public.starts_with("age1"));
        assert_eq!(X25519Recipient::parse(&public).unwrap(), id.to_public());
        assert!(X25519Recipient::parse(&public.to_uppercase()).is_err());
        assert!(X25519Recipient::parse(&text).is_err());
        assert!(X25519Identity::parse(&public).is_err());
    }

    #[test]
    fn a_passphrase_file_opens_with_the_passphrase_only() {
        let to = [Recipient::Passphrase {
            passphrase: Zeroizing::new("p".into()),
            log_n: 4,
        }];
        let file = encrypt(&to, b"hello");
        let right = [Identity::Passphrase(Zeroizing::new("p".into()))];
        let wrong = [Identity::Passphrase(Zeroizing::new("q".into()))];
        assert_eq!(decrypt(&file, &right).unwrap(), b"hello");
        assert!(matches!(
            Decryptor::new(&file[..], &wrong),
            Err(AgeError::NoMatch)
        ));
        // age's rule: a passphrase is never mixed with other recipients.
        let id = X25519Identity::generate().unwrap();
        let mixed = [to[0].clone(), Recipient::X25519(id.to_public())];
        assert!(Encryptor::new(&mixed, Vec::new()).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let id = X25519Identity([7; 32]);
            let mut file = b"age-encryption.org/v1\n".to_vec();
            file.extend_from_slice(&bytes);
            let _ = decrypt(&file, &[Identity::X25519(id)]);
            let _ = decrypt(&bytes, &[Identity::Passphrase(Zeroizing::new("x".into()))]);
        }

        #[test]
        fn any_payload_round_trips(plain in proptest::collection::vec(any::<u8>(), 0..200_000)) {
            let id = X25519Identity::generate().unwrap();
            let file = encrypt(&[Recipient::X25519(id.to_public())], &plain);
            prop_assert_eq!(decrypt(&file, &[Identity::X25519(id)]).unwrap(), plain);
        }
    }
}
