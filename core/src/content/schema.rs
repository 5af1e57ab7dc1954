//! The content database's schema, in one place: every table and index,
//! and the upgrade from each earlier version (run by
//! [`crate::storage::open_database`] in one transaction). Derived data
//! (the full-text index, the frequent words) is rebuilt from the entries
//! where its form changed: nothing installed is lost.
//!
//! Tables: `publishers` (trusted publishers, newest root, versions seen),
//! `tuf_roots` (every root version trusted), `tuf_metadata` (the other
//! roles), `packs`, `entries` (each as its pack's JSON line), `search`
//! (FTS5, contentless), `frequent_terms`.

use std::collections::HashMap;

use rusqlite::{Transaction, params};

use super::index::{TermCounts, index_row, write_frequent_terms};
use super::model::Entry;
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
    const END_VERSION: u32 = 6;

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
        // The folded text of each entry, indexed only, and the counts of
        // its frequent words (see index.rs).
        tx.execute_batch(CREATE_SEARCH)?;
        tx.execute_batch(CREATE_FREQUENT_TERMS)?;
        tx.execute_batch(CREATE_TUF_METADATA)?;
        tx.execute_batch(CREATE_TUF_ROOTS)?;
        Ok(())
    }

    fn upgrade_from(&self, tx: &Transaction<'_>, version: u32) -> Result<()> {
        match version {
            // Version 1 indexed one row per entry and language, with the
            // display text copied into `search_docs` and prefix indexes.
            // Version 2 indexes one row per entry, rebuilt here from the
            // entries themselves: nothing installed is lost.
            1 => {
                tx.execute_batch("DROP TABLE search; DROP TABLE search_docs;")?;
                tx.execute_batch(CREATE_FREQUENT_TERMS)?;
                rebuild_search(tx)
            }
            // Version 3 keeps each publisher's trusted TUF metadata for
            // sync (the root stays in `publishers`). A version 2 database
            // made before `frequent_terms` joined version 2 (it shipped in
            // the CLI) has no such table: it gets an empty one, which the
            // 4 -> 5 step fills when it rebuilds the index. SQLite does not
            // keep `IF NOT EXISTS` in the schema text, so the result is a
            // fresh database's.
            2 => {
                tx.execute_batch(&CREATE_FREQUENT_TERMS.replacen(
                    "CREATE TABLE",
                    "CREATE TABLE IF NOT EXISTS",
                    1,
                ))?;
                Ok(tx.execute_batch(CREATE_TUF_METADATA)?)
            }
            // Version 4 keeps every root version trusted and the offline
            // timestamp, so an installed pack can be shared with its chain.
            3 => upgrade_to_v4(tx),
            // Version 5 tokenizes the index with FTS5's `ascii` tokenizer
            // over index rows of words and spaces (see index.rs): the index
            // is rebuilt from the entries (a version 1 database upgraded
            // above already has it).
            4 => {
                let sql: String = tx.query_row(
                    "SELECT sql FROM sqlite_schema WHERE name = 'search'",
                    [],
                    |r| r.get(0),
                )?;
                if sql.contains("'ascii'") {
                    return Ok(());
                }
                tx.execute_batch("DROP TABLE search; DELETE FROM frequent_terms;")?;
                rebuild_search(tx)
            }
            // Version 6 indexes by kind only the kinds looked up by kind
            // (see CREATE_KIND_INDEX).
            5 => {
                tx.execute_batch("DROP INDEX IF EXISTS entries_kind;")?;
                Ok(tx.execute_batch(CREATE_KIND_INDEX)?)
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

/// Creates the full-text index and fills it, and the (empty) table of
/// frequent words, from the entries (both are derived data: nothing
/// installed is lost).
fn rebuild_search(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(CREATE_SEARCH)?;
    let mut counts: HashMap<i64, TermCounts> = HashMap::new();
    let mut rows = tx.prepare("SELECT id, pack, body FROM entries")?;
    let mut insert = tx.prepare("INSERT INTO search (rowid, title, body) VALUES (?1, ?2, ?3)")?;
    let mut it = rows.query([])?;
    while let Some(r) = it.next()? {
        let id: i64 = r.get(0)?;
        let pack: i64 = r.get(1)?;
        let entry = Entry::from_json(r.get_ref(2)?.as_str()?)?;
        let (title, text) = index_row(&entry);
        counts.entry(pack).or_default().add_row(&title, &text);
        insert.execute(params![id, title, text])?;
    }
    for (pack, counts) in &counts {
        write_frequent_terms(tx, *pack, counts)?;
    }
    Ok(())
}

/// The FTS5 table's definition: contentless (the text is in `entries`),
/// tokenized by FTS5's `ascii` tokenizer because index rows and queries are
/// already folded and split into words by [`words`] (index rows hold only
/// words and single spaces, queries only quoted words): `ascii` splits them
/// at the spaces alone, the same words, without `unicode61`'s per-letter
/// Unicode classification, which was a fifth of an install's writing
/// time. With no prefix indexes (they doubled the install's index work and
/// barely sped up prefix queries). Word positions stay (`detail=full`):
/// without them a contentless table cannot count a word's occurrences per
/// column, and bm25 would score every match zero.
pub(crate) const CREATE_SEARCH: &str = "CREATE VIRTUAL TABLE search USING fts5(
         title, body,
         content = '', contentless_delete = 1,
         tokenize = 'ascii'
     );
     -- A bigger in-memory buffer before FTS5 writes a segment: fewer
     -- segments to merge while a large pack installs (8 MiB, within the
     -- install's memory budget).
     INSERT INTO search(search, rank) VALUES ('hashsize', 8388608);";

/// The table of frequent words per pack.
pub(crate) const CREATE_FREQUENT_TERMS: &str = "CREATE TABLE frequent_terms (
         pack INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
         term TEXT NOT NULL,
         docs INTEGER NOT NULL,
         PRIMARY KEY (term, pack)
     ) WITHOUT ROWID;";

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
