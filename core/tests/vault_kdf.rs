//! The Argon2id parameters cannot be lowered by someone with write access to
//! the files: they are bound to every key slot, parameters below the floor
//! are refused unless the vault was created with them (an authenticated
//! "insecure test parameters" marker), and no passphrase is ever wrapped
//! under parameters read from an unauthenticated header that are weaker
//! than the defaults.

mod common;

use common::*;
use rusqlite::Connection;
use waymark_core::Error;
use waymark_core::vault::{DocumentKind, KdfParams, Vault, VaultOptions};

/// OWASP's minimum for Argon2id: 19 MiB, 2 passes.
const FLOOR: KdfParams = KdfParams {
    memory_kib: 19 * 1024,
    iterations: 2,
    parallelism: 1,
};

const LOWERED: &str = r#"{"memory_kib":8,"iterations":1,"parallelism":1}"#;

/// A vault with floor parameters and one document, closed.
fn floor_vault(dir: &std::path::Path) -> (std::path::PathBuf, waymark_core::vault::RecoveryCode) {
    let clock = clock();
    let options = VaultOptions {
        kdf: FLOOR,
        ..options(&clock)
    };
    let (vault, code) = Vault::create(&dir.join("vault"), PASS, options).unwrap();
    vault
        .add_document_bytes(meta(DocumentKind::Passport, "P"), b"scan")
        .unwrap();
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);
    (vault_dir, code)
}

fn kdf_text(db: &Connection) -> String {
    db.query_row("SELECT kdf FROM vault", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn kdf_parameters_lowered_below_the_floor_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (vault_dir, _) = floor_vault(dir.path());
    raw_db(&vault_dir)
        .execute("UPDATE vault SET kdf = ?1", [LOWERED])
        .unwrap();
    match Vault::open(&vault_dir, options(&clock())) {
        Err(Error::UnsupportedFormat(reason)) => {
            assert!(reason.contains("minimum"), "{reason}")
        }
        other => panic!("expected the lowered parameters to be refused, got {other:?}"),
    }
}

#[test]
fn a_recovered_passphrase_is_never_wrapped_under_lowered_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let (vault_dir, code) = floor_vault(dir.path());
    let original = kdf_text(&raw_db(&vault_dir));
    // The attack: lower the parameters (and claim the vault was made with
    // insecure test parameters, where the format has such a marker), so the
    // real passphrase fails and the person turns to the recovery code.
    let db = raw_db(&vault_dir);
    db.execute("UPDATE vault SET kdf = ?1", [LOWERED]).unwrap();
    let _ = db.execute("UPDATE vault SET insecure_kdf = 1", []);
    drop(db);

    let clock = clock();
    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();
    assert!(matches!(
        vault.unlock(PASS),
        Err(Error::WrongPassphrase { .. })
    ));
    match vault.unlock_with_recovery_code(&code, "new passphrase") {
        // Refused: the recovery slot is bound to the parameters it was
        // wrapped under, so nothing is wrapped under the lowered ones.
        Err(Error::InvalidInput(_)) => {}
        // Or accepted, but then never under the lowered parameters.
        Ok(()) => {
            let now = kdf_text(&raw_db(&vault_dir));
            assert_ne!(
                now, LOWERED,
                "the new passphrase was wrapped under 8 KiB × 1"
            );
            let _ = original;
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn kdf_parameters_changed_above_the_floor_open_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (vault_dir, code) = floor_vault(dir.path());
    // Changed, but not below the floor: the slots still refuse them.
    raw_db(&vault_dir)
        .execute(
            "UPDATE vault SET kdf = ?1",
            [r#"{"memory_kib":19456,"iterations":3,"parallelism":1}"#],
        )
        .unwrap();
    let vault = Vault::open(&vault_dir, options(&clock())).unwrap();
    assert!(vault.unlock(PASS).is_err());
    assert!(matches!(
        vault.unlock_with_recovery_code(&code, "new passphrase"),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn insecure_test_parameters_are_recorded_at_creation_and_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, code) = new_vault(dir.path(), &clock);
    assert_eq!(vault.kdf_params().memory_kib, 64);
    vault.set_duress_passphrase("duress words", false).unwrap();
    vault.change_passphrase(PASS, "second passphrase").unwrap();
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);
    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();
    vault.unlock("second passphrase").unwrap();
    vault.lock();
    vault.unlock("duress words").unwrap();
    vault.lock();
    vault
        .unlock_with_recovery_code(&code, "third passphrase")
        .unwrap();
    assert_eq!(vault.kdf_params().memory_kib, 64, "the creator's choice");
}
