//! Each trusted publisher's TUF metadata as this phone keeps it, in the
//! content database: the newest root in `publishers.root`, every root
//! version it has trusted in `tuf_roots` (so it can hand the chain on in a
//! shared pack), the other roles in `tuf_metadata`, and the long-lived
//! "offline" timestamp the publisher signs for bundles in
//! `publishers.offline_timestamp`.

use rusqlite::{OptionalExtension, params};

use super::schema::record_root;
use super::store::ContentStore;
use crate::error::{Result, Untrusted};
use crate::tuf::{MetadataStore, SeenVersions};

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

    /// Records the versions seen (never lowering one, unless keys rotated:
    /// then the updater's own checks guard it).
    pub(crate) fn record_seen(&self, old: &SeenVersions, new: &SeenVersions) -> Result<()> {
        if old == new {
            return Ok(());
        }
        self.store.conn().execute(
            "UPDATE publishers SET seen = ?2 WHERE id = ?1",
            params![self.publisher, serde_json::to_string(new)?],
        )?;
        Ok(())
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
                .map_err(|_| Untrusted::Other("root metadata is not UTF-8".into()))?;
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
