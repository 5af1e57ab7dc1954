//! The bundle reader (tar, formats 1 and 2) and its verification against
//! the seed publisher's first root: `verify_bundle` reads the tar with every
//! size bounded, follows the root chain, checks timestamp, snapshot and
//! targets, then the pack's hashes (format 1) or the shared content's
//! signed digest (format 2). Then the verified content is read through.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waymark_core::content::bundle::format::MAX_BUNDLE_METADATA_BYTES;
use waymark_core::content::bundle::{read_bundle, verify_bundle};
use waymark_core::content::pack::PackReader;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(waymark_fuzz::scratch_dir);
    let path = dir.path().join("input.wmbundle");
    std::fs::write(&path, data).unwrap();
    if let Ok((_, metadata, len)) = read_bundle(&path, &mut std::io::sink()) {
        let held: usize = metadata.roots.iter().map(Vec::len).sum::<usize>()
            + metadata.timestamp.len()
            + metadata.snapshot.len()
            + metadata.targets.len();
        assert!(held as u64 <= MAX_BUNDLE_METADATA_BYTES);
        assert!(len <= data.len() as u64);
    }
    if let Ok(verified) = verify_bundle(&path, waymark_fuzz::TRUSTED_ROOT, waymark_fuzz::now())
        && let Ok(mut reader) = PackReader::plain(verified.content)
    {
        while let Some(Ok(_)) = reader.next_with_json() {}
    }
});
