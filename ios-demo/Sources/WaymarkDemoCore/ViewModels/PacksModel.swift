import Foundation
import Observation
import Waymark

/// A trusted publisher as the trust screen shows it.
public struct PublisherRow: Sendable, Identifiable, Equatable {
    /// Unique among the rows of its list.
    public let id: String
    /// The name, in the person's language when there is one.
    public let name: String
    /// The fingerprint in groups of four, to read aloud or compare.
    public let fingerprint: String
    /// Where it syncs from, if anywhere.
    public let url: String?
}

/// An installed pack.
public struct PackRow: Sendable, Identifiable, Equatable {
    /// Unique among the rows of its list.
    public var id: String { "\(publisher)/\(packId)" }
    /// The publisher's id.
    public let publisher: String
    /// The publisher's name.
    public let publisherName: String
    /// The pack's id.
    public let packId: String
    /// In the person's language when the publisher wrote one.
    public let title: String
    /// The installed version.
    public let version: Int64
    /// How many entries it holds.
    public let entries: Int64
    /// True for sample data.
    public let isSample: Bool
}

/// Packs and trust: the publishers this phone trusts (with fingerprints
/// to compare with the ones the NGO gave out), packs installed from files
/// any app hands over (`.wmbundle`), and packs shared on as files.
@MainActor @Observable
public final class PacksModel {
    /// Trusted publishers.
    public private(set) var publishers: [PublisherRow] = []
    /// Installed packs.
    public private(set) var packs: [PackRow] = []
    /// The publisher just added, whose fingerprint the person should
    /// compare now.
    public private(set) var justTrusted: PublisherRow?
    /// The message for the last failure or success, in the person's language.
    public private(set) var message: String?

    private let store: ContentStore
    private let strings: @MainActor () -> Strings

    public init(store: ContentStore, strings: @escaping @MainActor () -> Strings) {
        self.store = store
        self.strings = strings
    }

    /// Reads publishers and packs again.
    public func reload() async {
        do {
            let languages = strings().language.contentLanguages
            publishers = try await store.trustedPublishers().map(Self.row)
            packs = try await store.packs().map { pack in
                PackRow(
                    publisher: pack.publisher, publisherName: pack.publisherName, packId: pack.packId,
                    title: pack.title.inLanguage(languages + pack.fallback) ?? pack.packId, version: pack.version,
                    entries: pack.entries, isSample: pack.sample)
            }
        } catch {
            message = UserMessage.text(for: error, strings: strings())
        }
    }

    /// Trusts the publisher whose card (`publisher.json`) is `card`, read
    /// from a file or pasted as text; `url` is where it syncs from. The
    /// new publisher is ``justTrusted``: ask the person to compare its
    /// fingerprint. A card that is not one changes nothing.
    @discardableResult
    public func trust(card: Data, url: String? = nil) async -> Bool {
        do {
            let added = try await store.trustPublisher(card: card, options: TrustOptions(url: url))
            justTrusted = Self.row(added)
            message = nil
            await reload()
            return true
        } catch {
            message = UserMessage.text(for: error, strings: strings())
            return false
        }
    }

    /// Trusts a card pasted as text.
    @discardableResult
    public func trust(pastedCard text: String, url: String? = nil) async -> Bool {
        await trust(card: Data(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8), url: url)
    }

    /// True when `typed` (what the NGO's poster, card or message says) is
    /// the fingerprint of `publisher`; spaces, dashes and case do not
    /// matter, every character does.
    public func fingerprint(of publisher: PublisherRow, matches typed: String) -> Bool {
        let clean: (String) -> String = { $0.lowercased().filter { $0.isLetter || $0.isNumber } }
        return !clean(typed).isEmpty && clean(typed) == clean(publisher.fingerprint)
    }

    /// The fingerprint was compared: done with the prompt.
    public func fingerprintChecked() {
        justTrusted = nil
    }

    /// Removes a publisher and its packs (after the screen asked).
    @discardableResult
    public func remove(publisher id: String) async -> Bool {
        do {
            _ = try await store.removePublisher(id: id)
            if justTrusted?.id == id { justTrusted = nil }
            await reload()
            return true
        } catch {
            message = UserMessage.text(for: error, strings: strings())
            return false
        }
    }

    /// Installs the pack in `bundle` (a `.wmbundle` another app opened
    /// with Waymark, or one picked in Files), after checking its
    /// signatures; a bad or untrusted file changes nothing.
    @discardableResult
    public func install(from bundle: URL) async -> PackRow? {
        do {
            let installed = try await SecurityScope.accessing(bundle) { [store] in
                try await store.installPack(from: bundle)
            }
            let strings = strings()
            // What it added, changed or removed, on a line of its own.
            message = strings(.packInstalled, ["entries": installed.entries]) + "\n"
                + ChangeSummary.text(installed.changes, strings: strings)
            await reload()
            return packs.first { $0.publisher == installed.publisher && $0.packId == installed.packId }
        } catch {
            message = UserMessage.text(for: error, strings: strings())
            return nil
        }
    }

    /// Writes an installed pack into `directory` as a `.wmbundle` file for
    /// the share sheet; returns its URL, or nil with a message.
    public func share(_ pack: PackRow, into directory: URL) async -> URL? {
        let file = directory.appendingPathComponent("\(pack.packId).wmbundle")
        do {
            try? FileManager.default.removeItem(at: file)
            _ = try await store.exportPack(publisher: pack.publisher, pack: pack.packId, to: file)
            return file
        } catch {
            message = UserMessage.text(for: error, strings: strings())
            return nil
        }
    }

    private nonisolated static func row(_ publisher: TrustedPublisher) -> PublisherRow {
        PublisherRow(
            id: publisher.id, name: publisher.name, fingerprint: grouped(publisher.fingerprint), url: publisher.url)
    }

    /// `ab12cd34…` as `AB12 CD34 …`.
    nonisolated static func grouped(_ fingerprint: String) -> String {
        let plain = fingerprint.filter { $0.isLetter || $0.isNumber }.uppercased()
        var groups: [String] = []
        var index = plain.startIndex
        while index < plain.endIndex {
            let end = plain.index(index, offsetBy: 4, limitedBy: plain.endIndex) ?? plain.endIndex
            groups.append(String(plain[index..<end]))
            index = end
        }
        return groups.joined(separator: " ")
    }
}
