//! Files on the phone are private to the app: every vault and content file is
//! readable and writable by its owner only (0600) and every directory is
//! the owner's only (0700), whatever the process umask, and vaults and
//! stores written before this rule get their modes fixed when opened.
#![cfg(all(unix, feature = "synthetic"))]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use common::*;
use waymark_core::content::model::{Article, Entry};
use waymark_core::content::pack::write_pack;
use waymark_core::content::synthetic::{SyntheticPublisher, manifest};
use waymark_core::content::{ContentStore, TrustRequest};
use waymark_core::vault::{DocumentKind, Vault};

/// Every file and directory below `dir` (itself included), with its mode.
fn modes(dir: &Path) -> Vec<(PathBuf, bool, u32)> {
    let mut out = Vec::new();
    let meta = std::fs::metadata(dir).unwrap();
    out.push((dir.to_path_buf(), true, meta.permissions().mode() & 0o777));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(modes(&path));
        } else {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            out.push((path, false, mode));
        }
    }
    out
}

/// Fails listing every path whose mode is not 0700 (directories) or 0600
/// (files).
fn assert_private(dir: &Path) {
    let wrong: Vec<String> = modes(dir)
        .into_iter()
        .filter(|(_, is_dir, mode)| *mode != if *is_dir { 0o700 } else { 0o600 })
        .map(|(p, _, mode)| format!("{} {mode:o}", p.display()))
        .collect();
    assert!(wrong.is_empty(), "not private: {wrong:#?}");
}

/// Sets every mode below `dir` to what a umask of 022 gives.
fn make_world_readable(dir: &Path) {
    for (path, is_dir, _) in modes(dir) {
        let mode = if is_dir { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// A content store in `dir` with one installed pack.
fn store_with_a_pack(dir: &Path) -> ContentStore {
    let store = ContentStore::open(dir).unwrap();
    let publisher = SyntheticPublisher::new("modes-ngo").unwrap();
    store
        .trust_publisher(&publisher.card().unwrap(), &TrustRequest::default())
        .unwrap();
    let entries = vec![Entry::Article(Article {
        id: "hotline".into(),
        language: "en".into(),
        title: "Hotline".into(),
        body: "Call 112.".into(),
        countries: vec![],
        topics: vec![],
        verified: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        expires: None,
    })];
    let mut pack = Vec::new();
    write_pack(&manifest("modes-ngo", "modes-pack", 1), &entries, &mut pack).unwrap();
    let bundle = dir.parent().unwrap().join("pack.wmbundle");
    publisher
        .bundle(
            &pack,
            "modes-pack",
            1,
            std::fs::File::create(&bundle).unwrap(),
        )
        .unwrap();
    store.install_bundle(&bundle).unwrap();
    std::fs::remove_file(&bundle).unwrap();
    store
}

#[test]
fn every_vault_and_content_file_is_private_to_the_owner() {
    let home = tempfile::tempdir().unwrap();
    let vault_dir = home.path().join("vault");
    let content_dir = home.path().join("content");
    let clock = clock();

    let (vault, _) = Vault::create(&vault_dir, PASS, options(&clock)).unwrap();
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "P"), b"scan")
        .unwrap();
    vault.replace_content(&id, &b"better scan"[..]).unwrap();
    vault
        .add_document_bytes(meta(DocumentKind::Visa, "V"), &vec![7u8; 200_000])
        .unwrap();
    let store = store_with_a_pack(&content_dir);

    assert!(
        vault_dir.join("vault.db-wal").exists(),
        "the WAL is checked too"
    );
    assert!(vault_dir.join("blobs").is_dir());
    assert_private(&vault_dir);
    assert_private(&content_dir);
    drop(store);
    drop(vault);

    // Files written before the rule (or copied in with a loose umask) are
    // made private when opened.
    make_world_readable(&vault_dir);
    make_world_readable(&content_dir);
    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();
    let store = ContentStore::open(&content_dir).unwrap();
    assert_private(&vault_dir);
    assert_private(&content_dir);
    vault.unlock(PASS).unwrap();
    assert_eq!(vault.list_documents().unwrap().len(), 2);
    drop(store);
}
