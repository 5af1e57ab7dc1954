//! A patch (its plain lines: header, manifest, copy/skip/insert operations)
//! applied against a real base, version 1 of the seed pack. Any patch: an
//! error or new content, never a panic; the output holds at most the
//! manifest's declared entries, each at most MAX_LINE long.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waymark_core::content::pack::{MAX_LINE, PackReader};
use waymark_core::content::patch::apply_patch;

static BASE: OnceLock<Vec<String>> = OnceLock::new();

fn base() -> &'static [String] {
    BASE.get_or_init(|| {
        let mut reader = PackReader::new(waymark_fuzz::BASE_PACK).expect("the base pack reads");
        let mut lines = Vec::new();
        while let Some(entry) = reader.next_with_json() {
            lines.push(entry.expect("the base pack reads").1.to_owned());
        }
        lines
    })
}

fuzz_target!(|data: &[u8]| {
    let base = base();
    let mut out = Vec::new();
    if let Ok(header) = apply_patch(data, base.iter().cloned().map(Ok), &mut out) {
        // The manifest line, then exactly the declared entries (checked
        // against the signed digest by the caller, not here).
        let declared = PackReader::plain(&out[..])
            .expect("applied content starts with its manifest")
            .manifest()
            .entries;
        let lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
        assert_eq!(lines.last(), Some(&&b""[..]), "content ends with a newline");
        assert_eq!(
            lines.len() as u64 - 2,
            declared,
            "entries written != declared"
        );
        assert!(lines.iter().all(|l| l.len() <= MAX_LINE));
        assert_eq!(header.base.entries, base.len() as u64);
    }
});
