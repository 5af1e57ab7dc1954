//! `validate` and `build`: from a source directory to one pack file.
//!
//! The pack is JSON Lines (manifest, then entries in a fixed order)
//! compressed as one zstd frame with fixed settings and no timestamps, so
//! the same source always gives the same bytes, whatever the number of
//! threads that read and compress it.

use std::path::Path;

use waymark_core::content::pack::PackWriter;

use crate::parallel::timed;
use crate::source::{self, Source};
use crate::{Report, fail};

/// The threads `build` and `validate` use unless told: one per core.
pub fn default_threads() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(256) as u32)
}

/// Reads the source on `threads` threads, printing every problem (errors
/// and warnings) and the translation coverage; fails if there is any
/// error.
pub fn validate(dir: &Path, threads: u32) -> Result<Source, Report> {
    let checked = source::read(dir, threads as usize);
    timed("print problems", || {
        for p in &checked.problems {
            crate::say(p);
        }
        if let Some(table) = &checked.coverage {
            crate::say(format_args!("\ntranslation coverage\n{table}"));
        }
    });
    let (errors, warnings) = (checked.errors(), checked.warnings());
    match checked.source {
        Some(s) => {
            if warnings > 0 {
                crate::say(format_args!(
                    "{}: {warnings} warning(s): check each, then build",
                    dir.display()
                ));
            }
            Ok(s)
        }
        None => fail(format!(
            "{errors} problem(s) and {warnings} warning(s) in {}",
            dir.display()
        )),
    }
}

/// The pack file's bytes for a source, serialised and compressed on
/// `threads` threads (the same bytes for any number).
pub fn pack_bytes(src: &Source, threads: u32) -> Result<Vec<u8>, Report> {
    let content = timed("JSON Lines", || content(src, threads as usize))?;
    timed("zstd", || compress(&content, threads))
}

/// Entries serialised at a time by one thread in [`content`].
const CHUNK: usize = 1024;

/// The pack's content (JSON Lines), as [`PackWriter`] writes it: the
/// manifest's line, then each entry's. The entries are serialised in
/// chunks on up to `threads` threads and joined in their order.
fn content(src: &Source, threads: usize) -> Result<Vec<u8>, Report> {
    let parts = crate::parallel::map_chunks(&src.entries, CHUNK, threads, |chunk| {
        let mut w = PackWriter::continuing(Vec::with_capacity(chunk.len() * 1024));
        for e in chunk {
            w.entry(e)?;
        }
        w.finish()
    });
    let mut content = PackWriter::new(Vec::new(), &src.manifest)?.finish()?;
    for part in parts {
        content.extend_from_slice(&part?);
    }
    Ok(content)
}

/// One zstd frame of `plain` on `threads` threads, the same bytes for
/// any number (packs and patches alike; see [`crate::compress`]).
pub fn compress(plain: &[u8], threads: u32) -> Result<Vec<u8>, Report> {
    Ok(crate::compress::compress(plain, threads)?)
}

/// `waymark-pack build DIR --out FILE [--threads N]`.
pub fn build(dir: &Path, out: &Path, threads: Option<u32>) -> Result<(), Report> {
    let threads = threads.unwrap_or_else(default_threads);
    let src = validate(dir, threads)?;
    let bytes = pack_bytes(&src, threads)?;
    let tmp = out.with_extension("tmp");
    timed("write", || -> Result<(), Report> {
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, out)?;
        Ok(())
    })?;
    let sources = dir_bytes(dir);
    outln!(
        "built {} version {}: {} entries, {} bytes ({:.1}% of the {} bytes of its sources)",
        src.manifest.id,
        src.manifest.version,
        src.entries.len(),
        bytes.len(),
        bytes.len() as f64 * 100.0 / sources.max(1) as f64,
        sources
    );
    Ok(())
}

/// The bytes of the files under `dir` (hidden ones left out): what the
/// pack is built from, to compare the pack's size with.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use waymark_core::content::pack::pack_content;
    use waymark_core::content::synthetic;

    use crate::compress::{SMALL, compress};
    use crate::source::Source;

    /// `n` bytes of lines of words, the same every time.
    fn text(n: usize) -> Vec<u8> {
        const WORDS: [&str; 16] = [
            "asylum", "shelter", "clinic", "border", "legal", "aid", "night", "open", "free",
            "water", "bus", "route", "children", "women", "help", "the",
        ];
        let mut out = Vec::with_capacity(n + 64);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        while out.len() < n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            out.extend_from_slice(WORDS[(x >> 60) as usize].as_bytes());
            out.push(if (x >> 20).is_multiple_of(12) {
                b'\n'
            } else {
                b' '
            });
        }
        out.truncate(n);
        out
    }

    fn decompressed(frame: &[u8]) -> Vec<u8> {
        let mut plain = Vec::new();
        waymark_core::content::pack::decompress(frame)
            .expect("a zstd frame within the phones' window")
            .read_to_end(&mut plain)
            .expect("the frame decompresses");
        plain
    }

    #[test]
    fn small_content_is_compressed_as_every_earlier_build_did() {
        let plain = text(SMALL);
        let mut enc = zstd::Encoder::new(Vec::new(), 19).unwrap();
        enc.include_checksum(true).unwrap();
        enc.include_contentsize(true).unwrap();
        enc.set_pledged_src_size(Some(plain.len() as u64)).unwrap();
        enc.write_all(&plain).unwrap();
        let before = enc.finish().unwrap();
        for threads in [1, 2] {
            assert!(
                compress(&plain, threads).unwrap() == before,
                "{threads} thread(s)"
            );
        }
    }

    #[test]
    fn large_content_is_the_same_bytes_for_any_number_of_threads() {
        // Two jobs (8 MiB and a part): more jobs than workers, as many,
        // and fewer.
        let plain = text(SMALL + (9 << 20));
        let one = compress(&plain, 1).unwrap();
        for threads in [2, 3] {
            assert!(
                compress(&plain, threads).unwrap() == one,
                "{threads} threads"
            );
        }
        assert!(decompressed(&one) == plain);
    }

    #[test]
    fn the_content_is_what_pack_writer_writes_whatever_the_threads() {
        let entries = synthetic::corpus_entries(2_500, 5);
        let mut manifest = synthetic::manifest("ngo", "pack", 1);
        manifest.entries = entries.len() as u64;
        let expected = pack_content(&manifest, &entries).unwrap();
        let src = Source {
            manifest,
            entries,
            origins: Vec::new(),
        };
        for threads in [1, 2, 3] {
            assert!(
                super::content(&src, threads).unwrap() == expected,
                "{threads} threads"
            );
        }
    }
}
