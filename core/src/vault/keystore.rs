//! The platform keystore: a second way to unwrap the vault's data key, with a
//! 256-bit secret that the phone's hardware-backed keystore (Android
//! Keystore, iOS Keychain/Secure Enclave) guards behind biometrics or the
//! device lock. The app implements [`PlatformKeystore`]; the bindings expose
//! it as a foreign trait.

/// A failure reported by the app's keystore implementation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct KeystoreError {
    /// What failed, free of personal data (e.g. "user cancelled").
    pub reason: String,
}

/// Gives Waymark a 32-byte secret held by the platform keystore.
///
/// Implementations MUST return the same secret every time for the same
/// device and app installation, and SHOULD require user presence (biometric
/// or device credential) to release it.
pub trait PlatformKeystore: Send + Sync {
    /// Returns the secret, creating and storing it on first use. It must be
    /// exactly 32 bytes of uniformly random data.
    fn vault_secret(&self) -> Result<Vec<u8>, KeystoreError>;
}
