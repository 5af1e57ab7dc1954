//! A pack bundle: a pack together with its publisher's signed TUF
//! metadata, in one file that installs and verifies with no server (received
//! by Bluetooth, an SD card or a messaging app).
//!
//! A bundle is a plain tar archive, so anyone can look inside:
//!
//! ```text
//! bundle.json                    {"format":…,"publisher":"…","target":"packs/….wmpack"}
//! metadata/root/<N>.root.json    the root chain (versions the phone trusts
//!                                already are skipped)
//! metadata/timestamp.json
//! metadata/snapshot.json
//! metadata/targets.json
//! metadata/delegated/<role>.json delegated targets roles on the way to the
//!                                pack (role name escaped as in URLs)
//! targets/<target path>          format 1: the publisher's pack file
//! content/<pack id>.jsonl.zst    format 2: the pack's content, as a phone
//!                                that installed it shares it
//! ```
//!
//! A publisher's bundle (format 1) carries the pack file its targets
//! metadata signs. A phone cannot hand that file on: it keeps the entries,
//! not the file, and a patch update never had it. So a shared bundle
//! (format 2, [`ContentStore::export_pack`](crate::content::ContentStore::export_pack)) carries the content rebuilt
//! from the installed entries, which the receiving phone checks against the
//! content digest the publisher signed in the pack's target metadata.
//!
//! Either way the metadata goes through the same TUF [`crate::tuf::Updater`]
//! a sync uses,
//! reading from the bundle instead of a server: the same checks (root
//! chain, signatures, expiry, rollback, mix-and-match, delegations), and
//! what it trusts is kept only once the pack is installed.
//!
//! - [`format`]: the tar layout, written and read (nothing verified there).
//! - `install`: installing and verifying a received bundle.
//! - `export`: a phone sharing an installed pack as a bundle.

mod export;
pub mod format;
mod install;

pub use export::ExportedPack;
pub use format::{
    BundleInfo, FORMAT_CONTENT, FORMAT_PACK_FILE, MAX_PACK_BYTES, read_bundle, write_bundle,
};
pub use install::{VerifiedBundle, verify_bundle};
