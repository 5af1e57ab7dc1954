//! Erasure from the database's write-ahead log: after a deletion, a duress
//! destruction or a key change, the old pages must leave the log, and the
//! vault must not claim they have while a reader keeps them there.

mod common;

use std::time::{Duration, Instant};

use common::*;
use waymark_core::Error;
use waymark_core::vault::{DocumentKind, Vault};

const DURESS: &str = "duress words here";

/// Length of the vault's write-ahead log (0 when emptied or absent).
fn wal_len(vault_dir: &std::path::Path) -> u64 {
    std::fs::metadata(vault_dir.join("vault.db-wal")).map_or(0, |m| m.len())
}

/// A second connection in the middle of a read transaction: it holds a
/// snapshot of the log, so the log cannot be emptied until it ends.
fn reader(vault_dir: &std::path::Path) -> rusqlite::Connection {
    let conn = raw_db(vault_dir);
    conn.execute_batch("BEGIN").unwrap();
    let _: i64 = conn
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    conn
}

#[test]
fn a_deletion_is_not_reported_erased_while_a_reader_keeps_old_pages_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "ERASE-TITLE-CANARY"), b"scan")
        .unwrap();
    let held = reader(vault.dir());

    let started = Instant::now();
    let result = vault.delete_document(&id);
    match result {
        Err(Error::Sqlite(e)) => {
            assert_eq!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy),
                "{e}"
            );
            assert!(e.to_string().contains("not yet erased"), "{e}");
        }
        other => panic!("expected a report that the log is still held, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the retries are bounded"
    );
    // The deletion itself is committed.
    assert!(matches!(
        vault.read_document_bytes(&id),
        Err(Error::NotFound(_))
    ));
    assert!(wal_len(vault.dir()) > 0, "the reader still holds the log");

    drop(held);
    vault
        .add_document_bytes(meta(DocumentKind::Other, "another"), b"x")
        .unwrap();
    let other = vault.list_documents().unwrap()[0].id;
    vault.delete_document(&other).unwrap();
    assert_eq!(wal_len(vault.dir()), 0, "once free, the log is emptied");
}

#[test]
fn a_deletion_waits_out_a_short_reader_and_then_empties_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "P"), b"scan")
        .unwrap();
    let held = reader(vault.dir());
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        held.execute_batch("COMMIT").unwrap();
        drop(held);
    });
    vault.delete_document(&id).unwrap();
    releaser.join().unwrap();
    assert_eq!(wal_len(vault.dir()), 0);
}

#[test]
fn a_duress_destruction_blocked_by_a_reader_still_opens_the_decoy_and_erases_later() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    vault
        .add_document_bytes(meta(DocumentKind::Passport, "REAL-CANARY"), b"real")
        .unwrap();
    vault.set_duress_passphrase(DURESS, true).unwrap();
    vault.lock();
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);
    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();

    let held = reader(&vault_dir);
    // The decoy opens as it would without the reader: nothing tells.
    vault.unlock(DURESS).unwrap();
    assert!(vault.list_documents().unwrap().is_empty());
    assert!(wal_len(&vault_dir) > 0, "the reader still holds the log");
    drop(held);
    // The erasure is retried at the next call.
    vault.list_documents().unwrap();
    assert_eq!(wal_len(&vault_dir), 0);
}
