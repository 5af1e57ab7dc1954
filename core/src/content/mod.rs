//! Content packs on the phone: the pack format, the installed content and
//! the queries over it (full-text search, nearby services, country profiles,
//! routes, alerts).
//!
//! Packs arrive signed (The Update Framework metadata); only verified packs
//! reach [`ContentStore`]'s install. A newer version may arrive as a patch
//! against the installed one ([`delta`]).

mod bundle;
pub mod delta;
mod index;
pub(crate) mod metadata;
pub mod model;
pub mod normalize;
pub mod pack;
mod queries;
mod search;
mod store;
#[cfg(feature = "synthetic")]
pub mod synthetic;
mod trust;
pub mod tuf;

pub use bundle::{
    BundleInfo, ExportedPack, FORMAT_CONTENT, FORMAT_PACK_FILE, MAX_PACK_BYTES, read_bundle,
    write_bundle,
};
pub(crate) use bundle::{check_digests, digest_file};
pub use queries::{
    AlertFilter, NearbyQuery, NearbyService, WithProvenance, distance_km, is_open, pick,
};
pub use search::{SearchHit, SearchQuery, SearchResults};
pub use store::{ContentStore, InstalledPack, Provenance, READ_PRAGMAS};
pub use trust::{PublisherCard, TrustRequest, TrustedPublisher};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_delta;
#[cfg(test)]
mod tests_tuf;
