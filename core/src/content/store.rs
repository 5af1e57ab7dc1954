//! The phone's content database: installed packs, their entries, and the
//! full-text index over them.
//!
//! Installs run on their own connection in one transaction: readers keep
//! seeing the previous version (WAL snapshot isolation) until the new one is
//! entirely in, and a failure or a killed process leaves the previous one.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;

use super::index::{CREATE_FREQUENT_TERMS, CREATE_SEARCH, TermCounts, index_row};
use super::model::{Entry, PackManifest};
use super::pack::PackReader;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::storage::{OpenMode, Schema, json_from_text, open_database};

/// File name of the content database inside its directory.
pub const DB_FILE: &str = "content.db";

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
        tx.execute_batch(super::metadata::CREATE_TUF_ROOTS)?;
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
            // sync (the root stays in `publishers`).
            2 => Ok(tx.execute_batch(CREATE_TUF_METADATA)?),
            // Version 4 keeps every root version trusted and the offline
            // timestamp, so an installed pack can be shared with its chain.
            3 => super::metadata::upgrade_to_v4(tx),
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

/// Settings of the connection searches and queries run on: an 8 MiB page
/// cache (SQLite's default is 2 MiB), so the pages every search reads
/// (term index, entry lengths) stay in memory between searches. Public for
/// the benchmark, which gives bare FTS5 queries the same.
#[doc(hidden)]
pub const READ_PRAGMAS: &str = "PRAGMA cache_size = -8192;";

/// A pack as installed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstalledPack {
    /// The publisher it was verified against.
    pub publisher: String,
    /// Its manifest.
    pub manifest: PackManifest,
    /// When it was installed.
    pub installed_at: DateTime<Utc>,
}

/// Where an entry comes from, and how old the publisher's word on it is.
/// Apps show it next to every entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Publisher id (from the trust store).
    pub publisher: String,
    /// Publisher's display name (from the pack).
    pub publisher_name: String,
    /// Pack id.
    pub pack: String,
    /// Pack version.
    pub pack_version: u64,
    /// When the publisher last verified the entry.
    pub verified: NaiveDate,
    /// Days since then.
    pub age_days: i64,
    /// True for sample data.
    pub sample: bool,
}

/// The installed content, searchable offline.
pub struct ContentStore {
    dir: PathBuf,
    read: Mutex<Connection>,
    /// What search keeps of the packs between searches (see search.rs).
    packs: Mutex<Option<Arc<super::search::PackSnapshot>>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ContentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentStore").finish_non_exhaustive()
    }
}

impl ContentStore {
    /// Opens (or creates) the content database in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with_clock(dir, Arc::new(SystemClock))
    }

    /// Opens with a given clock (staleness, alerts in force, open now).
    pub fn open_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let conn = open_database(
            &dir.join(DB_FILE),
            &ContentSchema,
            OpenMode::CreateIfMissing,
        )?;
        // The index's word list with counts, for typo correction.
        conn.execute_batch(
            "CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, 'search', 'row');",
        )?;
        conn.execute_batch(READ_PRAGMAS)?;
        Ok(ContentStore {
            dir: dir.to_path_buf(),
            read: Mutex::new(conn),
            packs: Mutex::new(None),
            clock,
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.read.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Search's cache of the packs; taken after [`Self::conn`], never
    /// before it.
    pub(crate) fn pack_cache(&self) -> MutexGuard<'_, Option<Arc<super::search::PackSnapshot>>> {
        self.packs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Installs a pack whose signature and metadata have been verified for
    /// `publisher`. Callers MUST have verified it: this only checks that the
    /// pack names that publisher, that it is newer than the installed
    /// version, and that it parses. The previous version stays searchable
    /// until the new one is entirely in.
    pub(crate) fn install_verified(
        &self,
        publisher: &str,
        source: impl Read + Send,
    ) -> Result<InstalledPack> {
        self.install_from(publisher, PackReader::new(source)?)
    }

    /// Installs what `reader` reads (a pack file, or a pack's content
    /// rebuilt by a patch), under the same contract as
    /// [`Self::install_verified`].
    pub(crate) fn install_from<R: Read + Send>(
        &self,
        publisher: &str,
        reader: PackReader<R>,
    ) -> Result<InstalledPack> {
        let manifest = reader.manifest().clone();
        if manifest.publisher.id != publisher {
            return Err(Error::InvalidPack(format!(
                "the pack names publisher '{}' but was signed by '{publisher}'",
                manifest.publisher.id
            )));
        }
        let mut conn = open_database(&self.dir.join(DB_FILE), &ContentSchema, OpenMode::MustExist)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = i64::try_from(manifest.version)
            .map_err(|_| Error::InvalidPack("version out of range".into()))?;
        let installed: Option<(i64, i64)> = tx
            .query_row(
                "SELECT id, version FROM packs WHERE publisher = ?1 AND pack_id = ?2",
                params![publisher, manifest.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((old, installed)) = installed {
            if version <= installed {
                return Err(Error::Rollback {
                    offered: manifest.version,
                    installed: installed as u64,
                });
            }
            // The old version's rows go without zeroing the pages they
            // free (`FAST`: only where SQLite writes anyway): the pack stays
            // installed, its new version fills those pages in this same
            // transaction, and zeroing them first wrote a fifth more of an
            // update (426 MB instead of 347 MB for 100,000 entries). This
            // connection is the install's own: removing a pack, on the
            // store's connection, still zeroes what it frees.
            tx.execute_batch("PRAGMA secure_delete = FAST;")?;
            delete_pack_rows(&tx, old)?;
        }
        let installed_at = self.clock.now();
        tx.execute(
            "INSERT INTO packs (publisher, pack_id, version, manifest, installed_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                publisher,
                manifest.id,
                version,
                serde_json::to_string(&manifest)?,
                installed_at.to_rfc3339()
            ],
        )?;
        let pack_row = tx.last_insert_rowid();
        // Two stages on two threads: this one writes to SQLite while the
        // other decompresses, parses, and folds the next batch. A failure
        // on either side stops both and rolls the transaction back.
        std::thread::scope(|scope| -> Result<()> {
            let (send, receive) = std::sync::mpsc::sync_channel::<Result<Vec<Prepared>>>(4);
            let reader = scope.spawn(move || prepare_entries(reader, send));
            let written = write_entries(&tx, pack_row, receive);
            // The reader stops at once when the receiver is gone.
            let counts = reader
                .join()
                .unwrap_or_else(|_| Err(Error::InvalidPack("the pack reader failed".into())));
            written?;
            write_frequent_terms(&tx, pack_row, &counts?)
        })?;
        tx.commit()?;
        Ok(InstalledPack {
            publisher: publisher.to_owned(),
            manifest,
            installed_at,
        })
    }

    /// The install's writing stage alone, for the content benchmark: the
    /// pack's rows are all parsed and folded first (not timed), then
    /// written and committed as an install writes them. The time it
    /// returns is the floor of an install on this machine, whatever the
    /// parsing stage does. The store must not have the pack yet.
    #[cfg(feature = "synthetic")]
    #[doc(hidden)]
    pub fn write_alone(&self, publisher: &str, pack: &[u8]) -> Result<std::time::Duration> {
        let reader = PackReader::new(pack)?;
        let batches = (reader.manifest().entries as usize).div_ceil(BATCH) + 1;
        let (send, receive) = std::sync::mpsc::sync_channel(batches);
        prepare_entries(reader, send)?;
        let mut conn = open_database(&self.dir.join(DB_FILE), &ContentSchema, OpenMode::MustExist)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO packs (publisher, pack_id, version, manifest, installed_at)
             VALUES (?1, 'write-alone', 1, '{}', '')",
            [publisher],
        )?;
        let pack_row = tx.last_insert_rowid();
        let t = std::time::Instant::now();
        write_entries(&tx, pack_row, receive)?;
        tx.commit()?;
        Ok(t.elapsed())
    }

    /// The installed packs, by publisher and id.
    pub fn packs(&self) -> Result<Vec<InstalledPack>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT publisher, manifest, installed_at FROM packs ORDER BY publisher, pack_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (publisher, manifest, at) = row?;
            out.push(InstalledPack {
                publisher,
                manifest: json_from_text(&manifest)?,
                installed_at: DateTime::parse_from_rfc3339(&at)
                    .map_err(|_| Error::Integrity("install time"))?
                    .with_timezone(&Utc),
            });
        }
        Ok(out)
    }

    /// Removes one pack and only its entries, leaving no trace of them in
    /// the database: the full-text index is rewritten without them (about
    /// 0.6 s beside a 100,000-entry pack on the 2-core test machine).
    pub fn remove_pack(&self, publisher: &str, pack_id: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id: i64 = tx
            .query_row(
                "SELECT id FROM packs WHERE publisher = ?1 AND pack_id = ?2",
                params![publisher, pack_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(Error::NotFound("pack"))?;
        delete_pack_rows(&tx, id)?;
        purge_search(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Removes every pack of a publisher (when it is no longer trusted),
    /// leaving no trace of their entries, as [`Self::remove_pack`] does.
    pub fn remove_publisher(&self, publisher: &str) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed = remove_publisher_packs(&tx, publisher)?;
        tx.commit()?;
        Ok(removed)
    }

    /// The provenance of an entry row, given its pack's manifest and
    /// publisher.
    pub(crate) fn provenance(
        &self,
        publisher: &str,
        manifest: &PackManifest,
        verified: NaiveDate,
    ) -> Provenance {
        provenance_on(publisher, manifest, verified, self.clock.today())
    }
}

/// The provenance of an entry as seen on `today` (callers building many
/// ask the clock once: the local time zone is not free to look up).
pub(crate) fn provenance_on(
    publisher: &str,
    manifest: &PackManifest,
    verified: NaiveDate,
    today: NaiveDate,
) -> Provenance {
    {
        Provenance {
            publisher: publisher.to_owned(),
            publisher_name: manifest.publisher.name.clone(),
            pack: manifest.id.clone(),
            pack_version: manifest.version,
            verified,
            age_days: (today - verified).num_days(),
            sample: manifest.sample,
        }
    }
}

/// Entries per batch handed from the reading thread to the writing one.
const BATCH: usize = 256;

/// An entry ready to be written: its row and its index row.
struct Prepared {
    kind: &'static str,
    entry_id: String,
    verified: String,
    json: String,
    lat: Option<f64>,
    lon: Option<f64>,
    title: String,
    body: String,
}

/// Reads, parses and folds entries in batches, until the pack ends, an
/// entry is bad (sent as the last item), or the writer hangs up.
fn prepare_entries<R: Read>(
    mut reader: PackReader<R>,
    send: std::sync::mpsc::SyncSender<Result<Vec<Prepared>>>,
) -> Result<TermCounts> {
    let mut counts = TermCounts::default();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(next) = reader.next_with_json() {
        let (entry, json) = match next {
            Ok(n) => n,
            Err(e) => {
                let _ = send.send(Err(e));
                return Ok(counts);
            }
        };
        let (lat, lon) = match &entry {
            Entry::Service(s) => s.location.map(|p| (p.lat, p.lon)).unzip(),
            _ => (None, None),
        };
        let (title, body) = index_row(&entry);
        counts.add_row(&title, &body);
        batch.push(Prepared {
            kind: kind_name(&entry),
            entry_id: entry.id().to_owned(),
            verified: entry.verified().to_string(),
            json: json.to_owned(),
            lat,
            lon,
            title,
            body,
        });
        if batch.len() == BATCH
            && send
                .send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                .is_err()
        {
            return Ok(counts);
        }
    }
    if !batch.is_empty() {
        let _ = send.send(Ok(batch));
    }
    Ok(counts)
}

/// Records the frequent words of pack row `pack`.
fn write_frequent_terms(tx: &Transaction<'_>, pack: i64, counts: &TermCounts) -> Result<()> {
    let mut insert =
        tx.prepare("INSERT INTO frequent_terms (pack, term, docs) VALUES (?1, ?2, ?3)")?;
    for (term, docs) in counts.frequent() {
        insert.execute(params![pack, term, docs])?;
    }
    Ok(())
}

/// Writes the prepared entries of pack row `pack` and their index rows.
fn write_entries(
    tx: &Transaction<'_>,
    pack: i64,
    receive: std::sync::mpsc::Receiver<Result<Vec<Prepared>>>,
) -> Result<()> {
    let mut insert_entry = tx.prepare(
        "INSERT INTO entries (pack, kind, entry_id, verified, body, lat, lon)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut insert_fts =
        tx.prepare("INSERT INTO search (rowid, title, body) VALUES (?1, ?2, ?3)")?;
    for batch in receive {
        for p in batch? {
            insert_entry.execute(params![
                pack, p.kind, p.entry_id, p.verified, p.json, p.lat, p.lon
            ])?;
            insert_fts.execute(params![tx.last_insert_rowid(), p.title, p.body])?;
        }
    }
    Ok(())
}

/// Removes every pack of `publisher` within `tx`, as
/// [`ContentStore::remove_publisher`] does; how many went.
pub(crate) fn remove_publisher_packs(tx: &Transaction<'_>, publisher: &str) -> Result<usize> {
    let ids: Vec<i64> = tx
        .prepare("SELECT id FROM packs WHERE publisher = ?1")?
        .query_map([publisher], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        delete_pack_rows(tx, *id)?;
    }
    if !ids.is_empty() {
        purge_search(tx)?;
    }
    Ok(ids.len())
}

/// Rewrites the full-text index without the rows deleted from it. A
/// contentless index only marks a deleted row as gone: the words it had
/// stay in the index's pages until a merge rewrites them, and a pack a
/// person removed is one they may not want found on their phone. Rewriting
/// frees those pages, which `secure_delete` then zeroes.
fn purge_search(tx: &Transaction<'_>) -> Result<()> {
    Ok(tx.execute_batch("INSERT INTO search(search) VALUES ('optimize');")?)
}

fn delete_pack_rows(tx: &Transaction<'_>, pack: i64) -> Result<()> {
    tx.execute("DELETE FROM frequent_terms WHERE pack = ?1", [pack])?;
    tx.execute(
        "DELETE FROM search WHERE rowid IN (SELECT id FROM entries WHERE pack = ?1)",
        [pack],
    )?;
    tx.execute("DELETE FROM entries WHERE pack = ?1", [pack])?;
    tx.execute("DELETE FROM packs WHERE id = ?1", [pack])?;
    Ok(())
}

/// The stable name of an entry's kind.
pub(crate) fn kind_name(e: &Entry) -> &'static str {
    match e {
        Entry::Article(_) => "article",
        Entry::Service(_) => "service",
        Entry::Country(_) => "country",
        Entry::Route(_) => "route",
        Entry::Alert(_) => "alert",
    }
}
