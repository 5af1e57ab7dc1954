//! Delta updates: a patch rebuilds the next version of a pack from the
//! entries the phone has installed, so a small change costs a small
//! download.
//!
//! # The patch file
//!
//! One zstd frame of lines, each ending in `\n`:
//!
//! ```text
//! {"waymark_patch":1,"pack":"p","publisher":"ngo","from":4,"to":5,"base":{"entries":N,"sha256":"…"}}
//! {"format":1,"id":"p","version":5,…}      the new version's manifest line, verbatim
//! {"copy":120}                             the next 120 old entry lines, unchanged
//! {"skip":2}                               drop the next 2 old entry lines
//! {"insert":3}                             then exactly 3 new entry lines, verbatim
//! {"type":"service",…}
//! {"type":"service",…}
//! {"type":"article",…}
//! {"copy":9877}
//! ```
//!
//! The header's `base` names the old version's entries: how many, and the
//! SHA-256 of its entry lines, each followed by `\n` (the manifest line is
//! not part of it: the phone stores the manifest re-serialised, but every
//! entry line verbatim). `copy` and `skip` together MUST consume exactly
//! the base's `N` lines, in order.
//!
//! Applying a patch writes the new version's *content*: the decompressed
//! pack, manifest line then entry lines, each ending in `\n`. Its length
//! and SHA-256 are signed in the pack target's metadata
//! ([`PackTargetCustom::content`]), and a phone installs the result only
//! when both match ([`ContentDigest`]). A patch file itself is a TUF target
//! like the pack, so its bytes are checked before it is read at all; the
//! checks here are defence in depth and clear errors.
//!
//! # Signed metadata
//!
//! The publisher (`waymark-pack publish`) describes its targets with a
//! `custom` object, see [`PackTargetCustom`] and [`PatchTargetCustom`]:
//!
//! ```text
//! "packs/p.wmpack":        {"waymark": {"pack": "p", "version": 5, "publisher": "ngo",
//!                                       "content": {"length": L, "sha256": "…"},
//!                                       "patches": {"4": "patches/p/4-5.wmpatch"}}}
//! "patches/p/4-5.wmpatch": {"waymark": {"patch": "p", "from": 4, "to": 5}}
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use rusqlite::{OptionalExtension, params};
use ruzstd::decoding::StreamingDecoder;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::model::{PACK_FORMAT, PackManifest};
use super::pack::{MAX_LINE, MAX_WINDOW, PackReader};
use super::store::{ContentSchema, ContentStore, DB_FILE, InstalledPack};
use super::tuf::TargetFile;
use crate::error::{Error, Result};
use crate::storage::{OpenMode, open_database};

/// The patch format this code writes and reads (the header's
/// `waymark_patch`).
pub const PATCH_FORMAT: u32 = 1;

/// Size of the buffers a patch and its output go through.
const BUFFER: usize = 64 * 1024;

/// A patch's first line: what it updates, and from what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchHeader {
    /// Always [`PATCH_FORMAT`].
    pub waymark_patch: u32,
    /// The pack's id.
    pub pack: String,
    /// The publisher's id.
    pub publisher: String,
    /// The version the patch applies to.
    pub from: u64,
    /// The version it rebuilds.
    pub to: u64,
    /// The entries of version `from`.
    pub base: PatchBase,
}

/// The entries a patch applies to: how many, and their hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchBase {
    /// Number of entry lines.
    pub entries: u64,
    /// SHA-256, lowercase hex, over every entry line followed by `\n`.
    pub sha256: String,
}

/// One operation on the old entry lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PatchOp {
    /// Keep the next `n` old lines.
    Copy(u64),
    /// Drop the next `n` old lines.
    Skip(u64),
    /// Add the `n` lines that follow in the patch.
    Insert(u64),
}

/// The length and SHA-256 of a pack's content (its decompressed JSON
/// Lines), as signed in the pack target's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentDigest {
    /// Length in bytes.
    pub length: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

impl ContentDigest {
    /// The digest of `content`.
    pub fn of(content: &[u8]) -> Self {
        ContentDigest {
            length: content.len() as u64,
            sha256: hex::encode(Sha256::digest(content)),
        }
    }

    pub(crate) fn matches(&self, other: &ContentDigest) -> bool {
        self.length == other.length && self.sha256.eq_ignore_ascii_case(&other.sha256)
    }
}

/// Hashes entry lines the way a patch's [`PatchBase`] is computed.
#[derive(Debug, Clone, Default)]
pub struct BaseHasher {
    sha256: Sha256,
    entries: u64,
}

impl BaseHasher {
    /// A hasher over no lines yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one entry line (without its `\n`).
    pub fn add(&mut self, line: &[u8]) {
        self.sha256.update(line);
        self.sha256.update(b"\n");
        self.entries += 1;
    }

    /// The base of the lines added.
    pub fn finish(self) -> PatchBase {
        PatchBase {
            entries: self.entries,
            sha256: hex::encode(self.sha256.finalize()),
        }
    }
}

// ----- signed metadata ------------------------------------------------------

/// What a pack target's `custom.waymark` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackTargetCustom {
    /// The pack's id.
    pub pack: String,
    /// Its version.
    pub version: u64,
    /// The publisher's id.
    pub publisher: String,
    /// The decompressed content: what a patch must rebuild. Absent from
    /// targets published before delta updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentDigest>,
    /// The patches to this version, by the version they start from, each
    /// the target path of the patch. A patch can be larger than the pack
    /// (a version mostly rewritten): both lengths are signed, so a client
    /// takes the smaller download.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub patches: BTreeMap<u64, String>,
}

/// What a patch target's `custom.waymark` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchTargetCustom {
    /// The pack's id.
    pub patch: String,
    /// The version it applies to.
    pub from: u64,
    /// The version it rebuilds.
    pub to: u64,
}

/// `custom.waymark` of `target`, if it parses as `T`.
fn waymark_custom<T: serde::de::DeserializeOwned>(target: &TargetFile) -> Option<T> {
    serde_json::from_value(target.custom.as_ref()?.get("waymark")?.clone()).ok()
}

impl PackTargetCustom {
    /// The pack description in `target`'s custom metadata, if it has one.
    pub fn of(target: &TargetFile) -> Option<Self> {
        waymark_custom(target)
    }

    /// The `custom` value describing this pack target.
    pub fn to_custom(&self) -> Value {
        serde_json::json!({ "waymark": self })
    }
}

impl PatchTargetCustom {
    /// The patch description in `target`'s custom metadata, if it has one.
    pub fn of(target: &TargetFile) -> Option<Self> {
        waymark_custom(target)
    }

    /// The `custom` value describing this patch target.
    pub fn to_custom(&self) -> Value {
        serde_json::json!({ "waymark": self })
    }
}

// ----- writing --------------------------------------------------------------

/// Writes a patch's plain lines (compress them into one zstd frame to
/// publish them). Consecutive copies, and consecutive skips, merge into one
/// operation.
///
/// The caller MUST call [`PatchWriter::finish`]: it writes the last
/// operation and checks that the base's lines are all consumed.
///
/// ```
/// use waymark_core::content::delta::{BaseHasher, PATCH_FORMAT, PatchHeader, PatchWriter};
///
/// let old: [&[u8]; 3] = [b"{\"a\":1}", b"{\"b\":2}", b"{\"c\":3}"];
/// let mut base = BaseHasher::new();
/// old.iter().for_each(|l| base.add(l));
/// let header = PatchHeader {
///     waymark_patch: PATCH_FORMAT,
///     pack: "p".into(),
///     publisher: "ngo".into(),
///     from: 1,
///     to: 2,
///     base: base.finish(),
/// };
/// let mut w = PatchWriter::new(Vec::new(), &header, b"{\"format\":1}").unwrap();
/// w.copy(1).unwrap();
/// w.skip(1).unwrap();
/// w.insert(&[&b"{\"b\":20}"[..]]).unwrap();
/// w.copy(1).unwrap();
/// let plain = w.finish().unwrap();
/// assert!(plain.ends_with(b"{\"insert\":1}\n{\"b\":20}\n{\"copy\":1}\n"));
/// ```
pub struct PatchWriter<W: Write> {
    out: W,
    base: u64,
    consumed: u64,
    pending: Option<PatchOp>,
}

impl<W: Write> PatchWriter<W> {
    /// Writes the header and the new version's manifest line (without its
    /// `\n`).
    pub fn new(mut out: W, header: &PatchHeader, manifest_line: &[u8]) -> Result<Self> {
        check_line(manifest_line, "the manifest line")?;
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n")?;
        out.write_all(manifest_line)?;
        out.write_all(b"\n")?;
        Ok(PatchWriter {
            out,
            base: header.base.entries,
            consumed: 0,
            pending: None,
        })
    }

    /// Keeps the next `n` old lines.
    pub fn copy(&mut self, n: u64) -> Result<()> {
        self.consume(PatchOp::Copy(n), n)
    }

    /// Drops the next `n` old lines.
    pub fn skip(&mut self, n: u64) -> Result<()> {
        self.consume(PatchOp::Skip(n), n)
    }

    /// Adds `lines` (each without its `\n`).
    pub fn insert(&mut self, lines: &[&[u8]]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        for line in lines {
            check_line(line, "an inserted line")?;
        }
        self.flush_pending()?;
        write_op(&mut self.out, PatchOp::Insert(lines.len() as u64))?;
        for line in lines {
            self.out.write_all(line)?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Writes the last operation; fails unless the base's lines are all
    /// consumed. Returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.flush_pending()?;
        if self.consumed != self.base {
            return Err(Error::invalid(format!(
                "the patch consumes {} of the base's {} entries",
                self.consumed, self.base
            )));
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn consume(&mut self, op: PatchOp, n: u64) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        match self.consumed.checked_add(n) {
            Some(c) if c <= self.base => self.consumed = c,
            _ => {
                return Err(Error::invalid(format!(
                    "the patch consumes more than the base's {} entries",
                    self.base
                )));
            }
        }
        self.pending = match (self.pending, op) {
            (Some(PatchOp::Copy(a)), PatchOp::Copy(b)) => Some(PatchOp::Copy(a + b)),
            (Some(PatchOp::Skip(a)), PatchOp::Skip(b)) => Some(PatchOp::Skip(a + b)),
            (pending, op) => {
                if let Some(p) = pending {
                    write_op(&mut self.out, p)?;
                }
                Some(op)
            }
        };
        Ok(())
    }

    fn flush_pending(&mut self) -> Result<()> {
        if let Some(op) = self.pending.take() {
            write_op(&mut self.out, op)?;
        }
        Ok(())
    }
}

fn write_op(out: &mut impl Write, op: PatchOp) -> Result<()> {
    serde_json::to_writer(&mut *out, &op)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// A line a patch may carry: not empty, no newline, not too long.
fn check_line(line: &[u8], what: &str) -> Result<()> {
    if line.is_empty() || line.len() > MAX_LINE || line.contains(&b'\n') {
        return Err(Error::invalid(format!(
            "{what} must be one non-empty line of at most {MAX_LINE} bytes"
        )));
    }
    Ok(())
}

// ----- reading and applying -------------------------------------------------

/// Reads a patch's plain lines: its header and manifest first, so a caller
/// can check what the patch updates before it gathers the old entries.
pub struct PatchReader<P: BufRead> {
    patch: P,
    header: PatchHeader,
    manifest: PackManifest,
    manifest_line: Vec<u8>,
}

impl<P: BufRead> PatchReader<P> {
    /// Reads and checks the header and the new version's manifest.
    pub fn new(mut patch: P) -> Result<Self> {
        let mut line = Vec::new();
        if !read_line(&mut patch, &mut line)? {
            return Err(invalid("the patch is empty"));
        }
        let header: PatchHeader =
            serde_json::from_slice(&line).map_err(|e| invalid(format!("header: {e}")))?;
        if header.waymark_patch != PATCH_FORMAT {
            return Err(invalid(format!(
                "patch format {} is not supported (expected {PATCH_FORMAT})",
                header.waymark_patch
            )));
        }
        if header.to <= header.from {
            return Err(invalid("the patch does not lead to a newer version"));
        }
        if header.base.sha256.len() != 64
            || !header.base.sha256.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(invalid("the base hash is not a SHA-256 in hex"));
        }
        let mut manifest_line = Vec::new();
        if !read_line(&mut patch, &mut manifest_line)? {
            return Err(invalid("the patch has no manifest"));
        }
        let manifest: PackManifest = serde_json::from_slice(&manifest_line)
            .map_err(|e| invalid(format!("manifest: {e}")))?;
        if manifest.format != PACK_FORMAT {
            return Err(invalid(format!(
                "pack format {} is not supported (expected {PACK_FORMAT})",
                manifest.format
            )));
        }
        if manifest.id != header.pack
            || manifest.publisher.id != header.publisher
            || manifest.version != header.to
        {
            return Err(invalid(
                "the manifest is not of the pack and version the header names",
            ));
        }
        Ok(PatchReader {
            patch,
            header,
            manifest,
            manifest_line,
        })
    }

    /// The patch's header.
    pub fn header(&self) -> &PatchHeader {
        &self.header
    }

    /// The manifest of the version the patch rebuilds.
    pub fn manifest(&self) -> &PackManifest {
        &self.manifest
    }

    /// Applies the patch to `old_entry_lines` (the base version's entry
    /// lines in pack order, without their `\n`) and writes the new
    /// version's content to `out`.
    ///
    /// `out` receives content before the base is confirmed (its hash is
    /// known only at the end): on an error, discard what was written. On
    /// success the content still MUST be checked against the signed
    /// [`ContentDigest`] before it is trusted.
    ///
    /// Errors: [`Error::InvalidPatch`] for a malformed patch,
    /// [`Error::PatchMismatch`] when the old lines are not the patch's
    /// base, and any error `old_entry_lines` or `out` give.
    pub fn apply(
        mut self,
        old_entry_lines: impl Iterator<Item = Result<String>>,
        mut out: impl Write,
    ) -> Result<PatchHeader> {
        let mut old = old_entry_lines;
        out.write_all(&self.manifest_line)?;
        out.write_all(b"\n")?;
        let base = self.header.base.entries;
        let declared = self.manifest.entries;
        let mut hasher = BaseHasher::new();
        let mut written = 0u64;
        let mut line = Vec::new();
        while read_line(&mut self.patch, &mut line)? {
            let op: PatchOp = serde_json::from_slice(&line)
                .map_err(|_| invalid("an operation is not copy, skip or insert"))?;
            match op {
                PatchOp::Copy(0) | PatchOp::Skip(0) | PatchOp::Insert(0) => {
                    return Err(invalid("an operation of 0 lines"));
                }
                PatchOp::Copy(n) | PatchOp::Skip(n) => {
                    if n > base - hasher.entries {
                        return Err(invalid(format!(
                            "the operations consume more than the base's {base} entries"
                        )));
                    }
                    let keep = matches!(op, PatchOp::Copy(_));
                    if keep && n > declared - written {
                        return Err(too_many(declared));
                    }
                    for _ in 0..n {
                        let entry = old.next().ok_or_else(|| {
                            Error::PatchMismatch(
                                "the installed pack has fewer entries than the patch's base".into(),
                            )
                        })??;
                        if entry.len() > MAX_LINE {
                            return Err(Error::PatchMismatch(
                                "an installed entry is longer than a line may be".into(),
                            ));
                        }
                        hasher.add(entry.as_bytes());
                        if keep {
                            out.write_all(entry.as_bytes())?;
                            out.write_all(b"\n")?;
                        }
                    }
                    if keep {
                        written += n;
                    }
                }
                PatchOp::Insert(n) => {
                    if n > declared - written {
                        return Err(too_many(declared));
                    }
                    for _ in 0..n {
                        if !read_line(&mut self.patch, &mut line)? {
                            return Err(invalid("the patch ends inside an insert"));
                        }
                        if line.is_empty() {
                            return Err(invalid("an inserted line is empty"));
                        }
                        out.write_all(&line)?;
                        out.write_all(b"\n")?;
                    }
                    written += n;
                }
            }
        }
        if hasher.entries != base {
            return Err(invalid(format!(
                "the operations consume {} of the base's {base} entries",
                hasher.entries
            )));
        }
        if written != declared {
            return Err(invalid(format!(
                "the patch gives {written} entries; the manifest declares {declared}"
            )));
        }
        if old.next().is_some() {
            return Err(Error::PatchMismatch(
                "the installed pack has more entries than the patch's base".into(),
            ));
        }
        if !hasher
            .finish()
            .sha256
            .eq_ignore_ascii_case(&self.header.base.sha256)
        {
            return Err(Error::PatchMismatch(
                "the installed entries are not the patch's base".into(),
            ));
        }
        out.flush()?;
        Ok(self.header)
    }
}

/// Applies a patch (its plain lines) to a pack's old entry lines, writing
/// the new version's content to `out`; see [`PatchReader::apply`].
pub fn apply_patch(
    patch_plain: impl BufRead,
    old_entry_lines: impl Iterator<Item = Result<String>>,
    out: impl Write,
) -> Result<PatchHeader> {
    PatchReader::new(patch_plain)?.apply(old_entry_lines, out)
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidPatch(reason.into())
}

fn too_many(declared: u64) -> Error {
    invalid(format!(
        "the patch gives more entries than the manifest's {declared}"
    ))
}

/// Reads one patch line (without its newline) into `buf`, refusing one
/// longer than [`MAX_LINE`]; false at the end.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<bool> {
    buf.clear();
    let n = r
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|e| invalid(format!("unreadable patch data: {e}")))?;
    if n == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n > MAX_LINE {
        return Err(invalid(format!("a line is longer than {MAX_LINE} bytes")));
    }
    Ok(true)
}

// ----- installing -----------------------------------------------------------

impl ContentStore {
    /// Updates an installed pack with a patch whose bytes have been verified
    /// for `publisher` (the patch file, zstd-compressed, as its signed
    /// target describes it). `expected` is the new version's content digest
    /// from the pack target's signed metadata ([`PackTargetCustom::content`]).
    ///
    /// The patch is applied to the installed entries into a temporary file
    /// in the store's directory (memory stays bounded whatever the pack's
    /// size), the result's length and SHA-256 are checked against
    /// `expected`, and it is installed like a full pack: in one transaction,
    /// the previous version searchable until the new one is entirely in.
    ///
    /// [`Error::PatchMismatch`] when the patch does not start from what is
    /// installed (another version, no version, other entries): fetch the
    /// full pack instead. Any error leaves the installed pack as it was.
    pub(crate) fn install_patch_verified(
        &self,
        publisher: &str,
        patch: impl Read,
        expected: &ContentDigest,
    ) -> Result<InstalledPack> {
        let decoder = StreamingDecoder::new_with_max_window_size(patch, MAX_WINDOW)
            .map_err(|e| invalid(format!("not a zstd-compressed patch: {e}")))?;
        let reader = PatchReader::new(BufReader::with_capacity(BUFFER, decoder))?;
        let header = reader.header().clone();
        if header.publisher != publisher {
            return Err(invalid(format!(
                "the patch names publisher '{}' but was signed by '{publisher}'",
                header.publisher
            )));
        }
        // tempfile's errors name the path; ours never do (see crate::error).
        let file = tempfile::tempfile_in(self.dir())
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        let mut content =
            DigestWriter::new(BufWriter::with_capacity(BUFFER, file), expected.length);
        {
            // A connection of its own, in a read transaction: the entries
            // and the version read are one snapshot, and searches on the
            // store's connection go on meanwhile.
            let mut conn = open_database(
                &self.dir().join(DB_FILE),
                &ContentSchema,
                OpenMode::MustExist,
            )?;
            let tx = conn.transaction()?;
            let installed: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT id, version FROM packs WHERE publisher = ?1 AND pack_id = ?2",
                    params![publisher, header.pack],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((pack_row, version)) = installed else {
                return Err(Error::PatchMismatch("the pack is not installed".into()));
            };
            if u64::try_from(version).ok() != Some(header.from) {
                return Err(Error::PatchMismatch(format!(
                    "the patch updates version {}, version {version} is installed",
                    header.from
                )));
            }
            // Rows of a pack were inserted in pack order.
            let mut rows = tx.prepare("SELECT body FROM entries WHERE pack = ?1 ORDER BY id")?;
            let lines = rows.query_map([pack_row], |r| r.get::<_, String>(0))?;
            let applied = reader.apply(lines.map(|r| r.map_err(Error::from)), &mut content);
            if content.overflowed {
                return Err(Error::Untrusted(
                    "the updated pack is longer than its signed length".into(),
                ));
            }
            applied?;
        }
        let (file, actual) = content.finish();
        let mut file = file.into_inner().map_err(|e| Error::Io(e.into_error()))?;
        if !actual.matches(expected) {
            return Err(Error::Untrusted(
                "the updated pack differs from its signed content".into(),
            ));
        }
        file.seek(SeekFrom::Start(0))?;
        // The same reader type as the other installs, so the native library
        // holds one copy of the install code, not two (the extra buffer
        // costs nothing: PackReader reads past it in large chunks).
        self.install_from(publisher, PackReader::plain(BufReader::new(file))?)
    }
}

/// A writer that measures and hashes what passes through it, and refuses
/// to pass more than `limit` bytes.
pub(crate) struct DigestWriter<W> {
    inner: W,
    sha256: Sha256,
    length: u64,
    limit: u64,
    pub(crate) overflowed: bool,
}

impl<W: Write> DigestWriter<W> {
    pub(crate) fn new(inner: W, limit: u64) -> Self {
        DigestWriter {
            inner,
            sha256: Sha256::new(),
            length: 0,
            limit,
            overflowed: false,
        }
    }

    pub(crate) fn finish(self) -> (W, ContentDigest) {
        let digest = ContentDigest {
            length: self.length,
            sha256: hex::encode(self.sha256.finalize()),
        };
        (self.inner, digest)
    }
}

impl<W: Write> Write for DigestWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.length + buf.len() as u64 > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("longer than the signed length"));
        }
        let n = self.inner.write(buf)?;
        self.sha256.update(&buf[..n]);
        self.length += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
