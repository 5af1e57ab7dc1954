import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Child processes with posix_spawn, every descriptor but the child's own
// standard streams close-on-exec. Everything here blocks: call it through
// `offPool`, never directly from a test.

private let spawnLock = NSLock()

private func closeOnExecPipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    spawnLock.lock()
    defer { spawnLock.unlock() }
    guard pipe(&fds) == 0 else { throw FixtureError("pipe() failed") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}

/// Starts `path` with `arguments`; its stdin, stdout and stderr are the
/// given descriptors, or /dev/null.
private func spawn(_ path: String, _ arguments: [String], stdin: Int32? = nil, stdout: Int32? = nil,
                   stderr: Int32? = nil) throws -> pid_t {
    #if canImport(Glibc)
    var actions = posix_spawn_file_actions_t()
    #else
    var actions: posix_spawn_file_actions_t?
    #endif
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (fd, target, flags) in [(stdin, Int32(0), O_RDONLY), (stdout, 1, O_WRONLY), (stderr, 2, O_WRONLY)] {
        if let fd {
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        } else {
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0)
        }
    }
    // The child starts with no signal blocked. The spawning thread may
    // block some (SIGCHLD among them), and a mask is inherited: the
    // watchdog shell's `wait` would then sleep forever.
    #if canImport(Glibc)
    var attributes = posix_spawnattr_t()
    #else
    var attributes: posix_spawnattr_t?
    #endif
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    spawnLock.lock()
    defer { spawnLock.unlock() }
    let status = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard status == 0 else { throw FixtureError("could not start \(path): error \(status)") }
    return pid
}

private func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

private func readAll(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 { data.append(contentsOf: buffer[0..<n]) } else if n == 0 || errno != EINTR { break }
    }
    close(fd)
    return data
}

/// Runs `waymark-pack` to its end (blocking); throws with its stderr if it
/// fails.
func runWaymarkPack(_ arguments: [String]) throws {
    let errors = try closeOnExecPipe()
    let pid: pid_t
    do {
        pid = try spawn(try requiredEnvironment("WAYMARK_PACK_BIN"), arguments, stderr: errors.write)
    } catch {
        close(errors.read)
        close(errors.write)
        throw error
    }
    close(errors.write)
    let message = readAll(errors.read)
    guard waitForExit(pid) == 0 else {
        throw FixtureError("waymark-pack \(arguments.first ?? "") failed: \(String(decoding: message, as: UTF8.self))")
    }
}

/// `waymark-pack serve` on a free port of 127.0.0.1, under a watchdog
/// shell that kills it when its stdin closes: on ``stop()``, or when the
/// test process dies, so no server outlives the tests.
final class PackServer: @unchecked Sendable {
    /// `http://127.0.0.1:PORT`.
    let url: String
    private let watchdog: pid_t
    private let lock = NSLock()
    // Guarded by `lock`; -1 once stopped.
    private var lifeline: Int32

    /// Starts the server (blocking until it listens): use ``start(_:)``.
    private init(repository: URL) throws {
        let input = try closeOnExecPipe()
        let errors = try closeOnExecPipe()
        let script = #""$0" serve "$1" --addr 127.0.0.1:0 & server=$!; read -r _; kill -9 "$server"; wait"#
        watchdog = try spawn(
            "/bin/sh", ["-c", script, try requiredEnvironment("WAYMARK_PACK_BIN"), repository.path],
            stdin: input.read, stderr: errors.write)
        close(input.read)
        close(errors.write)
        lifeline = input.write
        // Its first stderr line: "serving REPO on http://127.0.0.1:PORT".
        var seen = Data()
        var found: String?
        var buffer = [UInt8](repeating: 0, count: 4096)
        while found == nil {
            let n = read(errors.read, &buffer, buffer.count)
            if n <= 0 { break }
            seen.append(contentsOf: buffer[0..<n])
            let lines = String(decoding: seen, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            if let line = lines.dropLast().first(where: { $0.contains(" on http://") }),
               let start = line.range(of: "http://") {
                found = String(line[start.lowerBound...]).trimmingCharacters(in: .whitespaces)
            }
        }
        guard let found else {
            close(errors.read)
            close(input.write)
            _ = waitForExit(watchdog)
            throw FixtureError("waymark-pack serve did not start: \(String(decoding: seen, as: UTF8.self))")
        }
        url = found
        let drain = errors.read
        Thread.detachNewThread { _ = readAll(drain) }
    }

    /// Serves `repository`, started off the cooperative pool.
    static func start(_ repository: URL) async throws -> PackServer {
        try await offPool { try PackServer(repository: repository) }
    }

    /// Stops the server and waits for it, off the cooperative pool.
    func stop() async {
        _ = try? await offPool { [self] in stopBlocking() }
    }

    private func stopBlocking() {
        lock.lock()
        let fd = lifeline
        lifeline = -1
        lock.unlock()
        if fd >= 0 {
            close(fd)
            _ = waitForExit(watchdog)
        }
    }

    deinit {
        // Closing the lifeline is enough for the watchdog to kill the
        // server; not waiting here keeps deinit non-blocking.
        if lifeline >= 0 { close(lifeline) }
    }
}
