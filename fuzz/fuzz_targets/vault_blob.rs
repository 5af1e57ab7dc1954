//! A vault document's encrypted content (its blob: STREAM chunks of
//! XChaCha20-Poly1305) replaced by the input, as a tampered or damaged
//! disk would, then read through the vault. Any blob but the real one: an
//! integrity error and no plaintext, never a panic. (The key slots and
//! records in vault.db are not fuzzed yet.)
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waymark_core::vault::{DocumentId, DocumentMetadata, Vault, VaultOptions};

struct Fixture {
    _dir: tempfile::TempDir,
    vault: Vault,
    id: DocumentId,
    blob: PathBuf,
    original: Vec<u8>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let dir = waymark_fuzz::scratch_dir();
        let home = dir.path().join("vault");
        let (vault, _) =
            Vault::create(&home, "fuzzing passphrase", VaultOptions::for_tests()).unwrap();
        let metadata: DocumentMetadata = serde_json::from_value(serde_json::json!({
            "kind": "passport", "title": "Passport", "mime_type": "application/pdf"
        }))
        .unwrap();
        let id = vault
            .add_document(metadata, &b"%PDF-1.4 a scanned passport page"[..])
            .unwrap();
        let blob = std::fs::read_dir(home.join("blobs"))
            .unwrap()
            .next()
            .expect("the document's blob")
            .unwrap()
            .path();
        let original = std::fs::read(&blob).unwrap();
        if let Some(out) = std::env::var_os("WAYMARK_FUZZ_SEED_OUT") {
            std::fs::write(out, &original).unwrap();
        }
        Fixture {
            _dir: dir,
            vault,
            id,
            blob,
            original,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    std::fs::write(&f.blob, data).unwrap();
    let mut out = Vec::new();
    let read = f.vault.read_document(&f.id, &mut out);
    if data != f.original {
        assert!(read.is_err(), "a tampered blob was read as the document");
    }
});
