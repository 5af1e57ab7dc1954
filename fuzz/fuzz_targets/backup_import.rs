//! Backup import (core/src/backup): the archive inside the age file — the
//! manifest, each document's metadata and content — from the input. The
//! target encrypts the input to its own key (the fuzzer cannot forge age's
//! MACs) and imports it into a real vault. Any archive: an error that
//! leaves the vault as it was, or documents added; never a panic.
//!
//! With `WAYMARK_FUZZ_SEED_OUT=FILE` it also writes a real backup's archive
//! (two documents) to FILE, for `fuzz/make-seeds`.
#![no_main]

use std::io::{Read, Write};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waymark_core::backup::age::{Decryptor, Encryptor, Identity, Recipient, X25519Identity};
use waymark_core::backup::{self, BackupRecipients};
use waymark_core::vault::{DocumentKind, DocumentMetadata, Vault, VaultOptions};

struct Fixture {
    _dir: tempfile::TempDir,
    vault: Vault,
    key: X25519Identity,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn metadata(kind: DocumentKind, title: &str) -> DocumentMetadata {
    serde_json::from_value(
        serde_json::json!({ "kind": kind, "title": title, "mime_type": "application/pdf" }),
    )
    .expect("document metadata")
}

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let dir = waymark_fuzz::scratch_dir();
        let (vault, _) = Vault::create(
            &dir.path().join("vault"),
            "fuzzing passphrase",
            VaultOptions::for_tests(),
        )
        .expect("a vault");
        let key = X25519Identity::generate().unwrap();
        if let Some(out) = std::env::var_os("WAYMARK_FUZZ_SEED_OUT") {
            write_seed(&dir, &key, &out);
        }
        Fixture {
            _dir: dir,
            vault,
            key,
        }
    })
}

/// A real backup of two documents, decrypted: the seed archive.
fn write_seed(dir: &tempfile::TempDir, key: &X25519Identity, out: &std::ffi::OsStr) {
    let (vault, _) = Vault::create(
        &dir.path().join("seed-vault"),
        "fuzzing passphrase",
        VaultOptions::for_tests(),
    )
    .unwrap();
    vault
        .add_document(
            metadata(DocumentKind::Passport, "Passport"),
            &b"%PDF-1.4 scan"[..],
        )
        .unwrap();
    vault
        .add_document(metadata(DocumentKind::Other, "Letter"), &[7u8; 700][..])
        .unwrap();
    let mut file = Vec::new();
    backup::export(
        &vault,
        None,
        &BackupRecipients::keys(&[key.to_public()]),
        &mut file,
    )
    .unwrap();
    let mut plain = Vec::new();
    Decryptor::new(&file[..], &[Identity::X25519(key.clone())])
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    std::fs::write(out, plain).unwrap();
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let mut file = Vec::new();
    let mut age = Encryptor::new(&[Recipient::X25519(f.key.to_public())], &mut file).unwrap();
    age.write_all(data).unwrap();
    age.finish().unwrap();
    let before = f.vault.list_documents().unwrap().len();
    match backup::import(&f.vault, &file[..], &[Identity::X25519(f.key.clone())]) {
        Ok(summary) => {
            let after = f.vault.list_documents().unwrap().len();
            assert_eq!(
                after,
                before + summary.imported.len() + summary.kept_both.len()
            );
        }
        Err(_) => {
            let after = f.vault.list_documents().unwrap().len();
            assert_eq!(after, before, "a failed import changed the vault");
        }
    }
});
