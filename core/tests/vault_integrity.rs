//! Tampering with stored ciphertext is always detected: reading fails with an
//! integrity error and never returns wrong data.

mod common;

use common::*;
use rusqlite::{Connection, params};
use waymark_core::Error;
use waymark_core::vault::{DocumentId, DocumentKind, Vault};

fn blob(db: &Connection, sql: &str, id: &DocumentId) -> Vec<u8> {
    db.query_row(sql, [id.as_bytes()], |r| r.get(0)).unwrap()
}

fn assert_integrity<T: std::fmt::Debug>(r: Result<T, Error>, what: &str) {
    match r {
        Err(Error::Integrity(_)) => {}
        other => panic!("{what}: expected an integrity error, got {other:?}"),
    }
}

fn setup() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    (dir, vault)
}

#[test]
fn flipping_any_byte_of_content_ciphertext_fails_reading() {
    let (_dir, vault) = setup();
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "P"), &[7u8; 300])
        .unwrap();
    let file = blob_path(vault.dir(), &id, 1);
    let original = std::fs::read(&file).unwrap();
    assert_eq!(original.len(), 300 + 16, "one chunk and its tag");
    for i in 0..original.len() {
        let mut bad = original.clone();
        bad[i] ^= 0x80;
        std::fs::write(&file, &bad).unwrap();
        assert_integrity(vault.read_document_bytes(&id), &format!("content byte {i}"));
    }
    std::fs::write(&file, &original[..original.len() - 1]).unwrap();
    assert_integrity(vault.read_document_bytes(&id), "one byte short");
    std::fs::write(&file, [original.as_slice(), b"x"].concat()).unwrap();
    assert_integrity(vault.read_document_bytes(&id), "one byte extra");
    std::fs::remove_file(&file).unwrap();
    assert_integrity(vault.read_document_bytes(&id), "file missing");
    std::fs::write(&file, &original).unwrap();
    assert_eq!(
        &vault.read_document_bytes(&id).unwrap()[..],
        &[7u8; 300][..]
    );
}

#[test]
fn flipping_any_byte_of_metadata_or_header_fails_reading() {
    let (_dir, vault) = setup();
    let id = vault
        .add_document_bytes(meta(DocumentKind::Visa, "V"), b"abc")
        .unwrap();
    let db = raw_db(vault.dir());
    for column in ["metadata", "header"] {
        let original = blob(
            &db,
            &format!("SELECT {column} FROM documents WHERE id = ?1"),
            &id,
        );
        for i in 0..original.len() {
            let mut bad = original.clone();
            bad[i] ^= 0x01;
            db.execute(
                &format!("UPDATE documents SET {column} = ?1 WHERE id = ?2"),
                params![bad, id.as_bytes()],
            )
            .unwrap();
            assert_integrity(
                vault.read_document_bytes(&id),
                &format!("{column} byte {i}"),
            );
            if column == "metadata" {
                assert_integrity(vault.list_documents(), "listing with bad metadata");
            }
        }
        db.execute(
            &format!("UPDATE documents SET {column} = ?1 WHERE id = ?2"),
            params![original, id.as_bytes()],
        )
        .unwrap();
    }
    // The content version is bound into the envelopes too.
    db.execute(
        "UPDATE documents SET version = 2 WHERE id = ?1",
        [id.as_bytes()],
    )
    .unwrap();
    assert_integrity(vault.read_document_bytes(&id), "version changed");
}

#[test]
fn swapping_two_documents_ciphertexts_is_detected() {
    let (_dir, vault) = setup();
    let a = vault
        .add_document_bytes(meta(DocumentKind::Passport, "A"), &[1u8; 100])
        .unwrap();
    let b = vault
        .add_document_bytes(meta(DocumentKind::Passport, "B"), &[2u8; 100])
        .unwrap();
    let db = raw_db(vault.dir());
    let swap_column = |column: &str| {
        let sql = format!("SELECT {column} FROM documents WHERE id = ?1");
        let (ca, cb) = (blob(&db, &sql, &a), blob(&db, &sql, &b));
        let upd = format!("UPDATE documents SET {column} = ?1 WHERE id = ?2");
        db.execute(&upd, params![cb, a.as_bytes()]).unwrap();
        db.execute(&upd, params![ca, b.as_bytes()]).unwrap();
    };
    let (fa, fb) = (blob_path(vault.dir(), &a, 1), blob_path(vault.dir(), &b, 1));
    let swap_files = || {
        let (ca, cb) = (std::fs::read(&fa).unwrap(), std::fs::read(&fb).unwrap());
        std::fs::write(&fa, cb).unwrap();
        std::fs::write(&fb, ca).unwrap();
    };

    swap_files();
    assert_integrity(vault.read_document_bytes(&a), "content swapped into a");
    assert_integrity(vault.read_document_bytes(&b), "content swapped into b");
    swap_files();

    swap_column("metadata");
    assert_integrity(vault.document(&a), "metadata swapped into a");
    swap_column("metadata");

    swap_column("header");
    assert_integrity(vault.read_document_bytes(&a), "header swapped into a");
    swap_column("header");

    // Content and header moved together are still bound to the other id.
    swap_files();
    swap_column("header");
    assert_integrity(vault.read_document_bytes(&a), "content and header swapped");
    swap_column("header");
    swap_files();

    assert_eq!(&vault.read_document_bytes(&a).unwrap()[..], &[1u8; 100][..]);
    assert_eq!(&vault.read_document_bytes(&b).unwrap()[..], &[2u8; 100][..]);
}

#[test]
fn truncating_or_reordering_chunks_is_detected() {
    const SEALED: usize = 65_536 + 16;
    let (dir, vault) = setup();
    let content: Vec<u8> = (0..3 * 65_536 + 10).map(|i| (i % 256) as u8).collect();
    let id = vault
        .add_document_bytes(meta(DocumentKind::Medical, "M"), &content)
        .unwrap();
    let file = blob_path(vault.dir(), &id, 1);
    let original = std::fs::read(&file).unwrap();
    assert_eq!(original.len(), 3 * SEALED + 10 + 16, "four chunks");
    let chunk = |i: usize| &original[i * SEALED..((i + 1) * SEALED).min(original.len())];

    let reordered = [chunk(1), chunk(0), chunk(2), chunk(3)].concat();
    std::fs::write(&file, reordered).unwrap();
    assert_integrity(vault.read_document_bytes(&id), "reordered");

    // Truncated at a chunk boundary: the last chunk is gone.
    std::fs::write(&file, &original[..3 * SEALED]).unwrap();
    assert_integrity(vault.read_document_bytes(&id), "last chunk dropped");
    // An export that fails leaves no file behind.
    let out = dir.path().join("out.bin");
    assert_integrity(vault.export_document(&id, &out), "export of truncated");
    assert!(!out.exists(), "no partial plaintext file");

    let middle_dropped = [chunk(0), chunk(2), chunk(3)].concat();
    std::fs::write(&file, middle_dropped).unwrap();
    assert_integrity(vault.read_document_bytes(&id), "middle chunk dropped");

    std::fs::write(&file, &original).unwrap();
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], &content[..]);
}

#[test]
fn a_document_copied_from_another_vault_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (a, _) = Vault::create(&dir.path().join("a"), PASS, options(&clock)).unwrap();
    let (b, _) = Vault::create(&dir.path().join("b"), PASS, options(&clock)).unwrap();
    let id = a
        .add_document_bytes(meta(DocumentKind::Other, "x"), b"secret")
        .unwrap();
    let dba = raw_db(a.dir());
    let dbb = raw_db(b.dir());
    let row: (Vec<u8>, Vec<u8>, i64, Vec<u8>, Vec<u8>) = dba
        .query_row(
            "SELECT id, owner, version, metadata, header FROM documents",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    dbb.execute(
        "INSERT INTO documents VALUES (?1, ?2, ?3, ?4, ?5)",
        params![row.0, row.1, row.2, row.3, row.4],
    )
    .unwrap();
    std::fs::create_dir_all(b.dir().join("blobs")).unwrap();
    std::fs::copy(blob_path(a.dir(), &id, 1), blob_path(b.dir(), &id, 1)).unwrap();
    assert!(
        b.list_documents().unwrap().is_empty(),
        "another vault's row is not ours"
    );
    assert!(matches!(
        b.read_document_bytes(&id),
        Err(Error::NotFound(_))
    ));
}
