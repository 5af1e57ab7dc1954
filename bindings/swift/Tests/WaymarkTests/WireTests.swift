import Foundation
import Testing
import Waymark

/// The wire (issue 20 §4) for the transport the package ships: every
/// request a sync or a backup sends through `URLSessionTransport`,
/// recorded by `tests/wire/wire.py` in front of a real server and checked
/// by `tests/wire/check.py` (only the documented headers, the fixed
/// User-Agent, no cookie, Referer, identifier or query string; the same
/// bytes from two phones; through a SOCKS5 proxy, every connection by
/// name). The reqwest transport passes the same checks in
/// `tests/tests/wire.rs`.
@Suite("Wire", .failsWhenStuck)
struct WireTests {
    /// A phone: an empty content store, syncing through `URLSessionTransport`,
    /// that trusts the sample's publisher at `url`.
    struct Phone {
        let home: TemporaryDirectory
        let store: ContentStore

        init(trusting sample: PublishedSample, at url: String) async throws {
            home = try TemporaryDirectory()
            store = try await ContentStore.open(dir: home.path("content"), transport: URLSessionTransport())
            _ = try await store.trustPublisher(card: sample.card, options: TrustOptions(url: url))
        }
    }

    /// The proxy's name for the pack server: `.invalid` never resolves
    /// (RFC 6761), so only a proxy that is handed the name can reach it.
    static let hiddenHost = "http://sync.waymark.invalid/"

    /// The proxy's name for the WebDAV server. The core takes plain
    /// `http://` for a backup only to this machine (credentials never
    /// travel in clear), so not `.invalid`: a name that would resolve, and
    /// check.py tells whether the proxy got the name or an address.
    static let backupHost = "localhost"

    /// check.py's verdict on `log`; records an issue with what it said
    /// unless every rule holds.
    @discardableResult
    func expectWirePasses(
        _ log: URL, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let verdict = try await WireRecorder.check(log, arguments)
        #expect(
            verdict.status == 0, "check.py \(arguments.joined(separator: " ")):\n\(verdict.said)",
            sourceLocation: sourceLocation)
        return verdict.said
    }

    /// A vault holding one document, backing up to WebDAV at `url`.
    func vaultBackingUp(to url: String, in home: TemporaryDirectory) async throws -> Vault {
        let created = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf)
        _ = try await created.vault.addDocument(
            metadata: DocumentMetadata(kind: .passport, title: "Passport", mimeType: "image/jpeg"),
            content: Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        try await created.vault.setBackupLocation(
            location: .webDav(url: url, username: WebDavServer.username, password: WebDavServer.password))
        return created.vault
    }

    @Test func twoPhonesSyncingSendTheSameBytesWithOnlyTheDocumentedHeaders() async throws {
        let sample = try await PublishedSample.publish()
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        let wire = try await WireRecorder.start(upstream: server.url)
        defer { wire.stop() }
        let url = "http://127.0.0.1:\(wire.http)/"
        let a = try await Phone(trusting: sample, at: url)
        let b = try await Phone(trusting: sample, at: url)

        // Each phone: the first sync (install), then one with nothing new.
        var marks = [try wire.mark()]
        for phone in [a, b] {
            #expect(try await phone.store.sync().publishers.map(\.status) == [.updated])
            #expect(try await phone.store.sync().publishers.map(\.status) == [.upToDate])
            marks.append(try wire.mark())
        }

        let aLog = try wire.part([(marks[0], marks[1])], "a.jsonl")
        let bLog = try wire.part([(marks[1], marks[2])], "b.jsonl")
        #if canImport(Darwin)
        let said = try await expectWirePasses(aLog, ["--kind", "sync", "--same-as", bLog.path])
        print("URLSessionTransport, sync: \(said)")
        #else
        // Every rule but the same bytes holds for each phone.
        for log in [aLog, bLog] {
            let said = try await expectWirePasses(log, ["--kind", "sync"])
            print("URLSessionTransport, sync (\(log.lastPathComponent)): \(said)")
        }
        // corelibs hands the headers to libcurl in a dictionary's order,
        // new for every request: the same headers, in another order.
        let verdict = try await WireRecorder.check(aLog, ["--kind", "sync", "--same-as", bLog.path])
        withKnownIssue("swift-corelibs-foundation orders a request's headers at random", isIntermittent: true) {
            #expect(verdict.status == 0, "check.py --same-as:\n\(verdict.said)")
        }
        #endif
    }

    @Test func aBackupToWebDavSendsOnlyTheDocumentedHeaders() async throws {
        let dav = try await WebDavServer.start()
        defer { dav.stop() }
        let wire = try await WireRecorder.start(upstream: dav.url)
        defer { wire.stop() }
        let home = try TemporaryDirectory()
        let vault = try await vaultBackingUp(to: "http://127.0.0.1:\(wire.http)/waymark/", in: home)

        // The first backup (MKCOL, PUTs), then one that finds nothing new.
        #expect(try await vault.backupNow().uploaded == 1)
        #expect(try await vault.backupNow().unchanged)

        let said = try await expectWirePasses(wire.log, ["--kind", "backup"])
        print("URLSessionTransport, backup: \(said)")
    }

    #if canImport(Darwin)
    // CFNetwork takes the SOCKS proxy from connectionProxyDictionary
    // (kCFStreamPropertySOCKSProxyHost/Port) and hands it the host's name.
    // A request that went around the proxy would reach wire.py's relay
    // directly (the backup's URL names its port), or not at all (.invalid),
    // and check.py --socks would say so.

    @Test func throughASocks5ProxyASyncNamesTheHostAndLooksNothingUp() async throws {
        let sample = try await PublishedSample.publish()
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        let wire = try await WireRecorder.start(upstream: server.url, socks: true)
        defer { wire.stop() }
        let phone = try await Phone(trusting: sample, at: Self.hiddenHost)
        try phone.store.setSyncSettings(settings: SyncSettings(proxy: "socks5h://127.0.0.1:\(try #require(wire.socks))"))

        let report = try await phone.store.sync()

        #expect(report.publishers.map(\.status) == [.updated], "\(report.publishers.first?.error ?? "")")
        let said = try await expectWirePasses(wire.log, ["--kind", "sync", "--socks"])
        print("URLSessionTransport, sync through SOCKS5: \(said)")
    }

    @Test func throughASocks5ProxyABackupNamesTheHostAndLooksNothingUp() async throws {
        let dav = try await WebDavServer.start()
        defer { dav.stop() }
        let wire = try await WireRecorder.start(upstream: dav.url, socks: true, names: [Self.backupHost])
        defer { wire.stop() }
        let home = try TemporaryDirectory()
        let vault = try await vaultBackingUp(to: "http://\(Self.backupHost):\(wire.http)/waymark/", in: home)

        let report = try await vault.backupNow(proxy: "socks5h://127.0.0.1:\(try #require(wire.socks))")

        #expect(report.uploaded == 1)
        let said = try await expectWirePasses(wire.log, ["--kind", "backup", "--socks"])
        print("URLSessionTransport, backup through SOCKS5: \(said)")
    }
    #else
    // swift-corelibs-foundation's URLSession (libcurl) ignores
    // connectionProxyDictionary: a proxy would silently become a direct
    // connection. The transport refuses instead, and nothing leaves.

    @Test func throughASocks5ProxyASyncIsRefusedAndNothingConnects() async throws {
        let sample = try await PublishedSample.publish()
        let server = try await PackServer.start(repository: sample.repository)
        defer { server.stop() }
        let wire = try await WireRecorder.start(upstream: server.url, socks: true)
        defer { wire.stop() }
        let phone = try await Phone(trusting: sample, at: Self.hiddenHost)
        try phone.store.setSyncSettings(settings: SyncSettings(proxy: "socks5h://127.0.0.1:\(try #require(wire.socks))"))

        let report = try await phone.store.sync()

        // The core reports the refusal as "the request failed" (the
        // transport's reason, checked in aProxyIsRefusedRatherThanIgnored,
        // stays in the core), never as a connection that failed.
        #expect(report.publishers.map(\.status) == [.failed])
        let error = report.publishers.first?.error ?? ""
        #expect(!error.isEmpty && !error.contains("connect"), "\(error)")
        let connections = try wire.connections()
        #expect(connections.isEmpty, "no connection reached the proxy or the server: \(connections)")
        #expect(try await phone.store.packs().isEmpty)
    }

    @Test func throughASocks5ProxyABackupIsRefusedAndNothingConnects() async throws {
        let dav = try await WebDavServer.start()
        defer { dav.stop() }
        let wire = try await WireRecorder.start(upstream: dav.url, socks: true, names: [Self.backupHost])
        defer { wire.stop() }
        let home = try TemporaryDirectory()
        let vault = try await vaultBackingUp(to: "http://\(Self.backupHost):\(wire.http)/waymark/", in: home)

        let proxy = "socks5h://127.0.0.1:\(try #require(wire.socks))"

        let error = await waymarkError { _ = try await vault.backupNow(proxy: proxy) }

        guard case .network(let reason, _, _) = error else {
            Issue.record("not a network error: \(String(describing: error))")
            return
        }
        #expect(!reason.contains("connect"), "\(reason)")
        let connections = try wire.connections()
        #expect(connections.isEmpty, "no connection reached the proxy or the server: \(connections)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dav.root.path).isEmpty)
    }

    @Test(arguments: ["socks5h", "http"])
    func aProxyIsRefusedRatherThanIgnored(scheme: String) async throws {
        // The server is reachable directly: a transport that ignored the
        // proxy would connect to it, and the record would show it.
        let dav = try await WebDavServer.start()
        defer { dav.stop() }
        let wire = try await WireRecorder.start(upstream: dav.url, socks: true)
        defer { wire.stop() }
        let request = HttpRequest(
            method: "GET", url: "http://127.0.0.1:\(wire.http)/",
            headers: [
                HttpHeader(name: "User-Agent", value: "Waymark"),
                HttpHeader(name: "Accept", value: "*/*"),
                HttpHeader(name: "Accept-Encoding", value: "identity"),
            ],
            connectTimeoutMs: 5_000, readTimeoutMs: 5_000,
            proxy: "\(scheme)://127.0.0.1:\(try #require(wire.socks))", body: Data())

        let outcome = try await offThePool { Result { try URLSessionTransport().send(request: request) } }

        if case .success(let response) = outcome { response.body.release() }
        let connections = try wire.connections()
        #expect(connections.isEmpty, "nothing connected: \(connections)")
        guard case .failure(let error) = outcome, case HttpError.other(let reason) = error else {
            Issue.record("not refused: \(outcome)")
            return
        }
        #expect(reason.contains("proxy"), "\(reason)")
    }
    #endif
}
