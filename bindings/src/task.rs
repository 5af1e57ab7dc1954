//! Running the core's blocking calls from async functions, and cancelling
//! them.
//!
//! The core is synchronous (SQLite, file I/O, and the app's HTTP transport
//! called from the syncing thread).
//! An exported `async fn` runs its core call on tokio's blocking pool
//! ([`blocking`]), so the app's main thread and coroutine dispatchers never
//! wait on disk, Argon2 or the network.
//!
//! Cancellation: when the app cancels the coroutine (Kotlin) awaiting a
//! call, uniffi drops the Rust future. A future that holds a
//! [`CancelGuard`] then trips the core's [`CancelToken`], and the blocking
//! work stops at its next check, leaving everything consistent. uniffi
//! 0.32's Swift code does not pass a Task's cancellation on (it awaits the
//! future uninterruptibly), so the Swift layer calls the explicit
//! `cancel…()` from a cancellation handler instead.
//! Work without a token in the core (a vault write, a pack install) runs to
//! its commit or rollback; the result is dropped.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use waymark_core::sync::CancelToken;

use crate::error::{Result, WaymarkError};

/// Runs `work` on the blocking pool and converts its error.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, waymark_core::Error> + Send + 'static,
{
    spawn_blocking(work).await?.map_err(WaymarkError::from)
}

/// Runs `work` (which converts its own errors) on the blocking pool.
pub(crate) async fn blocking_ffi<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    spawn_blocking(work).await?
}

/// A blocking call with its closure and result types erased.
type ErasedWork = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;

/// `tokio::task::spawn_blocking`, through one task type for every call:
/// tokio builds its task machinery (poll, join, drop) for each type it
/// spawns, and one per exported method cost about 45 KB of the native
/// library. A panic in `work` is still a `JoinError`.
async fn spawn_blocking<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let erased: ErasedWork = Box::new(move || Box::new(work()));
    let out = tokio::task::spawn_blocking(erased)
        .await
        .map_err(WaymarkError::from_join)?;
    Ok(*out
        .downcast::<T>()
        .expect("the erased work returns the type it was given"))
}

/// The cancel tokens of the operations in flight on one object, so that an
/// explicit `cancel…()` reaches all of them.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    next: AtomicU64,
    tokens: Mutex<HashMap<u64, CancelToken>>,
}

impl InFlight {
    /// Registers a new operation; its guard cancels it when dropped early
    /// and unregisters it in any case.
    pub(crate) fn start(&self) -> CancelGuard<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let token = CancelToken::new();
        self.lock().insert(id, token.clone());
        CancelGuard {
            owner: self,
            id,
            token,
            finished: false,
        }
    }

    /// Cancels every operation in flight.
    pub(crate) fn cancel_all(&self) {
        for token in self.lock().values() {
            token.cancel();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, CancelToken>> {
        // A map of flags cannot be left inconsistent by a panic.
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Held by an async operation for as long as it runs. Dropped before
/// [`CancelGuard::finish`] (the awaiting coroutine or task was cancelled and
/// uniffi dropped the future), it cancels the operation's token.
pub(crate) struct CancelGuard<'a> {
    owner: &'a InFlight,
    id: u64,
    token: CancelToken,
    finished: bool,
}

impl CancelGuard<'_> {
    /// The token to hand to the core.
    pub(crate) fn token(&self) -> CancelToken {
        self.token.clone()
    }

    /// The operation ended on its own: nothing to cancel.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.token.cancel();
        }
        self.owner.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_an_unfinished_guard_cancels_its_token_only() {
        let in_flight = InFlight::default();
        let first = in_flight.start();
        let second = in_flight.start();
        let (t1, t2) = (first.token(), second.token());
        drop(first);
        assert!(t1.is_cancelled());
        assert!(!t2.is_cancelled());
        second.finish();
        assert!(!t2.is_cancelled());
        assert!(in_flight.lock().is_empty());
    }

    #[test]
    fn cancel_all_reaches_every_operation_in_flight() {
        let in_flight = InFlight::default();
        let a = in_flight.start();
        let b = in_flight.start();
        in_flight.cancel_all();
        assert!(a.token().is_cancelled() && b.token().is_cancelled());
    }
}
