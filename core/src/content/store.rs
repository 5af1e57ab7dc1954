//! The phone's content database: installed packs, their entries, and the
//! full-text index over them.
//!
//! Installs run on their own connection in one transaction: readers keep
//! seeing the previous version (WAL snapshot isolation) until the new one is
//! entirely in, and a failure or a killed process leaves the previous one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::Serialize;

use super::changes::PackChanges;
use super::model::{Entry, PackManifest};
use super::schema::ContentSchema;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::storage::{OpenMode, json_from_text, open_database};

/// File name of the content database inside its directory.
pub const DB_FILE: &str = "content.db";

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
    /// What the install that returned it changed (`None` in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<PackChanges>,
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
    packs: Mutex<Option<Arc<super::snapshot::PackSnapshot>>>,
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
        // Owner-only, like every file in it (see storage::open_database).
        crate::storage::private_dir(dir)?;
        let conn = open_database(
            &dir.join(DB_FILE),
            &ContentSchema,
            OpenMode::CreateIfMissing,
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

    /// A read-only connection of its own to the store's database, which
    /// reads what is committed beside an install's transaction (WAL).
    pub(crate) fn reading_connection(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            self.dir.join(DB_FILE),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(crate::storage::BUSY_TIMEOUT)?;
        Ok(conn)
    }

    /// A connection of its own to the store's database, for an install
    /// or an update: its transaction leaves the store's connection to
    /// searches meanwhile.
    pub(crate) fn own_connection(&self) -> Result<Connection> {
        open_database(&self.dir.join(DB_FILE), &ContentSchema, OpenMode::MustExist)
    }

    /// Search's cache of the packs; taken after [`Self::conn`], never
    /// before it.
    pub(crate) fn pack_cache(&self) -> MutexGuard<'_, Option<Arc<super::snapshot::PackSnapshot>>> {
        self.packs.lock().unwrap_or_else(|p| p.into_inner())
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
                changes: None,
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
    Ok(ids.len())
}

/// Deletes a pack's rows: its index rows, entries, lexicon and the pack. The pages
/// they free are zeroed (`secure_delete`, see storage.rs) on the store's
/// connection: a pack a person removed is one they may not want found on
/// their phone.
pub(crate) fn delete_pack_rows(tx: &Transaction<'_>, pack: i64) -> Result<()> {
    super::postings::delete_pack(tx, pack)?;
    super::order::over_pack_rows(
        tx,
        pack,
        "DELETE FROM entries WHERE pack = ?1 AND id >= ?2 AND id < ?3",
        |_| Ok(()),
    )?;
    tx.execute("DELETE FROM lexicons WHERE pack = ?1", [pack])?;
    tx.execute("DELETE FROM lexicon_added WHERE pack = ?1", [pack])?;
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
