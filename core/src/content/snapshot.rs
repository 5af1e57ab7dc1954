//! What search needs of the installed packs besides the index (each
//! pack's publisher and manifest, the frequent words' counts), read once
//! and kept by the store until the database changes.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Connection;

use super::model::PackManifest;
use crate::error::Result;
use crate::storage::json_from_text;

/// What search needs of the installed packs besides the index, read once
/// and kept until the database changes (a search would otherwise parse a
/// manifest and look up frequent words in SQLite every time).
#[derive(Debug)]
pub(crate) struct PackSnapshot {
    /// `PRAGMA data_version` (commits by other connections, such as
    /// installs) and the read connection's own change count when read.
    pub(crate) version: (i64, u64),
    /// Publisher and manifest of each pack, by row id.
    pub(crate) packs: HashMap<i64, (String, Arc<PackManifest>)>,
    /// Every frequent word with its entry count summed over packs, by
    /// word.
    frequent: Vec<(String, i64)>,
}

impl PackSnapshot {
    /// Reads the packs and the frequent words as `conn` sees them at
    /// `version` (from [`snapshot_version`]).
    pub(crate) fn read(conn: &Connection, version: (i64, u64)) -> Result<Self> {
        let mut packs = HashMap::new();
        let mut stmt = conn.prepare_cached("SELECT id, publisher, manifest FROM packs")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let manifest: PackManifest = json_from_text(r.get_ref(2)?.as_str()?)?;
            packs.insert(r.get(0)?, (r.get(1)?, Arc::new(manifest)));
        }
        let frequent = conn
            .prepare_cached(
                "SELECT term, sum(docs) FROM frequent_terms GROUP BY term ORDER BY term",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, i64)>>>()?;
        Ok(PackSnapshot {
            // An install that commits while this reads moves data_version
            // past `version`: the next search reads again.
            version,
            packs,
            frequent,
        })
    }

    /// The entries `word` is in, if frequent.
    pub(crate) fn docs(&self, word: &str) -> i64 {
        self.frequent
            .binary_search_by(|(t, _)| t.as_str().cmp(word))
            .map_or(0, |i| self.frequent[i].1)
    }

    /// The entries the frequent words beginning with `prefix` are in,
    /// summed.
    pub(crate) fn prefix_docs(&self, prefix: &str) -> i64 {
        let from = self.frequent.partition_point(|(t, _)| t.as_str() < prefix);
        self.frequent[from..]
            .iter()
            .take_while(|(t, _)| t.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The version of the database `conn` sees, for [`PackSnapshot`].
pub(crate) fn snapshot_version(conn: &Connection) -> Result<(i64, u64)> {
    let data: i64 = conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?;
    Ok((data, conn.total_changes()))
}
