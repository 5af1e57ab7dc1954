//! The one error the apps see: `waymark-core`'s [`CoreWaymarkError`],
//! restated here so uniffi can carry it.
//!
//! Kotlin sees it as `WaymarkException` (a sealed class, one subclass per
//! variant), Swift as `WaymarkError`. The core owns it: which detailed
//! error becomes which variant is decided once, in the core's
//! `From<waymark_core::Error> for waymark_core::WaymarkError`. This enum
//! has the same variants, fields and texts, and converts to and from the
//! core's variant for variant (exhaustive matches both ways: the two
//! cannot drift apart and still build). Its `Display` is the core's.
//!
//! Why a restatement rather than the core's type itself (uniffi's remote
//! types): uniffi 0.32 cannot export `Display` for a remote type (the
//! generated Kotlin `toString()` and Swift `description` rely on it), and
//! a foreign trait's error type (the app's keystore, the sync listener)
//! needs `From<uniffi::UnexpectedUniFFICallbackError>`, which only the
//! crate owning the type may write; the core holds no FFI code.
//!
//! Like the core's errors, no message carries personal data: no
//! passphrase, document title, holder name or number, and no path under
//! the person's home.

use std::fmt;

use waymark_core::Error as CoreError;
use waymark_core::WaymarkError as CoreWaymarkError;

use crate::num::{int, long};

/// Shorthand for results of the bindings.
pub type Result<T, E = WaymarkError> = std::result::Result<T, E>;

/// What went wrong, in terms a screen can act on.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum WaymarkError {
    /// The vault is locked (or auto-locked after being idle): ask for the
    /// passphrase and unlock.
    Locked,

    /// The passphrase (or, for a passphrase change, the current one) was
    /// wrong. Show how many attempts failed and, when `retry_after_seconds`
    /// is not zero, a countdown before the next attempt is accepted.
    WrongPassphrase {
        /// Consecutive failed attempts, counted persistently.
        attempts: i32,
        /// Seconds before another attempt is accepted (0: try again now).
        retry_after_seconds: i64,
    },

    /// An attempt came too soon after failed ones and was not tried at all:
    /// show a countdown.
    TooManyAttempts {
        /// Seconds before another attempt is accepted.
        retry_after_seconds: i64,
    },

    /// The vault, document, pack or publisher does not exist (or the vault
    /// was wiped).
    NotFound,

    /// The input was refused and nothing changed; `reason` says what was
    /// expected, in words fit to show.
    InvalidInput {
        /// What was wrong and what was expected.
        reason: String,
    },

    /// Stored or received data failed verification: a document altered on
    /// disk, or content not signed by its publisher, altered, expired or
    /// rolled back. Nothing from it was used or installed.
    Integrity {
        /// What failed.
        reason: String,
    },

    /// The network failed or the server is busy. With `retryable`, the same
    /// call later may succeed (a sync resumes where it stopped).
    Network {
        /// What failed.
        reason: String,
        /// Whether trying again later can help.
        retryable: bool,
        /// Seconds the server asked to wait (0 when it did not say).
        retry_after_seconds: i64,
    },

    /// The device has no space left; nothing was half-written.
    StorageFull,

    /// The platform keystore (Android Keystore, iOS Keychain) refused or
    /// failed, e.g. the person cancelled the biometric prompt: fall back to
    /// the passphrase.
    Keystore {
        /// What failed, as the app's keystore said.
        reason: String,
    },

    /// The operation was cancelled (by `cancel…()`, or by cancelling the
    /// Kotlin coroutine that awaited it). What was done is consistent and
    /// the next attempt resumes.
    Cancelled,

    /// Anything else: a fault of the device's storage or of Waymark itself.
    /// Not actionable beyond "try again"; `reason` is for bug reports.
    Internal {
        /// A technical description, free of personal data.
        reason: String,
    },
}

impl From<CoreWaymarkError> for WaymarkError {
    fn from(e: CoreWaymarkError) -> Self {
        match e {
            CoreWaymarkError::Locked => WaymarkError::Locked,
            CoreWaymarkError::WrongPassphrase {
                attempts,
                retry_after_seconds,
            } => WaymarkError::WrongPassphrase {
                attempts: int(attempts),
                retry_after_seconds: long(retry_after_seconds),
            },
            CoreWaymarkError::TooManyAttempts {
                retry_after_seconds,
            } => WaymarkError::TooManyAttempts {
                retry_after_seconds: long(retry_after_seconds),
            },
            CoreWaymarkError::NotFound => WaymarkError::NotFound,
            CoreWaymarkError::InvalidInput { reason } => WaymarkError::InvalidInput { reason },
            CoreWaymarkError::Integrity { reason } => WaymarkError::Integrity { reason },
            CoreWaymarkError::Network {
                reason,
                retryable,
                retry_after_seconds,
            } => WaymarkError::Network {
                reason,
                retryable,
                retry_after_seconds: long(retry_after_seconds),
            },
            CoreWaymarkError::StorageFull => WaymarkError::StorageFull,
            CoreWaymarkError::Keystore { reason } => WaymarkError::Keystore { reason },
            CoreWaymarkError::Cancelled => WaymarkError::Cancelled,
            CoreWaymarkError::Internal { reason } => WaymarkError::Internal { reason },
        }
    }
}

impl From<WaymarkError> for CoreWaymarkError {
    fn from(e: WaymarkError) -> Self {
        match e {
            WaymarkError::Locked => CoreWaymarkError::Locked,
            WaymarkError::WrongPassphrase {
                attempts,
                retry_after_seconds,
            } => CoreWaymarkError::WrongPassphrase {
                attempts: attempts.try_into().unwrap_or(0),
                retry_after_seconds: retry_after_seconds.try_into().unwrap_or(0),
            },
            WaymarkError::TooManyAttempts {
                retry_after_seconds,
            } => CoreWaymarkError::TooManyAttempts {
                retry_after_seconds: retry_after_seconds.try_into().unwrap_or(0),
            },
            WaymarkError::NotFound => CoreWaymarkError::NotFound,
            WaymarkError::InvalidInput { reason } => CoreWaymarkError::InvalidInput { reason },
            WaymarkError::Integrity { reason } => CoreWaymarkError::Integrity { reason },
            WaymarkError::Network {
                reason,
                retryable,
                retry_after_seconds,
            } => CoreWaymarkError::Network {
                reason,
                retryable,
                retry_after_seconds: retry_after_seconds.try_into().unwrap_or(0),
            },
            WaymarkError::StorageFull => CoreWaymarkError::StorageFull,
            WaymarkError::Keystore { reason } => CoreWaymarkError::Keystore { reason },
            WaymarkError::Cancelled => CoreWaymarkError::Cancelled,
            WaymarkError::Internal { reason } => CoreWaymarkError::Internal { reason },
        }
    }
}

/// The core's one mapping, then the same variant here.
impl From<CoreError> for WaymarkError {
    fn from(e: CoreError) -> Self {
        CoreWaymarkError::from(e).into()
    }
}

/// The core's text.
impl fmt::Display for WaymarkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        CoreWaymarkError::from(self.clone()).fmt(f)
    }
}

impl std::error::Error for WaymarkError {}

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

#[uniffi::export]
impl WaymarkError {
    /// A stable machine name for the case (`locked`, `wrong_passphrase`,
    /// `too_many_attempts`, `not_found`, `invalid_input`, `integrity`,
    /// `network`, `storage_full`, `keystore`, `cancelled`, `internal`):
    /// map it to the app's own translated text (the English `reason`s are
    /// for logs and bug reports, never for a person reading Arabic,
    /// Tigrinya or Dari). It never changes for a case.
    pub fn code(&self) -> String {
        CoreWaymarkError::from(self.clone()).code().to_owned()
    }
}

impl WaymarkError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        CoreWaymarkError::invalid(reason).into()
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

    #[test]
    fn the_text_is_the_cores() {
        let e = WaymarkError::from(CoreError::Throttled {
            retry_after: Duration::from_secs(60),
        });
        assert_eq!(e.to_string(), "too many failed attempts: try again in 60s");
        assert_eq!(
            WaymarkError::Keystore {
                reason: "user cancelled".into()
            }
            .to_string(),
            "platform keystore: user cancelled"
        );
    }
}
