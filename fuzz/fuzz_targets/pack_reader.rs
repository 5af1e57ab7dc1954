//! The pack reader: one zstd frame of JSON Lines (a pack file) and the same
//! lines uncompressed (a delta update's rebuilt content). Any input: an
//! error or entries, never a panic; memory bounded by the window and line
//! caps (MAX_WINDOW, MAX_LINE) whatever the frame claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::content::pack::{MAX_LINE, PackReader};

fuzz_target!(|data: &[u8]| {
    if let Ok(mut reader) = PackReader::new(data) {
        drain(&mut reader);
    }
    if let Ok(mut reader) = PackReader::plain(data) {
        drain(&mut reader);
    }
});

fn drain<R: std::io::Read>(reader: &mut PackReader<R>) {
    let declared = reader.manifest().entries;
    let mut read = 0u64;
    while let Some(next) = reader.next_with_json() {
        match next {
            Ok((_, json)) => {
                assert!(json.len() <= MAX_LINE, "a line over MAX_LINE was accepted");
                read += 1;
                assert!(read <= declared, "more entries than the manifest declares");
            }
            Err(_) => return,
        }
    }
    assert_eq!(read, declared, "the reader ended early without an error");
}
