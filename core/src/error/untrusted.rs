//! Why signed metadata, or a file it describes, was refused: the typed
//! reason of [`Error::Untrusted`](super::Error::Untrusted).
//!
//! Callers match on the variants (what happened), never on the text; the
//! text is for people and reads as it always has. Fields name TUF roles
//! (`root`, `timestamp`, `snapshot`, `targets`, a delegated role), files
//! and targets of a publisher's repository (`snapshot.json`,
//! `packs/p.wmpack`), versions and byte counts: public facts about a
//! publisher's repository, never personal data.

/// Why signed metadata or a signed file was not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Untrusted {
    // ---- Reading metadata
    /// A file is larger than allowed for it (endless-data attack, or a
    /// bundle or server offering more than it may).
    #[error("{0}")]
    TooLarge(Oversized),

    /// A metadata file is not TUF metadata Waymark can read; `detail` is the
    /// parser's description.
    #[error("malformed {}metadata: {detail}", kind_prefix(.kind.as_deref()))]
    Malformed {
        /// The metadata type expected (`root`, `targets`…), when the file
        /// parsed as metadata but not as that type.
        kind: Option<String>,
        /// What the parser found wrong.
        detail: String,
    },

    /// The signed object is metadata of another type.
    #[error("expected {expected} metadata")]
    WrongType {
        /// The type expected (`root`, `timestamp`…).
        expected: String,
    },

    // ---- Keys and signatures
    /// The root names no keys for a role it must define.
    #[error("root defines no {role} role")]
    MissingRole {
        /// The role.
        role: String,
    },

    /// A role's threshold is 0: any file, signed or not, would pass.
    #[error("the {role} role has a threshold of 0")]
    ZeroThreshold {
        /// The role.
        role: String,
    },

    /// Fewer distinct keys of the role signed than its threshold: bad,
    /// missing or revoked signatures.
    #[error("{role} metadata has {valid} valid signatures of the {threshold} required")]
    Signatures {
        /// The role whose metadata it is.
        role: String,
        /// Distinct keys of the role whose signatures verified.
        valid: usize,
        /// How many are required.
        threshold: u32,
    },

    /// The store holds no root to start from.
    #[error("no trusted root: initialise first")]
    NoTrustedRoot,

    /// A targets role was asked for the keys of a role it delegates to,
    /// and delegates nothing.
    #[error("{parent} delegates nothing")]
    NoDelegations {
        /// The delegating role.
        parent: String,
    },

    /// A targets role does not delegate to the role looked up.
    #[error("{parent} does not delegate to {role}")]
    NotDelegated {
        /// The delegating role.
        parent: String,
        /// The role looked up.
        role: String,
    },

    /// A targets role delegates to a name reserved for a top-level role
    /// (`root`, `timestamp`, `snapshot`, `targets`).
    #[error("{parent} delegates to the reserved role name '{role}'")]
    ReservedRoleName {
        /// The delegating role.
        parent: String,
        /// The reserved name.
        role: String,
    },

    /// The server answered "not modified" to a request that asked no such
    /// thing (no ETag was sent): a frozen or replayed answer.
    #[error("the server says the timestamp has not changed, but nothing was asked")]
    UnaskedNotModified,

    // ---- The root chain
    /// A new root version failed its checks; `reason` says which.
    // "not trusted: " is how the reason has always read here (it was the
    // text of the whole error).
    #[error("root version {version}: not trusted: {reason}")]
    RootVersion {
        /// The root version refused.
        version: u64,
        /// Why.
        reason: Box<Untrusted>,
    },

    /// The file for root version N holds another version.
    #[error("the file for root version {expected} holds version {found}")]
    RootVersionMismatch {
        /// The version the file name promises.
        expected: u64,
        /// The version inside.
        found: u64,
    },

    /// An offline bundle's root chain skips a version.
    #[error("the bundle's root chain has a gap: version {missing} is missing")]
    RootChainGap {
        /// The first version missing.
        missing: u64,
    },

    // ---- Freshness
    /// Metadata has expired (freeze attack, or a stale repository).
    #[error("{}", expired(.role))]
    Expired {
        /// The role whose metadata expired.
        role: String,
    },

    /// The root offered to trust a publisher has expired.
    #[error("this root metadata has expired")]
    ExpiredRoot,

    // ---- Rollback and consistency
    /// Metadata older than trusted or seen (rollback attack).
    #[error("{0}")]
    Rollback(MetadataRollback),

    /// A role's metadata is not the version its parent names (mix-and-match
    /// attack): a snapshot not the timestamp's, targets not the snapshot's.
    #[error("{role} version {version} is not the {expected} the {} names (mix-and-match)", named_by(.role))]
    MixAndMatch {
        /// The role.
        role: String,
        /// The version received.
        version: u64,
        /// The version its parent names.
        expected: u64,
    },

    /// The timestamp names no snapshot.
    #[error("the timestamp lists no snapshot.json")]
    NoSnapshotListed,

    /// The snapshot does not list a targets role's metadata.
    #[error("the snapshot does not list {role}")]
    NotListed {
        /// The role.
        role: String,
    },

    // ---- Files against their signed description
    /// A file's length differs from the signed length.
    #[error("the file's length differs from the signed length")]
    LengthMismatch,

    /// A file's hash differs from the signed one.
    #[error("the file's {algo} hash differs from the signed one")]
    HashMismatch {
        /// The algorithm (`sha256`, `sha512`).
        algo: String,
    },

    /// The signed description gives no hash Waymark knows.
    #[error("no supported hash (sha256 or sha512) given")]
    NoKnownHash,

    /// A metadata file's length differs from the length its parent signed.
    #[error("the {role} metadata's length differs from the signed length")]
    MetadataLength {
        /// The role whose metadata it is.
        role: String,
    },

    /// A metadata file's hashes do not match what its parent signed.
    // "not trusted: " as for RootVersion.
    #[error("{role} metadata: not trusted: {reason}")]
    MetadataHashes {
        /// The role whose metadata it is.
        role: String,
        /// Why ([`Untrusted::HashMismatch`] or [`Untrusted::NoKnownHash`]).
        reason: Box<Untrusted>,
    },

    // ---- Targets
    /// No trusted targets role signs the target about to be downloaded.
    #[error("{target} is not signed")]
    NotSigned {
        /// The target path.
        target: String,
    },

    /// An offline bundle names a target its metadata does not sign.
    #[error("'{target}' is not a signed target")]
    NotATarget {
        /// The target path the bundle names.
        target: String,
    },

    /// The publisher's current metadata no longer signs an installed pack
    /// (refused when sharing it).
    #[error("the publisher no longer signs '{target}'")]
    NoLongerSigned {
        /// The pack's target path.
        target: String,
    },

    /// A pack target's custom metadata names another pack than its path.
    #[error("the target {target} names another pack")]
    WrongPack {
        /// The target path.
        target: String,
    },

    /// A signed target is not a pack (`packs/<id>.wmpack`), yet it was
    /// offered as one.
    #[error("'{target}' is not a pack target (packs/<id>.wmpack)")]
    NotAPackTarget {
        /// The target path.
        target: String,
    },

    /// A pack's manifest says another pack, version or publisher than the
    /// signed target it came with (a delegated signer, or a bundle naming
    /// one signed target for another pack).
    #[error("the pack at '{target}' says {what} '{found}' but its signed metadata says '{signed}'")]
    NotThePackSigned {
        /// The target path.
        target: String,
        /// What differs: `pack id`, `version` or `publisher`.
        what: &'static str,
        /// What the signed metadata states.
        signed: String,
        /// What the pack's manifest says.
        found: String,
    },

    // ---- A pack's content against its signed digest
    /// The content is longer than its signed length.
    #[error("{of} is longer than its signed length")]
    ContentTooLong {
        /// Which content.
        of: ContentOrigin,
    },

    /// The content differs from what its publisher signed.
    #[error("{of} differs from what its publisher signed")]
    ContentMismatch {
        /// Which content.
        of: ContentOrigin,
    },

    /// The publisher signed no content digest to check this content
    /// against.
    #[error("{}", no_content_digest(*.of))]
    NoContentDigest {
        /// Which content would need it.
        of: ContentOrigin,
    },

    // ---- Publishers and sharing
    /// The publisher named is not trusted on this phone.
    #[error("unknown publisher '{id}': trust it first")]
    UnknownPublisher {
        /// The publisher's id.
        id: String,
    },

    /// This phone's stored metadata for the publisher no longer verifies
    /// (expired, typically), so a bundle made from it would be refused.
    #[error(
        "this phone's copy of the publisher's signatures cannot be shared \
         (sync, then share again): {reason}"
    )]
    NotShareable {
        /// The error the verification gave, as text.
        reason: String,
    },

    // ---- Context
    /// A metadata file fetched from a remote (a server, a bundle, the
    /// phone's store) was refused; `file` names it.
    #[error("{file}: {reason}")]
    InFile {
        /// The file's name (`timestamp.json`, `3.snapshot.json`…).
        file: String,
        /// Why.
        reason: Box<Untrusted>,
    },

    /// A rare reason with no variant of its own (text not UTF-8 where it
    /// must be, a number out of range, a server contradicting itself…):
    /// nothing matches on it; it is only shown.
    #[error("{0}")]
    Other(String),

    /// A metadata file carries more than one signature by the same key id
    /// (refused whatever the threshold, as python-tuf refuses it).
    #[error("{role} metadata carries more than one signature by key {keyid}")]
    DuplicateSignature {
        /// The role whose metadata it is.
        role: String,
        /// The key id that signs twice.
        keyid: String,
    },
}

/// A file over the size allowed for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Oversized {
    /// A metadata file longer than Waymark parses
    /// ([`crate::tuf::MAX_METADATA_BYTES`]).
    #[error("metadata file too large")]
    MetadataFile,

    /// A file of an offline bundle, or metadata stored on the phone, over
    /// the metadata limit; `what` names it (`bundle.json`, `root metadata`,
    /// `metadata`, `stored metadata`).
    #[error("{what} is too large")]
    Named {
        /// What the file is.
        what: &'static str,
    },

    /// The server announces more bytes than allowed for a metadata file.
    #[error("the server offers more than the {max} bytes allowed for this file")]
    ServerOffer {
        /// The limit.
        max: u64,
    },

    /// The server announces a target longer than its signed length.
    #[error("the server offers a file longer than its signed length")]
    LongerThanSigned,

    /// The server sent more bytes than expected (endless-data attack).
    #[error("the server sent more than the {max} bytes expected (endless data)")]
    EndlessData {
        /// The limit.
        max: u64,
    },

    /// An offline bundle holds a metadata file longer than allowed for it.
    #[error("the bundle offers more than the {max} bytes allowed")]
    BundleOffer {
        /// The limit.
        max: u64,
    },
}

/// Metadata older than what the phone trusts or has seen: a rollback
/// attack, or a stale mirror.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataRollback {
    /// A role's new version is below the trusted one.
    #[error("{role} version {offered} is older than the trusted {trusted} (rollback)")]
    BelowTrusted {
        /// The role.
        role: String,
        /// The version offered.
        offered: u64,
        /// The version trusted.
        trusted: u64,
    },

    /// A role's new version is below one seen earlier (by sync or an
    /// offline bundle).
    #[error("{role} version {offered} is older than the {seen} already seen (rollback)")]
    BelowSeen {
        /// The role.
        role: String,
        /// The version offered.
        offered: u64,
        /// The version seen.
        seen: u64,
    },

    /// The new timestamp names an older snapshot than the trusted one.
    #[error("the timestamp names an older snapshot than the trusted one (rollback)")]
    OlderSnapshot,

    /// The new snapshot no longer lists a file the trusted one lists.
    #[error("the new snapshot no longer lists {file} (rollback)")]
    Dropped {
        /// The file (`targets.json`, a delegated role's file).
        file: String,
    },

    /// The new snapshot lists a file at a lower version than the trusted
    /// one.
    #[error(
        "the new snapshot lists {file} version {offered} below the trusted {trusted} (rollback)"
    )]
    FileBelowTrusted {
        /// The file.
        file: String,
        /// The version listed now.
        offered: u64,
        /// The version listed by the trusted snapshot.
        trusted: u64,
    },
}

/// Which pack content is checked against the digest its publisher signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContentOrigin {
    /// Content another phone shared (an offline bundle of format 2), being
    /// installed.
    #[error("the shared content")]
    Shared,
    /// The installed pack's content, rebuilt from its entries to be shared.
    #[error("the installed pack")]
    Installed,
    /// A pack rebuilt from the installed version and a patch.
    #[error("the updated pack")]
    Updated,
}

fn kind_prefix(kind: Option<&str>) -> String {
    kind.map(|k| format!("{k} ")).unwrap_or_default()
}

fn expired(role: &str) -> String {
    if role == "root" {
        "the newest root metadata has expired (freeze attack or stale repository)".into()
    } else {
        format!("the {role} metadata has expired (freeze attack)")
    }
}

/// The role whose metadata names `role`'s version.
fn named_by(role: &str) -> &'static str {
    if role == "snapshot" {
        "timestamp"
    } else {
        "snapshot"
    }
}

fn no_content_digest(of: ContentOrigin) -> &'static str {
    match of {
        ContentOrigin::Shared => {
            "the publisher signed no content digest for this pack, so only its own bundle can \
             install it"
        }
        ContentOrigin::Installed => {
            "the publisher signed no content digest for this pack, so it cannot be shared from \
             this phone"
        }
        ContentOrigin::Updated => "the pack's content digest is not signed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_they_always_have() {
        let role = || "snapshot".to_owned();
        for (reason, text) in [
            (
                Untrusted::Malformed {
                    kind: None,
                    detail: "EOF".into(),
                },
                "malformed metadata: EOF",
            ),
            (
                Untrusted::Malformed {
                    kind: Some("root".into()),
                    detail: "EOF".into(),
                },
                "malformed root metadata: EOF",
            ),
            (
                Untrusted::Expired {
                    role: "root".into(),
                },
                "the newest root metadata has expired (freeze attack or stale repository)",
            ),
            (
                Untrusted::Expired { role: role() },
                "the snapshot metadata has expired (freeze attack)",
            ),
            (
                Untrusted::MixAndMatch {
                    role: role(),
                    version: 3,
                    expected: 4,
                },
                "snapshot version 3 is not the 4 the timestamp names (mix-and-match)",
            ),
            (
                Untrusted::MixAndMatch {
                    role: "bins-0".into(),
                    version: 3,
                    expected: 4,
                },
                "bins-0 version 3 is not the 4 the snapshot names (mix-and-match)",
            ),
            (
                Untrusted::RootVersion {
                    version: 2,
                    reason: Box::new(Untrusted::Signatures {
                        role: "root".into(),
                        valid: 0,
                        threshold: 1,
                    }),
                },
                "root version 2: not trusted: root metadata has 0 valid signatures of the 1 \
                 required",
            ),
            (
                Untrusted::InFile {
                    file: "timestamp.json".into(),
                    reason: Box::new(Untrusted::TooLarge(Oversized::EndlessData { max: 9 })),
                },
                "timestamp.json: the server sent more than the 9 bytes expected (endless data)",
            ),
            (
                Untrusted::NoContentDigest {
                    of: ContentOrigin::Updated,
                },
                "the pack's content digest is not signed",
            ),
            (
                Untrusted::ContentMismatch {
                    of: ContentOrigin::Shared,
                },
                "the shared content differs from what its publisher signed",
            ),
        ] {
            assert_eq!(reason.to_string(), text);
        }
    }
}
