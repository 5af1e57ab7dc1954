import Foundation
import Waymark

// What the screens need from the phone, as protocols: the app target
// implements them with AVSpeechSynthesizer, Core Location, NWPathMonitor
// and BGTaskScheduler (under `#if canImport(...)`); tests with plain Swift.

/// Reads text aloud (AVSpeechSynthesizer on iOS).
@MainActor
public protocol Speaker: AnyObject {
    /// Speaks `text` with a voice for `language` (BCP 47), stopping what
    /// was being read.
    func speak(_ text: String, language: String)
    /// Stops reading.
    func stop()
}

/// The phone's position, read once when the person asks for services
/// nearby. Implementations MUST NOT keep, log or send it: the model uses it
/// for one query and drops it.
public protocol LocationSource: Sendable {
    /// One reading; throws if the person refused or there is no fix.
    func currentLocation() async throws -> GeoPoint
}

/// The kind of network the phone is on (NWPathMonitor: `isExpensive` or
/// `isConstrained` is metered).
public enum NetworkKind: Sendable, Equatable {
    /// No network.
    case offline
    /// Wi-Fi or another unmetered network.
    case unmetered
    /// Mobile data, a hotspot, Low Data Mode: every byte may cost money.
    case metered

    /// The core's view of it (nil offline).
    public var network: Network? {
        switch self {
        case .offline: nil
        case .unmetered: .unmetered
        case .metered: .metered
        }
    }
}
