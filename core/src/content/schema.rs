//! The content database's schema, in one place: every table and index,
//! and the upgrade from each earlier version (run by
//! [`crate::storage::open_database`] in one transaction). Derived data
//! (the full-text index) is rebuilt from the entries where its form
//! changed: nothing installed is lost.
//!
//! Tables: `publishers` (trusted publishers, newest root, versions seen),
//! `tuf_roots` (every root version trusted), `tuf_metadata` (the other
//! roles), `packs`, `entries` (each as its pack's JSON line), `terms` and
//! `postings` (the full-text index, see postings.rs).

use rusqlite::{Transaction, params};

use super::index::index_row;
use super::model::Entry;
use super::postings::{CREATE_TERMS, IndexBuilder};
use crate::error::{Error, Result, Untrusted};
use crate::storage::Schema;
use crate::tuf::{Envelope, Root};

/// The content database's schema and its upgrades.
pub(crate) struct ContentSchema;

/// Each publisher's trusted metadata other than the root (timestamp,
/// snapshot, targets, delegated roles), as received, with the ETag the
/// timestamp came with: what sync compares against and asks "changed?".
const CREATE_TUF_METADATA: &str = "CREATE TABLE tuf_metadata (
    publisher TEXT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    body BLOB NOT NULL,
    etag TEXT,
    PRIMARY KEY (publisher, role)
);";

impl Schema for ContentSchema {
    const NAME: &'static str = "content";
    const END_VERSION: u32 = 7;

    fn create(&self, tx: &Transaction<'_>) -> Result<()> {
        tx.execute_batch(
            "-- Publishers this phone trusts, each with the newest root it has
             -- verified and the metadata versions it has seen.
             CREATE TABLE publishers (
                 id TEXT PRIMARY KEY,
                 name TEXT NOT NULL,
                 root TEXT NOT NULL,          -- root metadata, JSON as signed
                 seen TEXT NOT NULL,          -- JSON SeenVersions
                 url TEXT,                    -- repository URL, for sync
                 added_at TEXT NOT NULL
             );
             CREATE TABLE packs (
                 id INTEGER PRIMARY KEY,
                 publisher TEXT NOT NULL,
                 pack_id TEXT NOT NULL,
                 version INTEGER NOT NULL,
                 manifest TEXT NOT NULL,      -- JSON PackManifest
                 installed_at TEXT NOT NULL,
                 UNIQUE (publisher, pack_id)
             );
             CREATE TABLE entries (
                 id INTEGER PRIMARY KEY,
                 pack INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
                 kind TEXT NOT NULL,          -- article, service, country, route, alert
                 entry_id TEXT NOT NULL,
                 verified TEXT NOT NULL,      -- ISO 8601 date
                 body TEXT NOT NULL,          -- JSON Entry
                 lat REAL,
                 lon REAL
             );
             CREATE INDEX entries_pack ON entries(pack);
             CREATE INDEX entries_geo ON entries(lat, lon) WHERE lat IS NOT NULL;",
        )?;
        tx.execute_batch(CREATE_KIND_INDEX)?;
        // The full-text index (see postings.rs).
        tx.execute_batch(CREATE_TERMS)?;
        tx.execute_batch(CREATE_TUF_METADATA)?;
        tx.execute_batch(CREATE_TUF_ROOTS)?;
        Ok(())
    }

    fn upgrade_from(&self, tx: &Transaction<'_>, version: u32) -> Result<()> {
        match version {
            // Version 1 indexed one row per entry and language, with the
            // display text copied into `search_docs`: the index goes at
            // version 7, rebuilt from the entries themselves.
            1 => Ok(tx.execute_batch("DROP TABLE search_docs;")?),
            // Version 3 keeps each publisher's trusted TUF metadata for
            // sync (the root stays in `publishers`).
            2 => Ok(tx.execute_batch(CREATE_TUF_METADATA)?),
            // Version 4 keeps every root version trusted and the offline
            // timestamp, so an installed pack can be shared with its chain.
            3 => upgrade_to_v4(tx),
            // Version 5 changed FTS5's tokenizer; the index goes at
            // version 7.
            4 => Ok(()),
            // Version 6 indexes by kind only the kinds looked up by kind
            // (see CREATE_KIND_INDEX).
            5 => {
                tx.execute_batch("DROP INDEX IF EXISTS entries_kind;")?;
                Ok(tx.execute_batch(CREATE_KIND_INDEX)?)
            }
            // Version 7 replaces the FTS5 table and its frequent words
            // with Waymark's own index (see postings.rs), rebuilt from the
            // entries: nothing installed is lost.
            6 => {
                tx.execute_batch(
                    "DROP TABLE IF EXISTS search; DROP TABLE IF EXISTS frequent_terms;
                     DROP TABLE IF EXISTS terms; DROP TABLE IF EXISTS postings;",
                )?;
                tx.execute_batch(CREATE_TERMS)?;
                rebuild_terms(tx)
            }
            _ => Err(Error::UnsupportedFormat(format!(
                "no upgrade from content schema version {version}"
            ))),
        }
    }
}

/// The kinds of entry that are looked up by kind (every country, route or
/// alert), as the condition of the partial index that finds them. Articles
/// and services, nearly all of a large pack, are found by search or by
/// place and stay out of it, so installing them maintains one index fewer.
/// A query uses the index only if its WHERE clause repeats this condition
/// word for word, so queries by kind write it in with `concat!`.
macro_rules! listed_kinds {
    () => {
        "kind IN ('alert', 'country', 'route')"
    };
}
pub(crate) use listed_kinds;

/// The index of the entries of the [`listed_kinds!`].
const CREATE_KIND_INDEX: &str = concat!(
    "CREATE INDEX entries_kind ON entries(kind, entry_id) WHERE ",
    listed_kinds!(),
    ";"
);

/// Fills the full-text index from the entries (derived data: nothing
/// installed is lost), pack by pack.
fn rebuild_terms(tx: &Transaction<'_>) -> Result<()> {
    let mut rows = tx.prepare("SELECT id, pack, body FROM entries ORDER BY pack, id")?;
    let mut it = rows.query([])?;
    let mut index: Option<IndexBuilder> = None;
    while let Some(r) = it.next()? {
        let id: i64 = r.get(0)?;
        let pack: i64 = r.get(1)?;
        let entry = Entry::from_json(r.get_ref(2)?.as_str()?)?;
        let (title, text) = index_row(&entry);
        if index.as_ref().is_none_or(|b| b.pack() != pack) {
            if let Some(done) = index.take() {
                done.finish(tx)?;
            }
            index = Some(IndexBuilder::new(pack));
        }
        if let Some(b) = index.as_mut() {
            b.add(tx, id, &title, &text)?;
        }
    }
    if let Some(done) = index {
        done.finish(tx)?;
    }
    Ok(())
}

/// Schema (content version 4): the roots a publisher has had, and the
/// offline timestamp.
pub(crate) const CREATE_TUF_ROOTS: &str = "CREATE TABLE tuf_roots (
    publisher TEXT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (publisher, version)
);
ALTER TABLE publishers ADD COLUMN offline_timestamp BLOB;";

/// Upgrades content schema 3 to 4: the root each publisher has now starts
/// its history.
pub(crate) fn upgrade_to_v4(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(CREATE_TUF_ROOTS)?;
    let roots: Vec<(String, String)> = tx
        .prepare("SELECT id, root FROM publishers")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, root) in roots {
        record_root(tx, &id, root.as_bytes())?;
    }
    Ok(())
}

/// Adds `root` to `publisher`'s root history.
pub(crate) fn record_root(conn: &rusqlite::Connection, publisher: &str, root: &[u8]) -> Result<()> {
    let version = Envelope::parse(root)?.read::<Root>("root")?.version;
    let version = i64::try_from(version)
        .map_err(|_| Untrusted::Other("the root's version is out of range".into()))?;
    conn.execute(
        "INSERT OR IGNORE INTO tuf_roots (publisher, version, body) VALUES (?1, ?2, ?3)",
        params![publisher, version, root],
    )?;
    Ok(())
}
