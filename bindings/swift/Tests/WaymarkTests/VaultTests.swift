import Foundation
import Testing
import Waymark

/// Argon2id cheap enough for tests; real vaults use the default (about a
/// second on a low-end phone).
let testKdf = KdfParams(memoryKib: 8 * 1024, iterations: 1, parallelism: 1)

@Suite("Vault", .failsWhenStuck)
struct VaultTests {
    let home: TemporaryDirectory

    init() async throws {
        home = try TemporaryDirectory()
    }

    @Test func createdVaultStoresListsAndReadsDocuments() async throws {
        let created = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf)
        let vault = created.vault
        #expect(vault.isUnlocked())
        #expect(!created.recoveryCode.isEmpty)

        let scan = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let metadata = DocumentMetadata(
            kind: .passport, title: "My passport", issuingCountry: "ER",
            expiresOn: "2031-03-01", mimeType: "image/jpeg"
        )
        let id = try await vault.addDocument(metadata: metadata, content: scan)

        let listed = try await vault.listDocuments()
        #expect(listed.map(\.id) == [id])
        #expect(listed.first?.metadata == metadata)
        #expect(listed.first?.size == Int64(scan.count))
        #expect(try await vault.readDocument(id: id) == scan)
    }

    @Test func documentsSurviveLockingAndReopening() async throws {
        let dir = home.path("vault")
        let created = try await createVault(dir: dir, passphrase: "correct horse", kdf: testKdf)
        let id = try await created.vault.addDocument(
            metadata: DocumentMetadata(kind: .birthCertificate, title: "Birth certificate"),
            content: Data("certificate".utf8)
        )
        created.vault.lock()
        #expect(!created.vault.isUnlocked())
        await #expect(throws: WaymarkError.locked) { try await created.vault.listDocuments() }

        let reopened = try await Vault.open(dir: dir)
        try await reopened.unlock(passphrase: "correct horse")
        #expect(try await reopened.readDocument(id: id) == Data("certificate".utf8))
    }

    @Test func wrongPassphraseIsCountedThenDelayedAndTheVaultStaysLocked() async throws {
        let dir = home.path("vault")
        let created = try await createVault(dir: dir, passphrase: "correct horse", kdf: testKdf)
        let id = try await created.vault.addDocument(
            metadata: DocumentMetadata(kind: .other, title: "Letter"), content: Data("kept".utf8)
        )
        created.vault.lock()
        let vault = try await Vault.open(dir: dir)

        // Every failure is counted; after the free attempts the vault asks
        // the person to wait before the next one.
        var attempts: [Int32] = []
        var delay: Int64 = 0
        while delay == 0 && attempts.count < 20 {
            do {
                try await vault.unlock(passphrase: "wrong horse")
                Issue.record("a wrong passphrase unlocked the vault")
                return
            } catch let WaymarkError.wrongPassphrase(count, retryAfterSeconds) {
                attempts.append(count)
                delay = retryAfterSeconds
            }
        }
        #expect(attempts == Array(1...Int32(attempts.count)))
        #expect(delay > 0, "a delay after \(attempts.count) failures")

        // Too soon: refused without trying, even with the right passphrase.
        do {
            try await vault.unlock(passphrase: "correct horse")
            Issue.record("an attempt inside the delay was tried")
        } catch let WaymarkError.tooManyAttempts(retryAfterSeconds) {
            #expect(retryAfterSeconds > 0 && retryAfterSeconds <= delay)
        }
        #expect(!vault.isUnlocked())

        // Nothing was lost: the recovery code still opens it.
        try await vault.unlockWithRecoveryCode(recoveryCode: created.recoveryCode, newPassphrase: "new horse")
        #expect(try await vault.readDocument(id: id) == Data("kept".utf8))
    }

    @Test func creatingOverAnExistingVaultIsRefused() async throws {
        let dir = home.path("vault")
        _ = try await createVault(dir: dir, passphrase: "correct horse", kdf: testKdf)
        await #expect {
            _ = try await createVault(dir: dir, passphrase: "other", kdf: testKdf)
        } throws: { error in
            invalidInputReason(error)?.isEmpty == false
        }
    }

    @Test func largeDocumentsGoInAndOutByFile() async throws {
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        let scan = home.url.appendingPathComponent("scan.jpg")
        let bytes = Data((0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) })
        try bytes.write(to: scan)

        let id = try await vault.addDocument(DocumentMetadata(kind: .residencePermit, title: "Permit"), from: scan)
        let copy = home.url.appendingPathComponent("copy.jpg")
        let size = try await vault.exportDocument(id: id, to: copy)

        #expect(size == Int64(bytes.count))
        #expect(try Data(contentsOf: copy) == bytes)
        // The MIME type was guessed from the file's extension.
        #expect(try await vault.document(id: id).metadata.mimeType == "image/jpeg")
    }

    @Test func expiryRemindersListDocumentsExpiringSoonWithDaysLeft() async throws {
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        let soon = isoDate(daysFromNow: 10)
        _ = try await vault.addDocument(
            metadata: DocumentMetadata(kind: .visa, title: "Visa", expiresOn: soon), content: Data([1])
        )
        _ = try await vault.addDocument(
            metadata: DocumentMetadata(kind: .passport, title: "Passport", expiresOn: isoDate(daysFromNow: 1000)),
            content: Data([2])
        )

        let reminders = try await vault.expiryReminders(withinDays: 30)

        #expect(reminders.map(\.document.metadata.title) == ["Visa"])
        #expect(reminders.first?.expiresOn == soon)
        #expect((9...10).contains(reminders.first?.daysLeft ?? -1))
        #expect(reminders.first?.expired == false)
    }

    @Test func badMetadataIsRefusedNamingTheFieldNotItsValue() async throws {
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        let badDate = "01/02/2030"
        await #expect {
            _ = try await vault.addDocument(
                metadata: DocumentMetadata(kind: .other, title: "X", expiresOn: badDate), content: Data()
            )
        } throws: { error in
            guard let reason = invalidInputReason(error) else { return false }
            return reason.contains("expiry date") && !reason.contains(badDate)
        }
        #expect(try await vault.listDocuments().isEmpty)
    }

    @Test func platformKeystoreUnlocksAndItsFailuresAreErrorsNotCrashes() async throws {
        let dir = home.path("vault")
        let secret = Data((0..<32).map { UInt8($0) })
        let created = try await createVault(dir: dir, passphrase: "correct horse", kdf: testKdf)
        try await created.vault.enableKeystoreUnlock(keystore: ClosureKeystore { secret })
        let vault = try await Vault.open(dir: dir)

        await #expect(throws: WaymarkError.keystore(reason: "user cancelled")) {
            try await vault.unlockWithKeystore(keystore: ClosureKeystore {
                throw WaymarkError.keystore(reason: "user cancelled")
            })
        }
        struct AppBug: Error {}
        await #expect {
            try await vault.unlockWithKeystore(keystore: ClosureKeystore { throw AppBug() })
        } throws: { error in
            if case WaymarkError.internal(reason: _)? = error as? WaymarkError { true } else { false }
        }
        await #expect(throws: WaymarkError.self) {
            try await vault.unlockWithKeystore(keystore: ClosureKeystore { Data(count: 32) })
        }
        #expect(!vault.isUnlocked())

        try await vault.unlockWithKeystore(keystore: ClosureKeystore { secret })
        #expect(vault.isUnlocked())
    }

    @Test func duressPassphraseOpensAnEmptyDecoy() async throws {
        let dir = home.path("vault")
        let created = try await createVault(dir: dir, passphrase: "correct horse", kdf: testKdf)
        _ = try await created.vault.addDocument(
            metadata: DocumentMetadata(kind: .passport, title: "Real"), content: Data([9])
        )
        try await created.vault.setDuressPassphrase(duress: "open sesame", destroyReal: false)
        created.vault.lock()
        let vault = try await Vault.open(dir: dir)

        try await vault.unlock(passphrase: "open sesame")
        #expect(try await vault.listDocuments().isEmpty)
        vault.lock()
        try await vault.unlock(passphrase: "correct horse")
        #expect(try await vault.listDocuments().map(\.metadata.title) == ["Real"])
    }

    @Test func autoLockIsASettingAndWipeLeavesNothingToOpen() async throws {
        let waymark = try await WaymarkHome(directory: home.url.appendingPathComponent("home"))
        let vault = try await waymark.createVault(passphrase: "correct horse", kdf: testKdf).vault
        try await vault.setAutoLock(idle: 120)
        #expect(try await vault.settings().autoLock == 120)
        await #expect(throws: WaymarkError.self) { try await vault.setAutoLock(idle: 3 * 86_400) }
        #expect(try await vault.settings().autoLock == 120)

        #expect(await waymark.hasVault)
        try await waymark.wipeVault()
        #expect(!(await waymark.hasVault))
        await #expect(throws: WaymarkError.notFound) { try await waymark.openVault() }
    }
}

/// A calendar date `days` from today, ISO 8601 (as the vault takes it).
func isoDate(daysFromNow days: Int) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone.current
    let date = calendar.date(byAdding: .day, value: days, to: Date())!
    let c = calendar.dateComponents([.year, .month, .day], from: date)
    return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
}
