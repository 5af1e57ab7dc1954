import Foundation
import Observation
import Waymark

/// Whether a sync may start on this network without asking.
public enum SyncDecision: Sendable, Equatable {
    /// No network: nothing to do but say so.
    case offline
    /// Everything is up to date: nothing to download.
    case nothingToDownload
    /// Start: an unmetered network, or within the metered budget.
    case proceed
    /// On a metered network the plan costs more than the budget: ask the
    /// person (all of it, or only what fits).
    case askFirst(totalBytes: Int64, budgetBytes: Int64)

    /// The decision for a plan of `totalBytes` on `network` with a budget
    /// of `budgetBytes` per sync on metered networks.
    public static func decide(totalBytes: Int64, network: NetworkKind, budgetBytes: Int64) -> SyncDecision {
        switch network {
        case .offline: return .offline
        case _ where totalBytes <= 0: return .nothingToDownload
        case .unmetered: return .proceed
        case .metered: return totalBytes <= budgetBytes ? .proceed : .askFirst(totalBytes: totalBytes, budgetBytes: budgetBytes)
        }
    }
}

/// One publisher's line in the plan.
public struct PlanRow: Sendable, Identifiable, Equatable {
    /// Unique among the rows of its list.
    public let id: String
    /// The publisher's name.
    public let name: String
    /// "340 KB", or the error in words.
    public let detail: String
    /// What its downloads cost, in bytes.
    public let bytes: Int64
    /// True when the publisher could not be reached.
    public let failed: Bool
}

/// What a sync changed in one pack, for "3 services updated".
public struct PackChangeRow: Sendable, Identifiable, Equatable {
    /// The pack's id.
    public let id: String
    /// The pack's title, in the person's language when there is one.
    public let title: String
    /// What changed in it, in words (``ChangeSummary``).
    public let summary: String
}

/// The sync screen: the plan per publisher in KB/MB before any pack is
/// downloaded, a prompt on a metered network above the budget, progress
/// with cancel.
@MainActor @Observable
public final class SyncModel {
    /// Where the screen is.
    public enum Phase: Sendable, Equatable {
        case idle
        case planning
        /// The plan, and whether it may start without asking.
        case planned(SyncDecision)
        /// Syncing: the last progress line, and the fraction of the pack
        /// being downloaded when known.
        case syncing(text: String, fraction: Double?)
        /// Done: what happened, in words.
        case finished(String)
        /// Stopped by the person; what was done stays, the next sync resumes.
        case cancelled
        /// Failed: what to tell the person.
        case failed(String)
    }

    /// The current phase.
    public private(set) var phase: Phase = .idle
    /// The plan's lines.
    public private(set) var plan: [PlanRow] = []
    /// The plan's total, in words.
    public private(set) var planTotal: String?
    /// Every event of the current sync, for the detail view.
    public private(set) var events: [SyncEvent] = []
    /// After a sync: what changed in each pack it installed or updated.
    public private(set) var changes: [PackChangeRow] = []
    private var updates: [PackUpdate] = []

    private let store: ContentStore
    private let preferences: @MainActor () -> Preferences
    private let strings: @MainActor () -> Strings
    private var network: NetworkKind = .offline
    private var running: Task<Void, Never>?

    public init(
        store: ContentStore, preferences: @escaping @MainActor () -> Preferences,
        strings: @escaping @MainActor () -> Strings
    ) {
        self.store = store
        self.preferences = preferences
        self.strings = strings
    }

    /// Asks every publisher what a sync would download (a few hundred bytes
    /// each), and decides whether it may start without asking.
    public func makePlan(on network: NetworkKind) async {
        self.network = network
        guard let onNetwork = network.network else {
            phase = .planned(.offline)
            return
        }
        phase = .planning
        do {
            try applySettings(allowOverBudget: false)
            let names = Dictionary(
                try await store.trustedPublishers().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
            let planned = try await store.syncPlan(on: onNetwork)
            let strings = strings()
            plan = planned.publishers.map { publisher in
                PlanRow(
                    id: publisher.publisher, name: names[publisher.publisher] ?? publisher.publisher,
                    detail: publisher.error == nil
                        ? (publisher.bytes > 0 ? Units.bytes(publisher.bytes, strings: strings) : strings(.upToDate))
                        : strings(.publisherUnreachable),
                    bytes: publisher.bytes, failed: publisher.error != nil)
            }
            planTotal = Units.bytes(planned.totalBytes, strings: strings)
            phase = .planned(SyncDecision.decide(
                totalBytes: planned.totalBytes, network: network, budgetBytes: preferences().meteredBudgetBytes))
        } catch is CancellationError {
            phase = .cancelled
        } catch {
            phase = .failed(UserMessage.text(for: error, strings: strings()))
        }
    }

    /// Starts the sync planned. On a metered network above the budget,
    /// `allowOverBudget` says what the person chose: everything, or only
    /// what fits (the rest waits for Wi-Fi).
    public func start(allowOverBudget: Bool = false) {
        guard running == nil, let onNetwork = network.network else { return }
        do {
            try applySettings(allowOverBudget: allowOverBudget)
        } catch {
            phase = .failed(UserMessage.text(for: error, strings: strings()))
            return
        }
        events = []
        updates = []
        changes = []
        phase = .syncing(text: strings()(.syncChecking), fraction: nil)
        running = Task { [weak self, store] in
            do {
                for try await event in store.syncProgress(on: onNetwork) {
                    self?.show(event)
                }
                await self?.describeChanges()
                if Task.isCancelled { self?.phase = .cancelled }
            } catch is CancellationError {
                self?.phase = .cancelled
            } catch WaymarkError.cancelled {
                self?.phase = .cancelled
            } catch {
                guard let self else { return }
                self.phase = .failed(UserMessage.text(for: error, strings: self.strings()))
            }
            self?.running = nil
        }
    }

    /// Stops the sync: no further request goes out.
    public func cancel() {
        running?.cancel()
    }

    /// Waits for the running sync to end (tests, background tasks).
    public func finished() async {
        await running?.value
    }

    private func applySettings(allowOverBudget: Bool) throws {
        let preferences = preferences()
        var settings = store.syncSettings()
        settings.proxy = preferences.proxy
        settings.installNewPacks = true
        if network == .metered && !allowOverBudget {
            settings.budgetBytes = preferences.meteredBudgetBytes
            settings.allowLargeOnMetered = false
        } else {
            settings.budgetBytes = nil
            settings.allowLargeOnMetered = true
        }
        try store.setSyncSettings(settings: settings)
    }

    private func show(_ event: SyncEvent) {
        events.append(event)
        let strings = strings()
        switch event {
        case .checking:
            phase = .syncing(text: strings(.syncChecking), fraction: nil)
        case .downloading(_, let pack, let received, let total):
            phase = .syncing(
                text: strings(.syncDownloading, [
                    "pack": pack, "received": Units.bytes(received, strings: strings),
                    "total": Units.bytes(total, strings: strings),
                ]),
                fraction: total > 0 ? min(1, Double(received) / Double(total)) : nil)
        case .verifying, .installing:
            phase = .syncing(text: strings(.syncInstalling), fraction: nil)
        case .waiting, .done, .failed:
            break
        case .finished(let report):
            let installed = report.publishers.reduce(0) { $0 + $1.installed.count }
            let waiting = report.publishers.reduce(0) { $0 + $1.waiting.count }
            let failed = report.publishers.filter { $0.status == .failed }.count
            updates = report.publishers.flatMap(\.installed)
            var lines = [strings(.syncDone, ["count": installed, "bytes": Units.bytes(report.bytes, strings: strings)])]
            if waiting > 0 { lines.append(strings(.syncWaiting, ["count": waiting])) }
            if failed > 0 { lines.append(strings(.syncSomeFailed, ["count": failed])) }
            phase = .finished(lines.joined(separator: "\n"))
        }
    }

    /// The changes per pack, with the packs' titles (read after the sync).
    private func describeChanges() async {
        guard !updates.isEmpty else { return }
        let strings = strings()
        let languages = strings.language.contentLanguages
        let titles = Dictionary(
            ((try? await store.packs()) ?? []).map { ($0.packId, $0.title.inLanguage(languages + $0.fallback)) },
            uniquingKeysWith: { first, _ in first })
        changes = updates.map { update in
            PackChangeRow(
                id: update.pack, title: (titles[update.pack] ?? nil) ?? update.pack,
                summary: ChangeSummary.text(update.changes, strings: strings))
        }
    }
}
