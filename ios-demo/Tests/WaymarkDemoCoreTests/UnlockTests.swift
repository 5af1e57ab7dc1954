import Foundation
import Testing
import Waymark
@testable import WaymarkDemoCore

@Suite("Unlock", .timeLimit(.minutes(1)))
@MainActor
struct UnlockTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    @Test func wrongPassphrasesShowTheAttemptsThenALiveCountdown() async throws {
        let time = ManualTime()
        try await completeFirstRun(await freshApp(home, time: time))
        let app = await freshApp(home, time: time)
        let unlock = try #require(app.unlock)

        for attempt in 1...3 {
            unlock.passphrase = "wrong words"
            #expect(!(await unlock.unlock()))
            #expect(unlock.failedAttempts == attempt)
            #expect(unlock.message == Strings(.english)(.wrongPassphrase, ["count": attempt]))
            #expect(unlock.secondsLeft == 0)
        }
        // The fourth failure brings the first delay (30 s).
        unlock.passphrase = "wrong words"
        #expect(!(await unlock.unlock()))
        #expect(unlock.secondsLeft == 30)
        #expect(unlock.countdownText == "Try again in 30 s")
        unlock.passphrase = "river stone blue lantern"
        #expect(!unlock.canSubmit)
        #expect(!(await unlock.unlock()), "the button does nothing during the countdown")
        #expect(app.phase == .locked)

        time.advance(seconds: 12)
        try await eventually("the countdown to tick") { unlock.secondsLeft == 18 }
        time.advance(seconds: 18)
        try await eventually("the countdown to end") { unlock.secondsLeft == 0 }
        #expect(unlock.countdownText == nil)
        #expect(unlock.canSubmit)
    }

    @Test func theRightPassphraseOpensTheVault() async throws {
        try await completeFirstRun(await freshApp(home))
        let app = await freshApp(home)
        let unlock = try #require(app.unlock)
        unlock.passphrase = "river stone blue lantern"
        #expect(await unlock.unlock())
        #expect(app.phase == .unlocked)
        #expect(unlock.passphrase.isEmpty)
    }

    @Test func theDuressPassphraseShowsTheDecoyThroughTheSameScreens() async throws {
        let setup = await freshApp(home)
        try await completeFirstRun(setup)
        let real = try #require(setup.documents)
        _ = await real.add(
            DocumentMetadata(kind: .passport, title: "Real passport"), contentsOf: chunks([Data("real".utf8)]))
        let settings = try #require(setup.settings)
        #expect(await settings.setDuress(passphrase: "sunny market day", repeated: "sunny market day", destroyReal: false))

        // Under duress: the same lock screen, the same calls, the same phase.
        let coerced = await freshApp(home)
        let unlock = try #require(coerced.unlock)
        unlock.passphrase = "sunny market day"
        #expect(await unlock.unlock())
        #expect(coerced.phase == .unlocked)
        #expect(unlock.message == nil)
        let decoy = try #require(coerced.documents)
        await decoy.reload()
        #expect(decoy.rows.isEmpty, "the decoy shows none of the real documents")
        #expect(decoy.message == nil)

        // The real passphrase still shows the real documents.
        let later = await freshApp(home)
        let again = try #require(later.unlock)
        again.passphrase = "river stone blue lantern"
        #expect(await again.unlock())
        let documents = try #require(later.documents)
        await documents.reload()
        #expect(documents.rows.map(\.title) == ["Real passport"])
    }

    @Test func recoveryWithAMistypedCodeChangesNothingAndTheRightCodeOpens() async throws {
        let code = try await completeFirstRun(await freshApp(home))
        let app = await freshApp(home)
        let unlock = try #require(app.unlock)
        unlock.mode = .recovery
        // One character changed: the checksum catches it.
        let last = code.last == "0" ? "1" : "0"
        unlock.recoveryCode = String(code.dropLast()) + last
        unlock.newPassphrase = "new river words here"
        #expect(!(await unlock.recover()))
        #expect(unlock.message == Strings(.english)[.recoveryCodeWrong])
        #expect(app.phase == .locked)

        // The old passphrase still works: nothing changed.
        let check = try await Vault.open(dir: home.path("vault"))
        try await check.unlock(passphrase: "river stone blue lantern")
        check.lock()

        unlock.recoveryCode = code.lowercased()
        #expect(await unlock.recover())
        #expect(app.phase == .unlocked)
        let reopened = try await Vault.open(dir: home.path("vault"))
        try await reopened.unlock(passphrase: "new river words here")
    }

    @Test func lockingReturnsToTheLockScreenAndForgetsOpenScreens() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        app.navigation.open(.document(id: "x"), in: .documents)
        app.lock()
        try await eventually("the lock screen") { app.phase == .locked }
        #expect(app.documents == nil)
        #expect(app.navigation.paths.isEmpty)
    }
}

/// Chunks as a camera or picker would hand them over.
func chunks(_ parts: [Data]) -> AsyncStream<Data> {
    AsyncStream { continuation in
        for part in parts { continuation.yield(part) }
        continuation.finish()
    }
}

@Suite("Biometric unlock", .timeLimit(.minutes(1)))
@MainActor
struct BiometricUnlockTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    @Test func faceIDOpensTheVaultAndACancelledPromptChangesNothing() async throws {
        let secret = Data((0..<32).map { UInt8($0) })
        let keychain = ClosureKeystore { secret }
        let app = await freshApp(home)
        let run = try #require(app.firstRun)
        run.choose(.english)
        run.passphrase = "river stone blue lantern"
        run.repeated = run.passphrase
        #expect(await run.createVault())
        let groups = try #require(run.recoveryCodeGroups)
        run.wroteItDown()
        run.typedGroups = run.groupsToConfirm.map { groups[$0] }
        #expect(run.confirmCode())
        await run.finish(biometrics: keychain)
        #expect(run.biometricsEnabled)
        #expect(app.preferences.biometricUnlock)

        let later = await freshApp(home)
        let unlock = try #require(later.unlock)
        #expect(unlock.offersBiometrics)
        let cancelled = ClosureKeystore { throw WaymarkError.keystore(reason: "user_cancelled") }
        #expect(!(await unlock.unlock(with: cancelled)))
        #expect(unlock.message == Strings(.english)[.errorKeystore])
        #expect(later.phase == .locked)
        #expect(unlock.failedAttempts == 0)

        #expect(await unlock.unlock(with: keychain))
        #expect(later.phase == .unlocked)
    }
}
