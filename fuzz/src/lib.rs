//! What the fuzz targets share: the fixed publisher the seed bundles and
//! repositories are signed by, the fixed moment they are checked at, and
//! a file-set container for inputs that are several files.
//!
//! Seeds are made by `fuzz/make-seeds` (see RELIABILITY.md).

use chrono::{DateTime, Utc};

/// The seed publisher's first root (`1.root.json`): what the bundle and
/// repository targets trust. The seeds rotate it once (`2.root.json`).
pub const TRUSTED_ROOT: &[u8] = include_bytes!("../seeds/trusted-root.json");

/// The seed publisher's card (as `waymark-pack publish` writes it).
pub const CARD: &[u8] = include_bytes!("../seeds/publisher.json");

/// Version 1 of the seed pack (the base the patch target applies to).
pub const BASE_PACK: &[u8] = include_bytes!("../seeds/pack_reader/med1.wmpack");

/// The seed bundles, installed in the search target's store.
pub const BUNDLES: [&[u8]; 2] = [
    include_bytes!("../seeds/bundle/sample-mediterranean.wmbundle"),
    include_bytes!("../seeds/bundle/sample-eastern-med.wmbundle"),
];

/// When the seeds were made: metadata is checked at this moment, so the
/// seeds stay valid however old they get.
pub fn now() -> DateTime<Utc> {
    include_str!("../seeds/made-at.txt")
        .trim()
        .parse()
        .expect("seeds/made-at.txt holds an RFC 3339 time")
}

/// A directory for the targets' scratch files, in `$TMPDIR`. It lives as
/// long as the fuzzing process, which exits without dropping it:
/// `scripts/fuzz` gives each run a `TMPDIR` of its own (in memory, under
/// /dev/shm, when the machine has it) and removes it afterwards.
pub fn scratch_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("waymark-fuzz")
        .tempdir()
        .expect("a scratch directory")
}

/// Splits an input into named files: `NAME \x01 BODY \x00`, repeated (the
/// last body may end without `\x00`). JSON never holds either byte raw.
pub fn files(data: &[u8]) -> Vec<(String, &[u8])> {
    data.split(|&b| b == 0)
        .filter_map(|record| {
            let at = record.iter().position(|&b| b == 1)?;
            let name = String::from_utf8_lossy(&record[..at]).into_owned();
            Some((name, &record[at + 1..]))
        })
        .collect()
}

/// The inverse of [`files`], for making seeds.
pub fn join_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, body) in files {
        out.extend_from_slice(name.as_bytes());
        out.push(1);
        out.extend_from_slice(body);
        out.push(0);
    }
    out
}
