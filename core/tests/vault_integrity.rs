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
    let db = raw_db(vault.dir());
    let original = blob(&db, "SELECT data FROM chunks WHERE doc_id = ?1", &id);
    for i in 0..original.len() {
        let mut bad = original.clone();
        bad[i] ^= 0x80;
        db.execute(
            "UPDATE chunks SET data = ?1 WHERE doc_id = ?2",
            params![bad, id.as_bytes()],
        )
        .unwrap();
        assert_integrity(vault.read_document_bytes(&id), &format!("content byte {i}"));
    }
    db.execute(
        "UPDATE chunks SET data = ?1 WHERE doc_id = ?2",
        params![original, id.as_bytes()],
    )
    .unwrap();
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
    let swap = |table: &str, column: &str, key: &str| {
        let sql = format!("SELECT {column} FROM {table} WHERE {key} = ?1");
        let (ca, cb) = (blob(&db, &sql, &a), blob(&db, &sql, &b));
        let upd = format!("UPDATE {table} SET {column} = ?1 WHERE {key} = ?2");
        db.execute(&upd, params![cb, a.as_bytes()]).unwrap();
        db.execute(&upd, params![ca, b.as_bytes()]).unwrap();
    };

    swap("chunks", "data", "doc_id");
    assert_integrity(vault.read_document_bytes(&a), "content swapped into a");
    assert_integrity(vault.read_document_bytes(&b), "content swapped into b");
    swap("chunks", "data", "doc_id");

    swap("documents", "metadata", "id");
    assert_integrity(vault.document(&a), "metadata swapped into a");
    swap("documents", "metadata", "id");

    swap("documents", "header", "id");
    assert_integrity(vault.read_document_bytes(&a), "header swapped into a");
    swap("documents", "header", "id");

    assert_eq!(&vault.read_document_bytes(&a).unwrap()[..], &[1u8; 100][..]);
    assert_eq!(&vault.read_document_bytes(&b).unwrap()[..], &[2u8; 100][..]);
}

#[test]
fn truncating_or_reordering_chunks_is_detected() {
    let (dir, vault) = setup();
    let content: Vec<u8> = (0..3 * 65_536 + 10).map(|i| (i % 256) as u8).collect();
    let id = vault
        .add_document_bytes(meta(DocumentKind::Medical, "M"), &content)
        .unwrap();
    let db = raw_db(vault.dir());
    let count: i64 = db
        .query_row("SELECT count(*) FROM chunks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 4);

    // Reorder: swap the data of chunks 0 and 1.
    let get = |idx: i64| -> Vec<u8> {
        db.query_row("SELECT data FROM chunks WHERE idx = ?1", [idx], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let set = |idx: i64, data: &[u8]| {
        db.execute(
            "UPDATE chunks SET data = ?1 WHERE idx = ?2",
            params![data, idx],
        )
        .unwrap();
    };
    let (c0, c1, c3) = (get(0), get(1), get(3));
    set(0, &c1);
    set(1, &c0);
    assert_integrity(vault.read_document_bytes(&id), "reordered");
    set(0, &c0);
    set(1, &c1);

    // Truncate at a chunk boundary: drop the last chunk.
    db.execute("DELETE FROM chunks WHERE idx = 3", []).unwrap();
    assert_integrity(vault.read_document_bytes(&id), "last chunk dropped");
    // An export that fails leaves no file behind.
    let out = dir.path().join("out.bin");
    assert_integrity(vault.export_document(&id, &out), "export of truncated");
    assert!(!out.exists(), "no partial plaintext file");

    // Drop a middle chunk instead.
    db.execute(
        "INSERT INTO chunks (doc_id, idx, data) VALUES (?1, 3, ?2)",
        params![id.as_bytes(), c3],
    )
    .unwrap();
    db.execute("DELETE FROM chunks WHERE idx = 1", []).unwrap();
    assert_integrity(vault.read_document_bytes(&id), "middle chunk dropped");
    db.execute(
        "INSERT INTO chunks (doc_id, idx, data) VALUES (?1, 1, ?2)",
        params![id.as_bytes(), c1],
    )
    .unwrap();
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
    assert!(
        b.list_documents().unwrap().is_empty(),
        "another vault's row is not ours"
    );
    assert!(matches!(
        b.read_document_bytes(&id),
        Err(Error::NotFound(_))
    ));
}
