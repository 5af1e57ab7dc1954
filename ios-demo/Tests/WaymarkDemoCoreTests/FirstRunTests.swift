import Foundation
import Testing
import Waymark
@testable import WaymarkDemoCore

@Suite("First run", .timeLimit(.minutes(1)))
@MainActor
struct FirstRunTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    @Test func theRecoveryCodeIsShownOnceThenNeverAgain() async throws {
        let app = await freshApp(home)
        #expect(app.phase == .firstRun)
        let run = try #require(app.firstRun)

        run.choose(.arabic)
        #expect(app.strings.language == .arabic)
        run.passphrase = "river stone blue lantern"
        run.repeated = "river stone blue lantern"
        #expect(await run.createVault())
        #expect(run.step == .recoveryCode)
        let groups = try #require(run.recoveryCodeGroups)
        #expect(groups.count == 8 && groups.allSatisfy { $0.count == 4 })
        #expect(run.passphrase.isEmpty, "the passphrase is not kept in the model")

        run.wroteItDown()
        #expect(run.step == .confirmCode)
        #expect(run.groupsToConfirm.count == 2 && Set(run.groupsToConfirm).count == 2)
        // Typed in lower case, as people do: accepted.
        run.typedGroups = run.groupsToConfirm.map { groups[$0].lowercased() }
        #expect(run.confirmCode())

        #expect(run.recoveryCodeGroups == nil, "the code is gone from the app")
        #expect(run.step == .biometrics)
        run.showCodeAgain()
        #expect(run.step == .biometrics && run.recoveryCodeGroups == nil)

        await run.finish(biometrics: nil)
        #expect(app.phase == .unlocked)
        #expect(app.firstRun == nil)
        #expect(app.documents != nil)
        // The code opens the vault (it was the real one).
        let vault = try await Vault.open(dir: home.path("vault"))
        try await vault.unlockWithRecoveryCode(recoveryCode: groups.joined(separator: "-"), newPassphrase: "new words here ok")
        #expect(vault.isUnlocked())
        // The language chosen survives a restart.
        #expect(Preferences.load(from: home.url).language == .arabic)
    }

    @Test func aMistypedGroupIsRefusedAndTheCodeCanBeShownAgain() async throws {
        let app = await freshApp(home)
        let run = try #require(app.firstRun)
        run.choose(.english)
        run.passphrase = "river stone blue lantern"
        run.repeated = "river stone blue lantern"
        #expect(await run.createVault())
        let groups = try #require(run.recoveryCodeGroups)
        run.wroteItDown()

        run.typedGroups = [groups[run.groupsToConfirm[0]], "ZZZZ"]
        #expect(!run.confirmCode())
        #expect(run.step == .confirmCode)
        #expect(run.message == Strings(.english)[.recoveryGroupsWrong])
        #expect(run.recoveryCodeGroups == groups)

        run.showCodeAgain()
        #expect(run.step == .recoveryCode && run.recoveryCodeGroups == groups)
    }

    @Test func aShortOrMismatchedPassphraseIsExplainedAndCreatesNothing() async throws {
        let app = await freshApp(home)
        let run = try #require(app.firstRun)
        run.choose(.french)

        run.passphrase = "court"
        run.repeated = "court"
        #expect(!(await run.createVault()))
        #expect(run.message == Strings(.french)(.strengthTooShort, ["n": 8]))

        run.passphrase = "river stone blue lantern"
        run.repeated = "river stone blue lanterns"
        #expect(!(await run.createVault()))
        #expect(run.message == Strings(.french)[.passphrasesDiffer])

        #expect(run.step == .passphrase)
        #expect(!(await vaultExists(dir: home.path("vault"))))
    }

    @Test func aRestartAfterTheFirstRunShowsTheLockScreen() async throws {
        let first = await freshApp(home)
        try await completeFirstRun(first)
        let again = await freshApp(home)
        #expect(again.phase == .locked)
        #expect(again.unlock != nil && again.documents == nil)
    }
}
