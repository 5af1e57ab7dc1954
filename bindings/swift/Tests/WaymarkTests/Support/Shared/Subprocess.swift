import Foundation

#if canImport(Glibc)
import Glibc
private typealias FileActions = posix_spawn_file_actions_t
private typealias SpawnAttributes = posix_spawnattr_t
private func emptyFileActions() -> FileActions { FileActions() }
private func emptySpawnAttributes() -> SpawnAttributes { SpawnAttributes() }
#elseif canImport(Darwin)
import Darwin
private typealias FileActions = posix_spawn_file_actions_t?
private typealias SpawnAttributes = posix_spawnattr_t?
private func emptyFileActions() -> FileActions { nil }
private func emptySpawnAttributes() -> SpawnAttributes { nil }
#endif

// Child processes for the tests, with posix_spawn rather than Foundation's
// `Process`: on Linux, `Process.waitUntilExit()` can hang forever when
// several tests spawn processes at once (the exit is never noticed), and
// the pipes it makes are inherited by every child spawned meanwhile, so an
// end-of-file may never come. Here every descriptor is close-on-exec except
// the child's own 0, 1 and 2, the child starts with no signal blocked, and
// waiting is a plain `waitpid`.

/// Held while making descriptors close-on-exec and while spawning.
private let spawnLock = NSLock()

/// A pipe whose two ends are close-on-exec.
func cloexecPipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    // Under the spawn lock, so no child starts between pipe() and fcntl()
    // (Glibc's module does not export pipe2).
    spawnLock.lock()
    defer { spawnLock.unlock() }
    guard pipe(&fds) == 0 else { throw FixtureError("pipe() failed") }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    return (fds[0], fds[1])
}

/// Starts `path` with `arguments`; the child's standard streams are the
/// given descriptors (`/dev/null` for nil).
@available(*, noasync, message: "it may block: call it through offThePool")
func spawn(_ path: String, _ arguments: [String], stdin: Int32? = nil, stdout: Int32? = nil,
           stderr: Int32? = nil) throws -> pid_t {
    var actions = emptyFileActions()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (fd, target, flags) in [(stdin, Int32(0), O_RDONLY), (stdout, 1, O_WRONLY), (stderr, 2, O_WRONLY)] {
        if let fd {
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        } else {
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0)
        }
    }

    var attributes = emptySpawnAttributes()
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
    guard status == 0 else {
        throw FixtureError("could not start \(path): \(String(cString: strerror(status)))")
    }
    return pid
}

/// Waits for `pid` to end; its exit status (or 128 + the signal).
@available(*, noasync, message: "it blocks: call it through offThePool")
func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}

/// The write end of a child's standard input, held by a test server (the
/// child, or the watchdog shell around it, exits when it closes). ``cut()``
/// closes it once, from any thread, and reaps the process on a thread of
/// its own, so that no test waits for a process.
final class Lifeline: @unchecked Sendable {
    private let process: pid_t
    // Guarded by `lock`: -1 once closed.
    private let lock = NSLock()
    private var fd: Int32

    init(_ fd: Int32, reaping process: pid_t) {
        self.fd = fd
        self.process = process
    }

    /// Closes the pipe (the first call only) and reaps the process.
    func cut() {
        lock.lock()
        let fd = self.fd
        self.fd = -1
        lock.unlock()
        if fd >= 0 {
            close(fd)
            let process = self.process
            Thread.detachNewThread { _ = waitForExit(process) }
        }
    }
}

/// Reads `fd` to its end and closes it.
@available(*, noasync, message: "it blocks: call it through offThePool")
func readToEnd(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 {
            data.append(contentsOf: buffer[0..<n])
        } else if n == 0 || errno != EINTR {
            break
        }
    }
    close(fd)
    return data
}

/// Runs a program to its end; its exit status, stdout and stderr.
@available(*, noasync, message: "it waits for a process: call it through offThePool")
func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: Data, errors: Data) {
    // Files rather than pipes: nothing to drain while waiting.
    let directory = try TemporaryDirectory()
    let outPath = directory.path("stdout")
    let errPath = directory.path("stderr")
    let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    defer {
        close(out)
        close(err)
    }
    guard out >= 0, err >= 0 else { throw FixtureError("cannot create output files") }
    let status = waitForExit(try spawn(path, arguments, stdout: out, stderr: err))
    return (
        status,
        (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(),
        (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
    )
}
