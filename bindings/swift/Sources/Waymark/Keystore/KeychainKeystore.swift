#if canImport(Security) && canImport(LocalAuthentication)
import Foundation
import LocalAuthentication
import Security
#if canImport(CryptoKit)
import CryptoKit
#endif

/// Waymark's ``PlatformKeystore`` over the iOS Keychain: unlock the vault
/// with Face ID or Touch ID instead of the passphrase.
///
/// The first call makes a 32-byte random secret and protects it:
/// - with a Secure Enclave (iPhones, iPads and Macs that have one): a P-256
///   key made in the enclave, usable only after biometry of the set
///   enrolled now (`.biometryCurrentSet`) and only on this device while it
///   is unlocked (`kSecAttrAccessibleWhenUnlockedThisDeviceOnly`); the
///   secret is kept encrypted to it (ECIES, X9.63 SHA-256, AES-GCM) and is
///   decrypted inside the enclave when the person looks or touches;
/// - without one (the simulator, older devices): in a generic-password item
///   under the same access control.
///
/// Every later call returns the same secret after the prompt. When the
/// enrolled faces or fingers change, the secret becomes unreachable by
/// design and the keystore says so (``KeystoreFailure/invalidated``) rather
/// than making a new one: unlock with the passphrase, call ``reset()``, and
/// enable keystore unlock again.
///
/// ```swift
/// let keystore = KeychainKeystore(prompt: String(localized: "Unlock your documents"))
/// try await vault.enableKeystoreUnlock(keystore: keystore)   // once, while unlocked
/// // later
/// try await vault.unlockWithKeystore(keystore: keystore)     // Face ID
/// ```
///
/// Failures are ``WaymarkError/keystore(reason:)``; read them with
/// ``WaymarkError/keystoreFailure``. The prompt blocks the calling thread:
/// the vault calls it from its own background thread, never the main one.
///
/// Tested on Linux: the record format, the error mapping and the
/// make-once/never-replace logic (``KeystoreSecretStore``). Not tested
/// here: this type's calls into `Security`, which need a device (see the
/// package README).
public final class KeychainKeystore: PlatformKeystore {
    private let store: KeystoreSecretStore<SecurityKeychain>

    /// - Parameters:
    ///   - prompt: Why the app asks, shown under the Face ID / Touch ID
    ///     prompt. Pass a string in the person's language.
    ///   - service: Names this keystore's items; keep the default unless the
    ///     app keeps two vaults.
    ///   - accessGroup: A keychain access group, to share the secret with an
    ///     app extension; nil for the app's own.
    ///   - preferSecureEnclave: Set false to keep the secret in a biometric
    ///     keychain item even where there is a Secure Enclave.
    public init(
        prompt: String,
        service: String = "org.waymark.vault",
        accessGroup: String? = nil,
        preferSecureEnclave: Bool = true
    ) {
        store = KeystoreSecretStore(
            backend: SecurityKeychain(names: KeychainNames(service: service), accessGroup: accessGroup),
            prompt: prompt,
            preferSecureEnclave: preferSecureEnclave
        )
    }

    /// Whether biometric unlock can be offered now (biometry enrolled).
    public var isAvailable: Bool {
        store.backend.biometryAvailable
    }

    public func vaultSecret() throws -> Data {
        try store.vaultSecret()
    }

    /// Deletes the secret, its Secure Enclave key and its record: call it
    /// after ``KeystoreFailure/invalidated``, once the person has unlocked
    /// with the passphrase, then `vault.enableKeystoreUnlock(keystore:)`
    /// makes a new secret. Also when the person turns biometric unlock off
    /// (with `vault.disableKeystoreUnlock()`).
    public func reset() throws {
        try store.resetSecret()
    }
}

/// The calls into `Security` and `LocalAuthentication`.
struct SecurityKeychain: KeychainBackend {
    let names: KeychainNames
    let accessGroup: String?

    private static var algorithm: SecKeyAlgorithm { .eciesEncryptionCofactorVariableIVX963SHA256AESGCM }

    var biometryAvailable: Bool {
        var error: NSError?
        return LAContext().canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: &error)
    }

    var secureEnclaveAvailable: Bool {
        #if canImport(CryptoKit) && !targetEnvironment(simulator)
        return SecureEnclave.isAvailable
        #else
        return false
        #endif
    }

    func randomSecret() throws(KeychainError) -> Data {
        var bytes = [UInt8](repeating: 0, count: KeystoreRecord.secretLength)
        let status = SecRandomCopyBytes(kSecRandomDefault, bytes.count, &bytes)
        guard status == errSecSuccess else { throw KeychainError(status: status) }
        return Data(bytes)
    }

    // MARK: Generic-password items

    private func itemQuery(account: String) -> [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: names.service,
            kSecAttrAccount as String: account,
            // The iOS-style keychain on macOS too (access control needs it).
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let accessGroup {
            query[kSecAttrAccessGroup as String] = accessGroup
        }
        return query
    }

    private func write(_ data: Data, account: String, accessControl: SecAccessControl?) throws(KeychainError) {
        let query = itemQuery(account: account)
        let deleted = SecItemDelete(query as CFDictionary)
        guard deleted == errSecSuccess || deleted == errSecItemNotFound else {
            throw KeychainError(status: deleted)
        }
        var attributes = query
        attributes[kSecValueData as String] = data
        if let accessControl {
            attributes[kSecAttrAccessControl as String] = accessControl
        } else {
            attributes[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        }
        let status = SecItemAdd(attributes as CFDictionary, nil)
        guard status == errSecSuccess else { throw KeychainError(status: status) }
    }

    private func read(account: String, context: LAContext?) throws(KeychainError) -> Data? {
        var query = itemQuery(account: account)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        if let context {
            query[kSecUseAuthenticationContext as String] = context
        }
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess else { throw KeychainError(status: status) }
        guard let data = result as? Data else { throw KeychainError(status: KeychainStatus.decode) }
        return data
    }

    private func biometricAccessControl(_ flags: SecAccessControlCreateFlags) throws(KeychainError) -> SecAccessControl {
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            kCFAllocatorDefault, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, flags, &error)
        else {
            throw Self.keychainError(error)
        }
        return access
    }

    private func context(prompt: String) -> LAContext {
        let context = LAContext()
        context.localizedReason = prompt
        return context
    }

    func readRecord() throws(KeychainError) -> Data? {
        try read(account: names.recordAccount, context: nil)
    }

    func writeRecord(_ record: Data) throws(KeychainError) {
        try write(record, account: names.recordAccount, accessControl: nil)
    }

    func writeProtectedSecret(_ secret: Data) throws(KeychainError) {
        try write(secret, account: names.secretAccount, accessControl: biometricAccessControl(.biometryCurrentSet))
    }

    func readProtectedSecret(prompt: String) throws(KeychainError) -> Data? {
        try read(account: names.secretAccount, context: context(prompt: prompt))
    }

    // MARK: The Secure Enclave key

    private func keyQuery() -> [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrApplicationTag as String: names.enclaveKeyTag,
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let accessGroup {
            query[kSecAttrAccessGroup as String] = accessGroup
        }
        return query
    }

    func wrapWithNewEnclaveKey(_ secret: Data) throws(KeychainError) -> Data {
        let deleted = SecItemDelete(keyQuery() as CFDictionary)
        guard deleted == errSecSuccess || deleted == errSecItemNotFound else {
            throw KeychainError(status: deleted)
        }
        var privateAttributes: [String: Any] = [
            kSecAttrIsPermanent as String: true,
            kSecAttrApplicationTag as String: names.enclaveKeyTag,
            kSecAttrAccessControl as String: try biometricAccessControl([.privateKeyUsage, .biometryCurrentSet]),
        ]
        if let accessGroup {
            privateAttributes[kSecAttrAccessGroup as String] = accessGroup
        }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecUseDataProtectionKeychain as String: true,
            kSecPrivateKeyAttrs as String: privateAttributes,
        ]
        var error: Unmanaged<CFError>?
        guard let privateKey = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            throw Self.keychainError(error)
        }
        guard let publicKey = SecKeyCopyPublicKey(privateKey),
              SecKeyIsAlgorithmSupported(publicKey, .encrypt, Self.algorithm)
        else {
            throw KeychainError(domain: .other("SecKey"), code: 0)
        }
        guard let wrapped = SecKeyCreateEncryptedData(publicKey, Self.algorithm, secret as CFData, &error) else {
            throw Self.keychainError(error)
        }
        return wrapped as Data
    }

    func unwrapWithEnclaveKey(_ wrapped: Data, prompt: String) throws(KeychainError) -> Data? {
        var query = keyQuery()
        query[kSecReturnRef as String] = true
        query[kSecUseAuthenticationContext as String] = context(prompt: prompt)
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let item, CFGetTypeID(item) == SecKeyGetTypeID() else {
            throw KeychainError(status: status == errSecSuccess ? KeychainStatus.decode : status)
        }
        let privateKey = item as! SecKey // its type ID is checked above
        var error: Unmanaged<CFError>?
        guard let secret = SecKeyCreateDecryptedData(privateKey, Self.algorithm, wrapped as CFData, &error) else {
            throw Self.keychainError(error)
        }
        return secret as Data
    }

    func deleteAll() throws(KeychainError) {
        for query in [itemQuery(account: names.recordAccount), itemQuery(account: names.secretAccount), keyQuery()] {
            let status = SecItemDelete(query as CFDictionary)
            guard status == errSecSuccess || status == errSecItemNotFound else {
                throw KeychainError(status: status)
            }
        }
    }

    private static func keychainError(_ error: Unmanaged<CFError>?) -> KeychainError {
        guard let error = error?.takeRetainedValue() else {
            return KeychainError(domain: .other("Security"), code: 0)
        }
        let nsError = error as Error as NSError
        return KeychainError(domainName: nsError.domain, code: nsError.code)
    }
}
#endif
