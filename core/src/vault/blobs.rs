//! Document content files: one immutable file per document content version,
//! `blobs/<id>.<version>`, holding the STREAM chunks back to back.
//!
//! Content lives beside the database rather than in it because SQLite would
//! write every byte twice (WAL, then checkpoint) and fsync twice; a file is
//! written once. Atomicity comes from the order of operations, always inside
//! the SQLite write transaction that references the file:
//!
//! 1. write `<name>.tmp`, fsync, rename to `<name>`, fsync the directory;
//! 2. insert or update the row, commit.
//!
//! A process killed before the commit leaves a file no row references; the
//! next [`BlobStore::sweep`] (run at open, also under the write lock so it
//! never races a writer) removes it. Old versions are removed after the
//! commit that stops referencing them.
//!
//! Layout of a content file: chunk `i` starts at `i * SEALED_CHUNK`; every
//! chunk but the last is exactly [`SEALED_CHUNK`] bytes. The file's length
//! tells which chunk is last, and the STREAM construction authenticates that
//! claim, so truncation at a chunk boundary fails too.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::DocumentId;
use super::crypto::{CHUNK_SIZE, ChunkOpener, ChunkSealer, TAG_LEN};
use crate::error::{Error, Result};
use crate::storage::{make_private, private_dir, private_file};

/// Size of a sealed full chunk on disk.
pub const SEALED_CHUNK: usize = CHUNK_SIZE + TAG_LEN;
/// Name of the content directory inside the vault directory.
pub const BLOB_DIR: &str = "blobs";
const TMP_SUFFIX: &str = ".tmp";

/// The content files of one vault.
pub(super) struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    pub(super) fn new(vault_dir: &Path) -> Self {
        BlobStore {
            dir: vault_dir.join(BLOB_DIR),
        }
    }

    fn name(id: &DocumentId, version: u32) -> String {
        format!("{id}.{version}")
    }

    pub(super) fn path(&self, id: &DocumentId, version: u32) -> PathBuf {
        self.dir.join(Self::name(id, version))
    }

    /// Encrypts `content` into the file for `(id, version)`; returns the
    /// plaintext size. The file is durable when this returns.
    pub(super) fn write(
        &self,
        id: &DocumentId,
        version: u32,
        sealer: ChunkSealer,
        content: &mut (dyn Read + Send),
    ) -> Result<u64> {
        private_dir(&self.dir)?;
        let final_path = self.path(id, version);
        let tmp_path = self
            .dir
            .join(format!("{}{TMP_SUFFIX}", Self::name(id, version)));
        let result = (|| {
            let file = private_file()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp_path)?;
            let size = pipeline(file, sealer, content)?;
            std::fs::rename(&tmp_path, &final_path)?;
            sync_dir(&self.dir);
            Ok(size)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp_path);
        }
        result
    }

    /// Decrypts the file for `(id, version)` into `out`; returns the size.
    /// Each chunk is authenticated before it is written to `out`.
    pub(super) fn read(
        &self,
        id: &DocumentId,
        version: u32,
        mut opener: ChunkOpener,
        out: &mut dyn Write,
    ) -> Result<u64> {
        let mut file = match File::open(self.path(id, version)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Integrity("document content missing"));
            }
            Err(e) => return Err(e.into()),
        };
        let len = file.metadata()?.len();
        if len < TAG_LEN as u64 {
            return Err(Error::Integrity("document content"));
        }
        let full_chunks = (len - 1) / SEALED_CHUNK as u64;
        let mut buf = Zeroizing::new(Vec::with_capacity(SEALED_CHUNK));
        let mut written = 0u64;
        for _ in 0..full_chunks {
            buf.resize(SEALED_CHUNK, 0);
            file.read_exact(&mut buf)?;
            opener.open_next(&mut buf)?;
            out.write_all(&buf)?;
            written += buf.len() as u64;
        }
        // The rest of the file, 1 to SEALED_CHUNK bytes, is the last chunk.
        buf.resize((len - full_chunks * SEALED_CHUNK as u64) as usize, 0);
        file.read_exact(&mut buf)?;
        opener.open_last(&mut buf)?;
        out.write_all(&buf)?;
        Ok(written + buf.len() as u64)
    }

    /// Overwrites and removes one content file (best effort: a leftover is
    /// swept at the next open).
    pub(super) fn remove(&self, id: &DocumentId, version: u32) {
        let _ = shred(&self.path(id, version));
    }

    /// Removes every file that is not in `keep` (crash leftovers, the other
    /// vault's files after a duress wipe, replaced versions). Callers hold the
    /// database write lock, so no writer is between its rename and commit.
    pub(super) fn sweep(&self, keep: &HashSet<(DocumentId, u32)>) -> Result<()> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let referenced = name
                .to_str()
                .and_then(parse_name)
                .is_some_and(|key| keep.contains(&key));
            if !referenced && entry.file_type()?.is_file() {
                shred(&entry.path())?;
            }
        }
        Ok(())
    }

    /// Makes the content directory and every file in it readable by the
    /// owner only (for vaults written before they were created so).
    pub(super) fn make_private(&self) -> Result<()> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        private_dir(&self.dir)?;
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                make_private(&entry.path())?;
            }
        }
        Ok(())
    }

    /// Overwrites and removes every content file, then the directory.
    pub(super) fn remove_all(&self) -> Result<()> {
        self.sweep(&HashSet::new())?;
        match std::fs::remove_dir(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

fn parse_name(name: &str) -> Option<(DocumentId, u32)> {
    let (id, version) = name.split_once('.')?;
    Some((id.parse().ok()?, version.parse().ok()?))
}

/// Sealed chunks in flight between the encrypting thread and the writer.
const PIPELINE_DEPTH: usize = 8;
/// The writer flushes to the device every this many bytes, so the final
/// fsync has little left to do and flushing overlaps encryption.
const SYNC_EVERY: usize = 16 * SEALED_CHUNK;

/// Encrypts on one thread while writing and flushing on this one, so that
/// storing a document costs about the larger of the two, not their sum.
/// Memory: [`PIPELINE_DEPTH`] + 3 chunk buffers. The file is fsynced when
/// this returns.
/// Not generic over the reader: one copy of the pipeline in the native
/// library whatever the content comes from (a file, memory, the app's
/// stream).
fn pipeline(
    mut file: File,
    mut sealer: ChunkSealer,
    content: &mut (dyn Read + Send),
) -> Result<u64> {
    let (to_writer, from_encryptor) = std::sync::mpsc::sync_channel::<Vec<u8>>(PIPELINE_DEPTH);
    std::thread::scope(|scope| {
        let encryptor = scope.spawn(move || -> Result<u64> {
            let hung_up = || Error::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
            let mut current = Vec::with_capacity(SEALED_CHUNK);
            let mut size = read_chunk(content, &mut current)? as u64;
            loop {
                // One chunk of look-ahead: the last chunk is sealed as last.
                // Buffers are sealed in place, so no plaintext stays behind.
                let mut next = Vec::with_capacity(SEALED_CHUNK);
                let n = read_chunk(content, &mut next)?;
                if n == 0 {
                    sealer.seal_last(&mut current)?;
                    to_writer.send(current).map_err(|_| hung_up())?;
                    return Ok(size);
                }
                size += n as u64;
                sealer.seal_next(&mut current)?;
                to_writer.send(current).map_err(|_| hung_up())?;
                current = next;
            }
        });
        let written = (|| -> Result<()> {
            let mut unsynced = 0;
            for sealed in from_encryptor {
                file.write_all(&sealed)?;
                unsynced += sealed.len();
                if unsynced >= SYNC_EVERY {
                    file.sync_data()?;
                    unsynced = 0;
                }
            }
            file.sync_all()?;
            Ok(())
        })();
        let encrypted = encryptor
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // A writer failure makes the encryptor fail with a broken pipe:
        // report the writer's error, which says what really happened.
        written?;
        encrypted
    })
}

/// Reads up to [`CHUNK_SIZE`] bytes into `buf` (cleared first); fewer only at
/// the end of the input.
fn read_chunk(r: &mut (dyn Read + Send), buf: &mut Vec<u8>) -> Result<usize> {
    buf.clear();
    buf.resize(CHUNK_SIZE, 0);
    let mut filled = 0;
    while filled < CHUNK_SIZE {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    buf.truncate(filled);
    Ok(filled)
}

/// Overwrites a file with zeroes, then removes it. A missing file is fine,
/// before or after the overwrite.
pub(super) fn shred(path: &Path) -> Result<()> {
    let mut f = match OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut left = f.metadata()?.len();
    let zeroes = vec![0u8; CHUNK_SIZE];
    while left > 0 {
        let n = left.min(zeroes.len() as u64) as usize;
        f.write_all(&zeroes[..n])?;
        left -= n as u64;
    }
    f.sync_all()?;
    drop(f);
    match std::fs::remove_file(path) {
        // Gone already: SQLite removes its WAL when the last connection
        // closes, which another thread's handle may do meanwhile.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => Ok(other?),
    }
}

/// Makes a rename durable (POSIX needs the directory fsynced; elsewhere this
/// is a no-op).
pub(super) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
