//! The trust store: the publishers whose packs this phone accepts, each
//! anchored by a TUF root the person added (bundled with the app, or from a
//! file or text, with a fingerprint to compare with the publisher's).
//!
//! The fingerprint a phone shows for a publisher is that of its trust
//! anchor, the root the phone was first given ([`crate::tuf::fingerprint`]
//! of it), not of the newest root: a publisher that rotates its root key
//! keeps the fingerprint printed on its posters and leaflets, and phones
//! keep showing it. The anchor is the oldest root in the publisher's root
//! history (`tuf_roots`): sync only ever adds newer roots, each signed by
//! the one before, so the anchor vouches for them all. A publisher card
//! carries root version 1, so for a phone that trusted a card the anchor
//! is the publisher's first root, the one `waymark-pack card` prints the
//! fingerprint of. A phone that trusted a bare later root (version N)
//! shows that root's fingerprint; and a database made before the root
//! history (content schema 3) starts its history, and so its anchor, at
//! the root it had when it was upgraded.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::card::{TrustDocument, normalize_fingerprint};
use super::store::{ContentStore, remove_publisher_packs};
use crate::error::{Error, Result, Untrusted};
use crate::storage::json_from_text;
use crate::tuf::{Envelope, Root, SeenVersions, fingerprint};

/// A trusted publisher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustedPublisher {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Fingerprint of the root keys of its trust anchor (the root this
    /// phone was first given, for a card the publisher's first root), to
    /// compare with the publisher's: it stays the same when the publisher
    /// rotates its root key (see the module docs).
    pub fingerprint: String,
    /// Version of the newest root verified.
    pub root_version: u64,
    /// Repository URL.
    pub url: Option<String>,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

/// What to trust: a card, or a bare root with an id (and a name).
#[derive(Debug, Clone, Default)]
pub struct TrustRequest {
    /// Overrides (or, for a bare root, gives) the publisher id.
    pub id: Option<String>,
    /// Overrides (or gives) the display name.
    pub name: Option<String>,
    /// Overrides (or gives) the repository URL.
    pub url: Option<String>,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'_'
        })
}

impl ContentStore {
    /// Trusts a publisher from a card or a bare `root.json` (then
    /// `request.id` is required). The root must be signed by a threshold of
    /// its own root keys and unexpired. Trusting an id again replaces its
    /// root only through the normal rotation chain, so this refuses an id
    /// already trusted.
    pub fn trust_publisher(
        &self,
        document: &[u8],
        request: &TrustRequest,
    ) -> Result<TrustedPublisher> {
        self.trust(document, request, None)
    }

    /// As [`Self::trust_publisher`], but only if the root's fingerprint is
    /// `fingerprint` (as [`crate::tuf::fingerprint`] writes it; case,
    /// spaces and dashes do not matter): what an app does with a
    /// [`super::TrustLink`] scanned from the publisher's QR code, once it
    /// has downloaded the card the link names. Another fingerprint is
    /// refused (`InvalidInput`, saying that the card is not the one the
    /// fingerprint belongs to) and nothing is trusted.
    pub fn trust_publisher_expecting(
        &self,
        document: &[u8],
        request: &TrustRequest,
        fingerprint: &str,
    ) -> Result<TrustedPublisher> {
        let expected = normalize_fingerprint(fingerprint)?;
        self.trust(document, request, Some(&expected))
    }

    fn trust(
        &self,
        document: &[u8],
        request: &TrustRequest,
        expected_fingerprint: Option<&str>,
    ) -> Result<TrustedPublisher> {
        let (mut id, mut name, mut url, envelope) = match TrustDocument::parse(document)? {
            TrustDocument::Card(card) => (Some(card.id), Some(card.name), card.url, card.root),
            TrustDocument::Root(root) => (None, None, None, root),
        };
        if request.id.is_some() {
            id.clone_from(&request.id);
        }
        if request.name.is_some() {
            name.clone_from(&request.name);
        }
        if request.url.is_some() {
            url.clone_from(&request.url);
        }
        let id = id.ok_or_else(|| Error::invalid("a bare root needs a publisher id"))?;
        if !valid_id(&id) {
            return Err(Error::invalid(
                "a publisher id is 1-64 characters of a-z, 0-9, '-', '.' and '_'",
            ));
        }
        let name = name.unwrap_or_else(|| id.clone());
        if let Some(u) = &url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(Error::invalid(
                "a repository URL starts with https:// (or http:// for a local server)",
            ));
        }
        let root: Root = envelope.read("root")?;
        envelope.verify(&root, "root")?;
        let shown = fingerprint(&root);
        if expected_fingerprint.is_some_and(|expected| expected != shown) {
            return Err(Error::invalid(format!(
                "this card's fingerprint is {shown}, not the one expected: it is not the \
                 publisher's card (nothing was trusted)"
            )));
        }
        if root.expires <= self.clock().now() {
            return Err(Untrusted::ExpiredRoot.into());
        }
        for role in ["root", "targets", "snapshot", "timestamp"] {
            if !root.roles.contains_key(role) {
                return Err(Untrusted::MissingRole { role: role.into() }.into());
            }
        }
        let added_at = self.clock().now();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool = tx
            .query_row("SELECT 1 FROM publishers WHERE id = ?1", [&id], |_| Ok(()))
            .optional()?
            .is_some();
        if exists {
            return Err(Error::invalid(format!(
                "publisher '{id}' is already trusted; remove it first to replace its root"
            )));
        }
        tx.execute(
            "INSERT INTO publishers (id, name, root, seen, url, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                name,
                envelope.to_bytes().map(String::from_utf8)?.map_err(|_| Error::invalid("root is not UTF-8"))?,
                serde_json::to_string(&SeenVersions::default())?,
                url,
                added_at.to_rfc3339()
            ],
        )?;
        super::schema::record_root(&tx, &id, &envelope.to_bytes()?)?;
        tx.commit()?;
        Ok(TrustedPublisher {
            id,
            name,
            fingerprint: shown,
            root_version: root.version,
            url,
            added_at,
        })
    }

    /// The trusted publishers, each with its anchor's fingerprint and its
    /// newest root's version.
    pub fn trusted_publishers(&self) -> Result<Vec<TrustedPublisher>> {
        let conn = self.conn();
        // The anchor: the oldest root kept (every publisher has one since
        // content schema 4; the newest root stands in, never needed, if not).
        let mut stmt = conn.prepare(
            "SELECT id, name, root, url, added_at,
                    (SELECT body FROM tuf_roots WHERE publisher = publishers.id
                     ORDER BY version LIMIT 1)
             FROM publishers ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<Vec<u8>>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, root, url, added, anchor) = row?;
            let root: Root = Envelope::parse(root.as_bytes())?.read("root")?;
            let anchor: Option<Root> = anchor
                .map(|a| Envelope::parse(&a)?.read("root"))
                .transpose()?;
            out.push(TrustedPublisher {
                id,
                name,
                fingerprint: fingerprint(anchor.as_ref().unwrap_or(&root)),
                root_version: root.version,
                url,
                added_at: DateTime::parse_from_rfc3339(&added)
                    .map_err(|_| Error::Integrity("trust time"))?
                    .with_timezone(&Utc),
            });
        }
        Ok(out)
    }

    /// Stops trusting a publisher and removes its packs, in one
    /// transaction (all of it, or nothing). Returns how many packs went.
    pub fn remove_publisher_trust(&self, id: &str) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed = remove_publisher_packs(&tx, id)?;
        // Its trusted metadata goes with it (ON DELETE CASCADE).
        if tx.execute("DELETE FROM publishers WHERE id = ?1", [id])? == 0 {
            return Err(Error::NotFound("publisher"));
        }
        tx.commit()?;
        Ok(removed)
    }

    /// The newest trusted root and seen versions of a publisher.
    pub(crate) fn trust_state(&self, id: &str) -> Result<(Vec<u8>, SeenVersions)> {
        let (root, seen): (String, String) = self
            .conn()
            .query_row(
                "SELECT root, seen FROM publishers WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| Untrusted::UnknownPublisher { id: id.into() })?;
        Ok((root.into_bytes(), json_from_text(&seen)?))
    }
}
