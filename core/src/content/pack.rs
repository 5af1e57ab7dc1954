//! The pack file: one zstd frame holding JSON Lines — the [`PackManifest`]
//! first, then one [`Entry`] per line.
//!
//! Reading streams: memory stays bounded whatever the pack's size, because
//! the decoder's window is capped at [`MAX_WINDOW`] and a line at
//! [`MAX_LINE`]. A pack is untrusted input until its signature is checked,
//! and even then it is parsed defensively.
//!
//! The same JSON Lines, uncompressed, are a pack's *content*: what a delta
//! update rebuilds (see [`super::delta`]) and [`PackReader::plain`] reads.

use std::io::{BufRead, BufReader, Read, Write};

use ruzstd::decoding::FrameDecoder;
use ruzstd::decoding::StreamingDecoder;

use super::model::{Entry, PACK_FORMAT, PackManifest};
use crate::error::{Error, Result};

/// Largest zstd window accepted (memory the decoder may need).
pub const MAX_WINDOW: u64 = 8 * 1024 * 1024;
/// Longest line (one entry) accepted.
pub const MAX_LINE: usize = 1024 * 1024;

/// Size of the buffer lines are read from.
const BUFFER: usize = 64 * 1024;

/// Reads a pack: [`PackReader::manifest`], then the entries as an iterator.
pub struct PackReader<R: Read> {
    lines: Lines<R>,
    manifest: PackManifest,
    manifest_json: String,
    read: u64,
    line: Vec<u8>,
}

/// Where a reader's lines come from: a zstd frame, or content already
/// decompressed. An enum rather than a boxed reader, so the reader stays
/// `Send` when its source is, and the compressed path pays one branch per
/// buffer refill, no virtual call. (One reader lives per install, so the
/// size of the larger variant costs nothing worth a box.)
#[allow(clippy::large_enum_variant)]
enum Lines<R: Read> {
    Zstd(BufReader<StreamingDecoder<R, FrameDecoder>>),
    Plain(BufReader<R>),
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Lines::Zstd(r) => r.read(buf),
            Lines::Plain(r) => r.read(buf),
        }
    }
}

impl<R: Read> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        match self {
            Lines::Zstd(r) => r.fill_buf(),
            Lines::Plain(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            Lines::Zstd(r) => r.consume(amount),
            Lines::Plain(r) => r.consume(amount),
        }
    }
}

impl<R: Read> PackReader<R> {
    /// Opens a pack file (one zstd frame) and reads its manifest.
    pub fn new(source: R) -> Result<Self> {
        let decoder = decompress(source)
            .map_err(|e| Error::InvalidPack(format!("not a zstd-compressed pack: {e}")))?;
        Self::with_lines(Lines::Zstd(BufReader::with_capacity(BUFFER, decoder)))
    }

    /// Opens a pack's content, its JSON Lines already decompressed (as a
    /// delta update rebuilds it), and reads its manifest. The same checks
    /// apply as to a pack file.
    pub fn plain(source: R) -> Result<Self> {
        Self::with_lines(Lines::Plain(BufReader::with_capacity(BUFFER, source)))
    }

    fn with_lines(mut lines: Lines<R>) -> Result<Self> {
        let mut line = Vec::new();
        if !read_line(&mut lines, &mut line)? {
            return Err(Error::InvalidPack("empty pack".into()));
        }
        let manifest: PackManifest = serde_json::from_slice(&line)
            .map_err(|e| Error::InvalidPack(format!("manifest: {e}")))?;
        if manifest.format != PACK_FORMAT {
            return Err(Error::InvalidPack(format!(
                "pack format {} is not supported (expected {PACK_FORMAT})",
                manifest.format
            )));
        }
        let manifest_json = String::from_utf8(line.clone())
            .map_err(|_| Error::InvalidPack("the manifest is not UTF-8".into()))?;
        Ok(PackReader {
            lines,
            manifest,
            manifest_json,
            read: 0,
            line,
        })
    }

    /// The pack's manifest.
    pub fn manifest(&self) -> &PackManifest {
        &self.manifest
    }

    /// The manifest's line as read: what is stored, so that the pack's
    /// content can be rebuilt byte for byte (its digest is signed).
    pub fn manifest_json(&self) -> &str {
        &self.manifest_json
    }
}

impl<R: Read> PackReader<R> {
    /// The next entry and its JSON line as read, so a caller storing the
    /// entry need not serialise it again. The line is checked as UTF-8 once,
    /// here, and parsed as text.
    pub fn next_with_json(&mut self) -> Option<Result<(Entry, &str)>> {
        match read_line(&mut self.lines, &mut self.line) {
            Err(e) => Some(Err(e)),
            Ok(false) if self.read == self.manifest.entries => None,
            Ok(false) => Some(Err(Error::InvalidPack(format!(
                "pack ends after {} of {} entries",
                self.read, self.manifest.entries
            )))),
            Ok(true) if self.read == self.manifest.entries => Some(Err(Error::InvalidPack(
                "more entries than the manifest declares".into(),
            ))),
            Ok(true) => {
                self.read += 1;
                let n = self.read;
                Some(
                    std::str::from_utf8(&self.line)
                        .map_err(|_| Error::InvalidPack(format!("entry {n} is not UTF-8")))
                        .and_then(|json| {
                            Entry::from_json(json)
                                .map(|entry| (entry, json))
                                .map_err(|e| Error::InvalidPack(format!("entry {n}: {e}")))
                        }),
                )
            }
        }
    }
}

impl<R: Read> Iterator for PackReader<R> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        Some(self.next_with_json()?.map(|(entry, _)| entry))
    }
}

/// Reads one line (without its newline) into `buf`, refusing one longer
/// than [`MAX_LINE`]; false at the end.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<bool> {
    buf.clear();
    let n = r
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|e| Error::InvalidPack(format!("unreadable pack data: {e}")))?;
    if n == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n > MAX_LINE {
        return Err(Error::InvalidPack(format!(
            "an entry is longer than {MAX_LINE} bytes"
        )));
    }
    Ok(true)
}

/// Opens one zstd frame for reading with the decoder's window capped at
/// [`MAX_WINDOW`]: the one way Waymark decompresses a pack, a patch or a
/// shared pack's content.
pub fn decompress<R: Read>(
    compressed: R,
) -> std::result::Result<
    StreamingDecoder<R, FrameDecoder>,
    ruzstd::decoding::errors::FrameDecoderError,
> {
    StreamingDecoder::new_with_max_window_size(compressed, MAX_WINDOW)
}

/// Writes a pack's content: the manifest line, then one line per entry,
/// each ending in `\n` (the JSON Lines a pack file compresses, and what a
/// patch rebuilds). The one writer of the format: `waymark-pack build`
/// compresses its output with the zstd library (one frame, window at most
/// [`MAX_WINDOW`]), a phone sharing a pack with the pure-Rust encoder; the
/// caller chooses by the `out` it gives.
///
/// ```
/// use waymark_core::content::pack::{PackReader, PackWriter};
/// # let manifest: waymark_core::content::model::PackManifest = serde_json::from_str(
/// #     r#"{"format":1,"id":"p","version":1,"publisher":{"id":"ngo","name":"NGO"},
/// #        "title":{"en":"P"},"languages":["en"],"fallback":["en"],"built":"2026-01-01",
/// #        "entries":0}"#).unwrap();
/// let content = PackWriter::new(Vec::new(), &manifest).unwrap().finish().unwrap();
/// let reader = PackReader::plain(&content[..]).unwrap();
/// assert_eq!(reader.manifest(), &manifest);
/// ```
pub struct PackWriter<W: Write> {
    out: W,
}

impl<W: Write> PackWriter<W> {
    /// Starts a pack's content with `manifest`'s line.
    pub fn new(out: W, manifest: &PackManifest) -> Result<Self> {
        let line = serde_json::to_vec(manifest)?;
        Self::with_manifest_line(out, &line)
    }

    /// Starts a pack's content with a manifest line kept as received
    /// (verbatim: its bytes are part of the signed content digest).
    pub fn with_manifest_line(out: W, line: &[u8]) -> Result<Self> {
        let mut w = PackWriter { out };
        w.line(line)?;
        Ok(w)
    }

    /// Writes entries' lines only, the manifest's left to another writer:
    /// for content written in parts (on several threads, as `waymark-pack
    /// build` does) and joined after the manifest's line.
    pub fn continuing(out: W) -> Self {
        PackWriter { out }
    }

    /// Adds one entry.
    pub fn entry(&mut self, entry: &Entry) -> Result<()> {
        serde_json::to_writer(&mut self.out, entry)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Adds one entry's line as stored (verbatim, without its `\n`).
    pub fn entry_line(&mut self, line: &[u8]) -> Result<()> {
        self.line(line)
    }

    fn line(&mut self, line: &[u8]) -> Result<()> {
        if line.contains(&b'\n') {
            return Err(Error::InvalidPack("a pack line holds a line break".into()));
        }
        self.out.write_all(line)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A pack's content (uncompressed JSON Lines) for `manifest` and
/// `entries`; the manifest's `entries` is set from `entries`.
pub fn pack_content(manifest: &PackManifest, entries: &[Entry]) -> Result<Vec<u8>> {
    let manifest = PackManifest {
        entries: entries.len() as u64,
        ..manifest.clone()
    };
    let mut w = PackWriter::new(Vec::new(), &manifest)?;
    for e in entries {
        w.entry(e)?;
    }
    w.finish()
}

/// Writes a pack file with the pure-Rust encoder. Publishers use
/// `waymark-pack`, which compresses harder; both produce standard zstd
/// frames. The manifest's `entries` is set from `entries`.
pub fn write_pack(manifest: &PackManifest, entries: &[Entry], out: impl Write) -> Result<()> {
    let content = pack_content(manifest, entries)?;
    ruzstd::encoding::compress(
        &content[..],
        out,
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    Ok(())
}
