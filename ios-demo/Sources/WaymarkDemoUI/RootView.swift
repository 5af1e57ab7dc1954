#if canImport(SwiftUI) && os(iOS)
import SwiftUI
import Waymark
import WaymarkDemoCore

/// What the phone needs to give the screens: Face ID, speech, location,
/// the network's kind. The app target provides them (see `ios-demo/App`).
@MainActor
public struct PlatformServices {
    /// The Keychain keystore behind Face ID / Touch ID, nil where there is
    /// no biometry.
    public var keystore: (any PlatformKeystore)?
    /// Reads entries aloud.
    public var speaker: any Speaker
    /// One location reading, for services nearby.
    public var location: any LocationSource
    /// The network now.
    public var network: () -> NetworkKind

    public init(
        keystore: (any PlatformKeystore)?, speaker: any Speaker, location: any LocationSource,
        network: @escaping () -> NetworkKind
    ) {
        self.keystore = keystore
        self.speaker = speaker
        self.location = location
        self.network = network
    }
}

/// The whole app: first run, lock screen or tabs, in the person's language
/// and its direction. While the app is in the app switcher its content is
/// covered (when the person chose so), and leaving the screen locks.
public struct RootView: View {
    @Bindable var app: AppModel
    let services: PlatformServices
    @Environment(\.scenePhase) private var scenePhase

    public init(app: AppModel, services: PlatformServices) {
        self.app = app
        self.services = services
    }

    /// The current phase's screen.
    public var body: some View {
        content
            .environment(\.strings, app.strings)
            .environment(\.layoutDirection, app.strings.language.layoutDirection)
            .environment(\.locale, Locale(identifier: app.strings.language.tag))
            .overlay {
                if scenePhase != .active && app.preferences.hideInAppSwitcher {
                    // A plain cover: nothing of the content in the snapshot.
                    Color(white: 0.95).ignoresSafeArea()
                        .overlay(Image(systemName: "lock.fill").font(.largeTitle).foregroundStyle(.secondary))
                }
            }
            .onChange(of: scenePhase) { _, phase in
                if phase == .background { app.didLeaveScreen() }
            }
            .task { if app.phase == .starting { await app.start() } }
    }

    @ViewBuilder private var content: some View {
        switch app.phase {
        case .starting:
            ProgressView()
        case .firstRun:
            if let run = app.firstRun { FirstRunView(run: run, keystore: services.keystore) }
        case .locked:
            if let unlock = app.unlock {
                UnlockView(unlock: unlock, wipe: app.panicWipe, keystore: services.keystore)
            }
        case .unlocked:
            MainTabs(app: app, services: services)
        case .wiped:
            WipedView { Task { await app.start() } }
        case .failed(let message):
            VStack(spacing: 16) {
                Label(message, systemImage: "exclamationmark.triangle").font(.headline)
                Button(app.strings[.tryAgain]) { Task { await app.start() } }.buttonStyle(.borderedProminent)
            }
            .padding()
        }
    }
}

/// The tabs once the vault is open.
struct MainTabs: View {
    @Bindable var app: AppModel
    let services: PlatformServices
    @Environment(\.strings) private var strings

    var body: some View {
        TabView(selection: $app.navigation.tab) {
            if let documents = app.documents {
                NavigationStack(path: pathBinding(.documents)) {
                    DocumentsView(model: documents, lock: app.lock)
                }
                .tabItem { Label(Tab.documents.title(strings), systemImage: Tab.documents.symbol) }
                .tag(Tab.documents)
            }
            if let information = app.information {
                NavigationStack(path: pathBinding(.information)) {
                    InformationView(model: information, services: services)
                }
                .tabItem { Label(Tab.information.title(strings), systemImage: Tab.information.symbol) }
                .tag(Tab.information)
            }
            if let packs = app.packs {
                NavigationStack(path: pathBinding(.packs)) {
                    PacksView(model: packs)
                }
                .tabItem { Label(Tab.packs.title(strings), systemImage: Tab.packs.symbol) }
                .tag(Tab.packs)
            }
            if let sync = app.sync {
                NavigationStack(path: pathBinding(.sync)) {
                    SyncView(model: sync, network: services.network)
                }
                .tabItem { Label(Tab.sync.title(strings), systemImage: Tab.sync.symbol) }
                .tag(Tab.sync)
            }
            if let settings = app.settings {
                NavigationStack(path: pathBinding(.settings)) {
                    SettingsView(model: settings, keystore: services.keystore)
                }
                .tabItem { Label(Tab.settings.title(strings), systemImage: Tab.settings.symbol) }
                .tag(Tab.settings)
            }
        }
    }

    private func pathBinding(_ tab: Tab) -> Binding<[Route]> {
        Binding(get: { app.navigation.paths[tab] ?? [] }, set: { app.navigation.paths[tab] = $0 })
    }
}

/// After a panic wipe: an empty, ordinary-looking start.
struct WipedView: View {
    let start: () -> Void
    @Environment(\.strings) private var strings

    var body: some View {
        VStack(spacing: 16) {
            Text(strings[.wipedTitle]).font(.title2.bold())
            Text(strings[.wipedExplain]).font(.body).multilineTextAlignment(.center)
            Button(strings[.continueButton], action: start).buttonStyle(.borderedProminent)
        }
        .padding()
    }
}
#endif
