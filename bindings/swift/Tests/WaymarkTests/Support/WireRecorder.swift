import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tests/wire/wire.py` (issue 20 §4) in front of a real server on
/// 127.0.0.1: it records every connection and request exactly as it
/// arrived, and relays it; `tests/wire/check.py` holds the rules the
/// record must satisfy. With `socks`, it also runs a SOCKS5 proxy that
/// takes only the host names of `names` (wire.py's default:
/// `sync.waymark.invalid`), never an address, and relays them to the same
/// server. The same scripts check the reqwest transport (`tests/tests/wire.rs`)
/// and the Kotlin one.
///
/// wire.py exits when its standard input closes: on ``stop()``, or when
/// the test process dies. Tests keep it up with `defer { wire.stop() }`.
final class WireRecorder: @unchecked Sendable {
    /// The recording relay's port: point a transport at
    /// `http://127.0.0.1:PORT/`.
    let http: Int
    /// The SOCKS5 proxy's port, when started with one.
    let socks: Int?
    /// Everything recorded, one JSON line per event.
    let log: URL
    private let directory: TemporaryDirectory
    private let process: pid_t
    private let lifeline: Lifeline

    /// Starts wire.py in front of `upstream` (`http://127.0.0.1:PORT`) and
    /// waits until it listens.
    static func start(upstream: String, socks: Bool = false, names: [String] = []) async throws -> WireRecorder {
        try await offThePool { try WireRecorder(upstream: upstream, socks: socks, names: names) }
    }

    @available(*, noasync, message: "it waits for wire.py to start: call start(upstream:socks:names:)")
    private init(upstream: String, socks: Bool, names: [String]) throws {
        guard let url = URL(string: upstream), let port = url.port else {
            throw FixtureError("not an upstream URL: \(upstream)")
        }
        directory = try TemporaryDirectory()
        log = directory.url("wire.jsonl")
        let input = try cloexecPipe()
        let output = try cloexecPipe()
        var arguments = [Self.script("wire.py"), "--upstream", "127.0.0.1:\(port)", "--log", log.path]
        if socks { arguments.append("--socks") }
        arguments += names.flatMap { ["--map", $0] }
        do {
            process = try spawn(try Self.python(), arguments, stdin: input.read, stdout: output.write)
        } catch {
            [input.read, input.write, output.read, output.write].forEach { close($0) }
            throw error
        }
        close(input.read)
        close(output.write)
        lifeline = Lifeline(input.write, reaping: process)

        // "ready http=PORT socks=PORT", once it listens; EOF if it died.
        let said = Self.firstLine(output.read)
        var ports: [String: Int] = [:]
        for field in said.split(whereSeparator: \.isWhitespace) {
            let pair = field.split(separator: "=")
            if pair.count == 2, let value = Int(pair[1]) { ports[String(pair[0])] = value }
        }
        guard said.hasPrefix("ready "), let http = ports["http"], !socks || ports["socks"] != nil else {
            close(input.write)
            _ = waitForExit(process)
            throw FixtureError("wire.py did not start: \(said)")
        }
        self.http = http
        self.socks = ports["socks"]
    }

    /// How many events are recorded so far: a mark for ``part(_:_:)``.
    func mark() throws -> Int {
        try events().count
    }

    /// The events recorded, each a JSON line.
    func events() throws -> [Substring] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        // Only whole lines: wire.py may be writing the next one.
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().filter { !$0.isEmpty }
    }

    /// The connections recorded (of every kind, accepted or refused).
    func connections() throws -> [Substring] {
        try events().filter { $0.contains("\"event\": \"connection\"") }
    }

    /// The events between the marks of `ranges`, as a log of their own for
    /// check.py (one phone's requests, say).
    func part(_ ranges: [(Int, Int)], _ name: String) throws -> URL {
        let all = try events()
        let lines = ranges.flatMap { all[$0.0..<$0.1] }
        let file = directory.url(name)
        try lines.map { $0 + "\n" }.joined().write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Stops wire.py (it exits when its input closes); reaped on a thread
    /// of its own.
    func stop() {
        lifeline.cut()
    }

    deinit { stop() }

    /// `check.py LOG ARGUMENTS`: its exit status and what it said (its
    /// summary line, or each violation).
    static func check(_ log: URL, _ arguments: [String]) async throws -> (status: Int32, said: String) {
        try await offThePool {
            let result = try run(try python(), [script("check.py"), log.path] + arguments)
            let said = String(decoding: result.output + result.errors, as: UTF8.self)
            return (result.status, said.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The first line read from `fd` (what came, at EOF), then closes it.
    @available(*, noasync, message: "it blocks: call it through offThePool")
    private static func firstLine(_ fd: Int32) -> String {
        defer { close(fd) }
        var seen = Data()
        var byte: UInt8 = 0
        while byte != UInt8(ascii: "\n") {
            let n = read(fd, &byte, 1)
            if n == 1 {
                seen.append(byte)
            } else if n == 0 || errno != EINTR {
                break
            }
        }
        return String(decoding: seen, as: UTF8.self)
    }

    /// `tests/wire/NAME` in this repository.
    private static func script(_ name: String) -> String {
        var root = URL(fileURLWithPath: #filePath)
        // bindings/swift/Tests/WaymarkTests/Support/WireRecorder.swift
        for _ in 0..<6 { root.deleteLastPathComponent() }
        return root.appendingPathComponent("tests/wire/\(name)").path
    }

    /// python3 on the PATH (posix_spawn takes a path, not a name).
    private static func python() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw FixtureError("python3 is not on the PATH")
    }
}
