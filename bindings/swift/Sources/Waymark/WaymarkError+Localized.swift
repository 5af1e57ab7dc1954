import Foundation

/// What the person sees is the app's, in the person's language: map
/// ``WaymarkError/code`` to the app's own translated strings.
///
/// Waymark's own texts (``WaymarkError/errorDescription``, `description`)
/// are English and technical, for logs and bug reports. Never show them:
/// many people using Waymark read Arabic, Tigrinya or Farsi, not English.
/// That includes SwiftUI's `alert(isPresented:error:)`, which shows
/// `errorDescription`: give it an error of the app's own.
///
/// ```swift
/// func message(for error: WaymarkError) -> String {
///     switch error {
///     case .WrongPassphrase(let attempts, let wait):
///         // "wrong_passphrase %lld %lld" in Localizable.xcstrings, per language
///         return String(localized: "wrong_passphrase \(attempts) \(wait)")
///     default:
///         // "locked", "not_found", "network", "keystore"… as keys
///         return String(localized: String.LocalizationValue(error.code))
///     }
/// }
/// ```
extension WaymarkError: LocalizedError {
    /// A stable, language-neutral name of the error: the key an app maps to
    /// its own translated message. It names the case only (never its
    /// values) and does not change between releases; a new case brings a
    /// new code.
    ///
    /// | case | code |
    /// |---|---|
    /// | ``Locked`` | `locked` |
    /// | ``WrongPassphrase(attempts:retryAfterSeconds:)`` | `wrong_passphrase` |
    /// | ``TooManyAttempts(retryAfterSeconds:)`` | `too_many_attempts` |
    /// | ``NotFound`` | `not_found` |
    /// | ``InvalidInput(reason:)`` | `invalid_input` |
    /// | ``Integrity(reason:)`` | `integrity` |
    /// | ``Network(reason:retryable:retryAfterSeconds:)`` | `network` |
    /// | ``StorageFull`` | `storage_full` |
    /// | ``Keystore(reason:)`` | `keystore` (see ``keystoreFailure``) |
    /// | ``Cancelled`` | `cancelled` |
    /// | ``Internal(reason:)`` | `internal` |
    public var code: String {
        // Spelled here until the Rust error carries a code of its own (the
        // bindings-api branch may add one): then this forwards to it, with
        // the same strings (ErrorTests pins them).
        switch self {
        case .Locked: "locked"
        case .WrongPassphrase: "wrong_passphrase"
        case .TooManyAttempts: "too_many_attempts"
        case .NotFound: "not_found"
        case .InvalidInput: "invalid_input"
        case .Integrity: "integrity"
        case .Network: "network"
        case .StorageFull: "storage_full"
        case .Keystore: "keystore"
        case .Cancelled: "cancelled"
        case .Internal: "internal"
        }
    }

    /// English and technical, for logs and bug reports: `[code] text`.
    /// Free of personal data, and not for the person: show the app's
    /// translation of ``code`` instead.
    public var errorDescription: String? {
        "[\(code)] \(description)"
    }

    /// Why the platform keystore refused, when this is a ``Keystore(reason:)``
    /// raised by ``KeychainKeystore`` (or any keystore that throws
    /// ``KeystoreFailure/error``); nil otherwise.
    public var keystoreFailure: KeystoreFailure? {
        guard case .Keystore(let reason) = self else { return nil }
        return KeystoreFailure(rawValue: reason)
    }
}
