//! A vault written by an earlier build still opens: the key-derivation
//! labels and metadata encoding have not changed, and what did change since
//! (the parameters bound to every slot, cells with records, passphrases in
//! NFC) is migrated when the vault is opened and unlocked.
//!
//! `tests/fixtures/vault-v1/vault/` was written once, by
//! [`write_the_vault_v1_fixture`] (ignored; see the fixture's README), before
//! the vault's key-derivation labels were gathered into one module. Every
//! test here copies it to a temporary directory and opens it one way: the
//! passphrase, the recovery code, the platform keystore and the duress
//! passphrase each derive their own slot key, and the data key derives the
//! metadata, content and index keys, so any change to a label's bytes makes
//! one of these fail.
//!
//! Never regenerate the fixture to make these tests pass: a failure means
//! that vaults already on phones would no longer open.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use waymark_core::clock::ManualClock;
use waymark_core::vault::{
    DocumentInfo, DocumentKind, DocumentMetadata, KdfParams, KeystoreError, PlatformKeystore,
    RecoveryCode, Vault, VaultOptions, VaultSettings,
};

/// The passphrase of the real vault.
const PASSPHRASE: &str = "fixture passphrase v1";
/// The duress passphrase (without destruction of the real vault).
const DURESS: &str = "fixture duress v1";
/// The platform keystore's secret.
const KEYSTORE_SECRET: [u8; 32] = *b"waymark fixture keystore secret!";

/// The Argon2id parameters the fixture was written with
/// (`VaultOptions::for_tests()` at the time).
const KDF: KdfParams = KdfParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vault-v1")
}

/// The time the fixture was written at, and `minutes` later.
fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

struct FixedKeystore;

impl PlatformKeystore for FixedKeystore {
    fn vault_secret(&self) -> Result<Vec<u8>, KeystoreError> {
        Ok(KEYSTORE_SECRET.to_vec())
    }
}

/// A document as the fixture holds it.
struct Expected {
    metadata: DocumentMetadata,
    content: &'static [u8],
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn passport() -> DocumentMetadata {
    DocumentMetadata {
        issuing_country: Some("SY".parse().unwrap()),
        number: Some("N0123456".into()),
        holder_name: Some("Amira Haddad".into()),
        issued_on: NaiveDate::from_ymd_opt(2019, 3, 4),
        expires_on: NaiveDate::from_ymd_opt(2029, 3, 3),
        notes: "Renew at the consulate; copy in the blue folder.".into(),
        tags: vec!["id".into(), "travel".into()],
        mime_type: "image/jpeg".into(),
        ..DocumentMetadata::new(DocumentKind::Passport, "Passeport — Amira")
    }
}

fn birth_certificate() -> DocumentMetadata {
    DocumentMetadata {
        mime_type: "application/pdf".into(),
        ..DocumentMetadata::new(DocumentKind::BirthCertificate, "شهادة الميلاد")
    }
}

fn shopping_list() -> DocumentMetadata {
    DocumentMetadata::new(DocumentKind::Other, "Shopping list")
}

const PASSPORT_SCAN: &[u8] = b"\xff\xd8\xff\xe0 a very small passport scan";
const BIRTH_FIRST: &[u8] = b"%PDF-1.4 first scan";
const BIRTH_SECOND: &[u8] = b"%PDF-1.4 better scan, content version 2";
const SHOPPING: &[u8] = b"bread, tea, lentils";

/// The real vault's documents, oldest first.
fn real_documents() -> Vec<Expected> {
    vec![
        Expected {
            metadata: passport(),
            content: PASSPORT_SCAN,
            created_at: at(0),
            updated_at: at(0),
        },
        Expected {
            metadata: birth_certificate(),
            content: BIRTH_SECOND,
            created_at: at(1),
            updated_at: at(2),
        },
    ]
}

/// The decoy vault's documents.
fn decoy_documents() -> Vec<Expected> {
    vec![Expected {
        metadata: shopping_list(),
        content: SHOPPING,
        created_at: at(3),
        updated_at: at(3),
    }]
}

/// Writes the fixture. Run it only to make a fixture for a new format
/// version, never to replace this one:
///
/// `cargo test -p waymark-core --test vault_fixture -- --ignored write_the_vault_v1_fixture`
///
/// It refuses to overwrite an existing fixture.
#[test]
#[ignore = "writes tests/fixtures/vault-v1; run by hand, once"]
fn write_the_vault_v1_fixture() {
    let out = fixture_dir();
    assert!(
        !out.join("vault").exists(),
        "{} exists: the fixture pins bytes written by an earlier build and is never rewritten",
        out.display()
    );
    let work = tempfile::tempdir().unwrap();
    let vault_dir = work.path().join("vault");
    let clock = Arc::new(ManualClock::new(at(0)));
    let options = VaultOptions {
        kdf: KDF,
        clock: clock.clone(),
    };
    let (vault, code) = Vault::create(&vault_dir, PASSPHRASE, options).unwrap();
    vault.add_document_bytes(passport(), PASSPORT_SCAN).unwrap();
    clock.advance(chrono::Duration::minutes(1));
    let birth = vault
        .add_document_bytes(birth_certificate(), BIRTH_FIRST)
        .unwrap();
    clock.advance(chrono::Duration::minutes(1));
    vault.replace_content(&birth, BIRTH_SECOND).unwrap();
    vault.enable_keystore_unlock(&FixedKeystore).unwrap();
    vault.set_duress_passphrase(DURESS, false).unwrap();
    vault.lock();
    clock.advance(chrono::Duration::minutes(1));
    vault.unlock(DURESS).unwrap();
    vault.add_document_bytes(shopping_list(), SHOPPING).unwrap();
    vault.lock();
    drop(vault);

    // The auto-lock thread drops the last handle on the database shortly
    // after the vault; SQLite then folds the WAL into the database file and
    // removes it.
    let wal = vault_dir.join("vault.db-wal");
    for _ in 0..500 {
        if !wal.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!wal.exists(), "the database was not closed");

    copy_dir(&vault_dir, &out.join("vault"));
    std::fs::write(out.join("recovery-code.txt"), format!("{code}\n")).unwrap();
    println!("fixture written to {}", out.display());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of the fixture vault, opened (locked).
fn open_copy() -> (tempfile::TempDir, Vault) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("vault");
    copy_dir(&fixture_dir().join("vault"), &dir);
    let options = VaultOptions {
        kdf: KDF,
        clock: Arc::new(ManualClock::new(at(60))),
    };
    let vault = Vault::open(&dir, options).unwrap();
    assert_eq!(vault.kdf_params(), KDF);
    assert!(!vault.is_unlocked());
    (work, vault)
}

fn recovery_code() -> RecoveryCode {
    let text = std::fs::read_to_string(fixture_dir().join("recovery-code.txt")).unwrap();
    RecoveryCode::parse(text.trim()).unwrap()
}

/// The unlocked vault shows exactly `expected`, metadata and content.
fn assert_documents(vault: &Vault, expected: &[Expected]) {
    let listed: Vec<DocumentInfo> = vault.list_documents().unwrap();
    assert_eq!(listed.len(), expected.len());
    for (info, want) in listed.iter().zip(expected) {
        assert_eq!(info.metadata, want.metadata);
        assert_eq!(info.size, want.content.len() as u64);
        assert_eq!(info.created_at, want.created_at);
        assert_eq!(info.updated_at, want.updated_at);
        assert_eq!(&vault.document(&info.id).unwrap(), info);
        assert_eq!(
            &vault.read_document_bytes(&info.id).unwrap()[..],
            want.content
        );
    }
}

#[test]
fn a_vault_written_before_the_key_labels_moved_opens_with_its_passphrase() {
    let (_work, vault) = open_copy();
    vault.unlock(PASSPHRASE).unwrap();
    assert_documents(&vault, &real_documents());
    assert_eq!(
        vault.settings().unwrap(),
        VaultSettings {
            auto_lock: Duration::from_secs(5 * 60),
            wipe_after_failures: None,
        }
    );
}

#[test]
fn a_vault_written_before_the_key_labels_moved_opens_with_its_recovery_code() {
    let (_work, vault) = open_copy();
    vault
        .unlock_with_recovery_code(&recovery_code(), "a new passphrase")
        .unwrap();
    assert_documents(&vault, &real_documents());
    vault.lock();
    vault.unlock("a new passphrase").unwrap();
    assert_documents(&vault, &real_documents());
}

#[test]
fn a_vault_written_before_the_key_labels_moved_opens_with_its_keystore_secret() {
    let (_work, vault) = open_copy();
    vault.unlock_with_keystore(&FixedKeystore).unwrap();
    assert_documents(&vault, &real_documents());
}

#[test]
fn a_vault_written_before_the_key_labels_moved_opens_its_decoy_with_the_duress_passphrase() {
    let (_work, vault) = open_copy();
    vault.unlock(DURESS).unwrap();
    assert_documents(&vault, &decoy_documents());
    vault.lock();
    vault.unlock(PASSPHRASE).unwrap();
    assert_documents(&vault, &real_documents());
}

#[test]
fn a_vault_written_before_the_kdf_was_bound_is_recovered_under_the_default_parameters() {
    // The fixture's 64 KiB × 1 were never authenticated: someone could have
    // lowered them. A recovery through its old recovery slot therefore
    // wraps the new passphrase under the defaults, never under them.
    let (work, vault) = open_copy();
    vault
        .unlock_with_recovery_code(&recovery_code(), "a new passphrase")
        .unwrap();
    assert_eq!(vault.kdf_params(), KdfParams::DEFAULT);
    assert_documents(&vault, &real_documents());
    drop(vault);
    let vault = Vault::open(
        &work.path().join("vault"),
        VaultOptions {
            kdf: KDF,
            clock: Arc::new(ManualClock::new(at(61))),
        },
    )
    .unwrap();
    vault.unlock("a new passphrase").unwrap();
    assert_documents(&vault, &real_documents());
    vault.lock();
    vault
        .unlock_with_recovery_code(&recovery_code(), "another passphrase")
        .unwrap();
    assert_documents(&vault, &real_documents());
}

#[test]
fn a_vault_written_before_the_kdf_was_bound_wraps_nothing_new_until_its_passphrase_confirms_it() {
    // The fixture's keystore slot is not bound to the parameters: after a
    // keystore unlock they are unconfirmed, and too weak to be trusted
    // blindly, so no new slot is wrapped under them...
    let (_work, vault) = open_copy();
    vault.unlock_with_keystore(&FixedKeystore).unwrap();
    assert_documents(&vault, &real_documents());
    assert!(matches!(
        vault.set_duress_passphrase("another duress", false),
        Err(waymark_core::Error::InvalidInput(_))
    ));
    assert!(vault.regenerate_recovery_code().is_err());
    // ...until the passphrase, derived with them, proves them.
    vault.lock();
    vault.unlock(PASSPHRASE).unwrap();
    vault
        .set_duress_passphrase("another duress", false)
        .unwrap();
    let code = vault.regenerate_recovery_code().unwrap();
    vault.lock();
    vault.unlock("another duress").unwrap();
    assert!(vault.list_documents().unwrap().is_empty());
    vault.lock();
    vault
        .unlock_with_recovery_code(&code, "a new passphrase")
        .unwrap();
    assert_eq!(
        vault.kdf_params(),
        KDF,
        "a bound recovery slot vouches for them"
    );
    assert_documents(&vault, &real_documents());
}

/// The rows of the key slots table, by name.
fn slot_names(dir: &Path) -> Vec<String> {
    rusqlite::Connection::open(dir.join("vault.db"))
        .unwrap()
        .prepare("SELECT name FROM key_slots ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_vault_written_before_cells_keeps_every_way_in_once_its_first_unlock_moved_it_to_cells() {
    let (work, vault) = open_copy();
    let dir = work.path().join("vault");
    vault.unlock(PASSPHRASE).unwrap();
    assert_documents(&vault, &real_documents());
    drop(vault);
    let names = slot_names(&dir);
    assert!(!names.contains(&"recovery".to_owned()), "{names:?}");
    assert_eq!(names.len(), 3 * 8 + 1, "eight cells and the keystore slot");

    let reopen = |minutes| {
        Vault::open(
            &dir,
            VaultOptions {
                kdf: KDF,
                clock: Arc::new(ManualClock::new(at(minutes))),
            },
        )
        .unwrap()
    };
    let vault = reopen(61);
    vault.unlock(PASSPHRASE).unwrap();
    assert_documents(&vault, &real_documents());
    vault.lock();
    vault.unlock_with_keystore(&FixedKeystore).unwrap();
    assert_documents(&vault, &real_documents());
    vault.lock();
    // The old decoy now does what a vault does: a recovery code of its own.
    vault.unlock(DURESS).unwrap();
    assert_documents(&vault, &decoy_documents());
    let decoy_code = vault.regenerate_recovery_code().unwrap();
    vault.lock();
    vault
        .unlock_with_recovery_code(&decoy_code, "new duress passphrase")
        .unwrap();
    assert_documents(&vault, &decoy_documents());
    vault.lock();
    // The real vault's code, moved to its cell, still opens it, and the
    // record made at the first unlock vouches for the parameters.
    vault
        .unlock_with_recovery_code(&recovery_code(), "a new passphrase")
        .unwrap();
    assert_documents(&vault, &real_documents());
    assert_eq!(vault.kdf_params(), KDF);
    drop(vault);
    let vault = reopen(62);
    vault.unlock("a new passphrase").unwrap();
    assert_documents(&vault, &real_documents());
    vault.lock();
    vault.unlock("new duress passphrase").unwrap();
    assert_documents(&vault, &decoy_documents());
}

#[test]
fn a_vault_written_before_cells_opened_first_with_its_duress_passphrase_keeps_the_real_vault_whole()
{
    let (_work, vault) = open_copy();
    vault.unlock(DURESS).unwrap();
    assert_documents(&vault, &decoy_documents());
    vault.lock();
    // The keystore slot written then held the real vault's key; after a
    // duress unlock it must not open the real vault, and the old decoy has
    // no keystore key to point it at itself: it is removed.
    assert!(vault.unlock_with_keystore(&FixedKeystore).is_err());
    vault.unlock(PASSPHRASE).unwrap();
    assert_documents(&vault, &real_documents());
    vault.enable_keystore_unlock(&FixedKeystore).unwrap();
    vault.lock();
    vault.unlock_with_keystore(&FixedKeystore).unwrap();
    assert_documents(&vault, &real_documents());
    vault.lock();
    vault
        .unlock_with_recovery_code(&recovery_code(), "a new passphrase")
        .unwrap();
    assert_documents(&vault, &real_documents());
}
