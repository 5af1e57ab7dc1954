import Testing
import Waymark

/// The reason of an `InvalidInput` error, or nil for any other error.
func invalidInputReason(_ error: any Error) -> String? {
    guard let error = error as? WaymarkError, case .invalidInput(let reason) = error else { return nil }
    return reason
}

/// The `WaymarkError` `body` throws; records an issue (and returns nil) if
/// it throws nothing or something else. (`#expect(throws:)` returns the
/// error only from Swift 6.1.)
func waymarkError(
    _ body: () async throws -> Void, sourceLocation: Testing.SourceLocation = #_sourceLocation
) async -> WaymarkError? {
    do {
        try await body()
        Issue.record("expected a WaymarkError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as WaymarkError {
        return error
    } catch {
        Issue.record("expected a WaymarkError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
