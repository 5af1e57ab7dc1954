//! Sharing an installed pack with another phone as a bundle (format 2):
//! the pack's content rebuilt from the installed entries and checked
//! against the digest its publisher signed, with the metadata this phone
//! trusts.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::format::{BundleInfo, FORMAT_CONTENT, add_file, add_reader, content_name};
use crate::content::lexicon::Lexicon;
use crate::content::metadata::PublisherMetadata;
use crate::content::model::PackManifest;
use crate::content::order::entry_rows;
use crate::content::pack::PackWriter;
use crate::content::store::ContentStore;
use crate::content::target::{PackTargetCustom, checked_content};
use crate::error::{ContentOrigin, Error, Oversized, Result, Untrusted};
use crate::storage::json_from_text;
use crate::tuf::{
    Envelope, Fetched, MetaList, MetadataStore, Overlay, Remote, Root, Targets, Updater,
    escape_role,
};

/// What [`ContentStore::export_pack`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedPack {
    /// The publisher's id.
    pub publisher: String,
    /// The pack's id.
    pub pack: String,
    /// Its version.
    pub version: u64,
    /// The bundle's size in bytes.
    pub bytes: u64,
    /// Until when another phone can install it: the earliest expiry of
    /// the signed metadata it carries.
    pub valid_until: chrono::DateTime<chrono::Utc>,
}

/// Serves the metadata this phone keeps for a publisher to an [`Updater`],
/// and notes each file served: exactly what the receiving phone will need.
struct StoredRemote<'s> {
    metadata: &'s PublisherMetadata<'s>,
    served: Vec<(String, Vec<u8>)>,
}

impl StoredRemote<'_> {
    /// The stored timestamp, or the offline one when it is the same version
    /// and lives longer.
    fn timestamp(&self) -> Result<Option<Vec<u8>>> {
        let stored = self.metadata.load("timestamp")?;
        let offline = self.metadata.offline_timestamp()?;
        let read = |b: &Option<Vec<u8>>| -> Option<MetaList> {
            Envelope::parse(b.as_deref()?).ok()?.read("timestamp").ok()
        };
        Ok(match (read(&stored), read(&offline)) {
            (Some(s), Some(o)) if o.version == s.version && o.expires > s.expires => offline,
            _ => stored,
        })
    }
}

impl Remote for StoredRemote<'_> {
    fn fetch(&mut self, name: &str, max: u64, _etag: Option<&str>) -> Result<Fetched> {
        if name.ends_with(".root.json") {
            // The root chain goes into the bundle whole (see export_pack).
            return Ok(Fetched::NotFound);
        }
        let escaped = name.strip_suffix(".json").unwrap_or(name);
        let escaped = escaped
            .split_once('.')
            .filter(|(v, _)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .map_or(escaped, |(_, r)| r);
        let (bytes, path) = match escaped {
            "timestamp" => (self.timestamp()?, "metadata/timestamp.json".to_owned()),
            "snapshot" | "targets" => (
                self.metadata.load(escaped)?,
                format!("metadata/{escaped}.json"),
            ),
            delegated => {
                let role = percent_encoding::percent_decode_str(delegated)
                    .decode_utf8()
                    .map_err(|_| Untrusted::Other("a role name is not UTF-8".into()))?;
                (
                    self.metadata.load(&role)?,
                    format!("metadata/delegated/{}.json", escape_role(&role)),
                )
            }
        };
        match bytes {
            Some(b) if b.len() as u64 <= max => {
                self.served.push((path, b.clone()));
                Ok(Fetched::Body {
                    bytes: b,
                    etag: None,
                })
            }
            Some(_) => Err(Untrusted::TooLarge(Oversized::Named {
                what: "stored metadata",
            })
            .into()),
            None => Ok(Fetched::NotFound),
        }
    }
}

impl ContentStore {
    /// Writes an installed pack, with its publisher's signed metadata, to
    /// `out` as one file another phone installs with
    /// [`Self::install_bundle`], verifying it with no server.
    ///
    /// The bundle carries the pack's content rebuilt from the installed
    /// entries, checked here against the content digest the publisher
    /// signed, and the metadata this phone trusts: the root chain it has
    /// followed, the timestamp (the publisher's longer-lived offline one
    /// when it has it), snapshot, targets and the delegated roles on the
    /// way to the pack. Another phone can install it until
    /// [`ExportedPack::valid_until`].
    ///
    /// Refused, with nothing written: a pack that is not installed, a pack
    /// whose publisher now signs a newer version (update it first), a pack
    /// whose publisher signed no content digest, and metadata that has
    /// expired (sync first).
    pub fn export_pack(&self, publisher: &str, pack_id: &str, out: &Path) -> Result<ExportedPack> {
        let (row, manifest) = self
            .conn()
            .query_row(
                "SELECT id, manifest FROM packs WHERE publisher = ?1 AND pack_id = ?2",
                params![publisher, pack_id],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
            .ok_or(Error::NotFound("installed pack"))?;
        let manifest_line = manifest;
        let manifest: PackManifest = json_from_text(&manifest_line)?;
        let (root, seen) = self.trust_state(publisher)?;
        let stored = PublisherMetadata::new(self, publisher);
        let mut remote = StoredRemote {
            metadata: &stored,
            served: Vec::new(),
        };
        let target_path = format!("packs/{pack_id}.wmpack");
        let mut scratch = Overlay::with_root(&root);
        let target = {
            let mut up = Updater::new(&mut remote, &mut scratch, self.clock().now(), seen)?;
            up.refresh().map_err(|e| Untrusted::NotShareable {
                reason: e.to_string(),
            })?;
            up.target(&target_path)?
                .ok_or_else(|| Untrusted::NoLongerSigned {
                    target: target_path.clone(),
                })?
        };
        let custom = PackTargetCustom::of(&target)
            .ok_or_else(|| Untrusted::Other("the pack's signed target is not a pack".into()))?;
        if custom.version != manifest.version {
            return Err(Error::invalid(format!(
                "version {} is installed but the publisher now signs version {}: update \
                 the pack before sharing it",
                manifest.version, custom.version
            )));
        }
        let expected = custom.content.ok_or(Untrusted::NoContentDigest {
            of: ContentOrigin::Installed,
        })?;
        let valid_until = served_expiry(&remote.served, &root)?;

        // The content, rebuilt from the entries and checked before it is
        // compressed into the bundle.
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let plain = tempfile::tempfile_in(self.dir())
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        let plain = checked_content(plain, &expected, ContentOrigin::Installed, |out| {
            self.write_content(row, manifest_line.as_bytes(), out)
        })
        .map_err(|e| match e {
            Error::Untrusted(
                Untrusted::ContentTooLong { .. } | Untrusted::ContentMismatch { .. },
            ) => Error::Integrity("the installed pack differs from what its publisher signed"),
            e => e,
        })?;
        let mut compressed = tempfile::tempfile_in(self.dir())
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        compress(BufReader::new(plain), &mut compressed)?;
        let compressed_len = compressed.stream_position()?;
        compressed.seek(SeekFrom::Start(0))?;

        let tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        let mut tar = tar::Builder::new(BufWriter::new(tmp));
        let info = BundleInfo {
            format: FORMAT_CONTENT,
            publisher: publisher.to_owned(),
            target: target_path.clone(),
        };
        add_file(&mut tar, "bundle.json", &serde_json::to_vec_pretty(&info)?)?;
        for (version, root) in stored.roots()? {
            add_file(
                &mut tar,
                &format!("metadata/root/{version}.root.json"),
                &root,
            )?;
        }
        let mut written = std::collections::HashSet::new();
        for (path, bytes) in &remote.served {
            if written.insert(path.clone()) {
                add_file(&mut tar, path, bytes)?;
            }
        }
        add_reader(
            &mut tar,
            &content_name(&target_path),
            compressed_len,
            BufReader::new(compressed),
        )?;
        let tmp = tar
            .into_inner()?
            .into_inner()
            .map_err(|e| Error::Io(e.into_error()))?;
        tmp.as_file().sync_all()?;
        let bytes = tmp.as_file().metadata()?.len();
        tmp.persist(out)
            .map_err(|e| Error::Io(std::io::Error::from(e.error.kind())))?;
        Ok(ExportedPack {
            publisher: publisher.to_owned(),
            pack: pack_id.to_owned(),
            version: manifest.version,
            bytes,
            valid_until,
        })
    }

    /// Writes an installed pack's content as its publisher built it: the
    /// manifest line as stored, then each entry's line in pack order.
    fn write_content(&self, row: i64, manifest_line: &[u8], out: &mut dyn Write) -> Result<()> {
        let mut pack = PackWriter::with_manifest_line(out, manifest_line)?;
        let conn = self.conn();
        // The lexicon and the entries of one snapshot.
        let conn = conn.unchecked_transaction()?;
        let lexicon = Lexicon::read(&conn, row)?;
        let mut body = conn.prepare("SELECT body FROM entries WHERE id = ?1")?;
        let mut line = String::new();
        for entry in entry_rows(&conn, row)? {
            let mut rows = body.query([entry])?;
            let r = rows.next()?.ok_or(Error::Integrity("entry order"))?;
            let coded = r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
            lexicon.decode_into(coded, &mut line)?;
            pack.entry_line(line.as_bytes())?;
        }
        pack.finish()?;
        Ok(())
    }
}

/// The earliest expiry among the metadata served and the root.
fn served_expiry(
    served: &[(String, Vec<u8>)],
    root: &[u8],
) -> Result<chrono::DateTime<chrono::Utc>> {
    let mut earliest = Envelope::parse(root)?.read::<Root>("root")?.expires;
    for (path, bytes) in served {
        let env = Envelope::parse(bytes)?;
        let expires = match path.as_str() {
            "metadata/timestamp.json" => env.read::<MetaList>("timestamp")?.expires,
            "metadata/snapshot.json" => env.read::<MetaList>("snapshot")?.expires,
            _ => env.read::<Targets>("targets")?.expires,
        };
        earliest = earliest.min(expires);
    }
    Ok(earliest)
}

/// Compresses `plain` into `out` as one zstd frame (the pure-Rust encoder,
/// at its fastest level: a phone shares packs, it does not publish them).
/// The encoder cannot report I/O errors, so they are caught on the way and
/// returned afterwards.
fn compress(plain: impl Read, out: &mut File) -> Result<()> {
    let mut source = Latched::new(plain);
    let mut drain = Latched::new(BufWriter::new(&mut *out));
    ruzstd::encoding::compress(
        &mut source,
        &mut drain,
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    if let Some(e) = source.error.take().or(drain.error.take()) {
        return Err(Error::Io(e));
    }
    drain.inner.flush()?;
    Ok(())
}

/// A reader or writer that turns its first error into end of input (or a
/// swallowed write) and keeps it for later.
struct Latched<T> {
    inner: T,
    error: Option<std::io::Error>,
}

impl<T> Latched<T> {
    fn new(inner: T) -> Self {
        Latched { inner, error: None }
    }
}

impl<R: Read> Read for Latched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.error.is_some() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(0),
            Err(e) => {
                self.error = Some(e);
                Ok(0)
            }
        }
    }
}

impl<W: Write> Write for Latched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_none()
            && let Err(e) = self.inner.write_all(buf)
        {
            self.error = Some(e);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.error.is_none()
            && let Err(e) = self.inner.flush()
        {
            self.error = Some(e);
        }
        Ok(())
    }
}
