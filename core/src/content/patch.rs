//! The patch format (delta updates): a patch rebuilds the next version of a pack from the
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
//! the base's `N` lines, in order. `waymark-pack` also names the old
//! version's whole content digest (`"content":{"length":L,"sha256":"…"}`,
//! as its pack target signed it): a phone that installed that version
//! applies the patch to its rows in place (see `update.rs`), and one that
//! does not know it (older phones ignore the field) applies it as below.
//!
//! Applying a patch writes the new version's *content*: the decompressed
//! pack, manifest line then entry lines, each ending in `\n`. Its length
//! and SHA-256 are signed in the pack target's metadata
//! ([`super::target::PackTargetCustom::content`]), and a phone installs the result only
//! when both match ([`super::target::ContentDigest`]). A patch file itself is a TUF target
//! like the pack, so its bytes are checked before it is read at all; the
//! checks here are defence in depth and clear errors.

use std::io::{BufRead, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{PACK_FORMAT, PackManifest};
use super::pack::MAX_LINE;
use super::target::ContentDigest;
use crate::error::{Error, Result};

/// The patch format this code writes and reads (the header's
/// `waymark_patch`).
pub const PATCH_FORMAT: u32 = 1;

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
    /// The digest of the base version's whole content (manifest line and
    /// entry lines), as its pack target signed it: a phone that installed
    /// that version, and keeps its signed digest, knows the patch starts
    /// from what it has without reading its entries, and applies the
    /// patch in place (see `update.rs`). Absent from patches written
    /// before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentDigest>,
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
            content: None,
        }
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
/// use waymark_core::content::patch::{BaseHasher, PATCH_FORMAT, PatchHeader, PatchWriter};
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
    /// Checked as UTF-8.
    manifest_line: String,
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
        let mut line = Vec::new();
        if !read_line(&mut patch, &mut line)? {
            return Err(invalid("the patch has no manifest"));
        }
        // As a pack's manifest line must be (PackReader): serde_json skips
        // the bytes of fields it does not know without checking them.
        let manifest_line =
            String::from_utf8(line).map_err(|_| invalid("the manifest is not UTF-8"))?;
        let manifest: PackManifest =
            serde_json::from_str(&manifest_line).map_err(|e| invalid(format!("manifest: {e}")))?;
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

    /// The new version's manifest line, as the patch carries it.
    pub(crate) fn manifest_line(&self) -> &str {
        &self.manifest_line
    }

    /// Reads the operations, checked against the base's entry count and
    /// the manifest's, handing each to `step`: the old lines kept or
    /// dropped, by count, and each line inserted.
    pub(crate) fn walk(mut self, step: &mut dyn FnMut(Step<'_>) -> Result<()>) -> Result<()> {
        let base = self.header.base.entries;
        let declared = self.manifest.entries;
        let (mut consumed, mut written) = (0u64, 0u64);
        let mut line = Vec::new();
        while read_line(&mut self.patch, &mut line)? {
            let op: PatchOp = serde_json::from_slice(&line)
                .map_err(|_| invalid("an operation is not copy, skip or insert"))?;
            match op {
                PatchOp::Copy(0) | PatchOp::Skip(0) | PatchOp::Insert(0) => {
                    return Err(invalid("an operation of 0 lines"));
                }
                PatchOp::Copy(n) | PatchOp::Skip(n) => {
                    if n > base - consumed {
                        return Err(invalid(format!(
                            "the operations consume more than the base's {base} entries"
                        )));
                    }
                    consumed += n;
                    if let PatchOp::Copy(_) = op {
                        if n > declared - written {
                            return Err(too_many(declared));
                        }
                        written += n;
                        step(Step::Keep(n))?;
                    } else {
                        step(Step::Drop(n))?;
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
                        step(Step::Insert(&line))?;
                    }
                    written += n;
                }
            }
        }
        if consumed != base {
            return Err(invalid(format!(
                "the operations consume {consumed} of the base's {base} entries"
            )));
        }
        if written != declared {
            return Err(invalid(format!(
                "the patch gives {written} entries; the manifest declares {declared}"
            )));
        }
        Ok(())
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
        self,
        old_entry_lines: impl Iterator<Item = Result<String>>,
        mut out: impl Write,
    ) -> Result<PatchHeader> {
        let mut old = old_entry_lines;
        out.write_all(self.manifest_line.as_bytes())?;
        out.write_all(b"\n")?;
        let header = self.header.clone();
        let mut hasher = BaseHasher::new();
        self.walk(&mut |step| {
            let (n, keep) = match step {
                Step::Keep(n) => (n, true),
                Step::Drop(n) => (n, false),
                Step::Insert(line) => {
                    out.write_all(line)?;
                    return Ok(out.write_all(b"\n")?);
                }
            };
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
            Ok(())
        })?;
        if old.next().is_some() {
            return Err(Error::PatchMismatch(
                "the installed pack has more entries than the patch's base".into(),
            ));
        }
        if !hasher
            .finish()
            .sha256
            .eq_ignore_ascii_case(&header.base.sha256)
        {
            return Err(Error::PatchMismatch(
                "the installed entries are not the patch's base".into(),
            ));
        }
        out.flush()?;
        Ok(header)
    }
}

/// One step of a patch, as [`PatchReader::walk`] hands it.
pub(crate) enum Step<'a> {
    /// Keep the next `n` old lines.
    Keep(u64),
    /// Drop the next `n` old lines.
    Drop(u64),
    /// Add this line.
    Insert(&'a [u8]),
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
