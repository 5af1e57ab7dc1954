import Foundation
import Testing
import Waymark

@Suite("Errors", .failsWhenStuck)
struct ErrorTests {
    /// The codes apps key their translations on: changing one breaks every
    /// app's strings, so they are spelled out here.
    @Test func everyCaseHasItsStableCode() {
        let codes: [(WaymarkError, String)] = [
            (.locked, "locked"),
            (.wrongPassphrase(attempts: 3, retryAfterSeconds: 30), "wrong_passphrase"),
            (.tooManyAttempts(retryAfterSeconds: 60), "too_many_attempts"),
            (.notFound, "not_found"),
            (.invalidInput(reason: "r"), "invalid_input"),
            (.integrity(reason: "r"), "integrity"),
            (.network(reason: "r", retryable: true, retryAfterSeconds: 0), "network"),
            (.storageFull, "storage_full"),
            (.keystore(reason: "r"), "keystore"),
            (.cancelled, "cancelled"),
            (.`internal`(reason: "r"), "internal"),
        ]
        for (error, code) in codes {
            #expect(error.code() == code)
        }
        #expect(Set(codes.map(\.1)).count == codes.count)
    }

    @Test func theCodeNamesTheCaseNotItsValues() {
        #expect(WaymarkError.wrongPassphrase(attempts: 1, retryAfterSeconds: 0).code()
            == WaymarkError.wrongPassphrase(attempts: 9, retryAfterSeconds: 300).code())
        #expect(WaymarkError.keystore(reason: "a").code() == WaymarkError.keystore(reason: "b").code())
    }

    @Test func theDescriptionIsTechnicalAndLedByTheCode() throws {
        let error: any Error = WaymarkError.tooManyAttempts(retryAfterSeconds: 60)
        let localized = try #require(error as? any LocalizedError)
        #expect(localized.errorDescription == "[too_many_attempts] too many failed attempts: try again in 60s")
    }

    @Test func aWrongPassphraseFromTheCoreCarriesItsCode() async throws {
        let home = try TemporaryDirectory()
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        vault.lock()
        let error = await waymarkError { try await vault.unlock(passphrase: "wrong horse") }
        #expect(error?.code() == "wrong_passphrase")
        #expect(error?.keystoreFailure == nil)
    }

    @Test func aKeystoreFailureIsReadBackFromItsError() {
        for failure in KeystoreFailure.allCases {
            #expect(failure.error.keystoreFailure == failure)
            #expect(failure.error.code() == "keystore")
        }
        #expect(WaymarkError.keystore(reason: "the app's own words").keystoreFailure == nil)
    }
}
