import Foundation

// Swift's concurrency runs on a cooperative pool of one thread per core (two
// on a small CI machine). A task that blocks one of them (waitpid, a blocking
// read of a child's pipe, posix_spawn) takes it from every other test, and
// many at once can freeze async code (swift-tools-support-core moved its
// waitpid off the pool for that reason). So the fixtures that block are
// marked `noasync`, which makes calling them from an async context a compile
// error, and async code reaches them only through `offThePool`.

/// Runs `work`, which may block, on a thread of its own and returns its
/// result without holding one of the cooperative pool's threads meanwhile.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try work() })
        }
    }
}
