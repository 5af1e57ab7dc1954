import Foundation
@testable import Waymark

/// The keychain of a device the test describes, in memory: whether biometry
/// is enrolled and there is a Secure Enclave, what the person does at the
/// next prompt, and a new enrolment (which, as `.biometryCurrentSet` does,
/// makes the enclave key and the protected item unreachable). Linux has no
/// keychain; this stands in for `Security` under ``KeystoreSecretStore``.
final class MemoryKeychain: KeychainBackend, @unchecked Sendable {
    // Everything below is guarded by `lock`.
    private let lock = NSLock()
    private var _biometryAvailable: Bool
    private let _secureEnclaveAvailable: Bool
    private var record: Data?
    private var protectedSecret: Data?
    private var enclaveKey: Data?
    private var nextPrompt: KeychainError?
    private var _prompts: [String] = []

    init(biometry: Bool = true, secureEnclave: Bool) {
        _biometryAvailable = biometry
        _secureEnclaveAvailable = secureEnclave
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: What the test does to the device

    /// The person's answer to the next prompt: this error instead of a match.
    func failNextPrompt(with error: KeychainError) { locked { nextPrompt = error } }
    /// Faces or fingers added or removed.
    func changeEnrolment() { locked { enclaveKey = nil; protectedSecret = nil } }
    /// The prompts shown so far.
    var prompts: [String] { locked { _prompts } }
    var storedRecord: Data? {
        get { locked { record } }
        set { locked { record = newValue } }
    }
    var hasEnclaveKey: Bool { locked { enclaveKey != nil } }
    var hasProtectedSecret: Bool { locked { protectedSecret != nil } }

    private func prompt(_ text: String) throws(KeychainError) {
        let outcome: KeychainError? = locked {
            _prompts.append(text)
            defer { nextPrompt = nil }
            return nextPrompt
        }
        if let outcome { throw outcome }
    }

    // MARK: KeychainBackend

    var biometryAvailable: Bool { locked { _biometryAvailable } }
    var secureEnclaveAvailable: Bool { _secureEnclaveAvailable }

    func randomSecret() throws(KeychainError) -> Data {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    func readRecord() throws(KeychainError) -> Data? { locked { record } }
    func writeRecord(_ record: Data) throws(KeychainError) { locked { self.record = record } }

    /// Stand-in ECIES: a random 65-byte "ephemeral point", the secret XOR
    /// the key, a 16-byte "tag" from the key: 113 bytes, as the enclave's.
    func wrapWithNewEnclaveKey(_ secret: Data) throws(KeychainError) -> Data {
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        locked { enclaveKey = key }
        let point = Data((0..<65).map { _ in UInt8.random(in: 0...255) })
        return point + Data(zip(secret, key).map { $0 ^ $1 }) + key.prefix(16)
    }

    func unwrapWithEnclaveKey(_ wrapped: Data, prompt text: String) throws(KeychainError) -> Data? {
        guard let key = locked({ enclaveKey }) else { return nil }
        try prompt(text)
        let body = wrapped.dropFirst(65)
        guard body.suffix(16) == key.prefix(16) else {
            throw KeychainError(status: KeychainStatus.decode)
        }
        return Data(zip(body.prefix(32), key).map { $0 ^ $1 })
    }

    func writeProtectedSecret(_ secret: Data) throws(KeychainError) { locked { protectedSecret = secret } }

    func readProtectedSecret(prompt text: String) throws(KeychainError) -> Data? {
        guard locked({ protectedSecret }) != nil else { return nil }
        try prompt(text)
        return locked { protectedSecret }
    }

    func deleteAll() throws(KeychainError) {
        locked { record = nil; protectedSecret = nil; enclaveKey = nil }
    }
}

/// A ``PlatformKeystore`` over ``KeystoreSecretStore``, as
/// ``KeychainKeystore`` is over the real keychain.
final class MemoryKeystore: PlatformKeystore {
    let store: KeystoreSecretStore<MemoryKeychain>

    init(_ keychain: MemoryKeychain, prompt: String = "Unlock your documents") {
        store = KeystoreSecretStore(backend: keychain, prompt: prompt)
    }

    func vaultSecret() throws -> Data { try store.vaultSecret() }
    func reset() throws { try store.resetSecret() }
}
