//! The vault as the apps reach it: lock state heard through the listener
//! (the person, the auto-lock timer, a wipe), documents streamed from and
//! to the app, bad numbers refused, and the synchronous calls cheap.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{Kept, TEST_KDF, block_on, temp_dir};
use waymark_ffi::document::{DocumentKind, DocumentMetadata, KdfParams};
use waymark_ffi::error::{Result, WaymarkError};
use waymark_ffi::{
    DocumentSink, DocumentSource, LockReason, LockState, LockStateListener, Vault, create_vault,
};

const PASSPHRASE: &str = "correct horse battery";

fn new_vault(dir: &tempfile::TempDir) -> Arc<Vault> {
    block_on(create_vault(
        dir.path().join("vault").to_string_lossy().into_owned(),
        PASSPHRASE.into(),
        Some(TEST_KDF),
    ))
    .unwrap()
    .vault
}

fn metadata(title: &str) -> DocumentMetadata {
    DocumentMetadata {
        kind: DocumentKind::Other,
        title: title.into(),
        issuing_country: None,
        number: None,
        holder_name: None,
        issued_on: None,
        expires_on: None,
        notes: String::new(),
        tags: Vec::new(),
        mime_type: "application/pdf".into(),
    }
}

struct States(Arc<Kept<LockState>>);

impl LockStateListener for States {
    fn on_lock_state(&self, state: LockState) -> Result<()> {
        self.0.push(state);
        Ok(())
    }
}

fn listen(vault: &Vault) -> (i64, Arc<Kept<LockState>>) {
    let kept = Arc::new(Kept::default());
    let id = vault.add_lock_state_listener(Box::new(States(Arc::clone(&kept))));
    (id, kept)
}

fn locked(reason: LockReason) -> LockState {
    LockState::Locked { reason }
}

#[test]
fn the_listener_hears_the_auto_lock_timer_then_unlock_lock_and_wipe() {
    let dir = temp_dir();
    let vault = new_vault(&dir);
    let (_, states) = listen(&vault);
    block_on(Arc::clone(&vault).set_auto_lock(Duration::from_millis(200))).unwrap();
    // No call is made: the timer locks the vault on its own.
    let heard = states.wait_for(|s| s.len() >= 2);
    assert_eq!(heard, [LockState::Unlocked, locked(LockReason::AutoLock)]);
    assert_eq!(vault.lock_state(), locked(LockReason::AutoLock));

    block_on(Arc::clone(&vault).unlock(PASSPHRASE.into())).unwrap();
    block_on(Arc::clone(&vault).set_auto_lock(Duration::from_secs(600))).unwrap();
    vault.lock();
    block_on(Arc::clone(&vault).wipe()).unwrap();
    let heard = states.wait_for(|s| s.len() >= 5);
    assert_eq!(
        heard[2..],
        [
            LockState::Unlocked,
            locked(LockReason::User),
            locked(LockReason::Wiped)
        ]
    );
}

#[test]
fn a_removed_listener_hears_nothing_more() {
    let dir = temp_dir();
    let vault = new_vault(&dir);
    let (id, states) = listen(&vault);
    states.wait_for(|s| !s.is_empty());
    vault.remove_lock_state_listener(id);
    vault.remove_lock_state_listener(-1);
    vault.lock();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(states.all(), [LockState::Unlocked]);
}

/// A source that hands out `good` bytes, then fails with `error`.
struct Failing {
    good: Mutex<usize>,
    error: WaymarkError,
}

impl DocumentSource for Failing {
    fn read(&self, max_len: i32) -> Result<Vec<u8>> {
        let mut good = self.good.lock().unwrap();
        if *good == 0 {
            return Err(self.error.clone());
        }
        let n = (*good).min(max_len as usize);
        *good -= n;
        Ok(vec![1; n])
    }
}

#[test]
fn a_source_that_fails_part_way_stores_nothing_and_its_error_is_the_calls() {
    let dir = temp_dir();
    let vault = new_vault(&dir);
    let error = WaymarkError::InvalidInput {
        reason: "the picked file went away".into(),
    };
    let source = Failing {
        good: Mutex::new(3 * 65536 + 100),
        error: error.clone(),
    };
    let result =
        block_on(Arc::clone(&vault).add_document_from_source(metadata("Permit"), Box::new(source)));
    assert_eq!(result, Err(error));
    assert!(
        block_on(Arc::clone(&vault).list_documents())
            .unwrap()
            .is_empty()
    );
    let blobs = dir.path().join("vault/blobs");
    let left = std::fs::read_dir(&blobs).map_or(0, |d| d.count());
    assert_eq!(left, 0, "no content file left behind");
}

#[test]
fn replacing_from_a_failing_source_keeps_the_old_content() {
    let dir = temp_dir();
    let vault = new_vault(&dir);
    let id = block_on(Arc::clone(&vault).add_document(metadata("Permit"), b"old scan".to_vec()))
        .unwrap();
    let source = Failing {
        good: Mutex::new(10),
        error: WaymarkError::Internal {
            reason: "camera".into(),
        },
    };
    assert!(
        block_on(
            Arc::clone(&vault).replace_document_content_from_source(id.clone(), Box::new(source))
        )
        .is_err()
    );
    assert_eq!(
        block_on(Arc::clone(&vault).read_document(id)).unwrap(),
        b"old scan"
    );
}

#[test]
fn a_sink_that_fails_stops_the_read_with_its_error() {
    struct Full;
    impl DocumentSink for Full {
        fn write(&self, _: Vec<u8>) -> Result<()> {
            Err(WaymarkError::StorageFull)
        }
    }
    let dir = temp_dir();
    let vault = new_vault(&dir);
    let id = block_on(Arc::clone(&vault).add_document(metadata("Visa"), vec![9; 200_000])).unwrap();
    assert_eq!(
        block_on(Arc::clone(&vault).read_document_into(id, Box::new(Full))),
        Err(WaymarkError::StorageFull)
    );
}

#[test]
fn dropping_the_future_stops_a_streamed_add_and_stores_nothing() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    /// Endless, and says when it is first read.
    struct Endless(Arc<Kept<()>>);
    impl DocumentSource for Endless {
        fn read(&self, max_len: i32) -> Result<Vec<u8>> {
            self.0.push(());
            std::thread::sleep(Duration::from_millis(1));
            Ok(vec![0; max_len as usize])
        }
    }
    let dir = temp_dir();
    let vault = new_vault(&dir);
    let reads = Arc::new(Kept::default());
    let mut future = Box::pin(
        Arc::clone(&vault)
            .add_document_from_source(metadata("Endless"), Box::new(Endless(Arc::clone(&reads)))),
    );
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(future.as_mut().poll(&mut cx), Poll::Pending));
    reads.wait_for(|r| !r.is_empty());
    // The coroutine was cancelled: uniffi drops the future.
    drop(future);
    // The add gives up at its next chunk and releases the vault.
    let listed = block_on(Arc::clone(&vault).list_documents()).unwrap();
    assert!(listed.is_empty());
    let count = reads.all().len();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(reads.all().len(), count, "no read after the add stopped");
}

#[test]
fn negative_numbers_are_refused_and_nothing_changes() {
    let dir = temp_dir();
    let vault = new_vault(&dir);
    let e = block_on(Arc::clone(&vault).expiry_reminders(-1)).unwrap_err();
    assert!(
        matches!(e, WaymarkError::InvalidInput { ref reason } if reason.contains("negative")),
        "{e:?}"
    );
    let before = block_on(Arc::clone(&vault).settings()).unwrap();
    assert!(matches!(
        block_on(Arc::clone(&vault).set_wipe_after_failures(Some(-3))),
        Err(WaymarkError::InvalidInput { .. })
    ));
    assert_eq!(block_on(Arc::clone(&vault).settings()).unwrap(), before);
    let other = temp_dir();
    let bad_kdf = KdfParams {
        memory_kib: -64,
        ..TEST_KDF
    };
    assert!(matches!(
        block_on(create_vault(
            other.path().to_string_lossy().into_owned(),
            PASSPHRASE.into(),
            Some(bad_kdf)
        )),
        Err(WaymarkError::InvalidInput { .. })
    ));
    assert!(!block_on(waymark_ffi::vault_exists(
        other.path().to_string_lossy().into_owned()
    )));
}

/// The synchronous calls are documented as cheap: memory only. Their
/// time is printed here (a debug build; a phone's release build is faster
/// still), not asserted.
#[test]
fn the_synchronous_calls_answer_from_memory() {
    let dir = temp_dir();
    let vault = new_vault(&dir);
    let calls = 1000u32;
    let started = Instant::now();
    for _ in 0..calls {
        assert!(vault.is_unlocked());
        assert_eq!(vault.lock_state(), LockState::Unlocked);
        let _ = vault.kdf_params();
    }
    let each = started.elapsed() / (3 * calls);
    println!("is_unlocked, lock_state, kdf_params: {each:?} per call");
    let started = Instant::now();
    vault.lock();
    println!("lock: {:?}", started.elapsed());
    assert!(!vault.is_unlocked());
    assert_eq!(
        vault.lock_state(),
        LockState::Locked {
            reason: LockReason::User
        }
    );
}
