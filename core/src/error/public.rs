//! [`WaymarkError`]: the error the apps see, and the one mapping from
//! [`Error`] to it.
//!
//! The bindings (`waymark-ffi`) expose this enum to the apps (Kotlin
//! `WaymarkException`, a sealed class with one subclass per variant; Swift
//! `WaymarkError`) through a restatement for uniffi that converts to and
//! from it variant for variant: its variants, their order, their fields
//! and their texts are the apps' API. Change them only with the apps.

use super::Error;

/// What went wrong, in terms a screen can act on.
///
/// Not `#[non_exhaustive]`: the bindings restate it for uniffi and convert
/// both ways with exhaustive matches, so the compiler holds the two
/// together (a variant or field added here and not there does not build).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

impl WaymarkError {
    /// A stable machine name for the variant (`locked`, `wrong_passphrase`,
    /// …), for apps to map to their own translated text and for logs: it
    /// never changes for a variant and carries nothing of the error's
    /// details.
    pub fn code(&self) -> &'static str {
        match self {
            WaymarkError::Locked => "locked",
            WaymarkError::WrongPassphrase { .. } => "wrong_passphrase",
            WaymarkError::TooManyAttempts { .. } => "too_many_attempts",
            WaymarkError::NotFound => "not_found",
            WaymarkError::InvalidInput { .. } => "invalid_input",
            WaymarkError::Integrity { .. } => "integrity",
            WaymarkError::Network { .. } => "network",
            WaymarkError::StorageFull => "storage_full",
            WaymarkError::Keystore { .. } => "keystore",
            WaymarkError::Cancelled => "cancelled",
            WaymarkError::Internal { .. } => "internal",
        }
    }

    /// Input refused for `reason` (in words fit to show).
    pub fn invalid(reason: impl Into<String>) -> Self {
        WaymarkError::InvalidInput {
            reason: reason.into(),
        }
    }
}

/// The one mapping from the detailed error to what the apps see.
///
/// A full disk is [`WaymarkError::StorageFull`] whatever layer saw it;
/// refused content ([`Error::Untrusted`]) and altered stored data
/// ([`Error::Integrity`]) are both [`WaymarkError::Integrity`], with the
/// detailed error's text as the reason; every network failure is
/// retryable.
impl From<Error> for WaymarkError {
    fn from(e: Error) -> Self {
        WaymarkError::from(&e)
    }
}

/// The same mapping for an error kept by its owner (to log its code, say).
impl From<&Error> for WaymarkError {
    fn from(e: &Error) -> Self {
        if e.is_storage_full() {
            return WaymarkError::StorageFull;
        }
        match e {
            Error::Locked => WaymarkError::Locked,
            Error::WrongPassphrase {
                failed_attempts,
                retry_after,
            } => WaymarkError::WrongPassphrase {
                attempts: *failed_attempts,
                retry_after_seconds: retry_after.as_secs(),
            },
            Error::Throttled { retry_after } => WaymarkError::TooManyAttempts {
                retry_after_seconds: retry_after.as_secs(),
            },
            Error::NoVault | Error::NotFound(_) => WaymarkError::NotFound,
            // Its text is the reason itself: the public error's own text
            // says "invalid input" once.
            Error::InvalidInput(reason) => WaymarkError::InvalidInput {
                reason: reason.clone(),
            },
            Error::MalformedRecoveryCode(_)
            | Error::VaultExists
            | Error::InvalidPack(_)
            | Error::InvalidPatch(_)
            | Error::PatchMismatch(_)
            | Error::Rollback { .. } => WaymarkError::InvalidInput {
                reason: e.to_string(),
            },
            Error::Integrity(_) | Error::Untrusted(_) => WaymarkError::Integrity {
                reason: e.to_string(),
            },
            Error::Network(reason) => WaymarkError::Network {
                reason: reason.clone(),
                retryable: true,
                retry_after_seconds: 0,
            },
            Error::ServerBusy { retry_after } => WaymarkError::Network {
                reason: e.to_string(),
                retryable: true,
                retry_after_seconds: retry_after.as_secs(),
            },
            Error::Keystore(reason) => WaymarkError::Keystore {
                reason: reason.clone(),
            },
            Error::Cancelled => WaymarkError::Cancelled,
            other => WaymarkError::Internal {
                reason: other.to_string(),
            },
        }
    }
}

impl Error {
    /// The [`WaymarkError::code`] this error is shown to the apps with: a
    /// category free of any detail, fit for logs.
    pub fn code(&self) -> &'static str {
        WaymarkError::from(self).code()
    }
}

#[cfg(test)]
mod tests {
    // The mapping's other cases are tested where the apps meet it, in the
    // bindings (waymark-ffi's error tests).
    use super::*;
    use crate::error::Untrusted;

    #[test]
    fn an_invalid_input_says_so_once() {
        let e = WaymarkError::from(Error::invalid("publisher 'x' is already trusted"));
        assert_eq!(
            e,
            WaymarkError::InvalidInput {
                reason: "publisher 'x' is already trusted".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "invalid input: publisher 'x' is already trusted"
        );
    }

    #[test]
    fn refused_content_is_an_integrity_failure_with_the_detailed_text() {
        let e = WaymarkError::from(Error::Untrusted(Untrusted::Signatures {
            role: "targets".into(),
            valid: 0,
            threshold: 1,
        }));
        assert_eq!(
            e,
            WaymarkError::Integrity {
                reason: "not trusted: targets metadata has 0 valid signatures of the 1 required"
                    .into()
            }
        );
    }

    #[test]
    fn every_variant_has_its_own_code() {
        let all = [
            WaymarkError::Locked,
            WaymarkError::WrongPassphrase {
                attempts: 1,
                retry_after_seconds: 0,
            },
            WaymarkError::TooManyAttempts {
                retry_after_seconds: 1,
            },
            WaymarkError::NotFound,
            WaymarkError::invalid("x"),
            WaymarkError::Integrity { reason: "x".into() },
            WaymarkError::Network {
                reason: "x".into(),
                retryable: true,
                retry_after_seconds: 0,
            },
            WaymarkError::StorageFull,
            WaymarkError::Keystore { reason: "x".into() },
            WaymarkError::Cancelled,
            WaymarkError::Internal { reason: "x".into() },
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(WaymarkError::code).collect();
        assert_eq!(codes.len(), all.len());
        assert!(
            codes
                .iter()
                .all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        assert_eq!(Error::Locked.code(), "locked");
    }

    #[test]
    fn a_keystore_refusal_keeps_the_apps_reason() {
        assert_eq!(
            WaymarkError::from(Error::Keystore("user cancelled".into())),
            WaymarkError::Keystore {
                reason: "user cancelled".into()
            }
        );
    }
}
