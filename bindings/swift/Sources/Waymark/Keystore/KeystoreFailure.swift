import Foundation

/// Why the platform keystore did not give Waymark its secret, and what the
/// app does about it. ``KeychainKeystore`` throws these as
/// ``WaymarkError/keystore(reason:)`` with the raw value as the reason (the
/// core passes it through unchanged), so the app reads it back with
/// ``WaymarkError/keystoreFailure``:
///
/// ```swift
/// do {
///     try await vault.unlockWithKeystore(keystore: keystore)
/// } catch let error as WaymarkError {
///     switch error.keystoreFailure {
///     case .cancelled?, .authenticationFailed?, .lockedOut?, .notInteractive?:
///         showPassphraseField()            // and offer Face ID again later
///     case .invalidated?, .corrupted?:
///         showPassphraseField()            // then, once unlocked: try keystore.reset()
///         offerToTurnFaceIDBackOn()        // and vault.enableKeystoreUnlock(keystore:)
///     case .unavailable?:
///         hideFaceIDOption()
///     case .failed?, nil:
///         showPassphraseField()
///     }
/// }
/// ```
///
/// The raw values are stable (the app may match on them) and carry no
/// personal data.
public enum KeystoreFailure: String, Error, Sendable, CaseIterable {
    /// The person dismissed the biometric or passcode prompt, chose to enter
    /// the passphrase instead, or the system dismissed it (a call, the app
    /// going to the background). Fall back to the passphrase.
    case cancelled = "keychain: cancelled"
    /// The face or finger did not match. Fall back to the passphrase.
    case authenticationFailed = "keychain: authentication failed"
    /// Biometry is locked after too many failed matches until the person
    /// enters the device passcode. Fall back to the passphrase.
    case lockedOut = "keychain: biometry locked out"
    /// The prompt could not be shown: the device is locked or the app is not
    /// in the foreground. Try again when the app is active.
    case notInteractive = "keychain: not interactive"
    /// The secret is gone for good: the enrolled faces or fingers changed
    /// (the key is bound to the set enrolled when it was made) or the
    /// device passcode was removed. Unlock with the passphrase, then
    /// ``KeychainKeystore/reset()`` and enable keystore unlock again.
    case invalidated = "keychain: invalidated"
    /// No biometry is enrolled (or the hardware has none), no device
    /// passcode is set, or the app lacks the keychain entitlement: keystore
    /// unlock cannot be offered on this device now.
    case unavailable = "keychain: unavailable"
    /// What the keychain holds cannot be read as Waymark's (another format,
    /// or damaged). Treat as ``invalidated``.
    case corrupted = "keychain: unreadable item"
    /// Any other keychain failure. Fall back to the passphrase.
    case failed = "keychain: failed"

    /// The error to throw from a ``PlatformKeystore``: the core reports it
    /// to the caller of the unlock unchanged.
    public var error: WaymarkError {
        .keystore(reason: rawValue)
    }
}

/// A failure as the Keychain or LocalAuthentication reported it: an
/// `OSStatus`, or an `NSError` code in one of the two domains. Kept as
/// numbers so the mapping to ``KeystoreFailure`` compiles and is tested
/// everywhere, not only where `Security` exists.
struct KeychainError: Error, Equatable {
    enum Domain: Equatable {
        /// `OSStatus` (`NSOSStatusErrorDomain`).
        case osStatus
        /// `LAError.Code` (`LAErrorDomain`, "com.apple.LocalAuthentication").
        case localAuthentication
        /// Anything else.
        case other(String)
    }

    let domain: Domain
    let code: Int

    init(domain: Domain, code: Int) {
        self.domain = domain
        self.code = code
    }

    /// An `OSStatus`.
    init(status: Int32) {
        self.init(domain: .osStatus, code: Int(status))
    }

    /// An error from `CFError`/`NSError`, by its domain name.
    init(domainName: String, code: Int) {
        switch domainName {
        case "NSOSStatusErrorDomain": self.init(domain: .osStatus, code: code)
        case "com.apple.LocalAuthentication": self.init(domain: .localAuthentication, code: code)
        default: self.init(domain: .other(domainName), code: code)
        }
    }
}

/// The `OSStatus` values the mapping knows, as `Security` defines them
/// (`SecBase.h`); a test where `Security` exists checks them against it.
enum KeychainStatus {
    static let success: Int32 = 0
    static let userCanceled: Int32 = -128
    static let notAvailable: Int32 = -25291
    static let authFailed: Int32 = -25293
    static let itemNotFound: Int32 = -25300
    static let interactionNotAllowed: Int32 = -25308
    static let decode: Int32 = -26275
    static let missingEntitlement: Int32 = -34018
}

/// `LAError.Code` raw values (`LAError.h`), checked the same way.
enum LocalAuthenticationCode {
    static let authenticationFailed = -1
    static let userCancel = -2
    static let userFallback = -3
    static let systemCancel = -4
    static let passcodeNotSet = -5
    static let biometryNotAvailable = -6
    static let biometryNotEnrolled = -7
    static let biometryLockout = -8
    static let appCancel = -9
    static let invalidContext = -10
    static let notInteractive = -1004
}

extension KeystoreFailure {
    /// What a Keychain or LocalAuthentication error means for the app.
    init(_ error: KeychainError) {
        switch error.domain {
        case .osStatus:
            switch Int32(clamping: error.code) {
            case KeychainStatus.userCanceled: self = .cancelled
            case KeychainStatus.authFailed: self = .authenticationFailed
            case KeychainStatus.interactionNotAllowed: self = .notInteractive
            // Asked for by what Waymark stored itself: gone since.
            case KeychainStatus.itemNotFound: self = .invalidated
            case KeychainStatus.notAvailable, KeychainStatus.missingEntitlement: self = .unavailable
            case KeychainStatus.decode: self = .corrupted
            default: self = .failed
            }
        case .localAuthentication:
            switch error.code {
            case LocalAuthenticationCode.userCancel, LocalAuthenticationCode.userFallback,
                 LocalAuthenticationCode.systemCancel, LocalAuthenticationCode.appCancel:
                self = .cancelled
            case LocalAuthenticationCode.authenticationFailed: self = .authenticationFailed
            case LocalAuthenticationCode.biometryLockout: self = .lockedOut
            case LocalAuthenticationCode.passcodeNotSet, LocalAuthenticationCode.biometryNotAvailable,
                 LocalAuthenticationCode.biometryNotEnrolled:
                self = .unavailable
            case LocalAuthenticationCode.notInteractive, LocalAuthenticationCode.invalidContext:
                self = .notInteractive
            default: self = .failed
            }
        case .other:
            self = .failed
        }
    }
}
