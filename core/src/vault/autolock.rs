//! Auto-lock: the keys are forgotten after the idle time, by a watchdog
//! thread that wakes when the time is up (so the keys do not wait in memory
//! for the next call), and lazily at the next call if there is no thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::lockstate::deliver;
use super::{Inner, LockReason, Shared, Vault};
use crate::error::{Error, Result};

/// Auto-lock idle time of a new vault.
pub const DEFAULT_AUTO_LOCK: Duration = Duration::from_secs(5 * 60);
/// Shortest auto-lock idle time accepted.
pub const MIN_AUTO_LOCK: Duration = Duration::from_millis(100);
/// Longest auto-lock idle time accepted.
pub const MAX_AUTO_LOCK: Duration = Duration::from_secs(24 * 60 * 60);

impl Vault {
    /// Locks the vault after `idle` without use (100 ms to 24 h).
    pub fn set_auto_lock(&self, idle: Duration) -> Result<()> {
        if !(MIN_AUTO_LOCK..=MAX_AUTO_LOCK).contains(&idle) {
            return Err(Error::invalid(
                "auto-lock must be between 100 ms and 24 hours",
            ));
        }
        self.with_session(|conn, _| {
            conn.execute(
                "UPDATE settings SET auto_lock_ms = ?1 WHERE id = 1",
                [duration_ms(idle)],
            )?;
            Ok(())
        })?;
        self.shared.lock().auto_lock = idle;
        self.shared.wake.notify_all();
        Ok(())
    }

    /// Counts as activity: the idle time starts again.
    pub(super) fn touch(&self) {
        self.shared.lock().last_activity = Instant::now();
        self.shared.wake.notify_all();
    }
}

/// A duration as the settings table stores it, in milliseconds.
pub(super) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Forgets the keys if the vault has been idle for the auto-lock time;
/// true if it did.
pub(super) fn expire_if_idle(inner: &mut Inner) -> bool {
    let expired = inner.session.is_some() && inner.last_activity.elapsed() >= inner.auto_lock;
    if expired {
        inner.forget_keys(LockReason::AutoLock);
    }
    expired
}

/// Locks the vault when it has been idle for the auto-lock time, even if no
/// call comes in: the keys do not wait in memory for the next call. The
/// same thread tells the lock listeners of every change, with the lock
/// released (`lockstate.rs`).
pub(super) fn spawn_watchdog(shared: Arc<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("waymark-autolock".into())
        .spawn(move || {
            let mut inner = shared.lock();
            loop {
                expire_if_idle(&mut inner);
                let delivery = inner.take_delivery();
                if !delivery.is_empty() {
                    drop(inner);
                    deliver(delivery);
                    inner = shared.lock();
                    continue;
                }
                if inner.closed {
                    return;
                }
                inner = if inner.session.is_some() {
                    let left = inner
                        .auto_lock
                        .saturating_sub(inner.last_activity.elapsed());
                    shared
                        .wake
                        .wait_timeout(inner, left.max(Duration::from_millis(10)))
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                } else {
                    shared.wake.wait(inner).unwrap_or_else(|p| p.into_inner())
                };
            }
        });
    // Without a thread (resource exhaustion) auto-lock still happens lazily
    // at the next call.
    drop(spawned);
}
