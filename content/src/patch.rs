//! Patches from a published version of a pack to the next, so a phone
//! that has the old version downloads what changed instead of the whole
//! pack. The format, and how a phone applies it, are in
//! `waymark_core::content::patch`; this module makes patches.
//!
//! Entries are compared line by line (one entry per line): a patience diff
//! anchors on the lines that occur once in each version, which every entry
//! line does (it carries the entry's id), so diffing a 100,000-entry pack
//! takes well under a second. A diff that runs past [`DIFF_TIME`] settles
//! for a coarser, still correct, patch.

use std::io::Write;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};
use waymark_core::content::model::PackManifest;
use waymark_core::content::patch::{
    BaseHasher, PATCH_FORMAT, PatchBase, PatchHeader, PatchWriter, apply_patch,
};
use waymark_core::content::target::ContentDigest;

use crate::build::compress;
use crate::{Report, fail};

/// The longest a diff may run before it settles for a coarser patch.
pub const DIFF_TIME: Duration = Duration::from_secs(30);

/// A pack's content (its JSON Lines, decompressed), split into lines.
pub struct Content<'a> {
    /// The whole content.
    pub bytes: &'a [u8],
    /// The manifest line, without its `\n`.
    pub manifest_line: &'a [u8],
    /// The manifest.
    pub manifest: PackManifest,
    /// The entry lines, without their `\n`.
    pub entries: Vec<&'a [u8]>,
}

impl<'a> Content<'a> {
    /// Splits `bytes` into lines and reads the manifest.
    pub fn split(bytes: &'a [u8]) -> Result<Self, Report> {
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let mut lines = body.split(|&b| b == b'\n');
        let manifest_line = lines.next().unwrap_or_default();
        let manifest = serde_json::from_slice(manifest_line)
            .map_err(|e| Report::message(format!("the pack's manifest: {e}")))?;
        Ok(Content {
            bytes,
            manifest_line,
            manifest,
            entries: lines.collect(),
        })
    }
}

/// Decompresses a pack file (a publisher's own: no bound on its size).
pub fn decompress(pack: &[u8]) -> Result<Vec<u8>, Report> {
    zstd::decode_all(pack)
        .map_err(|e| Report::message(format!("the pack does not decompress: {e}")))
}

/// The zstd-compressed patch that turns `old` into `new`, checked by
/// applying it: a patch that would not rebuild `new` byte for byte (a pack
/// whose last line has no `\n`, say) is refused here, not on a phone.
pub fn make_patch(old: &Content<'_>, new: &Content<'_>) -> Result<Vec<u8>, Report> {
    let (from, to) = (old.manifest.version, new.manifest.version);
    if old.manifest.id != new.manifest.id || old.manifest.publisher.id != new.manifest.publisher.id
    {
        return fail("a patch joins two versions of one pack of one publisher");
    }
    if to <= from {
        return fail(format!("version {to} does not follow version {from}"));
    }
    let mut base = BaseHasher::new();
    old.entries.iter().for_each(|l| base.add(l));
    // The old version's whole content, as its pack target signed it: a
    // phone that keeps that digest applies the patch in place.
    let base = PatchBase {
        content: Some(ContentDigest::of(old.bytes)),
        ..base.finish()
    };
    let header = PatchHeader {
        waymark_patch: PATCH_FORMAT,
        pack: new.manifest.id.clone(),
        publisher: new.manifest.publisher.id.clone(),
        from,
        to,
        base,
    };
    let ops = capture_diff_slices_deadline(
        Algorithm::Patience,
        &old.entries,
        &new.entries,
        Some(Instant::now() + DIFF_TIME),
    );
    let mut w = PatchWriter::new(Vec::new(), &header, new.manifest_line)?;
    for op in ops {
        match op {
            DiffOp::Equal { len, .. } => w.copy(len as u64)?,
            DiffOp::Delete { old_len, .. } => w.skip(old_len as u64)?,
            DiffOp::Insert {
                new_index, new_len, ..
            } => w.insert(&new.entries[new_index..new_index + new_len])?,
            DiffOp::Replace {
                old_len,
                new_index,
                new_len,
                ..
            } => {
                w.skip(old_len as u64)?;
                w.insert(&new.entries[new_index..new_index + new_len])?;
            }
        }
    }
    let plain = w.finish()?;
    check_rebuilds(&plain, old, new)?;
    compress(&plain, crate::build::default_threads())
}

/// Fails unless `plain` applied to `old` gives `new`'s content exactly.
fn check_rebuilds(plain: &[u8], old: &Content<'_>, new: &Content<'_>) -> Result<(), Report> {
    let old_lines = old.entries.iter().map(|l| {
        String::from_utf8(l.to_vec())
            .map_err(|_| waymark_core::Error::InvalidPack("an entry is not UTF-8".into()))
    });
    let mut rebuilt = Same {
        rest: new.bytes,
        same: true,
    };
    apply_patch(plain, old_lines, &mut rebuilt)?;
    if !rebuilt.same || !rebuilt.rest.is_empty() {
        return fail(
            "the patch does not rebuild the pack exactly (is every line, the last too, ended by \\n?)",
        );
    }
    Ok(())
}

/// A writer that compares what it is given with the bytes expected.
struct Same<'a> {
    rest: &'a [u8],
    same: bool,
}

impl Write for Same<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.rest.strip_prefix(buf) {
            Some(rest) if self.same => self.rest = rest,
            _ => self.same = false,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use waymark_core::content::model::{PACK_FORMAT, Publisher};
    use waymark_core::content::patch::{PatchOp, PatchReader};

    use super::*;

    fn content(version: u64, entries: &[String]) -> Vec<u8> {
        let manifest = PackManifest {
            format: PACK_FORMAT,
            id: "p".into(),
            version,
            publisher: Publisher {
                id: "ngo".into(),
                name: "NGO (sample)".into(),
            },
            title: [("en".to_string(), "Sample".to_string())].into(),
            languages: vec!["en".into()],
            fallback: vec!["en".into()],
            sample: true,
            built: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            entries: entries.len() as u64,
            time_zones: Default::default(),
        };
        let mut out = serde_json::to_vec(&manifest).unwrap();
        out.push(b'\n');
        for e in entries {
            out.extend_from_slice(e.as_bytes());
            out.push(b'\n');
        }
        out
    }

    fn rebuild(patch: &[u8], old: &Content<'_>) -> Vec<u8> {
        let plain = zstd::decode_all(patch).unwrap();
        let mut out = Vec::new();
        apply_patch(
            &plain[..],
            old.entries
                .iter()
                .map(|l| Ok(String::from_utf8(l.to_vec()).unwrap())),
            &mut out,
        )
        .unwrap();
        out
    }

    /// Entry lines as a pack has them: each distinct, some repeated
    /// texts inside.
    fn entries() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec((0..40u32, "[a-c ]{0,6}"), 0..60).prop_map(|v| {
            v.into_iter()
                .map(|(id, text)| format!("{{\"id\":\"e{id}\",\"text\":\"{text}\"}}"))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn a_patch_rebuilds_the_new_version_exactly(old in entries(), new in entries()) {
            let (a, b) = (content(1, &old), content(2, &new));
            let (a, b) = (Content::split(&a).unwrap(), Content::split(&b).unwrap());
            let patch = make_patch(&a, &b).unwrap();
            prop_assert_eq!(rebuild(&patch, &a), b.bytes);
        }
    }

    #[test]
    fn one_changed_entry_in_many_costs_one_line() {
        let old: Vec<String> = (0..1000).map(|i| format!("{{\"id\":{i}}}")).collect();
        let mut new = old.clone();
        new[500] = "{\"id\":500,\"new\":true}".into();
        new.remove(900);
        new.push("{\"id\":1000}".into());
        let (a, b) = (content(1, &old), content(2, &new));
        let (a, b) = (Content::split(&a).unwrap(), Content::split(&b).unwrap());
        let plain = zstd::decode_all(&make_patch(&a, &b).unwrap()[..]).unwrap();
        let ops: Vec<PatchOp> = plain
            .split(|&c| c == b'\n')
            .skip(2)
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect();
        assert_eq!(
            ops,
            [
                PatchOp::Copy(500),
                PatchOp::Skip(1),
                PatchOp::Insert(1),
                PatchOp::Copy(399),
                PatchOp::Skip(1),
                PatchOp::Copy(99),
                PatchOp::Insert(1),
            ]
        );
        let header = PatchReader::new(&plain[..]).unwrap().header().clone();
        assert_eq!((header.from, header.to, header.base.entries), (1, 2, 1000));
    }

    #[test]
    fn a_pack_that_a_patch_cannot_rebuild_gets_no_patch() {
        let old = content(1, &["{\"id\":1}".to_string()]);
        let mut new = content(2, &["{\"id\":2}".to_string()]);
        new.pop(); // the last line loses its \n
        let (a, b) = (Content::split(&old).unwrap(), Content::split(&new).unwrap());
        assert!(make_patch(&a, &b).is_err());
        // Nor between versions in the wrong order.
        assert!(make_patch(&b, &a).is_err());
    }
}
