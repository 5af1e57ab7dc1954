import Foundation
import Observation
import Waymark

/// The panic wipe, in two taps from the lock screen and from settings:
/// the first shows one confirmation, the second wipes everything (the
/// vault's keys first, then every file of the app's home).
@MainActor @Observable
public final class PanicWipe {
    /// True after the first tap: the confirmation is shown.
    public private(set) var isConfirming = false
    /// True while wiping.
    public private(set) var isWiping = false

    @ObservationIgnored var wipe: @MainActor () async -> Bool

    /// - Parameter wipe: Does the wiping; true when everything is gone.
    public init(wipe: @escaping @MainActor () async -> Bool) {
        self.wipe = wipe
    }

    /// The first tap.
    public func request() {
        isConfirming = true
    }

    /// "No, keep everything".
    public func cancel() {
        isConfirming = false
    }

    /// The second tap. Does nothing unless the confirmation is shown.
    @discardableResult
    public func confirm() async -> Bool {
        guard isConfirming, !isWiping else { return false }
        isWiping = true
        defer {
            isWiping = false
            isConfirming = false
        }
        return await wipe()
    }
}

/// Settings and safety: auto-lock, locking when the app leaves the screen,
/// hiding content in the app switcher, the duress passphrase, the data
/// budget and proxy, the language, the panic wipe, and what the app never
/// does.
@MainActor @Observable
public final class SettingsModel {
    /// The message for the last change or failure, in the person's language.
    public private(set) var message: String?
    /// The panic wipe's two taps.
    public let panicWipe: PanicWipe

    private let vault: Vault
    private let preferences: @MainActor () -> Preferences
    private let update: @MainActor (Preferences) -> Void

    /// - Parameters:
    ///   - preferences: The current preferences.
    ///   - update: Keeps changed preferences (saves and applies them).
    public init(
        vault: Vault, panicWipe: PanicWipe, preferences: @escaping @MainActor () -> Preferences,
        update: @escaping @MainActor (Preferences) -> Void
    ) {
        self.vault = vault
        self.panicWipe = panicWipe
        self.preferences = preferences
        self.update = update
    }

    private var strings: Strings { Strings(preferences().language) }

    /// The current preferences.
    public var current: Preferences { preferences() }

    /// Locks after `minutes` without use.
    public func setAutoLock(minutes: Int) async {
        do {
            try await vault.setAutoLock(idle: TimeInterval(minutes * 60))
            var changed = preferences()
            changed.autoLockMinutes = minutes
            update(changed)
            message = nil
        } catch {
            message = UserMessage.text(for: error, strings: strings)
        }
    }

    /// Lock as soon as the app leaves the screen.
    public func setLockWhenLeaving(_ on: Bool) {
        var changed = preferences()
        changed.lockWhenLeaving = on
        update(changed)
    }

    /// Blank the app's picture in the app switcher.
    public func setHideInAppSwitcher(_ on: Bool) {
        var changed = preferences()
        changed.hideInAppSwitcher = on
        update(changed)
    }

    /// The most one sync may spend on a metered network without asking.
    public func setMeteredBudget(bytes: Int64) {
        var changed = preferences()
        changed.meteredBudgetBytes = max(0, bytes)
        update(changed)
    }

    /// The proxy for sync (`socks5h://127.0.0.1:9050` for Orbot), or none
    /// for an empty text. Anything else is refused with a message.
    @discardableResult
    public func setProxy(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var changed = preferences()
        if trimmed.isEmpty {
            changed.proxy = nil
        } else {
            guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
                  ["http", "socks5", "socks5h"].contains(scheme), url.host != nil, url.port != nil
            else {
                message = strings(.proxyInvalid)
                return false
            }
            changed.proxy = trimmed
        }
        update(changed)
        message = nil
        return true
    }

    /// Turns Face ID / Touch ID unlock on with `keystore` (the Keychain),
    /// or off with nil. A refused prompt changes nothing and says so.
    public func setBiometricUnlock(_ keystore: (any PlatformKeystore)?) async {
        do {
            if let keystore {
                try await vault.enableKeystoreUnlock(keystore: keystore)
            } else {
                try await vault.disableKeystoreUnlock()
            }
            var changed = preferences()
            changed.biometricUnlock = keystore != nil
            update(changed)
            message = nil
        } catch {
            message = UserMessage.text(for: error, strings: strings)
        }
    }

    /// The app's language.
    public func setLanguage(_ language: AppLanguage) {
        var changed = preferences()
        changed.language = language
        update(changed)
    }

    /// Sets the duress passphrase: typed at the lock screen, it opens the
    /// decoy vault, which looks and behaves like this one. With
    /// `destroyReal`, using it also deletes the real documents. Refused
    /// with a message when too short or the two fields differ.
    @discardableResult
    public func setDuress(passphrase: String, repeated: String, destroyReal: Bool) async -> Bool {
        guard PassphraseStrength.assess(passphrase) != .tooShort else {
            message = PassphraseStrength.tooShort.hint(strings)
            return false
        }
        guard passphrase == repeated else {
            message = strings(.passphrasesDiffer)
            return false
        }
        do {
            try await vault.setDuressPassphrase(duress: passphrase, destroyReal: destroyReal)
            message = strings(.duressSet)
            return true
        } catch {
            message = UserMessage.text(for: error, strings: strings)
            return false
        }
    }

    /// Removes the duress passphrase.
    public func removeDuress() async {
        do {
            try await vault.removeDuressPassphrase()
            message = strings(.duressRemoved)
        } catch {
            message = UserMessage.text(for: error, strings: strings)
        }
    }

    /// A new recovery code (the old one stops working): show it once, as
    /// at the first run.
    public func newRecoveryCode() async -> String? {
        do {
            return try await vault.regenerateRecoveryCode()
        } catch {
            message = UserMessage.text(for: error, strings: strings)
            return nil
        }
    }

    /// What the app never does, in plain words.
    public var neverDoes: [String] {
        [.neverSendsDocuments, .neverTracks, .neverSharesLocation, .neverAds, .neverAccount].map { strings($0) }
    }
}
