//! Waymark for the Android and iOS apps: the uniffi surface of
//! `waymark-core`, built as one native library (`libwaymark_ffi`).
//!
//! This crate holds no logic: it adapts the core's types to records,
//! enums and objects that uniffi can carry, runs slow calls off the
//! caller's thread, and turns the core's detailed errors into one small
//! error the screens can act on.
//!
//! Nothing blocks the caller's thread: every call that touches the disk,
//! derives a key or reaches the network is `async` (Kotlin `suspend`,
//! Swift `async`) and runs on a Waymark worker thread ([`task`]). The few
//! synchronous calls read or change memory only (`Vault::is_unlocked`,
//! `lock_state`, `lock`, `kdf_params`, the listeners, the sync settings,
//! `cancel_sync`, [`pick_translation`], [`set_log_sink`]), each documented
//! as cheap. Numbers are signed (`i32`/`i64`: Kotlin `Int`/`Long`), a
//! negative one from the app refused with `InvalidInput` ([`num`]).
//!
//! - [`vault`]: [`Vault`] (documents, unlock, recovery, duress, wipe,
//!   settings, lock state with [`LockStateListener`]) and
//!   [`PlatformKeystore`], the foreign trait for biometric unlock. Records
//!   in [`document`].
//! - [`stream`]: [`DocumentSource`] and [`DocumentSink`], the foreign
//!   traits that stream a document's content in and out in chunks (no
//!   plaintext file, bounded memory).
//! - [`content`]: [`ContentStore`]: trust store, packs, search, nearby,
//!   country, routes, alerts; [`pick_translation`]. Records in [`model`],
//!   each hit with its [`Provenance`].
//! - [`sync`]: sync plan, run and cancel on [`ContentStore`], settings
//!   (data budget, metered rules, proxy), [`SyncListener`] for progress
//!   (ending with the report), [`SyncCancellation`] for one call.
//! - [`http`]: [`HttpTransport`], the app's HTTP client that sync's
//!   requests go through (the HTTP/TLS stack is the platform's, not in
//!   this library).
//! - [`logging`]: [`set_log_sink`], opt-in: the core's outcome lines, free of
//!   personal data, to the app's [`LogSink`].
//! - [`error`]: the one error type, [`WaymarkError`], with a stable
//!   `code()` per case for the app's translated messages.
//! - [`task`]: the worker threads the `async` calls run on, and the drop
//!   guards that turn a cancelled coroutine into a cancelled core
//!   operation.
//!
//! Kotlin and Swift are generated from the compiled library with the
//! workspace's `uniffi-bindgen` (see `bindings/kotlin/` and
//! `bindings/swift/`); the idiomatic layers on top live there.

uniffi::setup_scaffolding!();

pub mod backup;
pub mod content;
pub mod document;
pub mod error;
pub mod http;
pub mod logging;
pub mod model;
pub mod num;
pub mod stream;
pub mod sync;
pub mod task;
pub mod vault;

pub use backup::{
    BackupFileSummary, BackupImportSummary, BackupListener, BackupLocation, BackupProgress,
    BackupRecipient, BackupReport, BackupStatus, RestoreSecret, RestoredVault, restore_backup,
};
pub use content::{
    ContentStore, NearbyRequest, SearchRequest, TrustLink, TrustOptions, parse_trust_link,
    pick_translation,
};
pub use document::{
    DocumentInfo, DocumentKind, DocumentMetadata, ExpiryReminder, KdfParams, VaultSettings,
};
pub use error::WaymarkError;
pub use http::{HttpBody, HttpError, HttpHeader, HttpRequest, HttpResponse, HttpTransport};
pub use logging::{LogLevel, LogSink, set_log_sink};
pub use model::Provenance;
pub use stream::{DocumentSink, DocumentSource};
pub use sync::{Network, SyncCancellation, SyncEvent, SyncListener, SyncReport, SyncSettings};
pub use vault::{
    LockReason, LockState, LockStateListener, NewVault, PlatformKeystore, Vault, create_vault,
    vault_exists, wipe_vault_dir,
};
