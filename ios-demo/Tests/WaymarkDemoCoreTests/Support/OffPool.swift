import Foundation

// Swift's cooperative thread pool has as many threads as cores: two on a
// small machine. A test that blocks one of them (waiting for a process,
// reading a pipe) can starve every other test of the pool and hang the
// run. Every blocking step of these fixtures runs on a thread of its own,
// awaited from the test.

/// Runs blocking `work` on a new thread and returns its result.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try work() })
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A required environment variable (set by scripts/ios-demo-test).
func requiredEnvironment(_ name: String) throws -> String {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
        throw FixtureError("\(name) is not set: run these tests with scripts/ios-demo-test")
    }
    return value
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

/// A fresh directory, removed on deinit.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("waymark-demo-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Every regular file below, recursively.
    func allFiles() -> [URL] {
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        return walker.compactMap { $0 as? URL }.filter {
            (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
