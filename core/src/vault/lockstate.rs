//! Lock state: whether the keys are in memory, why not, and the listeners
//! told when that changes (by the person, by the auto-lock timer, by a
//! wipe, by closing the handle).
//!
//! Changes are queued under the vault's lock as they happen and delivered,
//! in order, by the vault's watchdog thread (`autolock.rs`) with no lock
//! held: a listener may call the vault, and a slow listener delays only
//! other listeners, never a vault call. Only transitions are reported: a
//! `lock()` of a locked vault, or an unlock of an unlocked one (a duress
//! passphrase over the real one, say), reports nothing.

use std::sync::Arc;

use super::{Inner, Vault};

/// Why the vault is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockReason {
    /// Opened and not unlocked yet.
    Opened,
    /// [`Vault::lock`] was called.
    User,
    /// Idle for the auto-lock time ([`Vault::set_auto_lock`]).
    AutoLock,
    /// Wiped: by [`Vault::wipe`], or after too many failed attempts.
    /// Nothing is left to unlock.
    Wiped,
    /// The handle was closed (dropped).
    Closed,
}

/// Whether the vault's keys are in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockState {
    /// Unlocked: documents can be read and written.
    Unlocked,
    /// Locked, and why.
    Locked(LockReason),
}

/// Told of every change of a vault's [`LockState`].
///
/// Called on the vault's watchdog thread, in order, with no lock held:
/// return quickly. A listener may call the vault.
pub trait LockListener: Send + Sync {
    /// The vault's state is now `state`.
    fn on_lock_state(&self, state: LockState);
}

/// Names one registered listener, to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(pub u64);

/// The listeners of one vault, and the changes not yet delivered.
#[derive(Default)]
pub(super) struct Listeners {
    next: u64,
    registered: Vec<(ListenerId, Arc<dyn LockListener>)>,
    /// `(Some(id), state)`: for that listener only (its first state).
    pending: Vec<(Option<ListenerId>, LockState)>,
}

/// Changes to deliver, with the listeners to deliver them to.
pub(super) type Delivery = Vec<(Arc<dyn LockListener>, LockState)>;

impl Inner {
    /// The keys are gone, for `reason`.
    pub(super) fn forget_keys(&mut self, reason: LockReason) {
        self.session = None;
        self.report(LockState::Locked(reason));
    }

    /// Records a change of state for the listeners, if it is one: locked
    /// becoming unlocked and back, and, while locked, a wipe or a close.
    pub(super) fn report(&mut self, state: LockState) {
        let news = match (self.state, state) {
            (LockState::Unlocked, LockState::Unlocked) => false,
            (LockState::Locked(_), LockState::Unlocked) | (LockState::Unlocked, _) => true,
            (LockState::Locked(was), LockState::Locked(now)) => {
                was != now && matches!(now, LockReason::Wiped | LockReason::Closed)
            }
        };
        if news {
            self.state = state;
            if !self.listeners.registered.is_empty() {
                self.listeners.pending.push((None, state));
            }
        }
    }

    /// Takes the changes not yet delivered, each with its listeners.
    pub(super) fn take_delivery(&mut self) -> Delivery {
        let listeners = &mut self.listeners;
        let mut out = Vec::new();
        for (only, state) in listeners.pending.drain(..) {
            for (id, listener) in &listeners.registered {
                if only.is_none_or(|only| only == *id) {
                    out.push((Arc::clone(listener), state));
                }
            }
        }
        out
    }
}

impl Vault {
    /// Whether the keys are in memory, and why not.
    pub fn lock_state(&self) -> LockState {
        // Through is_unlocked: an idle vault locks now.
        self.is_unlocked();
        self.shared.lock().state
    }

    /// Registers `listener`: it is told the current state first, then every
    /// change, on the vault's watchdog thread. Without that thread
    /// (resource exhaustion) nothing is delivered.
    pub fn add_lock_listener(&self, listener: Arc<dyn LockListener>) -> ListenerId {
        self.is_unlocked();
        let mut inner = self.shared.lock();
        let id = ListenerId(inner.listeners.next);
        inner.listeners.next += 1;
        inner.listeners.registered.push((id, listener));
        let state = inner.state;
        inner.listeners.pending.push((Some(id), state));
        drop(inner);
        self.shared.wake.notify_all();
        id
    }

    /// Unregisters a listener. A change being delivered as it is removed
    /// may still reach it once. Unknown ids are ignored.
    pub fn remove_lock_listener(&self, id: ListenerId) {
        self.shared
            .lock()
            .listeners
            .registered
            .retain(|(other, _)| *other != id);
    }
}

/// Hands each change to its listener.
pub(super) fn deliver(delivery: Delivery) {
    for (listener, state) in delivery {
        listener.on_lock_state(state);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::mpsc::{Receiver, channel};
    use std::time::Duration;

    use super::*;
    use crate::vault::VaultOptions;

    struct Channel(Mutex<std::sync::mpsc::Sender<LockState>>);

    impl LockListener for Channel {
        fn on_lock_state(&self, state: LockState) {
            let _ = self.0.lock().unwrap().send(state);
        }
    }

    fn listen(vault: &Vault) -> (ListenerId, Receiver<LockState>) {
        let (tx, rx) = channel();
        (
            vault.add_lock_listener(Arc::new(Channel(Mutex::new(tx)))),
            rx,
        )
    }

    fn next(rx: &Receiver<LockState>) -> LockState {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("a lock state within 10 s")
    }

    fn nothing_more(rx: &Receiver<LockState>) {
        assert_eq!(rx.recv_timeout(Duration::from_millis(200)).ok(), None);
    }

    #[test]
    fn a_listener_hears_the_current_state_then_unlock_and_lock_by_the_user() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) =
            Vault::create(dir.path(), "pass phrase", VaultOptions::for_tests()).unwrap();
        drop(vault);
        let vault = Vault::open(dir.path(), VaultOptions::for_tests()).unwrap();
        let (_, rx) = listen(&vault);
        assert_eq!(next(&rx), LockState::Locked(LockReason::Opened));
        vault.unlock("pass phrase").unwrap();
        assert_eq!(next(&rx), LockState::Unlocked);
        vault.lock();
        assert_eq!(next(&rx), LockState::Locked(LockReason::User));
        vault.lock();
        assert!(vault.unlock("wrong phrase").is_err());
        nothing_more(&rx);
        assert_eq!(vault.lock_state(), LockState::Locked(LockReason::User));
    }

    #[test]
    fn the_auto_lock_timer_is_heard_without_any_call() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) =
            Vault::create(dir.path(), "pass phrase", VaultOptions::for_tests()).unwrap();
        vault.set_auto_lock(Duration::from_millis(150)).unwrap();
        let (_, rx) = listen(&vault);
        assert_eq!(next(&rx), LockState::Unlocked);
        assert_eq!(next(&rx), LockState::Locked(LockReason::AutoLock));
    }

    #[test]
    fn a_wipe_and_a_close_are_heard_even_when_locked() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) =
            Vault::create(dir.path(), "pass phrase", VaultOptions::for_tests()).unwrap();
        vault.lock();
        let (_, rx) = listen(&vault);
        assert_eq!(next(&rx), LockState::Locked(LockReason::User));
        vault.wipe().unwrap();
        assert_eq!(next(&rx), LockState::Locked(LockReason::Wiped));
        drop(vault);
        assert_eq!(next(&rx), LockState::Locked(LockReason::Closed));
    }

    #[test]
    fn a_wipe_after_too_many_failures_is_heard() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) =
            Vault::create(dir.path(), "pass phrase", VaultOptions::for_tests()).unwrap();
        vault.set_wipe_after_failures(Some(3)).unwrap();
        vault.lock();
        let (_, rx) = listen(&vault);
        assert_eq!(next(&rx), LockState::Locked(LockReason::User));
        for guess in ["one", "two", "three"] {
            assert!(vault.unlock(guess).is_err());
        }
        assert_eq!(next(&rx), LockState::Locked(LockReason::Wiped));
        assert!(!Vault::exists(dir.path()));
    }

    #[test]
    fn a_removed_listener_hears_nothing_more_and_others_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) =
            Vault::create(dir.path(), "pass phrase", VaultOptions::for_tests()).unwrap();
        let (first, rx1) = listen(&vault);
        let (_, rx2) = listen(&vault);
        assert_eq!(next(&rx1), LockState::Unlocked);
        assert_eq!(next(&rx2), LockState::Unlocked);
        nothing_more(&rx1);
        vault.remove_lock_listener(first);
        vault.lock();
        assert_eq!(next(&rx2), LockState::Locked(LockReason::User));
        nothing_more(&rx1);
    }

    #[test]
    fn a_listener_may_call_the_vault() {
        struct Relock(
            Arc<Mutex<Option<Arc<Vault>>>>,
            std::sync::mpsc::Sender<bool>,
        );
        impl LockListener for Relock {
            fn on_lock_state(&self, state: LockState) {
                if state == LockState::Unlocked
                    && let Some(vault) = self.0.lock().unwrap().as_ref()
                {
                    vault.lock();
                    let _ = self.1.send(vault.is_unlocked());
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) =
            Vault::create(dir.path(), "pass phrase", VaultOptions::for_tests()).unwrap();
        let vault = Arc::new(vault);
        let (tx, rx) = channel();
        let slot = Arc::new(Mutex::new(Some(Arc::clone(&vault))));
        vault.add_lock_listener(Arc::new(Relock(Arc::clone(&slot), tx)));
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(false));
        // Break the cycle (the listener holds the vault).
        slot.lock().unwrap().take();
    }
}
