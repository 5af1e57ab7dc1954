import Foundation

// Swift Task cancellation does not reach Rust by itself: uniffi's Swift
// bindings await a Rust future through a plain (non-cancellable)
// continuation, so cancelling the awaiting Task leaves the future running to
// its end. The helpers here forward a Task's cancellation to the explicit
// cancel call the Rust side offers (`ContentStore.cancelSync()`).

/// A flag set once, readable from any thread.
final class CancellationFlag: @unchecked Sendable {
    // All access happens with `lock` held.
    private let lock = NSLock()
    private var raised = false

    func raise() {
        lock.lock()
        raised = true
        lock.unlock()
    }

    var isRaised: Bool {
        lock.lock()
        defer { lock.unlock() }
        return raised
    }
}

/// Runs `operation`, calling `cancel` when the current Task is cancelled
/// while it runs.
///
/// `cancel` may run before the Rust operation has registered itself (the
/// Task was cancelled just as it started), when it reaches nothing; so the
/// flag is also handed to `operation`, which calls `cancel` again at its
/// first checkpoint (a progress event) if the flag is up. A cancelled
/// operation that ends with ``WaymarkError/Cancelled`` is reported as
/// `CancellationError`, the way Swift concurrency reports cancellation.
func forwardingCancellation<T: Sendable>(
    to cancel: @escaping @Sendable () -> Void,
    _ operation: (CancellationFlag) async throws -> T
) async throws -> T {
    try Task.checkCancellation()
    let flag = CancellationFlag()
    do {
        return try await withTaskCancellationHandler {
            try await operation(flag)
        } onCancel: {
            flag.raise()
            cancel()
        }
    } catch WaymarkError.Cancelled where flag.isRaised {
        throw CancellationError()
    }
}
