//! The one error the apps see: a handful of variants a screen can act on,
//! converted in one place from `waymark-core`'s detailed [`CoreError`].
//!
//! Kotlin sees it as `WaymarkException` (a sealed class, one subclass per
//! variant), Swift as `WaymarkError`. Like the core's errors, no message
//! carries personal data: no passphrase, document title, holder name or
//! number, and no path under the person's home.

use waymark_core::Error as CoreError;

/// Shorthand for results of the bindings.
pub type Result<T, E = WaymarkError> = std::result::Result<T, E>;

/// What went wrong, in terms a screen can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum WaymarkError {
    /// The vault is locked (or auto-locked after being idle): ask for the
    /// passphrase and unlock.
    #[error("the vault is locked")]
    Locked,

    /// The passphrase (or, for a passphrase change, the current one) was
    /// wrong. Show how many attempts failed and, when `retry_after_seconds`
    /// is not zero, a countdown before the next attempt is accepted.
    #[error("wrong passphrase ({attempts} failed attempts)")]
    WrongPassphrase {
        /// Consecutive failed attempts, counted persistently.
        attempts: u32,
        /// Seconds before another attempt is accepted (0: try again now).
        retry_after_seconds: u64,
    },

    /// An attempt came too soon after failed ones and was not tried at all:
    /// show a countdown.
    #[error("too many failed attempts: try again in {retry_after_seconds}s")]
    TooManyAttempts {
        /// Seconds before another attempt is accepted.
        retry_after_seconds: u64,
    },

    /// The vault, document, pack or publisher does not exist (or the vault
    /// was wiped).
    #[error("not found")]
    NotFound,

    /// The input was refused and nothing changed; `reason` says what was
    /// expected, in words fit to show.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What was wrong and what was expected.
        reason: String,
    },

    /// Stored or received data failed verification: a document altered on
    /// disk, or content not signed by its publisher, altered, expired or
    /// rolled back. Nothing from it was used or installed.
    #[error("integrity check failed: {reason}")]
    Integrity {
        /// What failed.
        reason: String,
    },

    /// The network failed or the server is busy. With `retryable`, the same
    /// call later may succeed (a sync resumes where it stopped).
    #[error("network: {reason}")]
    Network {
        /// What failed.
        reason: String,
        /// Whether trying again later can help.
        retryable: bool,
        /// Seconds the server asked to wait (0 when it did not say).
        retry_after_seconds: u64,
    },

    /// The device has no space left; nothing was half-written.
    #[error("storage is full")]
    StorageFull,

    /// The platform keystore (Android Keystore, iOS Keychain) refused or
    /// failed, e.g. the person cancelled the biometric prompt: fall back to
    /// the passphrase.
    #[error("platform keystore: {reason}")]
    Keystore {
        /// What failed, as the app's keystore said.
        reason: String,
    },

    /// The operation was cancelled (by `cancel…()`, or by cancelling the
    /// Kotlin coroutine that awaited it). What was done is consistent and
    /// the next attempt resumes.
    #[error("cancelled")]
    Cancelled,

    /// Anything else: a fault of the device's storage or of Waymark itself.
    /// Not actionable beyond "try again"; `reason` is for bug reports.
    #[error("internal error: {reason}")]
    Internal {
        /// A technical description, free of personal data.
        reason: String,
    },
}

impl From<CoreError> for WaymarkError {
    fn from(e: CoreError) -> Self {
        if e.is_storage_full() {
            return WaymarkError::StorageFull;
        }
        match e {
            CoreError::Locked => WaymarkError::Locked,
            CoreError::WrongPassphrase {
                failed_attempts,
                retry_after,
            } => WaymarkError::WrongPassphrase {
                attempts: failed_attempts,
                retry_after_seconds: retry_after.as_secs(),
            },
            CoreError::Throttled { retry_after } => WaymarkError::TooManyAttempts {
                retry_after_seconds: retry_after.as_secs(),
            },
            CoreError::NoVault | CoreError::NotFound(_) => WaymarkError::NotFound,
            CoreError::MalformedRecoveryCode(_)
            | CoreError::VaultExists
            | CoreError::InvalidInput(_)
            | CoreError::InvalidPack(_)
            | CoreError::InvalidPatch(_)
            | CoreError::PatchMismatch(_)
            | CoreError::Rollback { .. } => WaymarkError::InvalidInput {
                reason: e.to_string(),
            },
            CoreError::Integrity(_) | CoreError::Untrusted(_) => WaymarkError::Integrity {
                reason: e.to_string(),
            },
            CoreError::Network(reason) => WaymarkError::Network {
                reason,
                retryable: true,
                retry_after_seconds: 0,
            },
            CoreError::ServerBusy { retry_after } => WaymarkError::Network {
                reason: e.to_string(),
                retryable: true,
                retry_after_seconds: retry_after.as_secs(),
            },
            CoreError::Keystore(reason) => WaymarkError::Keystore { reason },
            CoreError::Cancelled => WaymarkError::Cancelled,
            other => WaymarkError::Internal {
                reason: other.to_string(),
            },
        }
    }
}

/// A foreign callback (the app's keystore, a sync listener) threw something
/// it did not declare, or returned something that cannot be read. It
/// becomes an error of the call that used the callback, never a panic.
impl From<uniffi::UnexpectedUniFFICallbackError> for WaymarkError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // The foreign exception's text is not copied: it could hold
        // anything the app put in it.
        WaymarkError::Internal {
            reason: "an app callback failed unexpectedly".into(),
        }
    }
}

impl WaymarkError {
    /// A blocking task panicked or was torn down (the runtime shutting down).
    pub(crate) fn from_join(e: tokio::task::JoinError) -> Self {
        WaymarkError::Internal {
            reason: if e.is_panic() {
                "an internal operation panicked".into()
            } else {
                "an internal operation was stopped".into()
            },
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        WaymarkError::InvalidInput {
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_wrong_passphrase_keeps_its_attempts_and_delay() {
        let e = WaymarkError::from(CoreError::WrongPassphrase {
            failed_attempts: 4,
            retry_after: Duration::from_secs(30),
        });
        assert_eq!(
            e,
            WaymarkError::WrongPassphrase {
                attempts: 4,
                retry_after_seconds: 30
            }
        );
    }

    #[test]
    fn a_full_disk_is_storage_full_whatever_layer_saw_it() {
        let io = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(
            WaymarkError::from(CoreError::Io(io)),
            WaymarkError::StorageFull
        );
        assert_eq!(
            WaymarkError::from(CoreError::StorageFull),
            WaymarkError::StorageFull
        );
    }

    #[test]
    fn unsigned_content_and_altered_documents_are_integrity_failures() {
        for e in [
            CoreError::Untrusted(waymark_core::Untrusted::Other("bad signature".into())),
            CoreError::Integrity("document size"),
        ] {
            assert!(matches!(
                WaymarkError::from(e),
                WaymarkError::Integrity { .. }
            ));
        }
    }

    #[test]
    fn a_busy_server_is_retryable_with_its_delay() {
        let e = WaymarkError::from(CoreError::ServerBusy {
            retry_after: Duration::from_secs(300),
        });
        assert!(matches!(
            e,
            WaymarkError::Network {
                retryable: true,
                retry_after_seconds: 300,
                ..
            }
        ));
    }

    #[test]
    fn an_unexpected_callback_error_carries_none_of_the_apps_text() {
        let e = WaymarkError::from(uniffi::UnexpectedUniFFICallbackError::new(
            "secret passport number 123",
        ));
        assert!(matches!(e, WaymarkError::Internal { .. }));
        assert!(!e.to_string().contains("123"));
    }
}
