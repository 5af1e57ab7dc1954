//! A process killed in the middle of writing leaves the previous state
//! intact: the documents committed before still read, and no partial
//! document appears.
//!
//! The writer is this same test binary, started again as a child with
//! `WAYMARK_CRASH_CHILD` set, so that the kill is a real SIGKILL of a real
//! process holding the database open.

mod common;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use waymark_core::vault::{DocumentKind, Vault};

/// An endless source of bytes: the add never finishes on its own.
struct Endless;
impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        buf.fill(0xa5);
        Ok(buf.len())
    }
}

/// The child's part: opens the vault and starts an add that never ends.
#[test]
#[ignore = "run only as the child of killed_mid_write_leaves_the_previous_state"]
fn crash_child_writer() {
    let Some(dir) = std::env::var_os("WAYMARK_CRASH_CHILD") else {
        return;
    };
    let vault = Vault::open(&PathBuf::from(dir), options(&clock())).unwrap();
    vault.unlock(PASS).unwrap();
    let _ = vault.add_document(meta(DocumentKind::Other, "never finished"), Endless);
    unreachable!("the add is endless");
}

#[test]
fn killed_mid_write_leaves_the_previous_state() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "committed"), &content)
        .unwrap();
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "crash_child_writer", "--nocapture"])
        .env("WAYMARK_CRASH_CHILD", &vault_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the child has written a good deal of content.
    let written = || -> u64 {
        common::files_below(&vault_dir.join("blobs"))
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while written() < 4 * 1024 * 1024 {
        assert!(Instant::now() < deadline, "the child never started writing");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child exited early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no rollback, no flush
    child.wait().unwrap();

    assert_eq!(
        blob_count(&vault_dir),
        2,
        "the committed file and the killed writer's"
    );
    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();
    assert_eq!(
        blob_count(&vault_dir),
        1,
        "opening sweeps the killed writer's file"
    );
    vault.unlock(PASS).unwrap();
    let listed = vault.list_documents().unwrap();
    assert_eq!(listed.len(), 1, "no partial document");
    assert_eq!(listed[0].metadata.title, "committed");
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], &content[..]);
    // And the vault keeps working.
    let id2 = vault
        .add_document_bytes(meta(DocumentKind::Visa, "after"), b"after")
        .unwrap();
    assert_eq!(&vault.read_document_bytes(&id2).unwrap()[..], b"after");
}

#[test]
fn a_creation_killed_before_its_commit_can_be_redone() {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    std::fs::create_dir_all(&vault_dir).unwrap();
    // What a killed `create` leaves: the database file with its schema
    // (committed first, by the migration) and none of the rows.
    let (created, _) = Vault::create(&vault_dir, PASS, options(&clock())).unwrap();
    drop(created);
    raw_db(&vault_dir)
        .execute_batch(
            "DELETE FROM vault; DELETE FROM key_slots; DELETE FROM unlock_guard; DELETE FROM settings;",
        )
        .unwrap();
    assert!(matches!(
        Vault::open(&vault_dir, options(&clock())),
        Err(waymark_core::Error::NoVault)
    ));
    let (vault, _) = Vault::create(&vault_dir, PASS, options(&clock())).unwrap();
    assert!(vault.list_documents().unwrap().is_empty());
}
