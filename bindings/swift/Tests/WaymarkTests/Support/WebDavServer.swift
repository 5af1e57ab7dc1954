import Foundation

#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// wsgidav (WebDAV on cheroot, the server the core's backup tests use too)
/// serving a fresh temporary folder on 127.0.0.1, with Basic auth for
/// user `alice`, password `s3cret`. The binary is `WAYMARK_WSGIDAV`
/// (`scripts/test` and `scripts/swift-test` set it), else
/// `$CARGO_TARGET_DIR/wsgidav/bin/wsgidav`.
///
/// Like ``PackServer``, it runs under a watchdog shell that kills it when
/// this object's end of a pipe closes (on ``stop()``, or when the test
/// process dies), and tests keep it up with `defer { server.stop() }`.
final class WebDavServer: @unchecked Sendable {
    static let username = "alice"
    static let password = "s3cret"

    /// `http://127.0.0.1:PORT/`.
    let url: String
    /// What the server stores, as files.
    let root: URL
    private let directory: TemporaryDirectory
    private let watchdog: pid_t
    private let lifeline: Lifeline

    /// Starts a server and waits until it listens.
    static func start() async throws -> WebDavServer {
        try await offThePool { try WebDavServer() }
    }

    @available(*, noasync, message: "it waits for the server to start: call start()")
    private init() throws {
        let environment = ProcessInfo.processInfo.environment
        let executable = environment["WAYMARK_WSGIDAV"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["CARGO_TARGET_DIR"].map { "\($0)/wsgidav/bin/wsgidav" }
        guard let executable, FileManager.default.isExecutableFile(atPath: executable) else {
            throw FixtureError(
                "wsgidav is not installed: run scripts/test once, or set WAYMARK_WSGIDAV (\(executable ?? "unset"))")
        }
        directory = try TemporaryDirectory()
        root = directory.url("dav")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // A server whose port was taken between freePort() and its bind
        // exits at once: start it again on another port.
        var started: (port: UInt16, watchdog: pid_t, lifeline: Lifeline)?
        for attempt in 1...5 {
            started = try Self.launch(executable, serving: root, in: directory, attempt: attempt)
            if started != nil { break }
        }
        guard let started else { throw FixtureError("wsgidav exited five times before listening") }
        watchdog = started.watchdog
        lifeline = started.lifeline
        url = "http://127.0.0.1:\(started.port)/"
    }

    /// Starts wsgidav on a free port and waits until it listens; nil when
    /// it exited first.
    @available(*, noasync, message: "it waits for the server to start")
    private static func launch(
        _ executable: String, serving root: URL, in directory: TemporaryDirectory, attempt: Int
    ) throws -> (port: UInt16, watchdog: pid_t, lifeline: Lifeline)? {
        let port = try freePort()
        let config = directory.path("wsgidav-\(attempt).yaml")
        let pidFile = directory.path("wsgidav-\(attempt).pid")
        let exited = directory.path("wsgidav-\(attempt).exited")
        try """
            host: 127.0.0.1
            port: \(port)
            server: cheroot
            provider_mapping:
              "/": \(root.path)
            http_authenticator:
              domain_controller: null
              accept_basic: true
              accept_digest: false
              default_to_digest: false
            simple_dc:
              user_mapping:
                "*":
                  \(username):
                    password: "\(password)"
            verbose: 0
            logging:
              enable: false

            """.write(toFile: config, atomically: true, encoding: .utf8)

        // The watchdog: wsgidav in a subshell that marks its exit, killed
        // when this end of the pipe closes.
        let input = try cloexecPipe()
        let script = #"""
            ( "$0" --config "$1" & echo "$!" > "$2"; wait "$!"; : > "$3" ) &
            read -r _; kill -9 "$(cat "$2")" 2>/dev/null; wait
            """#
        let watchdog: pid_t
        do {
            watchdog = try spawn("/bin/sh", ["-c", script, executable, config, pidFile, exited], stdin: input.read)
        } catch {
            close(input.read)
            close(input.write)
            throw error
        }
        close(input.read)
        let lifeline = Lifeline(input.write, reaping: watchdog)

        let deadline = Date().addingTimeInterval(60)
        while !accepts(port) {
            if FileManager.default.fileExists(atPath: exited) {
                lifeline.cut()
                return nil
            }
            guard Date() < deadline else {
                lifeline.cut()
                throw FixtureError("wsgidav did not start listening on port \(port)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return (port, watchdog, lifeline)
    }

    /// Stops the server; the watchdog is reaped on a thread of its own.
    func stop() {
        lifeline.cut()
    }

    deinit { stop() }

    /// A port that was free a moment ago, below Linux's and macOS's
    /// ephemeral ranges (32768 and 49152 up), so that no outgoing connection
    /// of a test running alongside takes it before wsgidav binds it.
    private static func freePort() throws -> UInt16 {
        for _ in 0..<100 {
            let port = UInt16.random(in: 20_000..<32_000)
            let fd = socket(AF_INET, streamSocket, 0)
            guard fd >= 0 else { throw FixtureError("socket() failed") }
            defer { close(fd) }
            var address = loopback(port: port)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if bound == 0 { return port }
        }
        throw FixtureError("no free port on 127.0.0.1")
    }

    @available(*, noasync, message: "it connects, blocking")
    private static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
