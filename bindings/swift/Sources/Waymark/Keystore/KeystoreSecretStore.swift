import Foundation

/// Serialises every ``KeystoreSecretStore`` call of the process.
private let keystoreLock = NSLock()

/// The keychain operations ``KeychainKeystore`` needs, one call each to
/// `Security`. Every failure is a ``KeychainError``; "not there" is nil,
/// not an error.
protocol KeychainBackend: Sendable {
    /// Whether biometry is enrolled and usable now (LocalAuthentication).
    var biometryAvailable: Bool { get }
    /// Whether this device has a Secure Enclave.
    var secureEnclaveAvailable: Bool { get }
    /// 32 bytes from the system's CSPRNG.
    func randomSecret() throws(KeychainError) -> Data

    func readRecord() throws(KeychainError) -> Data?
    func writeRecord(_ record: Data) throws(KeychainError)

    /// Makes a new Secure Enclave key (replacing any with the same tag) whose
    /// use needs biometry of the current set, and returns `secret`
    /// encrypted to its public key (no prompt: encryption uses the public
    /// key).
    func wrapWithNewEnclaveKey(_ secret: Data) throws(KeychainError) -> Data
    /// Decrypts with the Secure Enclave key, prompting for biometry with
    /// `prompt`; nil when there is no such key.
    func unwrapWithEnclaveKey(_ wrapped: Data, prompt: String) throws(KeychainError) -> Data?

    /// Stores `secret` (replacing any) in an item readable only after
    /// biometry of the current set.
    func writeProtectedSecret(_ secret: Data) throws(KeychainError)
    /// Reads that item, prompting with `prompt`; nil when there is none.
    func readProtectedSecret(prompt: String) throws(KeychainError) -> Data?

    /// Deletes the record, the protected item and the enclave key.
    func deleteAll() throws(KeychainError)
}

/// How ``KeychainKeystore`` keeps the vault secret, whatever the keychain
/// underneath: the first call makes the secret and protects it (Secure
/// Enclave if there is one, else a biometric keychain item), later calls
/// unprotect the same secret, and a secret that cannot be reached any more
/// is an error, never a new secret.
///
/// Calls are serialised, across every store of the process (two keystores
/// over the same items may exist): two first calls at once must not make
/// two secrets.
final class KeystoreSecretStore<Backend: KeychainBackend>: Sendable {
    let backend: Backend
    let prompt: String
    let preferSecureEnclave: Bool
    // Held for the whole of each call.
    private var lock: NSLock { keystoreLock }

    init(backend: Backend, prompt: String, preferSecureEnclave: Bool = true) {
        self.backend = backend
        self.prompt = prompt
        self.preferSecureEnclave = preferSecureEnclave
    }

    /// The vault secret: made on first use, the same 32 bytes after that.
    func secret() throws(KeystoreFailure) -> Data {
        lock.lock()
        defer { lock.unlock() }
        do {
            guard let stored = try backend.readRecord() else {
                return try create()
            }
            let record = try KeystoreRecord(decoding: stored)
            let secret: Data?
            switch record.protection {
            case .secureEnclave(let wrapped):
                secret = try backend.unwrapWithEnclaveKey(wrapped, prompt: prompt)
            case .biometricItem:
                secret = try backend.readProtectedSecret(prompt: prompt)
            }
            // The record says a secret was made; it is gone (new enrolment).
            guard let secret else { throw KeystoreFailure.invalidated }
            guard secret.count == KeystoreRecord.secretLength else { throw KeystoreFailure.corrupted }
            return secret
        } catch let error as KeychainError {
            throw KeystoreFailure(error)
        } catch let failure as KeystoreFailure {
            throw failure
        } catch {
            throw .failed
        }
    }

    /// Forgets the secret: the next ``secret()`` makes a new one.
    func reset() throws(KeystoreFailure) {
        lock.lock()
        defer { lock.unlock() }
        do {
            try backend.deleteAll()
        } catch {
            throw KeystoreFailure(error)
        }
    }

    /// Makes, protects and records a new secret. The record is written last:
    /// a process killed before it leaves no record, and the next call starts
    /// again (the backend replaces a half-made key or item).
    private func create() throws -> Data {
        guard backend.biometryAvailable else { throw KeystoreFailure.unavailable }
        let secret = try backend.randomSecret()
        guard secret.count == KeystoreRecord.secretLength else { throw KeystoreFailure.failed }
        let record: KeystoreRecord
        if preferSecureEnclave && backend.secureEnclaveAvailable {
            let wrapped = try backend.wrapWithNewEnclaveKey(secret)
            guard wrapped.count == KeystoreRecord.wrappedLength else { throw KeystoreFailure.failed }
            record = KeystoreRecord(.secureEnclave(wrapped: wrapped))
        } else {
            try backend.writeProtectedSecret(secret)
            record = KeystoreRecord(.biometricItem)
        }
        try backend.writeRecord(record.encoded)
        return secret
    }
}

extension KeystoreSecretStore {
    /// ``secret()`` as a ``PlatformKeystore`` reports it: a failure is the
    /// ``WaymarkError/keystore(reason:)`` of its ``KeystoreFailure``.
    func vaultSecret() throws -> Data {
        do {
            return try secret()
        } catch {
            throw error.error
        }
    }

    /// ``reset()``, failing as ``vaultSecret()`` does.
    func resetSecret() throws {
        do {
            try reset()
        } catch {
            throw error.error
        }
    }
}
