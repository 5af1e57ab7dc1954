import Foundation
import Observation
import Waymark

/// The first run: choose a language, create the vault with a passphrase,
/// see the recovery code once and prove it was written down by typing two
/// of its groups, then optionally turn on biometric unlock.
///
/// The recovery code lives in this model only from the vault's creation
/// until the person confirms it: after that no screen can show it again.
@MainActor @Observable
public final class FirstRunModel {
    /// Where the person is in the first run.
    public enum Step: Sendable, Equatable {
        case language
        case passphrase
        case recoveryCode
        case confirmCode
        case biometrics
        case done
    }

    /// The current step.
    public private(set) var step: Step = .language
    /// The passphrase being chosen.
    public var passphrase = ""
    /// The passphrase typed again.
    public var repeated = ""
    /// The recovery code in its groups (`7KQ2`, `9XWM`, …): set only
    /// between creation and confirmation.
    public private(set) var recoveryCodeGroups: [String]?
    /// The two groups (indices into the code, from 0) to type back.
    public private(set) var groupsToConfirm: [Int] = []
    /// What the person typed for those groups.
    public var typedGroups: [String] = ["", ""]
    /// The message for the last mistake, in the person's language.
    public private(set) var message: String?
    /// True while the vault is being created (about a second).
    public private(set) var isWorking = false
    /// True once biometric unlock was turned on.
    public private(set) var biometricsEnabled = false

    /// The hint under the passphrase field.
    public var strength: PassphraseStrength { PassphraseStrength.assess(passphrase) }
    /// The language chosen.
    public var language: AppLanguage { preferences.language }

    private var preferences: Preferences
    private let home: WaymarkHome
    private let environment: DemoEnvironment
    private var vault: Vault?
    private let onLanguage: @MainActor (AppLanguage) -> Void
    private let onFinished: @MainActor (Vault) -> Void

    /// - Parameters:
    ///   - onLanguage: Called when a language is chosen (the app switches).
    ///   - onFinished: Called with the unlocked vault at the end.
    public init(
        home: WaymarkHome, preferences: Preferences, environment: DemoEnvironment,
        onLanguage: @escaping @MainActor (AppLanguage) -> Void,
        onFinished: @escaping @MainActor (Vault) -> Void
    ) {
        self.home = home
        self.preferences = preferences
        self.environment = environment
        self.onLanguage = onLanguage
        self.onFinished = onFinished
    }

    private var strings: Strings { Strings(preferences.language) }

    /// Step 1: the language, then on to the passphrase.
    public func choose(_ language: AppLanguage) {
        preferences.language = language
        onLanguage(language)
        message = nil
        step = .passphrase
    }

    /// Step 2: creates the vault. On a mistake (too short, the two fields
    /// differ) says so and changes nothing. Returns true when created.
    @discardableResult
    public func createVault() async -> Bool {
        guard step == .passphrase, !isWorking else { return false }
        guard strength != .tooShort else {
            message = strength.hint(strings)
            return false
        }
        guard passphrase == repeated else {
            message = strings(.passphrasesDiffer)
            return false
        }
        isWorking = true
        defer { isWorking = false }
        do {
            let created = try await home.createVault(passphrase: passphrase, kdf: environment.kdf)
            vault = created.vault
            recoveryCodeGroups = created.recoveryCode.split(separator: "-").map(String.init)
            var generator = SystemRandomNumberGenerator()
            let count = recoveryCodeGroups?.count ?? 0
            let first = Int.random(in: 0..<count, using: &generator)
            var second = Int.random(in: 0..<(count - 1), using: &generator)
            if second >= first { second += 1 }
            groupsToConfirm = [first, second].sorted()
            passphrase = ""
            repeated = ""
            message = nil
            step = .recoveryCode
            return true
        } catch {
            message = UserMessage.text(for: error, strings: strings)
            return false
        }
    }

    /// Step 3: "I wrote it down": on to typing two groups back.
    public func wroteItDown() {
        guard step == .recoveryCode else { return }
        typedGroups = ["", ""]
        message = nil
        step = .confirmCode
    }

    /// Back from the confirmation to the code (the person did not write it
    /// down after all). Only before the code is confirmed.
    public func showCodeAgain() {
        guard step == .confirmCode else { return }
        message = nil
        step = .recoveryCode
    }

    /// Step 4: checks the two typed groups (case, spaces, and the letters
    /// O, I, L read as 0, 1, 1 do not matter). Right: the code is
    /// forgotten by the app and the run goes on; wrong: a message, and the
    /// person may try again or look at the code again.
    @discardableResult
    public func confirmCode() -> Bool {
        guard step == .confirmCode, let groups = recoveryCodeGroups else { return false }
        let matches = zip(groupsToConfirm, typedGroups).allSatisfy { index, typed in
            Self.normalised(typed) == Self.normalised(groups[index])
        }
        guard matches else {
            message = strings(.recoveryGroupsWrong)
            return false
        }
        recoveryCodeGroups = nil
        groupsToConfirm = []
        typedGroups = ["", ""]
        message = nil
        step = .biometrics
        return true
    }

    /// Step 5: turns on biometric unlock with `keystore` (the Keychain,
    /// behind Face ID or Touch ID), or skips it with nil. A refusal (the
    /// person cancelled the prompt) says so and finishes without it.
    public func finish(biometrics keystore: (any PlatformKeystore)?) async {
        guard step == .biometrics, let vault else { return }
        if let keystore {
            do {
                try await vault.enableKeystoreUnlock(keystore: keystore)
                biometricsEnabled = true
            } catch {
                message = UserMessage.text(for: error, strings: strings)
            }
        }
        step = .done
        onFinished(vault)
    }

    /// A group as typed, compared as the core reads recovery codes.
    static func normalised(_ group: String) -> String {
        String(group.uppercased().compactMap { character -> Character? in
            switch character {
            case " ", "-": nil
            case "O": "0"
            case "I", "L": "1"
            default: character
            }
        })
    }
}
