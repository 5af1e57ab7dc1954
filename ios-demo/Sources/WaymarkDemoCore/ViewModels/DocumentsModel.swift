import Foundation
import Observation
import Waymark

/// One document in the list.
public struct DocumentRow: Sendable, Identifiable, Equatable {
    /// The document's id in the vault.
    public let id: String
    /// Its title, as the person wrote it.
    public let title: String
    /// Its kind.
    public let kind: DocumentKind
    /// The SF Symbol for its kind.
    public let symbol: String
    /// Expired or expiring within 90 days, else nil.
    public let badge: ExpiryBadge?
    /// The badge's words (nil without a badge).
    public let badgeText: String?
    /// The metadata, for the detail and edit screens.
    public let metadata: DocumentMetadata
    /// Size in bytes.
    public let size: Int64
}

extension DocumentKind {
    /// Every kind, in the order the picker shows them.
    public static let all: [DocumentKind] = [
        .passport, .nationalId, .residencePermit, .visa, .birthCertificate, .marriageCertificate,
        .medical, .education, .travelTicket, .other,
    ]

    /// The SF Symbol shown for the kind.
    public var symbol: String {
        switch self {
        case .passport: "person.text.rectangle"
        case .nationalId: "person.crop.rectangle"
        case .residencePermit: "house"
        case .visa: "airplane"
        case .birthCertificate: "figure.and.child.holdinghands"
        case .marriageCertificate: "heart.text.square"
        case .medical: "cross.case"
        case .education: "graduationcap"
        case .travelTicket: "ticket"
        case .other: "doc"
        }
    }

    /// The kind's name in the person's language.
    public func name(_ strings: Strings) -> String {
        switch self {
        case .passport: strings(.kindPassport)
        case .nationalId: strings(.kindNationalId)
        case .residencePermit: strings(.kindResidencePermit)
        case .visa: strings(.kindVisa)
        case .birthCertificate: strings(.kindBirthCertificate)
        case .marriageCertificate: strings(.kindMarriageCertificate)
        case .medical: strings(.kindMedical)
        case .education: strings(.kindEducation)
        case .travelTicket: strings(.kindTravelTicket)
        case .other: strings(.kindOther)
        }
    }
}

/// The documents screen: the list with expiry badges, adding from the
/// camera, files or photos (streamed into the vault: no plaintext copy is
/// ever written), viewing, editing, deleting, and exporting only after an
/// explicit warning.
@MainActor @Observable
public final class DocumentsModel {
    /// The documents, newest first.
    public private(set) var rows: [DocumentRow] = []
    /// The message for the last failure, in the person's language.
    public private(set) var message: String?
    /// True while a document is being stored.
    public private(set) var isAdding = false
    /// The document whose export waits for the person to accept the
    /// warning (nil: no warning shown).
    public private(set) var exportPending: DocumentRow?

    private let vault: Vault
    private let environment: DemoEnvironment
    private let strings: @MainActor () -> Strings

    public init(vault: Vault, environment: DemoEnvironment, strings: @escaping @MainActor () -> Strings) {
        self.vault = vault
        self.environment = environment
        self.strings = strings
    }

    /// Reads the list again.
    public func reload() async {
        do {
            let documents = try await vault.listDocuments()
            let today = environment.clock.now()
            rows = documents.sorted { $0.createdAt > $1.createdAt }.map { document in
                let badge = ExpiryBadge.badge(
                    expiresOn: document.metadata.expiresOn, today: today, calendar: environment.calendar)
                return DocumentRow(
                    id: document.id, title: document.metadata.title, kind: document.metadata.kind,
                    symbol: document.metadata.kind.symbol, badge: badge, badgeText: badge?.text(strings()),
                    metadata: document.metadata, size: document.size)
            }
        } catch {
            message = UserMessage.text(for: error, strings: strings())
        }
    }

    /// Stores a document whose bytes arrive as `chunks` (the camera's
    /// output, a picked photo or file read piece by piece), encrypting them
    /// as they come. Returns the new id, or nil with a message (nothing
    /// stored) if it failed or was cancelled.
    @discardableResult
    public func add<Chunks: AsyncSequence & Sendable>(
        _ metadata: DocumentMetadata, contentsOf chunks: Chunks
    ) async -> String? where Chunks.Element == Data {
        await adding { [vault] in try await vault.addDocument(metadata, contentsOf: chunks) }
    }

    /// Stores the document in `file` (from the Files picker or another app),
    /// streamed; the app's copy, if any, is the caller's to delete.
    @discardableResult
    public func add(_ metadata: DocumentMetadata, fromFile file: URL) async -> String? {
        await adding { [vault] in
            try await SecurityScope.accessing(file) {
                let handle = try FileHandle(forReadingFrom: file)
                defer { try? handle.close() }
                return try await vault.addDocument(metadata, from: handle)
            }
        }
    }

    /// The picker was cancelled: nothing changes, no message.
    public func pickerCancelled() {
        message = nil
    }

    /// Saves new metadata for a document.
    @discardableResult
    public func update(id: String, metadata: DocumentMetadata) async -> Bool {
        do {
            _ = try await vault.updateMetadata(id: id, metadata: metadata)
            message = nil
            await reload()
            return true
        } catch {
            message = UserMessage.text(for: error, strings: strings())
            return false
        }
    }

    /// Deletes a document (the screen asked first).
    @discardableResult
    public func delete(id: String) async -> Bool {
        do {
            try await vault.deleteDocument(id: id)
            await reload()
            return true
        } catch {
            message = UserMessage.text(for: error, strings: strings())
            return false
        }
    }

    /// A document's content for the viewer, chunk by chunk, with no file.
    public func content(of id: String) -> AsyncThrowingStream<Data, any Error> {
        vault.content(ofDocument: id)
    }

    /// The first tap on "Export": shows the warning (``exportWarning``).
    public func requestExport(id: String) {
        exportPending = rows.first { $0.id == id }
    }

    /// The warning's text: an exported copy is not protected.
    public var exportWarning: String { strings()(.exportWarning) }

    /// The person chose not to export.
    public func cancelExport() {
        exportPending = nil
    }

    /// The person accepted the warning: writes the plain copy to `file`
    /// (a place they chose). Returns false, exporting nothing, unless the
    /// warning was shown and accepted for this document.
    @discardableResult
    public func confirmExport(to file: URL) async -> Bool {
        guard let pending = exportPending else { return false }
        exportPending = nil
        do {
            _ = try await vault.exportDocument(id: pending.id, to: file)
            return true
        } catch {
            message = UserMessage.text(for: error, strings: strings())
            return false
        }
    }

    private func adding(_ store: @escaping @Sendable () async throws -> String) async -> String? {
        isAdding = true
        defer { isAdding = false }
        do {
            let id = try await store()
            message = nil
            await reload()
            return id
        } catch {
            message = UserMessage.text(for: error, strings: strings())
            return nil
        }
    }
}
