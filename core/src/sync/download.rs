//! Resumable downloads: each target is downloaded into
//! `downloads/<signed sha256>.part` beside the content database, with the
//! ETag it came with kept beside it, and resumed by the next sync.

use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::Syncer;
use super::http::{CancelToken, Http};
use crate::error::Result;
use crate::tuf::TargetFile;

impl Syncer<'_> {
    pub(super) fn downloads_dir(&self) -> PathBuf {
        self.store.dir().join("downloads")
    }

    /// The partial download of a target, named by its signed hash.
    pub(super) fn partial_path(&self, file: &TargetFile) -> Option<PathBuf> {
        let hash = file
            .hashes
            .get("sha256")
            .or_else(|| file.hashes.get("sha512"))?;
        if !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.downloads_dir().join(format!("{hash}.part")))
    }

    pub(super) fn partial_len(&self, file: &TargetFile) -> u64 {
        self.partial_path(file)
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len())
    }
}

/// Downloads a target to `part`, resuming what an earlier attempt left,
/// with the ETag that came with it kept beside (`.etag`). Returns the bytes
/// received by this call.
pub(super) fn download_resumable(
    http: &Http,
    url: &str,
    part: &Path,
    file: &TargetFile,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    let etag_path = part.with_extension("etag");
    // Owner-only, as every file of the store (an existing one is fixed).
    let mut out = crate::storage::private_file()
        .create(true)
        .write(true)
        .read(true)
        .truncate(false)
        .open(part)?;
    crate::storage::make_private(part)?;
    let start = out.seek(SeekFrom::End(0))?;
    let mut validator = std::fs::read_to_string(&etag_path).ok();
    // Bytes received by this call: the growth of the file, counting a
    // restart from 0 (the server ignored the range) as new bytes.
    let (mut previous, mut received) = (start, 0u64);
    let result = http.download(
        url,
        &mut out,
        file.length,
        &mut validator,
        cancel,
        &mut |n| {
            received += if n >= previous { n - previous } else { n };
            previous = n;
            progress(n)
        },
    );
    out.sync_all()?;
    match &validator {
        Some(tag) => {
            let mut f = crate::storage::private_file()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&etag_path)?;
            crate::storage::make_private(&etag_path)?;
            std::io::Write::write_all(&mut f, tag.as_bytes())?;
        }
        None => {
            let _ = std::fs::remove_file(&etag_path);
        }
    }
    result?;
    Ok(received)
}

pub(super) fn remove_partial(part: &Path) {
    let _ = std::fs::remove_file(part);
    let _ = std::fs::remove_file(part.with_extension("etag"));
}
