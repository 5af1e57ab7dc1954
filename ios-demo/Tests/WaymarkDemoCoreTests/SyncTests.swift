import Foundation
import Testing
import Waymark
@testable import WaymarkDemoCore

@Suite("Sync", .timeLimit(.minutes(1)))
@MainActor
struct SyncTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    @Test func theBudgetDecidesWhenToAsk() {
        #expect(SyncDecision.decide(totalBytes: 5_000_000, network: .offline, budgetBytes: 1) == .offline)
        #expect(SyncDecision.decide(totalBytes: 0, network: .metered, budgetBytes: 1) == .nothingToDownload)
        #expect(SyncDecision.decide(totalBytes: 5_000_000, network: .unmetered, budgetBytes: 1) == .proceed)
        #expect(SyncDecision.decide(totalBytes: 400_000, network: .metered, budgetBytes: 500_000) == .proceed)
        #expect(SyncDecision.decide(totalBytes: 600_000, network: .metered, budgetBytes: 500_000)
            == .askFirst(totalBytes: 600_000, budgetBytes: 500_000))
    }

    @Test func offlineTheScreenSaysSoAndSendsNothing() async throws {
        let transport = CountingTransport()
        let app = await freshApp(home, transport: transport)
        let sync = try #require(app.sync)
        await sync.makePlan(on: .offline)
        #expect(sync.phase == .planned(.offline))
        sync.start()
        #expect(sync.phase == .planned(.offline))
        #expect(transport.requests == 0)
    }

    @Test func planThenSyncWithProgressAgainstWaymarkPackServe() async throws {
        let sample = try await PublishedSample.shared()
        let server = try await PackServer.start(repository: sample.repository)
        let transport = CountingTransport()
        let app = await freshApp(home, transport: transport)
        let packs = try #require(app.packs)
        #expect(await packs.trust(card: sample.card, url: server.url))
        let sync = try #require(app.sync)

        // On mobile data with a tiny budget, the plan asks first.
        try await completeFirstRun(app)
        try #require(app.settings).setMeteredBudget(bytes: 1000)
        await sync.makePlan(on: .metered)
        guard case .planned(.askFirst(let total, _)) = sync.phase else {
            Issue.record("expected a budget prompt, got \(sync.phase)")
            server.stop()
            return
        }
        #expect(total > 1000)
        #expect(sync.plan.count == 1 && sync.plan.first?.bytes == total)
        #expect(sync.plan.first?.name == "Sample NGO (example data)")
        #expect(try await packsCount(app) == 0, "a plan downloads no pack")

        // The person says "download all".
        sync.start(allowOverBudget: true)
        await sync.finished()
        server.stop()

        guard case .finished(let summary) = sync.phase else {
            Issue.record("expected finished, got \(sync.phase)")
            return
        }
        #expect(summary.hasPrefix("Done: 1 updated"))
        // What the sync brought, per pack, as the screen shows it.
        #expect(sync.changes == [PackChangeRow(
            id: "sample-mediterranean", title: "Eastern Mediterranean route — SAMPLE DATA", summary: sampleAddedEnglish)])
        #expect(sync.events.contains { if case .downloading = $0 { true } else { false } })
        #expect(sync.events.last.map { if case .finished = $0 { true } else { false } } == true)
        #expect(try await packsCount(app) == 1)
    }

    @Test func cancellingStopsTheSyncAndNoFurtherRequestGoesOut() async throws {
        let sample = try await PublishedSample.shared()
        let server = try await PackServer.start(repository: sample.repository)
        let transport = CountingTransport(slow: true)
        let app = await freshApp(home, transport: transport)
        #expect(await app.packs?.trust(card: sample.card, url: server.url) == true)
        let sync = try #require(app.sync)
        await sync.makePlan(on: .unmetered)
        #expect(sync.phase == .planned(.proceed))

        sync.start()
        try await eventually("the download to start") {
            sync.events.contains { if case .downloading = $0 { true } else { false } }
        }
        sync.cancel()
        await sync.finished()
        #expect(sync.phase == .cancelled)
        #expect(!sync.events.contains { if case .finished = $0 { true } else { false } }, "stopped mid-way")
        let requests = transport.requests
        try await Task.sleep(for: .seconds(1.5))
        #expect(transport.requests == requests, "no request after the cancel")
        #expect(try await packsCount(app) == 0, "nothing half-installed")

        // The next sync works (and resumes the download).
        sync.start()
        await sync.finished()
        server.stop()
        #expect(try await packsCount(app) == 1)
    }

    @Test func anUnreachablePublisherIsSaidPlainlyAndNothingChanges() async throws {
        let sample = try await PublishedSample.shared()
        let app = await freshApp(home)
        // A port nobody listens on: the phone has "network" but the server is gone.
        #expect(await app.packs?.trust(card: sample.card, url: "http://127.0.0.1:9") == true)
        let sync = try #require(app.sync)

        await sync.makePlan(on: .unmetered)

        switch sync.phase {
        case .planned(.nothingToDownload):
            #expect(sync.plan.map(\.detail) == [Strings(.english)[.publisherUnreachable]])
            #expect(sync.plan.first?.failed == true)
        case .failed(let message):
            #expect(!message.isEmpty)
        default:
            Issue.record("unexpected phase \(sync.phase)")
        }
        #expect(try await packsCount(app) == 0)
    }

    @Test func theProxyChosenInSettingsGoesWithEveryRequest() async throws {
        let sample = try await PublishedSample.shared()
        let server = try await PackServer.start(repository: sample.repository)
        let transport = CountingTransport()
        let app = await freshApp(home, transport: transport)
        try await completeFirstRun(app)
        #expect(await app.packs?.trust(card: sample.card, url: server.url) == true)
        #expect(try #require(app.settings).setProxy("socks5h://127.0.0.1:9050"))

        try await #require(app.sync).makePlan(on: .unmetered)
        server.stop()

        #expect(!transport.proxies.isEmpty)
        #expect(transport.proxies.allSatisfy { $0 == "socks5h://127.0.0.1:9050" })
    }

    private func packsCount(_ app: AppModel) async throws -> Int {
        await app.packs?.reload()
        return app.packs?.packs.count ?? -1
    }
}
