import Foundation
import Testing
import Waymark

@Suite("Lock state and logging", .serialized, .failsWhenStuck)
struct LockStateTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    @Test func theStreamHearsTheAutoLockTimerLockTheVaultWithNoCallMade() async throws {
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        // Listening before the timer is set: on a loaded machine 0.2 s can
        // pass before a stream started afterwards would begin.
        let states = vault.lockStates()
        try await vault.setAutoLock(idle: 0.2)
        var heard: [LockState] = []
        for await state in states {
            heard.append(state)
            if heard.count == 2 { break }
        }
        #expect(heard == [.unlocked, .locked(reason: .autoLock)])
    }

    @Test func theStreamFollowsUnlockLockByThePersonAndWipe() async throws {
        let dir = home.path("vault")
        _ = try await createVault(dir: dir, passphrase: "correct horse", kdf: testKdf)
        let vault = try await Vault.open(dir: dir)
        let states = vault.lockStates()
        let heard = Task {
            var heard: [LockState] = []
            for await state in states {
                heard.append(state)
                if heard.count == 4 { break }
            }
            return heard
        }
        try await vault.unlock(passphrase: "correct horse")
        vault.lock()
        try await vault.wipe()
        #expect(await heard.value == [
            .locked(reason: .opened), .unlocked, .locked(reason: .user), .locked(reason: .wiped),
        ])
    }

    @Test func theLogSinkHearsUnlockOutcomesAndNeverThePassphraseOrThePath() async throws {
        // The sink is the process's: other suites' vaults, running at the
        // same time, log to it too. So lines are counted as "at least", and
        // "nothing after removal" is any line at all once it returned.
        final class Lines: @unchecked Sendable {
            private let lock = NSLock()
            private var lines: [(LogLevel, String, String)] = []
            private var removed = false
            private var late = 0
            func add(_ line: (LogLevel, String, String)) {
                lock.lock()
                if removed { late += 1 } else { lines.append(line) }
                lock.unlock()
            }
            func sinkRemoved() { lock.lock(); removed = true; lock.unlock() }
            var all: [(LogLevel, String, String)] { lock.lock(); defer { lock.unlock() }; return lines }
            var afterRemoval: Int { lock.lock(); defer { lock.unlock() }; return late }
        }
        let dir = home.path("vault")
        let vault = try await createVault(dir: dir, passphrase: "correct horse", kdf: testKdf).vault
        vault.lock()
        let lines = Lines()
        installLogSink(maxLevel: .info) { level, target, message in lines.add((level, target, message)) }
        await #expect(throws: WaymarkError.self) { try await vault.unlock(passphrase: "hunter2 guess") }
        try await vault.unlock(passphrase: "correct horse")
        removeLogSink()
        lines.sinkRemoved()
        vault.lock()
        try await vault.unlock(passphrase: "correct horse")

        let seen = lines.all
        #expect(seen.contains { $0.0 == .warn && $0.1 == "waymark::vault" && $0.2.hasPrefix("wrong passphrase (1 failed") })
        #expect(seen.contains { $0.0 == .info && $0.1 == "waymark::vault" && $0.2 == "vault unlocked" })
        #expect(lines.afterRemoval == 0, "nothing after the sink was removed")
        for (_, _, message) in seen {
            for secret in ["correct horse", "hunter2 guess", dir] {
                #expect(!message.contains(secret), "\(message)")
            }
        }
    }

    @Test func everyErrorHasAStableCodeInLowerCamelCaseCases() {
        let errors: [WaymarkError] = [
            .locked, .wrongPassphrase(attempts: 1, retryAfterSeconds: 0), .tooManyAttempts(retryAfterSeconds: 30),
            .notFound, .invalidInput(reason: "x"), .integrity(reason: "x"),
            .network(reason: "x", retryable: true, retryAfterSeconds: 0), .storageFull, .keystore(reason: "x"),
            .cancelled, .internal(reason: "x"),
        ]
        #expect(errors.map { $0.code() } == [
            "locked", "wrong_passphrase", "too_many_attempts", "not_found", "invalid_input", "integrity",
            "network", "storage_full", "keystore", "cancelled", "internal",
        ])
    }
}
