//! The Update Framework (TUF, specification 1.0), below both content and
//! sync: what a phone needs to trust a publisher's files.
//!
//! - [`metadata`]: the metadata types, canonical JSON, keys and
//!   signatures, and the verification of each role.
//! - [`digest`]: a file's length and hashes against its signed
//!   description, computed as the bytes pass.
//! - [`updater`]: the client workflow (root chain, timestamp, snapshot,
//!   targets, delegations) over a [`Remote`] (a server, an offline bundle,
//!   the phone's own store) into a [`MetadataStore`]; [`Overlay`] holds
//!   what it trusts until the caller commits it.
//!
//! Nothing here knows about packs, the content database or HTTP.

pub mod digest;
pub mod metadata;
mod overlay;
pub mod updater;

pub use digest::{Digests, HashingWriter, check_hashes};
pub use metadata::*;
pub use overlay::Overlay;
pub use updater::{
    Fetched, Limits, MetadataStore, Refreshed, Remote, Updater, consistent_target_path,
    escape_role, target_url,
};

#[cfg(test)]
mod tests;
