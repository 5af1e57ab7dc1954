import Foundation
import Testing
import Waymark
@testable import WaymarkDemoCore

@Suite("Settings and safety", .timeLimit(.minutes(1)))
@MainActor
struct SafetyTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    @Test func panicWipeTakesTwoTapsAndLeavesTheDirectoryEmpty() async throws {
        let sample = try await PublishedSample.shared()
        let app = await freshApp(home)
        try await completeFirstRun(app)
        _ = await app.documents?.add(DocumentMetadata(kind: .passport, title: "P"), contentsOf: chunks([Data([1, 2])]))
        #expect(await app.packs?.trust(card: sample.card) == true)
        #expect(await app.packs?.install(from: sample.bundle) != nil)
        let wipe = try #require(app.settings?.panicWipe)

        // One tap only asks.
        #expect(!(await wipe.confirm()), "no wipe without the first tap")
        wipe.request()
        #expect(wipe.isConfirming)
        wipe.cancel()
        #expect(!(await wipe.confirm()))
        #expect(!home.allFiles().isEmpty)

        wipe.request()
        #expect(await wipe.confirm())

        #expect(try FileManager.default.contentsOfDirectory(atPath: home.url.path) == [])
        #expect(app.phase == .wiped)
        #expect(app.documents == nil && app.information == nil)

        // Starting again is a first run on an empty app.
        await app.start()
        #expect(app.phase == .firstRun)
    }

    @Test func panicWipeFromTheLockScreenNeedsNoPassphrase() async throws {
        let first = await freshApp(home)
        try await completeFirstRun(first)
        first.setLanguage(.arabic)
        let app = await freshApp(home)
        #expect(app.phase == .locked)
        app.panicWipe.request()
        #expect(await app.panicWipe.confirm())
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.url.path) == [])
        #expect(!(await vaultExists(dir: home.path("vault"))))
        #expect(app.strings.language == .arabic, "the screen after the wipe stays in Arabic")
    }

    @Test func settingsAreKeptAcrossARestart() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        let settings = try #require(app.settings)
        await settings.setAutoLock(minutes: 15)
        settings.setHideInAppSwitcher(false)
        settings.setLockWhenLeaving(false)
        settings.setMeteredBudget(bytes: 10_000_000)
        settings.setLanguage(.tigrinya)

        let kept = Preferences.load(from: home.url)
        #expect(kept.autoLockMinutes == 15 && !kept.hideInAppSwitcher && !kept.lockWhenLeaving)
        #expect(kept.meteredBudgetBytes == 10_000_000 && kept.language == .tigrinya)
        #expect(app.strings.language == .tigrinya)
    }

    @Test func theAppAnnouncesUnlockLockAndWipe() async throws {
        let app = await freshApp(home)
        var events = app.events.makeAsyncIterator()
        try await completeFirstRun(app)
        #expect(await events.next() == .unlocked)
        app.lock()
        #expect(await events.next() == .locked)
        app.panicWipe.request()
        #expect(await app.panicWipe.confirm())
        #expect(await events.next() == .wiped)
    }

    @Test func aDamagedPreferencesFileFallsBackToTheDefaults() async throws {
        try Data("{not json".utf8).write(to: home.url("preferences.json"))
        let app = await freshApp(home)
        #expect(app.phase == .firstRun)
        #expect(app.preferences == Preferences())
        app.setLanguage(.farsi)
        #expect(Preferences.load(from: home.url).language == .farsi)
    }

    @Test func leavingTheScreenLocksWhenChosen() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        app.didLeaveScreen()
        try await eventually("the lock screen") { app.phase == .locked }
    }

    @Test func aBadProxyIsRefusedAndTheOldOneKept() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        let settings = try #require(app.settings)
        #expect(settings.setProxy("socks5h://127.0.0.1:9050"))
        #expect(!settings.setProxy("tor please"))
        #expect(settings.message == Strings(.english)[.proxyInvalid])
        #expect(app.preferences.proxy == "socks5h://127.0.0.1:9050")
        #expect(settings.setProxy(""))
        #expect(app.preferences.proxy == nil)
    }

    @Test func aDuressPassphraseThatIsTooShortOrMistypedIsRefused() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        let settings = try #require(app.settings)
        #expect(!(await settings.setDuress(passphrase: "short", repeated: "short", destroyReal: false)))
        #expect(!(await settings.setDuress(passphrase: "sunny market day", repeated: "sunny market days", destroyReal: false)))
        #expect(settings.message == Strings(.english)[.passphrasesDiffer])
    }

    @Test func theAppSaysWhatItNeverDoesInEveryLanguage() {
        for language in AppLanguage.allCases {
            let statements = [L10nKey.neverSendsDocuments, .neverTracks, .neverSharesLocation, .neverAds, .neverAccount]
                .map { Strings(language)($0) }
            #expect(Set(statements).count == 5)
        }
    }
}
