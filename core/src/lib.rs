//! Waymark's core: the offline-first library behind the Waymark apps.
//!
//! - [`vault`]: a person's documents, encrypted at rest, recoverable, with a
//!   duress passphrase and a panic wipe.
//! - [`backup`]: backup files of the vault in the age format (export,
//!   import).
//! - [`content`]: content packs: format, installed content, search.
//! - [`tuf`]: The Update Framework: metadata, signatures, digests and the
//!   client workflow, below both content and sync.
//! - [`sync`]: the TUF client over HTTP that keeps installed packs up to
//!   date, frugally, resumably and cancellably.
//! - [`storage`]: opening SQLite databases, pragmas and migrations.
//! - [`clock`]: the time source (injectable for tests).
//! - [`types`]: value types shared by the vault, content and the publisher
//!   tool (country codes).
//! - [`error`]: the detailed [`Error`] (refusals of signed content with a
//!   typed [`Untrusted`] reason), the apps' [`WaymarkError`] and the one
//!   mapping between them, and the command-line tools' [`error::Report`].
//!
//! This crate holds no FFI code; `waymark-ffi` adapts it for the apps. The
//! device CLI `waymark` is behind the `cli` feature.

pub mod backup;
pub mod clock;
pub mod content;
pub mod error;
pub mod storage;
pub mod sync;
pub mod tuf;
pub mod types;
pub mod vault;

mod sort;

pub use error::{Error, Result, Untrusted, WaymarkError};
