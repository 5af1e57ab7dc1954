//! Helpers shared by the vault's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use waymark_core::clock::ManualClock;
use waymark_core::vault::{DocumentKind, DocumentMetadata, RecoveryCode, Vault, VaultOptions};

pub const PASS: &str = "correct horse battery";

/// A clock standing at 2026-06-01 12:00 UTC.
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    ))
}

pub fn options(clock: &Arc<ManualClock>) -> VaultOptions {
    VaultOptions {
        clock: clock.clone(),
        ..VaultOptions::for_tests()
    }
}

/// A new vault in `dir/vault` with the test clock.
pub fn new_vault(dir: &Path, clock: &Arc<ManualClock>) -> (Vault, RecoveryCode) {
    Vault::create(&dir.join("vault"), PASS, options(clock)).expect("create vault")
}

pub fn meta(kind: DocumentKind, title: &str) -> DocumentMetadata {
    DocumentMetadata::new(kind, title)
}

/// Every regular file below `dir`.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The needles found in the raw bytes of any file below `dir`, as
/// `(file name, needle)` pairs.
pub fn plaintext_found(dir: &Path, needles: &[&[u8]]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for f in files_below(dir) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        for n in needles {
            if bytes.windows(n.len()).any(|w| w == *n) {
                found.push((
                    f.file_name().unwrap().to_string_lossy().into_owned(),
                    String::from_utf8_lossy(n).into_owned(),
                ));
            }
        }
    }
    found
}

/// A second, raw connection to a vault's database, for tampering.
pub fn raw_db(vault_dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(vault_dir.join("vault.db")).unwrap()
}

/// The content file of a document at a content version.
pub fn blob_path(vault_dir: &Path, id: &waymark_core::vault::DocumentId, version: u32) -> PathBuf {
    vault_dir.join("blobs").join(format!("{id}.{version}"))
}

/// How many content files the vault has.
pub fn blob_count(vault_dir: &Path) -> usize {
    files_below(&vault_dir.join("blobs")).len()
}
