//! `validate` and `build`: from a source directory to one pack file.
//!
//! The pack is JSON Lines (manifest, then entries in a fixed order)
//! compressed as one zstd frame at a fixed level with no timestamps, so the
//! same source always gives the same bytes.

use std::io::Write;
use std::path::Path;

use waymark_core::content::pack::PackWriter;

use crate::source::{self, Source};
use crate::{Report, fail};

/// zstd level: slow to write, as fast as any other level to read.
const ZSTD_LEVEL: i32 = 19;

/// Reads the source, printing every problem (errors and warnings) and the
/// translation coverage; fails if there is any error.
pub fn validate(dir: &Path) -> Result<Source, Report> {
    let checked = source::read(dir);
    for p in &checked.problems {
        crate::say(p);
    }
    if let Some(table) = &checked.coverage {
        crate::say(format_args!("\ntranslation coverage\n{table}"));
    }
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

/// The pack file's bytes for a source.
pub fn pack_bytes(src: &Source) -> Result<Vec<u8>, Report> {
    let mut content = PackWriter::new(Vec::new(), &src.manifest)?;
    for e in &src.entries {
        content.entry(e)?;
    }
    compress(&content.finish()?)
}

/// One zstd frame of `plain`, at [`ZSTD_LEVEL`], with its checksum and
/// size and nothing that varies between runs (packs and patches alike).
pub fn compress(plain: &[u8]) -> Result<Vec<u8>, Report> {
    let mut enc = zstd::Encoder::new(Vec::new(), ZSTD_LEVEL)?;
    enc.include_checksum(true)?;
    enc.include_contentsize(true)?;
    enc.set_pledged_src_size(Some(plain.len() as u64))?;
    enc.write_all(plain)?;
    Ok(enc.finish()?)
}

/// `waymark-pack build DIR --out FILE`.
pub fn build(dir: &Path, out: &Path) -> Result<(), Report> {
    let src = validate(dir)?;
    let bytes = pack_bytes(&src)?;
    let tmp = out.with_extension("tmp");
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, out)?;
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
