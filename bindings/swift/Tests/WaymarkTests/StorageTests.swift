import Foundation
import Testing
import Waymark

@Suite("Storage", .failsWhenStuck)
struct StorageTests {
    @Test func theAdvisedPolicyKeepsTheHomeOutOfBackupsTheContentSyncableAndTheVaultLocked() {
        let advised = StoragePolicy.recommended
        #expect(advised.excludedFromBackup)
        #expect(advised.content == .completeUntilFirstUserAuthentication)
        #expect(advised.vault == .complete)
        #expect(StoragePolicy() == advised)
    }

    @Test func aNewHomeMakesItsDirectoriesAndAVaultIsCreatedInTheVaultOne() async throws {
        let temporary = try TemporaryDirectory()
        let directory = temporary.url.appendingPathComponent("a/b/Waymark", isDirectory: true)
        let home = try await WaymarkHome(directory: directory)

        var isDirectory: ObjCBool = false
        for name in ["content", "vault"] {
            let path = directory.appendingPathComponent(name).path
            #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
        }
        // The vault's directory is made ahead (to carry its protection class)
        // and is not a vault until one is created in it.
        #expect(!(await home.hasVault))
        let created = try await home.createVault(passphrase: "correct horse", kdf: testKdf)
        #expect(await home.hasVault)
        #expect(home.vaultDirectory.standardizedFileURL == directory.appendingPathComponent("vault").standardizedFileURL)

        // Opening the home again applies the policy to what is there and
        // leaves the vault and the content as they were.
        created.vault.lock()
        let again = try await WaymarkHome(directory: directory)
        let vault = try await again.openVault()
        try await vault.unlock(passphrase: "correct horse")
        #expect(vault.isUnlocked())
        #expect(try await again.content.packs().isEmpty)
    }
}
