//! Content packs on the phone: the wire formats a publisher and a phone
//! share, the phone's content database, and the queries over it
//! (full-text search, nearby services, country profiles, routes, alerts).
//!
//! Wire formats, each with one owner: [`model`] (what a pack holds),
//! [`pack`] (the pack file: reader and [`pack::PackWriter`]), [`patch`]
//! (delta updates), [`target`] (what a publisher signs about its packs
//! beyond TUF: `custom` metadata and content digests), [`bundle`] (offline
//! bundles), and the publisher card ([`PublisherCard`]).
//!
//! The phone's store: `schema` (every table, and the upgrades), `store`
//! ([`ContentStore`]: open, list, remove, provenance), `install` (verified
//! packs and patches, in one transaction), `trust` (the trust store),
//! `metadata` (each publisher's trusted TUF metadata), `index`, `search`,
//! `queries`.
//!
//! Packs arrive signed (The Update Framework metadata, [`crate::tuf`]);
//! only verified packs reach [`ContentStore`]'s install. Nothing here
//! depends on the network: sync ([`crate::sync`]) sits above.

pub mod bundle;
mod card;
mod changes;
mod index;
mod install;
mod lexicon;
pub(crate) mod metadata;
pub mod model;
pub mod normalize;
mod order;
pub mod pack;
pub mod patch;
mod postings;
mod queries;
mod schema;
mod search;
mod snapshot;
mod store;
#[cfg(feature = "synthetic")]
pub mod synthetic;
pub mod target;
mod trust;
mod update;
mod words;

pub use bundle::{
    BundleInfo, ExportedPack, FORMAT_CONTENT, FORMAT_PACK_FILE, MAX_PACK_BYTES, VerifiedBundle,
    read_bundle, verify_bundle, write_bundle,
};
pub use card::{PublisherCard, TrustLink};
pub use changes::{KindChanges, PackChanges, SAMPLE_IDS};
pub use queries::{
    AlertFilter, NearbyQuery, NearbyService, WithProvenance, choose_language, distance_km, is_open,
    pick,
};
pub use search::{SearchHit, SearchQuery, SearchResults};
pub use store::{ContentStore, InstalledPack, Provenance, READ_PRAGMAS};
pub use trust::{TrustRequest, TrustedPublisher};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_delta;
#[cfg(test)]
mod tests_tuf;
