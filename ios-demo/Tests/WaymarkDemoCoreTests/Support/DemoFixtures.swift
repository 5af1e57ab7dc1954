import Foundation
import Testing
import Waymark
@testable import WaymarkDemoCore

/// Argon2id cheap enough for tests; the app uses the library's default.
let testKdf = KdfParams(memoryKib: 8 * 1024, iterations: 1, parallelism: 1)

// The fixtures both Swift packages' tests use (`requiredEnvironment`,
// `FixtureError`, `TemporaryDirectory`, `waymarkPack`, `PublishedSample`,
// `PackServer`, `offThePool`, child processes) are in `../Shared`, a symlink
// to the Waymark package's `bindings/swift/Tests/WaymarkTests/Support/Shared`.
// The ones here are the demo's own.

extension PublishedSample {
    /// Published once per test process; the value, and with it the
    /// publisher's directory, lives as long as the process.
    private static let published = Task { try await PublishedSample.publish() }

    /// The sample NGO's pack (`content/samples/mediterranean`), built, signed
    /// and published with the real `waymark-pack` on first use.
    static func shared() async throws -> PublishedSample {
        try await published.value
    }
}

/// Polls `condition` on the main actor (the models live there) until it
/// holds, failing after `timeout`.
@MainActor
func eventually(
    _ what: String, timeout: Duration = .seconds(20), _ condition: @MainActor () -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        guard clock.now < deadline else { throw FixtureError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Time the test moves by hand; the countdown's ticks come quickly.
final class ManualTime: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var current = Date(timeIntervalSince1970: 1_800_000_000)

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }

    var clock: DemoClock {
        DemoClock(now: { [self] in now }, sleep: { _ in try await Task.sleep(for: .milliseconds(10)) })
    }
}

/// A calendar in UTC, so that day counts do not depend on the machine.
var utcCalendar: Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar
}

/// The environment of the tests: cheap key derivation, no search pause.
func testEnvironment(time: ManualTime = ManualTime()) -> DemoEnvironment {
    DemoEnvironment(clock: time.clock, calendar: utcCalendar, kdf: testKdf, searchDebounce: .milliseconds(1))
}

/// The app's HTTP stack (URLSession), counting every request that goes out
/// and, when `slow`, handing response bodies over slowly (512 bytes every
/// 50 ms: the 10 KB sample pack takes a second), so that a sync is still
/// downloading when a test cancels it.
final class CountingTransport: HttpTransport, @unchecked Sendable {
    private let inner = URLSessionTransport()
    private let lock = NSLock()
    // Guarded by `lock`.
    private var count = 0
    private let slow: Bool

    init(slow: Bool = false) { self.slow = slow }

    // Guarded by `lock`.
    private var seenProxies: [String?] = []

    var requests: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    /// The proxy each request was told to use.
    var proxies: [String?] {
        lock.lock()
        defer { lock.unlock() }
        return seenProxies
    }

    func send(request: HttpRequest) throws -> HttpResponse {
        lock.lock()
        count += 1
        seenProxies.append(request.proxy)
        lock.unlock()
        var response = try inner.send(request: request)
        if slow { response.body = SlowBody(response.body) }
        return response
    }
}

/// A body read at most 512 bytes at a time, 50 ms apart (on Waymark's sync
/// thread, never on the cooperative pool).
final class SlowBody: HttpBody, @unchecked Sendable {
    private let inner: any HttpBody

    init(_ inner: any HttpBody) { self.inner = inner }

    func read(maxBytes: Int32) throws -> Data {
        Thread.sleep(forTimeInterval: 0.05)
        return try inner.read(maxBytes: min(maxBytes, 512))
    }

    func release() { inner.release() }
}

/// A location read once, as Core Location would give it; counts readings.
final class FixedLocation: LocationSource, @unchecked Sendable {
    let point: GeoPoint
    private let lock = NSLock()
    private var count = 0

    init(_ point: GeoPoint) { self.point = point }

    var readings: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func currentLocation() async throws -> GeoPoint {
        lock.withLock { count += 1 }
        return point
    }
}

/// A location the person refused to give.
struct RefusedLocation: LocationSource {
    struct Refused: Error {}
    func currentLocation() async throws -> GeoPoint { throw Refused() }
}

/// Records what would be read aloud.
@MainActor
final class RecordingSpeaker: Speaker {
    var spoken: [(text: String, language: String)] = []
    func speak(_ text: String, language: String) { spoken.append((text, language)) }
    func stop() {}
}

/// An app on a fresh home directory.
@MainActor
func freshApp(
    _ home: TemporaryDirectory, time: ManualTime = ManualTime(), transport: any HttpTransport = CountingTransport()
) async -> AppModel {
    let app = AppModel(
        directory: home.url, transport: transport, storage: StoragePolicy(excludedFromBackup: false),
        environment: testEnvironment(time: time))
    await app.start()
    return app
}

/// Runs the first run to the end with `passphrase`; returns the recovery
/// code as shown.
@MainActor
@discardableResult
func completeFirstRun(_ app: AppModel, passphrase: String = "river stone blue lantern") async throws -> String {
    let run = try #require(app.firstRun)
    run.choose(.english)
    run.passphrase = passphrase
    run.repeated = passphrase
    guard await run.createVault() else { throw FixtureError("createVault failed: \(run.message ?? "")") }
    let groups = try #require(run.recoveryCodeGroups)
    run.wroteItDown()
    run.typedGroups = run.groupsToConfirm.map { groups[$0] }
    guard run.confirmCode() else { throw FixtureError("confirmCode failed") }
    await run.finish(biometrics: nil)
    return groups.joined(separator: "-")
}

/// The sample pack's first install, as the app says it: its 60 services, 3
/// countries, 1 route, 4 alerts, and 4 articles (each counted once, whatever
/// the number of its translations).
let sampleAddedEnglish = "60 services added, 4 articles added, 3 countries added, 1 route added, 4 alerts added"
