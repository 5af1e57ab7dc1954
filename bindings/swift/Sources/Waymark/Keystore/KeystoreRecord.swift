import Foundation

/// What ``KeychainKeystore`` keeps in its one unprotected keychain item
/// (readable without a prompt while the device is unlocked): how the
/// secret is protected and, with the Secure Enclave, the secret wrapped to
/// the enclave's key. Its presence also says a secret was made, so a secret
/// that became unreachable is reported as ``KeystoreFailure/invalidated``
/// instead of being silently replaced by a new one that opens nothing.
///
/// Format 1, a versioned envelope:
///
/// ```
/// byte 0      format version: 1
/// byte 1      protection: 1 Secure Enclave, 2 biometric keychain item
/// bytes 2…    Secure Enclave: the secret encrypted to the enclave key's
///             public key with ECIES (SecKeyAlgorithm
///             .eciesEncryptionCofactorVariableIVX963SHA256AESGCM):
///             65-byte uncompressed ephemeral P-256 point, 32-byte AES-GCM
///             ciphertext, 16-byte tag (113 bytes). Biometric item: nothing
///             (the secret is in its own item, behind the access control).
/// ```
struct KeystoreRecord: Equatable {
    static let version: UInt8 = 1
    /// The vault secret's length (the core's contract).
    static let secretLength = 32
    /// ECIES output for a 32-byte secret on P-256 with AES-GCM.
    static let wrappedLength = 65 + secretLength + 16

    enum Protection: Equatable {
        /// The secret, wrapped to a Secure Enclave key that needs biometry.
        case secureEnclave(wrapped: Data)
        /// The secret in a keychain item that needs biometry to be read.
        case biometricItem
    }

    let protection: Protection

    init(_ protection: Protection) {
        self.protection = protection
    }

    /// Reads a record; ``KeystoreFailure/corrupted`` for anything but format 1
    /// exactly.
    init(decoding data: Data) throws(KeystoreFailure) {
        let bytes = [UInt8](data)
        guard bytes.count >= 2, bytes[0] == Self.version else { throw .corrupted }
        switch bytes[1] {
        case 1:
            let wrapped = Data(bytes[2...])
            guard wrapped.count == Self.wrappedLength else { throw .corrupted }
            protection = .secureEnclave(wrapped: wrapped)
        case 2:
            guard bytes.count == 2 else { throw .corrupted }
            protection = .biometricItem
        default:
            throw .corrupted
        }
    }

    var encoded: Data {
        switch protection {
        case .secureEnclave(let wrapped):
            return Data([Self.version, 1]) + wrapped
        case .biometricItem:
            return Data([Self.version, 2])
        }
    }
}

/// The names ``KeychainKeystore`` stores under: every item carries the
/// app's `service`, so two keystores with different services (or two apps)
/// never see each other's.
struct KeychainNames: Equatable {
    let service: String

    /// Generic-password account of the ``KeystoreRecord`` (no access control
    /// beyond "when unlocked, this device only").
    var recordAccount: String { "waymark.vault-secret.record" }
    /// Generic-password account of the secret itself when there is no
    /// Secure Enclave (access control: biometry, current set).
    var secretAccount: String { "waymark.vault-secret" }
    /// `kSecAttrApplicationTag` of the Secure Enclave key.
    var enclaveKeyTag: Data { Data("\(service).waymark.vault-secret.enclave-key".utf8) }
}
