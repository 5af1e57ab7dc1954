import Waymark

/// The reason of an `InvalidInput` error, or nil for any other error.
func invalidInputReason(_ error: any Error) -> String? {
    guard let error = error as? WaymarkError, case .invalidInput(let reason) = error else { return nil }
    return reason
}
