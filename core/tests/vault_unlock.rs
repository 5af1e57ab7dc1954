//! Unlocking: passphrase, failure counting and delays, recovery code,
//! passphrase change, platform keystore, auto-lock.

mod common;

use std::time::Duration;

use common::*;
use rusqlite::Connection;
use waymark_core::Error;
use waymark_core::vault::{
    DocumentKind, KeystoreError, PlatformKeystore, RecoveryCode, Vault, retry_delay,
};

/// Every row of every table except the attempt counter, as text, and every
/// content file, so that "unchanged" can be asserted byte for byte.
fn snapshot(vault_dir: &std::path::Path) -> Vec<String> {
    let db: Connection = raw_db(vault_dir);
    let mut out = Vec::new();
    let mut files = common::files_below(&vault_dir.join("blobs"));
    files.sort();
    for f in files {
        out.push(format!("{}: {:?}", f.display(), std::fs::read(&f).unwrap()));
    }
    for table in ["vault", "key_slots", "settings", "documents"] {
        let mut stmt = db
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cols: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cols.join(" | ")))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

#[test]
fn wrong_passphrase_is_rejected_and_vault_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "P"), b"scan")
        .unwrap();
    vault.lock();
    let before = snapshot(vault.dir());

    match vault.unlock("not the passphrase") {
        Err(Error::WrongPassphrase {
            failed_attempts: 1,
            retry_after,
        }) => {
            assert_eq!(retry_after, Duration::ZERO)
        }
        other => panic!("expected WrongPassphrase, got {other:?}"),
    }
    assert!(!vault.is_unlocked());
    assert!(matches!(vault.read_document_bytes(&id), Err(Error::Locked)));
    assert_eq!(
        snapshot(vault.dir()),
        before,
        "a failed attempt changes nothing but the counter"
    );

    vault.unlock(PASS).unwrap();
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], b"scan");
}

#[test]
fn the_delay_grows_with_consecutive_failures_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    vault.lock();

    let mut delays = Vec::new();
    for attempt in 1..=7u32 {
        match vault.unlock("wrong") {
            Err(Error::WrongPassphrase {
                failed_attempts,
                retry_after,
            }) => {
                assert_eq!(failed_attempts, attempt);
                delays.push(retry_after);
                if !retry_after.is_zero() {
                    // Trying again before the delay is refused without even
                    // trying the passphrase, and is not counted.
                    match vault.unlock(PASS) {
                        Err(Error::Throttled { retry_after: left }) => {
                            assert_eq!(left, retry_after)
                        }
                        other => panic!("expected Throttled, got {other:?}"),
                    }
                    clock.advance(chrono::Duration::seconds(retry_after.as_secs() as i64 - 1));
                    assert!(matches!(vault.unlock(PASS), Err(Error::Throttled { .. })));
                    clock.advance(chrono::Duration::seconds(1));
                }
            }
            other => panic!("attempt {attempt}: expected WrongPassphrase, got {other:?}"),
        }
    }
    let secs: Vec<u64> = delays.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [0, 0, 0, 30, 60, 120, 240]);
    assert_eq!(
        retry_delay(100),
        Duration::from_secs(3600),
        "capped at an hour"
    );

    // One more failure, then a restart: the count and the delay persist.
    assert!(matches!(
        vault.unlock("wrong"),
        Err(Error::WrongPassphrase {
            failed_attempts: 8,
            ..
        })
    ));
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);
    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();
    match vault.unlock(PASS) {
        Err(Error::Throttled { retry_after }) => assert_eq!(retry_after, Duration::from_secs(480)),
        other => panic!("expected Throttled after restart, got {other:?}"),
    }

    // The right passphrase, once allowed, resets the count.
    clock.advance(chrono::Duration::seconds(480));
    vault.unlock(PASS).unwrap();
    vault.lock();
    assert!(matches!(
        vault.unlock("wrong"),
        Err(Error::WrongPassphrase {
            failed_attempts: 1,
            ..
        })
    ));
}

#[test]
fn wipe_after_n_failures_when_the_user_asked_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    vault
        .add_document_bytes(meta(DocumentKind::Passport, "P"), b"scan")
        .unwrap();
    assert!(matches!(
        vault.set_wipe_after_failures(Some(1)),
        Err(Error::InvalidInput(_))
    ));
    vault.set_wipe_after_failures(Some(4)).unwrap();
    assert_eq!(vault.settings().unwrap().wipe_after_failures, Some(4));
    vault.lock();
    for _ in 0..3 {
        assert!(matches!(
            vault.unlock("wrong"),
            Err(Error::WrongPassphrase { .. })
        ));
    }
    clock.advance(chrono::Duration::hours(1));
    assert!(Vault::exists(vault.dir()), "three failures are not enough");
    assert!(matches!(
        vault.unlock("wrong"),
        Err(Error::WrongPassphrase {
            failed_attempts: 4,
            ..
        })
    ));
    assert!(!Vault::exists(vault.dir()));
    assert!(matches!(vault.unlock(PASS), Err(Error::NoVault)));
    assert!(matches!(
        Vault::open(vault.dir(), options(&clock)),
        Err(Error::NoVault)
    ));
}

#[test]
fn the_recovery_code_restores_access_after_a_forgotten_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, code) = new_vault(dir.path(), &clock);
    let id = vault
        .add_document_bytes(meta(DocumentKind::BirthCertificate, "B"), b"birth")
        .unwrap();
    vault.lock();
    // Some failures first: recovery resets them.
    for _ in 0..4 {
        let _ = vault.unlock("forgotten?");
    }
    let typed = code.to_string().to_lowercase();
    let parsed = RecoveryCode::parse(&typed).unwrap();
    vault
        .unlock_with_recovery_code(&parsed, "brand new pass")
        .unwrap();
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], b"birth");

    vault.lock();
    assert!(matches!(
        vault.unlock(PASS),
        Err(Error::WrongPassphrase {
            failed_attempts: 1,
            ..
        })
    ));
    vault.unlock("brand new pass").unwrap();
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], b"birth");
}

#[test]
fn a_regenerated_recovery_code_revokes_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, old) = new_vault(dir.path(), &clock());
    let new = vault.regenerate_recovery_code().unwrap();
    assert_ne!(old.to_string(), new.to_string());
    vault.lock();
    match vault.unlock_with_recovery_code(&old, "another pass") {
        Err(Error::InvalidInput(reason)) => assert!(reason.contains("does not open"), "{reason}"),
        other => panic!("expected the old code to be refused, got {other:?}"),
    }
    assert!(!vault.is_unlocked());
    vault.unlock(PASS).expect("a refused code changes nothing");
    vault.lock();
    vault
        .unlock_with_recovery_code(&new, "another pass")
        .unwrap();
    assert!(vault.is_unlocked());
}

#[test]
fn every_document_still_reads_after_a_passphrase_change() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    let docs: Vec<_> = [10usize, 70_000, 200_000]
        .iter()
        .map(|&n| {
            let content: Vec<u8> = (0..n).map(|i| (i * 7 % 256) as u8).collect();
            (
                vault
                    .add_document_bytes(meta(DocumentKind::Other, "d"), &content)
                    .unwrap(),
                content,
            )
        })
        .collect();
    let content_files = || -> Vec<Vec<u8>> {
        let mut files = common::files_below(&vault.dir().join("blobs"));
        files.sort();
        files.iter().map(|f| std::fs::read(f).unwrap()).collect()
    };
    let before = content_files();

    assert!(matches!(
        vault.change_passphrase("wrong current", "new passphrase"),
        Err(Error::WrongPassphrase { .. })
    ));
    vault.change_passphrase(PASS, "new passphrase").unwrap();
    assert_eq!(before.len(), 3);
    assert_eq!(before, content_files(), "content is not re-encrypted");

    let vault_dir = vault.dir().to_path_buf();
    drop(vault);
    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();
    assert!(matches!(
        vault.unlock(PASS),
        Err(Error::WrongPassphrase { .. })
    ));
    vault.unlock("new passphrase").unwrap();
    for (id, content) in &docs {
        assert_eq!(&vault.read_document_bytes(id).unwrap()[..], &content[..]);
    }
}

#[test]
fn too_short_passphrases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    assert!(matches!(
        Vault::create(&dir.path().join("v"), "abc", options(&clock)),
        Err(Error::InvalidInput(_))
    ));
    assert!(!Vault::exists(&dir.path().join("v")));
    let (vault, _) = new_vault(dir.path(), &clock);
    assert!(matches!(
        vault.change_passphrase(PASS, "x"),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        Vault::create(vault.dir(), PASS, options(&clock)),
        Err(Error::VaultExists)
    ));
}

struct TestKeystore(Vec<u8>);
impl PlatformKeystore for TestKeystore {
    fn vault_secret(&self) -> Result<Vec<u8>, KeystoreError> {
        if self.0.is_empty() {
            return Err(KeystoreError {
                reason: "user cancelled".into(),
            });
        }
        Ok(self.0.clone())
    }
}

#[test]
fn the_platform_keystore_unlocks_when_enabled_and_only_with_its_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "P"), b"scan")
        .unwrap();
    let keystore = TestKeystore(vec![42; 32]);
    vault.lock();
    assert!(matches!(
        vault.unlock_with_keystore(&keystore),
        Err(Error::InvalidInput(_))
    ));

    vault.unlock(PASS).unwrap();
    assert!(matches!(
        vault.enable_keystore_unlock(&TestKeystore(vec![1; 31])),
        Err(Error::Keystore(_))
    ));
    vault.enable_keystore_unlock(&keystore).unwrap();
    vault.lock();
    assert!(matches!(
        vault.unlock_with_keystore(&TestKeystore(vec![43; 32])),
        Err(Error::Keystore(_))
    ));
    assert!(matches!(
        vault.unlock_with_keystore(&TestKeystore(vec![])),
        Err(Error::Keystore(_))
    ));
    assert!(!vault.is_unlocked());
    vault.unlock_with_keystore(&keystore).unwrap();
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], b"scan");

    vault.disable_keystore_unlock().unwrap();
    vault.lock();
    assert!(vault.unlock_with_keystore(&keystore).is_err());
}

#[test]
fn the_vault_locks_itself_after_the_idle_time() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    assert!(matches!(
        vault.set_auto_lock(Duration::from_millis(10)),
        Err(Error::InvalidInput(_))
    ));
    vault.set_auto_lock(Duration::from_millis(300)).unwrap();
    // Activity keeps it open.
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(120));
        vault.list_documents().unwrap();
    }
    std::thread::sleep(Duration::from_millis(700));
    assert!(matches!(vault.list_documents(), Err(Error::Locked)));
    assert!(!vault.is_unlocked());
    vault.unlock(PASS).unwrap();
    assert_eq!(
        vault.settings().unwrap().auto_lock,
        Duration::from_millis(300),
        "setting persists"
    );
}

/// Fails `n` times in a row, waiting out every delay but the last (time
/// really passes); returns the last delay, still running.
fn fail_times(vault: &Vault, clock: &waymark_core::clock::ManualClock, n: u32) -> Duration {
    let mut last = Duration::ZERO;
    for _ in 0..n {
        clock.advance(chrono::Duration::seconds(last.as_secs() as i64));
        match vault.unlock("wrong") {
            Err(Error::WrongPassphrase { retry_after, .. }) => last = retry_after,
            other => panic!("expected WrongPassphrase, got {other:?}"),
        }
    }
    last
}

#[test]
fn setting_the_clock_forward_skips_no_delay() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    vault.lock();
    for _ in 0..4 {
        let _ = vault.unlock("wrong");
    }
    // Ten guesses, the phone's clock moved a day forward before each.
    for _ in 0..10 {
        clock.set_wall_clock_by(chrono::Duration::days(1));
        match vault.unlock(PASS) {
            Err(Error::Throttled { retry_after }) => {
                assert!(retry_after <= Duration::from_secs(30), "{retry_after:?}")
            }
            other => panic!("the delay was skipped: {other:?}"),
        }
    }
    // Reopening the vault in the same process does not skip it either.
    let vault_dir = vault.dir().to_path_buf();
    drop(vault);
    let vault = Vault::open(&vault_dir, options(&clock)).unwrap();
    clock.set_wall_clock_by(chrono::Duration::days(1));
    assert!(matches!(vault.unlock(PASS), Err(Error::Throttled { .. })));
    // Thirty seconds that really pass end it.
    clock.advance(chrono::Duration::seconds(30));
    vault.unlock(PASS).unwrap();
}

#[test]
fn a_clock_set_forward_then_back_does_not_lock_the_owner_out() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    vault.lock();
    // Someone sets the clock a year ahead and fails until delays start...
    clock.set_wall_clock_by(chrono::Duration::days(365));
    let delay = fail_times(&vault, &clock, 6);
    assert_eq!(delay, Duration::from_secs(120));
    // ...and sets it back: the attempts were "made" a year from now.
    clock.set_wall_clock_by(chrono::Duration::days(-365));
    match vault.unlock(PASS) {
        Err(Error::Throttled { retry_after }) => assert!(retry_after <= delay, "{retry_after:?}"),
        other => panic!("expected Throttled, got {other:?}"),
    }
    // The owner waits the delay, no more.
    clock.advance(chrono::Duration::seconds(delay.as_secs() as i64));
    vault.unlock(PASS).unwrap();

    // The same, found by a process that did not see the failures (a copy
    // of the files read by a fresh vault handle): the delay counts from
    // when it is seen, at most its own length.
    vault.lock();
    clock.set_wall_clock_by(chrono::Duration::days(365));
    let delay = fail_times(&vault, &clock, 6);
    clock.set_wall_clock_by(chrono::Duration::days(-365));
    let copy = dir.path().join("copy");
    copy_database(vault.dir(), &copy);
    drop(vault);
    let fresh = Vault::open(&copy, options(&clock)).unwrap();
    match fresh.unlock(PASS) {
        Err(Error::Throttled { retry_after }) => assert!(retry_after <= delay, "{retry_after:?}"),
        other => panic!("expected Throttled, got {other:?}"),
    }
    clock.advance(chrono::Duration::seconds(delay.as_secs() as i64));
    // Even in yet another handle (no monotonic reading kept), the delay is
    // over: it was pulled back to when it was first seen.
    let again = dir.path().join("again");
    copy_database(fresh.dir(), &again);
    drop(fresh);
    Vault::open(&again, options(&clock))
        .unwrap()
        .unlock(PASS)
        .unwrap();
}

/// Copies a vault's database (with its WAL) to a new vault directory, as
/// another process would find it.
fn copy_database(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["vault.db", "vault.db-wal"] {
        if from.join(name).exists() {
            std::fs::copy(from.join(name), to.join(name)).unwrap();
        }
    }
}

/// "café crème brûlée" composed (NFC, as most keyboards type it) and
/// decomposed (NFD, as some type it: a letter, then its accent).
const COMPOSED: &str = "caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e";
const DECOMPOSED: &str = "cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e";

#[test]
fn a_passphrase_typed_composed_or_decomposed_opens_the_vault() {
    assert_ne!(COMPOSED, DECOMPOSED);
    for (chosen, typed) in [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)] {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let (vault, _) = Vault::create(&dir.path().join("v"), chosen, options(&clock)).unwrap();
        vault.lock();
        vault.unlock(typed).unwrap();
        vault.lock();
        vault.unlock(chosen).unwrap();

        // The same holds for a new passphrase, the current one asked again,
        // and a duress passphrase (which must differ in more than form).
        vault
            .change_passphrase(typed, &format!("{chosen} 2"))
            .unwrap();
        vault.lock();
        vault.unlock(&format!("{typed} 2")).unwrap();
        assert!(matches!(
            vault.set_duress_passphrase(&format!("{typed} 2"), false),
            Err(Error::InvalidInput(_))
        ));
        vault
            .set_duress_passphrase(&format!("{chosen} duress"), false)
            .unwrap();
        vault.lock();
        vault.unlock(&format!("{typed} duress")).unwrap();
        assert!(vault.list_documents().unwrap().is_empty());
    }
}
