import Foundation
import Testing
@testable import Waymark

@Suite("Keystore", .failsWhenStuck)
struct KeystoreTests {
    let cancel = KeychainError(domain: .localAuthentication, code: LocalAuthenticationCode.userCancel)

    // MARK: Making and returning the secret

    @Test(arguments: [true, false])
    func theFirstCallMakesTheSecretWithoutAPromptAndLaterCallsReturnItAfterOne(secureEnclave: Bool) throws {
        let keychain = MemoryKeychain(secureEnclave: secureEnclave)
        let store = KeystoreSecretStore(backend: keychain, prompt: "Unlock your documents")

        let made = try store.secret()
        #expect(made.count == 32)
        #expect(keychain.prompts.isEmpty)
        #expect(try store.secret() == made)
        #expect(try store.secret() == made)
        #expect(keychain.prompts == ["Unlock your documents", "Unlock your documents"])

        let record = try KeystoreRecord(decoding: try #require(keychain.storedRecord))
        if secureEnclave {
            guard case .secureEnclave(let wrapped) = record.protection else {
                Issue.record("expected the Secure Enclave, got \(record.protection)")
                return
            }
            #expect(!wrapped.contains(made), "the record holds the secret only wrapped")
            #expect(!keychain.hasProtectedSecret)
        } else {
            #expect(record.protection == .biometricItem)
            #expect(keychain.hasProtectedSecret && !keychain.hasEnclaveKey)
        }
    }

    @Test func theSecureEnclaveCanBeDeclined() throws {
        let keychain = MemoryKeychain(secureEnclave: true)
        let store = KeystoreSecretStore(backend: keychain, prompt: "p", preferSecureEnclave: false)
        _ = try store.secret()
        #expect(try KeystoreRecord(decoding: try #require(keychain.storedRecord)).protection == .biometricItem)
        #expect(!keychain.hasEnclaveKey)
    }

    @Test func withoutEnrolledBiometryNothingIsMadeAndTheKeystoreIsUnavailable() throws {
        let keychain = MemoryKeychain(biometry: false, secureEnclave: true)
        let store = KeystoreSecretStore(backend: keychain, prompt: "p")
        #expect(throws: KeystoreFailure.unavailable) { try store.secret() }
        #expect(keychain.storedRecord == nil && !keychain.hasEnclaveKey)
    }

    // MARK: When the secret cannot be had

    @Test(arguments: [true, false])
    func aNewEnrolmentInvalidatesTheSecretAndNoNewOneIsMadeUntilReset(secureEnclave: Bool) throws {
        let keychain = MemoryKeychain(secureEnclave: secureEnclave)
        let store = KeystoreSecretStore(backend: keychain, prompt: "p")
        let first = try store.secret()

        keychain.changeEnrolment()
        #expect(throws: KeystoreFailure.invalidated) { try store.secret() }
        #expect(throws: KeystoreFailure.invalidated) { try store.secret() }

        try store.reset()
        #expect(keychain.storedRecord == nil)
        let second = try store.secret()
        #expect(second != first)
        #expect(try store.secret() == second)
    }

    @Test func aCancelledPromptIsCancelledAndTheSecretStays() throws {
        let keychain = MemoryKeychain(secureEnclave: true)
        let store = KeystoreSecretStore(backend: keychain, prompt: "p")
        let made = try store.secret()

        keychain.failNextPrompt(with: cancel)
        #expect(throws: KeystoreFailure.cancelled) { try store.secret() }
        #expect(try store.secret() == made)
    }

    @Test func aDamagedRecordIsCorruptedAndLeftAsItIs() throws {
        let keychain = MemoryKeychain(secureEnclave: true)
        let store = KeystoreSecretStore(backend: keychain, prompt: "p")
        _ = try store.secret()
        let damaged = Data([1, 1, 0xde, 0xad])
        keychain.storedRecord = damaged

        #expect(throws: KeystoreFailure.corrupted) { try store.secret() }
        #expect(keychain.storedRecord == damaged)
    }

    // MARK: The record format

    @Test func recordsOfBothKindsRoundTrip() throws {
        let wrapped = Data((0..<113).map { UInt8($0) })
        for record in [KeystoreRecord(.secureEnclave(wrapped: wrapped)), KeystoreRecord(.biometricItem)] {
            #expect(try KeystoreRecord(decoding: record.encoded) == record)
        }
        #expect(KeystoreRecord(.biometricItem).encoded == Data([1, 2]))
        #expect(KeystoreRecord(.secureEnclave(wrapped: wrapped)).encoded.prefix(2) == Data([1, 1]))
    }

    @Test(arguments: [
        Data(),
        Data([1]),
        Data([2, 2]),                                    // a future format
        Data([1, 3]),                                    // an unknown protection
        Data([1, 2, 0]),                                 // trailing bytes
        Data([1, 1]) + Data(count: 112),                 // a wrapped secret one byte short
        Data([1, 1]) + Data(count: 114),                 // one byte long
    ])
    func anythingButFormatOneIsRefused(bytes: Data) {
        #expect(throws: KeystoreFailure.corrupted) { try KeystoreRecord(decoding: bytes) }
    }

    @Test func itemNamesCarryTheService() {
        let a = KeychainNames(service: "org.example.a"), b = KeychainNames(service: "org.example.b")
        #expect(a.enclaveKeyTag != b.enclaveKeyTag)
        #expect(String(decoding: a.enclaveKeyTag, as: UTF8.self).hasPrefix("org.example.a."))
        #expect(a.recordAccount != a.secretAccount)
    }

    // MARK: Errors

    @Test func keychainAndLocalAuthenticationErrorsMeanWhatTheAppActsOn() {
        let expected: [(KeychainError, KeystoreFailure)] = [
            (KeychainError(status: KeychainStatus.userCanceled), .cancelled),
            (KeychainError(status: KeychainStatus.authFailed), .authenticationFailed),
            (KeychainError(status: KeychainStatus.interactionNotAllowed), .notInteractive),
            (KeychainError(status: KeychainStatus.itemNotFound), .invalidated),
            (KeychainError(status: KeychainStatus.notAvailable), .unavailable),
            (KeychainError(status: KeychainStatus.missingEntitlement), .unavailable),
            (KeychainError(status: KeychainStatus.decode), .corrupted),
            (KeychainError(status: -50), .failed),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -2), .cancelled),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -3), .cancelled),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -4), .cancelled),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -9), .cancelled),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -1), .authenticationFailed),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -8), .lockedOut),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -5), .unavailable),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -6), .unavailable),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -7), .unavailable),
            (KeychainError(domainName: "com.apple.LocalAuthentication", code: -1004), .notInteractive),
            (KeychainError(domainName: "NSOSStatusErrorDomain", code: -128), .cancelled),
            (KeychainError(domainName: "CryptoTokenKit", code: -2), .failed),
        ]
        for (error, failure) in expected {
            #expect(KeystoreFailure(error) == failure, "\(error)")
        }
    }

    @Test func failureReasonsAreDistinctAndSayKeychain() {
        let reasons = KeystoreFailure.allCases.map(\.rawValue)
        #expect(Set(reasons).count == reasons.count)
        #expect(reasons.allSatisfy { $0.hasPrefix("keychain: ") })
    }

    // MARK: With a real vault

    @Test func theVaultUnlocksWithTheKeystoreAndFallsBackToThePassphraseWhenItIsInvalidated() async throws {
        let home = try TemporaryDirectory()
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        let keychain = MemoryKeychain(secureEnclave: true)
        let keystore = MemoryKeystore(keychain)
        try await vault.enableKeystoreUnlock(keystore: keystore)

        vault.lock()
        try await vault.unlockWithKeystore(keystore: keystore)
        #expect(vault.isUnlocked())

        // The person cancels Face ID: the failure comes back through the core as it was thrown.
        vault.lock()
        keychain.failNextPrompt(with: cancel)
        let cancelled = await waymarkError { try await vault.unlockWithKeystore(keystore: keystore) }
        #expect(cancelled?.keystoreFailure == .cancelled)
        #expect(cancelled?.code() == "keystore")
        #expect(!vault.isUnlocked())

        // A new face is enrolled: the keystore cannot open the vault any more…
        keychain.changeEnrolment()
        let invalidated = await waymarkError { try await vault.unlockWithKeystore(keystore: keystore) }
        #expect(invalidated?.keystoreFailure == .invalidated)
        #expect(!vault.isUnlocked())

        // …until the passphrase opens it and keystore unlock is set up again.
        try await vault.unlock(passphrase: "correct horse")
        try keystore.reset()
        try await vault.enableKeystoreUnlock(keystore: keystore)
        vault.lock()
        try await vault.unlockWithKeystore(keystore: keystore)
        #expect(vault.isUnlocked())
    }
}
