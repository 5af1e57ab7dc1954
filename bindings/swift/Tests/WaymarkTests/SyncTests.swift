import Foundation
import Testing
import Waymark

/// Events as the sync's listener saw them, from any thread.
final class EventLog: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var recorded: [SyncEvent] = []

    func record(_ event: SyncEvent) {
        lock.lock()
        recorded.append(event)
        lock.unlock()
    }

    var events: [SyncEvent] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}

/// Waits (polling) until `condition` holds, or fails after `seconds`.
func eventually(within seconds: Double = 10, _ what: String, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < deadline else { throw FixtureError("timed out waiting for \(what)") }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
}

@Suite("Sync", .failsWhenStuck)
struct SyncTests {
    let home: TemporaryDirectory
    let sample: PublishedSample
    let store: ContentStore

    /// A phone with an empty content store; the sample publisher has
    /// published its pack (not yet served, not yet trusted).
    init() async throws {
        home = try TemporaryDirectory()
        sample = try await PublishedSample.publish()
        // Syncs through the transport the package ships.
        store = try await ContentStore.open(dir: home.path("content"), transport: URLSessionTransport())
    }

    @Test func syncInstallsThePublishedPackAndStreamsItsProgress() async throws {
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        let publisher = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: server.url))

        var events: [SyncEvent] = []
        for try await event in store.syncProgress() {
            events.append(event)
        }

        // One report, last; the pack it names is the one now installed.
        let reports = events.compactMap { event -> SyncReport? in
            if case .finished(let report) = event { report } else { nil }
        }
        #expect(reports.count == 1)
        guard case .finished(let report) = events.last else {
            Issue.record("the last event is not finished: \(String(describing: events.last))")
            return
        }
        let result = try #require(report.publishers.first)
        #expect(report.publishers.count == 1)
        #expect(result.publisher == publisher.id)
        #expect(result.status == .updated, "\(result.error ?? "")")
        let update = try #require(result.installed.first)
        let pack = try #require(try await store.packs().first)
        #expect((pack.packId, pack.version) == (update.pack, update.version))
        #expect(update.bytes > 0 && report.bytes >= update.bytes)

        // The events tell the same story, in order.
        guard case .checking(let checked) = events.first else {
            Issue.record("the first event is not checking: \(events)")
            return
        }
        #expect(checked == publisher.id)
        let received = events.compactMap { event -> (Int64, Int64)? in
            guard case .downloading(_, update.pack, let received, let total) = event else { return nil }
            return (received, total)
        }
        #expect(!received.isEmpty)
        #expect(received.map(\.0) == received.map(\.0).sorted())
        #expect(received.last.map { $0.0 == $0.1 } == true)
        #expect(events.contains(.verifying(publisher: publisher.id, pack: update.pack)))
        #expect(events.contains(.installing(publisher: publisher.id, pack: update.pack, version: update.version)))
        guard case .done(publisher.id, 1, _) = events.dropLast().last else {
            Issue.record("the event before the report is not done with one pack installed: \(events)")
            return
        }

        // And the synced content is there to search.
        #expect(!(try await store.search(request: SearchRequest(text: "مركز الشرطة", language: "ar", limit: 3)).hits.isEmpty))
    }

    @Test func syncAfterASyncFindsNothingChangedForAFewBytes() async throws {
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        _ = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: server.url))
        _ = try await store.sync()
        let installed = try await store.packs()

        let log = EventLog()
        let again = try await store.sync(on: .metered) { log.record($0) }

        #expect(again.publishers.map(\.status) == [.upToDate])
        #expect(again.bytes <= 2048, "a nothing-changed check costs \(again.bytes) bytes")
        #expect(!log.events.contains { if case .downloading = $0 { true } else { false } })
        #expect(try await store.packs() == installed)
    }

    @Test func planSaysWhatASyncWouldDownloadAndDownloadsNothing() async throws {
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        let publisher = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: server.url))

        let plan = try await store.syncPlan()

        let planned = try #require(plan.publishers.first)
        #expect(planned.publisher == publisher.id)
        #expect(planned.error == nil)
        let download = try #require(planned.downloads.first)
        #expect(download.installedVersion == nil)
        #expect(download.bytes > 0 && plan.totalBytes >= download.bytes)
        #expect(try await store.packs().isEmpty)

        let report = try await store.sync()
        #expect(report.publishers.first?.installed.first?.pack == download.pack)
    }

    @Test func cancellingTheTaskStopsASyncThatWaitsOnABusyServer() async throws {
        // The server asks to come back in a minute; the sync honours that,
        // so it is still running when the task is cancelled.
        let busy = try BusyServer(retryAfterSeconds: 60)
        defer { busy.stop() }
        let publisher = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: busy.url))
        let log = EventLog()
        let syncing = Task { [store] in try await store.sync { log.record($0) } }
        try await eventually("the sync to reach the server") { busy.requestCount >= 1 }

        let cancelled = Date()
        syncing.cancel()
        let result = await syncing.result

        #expect(throws: CancellationError.self) { try result.get() }
        #expect(Date().timeIntervalSince(cancelled) < 5, "the sync stopped long before Retry-After")
        #expect(log.events.first == .checking(publisher: publisher.id))
        #expect(try await store.packs().isEmpty)

        // The store is consistent: the same publisher syncs from a server
        // that answers.
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        _ = try await store.removePublisher(id: publisher.id)
        _ = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: server.url))
        #expect(try await store.sync().publishers.map(\.status) == [.updated])
    }

    @Test func leavingTheProgressStreamEarlyCancelsTheSync() async throws {
        // Retry-After: 1 s, so a sync still running retries within seconds.
        let busy = try BusyServer(retryAfterSeconds: 1)
        defer { busy.stop() }
        _ = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: busy.url))

        for try await event in store.syncProgress() {
            if case .checking = event {
                try await eventually("the sync to reach the server") { busy.requestCount >= 1 }
                break
            }
        }
        let requests = busy.requestCount
        try await Task.sleep(nanoseconds: 2_500_000_000)
        #expect(busy.requestCount == requests, "no retry after the stream was left")
    }

    @Test func cancelSyncStopsASyncWithCancelled() async throws {
        let busy = try BusyServer(retryAfterSeconds: 60)
        defer { busy.stop() }
        _ = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: busy.url))
        let syncing = Task { [store] in try await store.sync(on: .unmetered) }
        try await eventually("the sync to reach the server") { busy.requestCount >= 1 }

        store.cancelSync()

        await #expect(throws: WaymarkError.cancelled) { try await syncing.value }
        #expect(try await store.packs().isEmpty)
    }

    @Test func cancelSyncWithNoSyncRunningDoesNothing() async throws {
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        _ = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: server.url))
        store.cancelSync()
        #expect(try await store.sync().publishers.map(\.status) == [.updated])
    }

    @Test func aDataBudgetMakesTheDownloadWaitAndSaysWhy() async throws {
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        _ = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: server.url))
        try store.setSyncSettings(settings: SyncSettings(budgetBytes: 100))
        #expect(throws: WaymarkError.self) { try store.setSyncSettings(settings: SyncSettings(budgetBytes: -1)) }
        #expect(store.syncSettings().budgetBytes == 100)

        let log = EventLog()
        let report = try await store.sync { log.record($0) }

        let waiting = log.events.compactMap { event -> WaitReason? in
            if case .waiting(_, _, _, let reason) = event { reason } else { nil }
        }
        #expect(waiting == [.budget])
        #expect(report.publishers.map(\.status) == [.partial])
        #expect(try await store.packs().isEmpty)
    }

    @Test func aProxyThatIsNotAURLIsRefusedAndTheSettingsStay() async throws {
        #expect {
            try store.setSyncSettings(settings: SyncSettings(proxy: "not a proxy"))
        } throws: { invalidInputReason($0)?.contains("proxy") == true }
        #expect(store.syncSettings().proxy == nil)

        try store.setSyncSettings(settings: SyncSettings(proxy: "socks5h://127.0.0.1:9050"))
        #expect(store.syncSettings().proxy == "socks5h://127.0.0.1:9050")
    }

    @Test func anUnreachableServerIsAPublisherFailureNotAnError() async throws {
        // A port that was just listening and is now closed.
        let closed = try BusyServer(retryAfterSeconds: 1)
        closed.stop()
        _ = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: closed.url))

        let log = EventLog()
        let report = try await store.sync { log.record($0) }

        #expect(report.publishers.map(\.status) == [.failed])
        #expect(report.publishers.first?.error?.isEmpty == false)
        #expect(log.events.last == .finished(report: report))
        guard case .failed = log.events.dropLast().last else {
            Issue.record("the event before the report is not failed: \(log.events)")
            return
        }
    }
}
