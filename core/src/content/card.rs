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

/// The scheme and path of a [`TrustLink`].
const TRUST_LINK_PREFIX: &str = "waymark://trust?";

/// What a publisher's QR code holds (`waymark-pack card` draws it): where
/// to download its card and the fingerprint the card must have, so that a
/// phone scanning it trusts that publisher and no other, whoever serves
/// the card.
///
/// The text form is
/// `waymark://trust?card=<card URL>&fp=<fingerprint>`: the card URL
/// (`https://`, or `http://` for a local server) percent-encoded where a
/// query value needs it, the fingerprint as [`crate::tuf::fingerprint`]
/// writes it (8 groups of 4 hex digits joined by `-`; case, spaces and
/// dashes do not matter when read). Parameters may come in any order;
/// unknown ones are ignored, so later versions can add some.
///
/// An app resolves a link by downloading the card from [`Self::card_url`]
/// with its own HTTP stack and passing it to
/// [`super::ContentStore::trust_publisher_expecting`] with
/// [`Self::fingerprint`]: a card with another fingerprint is refused and
/// nothing is trusted.
///
/// ```
/// use waymark_core::content::TrustLink;
/// let link = TrustLink::parse(
///     "waymark://trust?card=https://ngo.example/repo/publisher.json\
///      &fp=0123-4567-89AB-CDEF-0123-4567-89AB-CDEF",
/// )
/// .unwrap();
/// assert_eq!(link.card_url, "https://ngo.example/repo/publisher.json");
/// assert_eq!(link.to_string(), "waymark://trust?card=https://ngo.example/repo/publisher.json\
///      &fp=0123-4567-89AB-CDEF-0123-4567-89AB-CDEF");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustLink {
    /// Where the publisher card (`publisher.json`) is served.
    pub card_url: String,
    /// The fingerprint the card must have, in [`crate::tuf::fingerprint`]'s
    /// form.
    pub fingerprint: String,
}

/// What a query value percent-encodes: controls, space, and what would end
/// or confuse a value (`&`, `#`, `+`, `%`, `=`). `:` and `/` stay, so the
/// URL stays short and readable (RFC 3986 allows them in a query).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'`');

impl TrustLink {
    /// A link to the card at `card_url` with fingerprint `fingerprint`
    /// (checked as [`Self::parse`] checks them).
    pub fn new(card_url: &str, fingerprint: &str) -> Result<Self> {
        Ok(TrustLink {
            card_url: check_card_url(card_url)?,
            fingerprint: normalize_fingerprint(fingerprint)?,
        })
    }

    /// Reads a link (see [`TrustLink`] for the form). Errors say what is
    /// wrong without repeating the link.
    pub fn parse(link: &str) -> Result<Self> {
        let link = link.trim();
        let query = link
            .get(..TRUST_LINK_PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(TRUST_LINK_PREFIX))
            .map(|_| &link[TRUST_LINK_PREFIX.len()..])
            .ok_or_else(|| Error::invalid("not a Waymark trust link (waymark://trust?…)"))?;
        let query = query.split('#').next().unwrap_or_default();
        let (mut card, mut fp) = (None, None);
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| Error::invalid("the trust link is not UTF-8"))?;
            let slot = match name {
                "card" => &mut card,
                "fp" => &mut fp,
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(Error::invalid(format!(
                    "the trust link gives '{name}' twice"
                )));
            }
        }
        let card = card.ok_or_else(|| Error::invalid("the trust link has no card URL (card=)"))?;
        let fp = fp.ok_or_else(|| Error::invalid("the trust link has no fingerprint (fp=)"))?;
        Self::new(&card, &fp)
    }
}

impl std::fmt::Display for TrustLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{TRUST_LINK_PREFIX}card={}&fp={}",
            percent_encoding::utf8_percent_encode(&self.card_url, QUERY_VALUE),
            self.fingerprint
        )
    }
}

fn check_card_url(url: &str) -> Result<String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://"))
        || url.chars().any(char::is_whitespace)
    {
        return Err(Error::invalid(
            "a card URL starts with https:// (or http:// for a local server) and has no spaces",
        ));
    }
    Ok(url.to_owned())
}

/// `fingerprint` in [`crate::tuf::fingerprint`]'s form (upper-case hex in
/// 8 groups of 4 joined by `-`), whatever its case, spaces and dashes; an
/// error unless it holds exactly 32 hex digits.
pub(crate) fn normalize_fingerprint(fingerprint: &str) -> Result<String> {
    let digits: String = fingerprint
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{a0}'))
        .collect();
    if digits.len() != 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "a fingerprint is 32 hex digits (8 groups of 4, as XXXX-XXXX-…)",
        ));
    }
    let upper = digits.to_ascii_uppercase();
    Ok(upper
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "0123-4567-89AB-CDEF-0123-4567-89AB-CDEF";

    #[test]
    fn a_trust_link_reads_back_what_it_writes_whatever_the_url_holds() {
        for url in [
            "https://ngo.example/repo/publisher.json",
            "https://ngo.example/repo/publisher.json?x=1&y=2+3=5#top",
            "http://127.0.0.1:8080/publisher.json",
            "https://ngo.example/%D8%B9/publisher.json",
        ] {
            let link = TrustLink::new(url, FP).unwrap();
            assert_eq!(TrustLink::parse(&link.to_string()).unwrap(), link, "{url}");
        }
    }

    #[test]
    fn a_trust_link_takes_any_order_case_and_grouping_and_ignores_unknown_parameters() {
        let link = TrustLink::parse(
            "WAYMARK://TRUST?v=2&fp=0123 4567 89ab cdef 01234567 89abcdef&card=https://n.example/p.json",
        )
        .unwrap();
        assert_eq!(link.fingerprint, FP);
        assert_eq!(link.card_url, "https://n.example/p.json");
    }

    #[test]
    fn a_bad_trust_link_is_refused_with_what_is_wrong() {
        let message = |l: &str| TrustLink::parse(l).unwrap_err().to_string();
        assert!(message("https://n.example/p.json").contains("not a Waymark trust link"));
        assert!(message("waymark://trust?fp=0123").contains("no card URL"));
        assert!(
            message("waymark://trust?card=https://n.example/p.json").contains("no fingerprint")
        );
        assert!(
            message("waymark://trust?card=https://n.example/p.json&fp=0123-4567")
                .contains("32 hex")
        );
        assert!(
            message(&format!(
                "waymark://trust?card=ftp://n.example/p.json&fp={FP}"
            ))
            .contains("https://")
        );
        assert!(
            message(&format!(
                "waymark://trust?card=https://a.example/p.json&card=https://b.example/p.json&fp={FP}"
            ))
            .contains("twice")
        );
    }
}
