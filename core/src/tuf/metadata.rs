//! The Update Framework (TUF, specification 1.0): metadata, canonical JSON,
//! signatures, and the client's verification of a repository's metadata
//! chain (section 5 of the specification).
//!
//! Keys verify as python-tuf (securesystemslib) verifies them: `ed25519`
//! (hex public key), `ecdsa` / `ecdsa-sha2-nistp256` (P-256, PEM
//! SubjectPublicKeyInfo; signature: hex of the DER-encoded ECDSA signature
//! over SHA-256) and `rsa` / `rsassa-pss-sha256` (PEM
//! SubjectPublicKeyInfo, 2048 to 8192 bits; RSASSA-PSS with SHA-256 and
//! MGF1-SHA-256, any salt length as securesystemslib accepts, which signs
//! with 32). A key of another type, or scheme, signs nothing. Waymark only
//! verifies; `waymark-pack` signs.
//!
//! Signatures are checked over the canonical JSON (OLPC dialect, as
//! python-tuf and securesystemslib write it) of the `signed` object exactly
//! as received, unknown fields included; only then is it read into the typed
//! structs below, which ignore fields they do not know.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Oversized, Result, Untrusted};

/// The specification version written in new metadata.
pub const SPEC_VERSION: &str = "1.0.31";
/// Largest metadata file read (endless-data attack).
pub const MAX_METADATA_BYTES: u64 = 512 * 1024;

/// Canonical JSON (OLPC) of a value: the bytes that are signed.
pub fn canonical_json(value: &impl Serialize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, olpc_cjson::CanonicalFormatter::new());
    value.serialize(&mut ser)?;
    Ok(out)
}

/// A public key as TUF writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// `ed25519`, `ecdsa` (or the legacy `ecdsa-sha2-nistp256`) or `rsa`.
    pub keytype: String,
    /// `ed25519`, `ecdsa-sha2-nistp256` or `rsassa-pss-sha256`.
    pub scheme: String,
    /// The key material.
    pub keyval: KeyVal,
}

/// The public part of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVal {
    /// ed25519: 32 bytes, hex. ECDSA and RSA: PEM SubjectPublicKeyInfo.
    pub public: String,
}

/// Smallest RSA modulus trusted, in bits (python-tuf sets no floor; securesystemslib generates 3072-bit keys).
pub const MIN_RSA_BITS: u32 = 2048;

/// A key Waymark can verify with, read from its TUF description.
enum Verifier {
    Ed25519(VerifyingKey),
    EcdsaP256(p256::ecdsa::VerifyingKey),
    RsaPss(Box<rsa::PublicKey>),
}

impl Verifier {
    /// Whether `signature` (raw bytes: ed25519's 64, ECDSA's DER, RSA's
    /// modulus-sized) signs `message`.
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier as _;
        match self {
            Verifier::Ed25519(key) => Signature::from_slice(signature)
                .is_ok_and(|sig| key.verify_strict(message, &sig).is_ok()),
            // High-S signatures verify, as in OpenSSL (python-tuf): tokens
            // and KMS do not all normalise S, and ECDSA's malleability does
            // not matter here (a second signature by the same key counts
            // once).
            Verifier::EcdsaP256(key) => {
                ecdsa_from_der(signature).is_some_and(|sig| key.verify(message, &sig).is_ok())
            }
            // Salt length detected from the signature, as securesystemslib
            // verifies (`PSS.AUTO`); it signs with 32 (the digest length),
            // OpenSSL's command line with the largest that fits.
            Verifier::RsaPss(key) => {
                let scheme = rsa::Pss {
                    blinded: false,
                    digest: Sha256::new(),
                    salt_len: None,
                };
                key.verify(scheme, &Sha256::digest(message), signature)
                    .is_ok()
            }
        }
    }

    /// The key material, so that one key listed under two ids counts once
    /// towards a threshold.
    fn identity(&self) -> Vec<u8> {
        let (tag, material): (u8, Vec<u8>) = match self {
            Verifier::Ed25519(key) => (0, key.to_bytes().to_vec()),
            Verifier::EcdsaP256(key) => (1, key.to_sec1_point(false).as_bytes().to_vec()),
            Verifier::RsaPss(key) => {
                use rsa::traits::PublicKeyParts as _;
                (2, key.n().to_be_bytes_trimmed_vartime().into_vec())
            }
        };
        let mut id = vec![tag];
        id.extend(material);
        id
    }
}

/// The DER of a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
// Read here rather than with the `spki`/`pkcs1` crates: they cost the native
// library tens of kilobytes for two fixed layouts.
fn spki_der(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")?
        .strip_suffix("-----END PUBLIC KEY-----")?;
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    use base64ct::Encoding as _;
    base64ct::Base64::decode_vec(&base64).ok()
}

/// One DER element (definite, minimal length): its tag, its contents and
/// what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if !(1..=2).contains(&n) || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 || (n == 2 && len < 0x100) {
            return None;
        }
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// A SubjectPublicKeyInfo's algorithm identifier (its contents) and the
/// key (the bit string's bytes).
fn spki_parts(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, body, []) = der_element(der)? else {
        return None;
    };
    let (0x30, algorithm, rest) = der_element(body)? else {
        return None;
    };
    let (0x03, bits, []) = der_element(rest)? else {
        return None;
    };
    let (0, key) = bits.split_first()? else {
        return None;
    };
    Some((algorithm, key))
}

/// id-ecPublicKey with the named curve prime256v1.
const SPKI_EC_P256: &[u8] = &[
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x03, 0x01, 0x07,
];
/// rsaEncryption, NULL parameters.
const SPKI_RSA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// id-RSASSA-PSS, no parameters.
const SPKI_RSA_PSS: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
];

/// A P-256 public key from its SubjectPublicKeyInfo (the point
/// uncompressed, as python-tuf and OpenSSL write it, or compressed).
fn p256_from_spki(der: &[u8]) -> Option<p256::ecdsa::VerifyingKey> {
    let (SPKI_EC_P256, point) = spki_parts(der)? else {
        return None;
    };
    p256::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()
}

/// An RSA public key from its SubjectPublicKeyInfo (PKCS#1 RSAPublicKey
/// inside).
fn rsa_from_spki(der: &[u8]) -> Option<rsa::PublicKey> {
    let (algorithm, key) = spki_parts(der)?;
    if algorithm != SPKI_RSA && algorithm != SPKI_RSA_PSS {
        return None;
    }
    let (0x30, body, []) = der_element(key)? else {
        return None;
    };
    let (0x02, n, rest) = der_element(body)? else {
        return None;
    };
    let (0x02, e, []) = der_element(rest)? else {
        return None;
    };
    let uint = |int: &[u8]| {
        let digits = der_positive(int)?;
        let bits = u32::try_from(digits.len()).ok()?.checked_mul(8)?;
        rsa::BoxedUint::from_be_slice(digits, bits).ok()
    };
    rsa::PublicKey::new(uint(n)?, uint(e)?).ok()
}

/// The big-endian digits of a positive DER INTEGER's contents, minimal: a
/// leading 0 only before a high bit.
fn der_positive(int: &[u8]) -> Option<&[u8]> {
    match int {
        [0, next, ..] if *next >= 0x80 => Some(&int[1..]),
        [first, ..] if *first != 0 && *first < 0x80 => Some(int),
        _ => None,
    }
}

/// An ECDSA P-256 signature from its DER (`SEQUENCE { r INTEGER, s INTEGER }`),
/// r and s in 1..n.
fn ecdsa_from_der(der: &[u8]) -> Option<p256::ecdsa::Signature> {
    let (0x30, body, []) = der_element(der)? else {
        return None;
    };
    let (0x02, r, rest) = der_element(body)? else {
        return None;
    };
    let (0x02, s, []) = der_element(rest)? else {
        return None;
    };
    let scalar = |int: &[u8]| {
        let digits = der_positive(int)?;
        let mut bytes = [0u8; 32];
        bytes
            .get_mut(32usize.checked_sub(digits.len())?..)?
            .copy_from_slice(digits);
        Some(p256::FieldBytes::from(bytes))
    };
    p256::ecdsa::Signature::from_scalars(scalar(r)?, scalar(s)?).ok()
}

impl Key {
    /// The TUF key of an ed25519 public key.
    pub fn ed25519(public: &VerifyingKey) -> Self {
        Key {
            keytype: "ed25519".into(),
            scheme: "ed25519".into(),
            keyval: KeyVal {
                public: hex::encode(public.to_bytes()),
            },
        }
    }

    /// Its key id: SHA-256 of its canonical JSON, hex (as securesystemslib
    /// computes it).
    pub fn id(&self) -> Result<String> {
        Ok(hex::encode(Sha256::digest(canonical_json(self)?)))
    }

    /// The TUF key of a P-256 public key given as PEM
    /// SubjectPublicKeyInfo (not checked here).
    pub fn ecdsa_p256(public_pem: &str) -> Self {
        Key {
            keytype: "ecdsa".into(),
            scheme: "ecdsa-sha2-nistp256".into(),
            keyval: KeyVal {
                public: public_pem.into(),
            },
        }
    }

    /// The TUF key of an RSA public key given as PEM SubjectPublicKeyInfo
    /// (not checked here), for RSASSA-PSS with SHA-256.
    pub fn rsa_pss_sha256(public_pem: &str) -> Self {
        Key {
            keytype: "rsa".into(),
            scheme: "rsassa-pss-sha256".into(),
            keyval: KeyVal {
                public: public_pem.into(),
            },
        }
    }

    /// Whether Waymark can verify signatures by this key (a supported type
    /// and scheme, and well-formed key material).
    pub fn is_supported(&self) -> bool {
        self.verifier().is_some()
    }

    /// Whether `signature` (raw bytes, as hex-decoded from a signature
    /// entry) is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verifier()
            .is_some_and(|v| v.verify(message, signature))
    }

    fn verifier(&self) -> Option<Verifier> {
        match (self.keytype.as_str(), self.scheme.as_str()) {
            ("ed25519", "ed25519") => {
                let bytes: [u8; 32] = hex::decode(&self.keyval.public).ok()?.try_into().ok()?;
                VerifyingKey::from_bytes(&bytes).ok().map(Verifier::Ed25519)
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                p256_from_spki(&spki_der(&self.keyval.public)?).map(Verifier::EcdsaP256)
            }
            ("rsa", "rsassa-pss-sha256") => {
                use rsa::traits::PublicKeyParts as _;
                let key = rsa_from_spki(&spki_der(&self.keyval.public)?)?;
                (key.n().bit_width() >= MIN_RSA_BITS).then(|| Verifier::RsaPss(Box::new(key)))
            }
            _ => None,
        }
    }
}

/// The keys and threshold of a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleKeys {
    /// Ids of the keys that may sign for the role.
    pub keyids: Vec<String>,
    /// How many distinct keys must sign.
    pub threshold: u32,
}

/// Root metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Root {
    /// `root`.
    #[serde(rename = "_type")]
    pub kind: String,
    /// Specification version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: DateTime<Utc>,
    /// Consistent snapshots (file names prefixed with versions and hashes).
    #[serde(default)]
    pub consistent_snapshot: bool,
    /// Every key, by id.
    pub keys: BTreeMap<String, Key>,
    /// `root`, `targets`, `snapshot`, `timestamp`.
    pub roles: BTreeMap<String, RoleKeys>,
}

/// A metadata file as listed by timestamp and snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaFile {
    /// Its version.
    pub version: u64,
    /// Its length, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Its hashes, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
}

/// Timestamp or snapshot metadata (both list metadata files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaList {
    /// `timestamp` or `snapshot`.
    #[serde(rename = "_type")]
    pub kind: String,
    /// Specification version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: DateTime<Utc>,
    /// The files listed.
    pub meta: BTreeMap<String, MetaFile>,
}

/// A target file as listed by targets metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetFile {
    /// Length in bytes.
    pub length: u64,
    /// Hashes, hex, by algorithm (`sha256`, `sha512`).
    pub hashes: BTreeMap<String, String>,
    /// Publisher-defined data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
}

/// Targets metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    /// `targets`.
    #[serde(rename = "_type")]
    pub kind: String,
    /// Specification version.
    pub spec_version: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: DateTime<Utc>,
    /// Target files by path.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetFile>,
    /// Delegations to other targets roles (followed by the sync client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Delegations>,
}

/// The roles a targets role delegates to, and their keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delegations {
    /// Keys of the delegated roles, by id.
    pub keys: BTreeMap<String, Key>,
    /// Delegated roles in priority order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<DelegatedRole>>,
    /// Hash-bin delegation (TAP 15), instead of `roles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub succinct_roles: Option<SuccinctRoles>,
}

/// One delegated role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedRole {
    /// The role's name (its metadata file is `NAME.json`, URL-escaped).
    pub name: String,
    /// Keys that may sign for it.
    pub keyids: Vec<String>,
    /// How many must sign.
    pub threshold: u32,
    /// When true, a target path it matches is never looked up further.
    #[serde(default)]
    pub terminating: bool,
    /// Target path patterns (shell-style per path segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Prefixes of the hex SHA-256 of target paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hash_prefixes: Option<Vec<String>>,
}

/// Hash-bin delegation: `2^bit_length` roles named
/// `NAME_PREFIX-<bin in hex>`, each for the target paths whose SHA-256
/// starts with its bin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccinctRoles {
    /// Keys that may sign for every bin.
    pub keyids: Vec<String>,
    /// How many must sign.
    pub threshold: u32,
    /// Number of leading hash bits that choose a bin (1–32).
    pub bit_length: u32,
    /// The bins' name prefix.
    pub name_prefix: String,
}

impl DelegatedRole {
    /// Whether this role is trusted for `target` (path patterns or hash
    /// prefixes; a role with neither is trusted for nothing).
    pub fn matches(&self, target: &str) -> bool {
        if let Some(patterns) = &self.paths {
            return patterns.iter().any(|p| path_matches(p, target));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            let hash = hex::encode(Sha256::digest(target.as_bytes()));
            return prefixes.iter().any(|p| hash.starts_with(p.as_str()));
        }
        false
    }
}

impl SuccinctRoles {
    /// The bin role responsible for `target`.
    pub fn role_for(&self, target: &str) -> Option<String> {
        if !(1..=32).contains(&self.bit_length) {
            return None;
        }
        let hash = Sha256::digest(target.as_bytes());
        let first = u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]);
        let bin = first >> (32 - self.bit_length);
        let width = self.bit_length.div_ceil(4) as usize;
        Some(format!("{}-{bin:0width$x}", self.name_prefix))
    }

    /// Whether `role` is one of the bins.
    pub fn is_bin(&self, role: &str) -> bool {
        let Some(suffix) = role
            .strip_prefix(self.name_prefix.as_str())
            .and_then(|r| r.strip_prefix('-'))
        else {
            return false;
        };
        let width = self.bit_length.div_ceil(4) as usize;
        suffix.len() == width
            && u64::from_str_radix(suffix, 16).is_ok_and(|b| b < (1u64 << self.bit_length))
    }
}

/// TUF's path pattern match: the pattern and the path have the same number
/// of `/`-separated segments and each segment matches its shell-style
/// pattern (`*`, `?`, `[...]`), so `*` never crosses a `/`.
pub fn path_matches(pattern: &str, target: &str) -> bool {
    let pattern_parts: Vec<&str> = pattern.split('/').collect();
    let target_parts: Vec<&str> = target.split('/').collect();
    pattern_parts.len() == target_parts.len()
        && pattern_parts.iter().zip(&target_parts).all(|(p, t)| {
            glob::Pattern::new(p).is_ok_and(|pat| {
                pat.matches_with(
                    t,
                    glob::MatchOptions {
                        case_sensitive: true,
                        require_literal_separator: true,
                        require_literal_leading_dot: false,
                    },
                )
            })
        })
}

/// One signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureEntry {
    /// Which key.
    pub keyid: String,
    /// The signature, hex.
    pub sig: String,
}

/// A metadata file: `signed` as received, and its signatures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The signatures over the canonical JSON of `signed`.
    pub signatures: Vec<SignatureEntry>,
    /// The signed object, exactly as received.
    pub signed: Value,
}

impl Envelope {
    /// Parses a metadata file (bounded in size).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() as u64 > MAX_METADATA_BYTES {
            return Err(Untrusted::TooLarge(Oversized::MetadataFile).into());
        }
        serde_json::from_slice(bytes).map_err(|e| {
            Untrusted::Malformed {
                kind: None,
                detail: e.to_string(),
            }
            .into()
        })
    }

    /// Signs `signed` with `keys`.
    pub fn sign(signed: &impl Serialize, keys: &[&SigningKey]) -> Result<Self> {
        let signed = serde_json::to_value(signed)?;
        let bytes = canonical_json(&signed)?;
        let signatures = keys
            .iter()
            .map(|k| {
                Ok(SignatureEntry {
                    keyid: Key::ed25519(&k.verifying_key()).id()?,
                    sig: hex::encode(k.sign(&bytes).to_bytes()),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Envelope { signatures, signed })
    }

    /// The metadata file's bytes (pretty JSON, as repositories serve it).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec_pretty(self)?)
    }

    /// The `_type` of the signed object.
    pub fn kind(&self) -> Option<&str> {
        self.signed.get("_type").and_then(Value::as_str)
    }

    /// Reads `signed` as `T`, checking its `_type`.
    pub fn read<T: DeserializeOwned>(&self, kind: &str) -> Result<T> {
        if self.kind() != Some(kind) {
            return Err(Untrusted::WrongType {
                expected: kind.into(),
            }
            .into());
        }
        serde_json::from_value(self.signed.clone()).map_err(|e| {
            Untrusted::Malformed {
                kind: Some(kind.into()),
                detail: e.to_string(),
            }
            .into()
        })
    }

    /// Checks that at least the role's threshold of distinct keys listed for
    /// `role` in `root` signed this.
    pub fn verify(&self, root: &Root, role: &str) -> Result<()> {
        let role_keys = root
            .roles
            .get(role)
            .ok_or_else(|| Untrusted::MissingRole { role: role.into() })?;
        self.verify_with(&root.keys, role_keys, role)
    }

    /// Checks that at least `role_keys.threshold` distinct keys of
    /// `role_keys`, looked up in `keys`, signed this (`role` names it in
    /// errors). Used for delegated roles, whose keys their delegator lists.
    pub fn verify_with(
        &self,
        keys: &BTreeMap<String, Key>,
        role_keys: &RoleKeys,
        role: &str,
    ) -> Result<()> {
        if role_keys.threshold == 0 {
            return Err(Untrusted::ZeroThreshold { role: role.into() }.into());
        }
        // One signature per key id, as python-tuf reads metadata: a second
        // one is never counted, and is refused whatever the threshold.
        let mut keyids = BTreeSet::new();
        for sig in &self.signatures {
            if !keyids.insert(sig.keyid.as_str()) {
                return Err(Untrusted::DuplicateSignature {
                    role: role.into(),
                    keyid: sig.keyid.clone(),
                }
                .into());
            }
        }
        let message = canonical_json(&self.signed)?;
        let mut good: BTreeSet<Vec<u8>> = BTreeSet::new();
        for sig in &self.signatures {
            if !role_keys.keyids.contains(&sig.keyid) {
                continue;
            }
            let Some(key) = keys.get(&sig.keyid).and_then(Key::verifier) else {
                continue;
            };
            let Ok(signature) = hex::decode(&sig.sig) else {
                continue;
            };
            if key.verify(&message, &signature) {
                good.insert(key.identity());
            }
        }
        if good.len() < role_keys.threshold as usize {
            return Err(Untrusted::Signatures {
                role: role.into(),
                valid: good.len(),
                threshold: role_keys.threshold,
            }
            .into());
        }
        Ok(())
    }
}

/// Versions a client has seen for one repository, kept to refuse rollbacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenVersions {
    /// Last timestamp version.
    pub timestamp: u64,
    /// Last snapshot version.
    pub snapshot: u64,
    /// Last targets version.
    pub targets: u64,
}

/// A repository's metadata as carried by a bundle or fetched by sync.
#[derive(Debug, Clone)]
pub struct MetadataSet {
    /// Root versions, in order (may be empty; versions already trusted are
    /// skipped).
    pub roots: Vec<Vec<u8>>,
    /// timestamp.json.
    pub timestamp: Vec<u8>,
    /// The snapshot it names.
    pub snapshot: Vec<u8>,
    /// The targets the snapshot names.
    pub targets: Vec<u8>,
}

/// A short fingerprint of a root's root keys, for a person to compare with
/// what the publisher shows: SHA-256 over the sorted root key ids and the
/// threshold, as 8 groups of 4 hex digits.
pub fn fingerprint(root: &Root) -> String {
    let mut h = Sha256::new();
    if let Some(role) = root.roles.get("root") {
        let mut ids: Vec<&String> = role.keyids.iter().collect();
        crate::sort::sort_by(&mut ids, |a, b| a.cmp(b));
        for id in ids {
            if let Some(k) = root.keys.get(id) {
                // Hex is case-blind; PEM's base64 is not.
                if k.keytype == "ed25519" {
                    h.update(k.keyval.public.to_ascii_lowercase().as_bytes());
                } else {
                    h.update(k.keyval.public.as_bytes());
                }
                h.update(b"\n");
            }
        }
        h.update(role.threshold.to_be_bytes());
    }
    let hexed = hex::encode_upper(&h.finalize()[..16]);
    hexed
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Signer as _;
    use p256::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _, LineEnding};
    use rsa::signature::RandomizedSigner as _;
    use serde_json::json;

    use super::*;
    use crate::error::Error;

    fn signed() -> Value {
        json!({"_type": "timestamp", "version": 1, "note": "signed bytes"})
    }

    fn message() -> Vec<u8> {
        canonical_json(&signed()).unwrap()
    }

    /// A role of `keys` with `threshold`, and the key map.
    fn role(keys: &[&Key], threshold: u32) -> (BTreeMap<String, Key>, RoleKeys) {
        let map: BTreeMap<String, Key> = keys
            .iter()
            .map(|k| (k.id().unwrap(), (*k).clone()))
            .collect();
        let role = RoleKeys {
            keyids: keys.iter().map(|k| k.id().unwrap()).collect(),
            threshold,
        };
        (map, role)
    }

    fn envelope(signatures: &[(&Key, Vec<u8>)]) -> Envelope {
        Envelope {
            signatures: signatures
                .iter()
                .map(|(k, sig)| SignatureEntry {
                    keyid: k.id().unwrap(),
                    sig: hex::encode(sig),
                })
                .collect(),
            signed: signed(),
        }
    }

    fn check(env: &Envelope, keys: &[&Key], threshold: u32) -> Result<()> {
        let (map, role) = role(keys, threshold);
        env.verify_with(&map, &role, "timestamp")
    }

    fn valid_count(result: Result<()>) -> Option<usize> {
        match result {
            Ok(()) => None,
            Err(Error::Untrusted(Untrusted::Signatures { valid, .. })) => Some(valid),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    fn ed25519(seed: u8) -> (SigningKey, Key) {
        let signer = SigningKey::from_bytes(&[seed; 32]);
        let key = Key::ed25519(&signer.verifying_key());
        (signer, key)
    }

    fn p256_key(seed: u8) -> (p256::ecdsa::SigningKey, Key) {
        let signer = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        let pem = signer
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        (signer, Key::ecdsa_p256(&pem))
    }

    fn p256_sign(signer: &p256::ecdsa::SigningKey, message: &[u8]) -> p256::ecdsa::Signature {
        signer.sign(message)
    }

    fn rsa_key(file: &str) -> (rsa::PrivateKey, Key) {
        let pem = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/tuf-keys")
                .join(file),
        )
        .unwrap();
        let private = rsa::PrivateKey::from_pkcs8_pem(&pem).unwrap();
        (private, Key::rsa_pss_sha256(&rsa_public_pem(file)))
    }

    fn rsa_sign(private: &rsa::PrivateKey, salt_len: usize, message: &[u8]) -> Vec<u8> {
        let signer = rsa::pss::SigningKey::<Sha256>::new_with_salt_len(private.clone(), salt_len);
        let sig = signer
            .try_sign_with_rng(&mut getrandom::SysRng, message)
            .unwrap();
        rsa::signature::SignatureEncoding::to_vec(&sig)
    }

    use std::path::Path;

    #[test]
    fn a_second_signature_by_the_same_key_id_is_refused_whatever_the_threshold() {
        let (signer, key) = ed25519(1);
        let (_, other) = ed25519(2);
        let sig = signer.sign(&message()).to_bytes().to_vec();
        assert!(check(&envelope(&[(&key, sig.clone())]), &[&key], 1).is_ok());

        let twice = envelope(&[(&key, sig.clone()), (&key, sig.clone())]);
        for threshold in [1, 2] {
            let err = check(&twice, &[&key, &other], threshold).unwrap_err();
            assert!(
                matches!(
                    &err,
                    Error::Untrusted(Untrusted::DuplicateSignature { role, keyid })
                        if role == "timestamp" && *keyid == key.id().unwrap()
                ),
                "threshold {threshold}: {err}"
            );
        }
        assert_eq!(
            check(&twice, &[&key], 1).unwrap_err().to_string(),
            format!(
                "not trusted: timestamp metadata carries more than one signature by key {}",
                key.id().unwrap()
            )
        );
        // A key the role does not list, twice, and a bad second signature:
        // refused all the same.
        let (outsider_signer, outsider) = ed25519(3);
        let osig = outsider_signer.sign(&message()).to_bytes().to_vec();
        let env = envelope(&[
            (&key, sig.clone()),
            (&outsider, osig.clone()),
            (&outsider, osig),
        ]);
        assert!(matches!(
            check(&env, &[&key], 1),
            Err(Error::Untrusted(Untrusted::DuplicateSignature { .. }))
        ));
        let env = envelope(&[(&key, sig), (&key, vec![0; 64])]);
        assert!(matches!(
            check(&env, &[&key], 1),
            Err(Error::Untrusted(Untrusted::DuplicateSignature { .. }))
        ));
    }

    #[test]
    fn ecdsa_p256_keys_verify_der_signatures_as_python_tuf_does() {
        let (signer, key) = p256_key(7);
        assert_eq!(key.keytype, "ecdsa");
        assert_eq!(key.scheme, "ecdsa-sha2-nistp256");
        assert!(
            key.keyval
                .public
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
        assert!(key.is_supported());
        let sig = p256_sign(&signer, &message());
        let der = sig.to_der().as_bytes().to_vec();
        assert!(check(&envelope(&[(&key, der.clone())]), &[&key], 1).is_ok());

        // The legacy key type names the scheme.
        let legacy = Key {
            keytype: "ecdsa-sha2-nistp256".into(),
            ..key.clone()
        };
        assert!(check(&envelope(&[(&legacy, der.clone())]), &[&legacy], 1).is_ok());

        // Low and high S both verify (OpenSSL accepts either).
        let low = sig.normalize_s();
        let high = p256::ecdsa::Signature::from_scalars(*low.r(), -*low.s()).unwrap();
        for s in [low, high] {
            let env = envelope(&[(&key, s.to_der().as_bytes().to_vec())]);
            assert!(check(&env, &[&key], 1).is_ok());
        }

        // Another message, the fixed-size r||s encoding, another key's
        // signature, a P-256 key under another scheme: not valid.
        let mut other = envelope(&[(&key, der.clone())]);
        other.signed["version"] = json!(2);
        assert_eq!(valid_count(check(&other, &[&key], 1)), Some(0));
        let fixed = sig.to_bytes().to_vec();
        assert_eq!(
            valid_count(check(&envelope(&[(&key, fixed)]), &[&key], 1)),
            Some(0)
        );
        let (second, _) = p256_key(8);
        let wrong = p256_sign(&second, &message()).to_der().as_bytes().to_vec();
        assert_eq!(
            valid_count(check(&envelope(&[(&key, wrong)]), &[&key], 1)),
            Some(0)
        );
        let p384 = Key {
            scheme: "ecdsa-sha2-nistp384".into(),
            ..key.clone()
        };
        assert!(!p384.is_supported());
        assert_eq!(
            valid_count(check(&envelope(&[(&p384, der)]), &[&p384], 1)),
            Some(0)
        );
    }

    #[test]
    fn rsa_pss_keys_verify_with_securesystemslib_s_salt_length_and_any_other() {
        let (private, key) = rsa_key("rsa-2048.pem");
        assert!(key.is_supported());
        // securesystemslib signs with a 32-byte salt (the digest's length)
        // and verifies any (PSS.AUTO); OpenSSL's command line signs with
        // the largest, 256 - 32 - 2 for a 2048-bit key.
        for salt in [32, 0, 20, 222] {
            let sig = rsa_sign(&private, salt, &message());
            let env = envelope(&[(&key, sig)]);
            assert!(check(&env, &[&key], 1).is_ok(), "salt length {salt}");
        }
        let sig = rsa_sign(&private, 32, &message());
        let mut other = envelope(&[(&key, sig.clone())]);
        other.signed["version"] = json!(2);
        assert_eq!(valid_count(check(&other, &[&key], 1)), Some(0));
        let mut flipped = sig.clone();
        flipped[100] ^= 1;
        assert_eq!(
            valid_count(check(&envelope(&[(&key, flipped)]), &[&key], 1)),
            Some(0)
        );
        // PSS with SHA-256 only: the same key under PKCS#1 v1.5 or SHA-512
        // is not used.
        for scheme in ["rsa-pkcs1v15-sha256", "rsassa-pss-sha512"] {
            let other = Key {
                scheme: scheme.into(),
                ..key.clone()
            };
            assert!(!other.is_supported(), "{scheme}");
        }
    }

    #[test]
    fn rsa_keys_under_2048_bits_are_not_trusted() {
        let (private, key) = rsa_key("rsa-1024.pem");
        assert!(!key.is_supported());
        let sig = rsa_sign(&private, 32, &message());
        assert_eq!(
            valid_count(check(&envelope(&[(&key, sig)]), &[&key], 1)),
            Some(0)
        );
    }

    #[test]
    fn one_key_listed_under_two_ids_counts_once() {
        let (signer, key) = p256_key(9);
        // The same public key, its PEM with CRLF line ends: another key id.
        let crlf = Key::ecdsa_p256(&key.keyval.public.replace('\n', "\r\n"));
        assert_ne!(key.id().unwrap(), crlf.id().unwrap());
        let (signer2, key2) = p256_key(10);
        let sig = p256_sign(&signer, &message()).to_der().as_bytes().to_vec();
        let sig2 = p256_sign(&signer2, &message()).to_der().as_bytes().to_vec();
        let same = envelope(&[(&key, sig.clone()), (&crlf, sig.clone())]);
        assert_eq!(valid_count(check(&same, &[&key, &crlf], 2)), Some(1));
        let distinct = envelope(&[(&key, sig), (&key2, sig2)]);
        assert!(check(&distinct, &[&key, &key2], 2).is_ok());
    }

    #[test]
    fn pem_keys_are_malformed_unless_whole() {
        let (_, key) = p256_key(11);
        let pem = &key.keyval.public;
        for broken in [
            pem.replace("PUBLIC KEY", "PRIVATE KEY"),
            pem.replace("-----END PUBLIC KEY-----", ""),
            pem.replacen('M', "*", 1),
            pem[..pem.len() / 2].to_string(),
            hex::encode(spki_der(pem).unwrap()),
        ] {
            assert!(!Key::ecdsa_p256(&broken).is_supported(), "{broken}");
        }
        // An RSA key under the ECDSA scheme, and the other way round.
        let rsa_pem = rsa_public_pem("rsa-2048.pem");
        assert!(!Key::ecdsa_p256(&rsa_pem).is_supported());
        assert!(!Key::rsa_pss_sha256(pem).is_supported());
        assert!(Key::rsa_pss_sha256(&rsa_pem).is_supported());
    }

    fn rsa_public_pem(file: &str) -> String {
        let pem = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/tuf-keys")
                .join(file),
        )
        .unwrap();
        rsa::PublicKey::from(&rsa::PrivateKey::from_pkcs8_pem(&pem).unwrap())
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }

    #[test]
    fn the_fingerprint_tells_pem_keys_apart_by_case() {
        let (_, key) = p256_key(12);
        let mut changed = key.clone();
        let at = changed
            .keyval
            .public
            .find(|c: char| c.is_ascii_lowercase())
            .unwrap();
        changed.keyval.public.replace_range(
            at..=at,
            &changed.keyval.public[at..=at].to_ascii_uppercase(),
        );
        let root = |k: &Key| Root {
            kind: "root".into(),
            spec_version: SPEC_VERSION.into(),
            version: 1,
            expires: Utc::now(),
            consistent_snapshot: true,
            keys: [(k.id().unwrap(), k.clone())].into(),
            roles: [(
                "root".to_string(),
                RoleKeys {
                    keyids: vec![k.id().unwrap()],
                    threshold: 1,
                },
            )]
            .into(),
        };
        assert_ne!(fingerprint(&root(&key)), fingerprint(&root(&changed)));
        // ed25519's hex stays case-blind.
        let (_, ed) = ed25519(4);
        let upper = Key {
            keyval: KeyVal {
                public: ed.keyval.public.to_ascii_uppercase(),
            },
            ..ed.clone()
        };
        let mut r = root(&ed);
        let before = fingerprint(&r);
        r.keys.insert(ed.id().unwrap(), upper);
        assert_eq!(fingerprint(&r), before);
    }
}
