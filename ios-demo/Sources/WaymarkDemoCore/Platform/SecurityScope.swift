import Foundation

/// Access to a file another app handed over (Files, "Open in…"): on Apple
/// platforms such a URL is security-scoped and readable only between
/// `startAccessingSecurityScopedResource` and its stop. Elsewhere there is
/// no such thing.
enum SecurityScope {
    /// Runs `body` with access to `url`.
    static func accessing<T: Sendable>(_ url: URL, _ body: @Sendable () async throws -> T) async rethrows -> T {
        #if canImport(Darwin)
        let started = url.startAccessingSecurityScopedResource()
        defer { if started { url.stopAccessingSecurityScopedResource() } }
        #endif
        return try await body()
    }
}
