//! What the binding tests share: running the exported `async fn`s as the
//! apps' generated code does (poll, park until the waker fires), cheap
//! vault parameters, and a sink that keeps what it is given.

#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use waymark_ffi::document::KdfParams;

/// Cheap Argon2id for tests (a real vault uses the default, ~1 s).
pub const TEST_KDF: KdfParams = KdfParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

/// Polls `future` on this thread until it is ready, parking in between:
/// a foreign event loop in miniature.
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park_timeout(Duration::from_secs(1));
    }
}

/// A directory that goes when the test ends.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Keeps everything it is given, for the test to look at.
pub struct Kept<T>(pub Mutex<Vec<T>>);

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept(Mutex::new(Vec::new()))
    }
}

impl<T: Clone> Kept<T> {
    pub fn all(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }

    pub fn push(&self, t: T) {
        self.0.lock().unwrap().push(t);
    }

    /// Waits up to 10 s for `ready` to hold of what was kept.
    pub fn wait_for(&self, ready: impl Fn(&[T]) -> bool) -> Vec<T> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let all = self.all();
            if ready(&all) || std::time::Instant::now() > deadline {
                return all;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
