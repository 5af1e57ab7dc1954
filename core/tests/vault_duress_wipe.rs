//! Duress passphrase and panic wipe.

mod common;

use common::*;
use waymark_core::Error;
use waymark_core::vault::{DocumentKind, Vault, wipe_dir};

const DURESS: &str = "duress words here";

#[test]
fn the_duress_passphrase_opens_the_decoy_and_the_real_vault_stays_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    let real = vault
        .add_document_bytes(meta(DocumentKind::Passport, "Real passport"), b"real")
        .unwrap();
    assert!(
        matches!(
            vault.set_duress_passphrase(PASS, false),
            Err(Error::InvalidInput(_))
        ),
        "the duress passphrase must differ"
    );
    vault.set_duress_passphrase(DURESS, false).unwrap();
    vault.lock();

    vault.unlock(DURESS).unwrap();
    assert!(
        vault.list_documents().unwrap().is_empty(),
        "the decoy starts empty"
    );
    assert!(matches!(
        vault.read_document_bytes(&real),
        Err(Error::NotFound(_))
    ));
    let decoy = vault
        .add_document_bytes(meta(DocumentKind::TravelTicket, "Bus ticket"), b"ticket")
        .unwrap();
    // Key management in the decoy behaves as in a real vault, but cannot
    // touch the real one.
    vault.regenerate_recovery_code().unwrap();
    vault
        .set_duress_passphrase("yet another one", true)
        .unwrap();
    vault.lock();

    vault.unlock(PASS).unwrap();
    let listed: Vec<_> = vault
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(
        listed,
        vec![real],
        "the real vault does not see the decoy's documents"
    );
    vault.lock();
    vault.unlock(DURESS).unwrap();
    let listed: Vec<_> = vault
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(listed, vec![decoy]);
    vault.lock();
    // The decoy's own duress passphrase opens a decoy of the decoy, and,
    // set to destroy, destroys the decoy it was set in, not the real vault.
    vault.unlock("yet another one").unwrap();
    assert!(vault.list_documents().unwrap().is_empty());
    vault.lock();
    assert!(vault.unlock(DURESS).is_err(), "the decoy was destroyed");
    vault.unlock(PASS).unwrap();
    let listed: Vec<_> = vault
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(listed, vec![real], "the real vault is untouched");
}

#[test]
fn with_destruction_configured_the_duress_passphrase_destroys_the_real_documents() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, code) = new_vault(dir.path(), &clock);
    let real = vault
        .add_document_bytes(
            meta(DocumentKind::Passport, "REAL-TITLE-CANARY"),
            &b"REAL-CONTENT-CANARY".repeat(100),
        )
        .unwrap();
    vault.set_duress_passphrase(DURESS, true).unwrap();
    vault.lock();

    vault.unlock(DURESS).unwrap();
    assert!(vault.list_documents().unwrap().is_empty());
    let decoy = vault
        .add_document_bytes(meta(DocumentKind::Other, "Decoy"), b"decoy")
        .unwrap();
    vault.lock();
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);

    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();
    assert!(matches!(
        vault.unlock(PASS),
        Err(Error::WrongPassphrase { .. })
    ));
    assert!(matches!(
        vault.unlock_with_recovery_code(&code, "new real pass"),
        Err(Error::InvalidInput(_))
    ));
    let rows: i64 = raw_db(&vault_dir)
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1, "only the decoy's row is left");
    assert!(
        plaintext_found(&vault_dir, &[b"REAL-TITLE-CANARY", b"REAL-CONTENT-CANARY"]).is_empty()
    );
    let _ = real;

    // The decoy lives on as a plain vault.
    vault.unlock(DURESS).unwrap();
    assert_eq!(&vault.read_document_bytes(&decoy).unwrap()[..], b"decoy");
}

#[test]
fn the_files_look_the_same_with_or_without_a_duress_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (plain, _) = Vault::create(&dir.path().join("plain"), PASS, options(&clock)).unwrap();
    let (duress, _) = Vault::create(&dir.path().join("duress"), PASS, options(&clock)).unwrap();
    duress.set_duress_passphrase(DURESS, true).unwrap();
    let shape = |v: &Vault| -> Vec<(String, i64)> {
        raw_db(v.dir())
            .prepare("SELECT name, length(wrapped) FROM key_slots ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(shape(&plain), shape(&duress));
    assert_eq!(
        shape(&plain).len(),
        3 * 8,
        "eight cells of a passphrase slot, a recovery slot and a record, always"
    );
}

#[test]
fn after_a_wipe_nothing_is_recoverable_and_opening_fails() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, code) = new_vault(dir.path(), &clock);
    let mut m = meta(DocumentKind::Passport, "WIPE-TITLE-CANARY");
    m.holder_name = Some("WIPE-HOLDER-CANARY".into());
    let content = b"WIPE-CONTENT-CANARY".repeat(10_000);
    vault.add_document_bytes(m, &content).unwrap();
    let vault_dir = vault.dir().to_path_buf();
    // Keep a copy of the slots as an attacker with an earlier image would not
    // have after the wipe: they must be gone from the files.
    let slots: Vec<Vec<u8>> = raw_db(&vault_dir)
        .prepare("SELECT wrapped FROM key_slots")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    vault.lock();

    vault.wipe().unwrap();

    assert!(matches!(vault.unlock(PASS), Err(Error::NoVault)));
    assert!(matches!(vault.list_documents(), Err(Error::NoVault)));
    assert!(matches!(
        Vault::open(&vault_dir, options(&clock)),
        Err(Error::NoVault)
    ));
    let needles: Vec<&[u8]> = vec![
        b"WIPE-TITLE-CANARY",
        b"WIPE-HOLDER-CANARY",
        b"WIPE-CONTENT-CANARY",
    ];
    assert!(plaintext_found(&vault_dir, &needles).is_empty());
    let slot_needles: Vec<&[u8]> = slots.iter().map(Vec::as_slice).collect();
    assert!(
        plaintext_found(&vault_dir, &slot_needles).is_empty(),
        "no wrapped key survives"
    );
    assert!(
        common::files_below(&vault_dir).is_empty(),
        "the vault's files are gone"
    );
    // A new vault can be made in the same place; the old code opens nothing.
    let (fresh, _) = Vault::create(&vault_dir, PASS, options(&clock)).unwrap();
    assert!(fresh.list_documents().unwrap().is_empty());
    fresh.lock();
    assert!(
        fresh
            .unlock_with_recovery_code(&code, "whatever pass")
            .is_err()
    );
}

#[test]
fn wipe_dir_works_without_the_passphrase_and_on_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    vault
        .add_document_bytes(meta(DocumentKind::Visa, "V"), b"x")
        .unwrap();
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);
    let other_file = vault_dir.join("not-ours.txt");
    std::fs::write(&other_file, b"keep me").unwrap();
    wipe_dir(&vault_dir).unwrap();
    assert!(!Vault::exists(&vault_dir));
    assert_eq!(
        common::files_below(&vault_dir),
        vec![other_file],
        "only the vault's files are removed"
    );
    wipe_dir(&vault_dir).unwrap();
    wipe_dir(&dir.path().join("never-existed")).unwrap();
}

#[test]
fn a_wipe_cut_short_half_way_through_shredding_is_finished_by_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, code) = new_vault(dir.path(), &clock);
    vault
        .add_document_bytes(
            meta(DocumentKind::Passport, "P"),
            &b"WIPE-CUT".repeat(1_000),
        )
        .unwrap();
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);
    // What a wipe killed while shredding leaves: its marker, the database
    // overwritten with zeroes but not yet removed, content files still
    // there.
    std::fs::write(vault_dir.join("wiping"), b"").unwrap();
    let db = vault_dir.join("vault.db");
    let len = std::fs::metadata(&db).unwrap().len() as usize;
    std::fs::write(&db, vec![0u8; len]).unwrap();
    assert!(
        !Vault::exists(&vault_dir),
        "a vault being wiped is no vault"
    );

    // The next open finishes the wipe instead of failing on the zeroes.
    assert!(matches!(
        Vault::open(&vault_dir, options(&clock)),
        Err(Error::NoVault)
    ));
    assert!(
        common::files_below(&vault_dir).is_empty(),
        "nothing of the vault is left: {:?}",
        common::files_below(&vault_dir)
    );
    // And a new vault can be made there; the old code opens nothing.
    std::fs::write(vault_dir.join("wiping"), b"").unwrap();
    let (fresh, _) = Vault::create(&vault_dir, PASS, options(&clock)).unwrap();
    assert!(!vault_dir.join("wiping").exists());
    fresh.lock();
    assert!(
        fresh
            .unlock_with_recovery_code(&code, "another pass")
            .is_err()
    );
}
