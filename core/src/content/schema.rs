//! The content database's schema, in one place: every table and index,
//! and the upgrade from each earlier version (run by
//! [`crate::storage::open_database`] in one transaction). Derived data
//! (the full-text index) is rebuilt from the entries where its form
//! changed: nothing installed is lost.
//!
//! Tables: `publishers` (trusted publishers, newest root, versions seen),
//! `tuf_roots` (every root version trusted), `tuf_metadata` (the other
//! roles), `packs`, `entries` (each its pack's JSON line, coded),
//! `lexicons` and `lexicon_added` (each pack's pieces, see lexicon.rs),
//! `terms`, `terms_added` and `postings` (the full-text index, see
//! postings.rs).

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Transaction, params};

use super::index::index_row;
use super::lexicon::{CREATE_LEXICONS, StreamCoder, write_lexicon};
use super::model::Entry;
use super::postings::{CREATE_TERMS, CREATE_TERMS_ADDED, IndexBuilder, next_varint};
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
    const END_VERSION: u32 = 11;

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
             );",
        )?;
        tx.execute_batch(CREATE_ENTRIES)?;
        tx.execute_batch(CREATE_KIND_INDEX)?;
        // The full-text index (see postings.rs) and the packs' words
        // (lexicon.rs).
        tx.execute_batch(CREATE_TERMS)?;
        tx.execute_batch(CREATE_LEXICONS)?;
        add_update_tables(tx)?;
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
            // Version 7 keeps entries word-coded (see lexicon.rs) and
            // replaces the FTS5 table and its frequent words with Waymark's
            // own index (see postings.rs), both rebuilt from the entries:
            // nothing installed is lost.
            6 => {
                drop_fts5_table(tx, "search")?;
                tx.execute_batch(
                    "DROP TABLE IF EXISTS frequent_terms;
                     DROP TABLE IF EXISTS terms; DROP TABLE IF EXISTS postings;
                     DROP TABLE IF EXISTS lexicons;",
                )?;
                set_entries_aside(tx, "entries_v6")?;
                tx.execute_batch(CREATE_TERMS)?;
                tx.execute_batch(CREATE_LEXICONS)?;
                recode_entries(tx, "entries_v6", true, &mut |_, body| {
                    Ok(body.as_str()?.to_owned())
                })?;
                Ok(tx.execute_batch("DROP TABLE entries_v6;")?)
            }
            // Version 8 writes the kind index's condition as ORs (see
            // listed_kinds!).
            7 => {
                tx.execute_batch("DROP INDEX IF EXISTS entries_kind;")?;
                Ok(tx.execute_batch(CREATE_KIND_INDEX)?)
            }
            // Version 9 codes entries with a model per pack (see
            // lexicon.rs): every entry is recoded, with the same row id,
            // so the index stays as it is.
            8 => upgrade_to_v9(tx),
            // Version 10 keeps what an update applied in place needs of a
            // pack (see ADD_UPDATE_COLUMNS); packs installed before have
            // none of it, and their next update rebuilds them whole.
            9 => add_update_tables(tx),
            // Version 11 finds a pack's entries by its entry order, not by
            // an index (see CREATE_ENTRIES); a pack installed before
            // version 10 has no order, and is found by a scan until its
            // next update.
            10 => Ok(tx.execute_batch("DROP INDEX IF EXISTS entries_pack;")?),
            _ => Err(Error::UnsupportedFormat(format!(
                "no upgrade from content schema version {version}"
            ))),
        }
    }
}

/// Drops the FTS5 table `name` (versions up to 6 searched one) without
/// FTS5's module, which the library ships without (see
/// .cargo/config.toml): SQLite drops a virtual table through its module,
/// so its shadow tables, where its words are, go as the tables they are,
/// then its row of the schema (`writable_schema`), and the schema is read
/// again. Its pages are zeroed as any table's (`secure_delete`).
fn drop_fts5_table(tx: &Transaction<'_>, name: &str) -> Result<()> {
    for shadow in ["data", "idx", "content", "docsize", "config"] {
        tx.execute_batch(&format!("DROP TABLE IF EXISTS {name}_{shadow};"))?;
    }
    tx.execute_batch("PRAGMA writable_schema = ON;")?;
    let deleted = tx.execute(
        "DELETE FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [name],
    );
    tx.execute_batch("PRAGMA writable_schema = RESET;")?;
    deleted?;
    Ok(())
}

/// What an update applied in place needs of a pack (see update.rs), each
/// NULL where unknown or empty: `content`, the digest of the installed
/// version's content as signed (`length sha256`, see
/// `ContentDigest::stored`); `avgdl`, the average length its index
/// weighed entries by; `next_part`, the next free part of its index;
/// `entry_order`, its entries' rows in pack order where that is not their
/// row order (runs, see update.rs); `removed`, rows of entries removed by
/// updates that its long lists still hold (see postings.rs's `Removed`);
/// and `lexicon_added`, the pieces updates added to a pack's lexicon (see
/// lexicon.rs), a row of its own: SQLite rewrites a whole row to change
/// one column, and a large pack's lexicon is 2.7 MB. With them,
/// `terms_added` (postings.rs).
const ADD_UPDATE_COLUMNS: &str = "ALTER TABLE packs ADD COLUMN content TEXT;
     ALTER TABLE packs ADD COLUMN avgdl REAL;
     ALTER TABLE packs ADD COLUMN next_part INTEGER;
     ALTER TABLE packs ADD COLUMN entry_order BLOB;
     ALTER TABLE packs ADD COLUMN removed BLOB;
     CREATE TABLE lexicon_added (
         pack INTEGER PRIMARY KEY,    -- packs.id
         words TEXT NOT NULL          -- pieces, newline-separated
     );";

/// Version 10's index rows of updates applied in place (see postings.rs).
fn add_update_tables(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(ADD_UPDATE_COLUMNS)?;
    Ok(tx.execute_batch(CREATE_TERMS_ADDED)?)
}

/// The entries, each its pack's JSON line word-coded (see lexicon.rs),
/// and their index by place. Not by pack: a pack's rows are found by its
/// entry order (`order::over_pack_rows`), and an index by pack was
/// rewritten on nearly every page by each update of 1% of a pack.
const CREATE_ENTRIES: &str = "CREATE TABLE entries (
                 id INTEGER PRIMARY KEY,
                 pack INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
                 kind TEXT NOT NULL,          -- article, service, country, route, alert
                 entry_id TEXT NOT NULL,
                 body BLOB NOT NULL,          -- the JSON line, coded
                 lat REAL,
                 lon REAL
             );
             CREATE INDEX entries_geo ON entries(lat, lon) WHERE lat IS NOT NULL;";

/// The kinds of entry that are looked up by kind (every country, route or
/// alert), as the condition of the partial index that finds them. Articles
/// and services, nearly all of a large pack, are found by search or by
/// place and stay out of it, so installing them maintains one index fewer.
/// A query uses the index only if its WHERE clause repeats this condition
/// word for word, so queries by kind write it in with `concat!`.
///
/// ORs of equalities, not `kind IN (…)`: SQLite checks an IN list of three
/// or more by building a temporary table, and a partial index's condition
/// is checked at every insert, so an install built and dropped one per
/// entry (a twelfth of its instructions).
macro_rules! listed_kinds {
    () => {
        "(kind = 'alert' OR kind = 'country' OR kind = 'route')"
    };
}
pub(crate) use listed_kinds;

/// The index of the entries of the [`listed_kinds!`].
const CREATE_KIND_INDEX: &str = concat!(
    "CREATE INDEX entries_kind ON entries(kind, entry_id) WHERE ",
    listed_kinds!(),
    ";"
);

/// Renames `entries` to `old`, for its rows to be copied, and creates
/// the current `entries` and its indexes (the old ones dropped: their
/// names are the new ones').
fn set_entries_aside(tx: &Transaction<'_>, old: &str) -> Result<()> {
    tx.execute_batch(&format!(
        "ALTER TABLE entries RENAME TO {old};
         DROP INDEX IF EXISTS entries_pack; DROP INDEX IF EXISTS entries_geo;
         DROP INDEX IF EXISTS entries_kind;"
    ))?;
    tx.execute_batch(CREATE_ENTRIES)?;
    Ok(tx.execute_batch(CREATE_KIND_INDEX)?)
}

/// One row of an earlier `entries` table, but its body: id, kind,
/// entry_id, lat, lon (the `verified` column of versions up to 8 goes:
/// nothing read it, and the entry's line has the date).
type OldRow = [Value; 5];

/// Copies the entries of `from` (an earlier `entries` table, renamed)
/// into `entries`, pack by pack, each pack coded with a model of its own
/// (see lexicon.rs): the same rows, the same ids. `line` gives an old
/// row's JSON line from its pack row and body. With `index`, the entries
/// are indexed too (the index is being rebuilt).
fn recode_entries(
    tx: &Transaction<'_>,
    from: &str,
    index: bool,
    line: &mut dyn FnMut(i64, ValueRef<'_>) -> Result<String>,
) -> Result<()> {
    let packs: Vec<i64> = tx
        .prepare(&format!("SELECT DISTINCT pack FROM {from} ORDER BY pack"))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rows = tx.prepare(&format!(
        "SELECT id, kind, entry_id, body, lat, lon FROM {from}
         WHERE pack = ?1 ORDER BY id"
    ))?;
    let mut insert = tx.prepare(
        "INSERT INTO entries (id, pack, kind, entry_id, body, lat, lon)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for pack in packs {
        let mut builder = index.then(|| IndexBuilder::new(pack));
        let mut emit = |(row, text): (OldRow, Option<(String, String)>), coded: Vec<u8>| {
            let [id, kind, entry_id, lat, lon] = row;
            insert.execute(params![id, pack, kind, entry_id, coded, lat, lon])?;
            if let (Some(builder), Some((title, body)), Value::Integer(id)) =
                (builder.as_mut(), text, id)
            {
                builder.add(tx, id, &title, &body)?;
            }
            Ok(())
        };
        let mut coder = StreamCoder::new();
        let mut it = rows.query([pack])?;
        while let Some(r) = it.next()? {
            let json = line(pack, r.get_ref(3)?)?;
            let text = match index {
                true => Some(index_row(&Entry::from_json(&json)?)),
                false => None,
            };
            let old: OldRow = [r.get(0)?, r.get(1)?, r.get(2)?, r.get(4)?, r.get(5)?];
            coder.push((old, text), &json, &mut emit)?;
        }
        let lexicon = coder.finish(&mut emit)?;
        if let Some(builder) = builder {
            builder.finish(tx)?;
        }
        write_lexicon(tx, pack, &lexicon)?;
    }
    Ok(())
}

/// Upgrades content schema 8 to 9: recodes every entry with a model (see
/// lexicon.rs), unless the entries already are (a database upgraded from
/// version 6 was coded by this version's code).
fn upgrade_to_v9(tx: &Transaction<'_>) -> Result<()> {
    let lexicons: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'lexicons'",
        [],
        |r| r.get(0),
    )?;
    let modelled = lexicons == CREATE_LEXICONS.trim_end_matches(';');
    if modelled {
        return Ok(());
    }
    tx.execute_batch("ALTER TABLE lexicons RENAME TO lexicons_v8;")?;
    set_entries_aside(tx, "entries_v8")?;
    tx.execute_batch(CREATE_LEXICONS)?;
    let mut words: Option<(i64, Vec<String>)> = None;
    let mut read_words = tx.prepare("SELECT words FROM lexicons_v8 WHERE pack = ?1")?;
    recode_entries(tx, "entries_v8", false, &mut |pack, body| {
        if words.as_ref().is_none_or(|(p, _)| *p != pack) {
            let text: String = read_words.query_row([pack], |r| r.get(0))?;
            words = Some((pack, text.split('\n').map(str::to_owned).collect()));
        }
        let lexicon = words
            .as_ref()
            .map(|(_, w)| w.as_slice())
            .unwrap_or_default();
        decode_v8(lexicon, body.as_blob()?)
    })?;
    drop(read_words);
    Ok(tx.execute_batch("DROP TABLE entries_v8; DROP TABLE lexicons_v8;")?)
}

/// A body as versions 7 and 8 coded it: LEB128 numbers `v`, each either
/// lexicon word `v >> 2` (after a space if `v & 2`) or, if `v & 1`, the
/// `v >> 1` bytes that follow.
fn decode_v8(words: &[String], coded: &[u8]) -> Result<String> {
    let corrupt = || Error::Integrity("stored entry");
    let mut out = Vec::with_capacity(coded.len() * 3);
    let mut at = 0;
    while at < coded.len() {
        let v = next_varint(coded, &mut at).ok_or_else(corrupt)?;
        if v & 1 == 1 {
            let end = usize::try_from(v >> 1)
                .ok()
                .and_then(|len| at.checked_add(len))
                .ok_or_else(corrupt)?;
            out.extend_from_slice(coded.get(at..end).ok_or_else(corrupt)?);
            at = end;
        } else {
            if v & 2 != 0 {
                out.push(b' ');
            }
            let word = usize::try_from(v >> 2)
                .ok()
                .and_then(|i| words.get(i))
                .ok_or_else(corrupt)?;
            out.extend_from_slice(word.as_bytes());
        }
    }
    String::from_utf8(out).map_err(|_| corrupt())
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
