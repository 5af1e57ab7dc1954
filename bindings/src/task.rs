//! Running the core's blocking calls from async functions, and cancelling
//! them.
//!
//! The core is synchronous (SQLite, file I/O, Argon2, and the app's HTTP
//! transport called from the syncing thread). Every exported call that
//! touches the disk or derives a key is an `async fn` (Kotlin `suspend`,
//! Swift `async`) that hands its core call to a small pool of worker
//! threads (`blocking`) and completes when the worker is done, so the
//! app's main thread and its coroutine dispatchers never wait on disk,
//! Argon2 or the network.
//!
//! The pool is Waymark's own rather than tokio's blocking pool: uniffi's
//! foreign side drives the futures (it polls, and our waker calls its
//! continuation back), so no executor is needed, and one future type for
//! every call keeps each exported `async fn` to a few hundred bytes of the
//! native library instead of the ~2 KB tokio's task machinery and
//! `async_compat` cost per function. Workers are started on demand and end
//! after [`IDLE_WORKER_LIFETIME`] without work.
//!
//! Cancellation: when the app cancels the coroutine (Kotlin) awaiting a
//! call, uniffi drops the Rust future. A future that holds a
//! `CancelGuard` then trips the core's [`CancelToken`], and the blocking
//! work stops at its next check, leaving everything consistent. uniffi
//! 0.32's Swift code does not pass a Task's cancellation on (it awaits the
//! future uninterruptibly), so the Swift layer cancels through a
//! [`crate::sync::SyncCancellation`] it passes in, from a cancellation
//! handler. Work without a token in the core (a vault write, a pack
//! install) runs to its commit or rollback; the result is dropped.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use waymark_core::sync::CancelToken;

use crate::error::{Result, WaymarkError};

/// How long a worker thread with nothing to do waits before it ends.
pub const IDLE_WORKER_LIFETIME: Duration = Duration::from_secs(20);

/// Runs `work` (a core call) on a worker thread; the future completes with
/// its result, the core's error converted.
pub(crate) fn blocking<T, F>(work: F) -> Blocking<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, waymark_core::Error> + Send + 'static,
{
    submit(Box::new(move || {
        Box::new(work().map_err(WaymarkError::from)) as Box<dyn Any + Send>
    }))
}

/// Runs `work` (which converts its own errors) on a worker thread.
pub(crate) fn blocking_ffi<T, F>(work: F) -> Blocking<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    submit(Box::new(move || Box::new(work()) as Box<dyn Any + Send>))
}

/// A blocking call with its closure and result types erased: one type for
/// every call, so the pool and the completion are compiled once.
type Job = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;

/// What a job produced: its boxed `Result<T>`, or the panic that ended it.
type Outcome = std::thread::Result<Box<dyn Any + Send>>;

/// Where a worker leaves a job's outcome for the future awaiting it.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
}

#[derive(Default)]
enum SlotState {
    /// Still running; the waker of the last poll.
    #[default]
    Running,
    Waiting(Waker),
    Done(Outcome),
    /// The outcome was handed to the future.
    Taken,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        // A state cannot be left half-written by a panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn complete(&self, outcome: Outcome) {
        let previous = std::mem::replace(&mut *self.lock(), SlotState::Done(outcome));
        if let SlotState::Waiting(waker) = previous {
            waker.wake();
        }
    }

    /// Not generic: the one poll of every call.
    fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<Box<dyn Any + Send>>> {
        let mut state = self.lock();
        match std::mem::take(&mut *state) {
            SlotState::Done(outcome) => {
                *state = SlotState::Taken;
                Poll::Ready(outcome.map_err(|_| WaymarkError::Internal {
                    reason: "an internal operation panicked".into(),
                }))
            }
            SlotState::Taken => Poll::Ready(Err(WaymarkError::Internal {
                reason: "an internal operation was polled after it completed".into(),
            })),
            SlotState::Running | SlotState::Waiting(_) => {
                *state = SlotState::Waiting(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A core call running on a worker thread. Dropping it (the awaiting
/// coroutine was cancelled) does not stop the call; its result is dropped.
pub(crate) struct Blocking<T> {
    slot: Arc<Slot>,
    result: PhantomData<fn() -> T>,
}

impl<T: 'static> Future for Blocking<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        self.slot.poll(cx).map(|outcome| {
            *outcome?
                .downcast::<Result<T>>()
                .expect("a job returns the type it was submitted with")
        })
    }
}

/// The worker threads and the jobs waiting for one.
struct Pool {
    queue: Mutex<Queue>,
    work: Condvar,
}

struct Queue {
    jobs: VecDeque<(Job, Arc<Slot>)>,
    /// Workers waiting for a job.
    idle: usize,
    /// Workers alive.
    workers: usize,
}

static POOL: Pool = Pool {
    queue: Mutex::new(Queue {
        jobs: VecDeque::new(),
        idle: 0,
        workers: 0,
    }),
    work: Condvar::new(),
};

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Jobs run outside the lock; a queue cannot be left inconsistent.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn submit<T>(job: Job) -> Blocking<T> {
    let slot = Arc::new(Slot::default());
    enqueue(job, Arc::clone(&slot));
    Blocking {
        slot,
        result: PhantomData,
    }
}

/// Queues a job and makes sure a worker will take it: an idle one if
/// there is one for every queued job, else a new one.
fn enqueue(job: Job, slot: Arc<Slot>) {
    let mut queue = POOL.lock();
    queue.jobs.push_back((job, slot));
    if queue.jobs.len() <= queue.idle {
        POOL.work.notify_one();
        return;
    }
    queue.workers += 1;
    drop(queue);
    let spawned = std::thread::Builder::new()
        .name("waymark-worker".into())
        .spawn(work);
    if spawned.is_err() {
        // No thread to be had (resource exhaustion): the workers alive
        // take the job in turn; with none, it runs here rather than never.
        let mut queue = POOL.lock();
        queue.workers -= 1;
        if queue.workers == 0
            && let Some((job, slot)) = queue.jobs.pop_front()
        {
            drop(queue);
            run(job, &slot);
        }
    }
}

/// A worker: takes jobs until none came for [`IDLE_WORKER_LIFETIME`].
fn work() {
    let mut queue = POOL.lock();
    loop {
        if let Some((job, slot)) = queue.jobs.pop_front() {
            drop(queue);
            run(job, &slot);
            queue = POOL.lock();
            continue;
        }
        queue.idle += 1;
        let (guard, wait) = POOL
            .work
            .wait_timeout(queue, IDLE_WORKER_LIFETIME)
            .unwrap_or_else(|p| p.into_inner());
        queue = guard;
        queue.idle -= 1;
        if wait.timed_out() && queue.jobs.is_empty() {
            queue.workers -= 1;
            return;
        }
    }
}

fn run(job: Job, slot: &Slot) {
    // In builds that unwind (tests, debug), a panic in the core becomes
    // the call's `Internal` error, never a worker lost. The shipped
    // library (`release-ffi`) aborts on a panic instead (Cargo.toml).
    slot.complete(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)));
}

/// Held by an async call that passes a [`CancelToken`] to its work: dropped
/// before [`CancelOnDrop::finish`] (uniffi dropped the future because the
/// awaiting coroutine was cancelled), it cancels the token, and the work
/// stops at its next check.
#[derive(Default)]
pub(crate) struct CancelOnDrop {
    token: CancelToken,
    finished: bool,
}

impl CancelOnDrop {
    /// A guard over `token` (one the caller can also cancel), or a new one.
    pub(crate) fn with(token: Option<CancelToken>) -> Self {
        CancelOnDrop {
            token: token.unwrap_or_default(),
            finished: false,
        }
    }

    /// The token to hand to the work.
    pub(crate) fn token(&self) -> CancelToken {
        self.token.clone()
    }

    /// The call ended on its own.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.finished {
            self.token.cancel();
        }
    }
}

/// The cancel tokens of the operations in flight on one object, so that an
/// explicit `cancel…()` reaches all of them.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    next: AtomicU64,
    tokens: Mutex<HashMap<u64, CancelToken>>,
}

impl InFlight {
    /// Registers an operation with its `token` (which the caller may cancel
    /// too); the guard cancels it when dropped early and unregisters it in
    /// any case.
    pub(crate) fn start_with(&self, token: CancelToken) -> CancelGuard<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
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

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, CancelToken>> {
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
    use std::sync::mpsc;
    use std::task::Wake;

    use super::*;

    /// Polls `future` on this thread until it is ready (a foreign
    /// language's event loop, in miniature).
    fn wait<F: Future>(future: F) -> F::Output {
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
            std::thread::park_timeout(Duration::from_secs(5));
        }
    }

    #[test]
    fn a_blocking_call_runs_on_a_worker_thread_and_returns_its_value() {
        let caller = std::thread::current().id();
        let (thread, name) = wait(blocking_ffi(move || {
            let me = std::thread::current();
            Ok((me.id(), me.name().map(str::to_owned)))
        }))
        .unwrap();
        assert_ne!(thread, caller);
        assert_eq!(name.as_deref(), Some("waymark-worker"));
    }

    #[test]
    fn a_core_error_is_converted_and_a_panic_is_an_internal_error() {
        let e = wait(blocking::<(), _>(|| Err(waymark_core::Error::Locked))).unwrap_err();
        assert_eq!(e, WaymarkError::Locked);
        let e = wait(blocking_ffi::<(), _>(|| panic!("a bug"))).unwrap_err();
        assert!(matches!(e, WaymarkError::Internal { .. }), "{e:?}");
    }

    #[test]
    fn calls_in_flight_together_run_on_threads_of_their_own() {
        // Four calls that each wait for all four to have started: they
        // finish only if none waits behind another.
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let calls: Vec<_> = (0..4)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                blocking_ffi(move || {
                    barrier.wait();
                    Ok(i)
                })
            })
            .collect();
        let (tx, rx) = mpsc::channel();
        for call in calls {
            let tx = tx.clone();
            std::thread::spawn(move || tx.send(wait(call)).unwrap());
        }
        let mut done: Vec<i32> = (0..4)
            .map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap().unwrap())
            .collect();
        done.sort();
        assert_eq!(done, [0, 1, 2, 3]);
    }

    #[test]
    fn dropping_an_unfinished_guard_cancels_its_token_only() {
        let in_flight = InFlight::default();
        let first = in_flight.start_with(CancelToken::new());
        let second = in_flight.start_with(CancelToken::new());
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
        let a = in_flight.start_with(CancelToken::new());
        let b = in_flight.start_with(CancelToken::new());
        in_flight.cancel_all();
        assert!(a.token().is_cancelled() && b.token().is_cancelled());
    }
}
