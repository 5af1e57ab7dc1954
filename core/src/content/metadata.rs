//! Each trusted publisher's TUF metadata as this phone keeps it, in the
//! content database: the newest root in `publishers.root`, every root
//! version it has trusted in `tuf_roots` (so it can hand the chain on in a
//! shared pack), the other roles in `tuf_metadata`, and the long-lived
//! "offline" timestamp the publisher signs for bundles in
//! `publishers.offline_timestamp`.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction, params};

use super::store::ContentStore;
use super::tuf::{Envelope, Root};
use crate::error::{Error, Result};
use crate::sync::MetadataStore;

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
        .map_err(|_| Error::Untrusted("the root's version is out of range".into()))?;
    conn.execute(
        "INSERT OR IGNORE INTO tuf_roots (publisher, version, body) VALUES (?1, ?2, ?3)",
        params![publisher, version, root],
    )?;
    Ok(())
}

/// One publisher's trusted metadata in the content database.
pub(crate) struct PublisherMetadata<'s> {
    store: &'s ContentStore,
    publisher: String,
}

impl<'s> PublisherMetadata<'s> {
    /// The metadata of `publisher` (who need not be trusted yet for this
    /// to be made; loading then finds nothing).
    pub(crate) fn new(store: &'s ContentStore, publisher: &str) -> Self {
        PublisherMetadata {
            store,
            publisher: publisher.to_owned(),
        }
    }

    /// Every root version kept, oldest first.
    pub(crate) fn roots(&self) -> Result<Vec<(u64, Vec<u8>)>> {
        let conn = self.store.conn();
        let mut rows = conn
            .prepare("SELECT version, body FROM tuf_roots WHERE publisher = ?1 ORDER BY version")?;
        let roots = rows
            .query_map([&self.publisher], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(roots)
    }

    /// The offline timestamp kept, if any.
    pub(crate) fn offline_timestamp(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .store
            .conn()
            .query_row(
                "SELECT offline_timestamp FROM publishers WHERE id = ?1",
                [&self.publisher],
                |r| r.get::<_, Option<Vec<u8>>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Keeps `bytes` as the offline timestamp (`None` forgets it).
    pub(crate) fn set_offline_timestamp(&self, bytes: Option<&[u8]>) -> Result<()> {
        self.store.conn().execute(
            "UPDATE publishers SET offline_timestamp = ?2 WHERE id = ?1",
            params![self.publisher, bytes],
        )?;
        Ok(())
    }
}

impl MetadataStore for PublisherMetadata<'_> {
    fn load(&self, role: &str) -> Result<Option<Vec<u8>>> {
        let conn = self.store.conn();
        if role == "root" {
            return Ok(conn
                .query_row(
                    "SELECT root FROM publishers WHERE id = ?1",
                    [&self.publisher],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .map(String::into_bytes));
        }
        Ok(conn
            .query_row(
                "SELECT body FROM tuf_metadata WHERE publisher = ?1 AND role = ?2",
                params![self.publisher, role],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?)
    }

    fn etag(&self, role: &str) -> Result<Option<String>> {
        Ok(self
            .store
            .conn()
            .query_row(
                "SELECT etag FROM tuf_metadata WHERE publisher = ?1 AND role = ?2",
                params![self.publisher, role],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    fn store(&mut self, role: &str, bytes: &[u8], etag: Option<&str>) -> Result<()> {
        let mut conn = self.store.conn();
        if role == "root" {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Error::Untrusted("root metadata is not UTF-8".into()))?;
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE publishers SET root = ?2 WHERE id = ?1",
                params![self.publisher, text],
            )?;
            record_root(&tx, &self.publisher, bytes)?;
            tx.commit()?;
            return Ok(());
        }
        conn.execute(
            "INSERT INTO tuf_metadata (publisher, role, body, etag) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (publisher, role) DO UPDATE SET body = excluded.body, etag = excluded.etag",
            params![self.publisher, role, bytes, etag],
        )?;
        Ok(())
    }
}

/// Metadata stores that write nowhere until told: an updater checking an
/// offline bundle works on one, and what it trusted is kept only once the
/// pack is installed (a refused bundle changes nothing).
pub(crate) struct Overlay<'b> {
    base: Option<&'b dyn MetadataStore>,
    pending: BTreeMap<String, (Vec<u8>, Option<String>)>,
    /// Every root stored, in order: each version of the chain is kept.
    roots: Vec<Vec<u8>>,
}

impl<'b> Overlay<'b> {
    /// Reads fall through to `base`.
    pub(crate) fn over(base: &'b dyn MetadataStore) -> Self {
        Overlay {
            base: Some(base),
            pending: BTreeMap::new(),
            roots: Vec::new(),
        }
    }

    /// Holds only `root`: everything else the updater sees comes from the
    /// remote and is verified afresh.
    pub(crate) fn with_root(root: &[u8]) -> Self {
        let mut overlay = Overlay {
            base: None,
            pending: BTreeMap::new(),
            roots: Vec::new(),
        };
        overlay.pending.insert("root".into(), (root.to_vec(), None));
        overlay
    }

    /// Writes what was stored here to `target`, roots in the order they
    /// were trusted.
    pub(crate) fn commit(self, target: &mut dyn MetadataStore) -> Result<()> {
        for root in &self.roots {
            target.store("root", root, None)?;
        }
        for (role, (bytes, etag)) in &self.pending {
            if role != "root" {
                target.store(role, bytes, etag.as_deref())?;
            }
        }
        Ok(())
    }
}

impl MetadataStore for Overlay<'_> {
    fn load(&self, role: &str) -> Result<Option<Vec<u8>>> {
        match (self.pending.get(role), self.base) {
            (Some((bytes, _)), _) => Ok(Some(bytes.clone())),
            (None, Some(base)) => base.load(role),
            (None, None) => Ok(None),
        }
    }

    fn etag(&self, role: &str) -> Result<Option<String>> {
        match (self.pending.get(role), self.base) {
            (Some((_, etag)), _) => Ok(etag.clone()),
            (None, Some(base)) => base.etag(role),
            (None, None) => Ok(None),
        }
    }

    fn store(&mut self, role: &str, bytes: &[u8], etag: Option<&str>) -> Result<()> {
        if role == "root" {
            self.roots.push(bytes.to_vec());
        }
        self.pending
            .insert(role.to_owned(), (bytes.to_vec(), etag.map(str::to_owned)));
        Ok(())
    }
}
