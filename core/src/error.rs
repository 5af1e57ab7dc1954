//! Errors: one detailed internal enum, one small public enum the apps act on.
//!
//! Every function of `waymark-core` returns [`Error`], which says precisely what
//! went wrong for logs, tests and the CLI. A refusal of signed content
//! carries a typed [`Untrusted`] reason that callers match on (sync's patch
//! fallback, sharing), never its text. Apps (through the bindings) see
//! [`WaymarkError`], a handful of variants a screen can act on; the conversion
//! lives in one place, [`From<Error> for WaymarkError`].
//!
//! No message of either enum ever contains personal data: no passphrase, no
//! document title, holder name or number, and no path under the user's home.

mod untrusted;

pub use untrusted::{ContentOrigin, MetadataRollback, Oversized, Untrusted};

use std::time::Duration;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in detail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation needs the vault's keys, and it is locked (or auto-locked
    /// after being idle).
    #[error("the vault is locked")]
    Locked,

    /// The passphrase (or recovery code) does not open this vault.
    #[error("wrong passphrase ({failed_attempts} failed attempts in a row{})", wait_note(*retry_after))]
    WrongPassphrase {
        /// Consecutive failed attempts, counted persistently.
        failed_attempts: u32,
        /// How long the vault refuses further attempts.
        retry_after: Duration,
    },

    /// An unlock attempt came too soon after failed ones; nothing was tried.
    #[error("too many failed attempts: try again in {}s", retry_after.as_secs())]
    Throttled {
        /// How long to wait before the next attempt is allowed.
        retry_after: Duration,
    },

    /// The recovery code is not well formed (wrong length, a character outside
    /// the alphabet, or a checksum that does not match: likely a typo).
    #[error("the recovery code is not valid: {0}")]
    MalformedRecoveryCode(&'static str),

    /// No vault exists in the directory (never created, or wiped).
    #[error("no vault here")]
    NoVault,

    /// A vault already exists in the directory.
    #[error("a vault already exists here")]
    VaultExists,

    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),

    /// Input was refused; the reason says what was expected.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// Authenticated decryption failed: stored bytes were altered, truncated,
    /// reordered or moved between documents. No data from them is returned.
    #[error("integrity check failed: {0}")]
    Integrity(&'static str),

    /// A content pack is malformed; the reason says where and what.
    #[error("invalid pack: {0}")]
    InvalidPack(String),

    /// A delta update (a patch between two versions of a pack) is malformed;
    /// the reason says where and what.
    #[error("invalid patch: {0}")]
    InvalidPatch(String),

    /// A well-formed patch that does not fit what is installed: it updates
    /// another version, or the installed entries are not its base. The full
    /// pack is needed instead.
    #[error("the patch does not apply to the installed pack: {0}")]
    PatchMismatch(String),

    /// Signed metadata or a signed file failed verification: bad or missing
    /// signatures, expired, rolled back, inconsistent, or altered bytes;
    /// the [`Untrusted`] reason says which.
    #[error("not trusted: {0}")]
    Untrusted(Untrusted),

    /// A pack older than (or the same as) the installed version was offered.
    #[error("pack version {offered} is not newer than the installed version {installed}")]
    Rollback {
        /// The version offered.
        offered: u64,
        /// The version installed.
        installed: u64,
    },

    /// The files were written by a newer Waymark, or by something else.
    #[error("unsupported format: {0}")]
    UnsupportedFormat(String),

    /// The platform keystore callback failed.
    #[error("platform keystore: {0}")]
    Keystore(String),

    /// The device has no space left.
    #[error("storage is full")]
    StorageFull,

    /// SQLite failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// A file operation failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),

    /// Serialising or parsing JSON failed (of data we wrote ourselves).
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),

    /// The operating system's random number generator failed.
    #[error("random number generator unavailable")]
    Random,

    /// The network failed: no connection, a timeout, a transfer too slow,
    /// or a server error after the retries. Nothing was changed.
    #[error("network: {0}")]
    Network(String),

    /// The server asks to come back later (HTTP 429 or 503 with a
    /// Retry-After longer than the client waits).
    #[error("the server is busy: try again in {}s", retry_after.as_secs())]
    ServerBusy {
        /// How long the server asked to wait.
        retry_after: Duration,
    },

    /// The operation was cancelled; what was done so far is kept
    /// consistent and the next attempt resumes.
    #[error("cancelled")]
    Cancelled,
}

fn e_busy(retry_after: Duration) -> String {
    Error::ServerBusy { retry_after }.to_string()
}

fn wait_note(retry_after: Duration) -> String {
    if retry_after.is_zero() {
        String::new()
    } else {
        format!("; next attempt allowed in {}s", retry_after.as_secs())
    }
}

impl From<Untrusted> for Error {
    fn from(reason: Untrusted) -> Self {
        Error::Untrusted(reason)
    }
}

impl From<rusqlite::types::FromSqlError> for Error {
    /// A column holding the wrong type was not written by us: treat it as
    /// tampering.
    fn from(_: rusqlite::types::FromSqlError) -> Self {
        Error::Integrity("stored value has the wrong type")
    }
}

impl Error {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Error::InvalidInput(reason.into())
    }

    /// True when the underlying cause is a full disk (an I/O error of that
    /// kind, SQLite's "database or disk is full", or [`Error::StorageFull`]).
    pub fn is_storage_full(&self) -> bool {
        match self {
            Error::StorageFull => true,
            Error::Io(e) => e.kind() == std::io::ErrorKind::StorageFull,
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            _ => false,
        }
    }
}

/// The errors an app can act on. Every variant maps to something a screen can
/// say or do; details stay in [`Error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WaymarkError {
    /// Unlock first (the vault is locked or auto-locked).
    #[error("the vault is locked")]
    Locked,

    /// The passphrase was wrong. Show the number of attempts and, when
    /// `retry_after_secs` is not zero, a countdown.
    #[error("wrong passphrase")]
    WrongPassphrase {
        /// Consecutive failed attempts so far.
        failed_attempts: u32,
        /// Seconds before another attempt is accepted.
        retry_after_secs: u64,
    },

    /// Too many failed attempts: wait this long before trying again.
    #[error("too many attempts; wait {retry_after_secs}s")]
    RetryLater {
        /// Seconds before another attempt is accepted.
        retry_after_secs: u64,
    },

    /// The vault, document or item does not exist.
    #[error("not found")]
    NotFound,

    /// The input was refused; `reason` says why, in words fit to show.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What was wrong and what was expected.
        reason: String,
    },

    /// Stored data failed its integrity check (tampering or corruption).
    #[error("integrity check failed")]
    Integrity,

    /// The device is out of storage.
    #[error("storage is full")]
    StorageFull,

    /// Content or metadata failed verification: not signed by the
    /// publisher, altered, expired or rolled back. Nothing was installed.
    #[error("not trusted: {reason}")]
    Untrusted {
        /// What failed, in words fit to show.
        reason: String,
    },

    /// The network failed or the server is unavailable; try again later.
    #[error("network: {reason}")]
    Network {
        /// What failed.
        reason: String,
        /// Seconds the server asked to wait, 0 when it did not say.
        retry_after_secs: u64,
    },

    /// The operation was cancelled; the next attempt resumes.
    #[error("cancelled")]
    Cancelled,

    /// Any other failure of the device's storage or platform.
    #[error("storage error: {reason}")]
    Storage {
        /// A technical description, free of personal data.
        reason: String,
    },
}

impl From<Error> for WaymarkError {
    fn from(e: Error) -> Self {
        if e.is_storage_full() {
            return WaymarkError::StorageFull;
        }
        match e {
            Error::Locked => WaymarkError::Locked,
            Error::WrongPassphrase {
                failed_attempts,
                retry_after,
            } => WaymarkError::WrongPassphrase {
                failed_attempts,
                retry_after_secs: retry_after.as_secs(),
            },
            Error::Throttled { retry_after } => WaymarkError::RetryLater {
                retry_after_secs: retry_after.as_secs(),
            },
            Error::NoVault | Error::NotFound(_) => WaymarkError::NotFound,
            Error::MalformedRecoveryCode(_)
            | Error::VaultExists
            | Error::InvalidInput(_)
            | Error::InvalidPack(_)
            | Error::InvalidPatch(_)
            | Error::PatchMismatch(_)
            | Error::Rollback { .. } => WaymarkError::InvalidInput {
                reason: e.to_string(),
            },
            Error::Integrity(_) => WaymarkError::Integrity,
            Error::Untrusted(reason) => WaymarkError::Untrusted {
                reason: reason.to_string(),
            },
            Error::Network(reason) => WaymarkError::Network {
                reason,
                retry_after_secs: 0,
            },
            Error::ServerBusy { retry_after } => WaymarkError::Network {
                reason: e_busy(retry_after),
                retry_after_secs: retry_after.as_secs(),
            },
            Error::Cancelled => WaymarkError::Cancelled,
            other => WaymarkError::Storage {
                reason: other.to_string(),
            },
        }
    }
}
