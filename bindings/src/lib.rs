//! Waymark for the Android and iOS apps: the uniffi surface of
//! `waymark-core`, built as one native library (`libwaymark_ffi`).
//!
//! This crate holds no logic: it adapts the core's types to records,
//! enums and objects that uniffi can carry, runs slow calls off the
//! caller's thread, and turns the core's detailed errors into one small
//! error the screens can act on.
//!
//! - [`vault`]: [`Vault`] (documents, unlock, recovery, duress, wipe,
//!   settings) and [`PlatformKeystore`], the foreign trait for biometric
//!   unlock. Records in [`document`].
//! - [`content`]: [`ContentStore`]: trust store, packs, search, nearby,
//!   country, routes, alerts. Records in [`model`], each hit with its
//!   [`Provenance`].
//! - [`sync`]: sync plan, run and cancel on [`ContentStore`], settings
//!   (data budget, metered rules, proxy), [`SyncListener`] for progress.
//! - [`http`]: [`HttpTransport`], the app's HTTP client that sync's
//!   requests go through (the HTTP/TLS stack is the platform's, not in
//!   this library).
//! - [`error`]: the one error type, [`WaymarkError`].
//! - [`task`]: running blocking core calls from `async` functions, and the
//!   drop guard that turns a cancelled coroutine or task into a cancelled
//!   core operation.
//!
//! Kotlin and Swift are generated from the compiled library with the
//! workspace's `uniffi-bindgen` (see `bindings/kotlin/` and
//! `bindings/swift/`); the idiomatic layers on top live there.

uniffi::setup_scaffolding!();

pub mod content;
pub mod document;
pub mod error;
pub mod http;
pub mod model;
pub mod sync;
pub mod task;
pub mod vault;

pub use content::{ContentStore, NearbyRequest, SearchRequest, TrustOptions, pick_translation};
pub use document::{
    DocumentInfo, DocumentKind, DocumentMetadata, ExpiryReminder, KdfParams, VaultSettings,
};
pub use error::WaymarkError;
pub use http::{HttpBody, HttpError, HttpHeader, HttpRequest, HttpResponse, HttpTransport};
pub use model::Provenance;
pub use sync::{Network, SyncEvent, SyncListener, SyncReport, SyncSettings};
pub use vault::{NewVault, PlatformKeystore, Vault, create_vault, vault_exists, wipe_vault_dir};
