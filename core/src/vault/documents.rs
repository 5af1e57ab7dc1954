//! Adding, listing, reading, updating and deleting documents.
//!
//! Content is streamed through [`CHUNK_SIZE`] buffers in both directions, so
//! memory stays bounded whatever a document's size; each add, replace,
//! update or delete is one SQLite transaction, so a process killed half-way
//! leaves the previous state.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::crypto::{self, CHUNK_SIZE, ChunkOpener, ChunkSealer, StreamHeader, random_bytes};
use super::keys::Session;
use super::labels::{CONTENT_AAD_DOMAIN, METADATA_AAD_DOMAIN};
use super::{
    DocumentId, DocumentInfo, DocumentMetadata, ExpiryReminder, Vault, mime_from_extension,
};
use crate::error::{Error, Result};

/// Sealed metadata is padded to a multiple of this, so its length does not
/// reveal the length of a title or name.
const METADATA_PAD: usize = 256;

/// What is encrypted in a document's metadata envelope; also a backup's
/// `metadata.json` (`crate::backup`), so the native library holds one
/// serializer and one parser for both.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredMetadata {
    #[serde(flatten)]
    pub metadata: DocumentMetadata,
    pub size: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Vault {
    /// Adds a document, streaming its content from `content`.
    ///
    /// Returns the new document's id. Nothing is stored unless the whole
    /// content was read and written.
    pub fn add_document(
        &self,
        metadata: DocumentMetadata,
        mut content: impl Read + Send,
    ) -> Result<DocumentId> {
        self.add_document_from(metadata, &mut content)
    }

    /// [`Vault::add_document`], compiled once for every kind of reader.
    fn add_document_from(
        &self,
        metadata: DocumentMetadata,
        content: &mut (dyn Read + Send),
    ) -> Result<DocumentId> {
        metadata.validate()?;
        let id = DocumentId(random_bytes()?);
        self.with_session(|conn, session| {
            // The write lock is taken before the file is written, so a
            // concurrent sweep never sees the file without its row.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version = 1;
            let header = StreamHeader::random()?;
            let size = self.blobs.write(&id, version, self.sealer(session, &header, &id, version), content)?;
            let now = self.clock.now();
            let stored = StoredMetadata {
                metadata,
                size,
                created_at: now,
                updated_at: now,
            };
            let committed = (|| {
                tx.execute(
                    "INSERT INTO documents (id, owner, version, metadata, header) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        id.as_bytes(),
                        session.owner_tag(&id),
                        version,
                        self.seal_metadata(session, &id, version, &stored)?,
                        header.to_bytes()
                    ],
                )?;
                Ok(tx.commit()?)
            })();
            if let Err(e) = &committed {
                self.discard_uncommitted(e, &id, version);
            }
            committed.map(|()| id)
        })
    }

    /// Adds a document whose content is in memory.
    pub fn add_document_bytes(
        &self,
        metadata: DocumentMetadata,
        content: &[u8],
    ) -> Result<DocumentId> {
        self.add_document(metadata, content)
    }

    /// Adds a document from a file, streamed. If the metadata's MIME type is
    /// the generic `application/octet-stream`, it is guessed from the file's
    /// extension.
    pub fn add_document_file(
        &self,
        mut metadata: DocumentMetadata,
        path: &Path,
    ) -> Result<DocumentId> {
        if metadata.mime_type == "application/octet-stream" {
            metadata.mime_type = mime_from_extension(path).to_owned();
        }
        // No BufReader: content is read straight into 64 KiB chunk buffers.
        self.add_document(metadata, File::open(path)?)
    }

    /// Replaces a document's content (a better scan, say), keeping its id and
    /// metadata. The content version goes up, so old chunks can never be
    /// mixed with new ones.
    pub fn replace_content(&self, id: &DocumentId, mut content: impl Read + Send) -> Result<()> {
        self.replace_content_from(id, &mut content)
    }

    /// [`Vault::replace_content`], compiled once for every kind of reader.
    fn replace_content_from(&self, id: &DocumentId, content: &mut (dyn Read + Send)) -> Result<()> {
        self.with_session(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (old_version, _, mut stored) = self.load(&tx, session, id)?;
            let version = old_version
                .checked_add(1)
                .ok_or_else(|| Error::invalid("too many versions"))?;
            let header = StreamHeader::random()?;
            stored.size = self.blobs.write(
                id,
                version,
                self.sealer(session, &header, id, version),
                content,
            )?;
            stored.updated_at = self.clock.now();
            let committed = (|| {
                tx.execute(
                    "UPDATE documents SET version = ?2, metadata = ?3, header = ?4 WHERE id = ?1",
                    params![
                        id.as_bytes(),
                        version,
                        self.seal_metadata(session, id, version, &stored)?,
                        header.to_bytes()
                    ],
                )?;
                Ok(tx.commit()?)
            })();
            match &committed {
                Ok(()) => self.blobs.remove(id, old_version),
                Err(e) => self.discard_uncommitted(e, id, version),
            }
            committed
        })
    }

    /// Every document of the unlocked vault, oldest first.
    pub fn list_documents(&self) -> Result<Vec<DocumentInfo>> {
        self.with_session(|conn, session| {
            let mut stmt = conn.prepare("SELECT id, owner, version, metadata FROM documents")?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let Ok(id) = <[u8; 16]>::try_from(row.get_ref(0)?.as_blob()?).map(DocumentId)
                else {
                    continue;
                };
                if row.get_ref(1)?.as_blob()? != session.owner_tag(&id) {
                    continue; // the other vault's, or not a document of ours
                }
                let stored =
                    self.open_metadata(session, &id, row.get(2)?, row.get_ref(3)?.as_blob()?)?;
                out.push(info(id, stored));
            }
            crate::sort::sort_by(&mut out, |a, b| {
                a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id))
            });
            Ok(out)
        })
    }

    /// One document's metadata.
    pub fn document(&self, id: &DocumentId) -> Result<DocumentInfo> {
        self.with_session(|conn, session| {
            let (_, _, stored) = self.load(conn, session, id)?;
            Ok(info(*id, stored))
        })
    }

    /// Streams a document's content into `out` and returns its size.
    ///
    /// Each 64 KiB chunk is authenticated before it is written, so `out`
    /// never receives altered bytes; but if a later chunk fails, `out` holds
    /// an authentic prefix that the caller MUST discard.
    /// [`Vault::export_document`] does that for files.
    pub fn read_document(&self, id: &DocumentId, mut out: impl Write) -> Result<u64> {
        self.read_document_into(id, &mut out)
    }

    /// [`Vault::read_document`], compiled once for every kind of writer.
    fn read_document_into(&self, id: &DocumentId, out: &mut dyn Write) -> Result<u64> {
        self.with_session(|conn, session| {
            let (version, header, stored) = self.load(conn, session, id)?;
            let opener = ChunkOpener::new(
                &session.content_key,
                &header,
                self.header().doc_aad(CONTENT_AAD_DOMAIN, id, version),
            );
            let written = self.blobs.read(id, version, opener, out)?;
            if written != stored.size {
                return Err(Error::Integrity("document size"));
            }
            out.flush()?;
            Ok(written)
        })
    }

    /// A document's content in memory (zeroized when dropped). For large
    /// documents prefer [`Vault::export_document`] or [`Vault::read_document`].
    pub fn read_document_bytes(&self, id: &DocumentId) -> Result<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(Vec::new());
        self.read_document(id, &mut *out)?;
        Ok(out)
    }

    /// Writes a document's content to the file `path`, atomically: the file
    /// appears complete or not at all (an integrity failure leaves no
    /// partial plaintext behind). Returns the size.
    pub fn export_document(&self, id: &DocumentId, path: &Path) -> Result<u64> {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // tempfile's creation errors name the path; ours never do (see
        // crate::error). The kind is kept (StorageFull still maps).
        let mut tmp = tempfile::Builder::new()
            .prefix(".waymark-export-")
            .tempfile_in(parent)
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        let size = {
            let mut w = std::io::BufWriter::with_capacity(CHUNK_SIZE, tmp.as_file_mut());
            let size = self.read_document(id, &mut w)?;
            w.flush()?;
            size
        };
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| Error::Io(e.error))?;
        Ok(size)
    }

    /// Replaces a document's metadata.
    pub fn update_metadata(
        &self,
        id: &DocumentId,
        metadata: DocumentMetadata,
    ) -> Result<DocumentInfo> {
        metadata.validate()?;
        self.with_session(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (version, _, mut stored) = self.load(&tx, session, id)?;
            stored.metadata = metadata;
            stored.updated_at = self.clock.now();
            tx.execute(
                "UPDATE documents SET metadata = ?2 WHERE id = ?1",
                params![
                    id.as_bytes(),
                    self.seal_metadata(session, id, version, &stored)?
                ],
            )?;
            tx.commit()?;
            Ok(info(*id, stored))
        })
    }

    /// Deletes a document. Its rows are overwritten in the database file
    /// (`secure_delete`) and the WAL is emptied afterwards.
    pub fn delete_document(&self, id: &DocumentId) -> Result<()> {
        self.with_session(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (version, _, _) = self.load(&tx, session, id)?;
            tx.execute("DELETE FROM documents WHERE id = ?1", [id.as_bytes()])?;
            tx.commit()?;
            self.blobs.remove(id, version);
            crate::storage::checkpoint_truncate(conn)
        })
    }

    /// Documents that expire within `within_days` days from today, and those
    /// already expired, soonest first.
    pub fn expiry_reminders(&self, within_days: u32) -> Result<Vec<ExpiryReminder>> {
        let today = self.clock.today();
        let mut out: Vec<ExpiryReminder> = self
            .list_documents()?
            .into_iter()
            .filter_map(|document| {
                let expires_on = document.metadata.expires_on?;
                let days_left = (expires_on - today).num_days();
                (days_left <= i64::from(within_days)).then_some(ExpiryReminder {
                    expires_on,
                    days_left,
                    expired: days_left < 0,
                    document,
                })
            })
            .collect();
        crate::sort::sort_by(&mut out, |a, b| {
            a.expires_on
                .cmp(&b.expires_on)
                .then_with(|| a.document.metadata.title.cmp(&b.document.metadata.title))
        });
        Ok(out)
    }

    /// Adds documents from a backup (`crate::backup`), all in one
    /// transaction: `f` calls [`DocumentImport::add`] for each, and if `f`
    /// or the commit fails, nothing of it stays (rows rolled back, content
    /// files removed).
    pub(crate) fn import_documents<T>(
        &self,
        f: impl FnOnce(&mut DocumentImport<'_>) -> Result<T>,
    ) -> Result<T> {
        self.with_session(|conn, session| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut import = DocumentImport {
                vault: self,
                tx: &tx,
                session,
                written: Vec::new(),
            };
            let result = f(&mut import);
            let written = std::mem::take(&mut import.written);
            let committed = result.and_then(|t| {
                tx.commit()?;
                Ok(t)
            });
            if let Err(e) = &committed {
                for (id, version) in &written {
                    self.discard_uncommitted(e, id, *version);
                }
            }
            committed
        })
    }

    /// After a write transaction failed with `error`: removes the content
    /// file it wrote, unless the disk failed (an fsync error during the
    /// commit, say). Then whether the commit happened is unknown: SQLite
    /// finds a commit whose WAL frames were written at the next open even
    /// though the fsync failed. The file stays, so a row never lacks its
    /// content; the sweep at the next open removes it if no row refers to
    /// it.
    fn discard_uncommitted(&self, error: &Error, id: &DocumentId, version: u32) {
        if !error.is_storage_failure() {
            self.blobs.remove(id, version);
        }
    }

    // ----- internals -------------------------------------------------------

    fn sealer(
        &self,
        session: &Session,
        header: &StreamHeader,
        id: &DocumentId,
        version: u32,
    ) -> ChunkSealer {
        ChunkSealer::new(
            &session.content_key,
            header,
            self.header().doc_aad(CONTENT_AAD_DOMAIN, id, version),
        )
    }

    fn seal_metadata(
        &self,
        session: &Session,
        id: &DocumentId,
        version: u32,
        stored: &StoredMetadata,
    ) -> Result<Vec<u8>> {
        let mut json = Zeroizing::new(serde_json::to_vec(stored)?);
        // JSON ignores trailing whitespace: pad so lengths reveal little.
        let padded = json.len().div_ceil(METADATA_PAD) * METADATA_PAD;
        json.resize(padded, b' ');
        crypto::seal(
            &session.meta_key,
            &self.header().doc_aad(METADATA_AAD_DOMAIN, id, version),
            &json,
        )
    }

    fn open_metadata(
        &self,
        session: &Session,
        id: &DocumentId,
        version: u32,
        sealed: &[u8],
    ) -> Result<StoredMetadata> {
        let json = crypto::open(
            &session.meta_key,
            &self.header().doc_aad(METADATA_AAD_DOMAIN, id, version),
            sealed,
            "document metadata",
        )?;
        serde_json::from_slice(&json).map_err(|_| Error::Integrity("document metadata"))
    }

    /// Loads a document row of the unlocked vault. Documents of the other
    /// vault are reported as not found, exactly like missing ones.
    fn load(
        &self,
        conn: &Connection,
        session: &Session,
        id: &DocumentId,
    ) -> Result<(u32, StreamHeader, StoredMetadata)> {
        struct Row {
            owner: Vec<u8>,
            version: u32,
            sealed: Vec<u8>,
            header: Vec<u8>,
        }
        let row = conn
            .query_row(
                "SELECT owner, version, metadata, header FROM documents WHERE id = ?1",
                [id.as_bytes()],
                |r| {
                    Ok(Row {
                        owner: r.get(0)?,
                        version: r.get(1)?,
                        sealed: r.get(2)?,
                        header: r.get(3)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound("document"))?;
        let Row {
            owner,
            version,
            sealed,
            header,
        } = row;
        if owner != session.owner_tag(id) {
            return Err(Error::NotFound("document"));
        }
        let stored = self.open_metadata(session, id, version, &sealed)?;
        Ok((version, StreamHeader::from_bytes(&header)?, stored))
    }
}

fn info(id: DocumentId, s: StoredMetadata) -> DocumentInfo {
    DocumentInfo {
        id,
        metadata: s.metadata,
        size: s.size,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

/// A document as a backup carries it, for [`DocumentImport::add`]: its id
/// and its metadata file (whose `size` is the content's, checked).
pub(crate) struct ImportedDocument {
    pub id: DocumentId,
    pub stored: StoredMetadata,
}

/// What [`DocumentImport::add`] did with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImportOutcome {
    /// Added, under this id (the backup's, unless that id was taken).
    Added(DocumentId),
    /// This vault has the document already: same id, same last change.
    AlreadyPresent,
    /// This vault has the document with another last change: the backup's
    /// version was added beside it, under this id.
    KeptBoth(DocumentId),
}

/// One import transaction; see [`Vault::import_documents`].
pub(crate) struct DocumentImport<'a> {
    vault: &'a Vault,
    tx: &'a rusqlite::Transaction<'a>,
    session: &'a Session,
    /// Content files written, removed if the transaction does not commit.
    written: Vec<(DocumentId, u32)>,
}

/// Whose a document id is.
enum Holder {
    Nobody,
    /// This vault's, last changed then.
    Us(DateTime<Utc>),
    /// Another vault's (a decoy's, or the vault above a decoy).
    Other,
}

impl DocumentImport<'_> {
    /// Adds one document, streaming its content from `content`, unless the
    /// vault has it already.
    ///
    /// The backup's id is kept, so a second import of the same backup adds
    /// nothing. A document of this vault with the same id but another last
    /// change is kept, and the backup's version added beside it under an id
    /// derived from both (so that is idempotent too). An id held by another
    /// vault in the same file (the decoy's or, from a decoy, the real
    /// vault's) is never reported: the document gets a fresh random id,
    /// as if the id were free, so an import never tells one vault of the
    /// other.
    pub(crate) fn add(
        &mut self,
        doc: ImportedDocument,
        content: &mut (dyn Read + Send),
    ) -> Result<ImportOutcome> {
        doc.stored.metadata.validate()?;
        let updated_at = doc.stored.updated_at;
        let mut id = doc.id;
        let mut kept_both = false;
        loop {
            match self.holder(&id)? {
                Holder::Nobody => break,
                Holder::Us(updated) if updated == updated_at => {
                    return Ok(ImportOutcome::AlreadyPresent);
                }
                Holder::Us(_) if !kept_both => {
                    id = conflict_id(&doc.id, &updated_at);
                    kept_both = true;
                }
                Holder::Us(_) | Holder::Other => {
                    id = DocumentId(random_bytes()?);
                }
            }
        }
        let vault = self.vault;
        let version = 1;
        let header = StreamHeader::random()?;
        self.written.push((id, version));
        let size = vault.blobs.write(
            &id,
            version,
            vault.sealer(self.session, &header, &id, version),
            content,
        )?;
        if size != doc.stored.size {
            return Err(Error::invalid(
                "not a valid backup: a document's size is wrong",
            ));
        }
        let stored = doc.stored;
        self.tx.execute(
            "INSERT INTO documents (id, owner, version, metadata, header) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id.as_bytes(),
                self.session.owner_tag(&id),
                version,
                vault.seal_metadata(self.session, &id, version, &stored)?,
                header.to_bytes()
            ],
        )?;
        Ok(if kept_both {
            ImportOutcome::KeptBoth(id)
        } else {
            ImportOutcome::Added(id)
        })
    }

    fn holder(&self, id: &DocumentId) -> Result<Holder> {
        let row: Option<(Vec<u8>, u32, Vec<u8>)> = self
            .tx
            .query_row(
                "SELECT owner, version, metadata FROM documents WHERE id = ?1",
                [id.as_bytes()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(match row {
            None => Holder::Nobody,
            Some((owner, _, _)) if owner != self.session.owner_tag(id) => Holder::Other,
            Some((_, version, sealed)) => Holder::Us(
                self.vault
                    .open_metadata(self.session, id, version, &sealed)?
                    .updated_at,
            ),
        })
    }
}

/// The id of a backup's version of a document kept beside this vault's:
/// SHA-256 of the backup's id and last change, cut to 16 bytes.
fn conflict_id(id: &DocumentId, updated_at: &DateTime<Utc>) -> DocumentId {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"waymark backup conflict\0");
    h.update(id.as_bytes());
    h.update(updated_at.to_rfc3339().as_bytes());
    let digest = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    DocumentId(out)
}
