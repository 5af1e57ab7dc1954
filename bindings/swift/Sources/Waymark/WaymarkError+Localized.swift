import Foundation

/// What the person sees is the app's, in the person's language: map
/// ``WaymarkError/code()`` to the app's own translated strings.
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
///     case .wrongPassphrase(let attempts, let wait):
///         // "wrong_passphrase %lld %lld" in Localizable.xcstrings, per language
///         return String(localized: "wrong_passphrase \(attempts) \(wait)")
///     default:
///         // "locked", "not_found", "network", "keystore"… as keys
///         return String(localized: String.LocalizationValue(error.code()))
///     }
/// }
/// ```
extension WaymarkError: LocalizedError {
    // The stable code is the Rust side's `code()`, generated into the enum
    // (the same strings in Kotlin; ErrorTests pins them): this extension
    // only adds the texts around it. (A `var code` could not sit beside it.)

    /// English and technical, for logs and bug reports: `[code] text`.
    /// Free of personal data, and not for the person: show the app's
    /// translation of ``code()`` instead.
    public var errorDescription: String? {
        "[\(code())] \(description)"
    }

    /// Why the platform keystore refused, when this is a ``keystore(reason:)``
    /// raised by ``KeychainKeystore`` (or any keystore that throws
    /// ``KeystoreFailure/error``); nil otherwise.
    public var keystoreFailure: KeystoreFailure? {
        guard case .keystore(let reason) = self else { return nil }
        return KeystoreFailure(rawValue: reason)
    }
}
