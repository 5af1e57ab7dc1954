//! The decoy behaves exactly as a real vault: what a person does in it
//! (a new recovery code, a duress passphrase of its own, keystore unlock, a
//! passphrase change) works there as it works in the real vault, and never
//! touches the real vault. After a duress unlock the keystore opens the
//! decoy, not the real vault, until the real passphrase is entered again.

mod common;

use common::*;
use waymark_core::Error;
use waymark_core::vault::{
    DocumentId, DocumentKind, KeystoreError, PlatformKeystore, RecoveryCode, Vault,
};

const DURESS: &str = "duress words here";

struct Keystore;

impl PlatformKeystore for Keystore {
    fn vault_secret(&self) -> Result<Vec<u8>, KeystoreError> {
        Ok(vec![42; 32])
    }
}

/// The ids the unlocked vault lists.
fn ids(vault: &Vault) -> Vec<DocumentId> {
    vault
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect()
}

/// A vault with one real document and a duress passphrase (no destruction)
/// whose decoy holds one document; locked.
fn vault_with_decoy(dir: &std::path::Path) -> (Vault, RecoveryCode, DocumentId, DocumentId) {
    let (vault, code) = new_vault(dir, &clock());
    let real = vault
        .add_document_bytes(meta(DocumentKind::Passport, "Real passport"), b"real")
        .unwrap();
    vault.set_duress_passphrase(DURESS, false).unwrap();
    vault.lock();
    vault.unlock(DURESS).unwrap();
    let decoy = vault
        .add_document_bytes(meta(DocumentKind::TravelTicket, "Bus ticket"), b"ticket")
        .unwrap();
    vault.lock();
    (vault, code, real, decoy)
}

#[test]
fn a_recovery_code_made_in_the_decoy_opens_the_decoy() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, real_code, real, decoy) = vault_with_decoy(dir.path());
    vault.unlock(DURESS).unwrap();
    let decoy_code = vault.regenerate_recovery_code().unwrap();
    vault.lock();

    vault
        .unlock_with_recovery_code(&decoy_code, "new decoy passphrase")
        .unwrap();
    assert_eq!(ids(&vault), vec![decoy]);
    vault.lock();
    vault.unlock("new decoy passphrase").unwrap();
    assert_eq!(ids(&vault), vec![decoy]);
    vault.lock();
    assert!(
        vault.unlock(DURESS).is_err(),
        "the decoy's passphrase changed"
    );

    // The real vault is untouched, and its own code still opens it.
    vault.unlock(PASS).unwrap();
    assert_eq!(ids(&vault), vec![real]);
    vault.lock();
    vault
        .unlock_with_recovery_code(&real_code, "new real passphrase")
        .unwrap();
    assert_eq!(ids(&vault), vec![real]);
    vault.lock();
    vault.unlock("new decoy passphrase").unwrap();
    assert_eq!(ids(&vault), vec![decoy]);
}

#[test]
fn a_duress_passphrase_set_in_the_decoy_opens_a_decoy_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _, real, decoy) = vault_with_decoy(dir.path());
    vault.unlock(DURESS).unwrap();
    assert!(matches!(
        vault.set_duress_passphrase(DURESS, false),
        Err(Error::InvalidInput(_))
    ));
    vault
        .set_duress_passphrase("decoy's duress", false)
        .unwrap();
    vault.lock();

    vault.unlock("decoy's duress").unwrap();
    assert!(ids(&vault).is_empty(), "a new, empty decoy");
    let inner = vault
        .add_document_bytes(meta(DocumentKind::Other, "Receipt"), b"receipt")
        .unwrap();
    vault.lock();
    vault.unlock(DURESS).unwrap();
    assert_eq!(ids(&vault), vec![decoy]);
    vault.lock();
    vault.unlock(PASS).unwrap();
    assert_eq!(ids(&vault), vec![real]);
    vault.lock();
    vault.unlock("decoy's duress").unwrap();
    assert_eq!(ids(&vault), vec![inner]);
    vault.lock();

    // Removed from the decoy, as from a real vault: its decoy and that
    // decoy's documents go, nothing else.
    vault.unlock(DURESS).unwrap();
    vault.remove_duress_passphrase().unwrap();
    vault.lock();
    assert!(vault.unlock("decoy's duress").is_err());
    vault.unlock(DURESS).unwrap();
    assert_eq!(ids(&vault), vec![decoy]);
    vault.lock();
    vault.unlock(PASS).unwrap();
    assert_eq!(ids(&vault), vec![real]);
    let rows: i64 = raw_db(vault.dir())
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 2, "the removed decoy's document is deleted");
}

#[test]
fn after_a_duress_unlock_the_keystore_opens_the_decoy_until_the_passphrase_is_entered() {
    // Keystore unlock enabled before the duress passphrase is set, and
    // after: the decoy gets keystore unlock either way.
    for enable_first in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) = new_vault(dir.path(), &clock());
        let real = vault
            .add_document_bytes(meta(DocumentKind::Passport, "Real passport"), b"real")
            .unwrap();
        if enable_first {
            vault.enable_keystore_unlock(&Keystore).unwrap();
        }
        vault.set_duress_passphrase(DURESS, false).unwrap();
        if !enable_first {
            vault.enable_keystore_unlock(&Keystore).unwrap();
        }
        vault.lock();
        vault.unlock_with_keystore(&Keystore).unwrap();
        assert_eq!(ids(&vault), vec![real]);
        vault.lock();

        // Forced to give the duress passphrase, then a fingerprint: the
        // fingerprint opens the decoy, as many times as asked.
        vault.unlock(DURESS).unwrap();
        let decoy = vault
            .add_document_bytes(meta(DocumentKind::Other, "Decoy"), b"decoy")
            .unwrap();
        vault.lock();
        for _ in 0..2 {
            vault.unlock_with_keystore(&Keystore).unwrap();
            assert_eq!(ids(&vault), vec![decoy], "enable_first: {enable_first}");
            vault.lock();
        }

        // The real passphrase, once entered, points the keystore back.
        vault.unlock(PASS).unwrap();
        vault.lock();
        vault.unlock_with_keystore(&Keystore).unwrap();
        assert_eq!(ids(&vault), vec![real]);
    }
}

#[test]
fn keystore_unlock_enabled_in_the_decoy_opens_the_decoy_and_never_the_real_vault() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _, real, decoy) = vault_with_decoy(dir.path());
    vault.unlock(DURESS).unwrap();
    vault.enable_keystore_unlock(&Keystore).unwrap();
    vault.lock();
    vault.unlock_with_keystore(&Keystore).unwrap();
    assert_eq!(ids(&vault), vec![decoy]);
    vault.lock();
    // The real vault never enabled it: after its passphrase, the keystore
    // opens nothing.
    vault.unlock(PASS).unwrap();
    assert_eq!(ids(&vault), vec![real]);
    vault.lock();
    assert!(matches!(
        vault.unlock_with_keystore(&Keystore),
        Err(Error::InvalidInput(_))
    ));
    // Disabled in the decoy, as in a real vault.
    vault.unlock(DURESS).unwrap();
    vault.disable_keystore_unlock().unwrap();
    vault.lock();
    assert!(vault.unlock_with_keystore(&Keystore).is_err());
}

#[test]
fn a_passphrase_change_in_the_decoy_changes_the_decoys_passphrase_only() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _, real, decoy) = vault_with_decoy(dir.path());
    vault.unlock(DURESS).unwrap();
    assert!(matches!(
        vault.change_passphrase(PASS, "whatever new"),
        Err(Error::WrongPassphrase { .. })
    ));
    vault.change_passphrase(DURESS, "changed duress").unwrap();
    vault.lock();
    vault.unlock("changed duress").unwrap();
    assert_eq!(ids(&vault), vec![decoy]);
    vault.lock();
    vault.unlock(PASS).unwrap();
    assert_eq!(ids(&vault), vec![real]);
}

/// Every row name of the key slots table with its length, and whether a
/// keystore slot exists.
fn shape(vault_dir: &std::path::Path) -> Vec<(String, i64)> {
    raw_db(vault_dir)
        .prepare("SELECT name, length(wrapped) FROM key_slots ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn the_files_do_not_tell_key_operations_in_the_decoy_from_those_in_the_real_vault() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    // In the real vault.
    let (a, _) = Vault::create(&dir.path().join("a"), PASS, options(&clock)).unwrap();
    a.set_duress_passphrase(DURESS, false).unwrap();
    a.regenerate_recovery_code().unwrap();
    a.enable_keystore_unlock(&Keystore).unwrap();
    a.change_passphrase(PASS, "second passphrase").unwrap();
    a.lock();
    // The same operations, in the decoy.
    let (b, _) = Vault::create(&dir.path().join("b"), PASS, options(&clock)).unwrap();
    b.set_duress_passphrase(DURESS, false).unwrap();
    b.lock();
    b.unlock(DURESS).unwrap();
    b.set_duress_passphrase("decoy's duress", false).unwrap();
    b.regenerate_recovery_code().unwrap();
    b.enable_keystore_unlock(&Keystore).unwrap();
    b.change_passphrase(DURESS, "second duress").unwrap();
    b.lock();
    assert_eq!(shape(a.dir()), shape(b.dir()));
    assert!(shape(a.dir()).iter().any(|(name, _)| name == "keystore"));
}

#[test]
fn decoys_nest_up_to_the_number_of_cells_each_with_its_own_way_in() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    // Vault 0 is the real one; vault k is vault k-1's decoy.
    let mut passphrases = vec![PASS.to_owned()];
    let mut documents = Vec::new();
    let mut codes = Vec::new();
    for level in 0..8 {
        documents.push(
            vault
                .add_document_bytes(meta(DocumentKind::Other, &format!("doc {level}")), b"x")
                .unwrap(),
        );
        codes.push(vault.regenerate_recovery_code().unwrap());
        let next = format!("passphrase of level {}", level + 1);
        if level == 7 {
            // Eight cells: the eighth vault has no free cell for a ninth.
            assert!(matches!(
                vault.set_duress_passphrase(&next, false),
                Err(Error::InvalidInput(_))
            ));
            break;
        }
        vault.set_duress_passphrase(&next, false).unwrap();
        vault.lock();
        vault.unlock(&next).unwrap();
        passphrases.push(next);
    }
    vault.lock();
    for (level, passphrase) in passphrases.iter().enumerate() {
        vault.unlock(passphrase).unwrap();
        assert_eq!(ids(&vault), vec![documents[level]], "level {level}");
        vault.lock();
        vault
            .unlock_with_recovery_code(&codes[level], passphrase)
            .unwrap();
        assert_eq!(ids(&vault), vec![documents[level]], "level {level}");
        vault.lock();
    }
}
