import Foundation
import Observation
import Waymark

/// The lock screen: the passphrase (or the duress passphrase, which opens
/// the decoy vault through exactly the same steps, so nothing on screen
/// differs), biometric unlock, and recovery with the recovery code.
///
/// A wrong passphrase says how many attempts failed; after the free ones
/// the vault refuses attempts for a while, and the screen counts the
/// seconds down live (``secondsLeft``) with the button disabled.
@MainActor @Observable
public final class UnlockModel {
    /// Which form is shown.
    public enum Mode: Sendable, Equatable {
        case passphrase
        case recovery
    }

    /// The form shown.
    public var mode: Mode = .passphrase
    /// The passphrase field.
    public var passphrase = ""
    /// The recovery code field (recovery mode).
    public var recoveryCode = ""
    /// The new passphrase (recovery mode).
    public var newPassphrase = ""
    /// Consecutive failed attempts, as the vault counts them.
    public private(set) var failedAttempts = 0
    /// Seconds before another attempt is accepted, counting down.
    public private(set) var secondsLeft = 0
    /// The message for the last failure, in the person's language.
    public private(set) var message: String?
    /// True while the passphrase is checked (about a second).
    public private(set) var isWorking = false

    /// "Try again in 28 s" while attempts are refused, else nil.
    public var countdownText: String? {
        secondsLeft > 0 ? strings()(.tryAgainIn, ["seconds": secondsLeft]) : nil
    }

    /// Offer Face ID / Touch ID (the person turned it on).
    public let offersBiometrics: Bool

    /// True when an attempt can be made now.
    public var canSubmit: Bool {
        guard !isWorking, secondsLeft == 0 else { return false }
        switch mode {
        case .passphrase: return !passphrase.isEmpty
        case .recovery: return !recoveryCode.isEmpty && PassphraseStrength.assess(newPassphrase) != .tooShort
        }
    }

    private let vault: Vault
    private let environment: DemoEnvironment
    private let strings: @MainActor () -> Strings
    private let onUnlocked: @MainActor () -> Void
    private var retryUntil: Date?
    private var countdown: Task<Void, Never>?

    /// - Parameters:
    ///   - offersBiometrics: Show the Face ID / Touch ID button.
    ///   - strings: The texts in the person's current language.
    ///   - onUnlocked: Called once the vault (real or decoy) is open.
    public init(
        vault: Vault, environment: DemoEnvironment, offersBiometrics: Bool = false,
        strings: @escaping @MainActor () -> Strings, onUnlocked: @escaping @MainActor () -> Void
    ) {
        self.vault = vault
        self.offersBiometrics = offersBiometrics
        self.environment = environment
        self.strings = strings
        self.onUnlocked = onUnlocked
    }

    /// Tries the passphrase. Returns true when the vault opened.
    @discardableResult
    public func unlock() async -> Bool {
        guard mode == .passphrase, canSubmit else { return false }
        return await attempt { [vault, passphrase] in try await vault.unlock(passphrase: passphrase) }
    }

    /// Opens the vault with the recovery code and sets the new passphrase.
    /// A mistyped code is refused before anything changes.
    @discardableResult
    public func recover() async -> Bool {
        guard mode == .recovery, canSubmit else { return false }
        return await attempt { [vault, recoveryCode, newPassphrase] in
            try await vault.unlockWithRecoveryCode(recoveryCode: recoveryCode, newPassphrase: newPassphrase)
        }
    }

    /// Opens the vault with Face ID or Touch ID through `keystore`; a
    /// refusal leaves the passphrase form as it was, with a message.
    @discardableResult
    public func unlock(with keystore: any PlatformKeystore) async -> Bool {
        guard !isWorking else { return false }
        return await attempt { [vault] in try await vault.unlockWithKeystore(keystore: keystore) }
    }

    /// Recomputes the countdown from the clock (the countdown's task calls
    /// it every second).
    public func tick() {
        guard let retryUntil else {
            secondsLeft = 0
            return
        }
        let left = retryUntil.timeIntervalSince(environment.clock.now())
        secondsLeft = left > 0 ? Int(left.rounded(.up)) : 0
        if secondsLeft == 0 {
            self.retryUntil = nil
            countdown?.cancel()
            countdown = nil
        }
    }

    private func attempt(_ call: @escaping @Sendable () async throws -> Void) async -> Bool {
        isWorking = true
        defer { isWorking = false }
        do {
            try await call()
            passphrase = ""
            recoveryCode = ""
            newPassphrase = ""
            failedAttempts = 0
            message = nil
            onUnlocked()
            return true
        } catch let WaymarkError.wrongPassphrase(attempts, wait) {
            failedAttempts = Int(attempts)
            passphrase = ""
            message = strings()(.wrongPassphrase, ["count": attempts])
            startCountdown(seconds: wait)
        } catch let WaymarkError.tooManyAttempts(wait) {
            message = strings()(.waitBeforeTrying)
            startCountdown(seconds: wait)
        } catch WaymarkError.invalidInput where mode == .recovery {
            message = strings()(.recoveryCodeWrong)
        } catch {
            message = UserMessage.text(for: error, strings: strings())
        }
        return false
    }

    private func startCountdown(seconds: Int64) {
        guard seconds > 0 else { return }
        retryUntil = environment.clock.now().addingTimeInterval(TimeInterval(seconds))
        countdown?.cancel()
        tick()
        let clock = environment.clock
        countdown = Task { [weak self] in
            while !Task.isCancelled {
                try? await clock.sleep(.seconds(1))
                guard let self, !Task.isCancelled else { return }
                self.tick()
            }
        }
    }
}
