import Foundation
import Waymark

/// How an entry's origin and age read to the person, next to every entry:
/// "Sample NGO · sample-mediterranean v3 · verified 12 days ago".
public struct ProvenanceText: Sendable, Equatable {
    /// Entries the publisher last verified more than this many days ago are
    /// marked stale: the information may have changed.
    public static let staleAfterDays: Int64 = 180

    /// The one line shown under an entry.
    public let line: String
    /// True for sample data: the screen shows a SAMPLE mark.
    public let isSample: Bool
    /// True when the publisher's word is old: the screen shows a stale mark.
    public let isStale: Bool

    public init(_ provenance: Provenance, strings: Strings) {
        let verified: String = switch provenance.ageDays {
        case ..<1: strings(.verifiedToday)
        case 1: strings(.verifiedYesterday)
        default: strings(.verifiedDaysAgo, ["days": provenance.ageDays])
        }
        line = [
            provenance.publisherName,
            strings(.packVersion, ["pack": provenance.pack, "version": provenance.packVersion]),
            verified,
        ].joined(separator: " · ")
        isSample = provenance.sample
        isStale = provenance.ageDays > Self.staleAfterDays
    }
}
