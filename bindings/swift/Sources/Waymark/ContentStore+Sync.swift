import Foundation

extension ContentStore {
    /// Syncs every trusted publisher that has a repository URL, reporting
    /// progress to `progress`, and returns what it did.
    ///
    /// Unlike the generated `syncWithCancellation(network:listener:cancellation:)`,
    /// this one stops when the calling `Task` is cancelled: the sync ends at
    /// its next chunk or step and this throws `CancellationError`. What was
    /// done stays consistent (the previous content remains searchable) and
    /// the next sync resumes an interrupted download. Other syncs on the
    /// store go on.
    ///
    /// ```swift
    /// let report = try await store.sync(on: .metered) { event in
    ///     Task { @MainActor in model.show(event) }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - network: The network the phone is on; on ``Network/metered``,
    ///     large downloads wait unless the sync settings allow them.
    ///   - progress: Called on the syncing thread, in order, for every
    ///     event, the last one ``SyncEvent/finished(report:)``. Return
    ///     quickly: hop to the main actor to update the UI.
    /// - Returns: What the sync did at each publisher. A publisher that
    ///   failed is in the report; the others go on.
    /// - Throws: `CancellationError` if the Task was cancelled,
    ///   ``WaymarkError`` otherwise (``WaymarkError/cancelled`` when
    ///   ``ContentStore/cancelSync()`` stopped it).
    public func sync(
        on network: Network = .unmetered,
        progress: (@Sendable (SyncEvent) -> Void)? = nil
    ) async throws -> SyncReport {
        try await withSyncCancellation { cancellation in
            try await syncWithCancellation(
                network: network, listener: progress.map(EventForwarder.init), cancellation: cancellation)
        }
    }

    /// Syncs every trusted publisher, as an asynchronous sequence of its
    /// progress events that ends with ``SyncEvent/finished(report:)``, the
    /// report.
    ///
    /// The sync starts when the sequence is created. Stop iterating (or
    /// cancel the iterating Task) and the sync is cancelled; errors end the
    /// sequence by throwing (``WaymarkError``).
    ///
    /// ```swift
    /// for try await event in store.syncProgress() {
    ///     switch event {
    ///     case .downloading(_, let pack, let received, let total):
    ///         progressBar.update(pack, Double(received) / Double(total))
    ///     case .finished(let report):
    ///         show(report)
    ///     default:
    ///         break
    ///     }
    /// }
    /// ```
    ///
    /// Like any `AsyncThrowingStream`, the sequence just ends (without
    /// ``SyncEvent/finished(report:)``) when the iterating Task is
    /// cancelled.
    ///
    /// - Parameter network: The network the phone is on.
    public func syncProgress(on network: Network = .unmetered) -> AsyncThrowingStream<SyncEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task { [self] in
                do {
                    // The last event, .finished, carries the report.
                    _ = try await sync(on: network) { event in
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            // Called when the sync finishes too, when cancelling is a no-op.
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Checks every trusted publisher and says what a sync would download,
    /// downloading no pack: show it before spending the person's data.
    ///
    /// Stops when the calling Task is cancelled (`CancellationError`).
    ///
    /// - Parameter network: The network the phone is on.
    public func syncPlan(on network: Network = .unmetered) async throws -> SyncPlan {
        try await withSyncCancellation { cancellation in
            try await planSyncWithCancellation(network: network, cancellation: cancellation)
        }
    }
}

/// Forwards the Rust sync's events to a closure.
final class EventForwarder: SyncListener {
    private let handler: @Sendable (SyncEvent) -> Void

    init(_ handler: @escaping @Sendable (SyncEvent) -> Void) {
        self.handler = handler
    }

    func onEvent(event: SyncEvent) throws {
        handler(event)
    }
}
