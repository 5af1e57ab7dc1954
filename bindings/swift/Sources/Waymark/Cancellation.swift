import Foundation

// Swift Task cancellation does not reach Rust by itself: uniffi's Swift
// bindings await a Rust future through a plain (non-cancellable)
// continuation, so cancelling the awaiting Task leaves the future running to
// its end. The helper here hands the Rust call a `SyncCancellation` of its
// own and cancels it from the Task's cancellation handler.

/// Runs `operation` with a fresh ``SyncCancellation``, cancelled when the
/// current Task is cancelled while it runs (or already was).
///
/// The cancellation exists before the Rust call starts, so a Task
/// cancelled at any moment stops the call at its next step, and only that
/// call: other syncs on the same store go on. An operation of a cancelled
/// Task that ends with ``WaymarkError/cancelled`` is reported as
/// `CancellationError`, the way Swift concurrency reports cancellation.
func withSyncCancellation<T: Sendable>(
    _ operation: (SyncCancellation) async throws -> T
) async throws -> T {
    try Task.checkCancellation()
    let cancellation = SyncCancellation()
    do {
        return try await withTaskCancellationHandler {
            try await operation(cancellation)
        } onCancel: {
            cancellation.cancel()
        }
    } catch WaymarkError.cancelled where Task.isCancelled {
        // Not when `cancelSync()` stopped it: that stays `.cancelled`.
        throw CancellationError()
    }
}
