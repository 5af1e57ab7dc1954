#if canImport(UIKit)
import AVFoundation
import BackgroundTasks
import CoreLocation
import Foundation
import Network
import Waymark
import WaymarkDemoCore

// The platform integrations behind WaymarkDemoCore's protocols. None of
// them logs, keeps or sends anything about the person.

/// Read aloud with AVSpeechSynthesizer, in the entry's language.
@MainActor
final class SpeechSpeaker: Speaker {
    private let synthesizer = AVSpeechSynthesizer()

    func speak(_ text: String, language: String) {
        synthesizer.stopSpeaking(at: .immediate)
        let utterance = AVSpeechUtterance(string: text)
        // No voice for the language (Tigrinya on most phones): the system's
        // default voice, rather than silence.
        utterance.voice = AVSpeechSynthesisVoice(language: language)
        synthesizer.speak(utterance)
    }

    func stop() {
        synthesizer.stopSpeaking(at: .immediate)
    }
}

/// One location reading with Core Location, "when in use", then nothing:
/// no updates keep running, nothing is stored.
final class OneTimeLocation: NSObject, LocationSource, CLLocationManagerDelegate, @unchecked Sendable {
    // Touched only on the main thread (Core Location's delegate queue).
    private var manager: CLLocationManager?
    private var waiting: CheckedContinuation<GeoPoint, any Error>?

    struct Unavailable: Error {}

    func currentLocation() async throws -> GeoPoint {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.main.async { [self] in
                waiting?.resume(throwing: Unavailable())
                waiting = continuation
                let manager = CLLocationManager()
                manager.delegate = self
                manager.desiredAccuracy = kCLLocationAccuracyHundredMeters
                self.manager = manager
                if manager.authorizationStatus == .notDetermined {
                    manager.requestWhenInUseAuthorization()
                } else {
                    manager.requestLocation()
                }
            }
        }
    }

    func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        switch manager.authorizationStatus {
        case .authorizedWhenInUse, .authorizedAlways: manager.requestLocation()
        case .denied, .restricted: finish(.failure(Unavailable()))
        default: break
        }
    }

    func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let last = locations.last else { return }
        finish(.success(GeoPoint(lat: last.coordinate.latitude, lon: last.coordinate.longitude)))
    }

    func locationManager(_ manager: CLLocationManager, didFailWithError error: any Error) {
        finish(.failure(Unavailable()))
    }

    private func finish(_ result: Result<GeoPoint, any Error>) {
        waiting?.resume(with: result)
        waiting = nil
        manager?.delegate = nil
        manager = nil
    }
}

/// The network's kind from NWPathMonitor: expensive (cellular, hotspot)
/// or constrained (Low Data Mode) is metered.
final class NetworkMonitor: @unchecked Sendable {
    private let monitor = NWPathMonitor()
    private let lock = NSLock()
    // Guarded by `lock`.
    private var kind: NetworkKind = .offline

    init() {
        monitor.pathUpdateHandler = { [weak self] path in
            let kind: NetworkKind = path.status != .satisfied
                ? .offline
                : (path.isExpensive || path.isConstrained ? .metered : .unmetered)
            self?.lock.withLock { self?.kind = kind }
        }
        monitor.start(queue: DispatchQueue(label: "org.waymark.demo.network"))
    }

    var current: NetworkKind { lock.withLock { kind } }
}

/// Background sync with BGTaskScheduler: on an unmetered network only,
/// a few times a day as iOS allows. It reads only the content store, which
/// is readable after the first unlock (`StoragePolicy.recommended`); the
/// vault stays closed.
enum BackgroundSync {
    /// Listed under BGTaskSchedulerPermittedIdentifiers (project.yml).
    static let identifier = "org.waymark.demo.sync"
    nonisolated(unsafe) private static var directory: URL?
    nonisolated(unsafe) private static var network: NetworkMonitor?

    static func register(directory: URL, network: NetworkMonitor) {
        self.directory = directory
        self.network = network
        schedule()
    }

    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 6 * 60 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    /// One sync, cancelled with the task when iOS ends it.
    static func run() async {
        schedule()
        guard let directory, network?.current == .unmetered else { return }
        do {
            let home = try await WaymarkHome(directory: directory)
            _ = try await home.content.sync(on: .unmetered)
        } catch {
            // Nothing to tell anyone: the next run tries again.
        }
    }
}
#endif
