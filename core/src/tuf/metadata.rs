//! The Update Framework (TUF, specification 1.0): metadata, canonical JSON,
//! ed25519 signatures, and the client's verification of a repository's
//! metadata chain (section 5 of the specification).
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
    /// `ed25519`.
    pub keytype: String,
    /// `ed25519`.
    pub scheme: String,
    /// The key material.
    pub keyval: KeyVal,
}

/// The public part of a key, hex-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVal {
    /// 32 bytes, hex.
    pub public: String,
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

    fn verifying_key(&self) -> Option<VerifyingKey> {
        if self.keytype != "ed25519" || self.scheme != "ed25519" {
            return None;
        }
        let bytes: [u8; 32] = hex::decode(&self.keyval.public).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
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
        let message = canonical_json(&self.signed)?;
        let mut good: BTreeSet<[u8; 32]> = BTreeSet::new();
        for sig in &self.signatures {
            if !role_keys.keyids.contains(&sig.keyid) {
                continue;
            }
            let Some(key) = keys.get(&sig.keyid).and_then(Key::verifying_key) else {
                continue;
            };
            let Some(signature) = hex::decode(&sig.sig)
                .ok()
                .and_then(|b| Signature::from_slice(&b).ok())
            else {
                continue;
            };
            if key.verify_strict(&message, &signature).is_ok() {
                good.insert(key.to_bytes());
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
        ids.sort();
        for id in ids {
            if let Some(k) = root.keys.get(id) {
                h.update(k.keyval.public.to_ascii_lowercase().as_bytes());
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
