//! Backup files (`waymark_core::backup`): what goes out comes back
//! byte-identical with its metadata; importing twice adds nothing; a
//! damaged, truncated or wrong-key file changes nothing; a decoy's backup
//! holds the decoy's documents only; an id the other vault holds is never
//! revealed.

mod common;

use std::io::Read;

use common::*;
use waymark_core::Error;
use waymark_core::backup::{
    self, BackupRecipients, Identity, MANIFEST_PATH, Manifest, X25519Identity,
};
use waymark_core::vault::{DocumentId, DocumentInfo, DocumentKind, Vault};

/// Cheap scrypt for tests (the default, 16, is for phones).
const LOG_N: u8 = 10;
const BACKUP_PASS: &str = "backup words";
const DURESS: &str = "duress words here";

fn to_passphrase() -> BackupRecipients {
    BackupRecipients::passphrase_with_work_factor(BACKUP_PASS, LOG_N)
}

fn passphrase() -> Vec<Identity> {
    vec![Identity::passphrase(BACKUP_PASS)]
}

fn docs(vault: &Vault) -> Vec<(DocumentInfo, Vec<u8>)> {
    vault
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| {
            let bytes = vault.read_document_bytes(&d.id).unwrap().to_vec();
            (d, bytes)
        })
        .collect()
}

/// A vault with a passport (metadata filled in) and a 300 KB scan.
fn full_vault(dir: &std::path::Path) -> Vault {
    let (vault, _) = new_vault(dir, &clock());
    let mut m = meta(DocumentKind::Passport, "Mon passeport / ጉዕዞ");
    m.number = Some("P1234567".into());
    m.holder_name = Some("Amina Yusuf".into());
    m.notes = "renewed at the embassy".into();
    m.tags = vec!["family".into()];
    m.mime_type = "image/jpeg".into();
    vault.add_document_bytes(m, &pattern(300_000)).unwrap();
    vault
        .add_document_bytes(meta(DocumentKind::Other, "note"), b"")
        .unwrap();
    vault
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

fn second_vault(dir: &std::path::Path) -> Vault {
    new_vault(dir, &clock()).0
}

#[test]
fn a_backup_restores_every_document_byte_identical_with_its_metadata() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = full_vault(a.path());
    let mut file = Vec::new();
    let summary = backup::export(&source, None, &to_passphrase(), &mut file).unwrap();
    assert_eq!((summary.documents, summary.content_bytes), (2, 300_000));

    let target = second_vault(b.path());
    let imported = backup::import(&target, &file[..], &passphrase()).unwrap();
    assert_eq!(imported.imported.len(), 2);
    assert!(imported.skipped.is_empty() && imported.kept_both.is_empty());
    assert_eq!(docs(&target), docs(&source));
}

#[test]
fn importing_the_same_backup_twice_adds_nothing() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = full_vault(a.path());
    let mut file = Vec::new();
    backup::export(&source, None, &to_passphrase(), &mut file).unwrap();
    let target = second_vault(b.path());
    backup::import(&target, &file[..], &passphrase()).unwrap();
    let again = backup::import(&target, &file[..], &passphrase()).unwrap();
    assert!(again.imported.is_empty());
    assert_eq!(again.skipped.len(), 2);
    assert_eq!(target.list_documents().unwrap().len(), 2);
    // Into the vault it came from: nothing either.
    let back = backup::import(&source, &file[..], &passphrase()).unwrap();
    assert_eq!((back.imported.len(), back.skipped.len()), (0, 2));
}

#[test]
fn a_changed_document_is_kept_beside_the_backups_version() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = full_vault(a.path());
    let mut file = Vec::new();
    backup::export(&source, None, &to_passphrase(), &mut file).unwrap();
    let clock = clock();
    let target = new_vault(b.path(), &clock).0;
    backup::import(&target, &file[..], &passphrase()).unwrap();
    let note = target
        .list_documents()
        .unwrap()
        .into_iter()
        .find(|d| d.metadata.title == "note")
        .unwrap();
    // The tests' clock is manual: move it so the change has a time of its own.
    clock.advance(chrono::Duration::seconds(60));
    target
        .replace_content(&note.id, &b"changed on the new phone"[..])
        .unwrap();
    let changed = target.document(&note.id).unwrap();

    let first = backup::import(&target, &file[..], &passphrase()).unwrap();
    assert_eq!((first.skipped.len(), first.kept_both.len()), (1, 1));
    assert_eq!(target.list_documents().unwrap().len(), 3);
    assert_eq!(
        &target.read_document_bytes(&note.id).unwrap()[..],
        b"changed on the new phone"
    );
    assert_eq!(
        target
            .read_document_bytes(&first.kept_both[0])
            .unwrap()
            .len(),
        0
    );
    assert_eq!(target.document(&note.id).unwrap(), changed);
    // And again: the kept copy is recognised.
    let second = backup::import(&target, &file[..], &passphrase()).unwrap();
    assert_eq!((second.imported.len(), second.kept_both.len()), (0, 0));
    assert_eq!(target.list_documents().unwrap().len(), 3);
}

#[test]
fn chosen_documents_only() {
    let a = tempfile::tempdir().unwrap();
    let source = full_vault(a.path());
    let chosen = source.list_documents().unwrap()[1].id;
    let mut file = Vec::new();
    let s = backup::export(
        &source,
        Some(&[chosen, chosen]),
        &to_passphrase(),
        &mut file,
    )
    .unwrap();
    assert_eq!(s.documents, 1);
    let manifest = manifest_of(&file, &passphrase());
    assert_eq!(manifest.documents.len(), 1);
    assert_eq!(manifest.documents[0].id, chosen);
    let missing: DocumentId = "00112233445566778899aabbccddeeff".parse().unwrap();
    assert!(matches!(
        backup::export(&source, Some(&[missing]), &to_passphrase(), &mut Vec::new()),
        Err(Error::NotFound(_))
    ));
}

/// The tar inside: the manifest first, then each document's metadata and
/// content, under readable names.
fn manifest_of(file: &[u8], ids: &[Identity]) -> Manifest {
    let mut plain = Vec::new();
    backup::age::Decryptor::new(file, ids)
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    let mut archive = tar::Archive::new(&plain[..]);
    let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(entry.path().unwrap().to_str().unwrap(), MANIFEST_PATH);
    let mut json = String::new();
    entry.read_to_string(&mut json).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[test]
fn the_archive_is_laid_out_for_a_person_with_tar() {
    let a = tempfile::tempdir().unwrap();
    let source = full_vault(a.path());
    let key = X25519Identity::generate().unwrap();
    let mut file = Vec::new();
    backup::export(
        &source,
        None,
        &BackupRecipients::keys(&[key.to_public()]),
        &mut file,
    )
    .unwrap();
    let ids = [Identity::X25519(key)];
    let mut plain = Vec::new();
    backup::age::Decryptor::new(&file[..], &ids)
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    let mut archive = tar::Archive::new(&plain[..]);
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_str().unwrap().to_owned())
        .collect();
    let id_of = |title: &str| {
        source
            .list_documents()
            .unwrap()
            .into_iter()
            .find(|d| d.metadata.title == title)
            .unwrap()
            .id
    };
    let (passport, note) = (id_of("Mon passeport / ጉዕዞ"), id_of("note"));
    let mut expected = [
        [
            format!("documents/{passport}/metadata.json"),
            format!("documents/{passport}/Mon passeport _ ጉዕዞ.jpg"),
        ],
        [
            format!("documents/{note}/metadata.json"),
            format!("documents/{note}/note.bin"),
        ],
    ];
    // Documents are in the vault's order: by creation time, then id.
    expected.sort();
    let expected: Vec<String> = std::iter::once(MANIFEST_PATH.to_owned())
        .chain(expected.into_iter().flatten())
        .collect();
    assert_eq!(names, expected);
    let manifest = manifest_of(&file, &ids);
    assert_eq!(manifest.format, "waymark-backup");
    assert_eq!(manifest.version, 1);
}

/// The vault's documents and content files, to compare before and after.
fn snapshot(vault: &Vault, dir: &std::path::Path) -> (Vec<(DocumentInfo, Vec<u8>)>, usize) {
    (docs(vault), blob_count(&dir.join("vault")))
}

#[test]
fn a_damaged_truncated_or_wrong_key_file_changes_nothing() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = full_vault(a.path());
    let mut file = Vec::new();
    backup::export(&source, None, &to_passphrase(), &mut file).unwrap();
    let target = second_vault(b.path());
    target
        .add_document_bytes(meta(DocumentKind::Visa, "Visa"), b"visa")
        .unwrap();
    let before = snapshot(&target, b.path());

    // A byte flipped in the last chunk: the first documents were already
    // streamed into the vault when the damage shows, and are rolled back.
    let mut damaged = file.clone();
    let at = damaged.len() - 20;
    damaged[at] ^= 1;
    let e = backup::import(&target, &damaged[..], &passphrase()).unwrap_err();
    assert!(matches!(e, Error::Integrity(_)), "{e}");
    assert_eq!(snapshot(&target, b.path()), before);

    for cut in [file.len() - 1, file.len() - 17, file.len() / 2, 200, 0] {
        let e = backup::import(&target, &file[..cut], &passphrase()).unwrap_err();
        assert!(
            matches!(e, Error::Integrity(_) | Error::InvalidInput(_)),
            "{cut}: {e}"
        );
        assert_eq!(snapshot(&target, b.path()), before);
    }

    let e = backup::import(&target, &file[..], &[Identity::passphrase("not it")]).unwrap_err();
    assert!(e.to_string().contains("does not open"), "{e}");
    let other = X25519Identity::generate().unwrap();
    assert!(backup::import(&target, &file[..], &[Identity::X25519(other)]).is_err());
    assert!(backup::import(&target, &b"not an age file at all"[..], &passphrase()).is_err());
    assert_eq!(snapshot(&target, b.path()), before);
}

#[test]
fn errors_never_contain_titles_names_or_numbers() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = full_vault(a.path());
    let mut file = Vec::new();
    backup::export(&source, None, &to_passphrase(), &mut file).unwrap();
    let target = second_vault(b.path());
    let mut messages = Vec::new();
    for at in (0..file.len()).step_by(4999) {
        let mut damaged = file.clone();
        damaged[at] ^= 0x40;
        if let Err(e) = backup::import(&target, &damaged[..], &passphrase()) {
            messages.push(e.to_string());
        }
    }
    assert!(!messages.is_empty());
    for m in &messages {
        for secret in ["passeport", "Amina", "P1234567", "embassy", BACKUP_PASS] {
            assert!(!m.contains(secret), "{m}");
        }
    }
}

#[test]
fn a_backup_made_in_the_decoy_holds_the_decoys_documents_only() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let vault = full_vault(a.path());
    vault.set_duress_passphrase(DURESS, false).unwrap();
    vault.lock();
    vault.unlock(DURESS).unwrap();
    vault
        .add_document_bytes(meta(DocumentKind::TravelTicket, "Bus ticket"), b"ticket")
        .unwrap();
    let mut file = Vec::new();
    backup::export(&vault, None, &to_passphrase(), &mut file).unwrap();
    let manifest = manifest_of(&file, &passphrase());
    let titles: Vec<&str> = manifest
        .documents
        .iter()
        .map(|d| d.title.as_str())
        .collect();
    assert_eq!(titles, ["Bus ticket"]);

    let target = second_vault(b.path());
    backup::import(&target, &file[..], &passphrase()).unwrap();
    let restored: Vec<String> = target
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| d.metadata.title)
        .collect();
    assert_eq!(restored, ["Bus ticket"]);
}

#[test]
fn importing_into_the_decoy_a_backup_of_the_real_vault_reveals_nothing() {
    let a = tempfile::tempdir().unwrap();
    let vault = full_vault(a.path());
    let mut file = Vec::new();
    backup::export(&vault, None, &to_passphrase(), &mut file).unwrap();
    let real_docs = docs(&vault);
    vault.set_duress_passphrase(DURESS, false).unwrap();
    vault.lock();
    vault.unlock(DURESS).unwrap();
    // The ids are the real vault's: the decoy imports them as if free.
    let summary = backup::import(&vault, &file[..], &passphrase()).unwrap();
    assert_eq!((summary.imported.len(), summary.skipped.len()), (2, 0));
    for id in &summary.imported {
        assert!(real_docs.iter().all(|(d, _)| d.id != *id));
    }
    vault.lock();
    vault.unlock(PASS).unwrap();
    assert_eq!(docs(&vault), real_docs);
}

#[test]
fn a_locked_vault_exports_and_imports_nothing() {
    let a = tempfile::tempdir().unwrap();
    let vault = full_vault(a.path());
    let mut file = Vec::new();
    backup::export(&vault, None, &to_passphrase(), &mut file).unwrap();
    vault.lock();
    assert!(matches!(
        backup::export(&vault, None, &to_passphrase(), &mut Vec::new()),
        Err(Error::Locked)
    ));
    assert!(matches!(
        backup::import(&vault, &file[..], &passphrase()),
        Err(Error::Locked)
    ));
}

#[test]
fn a_short_backup_passphrase_is_refused() {
    let a = tempfile::tempdir().unwrap();
    let vault = full_vault(a.path());
    let e = backup::export(
        &vault,
        None,
        &BackupRecipients::passphrase_with_work_factor("abc", LOG_N),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
}
