//! Errors: one detailed enum for the crate, one small enum for the apps,
//! and one way for the command-line tools to show them.
//!
//! - [`Error`]: what every function of `waymark-core` returns; it says
//!   precisely what went wrong, for logs, tests and the CLIs. A refusal of
//!   signed content carries a typed [`Untrusted`] reason that callers match
//!   on (sync's patch fallback, sharing), never its text.
//! - [`WaymarkError`]: the handful of variants a screen can act on, the
//!   error the apps see (Kotlin `WaymarkException`, Swift `WaymarkError`;
//!   the bindings restate it for uniffi variant for variant).
//!   `From<Error>` is the one mapping from the detailed error to it.
//! - [`Report`] and [`render`]: the one line the command-line tools
//!   (`waymark`, `waymark-pack`, `waymark-tuf-client`) print for a failure.
//!
//! No message of any of them ever contains personal data: no passphrase, no
//! document title, holder name or number, and no path under the user's home.

mod public;
mod report;
mod untrusted;

pub use public::WaymarkError;
pub use report::{Report, human_duration, render};
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

    /// True when the disk failed an operation other than by being full:
    /// an input/output error (EIO) from the system, or SQLite's "disk I/O
    /// error" (which SQLite also reports when the disk filled up while it
    /// grew its shared-memory index).
    pub fn is_storage_failure(&self) -> bool {
        match self {
            Error::Io(e) => e.raw_os_error() == Some(5), // EIO on Linux, Android, iOS
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::SystemIoFailure
            }
            _ => false,
        }
    }
}
