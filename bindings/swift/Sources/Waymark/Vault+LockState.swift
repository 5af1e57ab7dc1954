import Foundation

extension Vault {
    /// Every change of this vault's lock state, starting with the current
    /// one: unlocked, locked by the person (``LockReason/user``), by the
    /// auto-lock timer (``LockReason/autoLock``), by a wipe, or closed.
    ///
    /// Each stream registers a listener of its own, removed when the stream
    /// ends (the iterating Task is cancelled or the loop is left).
    ///
    /// ```swift
    /// for await state in vault.lockStates() {
    ///     if case .locked = state { await showUnlockScreen() }
    /// }
    /// ```
    public func lockStates() -> AsyncStream<LockState> {
        AsyncStream { continuation in
            let id = addLockStateListener(listener: LockStateForwarder { continuation.yield($0) })
            continuation.onTermination = { [weak self] _ in
                self?.removeLockStateListener(id: id)
            }
        }
    }
}

/// Forwards the vault's lock states to a closure (on the vault's thread).
final class LockStateForwarder: LockStateListener {
    private let handler: @Sendable (LockState) -> Void

    init(_ handler: @escaping @Sendable (LockState) -> Void) {
        self.handler = handler
    }

    func onLockState(state: LockState) throws {
        handler(state)
    }
}
