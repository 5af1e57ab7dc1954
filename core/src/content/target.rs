//! What a publisher signs about its packs beyond TUF's length and hashes:
//! the `custom` metadata of pack and patch targets, and the digest of a
//! pack's content (its decompressed JSON Lines) that a patch, or a phone
//! sharing the pack, must rebuild exactly.
//!
//! The publisher (`waymark-pack publish`) describes its targets with a
//! `custom` object, see [`PackTargetCustom`] and [`PatchTargetCustom`]:
//!
//! ```text
//! "packs/p.wmpack":        {"waymark": {"pack": "p", "version": 5, "publisher": "ngo",
//!                                       "content": {"length": L, "sha256": "…"},
//!                                       "patches": {"4": "patches/p/4-5.wmpatch"}}}
//! "patches/p/4-5.wmpatch": {"waymark": {"patch": "p", "from": 4, "to": 5}}
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::model::PackManifest;
use crate::error::{ContentOrigin, Error, Result, Untrusted};
use crate::tuf::{HashingWriter, TargetFile};

/// Size of the buffer content is written through.
const BUFFER: usize = 64 * 1024;

/// The length and SHA-256 of a pack's content (its decompressed JSON
/// Lines), as signed in the pack target's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentDigest {
    /// Length in bytes.
    pub length: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

impl ContentDigest {
    /// The digest of `content`.
    pub fn of(content: &[u8]) -> Self {
        ContentDigest {
            length: content.len() as u64,
            sha256: hex::encode(Sha256::digest(content)),
        }
    }

    /// The same length and hash.
    pub fn matches(&self, other: &ContentDigest) -> bool {
        self.length == other.length && self.sha256.eq_ignore_ascii_case(&other.sha256)
    }

    /// As the `packs` table keeps it: the length, a space, the hash.
    pub(crate) fn stored(&self) -> String {
        format!("{} {}", self.length, self.sha256.to_ascii_lowercase())
    }
}

impl PackTargetCustom {
    /// The content digest `target` signs: what a patch or a shared copy of
    /// the pack must rebuild.
    pub fn signed_content(target: &TargetFile) -> Result<ContentDigest> {
        Self::of(target).and_then(|c| c.content).ok_or_else(|| {
            Untrusted::NoContentDigest {
                of: ContentOrigin::Shared,
            }
            .into()
        })
    }
}

/// Writes a pack's content into `file` with `fill`, checking it against
/// the `expected` signed digest as it passes: never more than the signed
/// length is written. `what` says which content it is, for errors. The
/// file is returned rewound, ready to install.
pub(crate) fn checked_content(
    file: File,
    expected: &ContentDigest,
    what: ContentOrigin,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<File> {
    let mut out =
        HashingWriter::sha256_limited(BufWriter::with_capacity(BUFFER, file), expected.length);
    let filled = fill(&mut out);
    if out.overflowed() {
        return Err(Untrusted::ContentTooLong { of: what }.into());
    }
    filled?;
    let (file, digests) = out.finish();
    let actual = ContentDigest {
        length: digests.length,
        sha256: digests.sha256,
    };
    if !actual.matches(expected) {
        return Err(Untrusted::ContentMismatch { of: what }.into());
    }
    let mut file = file.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

/// What a pack target's `custom.waymark` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackTargetCustom {
    /// The pack's id.
    pub pack: String,
    /// Its version.
    pub version: u64,
    /// The publisher's id.
    pub publisher: String,
    /// The decompressed content: what a patch must rebuild. Absent from
    /// targets published before delta updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentDigest>,
    /// The patches to this version, by the version they start from, each
    /// the target path of the patch. A patch can be larger than the pack
    /// (a version mostly rewritten): both lengths are signed, so a client
    /// takes the smaller download.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub patches: BTreeMap<u64, String>,
}

/// What a patch target's `custom.waymark` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchTargetCustom {
    /// The pack's id.
    pub patch: String,
    /// The version it applies to.
    pub from: u64,
    /// The version it rebuilds.
    pub to: u64,
}

/// `custom.waymark` of `target`, if it parses as `T`.
fn waymark_custom<T: serde::de::DeserializeOwned>(target: &TargetFile) -> Option<T> {
    serde_json::from_value(target.custom.as_ref()?.get("waymark")?.clone()).ok()
}

impl PackTargetCustom {
    /// The pack description in `target`'s custom metadata, if it has one.
    pub fn of(target: &TargetFile) -> Option<Self> {
        waymark_custom(target)
    }

    /// The `custom` value describing this pack target.
    pub fn to_custom(&self) -> Value {
        serde_json::json!({ "waymark": self })
    }
}

impl PatchTargetCustom {
    /// The patch description in `target`'s custom metadata, if it has one.
    pub fn of(target: &TargetFile) -> Option<Self> {
        waymark_custom(target)
    }

    /// The `custom` value describing this patch target.
    pub fn to_custom(&self) -> Value {
        serde_json::json!({ "waymark": self })
    }
}

/// What a pack's signed target metadata says the pack is: its id (the
/// target path is `packs/<id>.wmpack`, and `custom.waymark.pack` repeats
/// it when present), its version and publisher (`custom.waymark`, when
/// present). A phone installs a pack only when its manifest says the same,
/// so no signer (a delegated role, say) can install one pack in another's
/// name or version, and no bundle can name one target for another pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPack {
    /// The target path.
    pub target: String,
    /// The pack id the path names.
    pub id: String,
    /// The version the custom metadata states, if it has any (repositories
    /// written by other tools may not).
    pub version: Option<u64>,
    /// The publisher the custom metadata states, if any.
    pub publisher: Option<String>,
    /// The digest of the pack's content the custom metadata states, if
    /// any: kept with the installed pack, it tells which version a patch
    /// starts from.
    pub content: Option<ContentDigest>,
}

impl SignedPack {
    /// What `target`, signed at `path`, says of its pack.
    pub fn of(path: &str, target: &TargetFile) -> Result<Self> {
        let id = path
            .strip_prefix("packs/")
            .and_then(|p| p.strip_suffix(".wmpack"))
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .ok_or_else(|| Untrusted::NotAPackTarget {
                target: path.to_owned(),
            })?;
        let custom = PackTargetCustom::of(target);
        if let Some(c) = &custom
            && c.pack != id
        {
            return Err(Untrusted::WrongPack {
                target: path.to_owned(),
            }
            .into());
        }
        Ok(SignedPack {
            target: path.to_owned(),
            id: id.to_owned(),
            version: custom.as_ref().map(|c| c.version),
            content: custom.as_ref().and_then(|c| c.content.clone()),
            publisher: custom.map(|c| c.publisher),
        })
    }

    /// Checks that `manifest` is the pack this target signs.
    pub fn check(&self, manifest: &PackManifest) -> Result<()> {
        let differs = |what, signed: String, found: String| -> Error {
            Untrusted::NotThePackSigned {
                target: self.target.clone(),
                what,
                signed,
                found,
            }
            .into()
        };
        if manifest.id != self.id {
            return Err(differs("pack id", self.id.clone(), manifest.id.clone()));
        }
        if let Some(v) = self.version
            && v != manifest.version
        {
            return Err(differs(
                "version",
                v.to_string(),
                manifest.version.to_string(),
            ));
        }
        if let Some(p) = &self.publisher
            && *p != manifest.publisher.id
        {
            return Err(differs(
                "publisher",
                p.clone(),
                manifest.publisher.id.clone(),
            ));
        }
        Ok(())
    }
}
