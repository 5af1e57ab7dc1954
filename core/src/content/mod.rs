//! Content packs on the phone: the pack format, the installed content and
//! the queries over it (full-text search, nearby services, country profiles,
//! routes, alerts).
//!
//! Packs arrive signed (The Update Framework metadata); only verified packs
//! reach [`ContentStore`]'s install.

pub mod model;
pub mod normalize;
pub mod pack;
mod queries;
mod search;
mod store;

pub use queries::{
    AlertFilter, NearbyQuery, NearbyService, WithProvenance, distance_km, is_open, pick,
};
pub use search::{SearchHit, SearchQuery, SearchResults};
pub use store::{ContentStore, InstalledPack, Provenance};

#[cfg(test)]
mod tests;
