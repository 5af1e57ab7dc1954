//! What the keys last signed, so that a repository restored from an older
//! copy is refused instead of silently breaking phones.
//!
//! A phone that has seen timestamp version 40 refuses version 13 as a
//! rollback, for good: if the repository directory is replaced by an old
//! backup (version 12) and `refresh` carries on from there, every phone
//! that synced in between stops syncing. The repository cannot tell that
//! it is old by looking at itself, so the key directory, which is not
//! restored with it, keeps a ledger: `KEYDIR/signed-versions.json`, the
//! highest version of each role's metadata written to each repository
//! (named by the SHA-256 of its `1.root.json`, which never changes).
//! `publish`, `refresh` and `rotate-key` refuse, writing nothing, when the
//! repository's metadata is older than the ledger says, and update the
//! ledger after they have written.
//!
//! The ledger holds versions and dates only: nothing secret, nothing
//! personal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Report, fail};

/// The ledger's file name in the key directory.
pub const LEDGER_FILE: &str = "signed-versions.json";

/// The versions of a repository's top-level metadata.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    /// `root.json`'s version.
    pub root: u64,
    /// The targets version the snapshot names.
    pub targets: u64,
    /// The snapshot version the timestamp names.
    pub snapshot: u64,
    /// `timestamp.json`'s version.
    pub timestamp: u64,
}

impl Versions {
    fn pairs(&self) -> [(&'static str, u64); 4] {
        [
            ("root", self.root),
            ("targets", self.targets),
            ("snapshot", self.snapshot),
            ("timestamp", self.timestamp),
        ]
    }

    fn max(self, other: Versions) -> Versions {
        Versions {
            root: self.root.max(other.root),
            targets: self.targets.max(other.targets),
            snapshot: self.snapshot.max(other.snapshot),
            timestamp: self.timestamp.max(other.timestamp),
        }
    }
}

/// One repository's entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    versions: Versions,
    /// When these versions were written.
    written: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Ledger {
    /// Format version.
    waymark_signed_versions: u32,
    /// By repository id (SHA-256 of its `1.root.json`).
    repositories: BTreeMap<String, Entry>,
}

/// A repository's id: the SHA-256 of its first root.
pub fn repository_id(first_root: &[u8]) -> String {
    hex::encode(Sha256::digest(first_root))
}

fn path(keydir: &Path) -> PathBuf {
    keydir.join(LEDGER_FILE)
}

fn read(keydir: &Path) -> Result<Ledger, Report> {
    let file = path(keydir);
    match std::fs::read(&file) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Report::message(format!(
                "{} is damaged ({e}): it records what the keys last signed; restore it or \
                 remove it to start a new record",
                file.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Ledger {
            waymark_signed_versions: 1,
            ..Ledger::default()
        }),
        Err(e) => Err(e.into()),
    }
}

/// Fails when the repository (`id`, now at `current`) is older than what
/// the keys in `keydir` last wrote to it.
pub fn check(keydir: &Path, id: &str, current: Versions, repo: &Path) -> Result<(), Report> {
    let ledger = read(keydir)?;
    let Some(entry) = ledger.repositories.get(id) else {
        return Ok(());
    };
    for ((role, here), (_, signed)) in current.pairs().into_iter().zip(entry.versions.pairs()) {
        if here < signed {
            return fail(format!(
                "the repository in {} is older than what was published from it: its {role} \
                 metadata is version {here}, but version {signed} was written on {} (recorded \
                 in {}). It looks restored from an older copy, and phones that saw the newer \
                 versions would refuse anything signed from it. Put the newest copy back (the \
                 one your server or bucket serves) and run this again; nothing was written",
                repo.display(),
                entry.written,
                path(keydir).display(),
            ));
        }
    }
    Ok(())
}

/// Records that the repository `id` is now at `current` (never lowering
/// what was recorded). A key directory that cannot be written to is
/// reported on stderr, not fatal: the repository has been written.
pub fn record(keydir: &Path, id: &str, current: Versions, at: DateTime<Utc>) {
    let result = (|| -> Result<(), Report> {
        let mut ledger = read(keydir)?;
        let versions = match ledger.repositories.get(id) {
            Some(e) => e.versions.max(current),
            None => current,
        };
        ledger.repositories.insert(
            id.to_owned(),
            Entry {
                versions,
                written: at,
            },
        );
        crate::repo::write_atomic(&path(keydir), &serde_json::to_vec_pretty(&ledger)?)
    })();
    if let Err(e) = result {
        eprintln!(
            "warning: could not record the versions written in {}: {}; a restored older copy \
             of the repository would not be noticed",
            path(keydir).display(),
            e.line()
        );
    }
}
