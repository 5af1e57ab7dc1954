//! The publisher card: the one file a publisher hands out so that phones
//! can trust it (`waymark-pack publish` writes it as `publisher.json`;
//! [`super::ContentStore::trust_publisher`] reads it, or a bare
//! `root.json`).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::tuf::Envelope;

/// A publisher card: what `waymark-pack` hands out so phones can trust a
/// publisher (id, name, repository URL and root metadata in one file).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublisherCard {
    /// Card format, 1.
    pub waymark_publisher: u32,
    /// Stable publisher id, as packs name it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Repository URL, for sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The root metadata envelope.
    pub root: Envelope,
}

/// What a person offers to trust: a publisher card, or a bare root.
#[derive(Debug, Clone)]
pub(crate) enum TrustDocument {
    /// A publisher card.
    Card(PublisherCard),
    /// Root metadata alone (the publisher id must be given with it).
    Root(Envelope),
}

impl TrustDocument {
    /// Reads a card (an object with `waymark_publisher`) or a root.
    pub(crate) fn parse(document: &[u8]) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_slice(document)
            .map_err(|_| Error::invalid("not a publisher card or root metadata (JSON expected)"))?;
        if value.get("waymark_publisher").is_some() {
            serde_json::from_value(value)
                .map(TrustDocument::Card)
                .map_err(|e| Error::invalid(format!("publisher card: {e}")))
        } else {
            serde_json::from_value(value)
                .map(TrustDocument::Root)
                .map_err(|e| Error::invalid(format!("root metadata: {e}")))
        }
    }
}
