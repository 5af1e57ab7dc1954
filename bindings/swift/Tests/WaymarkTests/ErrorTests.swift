import Foundation
import Testing
import Waymark

@Suite("Errors")
struct ErrorTests {
    /// The codes apps key their translations on: changing one breaks every
    /// app's strings, so they are spelled out here.
    @Test func everyCaseHasItsStableCode() {
        let codes: [(WaymarkError, String)] = [
            (.Locked, "locked"),
            (.WrongPassphrase(attempts: 3, retryAfterSeconds: 30), "wrong_passphrase"),
            (.TooManyAttempts(retryAfterSeconds: 60), "too_many_attempts"),
            (.NotFound, "not_found"),
            (.InvalidInput(reason: "r"), "invalid_input"),
            (.Integrity(reason: "r"), "integrity"),
            (.Network(reason: "r", retryable: true, retryAfterSeconds: 0), "network"),
            (.StorageFull, "storage_full"),
            (.Keystore(reason: "r"), "keystore"),
            (.Cancelled, "cancelled"),
            (.Internal(reason: "r"), "internal"),
        ]
        for (error, code) in codes {
            #expect(error.code == code)
        }
        #expect(Set(codes.map(\.1)).count == codes.count)
    }

    @Test func theCodeNamesTheCaseNotItsValues() {
        #expect(WaymarkError.WrongPassphrase(attempts: 1, retryAfterSeconds: 0).code
            == WaymarkError.WrongPassphrase(attempts: 9, retryAfterSeconds: 300).code)
        #expect(WaymarkError.Keystore(reason: "a").code == WaymarkError.Keystore(reason: "b").code)
    }

    @Test func theDescriptionIsTechnicalAndLedByTheCode() throws {
        let error: any Error = WaymarkError.TooManyAttempts(retryAfterSeconds: 60)
        let localized = try #require(error as? any LocalizedError)
        #expect(localized.errorDescription == "[too_many_attempts] too many failed attempts: try again in 60s")
    }

    @Test func aWrongPassphraseFromTheCoreCarriesItsCode() async throws {
        let home = try TemporaryDirectory()
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        vault.lock()
        let error = await waymarkError { try await vault.unlock(passphrase: "wrong horse") }
        #expect(error?.code == "wrong_passphrase")
        #expect(error?.keystoreFailure == nil)
    }

    @Test func aKeystoreFailureIsReadBackFromItsError() {
        for failure in KeystoreFailure.allCases {
            #expect(failure.error.keystoreFailure == failure)
            #expect(failure.error.code == "keystore")
        }
        #expect(WaymarkError.Keystore(reason: "the app's own words").keystoreFailure == nil)
    }
}
