//! Remote backup: the vault's documents, end-to-end encrypted, in an
//! S3-compatible bucket or a WebDAV folder, restorable on a new phone with
//! the passphrase **or** the recovery code.
//!
//! ```text
//! backup::remote ──► vault (documents, carried keys, private records)
//!        │
//!        └────────► sync::Http ──► Transport (the app's, or reqwest in the CLI)
//! ```
//!
//! The vault has no network code; this module depends on it and on sync's
//! HTTP policy, and sends every request through the same [`Transport`] as
//! sync (so the same proxy, the same fixed headers, no HTTP stack of its
//! own in the native library).
//!
//! # What the server holds
//!
//! - `index`: the head object. The vault's [`CarriedKeys`] (its id, Argon2id
//!   parameters and salt, and its passphrase and recovery slots, exactly as
//!   the vault stores them: nothing opens without the passphrase or the
//!   recovery code), then the [index](index) sealed under the backup key
//!   (derived from the vault's data key), padded.
//! - One object per 1 MiB chunk of each document revision, named by 32 hex
//!   digits of an HMAC (under a key derived from the backup key) of the
//!   document id, its last change and the chunk's number: random to the
//!   server, the same for every phone holding the vault. Each holds the
//!   sealed chunk: a revision is its metadata (JSON, as in a backup file's
//!   `metadata.json`) and its content, back to back.
//!
//! Every object's size is padded to a bucket (a power of two from 4 KiB to
//! 1 MiB, whole MiBs above): the server sees no title, kind, date, count or
//! exact size.
//!
//! # A backup
//!
//! 1. If nothing changed on the phone since the last backup (its documents'
//!    revisions and its keys), one conditional `GET` of `index`: a 304 ends
//!    the backup. That is all "nothing changed" costs.
//! 2. Otherwise the index is read and merged with the phone's documents
//!    ([`index::merge`]: per-document revisions, deletions as tombstones, a
//!    conflict keeps both).
//! 3. New revisions are sealed into an outbox in the vault's folder (ciphertext
//!    only), then uploaded chunk by chunk; each chunk sent is marked, so an
//!    interrupted backup resumes where it stopped.
//! 4. The index is written last, conditionally on the ETag it was read
//!    with (`If-Match`, or `If-None-Match: *` for the first): if another
//!    phone wrote in between, the backup reads it again and merges again.
//!    Until the index is written the backup the server holds is the old one,
//!    complete; after, the new one, complete.
//! 5. Chunks of revisions the new index no longer lists live are deleted.
//!
//! # Restore
//!
//! [`restore`] reads the index from the location, opens the carried keys
//! with the passphrase or the recovery code, makes the same vault in a new
//! folder ([`Vault::restore_carried`]: the same passphrase and recovery
//! code open it), imports every live revision in one transaction, and
//! keeps the location, so the next backup continues the same one. With
//! the recovery code a new passphrase is set, as an unlock with it does.

pub mod index;
mod sigv4;
pub mod store;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use self::index::{Holdings, INDEX_FORMAT, INDEX_VERSION, Index, Revision, merge};
pub use self::store::Location;
use self::store::{Condition, Got, Put, Store};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::sync::{CancelToken, Http};
use crate::vault::{
    BackupKey, CarriedKeys, CarriedSecret, DocumentId, DocumentInfo, ImportedDocument,
    RecoveryCode, SEAL_OVERHEAD, StoredMetadata, Vault, VaultOptions,
};

/// The head object's name.
pub const HEAD_NAME: &str = "index";
/// The head object's first bytes.
const HEAD_MAGIC: &[u8] = b"WMRB1\n";
/// A chunk object's size when full (and the largest bucket below 1 MiB
/// multiples).
pub const CHUNK_OBJECT: usize = 1024 * 1024;
/// The smallest object size.
const MIN_BUCKET: usize = 4 * 1024;
/// Document bytes in a full chunk.
const CHUNK_DATA: usize = CHUNK_OBJECT - SEAL_OVERHEAD - 4;
/// The largest head object read (the index of tens of thousands of
/// revisions).
const MAX_HEAD: u64 = 64 * 1024 * 1024;
/// The largest metadata JSON read from a revision.
const MAX_METADATA: usize = 16 * 1024 * 1024;
/// The private record holding the location and what was last backed up.
const STATE_RECORD: &str = "remote-backup";
/// The folder (in the vault's) of sealed chunks waiting to be sent.
const OUTBOX: &str = "backup-outbox";
/// Conditional writes of the index tried before giving up.
const MAX_ROUNDS: usize = 5;

/// Where the person's backup is set, and how it went.
#[derive(Clone, Serialize, Deserialize)]
struct State {
    location: Location,
    /// The index's ETag as last read or written by this phone.
    head_etag: Option<String>,
    /// The phone's documents (id → last change, ms) at its last backup.
    base: Holdings,
    /// A digest of the phone's documents and keys at its last backup.
    fingerprint: Option<String>,
    last_backup: Option<DateTime<Utc>>,
    /// Live revisions in the index after the last backup.
    stored_revisions: usize,
}

/// What [`status`] tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupStatus {
    /// The location, without secrets.
    pub location: String,
    /// When the last backup finished, if one did.
    pub last_backup: Option<DateTime<Utc>>,
    /// Document revisions the backup held after it.
    pub stored_revisions: usize,
    /// Whether the phone's documents or keys changed since.
    pub changed_since: bool,
}

/// Progress of a backup or a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes sent or received so far (chunks).
    pub bytes: u64,
    /// Bytes to send or receive in all.
    pub total_bytes: u64,
    /// Documents done.
    pub documents: usize,
    /// Documents in all.
    pub total_documents: usize,
}

/// What a backup did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    /// Nothing had changed: one conditional request, nothing written.
    pub unchanged: bool,
    /// Document revisions uploaded.
    pub uploaded: usize,
    /// Revisions this phone deleted, now tombstones.
    pub deleted: usize,
    /// Documents with more than one live revision (kept both).
    pub conflicts: usize,
    /// Live revisions the backup holds now.
    pub stored_revisions: usize,
    /// Requests sent.
    pub requests: u32,
    /// Body bytes sent.
    pub bytes_sent: u64,
    /// Body bytes received.
    pub bytes_received: u64,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// Documents restored.
    pub documents: usize,
    /// Requests sent.
    pub requests: u32,
    /// Body bytes received.
    pub bytes_received: u64,
}

/// What opens a backup on a new phone.
pub enum RestoreSecret<'a> {
    /// The vault's passphrase.
    Passphrase(&'a str),
    /// The recovery code, and the new passphrase to set.
    RecoveryCode {
        /// The code.
        code: &'a RecoveryCode,
        /// The passphrase the restored vault will have.
        new_passphrase: &'a str,
    },
}

/// Sets (or replaces) where the open vault is backed up. The location and
/// its credentials are kept sealed in the vault. A new location starts a
/// new backup (nothing is uploaded until [`backup_now`]).
pub fn set_location(vault: &Vault, location: Location) -> Result<()> {
    let state = State {
        location,
        head_etag: None,
        base: Holdings::new(),
        fingerprint: None,
        last_backup: None,
        stored_revisions: 0,
    };
    save_state(vault, &state)
}

/// Forgets the open vault's backup location (what is stored there stays).
pub fn forget_location(vault: &Vault) -> Result<()> {
    vault.set_private_record(STATE_RECORD, None)
}

/// The open vault's backup location, if one is set.
pub fn location(vault: &Vault) -> Result<Option<Location>> {
    Ok(load_state(vault)?.map(|s| s.location))
}

/// Where the open vault is backed up and how its last backup went; `None`
/// when no location is set.
pub fn status(vault: &Vault) -> Result<Option<BackupStatus>> {
    let Some(state) = load_state(vault)? else {
        return Ok(None);
    };
    let (_, fingerprint) = holdings(&vault.list_documents()?, &vault.carried_keys()?)?;
    Ok(Some(BackupStatus {
        location: state.location.describe(),
        last_backup: state.last_backup,
        stored_revisions: state.stored_revisions,
        changed_since: state.fingerprint.as_deref() != Some(fingerprint.as_str()),
    }))
}

/// Backs the open vault up to its location. See the module documentation.
pub fn backup_now(
    vault: &Vault,
    http: &Http,
    clock: &dyn Clock,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(Progress),
) -> Result<BackupReport> {
    let mut state = load_state(vault)?.ok_or_else(|| {
        Error::invalid("no backup location is set (waymark backup remote set URL)")
    })?;
    let key = vault.backup_key()?;
    let carried = vault.carried_keys()?;
    let listed = vault.list_documents()?;
    let (local, fingerprint) = holdings(&listed, &carried)?;
    let location = state.location.clone();
    let store = Store::new(&location, http, clock, cancel);
    let report = |store: &Store<'_>, mut r: BackupReport| {
        r.requests = store.requests();
        r.bytes_sent = store.sent();
        r.bytes_received = store.received();
        r
    };

    let unchanged_here = state.fingerprint.as_deref() == Some(fingerprint.as_str());
    let etag = state.head_etag.clone().filter(|_| unchanged_here);
    let mut got = store.get(HEAD_NAME, etag.as_deref(), MAX_HEAD)?;
    if matches!(got, Got::NotModified) {
        return Ok(report(
            &store,
            BackupReport {
                unchanged: true,
                stored_revisions: state.stored_revisions,
                ..BackupReport::default()
            },
        ));
    }
    if matches!(got, Got::Missing) {
        store.prepare()?;
    }
    let outbox = Outbox::new(vault.dir(), &key);
    let docs: BTreeMap<String, DocumentInfo> =
        listed.into_iter().map(|d| (d.id.to_string(), d)).collect();
    let mut uploaded_here: BTreeMap<(String, i64), (u64, u32)> = BTreeMap::new();
    for _round in 0..MAX_ROUNDS {
        let (remote, condition, keys_same) = match &got {
            Got::Missing => (Index::new(), Condition::Absent, false),
            Got::Body { bytes, etag } => {
                let head = Head::parse(bytes)?;
                if head.keys.vault_id() != carried.vault_id() {
                    return Err(Error::invalid(
                        "this location holds the backup of another vault: choose another location, or restore from it on a new phone",
                    ));
                }
                let index = head.open_index(&key)?;
                let condition = etag.clone().map_or(Condition::None, Condition::Matches);
                (index, condition, head.keys == carried)
            }
            Got::NotModified => unreachable!("handled above"),
        };
        let mut plan = merge(&remote, &local, &state.base);
        if plan.upload.is_empty() && plan.index == remote && keys_same {
            // The server has everything already (another phone's backup, or
            // this one's that was cut before it could note it).
            state.head_etag = match &got {
                Got::Body { etag, .. } => etag.clone(),
                _ => None,
            };
            return finish(vault, &mut state, local, fingerprint, &plan.index, clock).map(|n| {
                report(
                    &store,
                    BackupReport {
                        stored_revisions: n,
                        conflicts: plan.conflicts,
                        ..BackupReport::default()
                    },
                )
            });
        }
        // Upload what is new, resuming from the outbox.
        let total_documents = plan.upload.len();
        let total_bytes: u64 = plan
            .upload
            .iter()
            .filter_map(|(id, _)| docs.get(id))
            .map(|d| d.size)
            .sum();
        let mut done = Progress {
            bytes: 0,
            total_bytes,
            documents: 0,
            total_documents,
        };
        progress(done);
        for (id, updated) in &plan.upload {
            cancel.check()?;
            let rev_key = (id.clone(), *updated);
            let (length, chunks) = match uploaded_here.get(&rev_key) {
                Some(&done_before) => done_before,
                None => {
                    let doc = docs.get(id).ok_or(Error::NotFound("document"))?;
                    let staged = outbox.stage(vault, doc)?;
                    let before = done.bytes;
                    outbox.send(&store, &staged, cancel, &mut |sent| {
                        done.bytes = before + sent.min(doc.size);
                        progress(done);
                    })?;
                    done.bytes = before + doc.size;
                    uploaded_here.insert(rev_key, (staged.length, staged.chunks));
                    (staged.length, staged.chunks)
                }
            };
            if let Some(r) = plan
                .index
                .revisions
                .iter_mut()
                .find(|r| r.id == *id && r.updated_ms == *updated && !r.deleted)
            {
                r.length = length;
                r.chunks = chunks;
            }
            done.documents += 1;
            progress(done);
        }
        // The index last, conditionally.
        let head = Head::build(&carried, &key, &plan.index)?;
        match store.put(HEAD_NAME, &head, &condition)? {
            Put::Written(etag) => {
                let etag = match etag {
                    Some(e) => Some(e),
                    None => store.head(HEAD_NAME)?.and_then(|(_, e)| e),
                };
                state.head_etag = etag;
                for gone in &plan.dropped {
                    for i in 0..gone.chunks {
                        // Best effort: a chunk left behind is garbage, not
                        // a fault.
                        let _ = store.delete(&outbox.chunk_name(&gone.id, gone.updated_ms, i));
                    }
                }
                for (id, updated) in &plan.upload {
                    outbox.clear(id, *updated);
                }
                let n = finish(vault, &mut state, local, fingerprint, &plan.index, clock)?;
                return Ok(report(
                    &store,
                    BackupReport {
                        unchanged: false,
                        uploaded: plan.upload.len(),
                        deleted: plan.deleted,
                        conflicts: plan.conflicts,
                        stored_revisions: n,
                        ..BackupReport::default()
                    },
                ));
            }
            Put::Conflict => {
                // Another phone wrote the index since it was read: read it
                // again and merge again (what was uploaded is reused).
                got = store.get(HEAD_NAME, None, MAX_HEAD)?;
            }
        }
    }
    Err(Error::Network(
        "the backup's index kept changing under this phone: try again later".into(),
    ))
}

/// Notes a successful backup in the vault; returns the live revisions.
fn finish(
    vault: &Vault,
    state: &mut State,
    local: Holdings,
    fingerprint: String,
    index: &Index,
    clock: &dyn Clock,
) -> Result<usize> {
    let live = index.live().count();
    state.base = local;
    state.fingerprint = Some(fingerprint);
    state.last_backup = Some(clock.now());
    state.stored_revisions = live;
    save_state(vault, state)?;
    Ok(live)
}

/// Restores the backup at `location` into a new vault in `dir` (where
/// there must be none). On any failure nothing is left in `dir` of the
/// vault it began to make.
#[allow(clippy::too_many_arguments)]
pub fn restore(
    dir: &Path,
    location: Location,
    secret: &RestoreSecret<'_>,
    http: &Http,
    options: VaultOptions,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Vault, RestoreReport)> {
    if Vault::exists(dir) {
        return Err(Error::VaultExists);
    }
    let clock = options.clock.clone();
    let store = Store::new(&location, http, clock.as_ref(), cancel);
    let (bytes, etag) = match store.get(HEAD_NAME, None, MAX_HEAD)? {
        Got::Body { bytes, etag } => (bytes, etag),
        _ => return Err(Error::NotFound("backup")),
    };
    let head = Head::parse(&bytes)?;
    let opened = head.keys.open(&match secret {
        RestoreSecret::Passphrase(p) => CarriedSecret::Passphrase(p),
        RestoreSecret::RecoveryCode { code, .. } => CarriedSecret::RecoveryCode(code),
    })?;
    let key = opened.backup_key();
    let index = head.open_index(&key)?;
    let vault = Vault::restore_carried(dir, &head.keys, &opened, options)?;
    let result = (|| {
        if let RestoreSecret::RecoveryCode {
            code,
            new_passphrase,
        } = secret
        {
            vault.lock();
            vault.unlock_with_recovery_code(code, new_passphrase)?;
        }
        let names = Outbox::new(vault.dir(), &key);
        let live: Vec<&Revision> = index.live().collect();
        let mut done = Progress {
            bytes: 0,
            total_bytes: live.iter().map(|r| r.length).sum(),
            documents: 0,
            total_documents: live.len(),
        };
        progress(done);
        vault.import_documents(|import| {
            for rev in &live {
                cancel.check()?;
                let id: DocumentId = rev.id.parse()?;
                let mut reader = RevisionReader {
                    store: &store,
                    names: &names,
                    key: &key,
                    rev,
                    next: 0,
                    buf: Zeroizing::new(Vec::new()),
                    at: 0,
                };
                let mut len = [0u8; 4];
                reader.read_exact(&mut len).map_err(reading)?;
                let len = u32::from_be_bytes(len) as usize;
                if len > MAX_METADATA {
                    return Err(Error::Integrity("a backed-up document's metadata"));
                }
                let mut json = Zeroizing::new(vec![0u8; len]);
                reader.read_exact(&mut json).map_err(reading)?;
                let stored: StoredMetadata = serde_json::from_slice(&json)
                    .map_err(|_| Error::Integrity("a backed-up document's metadata"))?;
                import.add(ImportedDocument { id, stored }, &mut reader)?;
                let mut rest = [0u8; 1];
                if reader.read(&mut rest).map_err(reading)? != 0 {
                    return Err(Error::Integrity("a backed-up document's length"));
                }
                done.bytes += rev.length;
                done.documents += 1;
                progress(done);
            }
            Ok(())
        })?;
        let (local, fingerprint) = holdings(&vault.list_documents()?, &vault.carried_keys()?)?;
        let mut state = State {
            location: location.clone(),
            head_etag: etag.clone(),
            base: Holdings::new(),
            fingerprint: None,
            last_backup: None,
            stored_revisions: 0,
        };
        finish(
            &vault,
            &mut state,
            local,
            fingerprint,
            &index,
            clock.as_ref(),
        )?;
        Ok(RestoreReport {
            documents: done.documents,
            requests: store.requests(),
            bytes_received: store.received(),
        })
    })();
    match result {
        Ok(report) => Ok((vault, report)),
        Err(e) => {
            drop(vault);
            let _ = crate::vault::wipe_dir(dir);
            Err(e)
        }
    }
}

fn reading(e: io::Error) -> Error {
    match e
        .into_inner()
        .and_then(|inner| inner.downcast::<ErrorBox>().ok())
    {
        Some(boxed) => boxed.0,
        None => Error::Integrity("a backed-up document"),
    }
}

/// An [`Error`] carried through `io::Error`. Its `Debug` is its `Display`:
/// a derived one would pull the whole `Error`'s `Debug` into the native
/// library (29 KB).
struct ErrorBox(Error);

impl std::fmt::Debug for ErrorBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::fmt::Display for ErrorBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ErrorBox {}

/// Reads one revision's plaintext, fetching its chunks one at a time.
struct RevisionReader<'s, 'a> {
    store: &'s Store<'a>,
    names: &'s Outbox,
    key: &'s BackupKey,
    rev: &'s Revision,
    next: u32,
    buf: Zeroizing<Vec<u8>>,
    at: usize,
}

impl Read for RevisionReader<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.buf.len() {
            if self.next == self.rev.chunks {
                return Ok(0);
            }
            let name = self
                .names
                .chunk_name(&self.rev.id, self.rev.updated_ms, self.next);
            let bytes = match self.store.get(&name, None, CHUNK_OBJECT as u64 * 2) {
                Ok(Got::Body { bytes, .. }) => bytes,
                Ok(_) => {
                    return Err(io::Error::other(ErrorBox(Error::Integrity(
                        "a chunk of the backup is missing",
                    ))));
                }
                Err(e) => return Err(io::Error::other(ErrorBox(e))),
            };
            self.buf =
                open_chunk(self.key, &name, &bytes).map_err(|e| io::Error::other(ErrorBox(e)))?;
            self.at = 0;
            self.next += 1;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

// ----- the objects -------------------------------------------------------------

/// The size an object of `len` bytes is padded to.
pub fn bucket(len: usize) -> usize {
    if len <= CHUNK_OBJECT {
        len.max(MIN_BUCKET).next_power_of_two()
    } else {
        len.div_ceil(CHUNK_OBJECT) * CHUNK_OBJECT
    }
}

/// Seals `data` (at most [`CHUNK_DATA`] bytes) as chunk object `name`,
/// padded to its bucket.
fn seal_chunk(key: &BackupKey, name: &str, data: &[u8]) -> Result<Vec<u8>> {
    let size = bucket(data.len() + 4 + SEAL_OVERHEAD);
    let mut plain = Zeroizing::new(Vec::with_capacity(size));
    plain.extend_from_slice(&(data.len() as u32).to_be_bytes());
    plain.extend_from_slice(data);
    plain.resize(size - SEAL_OVERHEAD, 0);
    key.seal(&[b"chunk/", name.as_bytes()].concat(), &plain)
}

fn open_chunk(key: &BackupKey, name: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let plain = key.open(
        &[b"chunk/", name.as_bytes()].concat(),
        sealed,
        "a chunk of the backup",
    )?;
    let len = plain
        .get(..4)
        .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or(Error::Integrity("a chunk of the backup"))?;
    let data = plain
        .get(4..4 + len)
        .ok_or(Error::Integrity("a chunk of the backup"))?;
    Ok(Zeroizing::new(data.to_vec()))
}

/// The head object: the carried keys, then the sealed index.
struct Head {
    keys: CarriedKeys,
    sealed_index: Vec<u8>,
}

impl Head {
    fn build(keys: &CarriedKeys, key: &BackupKey, index: &Index) -> Result<Vec<u8>> {
        let mut json = Zeroizing::new(serde_json::to_vec(index)?);
        // JSON ignores trailing spaces: the length tells little.
        let padded = bucket(json.len() + SEAL_OVERHEAD) - SEAL_OVERHEAD;
        json.resize(padded, b' ');
        let sealed = key.seal(b"index", &json)?;
        let keys = serde_json::to_vec(keys)?;
        let mut out = Vec::with_capacity(bucket(sealed.len() + keys.len() + 64));
        out.extend_from_slice(HEAD_MAGIC);
        out.extend_from_slice(&(keys.len() as u32).to_be_bytes());
        out.extend_from_slice(&keys);
        out.extend_from_slice(&(sealed.len() as u32).to_be_bytes());
        out.extend_from_slice(&sealed);
        out.resize(bucket(out.len()), 0);
        Ok(out)
    }

    fn parse(bytes: &[u8]) -> Result<Head> {
        let bad =
            || Error::UnsupportedFormat("not a Waymark backup (its index is not readable)".into());
        let rest = bytes.strip_prefix(HEAD_MAGIC).ok_or_else(bad)?;
        let (keys, rest) = take_framed(rest).ok_or_else(bad)?;
        let (sealed, _padding) = take_framed(rest).ok_or_else(bad)?;
        let keys: CarriedKeys = serde_json::from_slice(keys).map_err(|_| bad())?;
        Ok(Head {
            keys,
            sealed_index: sealed.to_vec(),
        })
    }

    fn open_index(&self, key: &BackupKey) -> Result<Index> {
        let json = key.open(b"index", &self.sealed_index, "the backup's index")?;
        let index: Index =
            serde_json::from_slice(&json).map_err(|_| Error::Integrity("the backup's index"))?;
        if index.format != INDEX_FORMAT {
            return Err(Error::UnsupportedFormat(
                "not a Waymark backup index".into(),
            ));
        }
        if index.version == 0 || index.version > INDEX_VERSION {
            return Err(Error::UnsupportedFormat(format!(
                "backup index version {} (this version of Waymark reads up to {INDEX_VERSION})",
                index.version
            )));
        }
        Ok(index)
    }
}

fn take_framed(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let body = bytes.get(4..4 + len)?;
    Some((body, &bytes[4 + len..]))
}

// ----- the outbox ----------------------------------------------------------------

/// Sealed chunks waiting to be sent, in the vault's folder: ciphertext
/// only, kept across an interrupted backup so the next one resumes.
struct Outbox {
    dir: PathBuf,
    /// Names the chunk objects.
    names_key: [u8; 32],
    /// Names the revisions' marker files.
    markers_key: [u8; 32],
}

/// A revision sealed into the outbox.
struct Staged {
    id: String,
    updated_ms: i64,
    length: u64,
    chunks: u32,
}

impl Outbox {
    fn new(vault_dir: &Path, key: &BackupKey) -> Self {
        Outbox {
            dir: vault_dir.join(OUTBOX),
            names_key: key.derive(b"waymark backup object names"),
            markers_key: key.derive(b"waymark backup outbox markers"),
        }
    }

    /// The object name of chunk `i` of revision (`id`, `updated_ms`).
    fn chunk_name(&self, id: &str, updated_ms: i64, i: u32) -> String {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.names_key).expect("any key length");
        mac.update(id.as_bytes());
        mac.update(&updated_ms.to_be_bytes());
        mac.update(&i.to_be_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The outbox file name of a revision's marker (not its object names:
    /// nothing on disk names a document).
    fn marker(&self, id: &str, updated_ms: i64) -> PathBuf {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.markers_key).expect("any key length");
        mac.update(id.as_bytes());
        mac.update(&updated_ms.to_be_bytes());
        self.dir.join(format!(
            "{}.staged",
            hex::encode(&mac.finalize().into_bytes()[..16])
        ))
    }

    /// Seals the revision `doc` into the outbox (or finds it there from an
    /// interrupted backup).
    fn stage(&self, vault: &Vault, doc: &DocumentInfo) -> Result<Staged> {
        let id = doc.id.to_string();
        let updated_ms = doc.updated_at.timestamp_millis();
        let marker = self.marker(&id, updated_ms);
        if let Ok(text) = std::fs::read_to_string(&marker)
            && let Some((length, chunks)) = text.trim().split_once(' ')
            && let (Ok(length), Ok(chunks)) = (length.parse(), chunks.parse())
        {
            return Ok(Staged {
                id,
                updated_ms,
                length,
                chunks,
            });
        }
        crate::storage::private_dir(&self.dir)?;
        let key = vault.backup_key()?;
        let stored = StoredMetadata {
            metadata: doc.metadata.clone(),
            size: doc.size,
            created_at: doc.created_at,
            updated_at: doc.updated_at,
        };
        let json = Zeroizing::new(serde_json::to_vec(&stored)?);
        let mut writer = ChunkWriter {
            outbox: self,
            key: &key,
            id: &id,
            updated_ms,
            buf: Zeroizing::new(Vec::with_capacity(CHUNK_DATA)),
            chunks: 0,
            length: 0,
        };
        writer.write_all(&(json.len() as u32).to_be_bytes())?;
        writer.write_all(&json)?;
        vault.read_document(&doc.id, &mut writer)?;
        writer.flush_chunk(true)?;
        let staged = Staged {
            id: id.clone(),
            updated_ms,
            length: writer.length,
            chunks: writer.chunks,
        };
        write_file(
            &marker,
            format!("{} {}", staged.length, staged.chunks).as_bytes(),
        )?;
        Ok(staged)
    }

    /// Sends a staged revision's chunks not sent yet; `sent` gets the
    /// revision's bytes sent so far.
    fn send(
        &self,
        store: &Store<'_>,
        staged: &Staged,
        cancel: &CancelToken,
        sent: &mut dyn FnMut(u64),
    ) -> Result<()> {
        for i in 0..staged.chunks {
            cancel.check()?;
            let name = self.chunk_name(&staged.id, staged.updated_ms, i);
            let file = self.dir.join(&name);
            let done = self.dir.join(format!("{name}.sent"));
            if !done.exists() {
                let bytes = std::fs::read(&file)?;
                match store.put(&name, &bytes, &Condition::None)? {
                    Put::Written(_) => {}
                    Put::Conflict => unreachable!("an unconditional write"),
                }
                write_file(&done, b"")?;
            }
            sent((u64::from(i) + 1) * CHUNK_DATA as u64);
        }
        Ok(())
    }

    /// Removes a revision's files once the index lists it.
    fn clear(&self, id: &str, updated_ms: i64) {
        let marker = self.marker(id, updated_ms);
        let Ok(text) = std::fs::read_to_string(&marker) else {
            return;
        };
        let chunks: u32 = text
            .split_once(' ')
            .and_then(|(_, c)| c.trim().parse().ok())
            .unwrap_or(0);
        for i in 0..chunks {
            let name = self.chunk_name(id, updated_ms, i);
            let _ = std::fs::remove_file(self.dir.join(format!("{name}.sent")));
            let _ = std::fs::remove_file(self.dir.join(&name));
        }
        let _ = std::fs::remove_file(marker);
    }
}

/// Cuts a revision's plaintext into sealed chunk files.
struct ChunkWriter<'o> {
    outbox: &'o Outbox,
    key: &'o BackupKey,
    id: &'o str,
    updated_ms: i64,
    buf: Zeroizing<Vec<u8>>,
    chunks: u32,
    length: u64,
}

impl ChunkWriter<'_> {
    fn flush_chunk(&mut self, last: bool) -> Result<()> {
        if self.buf.is_empty() && !(last && self.chunks == 0) {
            return Ok(());
        }
        let name = self
            .outbox
            .chunk_name(self.id, self.updated_ms, self.chunks);
        let sealed = seal_chunk(self.key, &name, &self.buf)?;
        write_file(&self.outbox.dir.join(&name), &sealed)?;
        let _ = std::fs::remove_file(self.outbox.dir.join(format!("{name}.sent")));
        self.chunks += 1;
        self.buf.clear();
        Ok(())
    }
}

impl Write for ChunkWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK_DATA - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        self.length += n as u64;
        if self.buf.len() == CHUNK_DATA {
            self.flush_chunk(false)
                .map_err(|e| io::Error::other(ErrorBox(e)))?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes a file durably (temporary file, fsync, rename).
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("in the outbox");
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| Error::Io(e.error))?;
    Ok(())
}

// ----- state ---------------------------------------------------------------------

fn load_state(vault: &Vault) -> Result<Option<State>> {
    let Some(bytes) = vault.private_record(STATE_RECORD)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|_| Error::Integrity("the backup settings"))
}

fn save_state(vault: &Vault, state: &State) -> Result<()> {
    let json = Zeroizing::new(serde_json::to_vec(state)?);
    vault.set_private_record(STATE_RECORD, Some(&json))
}

/// The phone's documents as revisions (from `docs`, the vault's listing),
/// and a digest of them and of the vault's carried keys (a new passphrase
/// or recovery code changes it).
fn holdings(docs: &[DocumentInfo], carried: &CarriedKeys) -> Result<(Holdings, String)> {
    let local: Holdings = docs
        .iter()
        .map(|d| (d.id.to_string(), d.updated_at.timestamp_millis()))
        .collect();
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(carried)?);
    for (id, t) in &local {
        hash.update(id.as_bytes());
        hash.update(t.to_be_bytes());
    }
    Ok((local, hex::encode(hash.finalize())))
}
