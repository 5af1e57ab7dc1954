//! Trusting a publisher from its QR code: a [`TrustLink`] names where the
//! card is and the fingerprint it must have; this downloads the card over
//! the app's HTTP stack ([`Http`]) and trusts it only with that
//! fingerprint.

use super::http::{CancelToken, Http};
use crate::content::{ContentStore, TrustLink, TrustRequest, TrustedPublisher};
use crate::error::{Error, Result};
use crate::tuf::Fetched;

/// The largest publisher card downloaded: cards are about 2.4 KB with
/// ed25519 keys and 5.4 KB with RSA keys; a root with several keys per
/// role stays far below this.
pub const MAX_CARD_BYTES: u64 = 64 * 1024;

/// Downloads the card `link` names (at most [`MAX_CARD_BYTES`]) and trusts
/// it as [`ContentStore::trust_publisher_expecting`] does with the link's
/// fingerprint: a card with another one is refused (`InvalidInput`) and
/// nothing is trusted. A card URL that answers 404/403 is `NotFound`;
/// network failures are `Network` after the client's retries.
pub fn trust_from_link(
    store: &ContentStore,
    http: &Http,
    link: &TrustLink,
    request: &TrustRequest,
    cancel: &CancelToken,
) -> Result<TrustedPublisher> {
    let card = match http.fetch(&link.card_url, MAX_CARD_BYTES, None, cancel)? {
        Fetched::Body { bytes, .. } => bytes,
        Fetched::NotFound | Fetched::NotModified => {
            return Err(Error::NotFound("the publisher card the link names"));
        }
    };
    store.trust_publisher_expecting(&card, request, &link.fingerprint)
}
