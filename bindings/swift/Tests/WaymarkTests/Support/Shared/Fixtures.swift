import Foundation
import Testing

// Real parts for the tests: the `waymark-pack` publisher CLI builds, signs
// and publishes the sample pack into a TUF repository in a temporary
// directory, and `waymark-pack serve` serves it on 127.0.0.1.
// `scripts/swift-test` (and `scripts/ios-demo-test`) say where the binary
// and the samples are.
//
// This directory (`Support/Shared`) is compiled into two test targets: this
// package's WaymarkTests and, through the symlink
// `ios-demo/Tests/WaymarkDemoCoreTests/Shared`, the iOS demo's
// WaymarkDemoCoreTests, which builds with warnings as errors. Keep it free
// of anything one of them lacks (no `import Waymark` here).

/// A required environment variable; a clear failure when it is missing.
func requiredEnvironment(_ name: String) throws -> String {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
        throw FixtureError(
            "\(name) is not set: run the Swift tests with scripts/swift-test (or scripts/ios-demo-test)")
    }
    return value
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory, removed when the value is deinitialised.
final class TemporaryDirectory: @unchecked Sendable {
    // Immutable after init.
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("waymark-swift-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside, not created.
    func path(_ name: String) -> String {
        url(name).path
    }

    /// The URL of a path inside, not created.
    func url(_ name: String) -> URL {
        url.appendingPathComponent(name)
    }

    /// Every regular file below, recursively.
    func allFiles() -> [URL] {
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        return walker.compactMap { $0 as? URL }.filter {
            (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs `waymark-pack` with `arguments`; throws with its stderr unless it
/// succeeds. It waits for the process: from async code, call it through
/// ``offThePool(_:)``.
@available(*, noasync, message: "it waits for a process: call it through offThePool")
@discardableResult
func waymarkPack(_ arguments: [String]) throws -> String {
    let result = try run(try requiredEnvironment("WAYMARK_PACK_BIN"), arguments)
    guard result.status == 0 else {
        throw FixtureError(
            "waymark-pack \(arguments.first ?? "") failed: \(String(decoding: result.errors, as: UTF8.self))"
        )
    }
    return String(decoding: result.output, as: UTF8.self)
}

/// An NGO that has built, signed and published the sample pack
/// (`content/samples/mediterranean`) with `waymark-pack`.
struct PublishedSample: Sendable {
    /// The TUF repository (serve this).
    let repository: URL
    /// The publisher card a phone trusts (`publisher.json`).
    let card: Data
    /// The offline bundle of the pack, for installing without a server.
    let bundle: URL

    /// Keeps the publisher's directory alive for as long as the value.
    private let directory: TemporaryDirectory

    /// Publishes the sample into a new temporary directory; as another
    /// publisher than the sample's (`sample-ngo`) if `publisherId` is given.
    /// `waymark-pack` runs on a thread of its own, off the cooperative pool.
    static func publish(asPublisher publisherId: String? = nil) async throws -> PublishedSample {
        try await offThePool { try publishWaiting(asPublisher: publisherId) }
    }

    @available(*, noasync, message: "it waits for processes: call publish(asPublisher:)")
    private static func publishWaiting(asPublisher publisherId: String?) throws -> PublishedSample {
        let directory = try TemporaryDirectory()
        let samples = URL(fileURLWithPath: try requiredEnvironment("WAYMARK_SAMPLES_DIR"))
        var source = samples.appendingPathComponent("mediterranean").path
        if let publisherId {
            let copy = directory.url.appendingPathComponent("source")
            try FileManager.default.copyItem(atPath: source, toPath: copy.path)
            let manifest = copy.appendingPathComponent("pack.toml")
            let toml = try String(contentsOf: manifest, encoding: .utf8)
            let renamed = toml.replacingOccurrences(of: "[publisher]\nid = \"sample-ngo\"", with: "[publisher]\nid = \"\(publisherId)\"")
            guard renamed != toml else { throw FixtureError("the sample's pack.toml no longer names sample-ngo") }
            try renamed.write(to: manifest, atomically: true, encoding: .utf8)
            source = copy.path
        }
        let pack = directory.path("sample.wmpack")
        let keys = directory.path("keys")
        let repository = directory.url.appendingPathComponent("repo")
        try waymarkPack(["build", source, "--out", pack])
        try waymarkPack(["keygen", "--out", keys])
        try waymarkPack(["publish", pack, "--repo", repository.path, "--keys", keys])

        let bundles = try FileManager.default.contentsOfDirectory(
            at: repository.appendingPathComponent("bundles"), includingPropertiesForKeys: nil
        ).filter { $0.pathExtension == "wmbundle" }
        guard bundles.count == 1, let bundle = bundles.first else {
            throw FixtureError("expected one bundle from waymark-pack publish, found \(bundles.count)")
        }
        return PublishedSample(
            repository: repository,
            card: try Data(contentsOf: repository.appendingPathComponent("publisher.json")),
            bundle: bundle,
            directory: directory
        )
    }
}

/// `waymark-pack serve REPO` on an ephemeral port of 127.0.0.1, stopped
/// when the value is deinitialised (or by ``stop()``). Started with
/// ``start(repository:)``, which waits for the server off the cooperative
/// pool.
///
/// The server runs under a small watchdog shell that kills it when its
/// standard input (the write end held by this object) closes: on ``stop()``,
/// and also when the test process dies without running deinitialisers (a
/// crash, a timeout), so no server outlives the tests.
///
/// Swift may release a value right after its last use, before the end of
/// its scope: tests keep a server up with `defer { server.stop() }`.
final class PackServer: @unchecked Sendable {
    /// `http://127.0.0.1:PORT`.
    let url: String
    private let watchdog: pid_t
    private let lifeline: Lifeline

    /// Starts a server for `repository` and waits until it listens.
    static func start(repository: URL) async throws -> PackServer {
        try await offThePool { try PackServer(repository: repository) }
    }

    @available(*, noasync, message: "it waits for the server to start: call start(repository:)")
    private init(repository: URL) throws {
        let input = try cloexecPipe()
        let errors = try cloexecPipe()
        let script = #""$0" serve "$1" --addr 127.0.0.1:0 & server=$!; read -r _; kill -9 "$server"; wait"#
        do {
            watchdog = try spawn(
                "/bin/sh", ["-c", script, try requiredEnvironment("WAYMARK_PACK_BIN"), repository.path],
                stdin: input.read, stderr: errors.write
            )
        } catch {
            [input.read, input.write, errors.read, errors.write].forEach { close($0) }
            throw error
        }
        close(input.read)
        close(errors.write)
        lifeline = Lifeline(input.write, reaping: watchdog)

        // The server says where it listens on its first line of stderr:
        // "serving REPO on http://127.0.0.1:PORT".
        var seen = Data()
        var found: String?
        var buffer = [UInt8](repeating: 0, count: 4096)
        while found == nil {
            let n = read(errors.read, &buffer, buffer.count)
            if n <= 0 { break }  // EOF: the server exited
            seen.append(contentsOf: buffer[0..<n])
            // Only whole lines: a read may end in the middle of the port.
            let text = String(decoding: seen, as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            if let line = lines.first(where: { $0.contains(" on http://") }),
               let range = line.range(of: "http://") {
                found = String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces)
            }
        }
        guard let found else {
            close(errors.read)
            close(input.write)
            _ = waitForExit(watchdog)
            throw FixtureError("waymark-pack serve did not start: \(String(decoding: seen, as: UTF8.self))")
        }
        url = found
        // Keep draining stderr so that the server never blocks on a full pipe.
        let drain = errors.read
        Thread.detachNewThread { _ = readToEnd(drain) }
    }

    /// Stops the server: the watchdog kills it as soon as it reads the
    /// end of its input. Returns at once; the watchdog is reaped on a
    /// thread of its own, so that no test waits for a process.
    func stop() {
        lifeline.cut()
    }

    deinit { stop() }
}
