import Foundation

/// Where and how ``WaymarkHome`` keeps its files on the phone. The default,
/// ``recommended``, is what the library advises:
///
/// - **Nothing in device backups** (`isExcludedFromBackup`, iCloud and
///   computer backups alike). The vault is encrypted, but it leaves the
///   phone only by Waymark's own end-to-end encrypted backup, which the
///   person chooses; a device backup restored elsewhere would not open by
///   biometry anyway (the keystore's keys never leave the device). Content
///   packs are public and come back by sync; they would only fill the
///   person's backup quota.
/// - **Content: `completeUntilFirstUserAuthentication`.** Readable once the
///   phone has been unlocked after it started, also while it is locked
///   again, so a background sync (`BGAppRefreshTask`) can install updates
///   with the phone in a pocket.
/// - **Vault: `complete`.** Unreadable whenever the phone is locked, even
///   by the app. Lock the vault when protected data goes away
///   (`UIApplication.protectedDataWillBecomeUnavailableNotification`): a
///   vault left open cannot read or write its files while the phone is
///   locked.
///
/// File protection classes exist on iOS only, and backup exclusion on Apple
/// platforms; elsewhere (Linux, where the tests run) only the directories
/// are made. The classes are set on the directories, whose new files
/// inherit them, and on the files already there (a home made before).
public struct StoragePolicy: Sendable, Equatable {
    /// A data protection class (`FileProtectionType` on iOS).
    public enum Protection: String, Sendable, CaseIterable {
        /// Unreadable while the phone is locked.
        case complete
        /// Files already open stay usable while locked; new files can be
        /// written; closed files are unreadable.
        case completeUnlessOpen
        /// Unreadable only between a restart and the first unlock.
        case completeUntilFirstUserAuthentication
        /// No protection beyond the device's encryption: not advised.
        case none
    }

    /// Exclude the whole home from device backups.
    public var excludedFromBackup: Bool
    /// The class of `content/` (trust store, packs, downloads).
    public var content: Protection
    /// The class of `vault/` (the encrypted documents and keys).
    public var vault: Protection

    public init(
        excludedFromBackup: Bool = true,
        content: Protection = .completeUntilFirstUserAuthentication,
        vault: Protection = .complete
    ) {
        self.excludedFromBackup = excludedFromBackup
        self.content = content
        self.vault = vault
    }

    /// Excluded from backups; content readable after the first unlock (for
    /// background sync); the vault only while the phone is unlocked.
    public static let recommended = StoragePolicy()

    /// Makes `home`, `home/content` and `home/vault` and applies the policy
    /// to them and to what they hold.
    func prepare(home: URL, content: URL, vault: URL) throws {
        let files = FileManager.default
        try files.createDirectory(at: home, withIntermediateDirectories: true)
        for (directory, protection) in [(content, self.content), (vault, self.vault)] {
            try files.createDirectory(at: directory, withIntermediateDirectories: true)
            try Self.protect(directory, protection)
        }
        #if canImport(Darwin)
        if excludedFromBackup {
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            var url = home
            try url.setResourceValues(values)
        }
        #endif
    }

    /// Sets `protection` on `directory` and everything under it.
    private static func protect(_ directory: URL, _ protection: Protection) throws {
        #if os(iOS)
        let files = FileManager.default
        let attributes: [FileAttributeKey: Any] = [.protectionKey: protection.fileProtectionType]
        try files.setAttributes(attributes, ofItemAtPath: directory.path)
        if let contents = files.enumerator(atPath: directory.path) {
            for case let relative as String in contents {
                try files.setAttributes(attributes, ofItemAtPath: directory.appendingPathComponent(relative).path)
            }
        }
        #endif
    }
}

#if os(iOS)
extension StoragePolicy.Protection {
    var fileProtectionType: FileProtectionType {
        switch self {
        case .complete: .complete
        case .completeUnlessOpen: .completeUnlessOpen
        case .completeUntilFirstUserAuthentication: .completeUntilFirstUserAuthentication
        case .none: .none
        }
    }
}
#endif

extension WaymarkHome {
    /// `Application Support/Waymark` in the app's container (created if
    /// needed): the advised place for ``WaymarkHome``, never `Documents`
    /// (which the Files app and iTunes file sharing can show).
    public static func defaultDirectory() throws -> URL {
        try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
        ).appendingPathComponent("Waymark", isDirectory: true)
    }
}
