import Foundation

/// Where Waymark keeps a person's data on this device: the vault in
/// `vault/` and the content in `content/` under ``directory`` (the same
/// layout as the `waymark` device CLI).
///
/// Use ``defaultDirectory()`` (`Application Support/Waymark`). The home is
/// excluded from device backups, the content is readable after the first
/// unlock (so background sync runs while the phone is locked) and the vault
/// only while it is unlocked: see ``StoragePolicy``.
///
/// ```swift
/// let home = try await WaymarkHome(directory: WaymarkHome.defaultDirectory())
/// let vault = await home.hasVault
///     ? try await home.openVault()
///     : try await home.createVault(passphrase: passphrase).vault
/// try await vault.unlock(passphrase: passphrase)
/// let hits = try await home.content.search("asylum", language: "ar")
/// ```
public final class WaymarkHome: Sendable {
    /// The directory holding everything.
    public let directory: URL
    /// The vault's directory.
    public let vaultDirectory: URL
    /// The installed content: trust store, packs, search, sync.
    public let content: ContentStore

    /// Opens (or creates) the content store under `directory`, creating the
    /// directories if needed with the protection `storage` says
    /// (``StoragePolicy/recommended`` unless the app has reasons); its syncs
    /// go through `transport` (``URLSessionTransport`` unless the app passes
    /// its own). The vault is opened separately. The store is opened on a
    /// Waymark thread.
    public init(
        directory: URL,
        transport: any HttpTransport = URLSessionTransport(),
        storage: StoragePolicy = .recommended
    ) async throws {
        self.directory = directory
        vaultDirectory = directory.appendingPathComponent("vault", isDirectory: true)
        let contentDirectory = directory.appendingPathComponent("content", isDirectory: true)
        try storage.prepare(home: directory, content: contentDirectory, vault: vaultDirectory)
        content = try await ContentStore.open(dir: contentDirectory.path, transport: transport)
    }

    /// True if a vault exists here.
    public var hasVault: Bool {
        get async { await vaultExists(dir: vaultDirectory.path) }
    }

    /// Creates the vault and returns it unlocked, with its recovery code:
    /// show the code once and ask the person to write it down.
    ///
    /// Takes about a second (the passphrase is stretched with Argon2id on a
    /// background thread). Leave `kdf` nil except in tests.
    public func createVault(passphrase: String, kdf: KdfParams? = nil) async throws -> NewVault {
        try await Waymark.createVault(dir: vaultDirectory.path, passphrase: passphrase, kdf: kdf)
    }

    /// Opens the vault, locked. ``WaymarkError/notFound`` if there is none.
    public func openVault() async throws -> Vault {
        try await Vault.open(dir: vaultDirectory.path)
    }

    /// The panic button: wipes the vault without its passphrase (keys
    /// first, then files). Succeeds when there is nothing to wipe.
    public func wipeVault() async throws {
        try await wipeVaultDir(dir: vaultDirectory.path)
    }
}
