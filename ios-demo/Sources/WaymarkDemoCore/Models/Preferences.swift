import Foundation

/// The person's choices that are not secret: the app's language, safety
/// and data settings. Kept in `preferences.json` in the app's home (no
/// documents, no location, no identifiers), so the chosen language shows
/// before the vault is unlocked.
public struct Preferences: Codable, Sendable, Equatable {
    /// The app's language.
    public var language: AppLanguage = .english
    /// Lock the vault after this many minutes without use.
    public var autoLockMinutes: Int = 5
    /// Lock the vault as soon as the app leaves the screen.
    public var lockWhenLeaving: Bool = true
    /// Show a blank screen instead of the app's content in the app switcher.
    public var hideInAppSwitcher: Bool = true
    /// Most bytes one sync may spend on a metered network before asking.
    public var meteredBudgetBytes: Int64 = 2_000_000
    /// An HTTP or SOCKS5 proxy for sync (`socks5h://127.0.0.1:9050` for
    /// Orbot), nil for none.
    public var proxy: String?
    /// Unlock with Face ID or Touch ID.
    public var biometricUnlock: Bool = false

    public init() {}

    /// The auto-lock delays offered, in minutes.
    public static let autoLockChoices = [1, 5, 15, 60]
    /// The metered budgets offered, in bytes.
    public static let budgetChoices: [Int64] = [500_000, 2_000_000, 10_000_000, 50_000_000]

    static let fileName = "preferences.json"

    /// The preferences kept in `directory`, or the defaults.
    static func load(from directory: URL) -> Preferences {
        let file = directory.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: file),
              let preferences = try? JSONDecoder().decode(Preferences.self, from: data)
        else { return Preferences() }
        return preferences
    }

    /// Writes them into `directory`, atomically.
    func save(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(self)
        try data.write(to: directory.appendingPathComponent(Self.fileName), options: [.atomic])
    }
}
