import Foundation

/// One step of a sync as an `AsyncSequence` element: progress while it
/// runs, then the report once it has ended.
public enum SyncProgress: Sendable {
    /// Something happened: checking a publisher, bytes received, verifying,
    /// installing, a download left for later, a publisher done or failed.
    case event(SyncEvent)
    /// The sync ended; this is the last element. The report says, per
    /// publisher, what was installed, what waits and what failed.
    case finished(SyncReport)
}

extension ContentStore {
    /// Syncs every trusted publisher that has a repository URL, reporting
    /// progress to `progress`, and returns what it did.
    ///
    /// Unlike the generated `sync(network:listener:)`, this one stops when
    /// the calling `Task` is cancelled: the sync ends at its next chunk or
    /// step and this throws `CancellationError`. What was done stays
    /// consistent (the previous content remains searchable) and the next sync
    /// resumes an interrupted download. Cancelling also stops any other sync
    /// running on this store at the same moment.
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
    ///     event. Return quickly: hop to the main actor to update the UI.
    /// - Returns: What the sync did at each publisher. A publisher that
    ///   failed is in the report; the others go on.
    /// - Throws: `CancellationError` if the Task was cancelled,
    ///   ``WaymarkError`` otherwise (``WaymarkError/Cancelled`` when
    ///   ``ContentStore/cancelSync()`` stopped it).
    public func sync(
        on network: Network = .unmetered,
        progress: (@Sendable (SyncEvent) -> Void)? = nil
    ) async throws -> SyncReport {
        try await forwardingCancellation(to: { [self] in cancelSync() }) { flag in
            let listener = EventForwarder(flag: flag, cancel: { [self] in cancelSync() }) { event in
                progress?(event)
            }
            return try await sync(network: network, listener: listener)
        }
    }

    /// Syncs every trusted publisher, as an asynchronous sequence of
    /// progress events that ends with the report.
    ///
    /// The sync starts when the sequence is created. Stop iterating (or
    /// cancel the iterating Task) and the sync is cancelled; errors end the
    /// sequence by throwing (``WaymarkError``).
    ///
    /// ```swift
    /// for try await step in store.syncProgress() {
    ///     switch step {
    ///     case .event(.downloading(_, let pack, let received, let total)):
    ///         progressBar.update(pack, Double(received) / Double(total))
    ///     case .event:
    ///         break
    ///     case .finished(let report):
    ///         show(report)
    ///     }
    /// }
    /// ```
    ///
    /// Like any `AsyncThrowingStream`, the sequence just ends (without
    /// ``SyncProgress/finished(_:)``) when the iterating Task is cancelled.
    ///
    /// - Parameter network: The network the phone is on.
    public func syncProgress(on network: Network = .unmetered) -> AsyncThrowingStream<SyncProgress, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task { [self] in
                do {
                    let report = try await sync(on: network) { event in
                        continuation.yield(.event(event))
                    }
                    continuation.yield(.finished(report))
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
        try await forwardingCancellation(to: { [self] in cancelSync() }) { _ in
            try await planSync(network: network)
        }
    }
}

/// Forwards the Rust sync's events to a closure; at each event it re-sends
/// a cancellation that arrived before the sync had registered itself.
final class EventForwarder: SyncListener {
    private let flag: CancellationFlag
    private let cancel: @Sendable () -> Void
    private let handler: @Sendable (SyncEvent) -> Void

    init(
        flag: CancellationFlag,
        cancel: @escaping @Sendable () -> Void,
        handler: @escaping @Sendable (SyncEvent) -> Void
    ) {
        self.flag = flag
        self.cancel = cancel
        self.handler = handler
    }

    func onEvent(event: SyncEvent) throws {
        if flag.isRaised {
            cancel()
        }
        handler(event)
    }
}
