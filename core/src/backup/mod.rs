//! Backup files: the vault's documents as one standard age file
//! (<https://age-encryption.org/v1>), readable with the `age` and `tar`
//! command-line tools alone, and importable into any vault.
//!
//! ```
//! use waymark_core::backup::{self, BackupRecipients};
//! use waymark_core::vault::{DocumentKind, DocumentMetadata, Vault, VaultOptions};
//! # let dir = tempfile::tempdir().unwrap();
//! # let options = VaultOptions::for_tests();
//! let (vault, _code) = Vault::create(dir.path(), "correct horse", options).unwrap();
//! vault.add_document_bytes(DocumentMetadata::new(DocumentKind::Passport, "Passport"), b"scan").unwrap();
//! let to = BackupRecipients::passphrase_with_work_factor("a long backup passphrase", 10);
//! let mut file = Vec::new();
//! backup::export(&vault, None, &to, &mut file).unwrap();
//! # let dir2 = tempfile::tempdir().unwrap();
//! # let (new_phone, _) = Vault::create(dir2.path(), "another one", VaultOptions::for_tests()).unwrap();
//! let summary = backup::import(&new_phone, &file[..], &[backup::Identity::passphrase("a long backup passphrase")]).unwrap();
//! assert_eq!(summary.imported.len(), 1);
//! ```
//!
//! # The file
//!
//! An age v1 file, encrypted either to one passphrase (an age `scrypt`
//! recipient, work factor [`BACKUP_SCRYPT_LOG_N`]) or to one or more X25519
//! public keys (`age1…`: a caseworker's, a lawyer's, a relative's). Its
//! plaintext is a POSIX tar archive (ustar), laid out so that
//! `age -d backup.age | tar x` gives a person their documents:
//!
//! ```text
//! waymark-backup.json                     the manifest, always first
//! documents/<id>/metadata.json            one document's metadata, before its content
//! documents/<id>/<title>.<ext>            its content, byte for byte
//! ```
//!
//! `<id>` is the document's id (32 hex digits); `<title>` is its title with
//! characters that are unsafe in file names replaced by `_`, cut to 48
//! bytes; `<ext>` follows the MIME type (`pdf`, `jpg`, `png`, …, `bin`
//! when unknown). The manifest (see [`Manifest`]) says the format and
//! version, when the backup was made, and each document's id, kind, title
//! and the two paths; `metadata.json` holds every metadata field, the size
//! and the creation and last change times. JSON field names are stable:
//! format version [`FORMAT_VERSION`] only ever gains fields.
//!
//! # Import
//!
//! Into an open, unlocked vault, in one transaction: a malformed, altered,
//! truncated or wrong-key file changes nothing. A document the vault has
//! already (same id and same last change) is skipped, so importing a
//! backup twice adds nothing; one with the same id but another last change
//! is kept and the backup's version added beside it. Passphrase files with
//! any work factor up to [`age::MAX_SCRYPT_LOG_N`] open, so a file written
//! by `age -p` (work factor 18) imports too.
//!
//! # The duress passphrase
//!
//! A backup contains the documents of the vault that is open, read through
//! its own document functions: one made while a decoy is open holds the
//! decoy's documents only, and nothing about the real vault (not even
//! that it exists). An import into a decoy never reveals that a document
//! id is taken by the real vault (see `vault::DocumentImport::add`).
//!
//! # Later
//!
//! Remote backup (S3, WebDAV) will build on this module: the vault stays
//! free of network code, and this module depends on the vault. Its restore
//! with the passphrase or the recovery code will carry the data key
//! wrapped as the vault's own slots are; age files keep age's own
//! recipients, so any age implementation reads them.

pub mod age;
pub mod remote;

use std::collections::HashMap;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use self::age::{AgeError, X25519Identity, X25519Recipient};
use self::age::{Decryptor, Encryptor, Recipient};
use crate::error::{Error, Result};
use crate::vault::{
    DocumentId, DocumentInfo, DocumentKind, ImportOutcome, ImportedDocument, MIN_PASSPHRASE_CHARS,
    StoredMetadata, Vault,
};

/// The scrypt work factor (log2 N) of the backups Waymark writes to a
/// passphrase: 2^16 × 1 KiB = 64 MiB of memory, the same ceiling as the
/// vault's own Argon2id (a 1 GB phone must manage it with the app in the
/// foreground). age's default, 18, needs 256 MiB, which a low-end phone may
/// not give one app. The time measured is in ARCHITECTURE.md.
pub const BACKUP_SCRYPT_LOG_N: u8 = 16;

/// The manifest's format name.
pub const FORMAT_NAME: &str = "waymark-backup";
/// The manifest's format version written by this code.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's path in the archive.
pub const MANIFEST_PATH: &str = "waymark-backup.json";

/// The largest manifest or metadata file read on import.
const MAX_JSON: u64 = 16 * 1024 * 1024;
/// The longest file name stem made from a title, in bytes (the whole path
/// then fits the ustar header's 100 bytes).
const MAX_STEM: usize = 48;

/// Who can open a backup file.
#[derive(Clone)]
pub struct BackupRecipients(Vec<Recipient>);

impl BackupRecipients {
    /// A passphrase (age's scrypt recipient, work factor
    /// [`BACKUP_SCRYPT_LOG_N`]).
    pub fn passphrase(passphrase: &str) -> Self {
        Self::passphrase_with_work_factor(passphrase, BACKUP_SCRYPT_LOG_N)
    }

    /// A passphrase with another scrypt work factor (tests use a low one).
    pub fn passphrase_with_work_factor(passphrase: &str, log_n: u8) -> Self {
        BackupRecipients(vec![Recipient::Passphrase {
            passphrase: Zeroizing::new(passphrase.to_owned()),
            log_n,
        }])
    }

    /// One or more X25519 public keys (`age1…`).
    pub fn keys(keys: &[X25519Recipient]) -> Self {
        BackupRecipients(keys.iter().map(|k| Recipient::X25519(*k)).collect())
    }
}

/// What can open a backup file on import.
pub type Identity = age::Identity;

impl age::Identity {
    /// A passphrase.
    pub fn passphrase(passphrase: &str) -> Self {
        age::Identity::Passphrase(Zeroizing::new(passphrase.to_owned()))
    }
}

/// The archive's first file, `waymark-backup.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written by this code.
    pub version: u32,
    /// When the backup was made.
    pub created_at: DateTime<Utc>,
    /// The documents, in the order of the archive.
    pub documents: Vec<ManifestEntry>,
}

/// One document in the [`Manifest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The document's id.
    pub id: DocumentId,
    /// Its kind.
    pub kind: DocumentKind,
    /// Its title.
    pub title: String,
    /// Its content's size in bytes.
    pub size: u64,
    /// The path of its content in the archive.
    pub content: String,
    /// The path of its `metadata.json` in the archive.
    pub metadata: String,
}

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// Documents written.
    pub documents: usize,
    /// Their content's total size in bytes.
    pub content_bytes: u64,
}

/// What [`import`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Documents added (their ids in this vault).
    pub imported: Vec<DocumentId>,
    /// Documents skipped because the vault has them already.
    pub skipped: Vec<DocumentId>,
    /// Documents the vault has with another last change: the backup's
    /// version was added beside the vault's (its id in this vault).
    pub kept_both: Vec<DocumentId>,
}

/// Writes a backup of the unlocked vault's documents (all of them, or
/// those of `only`) to `out`, streaming: memory stays a few chunks whatever
/// the documents' sizes.
///
/// If this fails, what was written to `out` is not a valid backup and MUST
/// be discarded; [`export_to_file`] does that.
pub fn export(
    vault: &Vault,
    only: Option<&[DocumentId]>,
    to: &BackupRecipients,
    mut out: impl Write,
) -> Result<ExportSummary> {
    export_into(vault, only, to, &mut out)
}

/// [`export`], compiled once for every kind of writer.
fn export_into(
    vault: &Vault,
    only: Option<&[DocumentId]>,
    to: &BackupRecipients,
    out: &mut dyn Write,
) -> Result<ExportSummary> {
    for r in &to.0 {
        if let Recipient::Passphrase { passphrase, .. } = r
            && passphrase.chars().count() < MIN_PASSPHRASE_CHARS
        {
            return Err(Error::invalid(format!(
                "a backup passphrase needs at least {MIN_PASSPHRASE_CHARS} characters"
            )));
        }
    }
    let documents = match only {
        None => vault.list_documents()?,
        Some(ids) => {
            let mut seen = std::collections::HashSet::new();
            ids.iter()
                .filter(|id| seen.insert(**id))
                .map(|id| vault.document(id))
                .collect::<Result<Vec<_>>>()?
        }
    };
    let entries: Vec<ManifestEntry> = documents.iter().map(manifest_entry).collect();
    let manifest = Manifest {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        created_at: Utc::now(),
        documents: entries.clone(),
    };
    let mut age = Encryptor::new(&to.0, out).map_err(age_error)?;
    let mut tar = TarWriter { out: &mut age };
    tar.file(
        MANIFEST_PATH,
        &Zeroizing::new(serde_json::to_vec(&manifest)?),
        manifest.created_at,
    )?;
    let mut content_bytes = 0;
    for (doc, entry) in documents.iter().zip(&entries) {
        let file = StoredMetadata {
            metadata: doc.metadata.clone(),
            size: doc.size,
            created_at: doc.created_at,
            updated_at: doc.updated_at,
        };
        tar.file(
            &entry.metadata,
            &Zeroizing::new(serde_json::to_vec(&file)?),
            doc.updated_at,
        )?;
        tar.header(&entry.content, doc.size, doc.updated_at)?;
        let written = vault.read_document(&doc.id, &mut *tar.out)?;
        if written != doc.size {
            return Err(Error::Integrity("document size"));
        }
        tar.pad(doc.size)?;
        content_bytes += doc.size;
    }
    // The end of a tar archive: two zero blocks.
    tar.out.write_all(&[0; 1024])?;
    age.finish()?;
    Ok(ExportSummary {
        documents: documents.len(),
        content_bytes,
    })
}

/// [`export`] to the file `path`, atomically: the file appears complete or
/// not at all.
pub fn export_to_file(
    vault: &Vault,
    only: Option<&[DocumentId]>,
    to: &BackupRecipients,
    path: &Path,
) -> Result<ExportSummary> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // tempfile's errors name the path; ours never do (see crate::error).
    let mut tmp = tempfile::Builder::new()
        .prefix(".waymark-backup-")
        .tempfile_in(parent)
        .map_err(|e| Error::Io(io::Error::from(e.kind())))?;
    let summary = {
        let w = io::BufWriter::with_capacity(age::CHUNK_SIZE, tmp.as_file_mut());
        export(vault, only, to, w)?
    };
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| Error::Io(e.error))?;
    Ok(summary)
}

/// Imports a backup file read from `input` into the unlocked vault,
/// opening it with the first of `identities` that matches. All or
/// nothing: any failure leaves the vault as it was.
pub fn import(
    vault: &Vault,
    mut input: impl Read + Send,
    identities: &[Identity],
) -> Result<ImportSummary> {
    import_from(vault, &mut input, identities)
}

/// [`import`], compiled once for every kind of reader.
fn import_from(
    vault: &Vault,
    input: &mut (dyn Read + Send),
    identities: &[Identity],
) -> Result<ImportSummary> {
    let decryptor = Decryptor::new(BufReader::with_capacity(age::CHUNK_SIZE, input), identities)
        .map_err(age_error)?;
    vault.import_documents(|import| {
        let mut tar = TarReader { input: decryptor };
        let mut summary = ImportSummary::default();
        let (path, size) = tar
            .next_entry()?
            .ok_or_else(|| malformed("the archive is empty"))?;
        if path != MANIFEST_PATH {
            return Err(malformed("the manifest is not the first file"));
        }
        let manifest: Manifest = read_json(tar.content(size), "the manifest")?;
        tar.skip_padding(size)?;
        if manifest.format != FORMAT_NAME {
            return Err(malformed("not a Waymark backup"));
        }
        if manifest.version == 0 || manifest.version > FORMAT_VERSION {
            return Err(Error::UnsupportedFormat(format!(
                "backup format version {} (this version of Waymark reads up to {FORMAT_VERSION})",
                manifest.version
            )));
        }
        let by_metadata: HashMap<&str, &ManifestEntry> = manifest
            .documents
            .iter()
            .map(|e| (e.metadata.as_str(), e))
            .collect();
        let mut pending: Option<(&ManifestEntry, StoredMetadata)> = None;
        let mut done = 0usize;
        while let Some((path, size)) = tar.next_entry()? {
            if let Some((listed, file)) = pending.take() {
                if path != listed.content || size != file.size {
                    return Err(malformed(
                        "a document's content does not follow its metadata",
                    ));
                }
                let doc = ImportedDocument {
                    id: listed.id,
                    stored: file,
                };
                let mut content = tar.content(size);
                let outcome = import.add(doc, &mut content).map_err(reading_error)?;
                // A skipped document's content is read past, not stored.
                io::copy(&mut content, &mut io::sink()).map_err(archive_error)?;
                match outcome {
                    ImportOutcome::Added(id) => summary.imported.push(id),
                    ImportOutcome::AlreadyPresent => summary.skipped.push(listed.id),
                    ImportOutcome::KeptBoth(id) => summary.kept_both.push(id),
                }
                done += 1;
            } else if let Some(listed) = by_metadata.get(path.as_str()) {
                let file: StoredMetadata = read_json(tar.content(size), "a document's metadata")?;
                pending = Some((listed, file));
            } else {
                return Err(malformed(
                    "the archive holds a file the manifest does not list",
                ));
            }
            tar.skip_padding(size)?;
        }
        if pending.is_some() || done != manifest.documents.len() {
            return Err(malformed("documents listed in the manifest are missing"));
        }
        // Read the age stream to its end: its final chunk's tag is what
        // proves the file was not truncated after the tar's end.
        io::copy(&mut tar.input, &mut io::sink()).map_err(archive_error)?;
        Ok(summary)
    })
}

/// [`import`] from the file `path`.
pub fn import_file(vault: &Vault, path: &Path, identities: &[Identity]) -> Result<ImportSummary> {
    import(vault, std::fs::File::open(path)?, identities)
}

fn manifest_entry(doc: &DocumentInfo) -> ManifestEntry {
    let dir = format!("documents/{}", doc.id);
    ManifestEntry {
        id: doc.id,
        kind: doc.metadata.kind,
        title: doc.metadata.title.clone(),
        size: doc.size,
        content: format!(
            "{dir}/{}.{}",
            file_stem(&doc.metadata.title),
            extension(&doc.metadata.mime_type)
        ),
        metadata: format!("{dir}/metadata.json"),
    }
}

/// A title as a file name: letters, digits, space, `-` and `_` kept,
/// anything else (path separators, dots, control characters) `_`, cut to
/// [`MAX_STEM`] bytes on a character boundary.
fn file_stem(title: &str) -> String {
    let mut stem = String::new();
    for c in title.trim().chars() {
        let c = if c.is_alphanumeric() || c == ' ' || c == '-' || c == '_' {
            c
        } else {
            '_'
        };
        if stem.len() + c.len_utf8() > MAX_STEM {
            break;
        }
        stem.push(c);
    }
    let stem = stem.trim().to_owned();
    if stem.is_empty() {
        "document".into()
    } else {
        stem
    }
}

fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/gif" => "gif",
        "image/tiff" => "tif",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// Writes ustar entries straight to the age stream, so a document's
/// content goes from the vault to the file without being held in memory
/// (the `tar` crate's builder wants a reader, the vault gives a writer).
struct TarWriter<'a, W: Write> {
    out: &'a mut W,
}

impl<W: Write> TarWriter<'_, W> {
    /// A regular file's header; `mtime` so that `tar x` dates the files.
    fn header(&mut self, path: &str, size: u64, mtime: DateTime<Utc>) -> Result<()> {
        let mut header = tar::Header::new_ustar();
        header
            .set_path(path)
            .map_err(|_| Error::invalid("a backup path is too long"))?;
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(u64::try_from(mtime.timestamp()).unwrap_or(0));
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        self.out.write_all(header.as_bytes())?;
        Ok(())
    }

    fn pad(&mut self, size: u64) -> Result<()> {
        let rest = (512 - size % 512) % 512;
        self.out.write_all(&[0; 512][..rest as usize])?;
        Ok(())
    }

    fn file(&mut self, path: &str, data: &[u8], mtime: DateTime<Utc>) -> Result<()> {
        self.header(path, data.len() as u64, mtime)?;
        self.out.write_all(data)?;
        self.pad(data.len() as u64)
    }
}

/// Reads the ustar entries [`TarWriter`] writes (regular files; directory
/// entries, which `tar` itself may add, are passed over), straight from the
/// age stream. The `tar` crate parses each header; its archive reader is
/// not used because its entries cannot be handed to the vault's writer
/// thread (they are not `Send`).
struct TarReader<R: Read> {
    input: R,
}

impl<R: Read> TarReader<R> {
    /// The next file's path and size, or `None` at the end of the archive.
    fn next_entry(&mut self) -> Result<Option<(String, u64)>> {
        loop {
            let mut block = [0u8; 512];
            self.input.read_exact(&mut block).map_err(archive_error)?;
            if block.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            let header = tar::Header::from_byte_slice(&block);
            let stored = header
                .cksum()
                .map_err(|_| malformed("a tar header is damaged"))?;
            let computed: u32 = block
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        u32::from(b' ')
                    } else {
                        u32::from(b)
                    }
                })
                .sum();
            if stored != computed {
                return Err(malformed("a tar header is damaged"));
            }
            let size = header
                .entry_size()
                .map_err(|_| malformed("a tar header is damaged"))?;
            match header.entry_type() {
                tar::EntryType::Directory if size == 0 => continue,
                tar::EntryType::Regular => {}
                _ => return Err(malformed("the archive holds something other than files")),
            }
            let path = header
                .path()
                .ok()
                .and_then(|p| p.to_str().map(str::to_owned))
                .ok_or_else(|| malformed("a file name is not valid"))?;
            return Ok(Some((path, size)));
        }
    }

    /// The current file's content.
    fn content(&mut self, size: u64) -> io::Take<&mut R> {
        (&mut self.input).take(size)
    }

    fn skip_padding(&mut self, size: u64) -> Result<()> {
        let rest = (512 - size % 512) % 512;
        let mut pad = [0u8; 512];
        self.input
            .read_exact(&mut pad[..rest as usize])
            .map_err(archive_error)
    }
}

fn malformed(what: &'static str) -> Error {
    Error::InvalidInput(format!("not a valid backup: {what}"))
}

fn read_json<T: for<'de> Deserialize<'de>>(entry: impl Read, what: &'static str) -> Result<T> {
    let mut bytes = Zeroizing::new(Vec::new());
    entry
        .take(MAX_JSON + 1)
        .read_to_end(&mut bytes)
        .map_err(archive_error)?;
    if bytes.len() as u64 > MAX_JSON {
        return Err(malformed("a JSON file is too large"));
    }
    // serde_json's messages can quote the text (a title, a name): not kept.
    serde_json::from_slice(&bytes)
        .map_err(|_| Error::InvalidInput(format!("not a valid backup: {what} is not valid JSON")))
}

/// An age error as the crate's error: no text of the file in it.
fn age_error(e: AgeError) -> Error {
    match e {
        AgeError::Io(e) => Error::Io(e),
        AgeError::Random => Error::Random,
        AgeError::HeaderMac => Error::Integrity("backup file header"),
        AgeError::Payload(_) => Error::Integrity("backup file content"),
        AgeError::NoMatch => Error::InvalidInput(
            "the backup passphrase or identity does not open this backup file".into(),
        ),
        AgeError::Unsupported(what) => Error::UnsupportedFormat(what.into()),
        other => Error::InvalidInput(other.to_string()),
    }
}

/// A read error from inside the tar reader: the age error it carries, or
/// a malformed archive (the tar crate's own messages can name paths, which
/// are titles).
fn archive_error(e: io::Error) -> Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<AgeError>())
    {
        Some(AgeError::Payload(_)) => Error::Integrity("backup file content"),
        Some(_) => Error::InvalidInput("not a valid backup file".into()),
        None if e.kind() == io::ErrorKind::UnexpectedEof => malformed("the archive ends early"),
        None => malformed("the archive is malformed"),
    }
}

/// An error from adding a document while its content is read from the
/// archive: a read failure there is the file's fault, not the vault's.
fn reading_error(e: Error) -> Error {
    match e {
        Error::Io(io)
            if io.kind() == io::ErrorKind::UnexpectedEof
                || io.get_ref().is_some_and(|inner| inner.is::<AgeError>()) =>
        {
            archive_error(io)
        }
        other => other,
    }
}
