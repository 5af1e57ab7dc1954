import Foundation
import Observation
import Waymark

/// Something that happened that the app shell reacts to (a sound, a
/// banner, returning to the lock screen).
public enum AppEvent: Sendable, Equatable {
    /// The vault locked (by the person, the auto-lock, or leaving the app).
    case locked
    /// The vault was unlocked.
    case unlocked
    /// Everything was wiped.
    case wiped
}

/// The whole app: which phase it is in (first run, locked, unlocked), the
/// person's preferences, and the model of each screen.
///
/// ```swift
/// let app = AppModel(directory: try WaymarkHome.defaultDirectory())
/// await app.start()
/// ```
@MainActor @Observable
public final class AppModel {
    /// The app's phase.
    public enum Phase: Sendable, Equatable {
        /// Opening the home.
        case starting
        /// No vault yet: the first run.
        case firstRun
        /// The lock screen.
        case locked
        /// The vault is open: the tabs.
        case unlocked
        /// Everything was wiped: a neutral start screen.
        case wiped
        /// The home could not be opened; the message says what to do.
        case failed(String)
    }

    /// The phase.
    public private(set) var phase: Phase = .starting
    /// The person's preferences.
    public private(set) var preferences: Preferences
    /// Where the person is inside the tabs.
    public let navigation = NavigationState()
    /// The first run's model (``Phase/firstRun``).
    public private(set) var firstRun: FirstRunModel?
    /// The lock screen's model (``Phase/locked``).
    public private(set) var unlock: UnlockModel?
    /// The documents (``Phase/unlocked``).
    public private(set) var documents: DocumentsModel?
    /// The information screens (whenever the content store is open).
    public private(set) var information: InformationModel?
    /// Packs and trust.
    public private(set) var packs: PacksModel?
    /// Sync.
    public private(set) var sync: SyncModel?
    /// Settings and safety (``Phase/unlocked``).
    public private(set) var settings: SettingsModel?
    /// The panic wipe, from the lock screen and settings.
    public let panicWipe = PanicWipe { false }
    /// Lock, unlock and wipe, as they happen.
    public let events: AsyncStream<AppEvent>

    /// The texts in the person's language.
    public var strings: Strings { Strings(preferences.language) }

    private let directory: URL
    private let transport: any HttpTransport
    private let storage: StoragePolicy
    private let environment: DemoEnvironment
    private let emit: AsyncStream<AppEvent>.Continuation
    private var home: WaymarkHome?
    private var vault: Vault?
    private var watchingLock: Task<Void, Never>?

    /// - Parameters:
    ///   - directory: The app's home (``WaymarkHome/defaultDirectory()``).
    ///   - transport: Sync's HTTP client.
    ///   - storage: Backup exclusion and file protection
    ///     (``StoragePolicy/recommended``: the vault `complete`, content
    ///     readable after the first unlock so background sync runs).
    public init(
        directory: URL, transport: any HttpTransport = URLSessionTransport(),
        storage: StoragePolicy = .recommended, environment: DemoEnvironment = .live
    ) {
        self.directory = directory
        self.transport = transport
        self.storage = storage
        self.environment = environment
        preferences = Preferences.load(from: directory)
        (events, emit) = AsyncStream.makeStream(of: AppEvent.self)
        panicWipe.wipe = { [weak self] in await self?.wipeEverything() ?? false }
    }

    /// Opens the home and shows the first run or the lock screen.
    public func start() async {
        phase = .starting
        do {
            let home = try await WaymarkHome(directory: directory, transport: transport, storage: storage)
            self.home = home
            let strings: @MainActor () -> Strings = { [weak self] in self?.strings ?? Strings(.english) }
            information = InformationModel(store: home.content, environment: environment, strings: strings)
            packs = PacksModel(store: home.content, strings: strings)
            sync = SyncModel(
                store: home.content, preferences: { [weak self] in self?.preferences ?? Preferences() },
                strings: strings)
            if await home.hasVault {
                showLockScreen(try await home.openVault())
            } else {
                firstRun = FirstRunModel(
                    home: home, preferences: preferences, environment: environment,
                    onLanguage: { [weak self] language in self?.setLanguage(language) },
                    onFinished: { [weak self] vault in self?.firstRunFinished(vault) })
                phase = .firstRun
            }
        } catch {
            phase = .failed(UserMessage.text(for: error, strings: strings))
        }
    }

    /// Locks the vault now (the lock button).
    public func lock() {
        vault?.lock()
    }

    /// The app left the screen: locks if the person chose so.
    public func didLeaveScreen() {
        if preferences.lockWhenLeaving { lock() }
    }

    /// Changes the app's language (and saves it).
    public func setLanguage(_ language: AppLanguage) {
        var changed = preferences
        changed.language = language
        keep(changed)
    }

    private func keep(_ changed: Preferences) {
        preferences = changed
        // Not personal; a failure to save only loses the choice at the next start.
        try? changed.save(to: directory)
    }

    private func firstRunFinished(_ vault: Vault) {
        if firstRun?.biometricsEnabled == true {
            var changed = preferences
            changed.biometricUnlock = true
            keep(changed)
        } else {
            keep(preferences)
        }
        firstRun = nil
        self.vault = vault
        opened(vault)
    }

    private func showLockScreen(_ vault: Vault) {
        self.vault = vault
        documents = nil
        settings = nil
        navigation.reset()
        unlock = UnlockModel(
            vault: vault, environment: environment, offersBiometrics: preferences.biometricUnlock,
            strings: { [weak self] in self?.strings ?? Strings(.english) },
            onUnlocked: { [weak self] in self?.opened(vault) })
        phase = .locked
    }

    private func opened(_ vault: Vault) {
        unlock = nil
        let strings: @MainActor () -> Strings = { [weak self] in self?.strings ?? Strings(.english) }
        documents = DocumentsModel(vault: vault, environment: environment, strings: strings)
        settings = SettingsModel(
            vault: vault, panicWipe: panicWipe, preferences: { [weak self] in self?.preferences ?? Preferences() },
            update: { [weak self] in self?.keep($0) })
        phase = .unlocked
        emit.yield(.unlocked)
        watchLock(vault)
        Task { [vault, minutes = preferences.autoLockMinutes] in
            try? await vault.setAutoLock(idle: TimeInterval(minutes * 60))
        }
    }

    private func watchLock(_ vault: Vault) {
        watchingLock?.cancel()
        watchingLock = Task { [weak self] in
            for await state in vault.lockStates() {
                guard case .locked(let reason) = state else { continue }
                guard let self, self.phase == .unlocked else { continue }
                if reason == .wiped { return }
                self.showLockScreen(vault)
                self.emit.yield(.locked)
                return
            }
        }
    }

    /// The panic wipe: the vault's keys, then every file in the home. The
    /// app is left as if new.
    private func wipeEverything() async -> Bool {
        watchingLock?.cancel()
        sync?.cancel()
        var wiped = true
        do {
            if let home {
                try await home.wipeVault()
            } else {
                try await wipeVaultDir(dir: directory.appendingPathComponent("vault").path)
            }
        } catch {
            wiped = false
        }
        vault = nil
        home = nil
        firstRun = nil
        unlock = nil
        documents = nil
        information = nil
        packs = nil
        sync = nil
        settings = nil
        navigation.reset()
        let files = FileManager.default
        for item in (try? files.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [] {
            do { try files.removeItem(at: item) } catch { wiped = false }
        }
        // The screen after the wipe stays in the person's language; nothing
        // is written (the directory stays empty).
        var fresh = Preferences()
        fresh.language = preferences.language
        preferences = fresh
        phase = .wiped
        emit.yield(.wiped)
        return wiped
    }
}
