#if canImport(SwiftUI) && canImport(UIKit)
import SwiftUI
import Waymark
import WaymarkDemoCore
import WaymarkDemoUI

/// The app: one `AppModel` over `Application Support/Waymark` (excluded
/// from backups; the vault `NSFileProtectionComplete`, the content readable
/// after the first unlock so background sync can run: `StoragePolicy`),
/// the platform services, background sync, and `.wmbundle` files opened
/// from other apps.
@main
struct WaymarkDemoApp: App {
    @State private var app: AppModel
    private let services: PlatformServices
    private let network = NetworkMonitor()

    init() {
        let directory = (try? WaymarkHome.defaultDirectory())
            ?? FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
                .appendingPathComponent("Waymark", isDirectory: true)
        let app = AppModel(directory: directory)
        _app = State(initialValue: app)
        let monitor = self.network
        let keystore = KeychainKeystore(prompt: app.strings[.unlock])
        services = PlatformServices(
            keystore: keystore.isAvailable ? keystore : nil,
            speaker: SpeechSpeaker(),
            location: OneTimeLocation(),
            network: { monitor.current })
        BackgroundSync.register(directory: directory, network: monitor)
    }

    var body: some Scene {
        WindowGroup {
            RootView(app: app, services: services)
                .onOpenURL { url in
                    // A .wmbundle shared from Files, Messages, WhatsApp…
                    guard url.pathExtension == "wmbundle" else { return }
                    Task {
                        if app.phase == .starting { await app.start() }
                        _ = await app.packs?.install(from: url)
                        app.navigation.tab = .packs
                    }
                }
        }
        .backgroundTask(.appRefresh(BackgroundSync.identifier)) {
            await BackgroundSync.run()
        }
    }
}
#endif
