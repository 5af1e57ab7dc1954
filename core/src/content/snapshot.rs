//! What search needs of the installed packs besides the index (each
//! pack's publisher and manifest, the entries installed), read once and
//! kept by the store until the database changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rusqlite::Connection;

use super::lexicon::Lexicon;
use super::model::{Entry, PackManifest};
use super::normalize::WordFolds;
use super::postings::RowSet;
use crate::error::Result;
use crate::storage::json_from_text;

/// What search needs of the installed packs besides the index, read once
/// and kept until the database changes (a search would otherwise parse a
/// manifest every time).
#[derive(Debug)]
pub(crate) struct PackSnapshot {
    /// `PRAGMA data_version` (commits by other connections, such as
    /// installs) and the read connection's own change count when read.
    pub(crate) version: (i64, u64),
    /// Publisher and manifest of each pack, by row id.
    pub(crate) packs: HashMap<i64, (String, Arc<PackManifest>)>,
    /// Entries installed, over every pack (bm25's N).
    pub(crate) entries: u64,
    /// Per pack row, the entries removed that its index still holds
    /// (updates applied in place, see update.rs).
    pub(crate) removed: Vec<(i64, RowSet)>,
    /// Every indexed word with its entry count, in order: read at the
    /// first typo correction after a change, then kept.
    vocabulary: OnceLock<Vec<(Box<str>, u64)>>,
    /// Each pack's lexicon with its pack row, read when first needed (a
    /// phone has a handful of packs).
    lexicons: Mutex<Vec<(i64, Arc<Lexicon>)>>,
    /// The hits' words folded, kept from search to search.
    word_folds: Mutex<WordFolds>,
}

impl PackSnapshot {
    /// Reads the packs as `conn` sees them at
    /// `version` (from [`snapshot_version`]).
    pub(crate) fn read(conn: &Connection, version: (i64, u64)) -> Result<Self> {
        let mut packs = HashMap::new();
        let mut removed = Vec::new();
        let mut stmt = conn.prepare_cached("SELECT id, publisher, manifest, removed FROM packs")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let manifest: PackManifest = json_from_text(r.get_ref(2)?.as_str()?)?;
            if let Some(ids) = r.get_ref(3)?.as_blob_or_null()? {
                removed.push((r.get(0)?, RowSet::new(&super::order::decode_ids(ids))));
            }
            packs.insert(r.get(0)?, (r.get(1)?, Arc::new(manifest)));
        }
        // Each manifest's count, which its install held it to.
        let entries = packs.values().map(|(_, m)| m.entries).sum();
        Ok(PackSnapshot {
            // An install that commits while this reads moves data_version
            // past `version`: the next search reads again.
            version,
            packs,
            entries,
            removed,
            vocabulary: OnceLock::new(),
            lexicons: Mutex::new(Vec::new()),
            word_folds: Mutex::new(WordFolds::default()),
        })
    }

    /// Pack row `pack`'s lexicon, as `conn` (on this snapshot's version)
    /// reads it the first time.
    pub(crate) fn lexicon(&self, conn: &Connection, pack: i64) -> Result<Arc<Lexicon>> {
        let mut lexicons = self.lexicons.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, l)) = lexicons.iter().find(|(p, _)| *p == pack) {
            return Ok(Arc::clone(l));
        }
        let l = Arc::new(Lexicon::read(conn, pack)?);
        lexicons.push((pack, Arc::clone(&l)));
        Ok(l)
    }

    /// The entry stored as `coded` in pack row `pack`.
    pub(crate) fn entry(&self, conn: &Connection, pack: i64, coded: &[u8]) -> Result<Entry> {
        let line = self.lexicon(conn, pack)?.decode(coded)?;
        Ok(Entry::from_json(&line)?)
    }

    /// The folds of hits' words, for one search at a time.
    pub(crate) fn word_folds(&self) -> MutexGuard<'_, WordFolds> {
        self.word_folds.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every indexed word with its entry count, in order, as `conn` (on
    /// this snapshot's version) reads it the first time.
    pub(crate) fn vocabulary(&self, conn: &Connection) -> Result<&[(Box<str>, u64)]> {
        if let Some(v) = self.vocabulary.get() {
            return Ok(v);
        }
        let read = super::postings::vocabulary(conn)?;
        Ok(self.vocabulary.get_or_init(|| read))
    }
}

/// The version of the database `conn` sees, for [`PackSnapshot`].
pub(crate) fn snapshot_version(conn: &Connection) -> Result<(i64, u64)> {
    let data: i64 = conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?;
    Ok((data, conn.total_changes()))
}
