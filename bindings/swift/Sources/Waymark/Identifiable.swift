// Records shown in lists are Identifiable, with an id unique among what the
// list can hold, so SwiftUI's List and ForEach can diff them. (They are
// Equatable and Hashable already: uniffi generates both for records whose
// fields all are.)
//
// Content comes from several publishers: an entry's own id is unique only
// within its pack and a pack's only within its publisher, which is why the
// generated fields are `entryId` and `packId` (uniffi-swift.toml renames
// them) and `id` is the pair or triple.

/// Names one content entry on the phone: its publisher, its pack and its
/// id within the pack.
public struct EntryKey: Hashable, Sendable, CustomStringConvertible {
    /// The publisher's id.
    public let publisher: String
    /// The pack's id, within the publisher.
    public let pack: String
    /// The entry's id, within the pack.
    public let entry: String

    public init(publisher: String, pack: String, entry: String) {
        self.publisher = publisher
        self.pack = pack
        self.entry = entry
    }

    public var description: String { "\(publisher)/\(pack)/\(entry)" }
}

/// Names one installed pack on the phone: its publisher and its id.
public struct PackKey: Hashable, Sendable, CustomStringConvertible {
    /// The publisher's id.
    public let publisher: String
    /// The pack's id, within the publisher.
    public let pack: String

    public init(publisher: String, pack: String) {
        self.publisher = publisher
        self.pack = pack
    }

    public var description: String { "\(publisher)/\(pack)" }
}

extension Provenance {
    /// The entry `entryId` of the pack this provenance names.
    func key(_ entryId: String) -> EntryKey {
        EntryKey(publisher: publisher, pack: pack, entry: entryId)
    }
}

// MARK: Vault

/// A document's id is unique in its vault.
extension DocumentInfo: Identifiable {}

extension ExpiryReminder: Identifiable {
    /// The document's id: one reminder per document.
    public var id: String { document.id }
}

// MARK: Content

/// A publisher's id is unique on the phone.
extension TrustedPublisher: Identifiable {}

extension InstalledPack: Identifiable {
    public var id: PackKey { PackKey(publisher: publisher, pack: packId) }
}

extension SearchHit: Identifiable {
    public var id: EntryKey { provenance.key(entryId) }
}

extension NearbyService: Identifiable {
    public var id: EntryKey { provenance.key(service.entryId) }
}

extension Route: Identifiable {
    public var id: EntryKey { provenance.key(entryId) }
}

extension Alert: Identifiable {
    public var id: EntryKey { provenance.key(entryId) }
}

// MARK: Sync

extension PublisherPlan: Identifiable {
    /// The publisher's id: a plan has one entry per publisher.
    public var id: String { publisher }
}

extension PublisherReport: Identifiable {
    /// The publisher's id: a report has one entry per publisher.
    public var id: String { publisher }
}

extension PlannedDownload: Identifiable {
    /// The pack's id: unique within its publisher's plan or report.
    public var id: String { pack }
}

extension PackUpdate: Identifiable {
    /// The pack's id: unique within its publisher's report.
    public var id: String { pack }
}
