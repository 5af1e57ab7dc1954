import Foundation
import Waymark

/// What to tell the person when something fails: plain words in their
/// language, from the error's stable code, never the library's English
/// technical text (which stays out of the UI and out of logs with personal
/// data).
public enum UserMessage {
    /// The message for `error`.
    public static func text(for error: any Error, strings: Strings) -> String {
        if error is CancellationError { return strings(.errorCancelled) }
        guard let error = error as? WaymarkError else { return strings(.errorInternal) }
        switch error {
        case .locked: return strings(.errorLocked)
        case .wrongPassphrase(let attempts, let wait):
            return wait > 0
                ? strings(.wrongPassphraseWait, ["count": attempts, "seconds": wait])
                : strings(.wrongPassphrase, ["count": attempts])
        case .tooManyAttempts(let wait): return strings(.tooManyAttempts, ["seconds": wait])
        case .notFound: return strings(.errorNotFound)
        case .invalidInput: return strings(.errorInvalidInput)
        case .integrity: return strings(.errorIntegrity)
        case .network(_, let retryable, _): return strings(retryable ? .errorNetworkRetry : .errorNetwork)
        case .storageFull: return strings(.errorStorageFull)
        case .keystore: return strings(.errorKeystore)
        case .cancelled: return strings(.errorCancelled)
        case .internal: return strings(.errorInternal)
        }
    }
}
