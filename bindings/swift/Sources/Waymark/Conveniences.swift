import Foundation

// File URLs instead of path strings, and shorter calls for the common
// cases. Everything here forwards to the generated API.

extension ContentStore {
    /// Searches every installed pack for `text`, best first, preferring
    /// `language` (BCP 47: `ar-EG` prefers Arabic) when an entry has it.
    /// Case, diacritics and Arabic/Persian letter variants do not matter; a
    /// typo is corrected when nothing matches as typed (see
    /// `SearchResults.corrections`). A negative `limit` is refused.
    public func search(_ text: String, language: String? = nil, limit: Int = 20) async throws -> SearchResults {
        try await search(request: SearchRequest(text: text, language: language, limit: Int32(clamping: limit)))
    }

    /// Trusts the publisher whose card (`publisher.json`) is at `card`,
    /// syncing from `url` if given. Show the returned fingerprint so the
    /// person can compare it with the one the publisher gave them.
    public func trustPublisher(cardAt card: URL, url: String? = nil) async throws -> TrustedPublisher {
        try await trustPublisher(card: try Data(contentsOf: card), options: TrustOptions(url: url))
    }

    /// Installs a pack from an offline bundle file, after verifying it
    /// against its publisher's trusted root; nothing changes if anything
    /// fails to verify.
    public func installPack(from bundle: URL) async throws -> InstalledPack {
        try await installPackFromFile(path: bundle.path)
    }

    /// Writes an installed pack with its signed metadata to `file`, for
    /// another phone to install with ``installPack(from:)`` and no network.
    public func exportPack(publisher: String, pack: String, to file: URL) async throws -> ExportedPack {
        try await exportPack(publisher: publisher, packId: pack, path: file.path)
    }
}

extension Vault {
    /// Adds a document from `file`, streamed (memory stays bounded whatever
    /// its size), and returns its id. A MIME type of
    /// `application/octet-stream` is replaced by one guessed from the
    /// file's extension. The app may delete the file afterwards.
    public func addDocument(_ metadata: DocumentMetadata, from file: URL) async throws -> String {
        try await addDocumentFromFile(metadata: metadata, path: file.path)
    }

    /// Writes a document's content to `file`, atomically, and returns its
    /// size in bytes.
    ///
    /// The copy is not encrypted: put it in the app's caches directory,
    /// with `FileProtectionType.complete`, and delete it when the viewer
    /// closes; or stream it without a file (``readDocument(id:to:)``,
    /// ``content(ofDocument:)``).
    public func exportDocument(id: String, to file: URL) async throws -> Int64 {
        try await exportDocument(id: id, path: file.path)
    }
}

/// A ``PlatformKeystore`` from a closure that returns the 32-byte secret,
/// for example one kept in the Keychain with
/// `kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly` and a
/// `SecAccessControl` requiring biometry.
///
/// Throw ``WaymarkError/keystore(reason:)`` from the closure to refuse
/// (the person cancelled Face ID) with a reason free of personal data; any
/// other error reaches the caller of the unlock as
/// ``WaymarkError/internal(reason:)``, never as a crash.
///
/// ```swift
/// try await vault.unlockWithKeystore(keystore: ClosureKeystore {
///     try keychain.secret(prompt: "Unlock your documents")
/// })
/// ```
public final class ClosureKeystore: PlatformKeystore {
    private let secret: @Sendable () throws -> Data

    /// - Parameter secret: Returns the same 32 random bytes every time for
    ///   this installation, creating them on first use.
    public init(_ secret: @escaping @Sendable () throws -> Data) {
        self.secret = secret
    }

    public func vaultSecret() throws -> Data {
        try secret()
    }
}

extension Dictionary where Key == String, Value == String {
    /// This text for a person who reads `languages` (BCP 47, preferred
    /// first), else in any language (nil only when there is no text at
    /// all). Tags match as search matches them: the same tag, else the bare
    /// language (`ar-EG` finds `ar`), else another variant of it. Pass the
    /// person's languages and then the pack's `InstalledPack.fallback`.
    /// Cheap: call it from any thread.
    public func inLanguage(_ languages: [String]) -> String? {
        pickTranslation(translations: self, languages: languages)
    }
}
