//! Delta updates: a patch rebuilds exactly the new content, refuses a base
//! that is not the installed one, and installs like the full pack.

use std::io::Read;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::model::*;
use super::pack::write_pack;
use super::patch::*;
use super::target::*;
use super::tests::signed_as;
use super::*;
use crate::Error;
use crate::clock::ManualClock;

// ----- the format -----------------------------------------------------------

fn manifest(version: u64, entries: u64) -> PackManifest {
    PackManifest {
        format: PACK_FORMAT,
        id: "p".into(),
        version,
        publisher: Publisher {
            id: "pub-a".into(),
            name: "Publisher A (sample)".into(),
        },
        title: [("en".to_string(), "Sample pack".to_string())].into(),
        languages: vec!["en".into()],
        fallback: vec!["en".into()],
        sample: true,
        built: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        entries,
        time_zones: Default::default(),
    }
}

fn manifest_line(version: u64, entries: usize) -> String {
    serde_json::to_string(&manifest(version, entries as u64)).unwrap()
}

/// The content of a pack: manifest line, then entry lines, each with `\n`.
fn content(manifest_line: &str, lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in std::iter::once(manifest_line).chain(lines.iter().map(String::as_str)) {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    out
}

fn header(old: &[String], from: u64, to: u64) -> PatchHeader {
    let mut base = BaseHasher::new();
    old.iter().for_each(|l| base.add(l.as_bytes()));
    PatchHeader {
        waymark_patch: PATCH_FORMAT,
        pack: "p".into(),
        publisher: "pub-a".into(),
        from,
        to,
        base: base.finish(),
    }
}

fn lines(old: &[String]) -> impl Iterator<Item = crate::Result<String>> + '_ {
    old.iter().cloned().map(Ok)
}

/// A step of an edit script over the old lines.
#[derive(Debug, Clone)]
enum Edit {
    Copy(usize),
    Skip(usize),
    Insert(Vec<String>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (1..6usize).prop_map(Edit::Copy),
        (1..6usize).prop_map(Edit::Skip),
        prop::collection::vec("[ -~]{1,30}", 1..4).prop_map(Edit::Insert),
    ]
}

/// Runs `script` over `old` (what is left at the end is copied): the new
/// lines, and the patch that says the same.
fn script_patch(old: &[String], script: &[Edit]) -> (Vec<String>, Vec<u8>) {
    let mut new = Vec::new();
    let mut at = 0;
    let mut ops = Vec::new();
    for e in script {
        match e {
            Edit::Copy(n) | Edit::Skip(n) => {
                let n = (*n).min(old.len() - at);
                if n == 0 {
                    continue;
                }
                if matches!(e, Edit::Copy(_)) {
                    new.extend_from_slice(&old[at..at + n]);
                    ops.push(Edit::Copy(n));
                } else {
                    ops.push(Edit::Skip(n));
                }
                at += n;
            }
            Edit::Insert(l) => {
                new.extend_from_slice(l);
                ops.push(e.clone());
            }
        }
    }
    if at < old.len() {
        new.extend_from_slice(&old[at..]);
        ops.push(Edit::Copy(old.len() - at));
    }
    let manifest = manifest_line(2, new.len());
    let mut w = PatchWriter::new(Vec::new(), &header(old, 1, 2), manifest.as_bytes()).unwrap();
    for op in ops {
        match op {
            Edit::Copy(n) => w.copy(n as u64).unwrap(),
            Edit::Skip(n) => w.skip(n as u64).unwrap(),
            Edit::Insert(l) => {
                let l: Vec<&[u8]> = l.iter().map(|s| s.as_bytes()).collect();
                w.insert(&l).unwrap()
            }
        }
    }
    (new, w.finish().unwrap())
}

proptest! {
    #[test]
    fn applying_a_patch_gives_exactly_the_new_content(
        old in prop::collection::vec("[a-z{}\":,]{1,20}", 0..40),
        script in prop::collection::vec(edit(), 0..20),
    ) {
        let (new, patch) = script_patch(&old, &script);
        let mut out = Vec::new();
        let h = apply_patch(&patch[..], lines(&old), &mut out).unwrap();
        prop_assert_eq!((h.from, h.to), (1, 2));
        prop_assert_eq!(out, content(&manifest_line(2, new.len()), &new));
    }
}

fn old_lines() -> Vec<String> {
    (0..10).map(|i| format!("{{\"n\":{i}}}")).collect()
}

/// A patch written by hand, line by line, header and manifest first.
fn hand_patch(old: &[String], new_entries: usize, ops: &[&str]) -> Vec<u8> {
    let mut p = serde_json::to_string(&header(old, 1, 2)).unwrap();
    p.push('\n');
    p.push_str(&manifest_line(2, new_entries));
    p.push('\n');
    for op in ops {
        p.push_str(op);
        p.push('\n');
    }
    p.into_bytes()
}

fn apply(patch: &[u8], old: &[String]) -> crate::Result<Vec<u8>> {
    let mut out = Vec::new();
    apply_patch(patch, lines(old), &mut out).map(|_| out)
}

#[test]
fn a_base_other_than_the_old_lines_is_refused() {
    let old = old_lines();
    let patch = hand_patch(&old, 10, &[r#"{"copy":10}"#]);
    assert!(apply(&patch, &old).is_ok());
    let mut altered = old.clone();
    altered[3] = r#"{"n":33}"#.into();
    assert!(matches!(
        apply(&patch, &altered),
        Err(Error::PatchMismatch(_))
    ));
    // Fewer or more installed lines than the base has.
    assert!(matches!(
        apply(&patch, &old[..9]),
        Err(Error::PatchMismatch(_))
    ));
    let mut longer = old.clone();
    longer.push(r#"{"n":10}"#.into());
    assert!(matches!(
        apply(&patch, &longer),
        Err(Error::PatchMismatch(_))
    ));
}

#[test]
fn operations_must_consume_exactly_the_base() {
    let old = old_lines();
    for ops in [
        &[r#"{"copy":9}"#][..],
        &[r#"{"copy":5}"#, r#"{"skip":4}"#],
        &[r#"{"copy":11}"#],
        &[r#"{"copy":5}"#, r#"{"skip":6}"#],
        &[],
    ] {
        let copied: usize = ops
            .iter()
            .filter_map(|o| {
                o.strip_prefix(r#"{"copy":"#)?
                    .strip_suffix('}')?
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        let patch = hand_patch(&old, copied, ops);
        assert!(
            matches!(apply(&patch, &old), Err(Error::InvalidPatch(_))),
            "{ops:?}"
        );
    }
    // And the writer refuses to write such a patch.
    let mut w = PatchWriter::new(Vec::new(), &header(&old, 1, 2), b"{}").unwrap();
    w.copy(9).unwrap();
    assert!(w.skip(2).is_err());
    assert!(w.finish().is_err());
}

#[test]
fn malformed_patches_are_refused_with_a_reason() {
    let old = old_lines();
    let too_long = format!("{{\"insert\":1}}\n{}", "x".repeat(pack::MAX_LINE + 1));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "empty"),
        (b"not json\n".to_vec(), "header"),
        (
            hand_patch(&old, 12, &[r#"{"copy":10}"#, r#"{"insert":2}"#, "{}"]),
            "ends inside an insert",
        ),
        (
            hand_patch(&old, 11, &[r#"{"copy":10}"#, r#"{"insert":1}"#, ""]),
            "empty",
        ),
        (
            hand_patch(&old, 10, &[r#"{"move":10}"#]),
            "copy, skip or insert",
        ),
        (
            hand_patch(&old, 10, &[r#"{"copy":0}"#, r#"{"copy":10}"#]),
            "0 lines",
        ),
        (
            hand_patch(&old, 10, &[r#"{"copy":18446744073709551615}"#]),
            "more than the base",
        ),
        // The manifest declares 9 entries; the operations give 10.
        (
            hand_patch(&old, 9, &[r#"{"copy":10}"#]),
            "more entries than the manifest",
        ),
        (
            hand_patch(&old, 11, &[r#"{"copy":10}"#]),
            "manifest declares 11",
        ),
        (
            [
                hand_patch(&old, 11, &[r#"{"copy":10}"#]),
                too_long.into_bytes(),
            ]
            .concat(),
            "longer than",
        ),
    ];
    for (patch, reason) in cases {
        match apply(&patch, &old) {
            Err(Error::InvalidPatch(r)) => assert!(r.contains(reason), "{r} / {reason}"),
            other => panic!("{reason}: {other:?}"),
        }
    }
    // A header that contradicts itself or its manifest.
    let mut h = header(&old, 2, 2);
    let bad = |h: &PatchHeader, manifest: &str| {
        let p = format!(
            "{}\n{manifest}\n{{\"copy\":10}}\n",
            serde_json::to_string(h).unwrap()
        );
        apply(p.as_bytes(), &old)
    };
    assert!(matches!(
        bad(&h, &manifest_line(2, 10)),
        Err(Error::InvalidPatch(_))
    ));
    h.from = 1;
    h.pack = "q".into();
    assert!(matches!(
        bad(&h, &manifest_line(2, 10)),
        Err(Error::InvalidPatch(_))
    ));
    h.pack = "p".into();
    assert!(bad(&h, &manifest_line(2, 10)).is_ok());
    assert!(matches!(
        bad(&h, &manifest_line(3, 10)),
        Err(Error::InvalidPatch(_))
    ));
    h.waymark_patch = 2;
    assert!(matches!(
        bad(&h, &manifest_line(2, 10)),
        Err(Error::InvalidPatch(_))
    ));
}

/// Found by the `patch_apply` fuzz target: serde_json skips an unknown
/// field's bytes without checking them, so a manifest line that is not
/// UTF-8 was applied and only refused when the content was read.
#[test]
fn a_manifest_line_that_is_not_utf8_is_refused_when_the_patch_is_read() {
    let old = old_lines();
    let line = manifest_line(2, 10);
    let mut bad = line.clone().into_bytes();
    let brace = bad.len() - 1;
    bad.splice(brace..brace, b",\"note\":\"\xff\"".iter().copied());
    let mut patch = serde_json::to_vec(&header(&old, 1, 2)).unwrap();
    patch.push(b'\n');
    patch.extend_from_slice(&bad);
    patch.extend_from_slice(b"\n{\"copy\":10}\n");
    match apply(&patch, &old) {
        Err(Error::InvalidPatch(r)) => assert!(r.contains("not UTF-8"), "{r}"),
        other => panic!("{other:?}"),
    }
    // The same line with a valid string applies.
    let good = hand_patch(&old, 10, &[r#"{"copy":10}"#]);
    assert!(apply(&good, &old).is_ok());
}

#[test]
fn custom_metadata_round_trips_through_a_target() {
    let custom = PackTargetCustom {
        pack: "p".into(),
        version: 5,
        publisher: "pub-a".into(),
        content: Some(ContentDigest::of(b"{}\n")),
        patches: [(4, "patches/p/4-5.wmpatch".to_string())].into(),
    };
    let value = custom.to_custom();
    assert_eq!(value["waymark"]["patches"]["4"], "patches/p/4-5.wmpatch");
    assert_eq!(value["waymark"]["content"]["length"], 3);
    let mut target = crate::tuf::TargetFile::describe(b"pack");
    target.custom = Some(value);
    assert_eq!(PackTargetCustom::of(&target), Some(custom));
    assert_eq!(PatchTargetCustom::of(&target), None);
    // A target published before delta updates.
    target.custom =
        Some(serde_json::json!({"waymark": {"pack": "p", "version": 4, "publisher": "pub-a"}}));
    let old = PackTargetCustom::of(&target).unwrap();
    assert!(old.content.is_none() && old.patches.is_empty());
}

// ----- installing -----------------------------------------------------------

fn store() -> (tempfile::TempDir, ContentStore) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
    ));
    let store = ContentStore::open_with_clock(dir.path(), clock).unwrap();
    (dir, store)
}

const WORDS: &[&str] = &[
    "asylum", "shelter", "clinic", "legal", "ferry", "winter", "doctor", "police", "school",
    "water", "blanket", "permit",
];

fn article(i: usize, edit: &str) -> Entry {
    Entry::Article(Article {
        id: format!("art-{i}"),
        language: "en".into(),
        title: format!("{} {} {edit}", WORDS[i % 12], WORDS[(i / 12) % 12]),
        body: format!(
            "Ask at the {} about {}.",
            WORDS[(i * 7) % 12],
            WORDS[(i * 5) % 12]
        ),
        countries: vec![],
        topics: vec![],
        verified: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        expires: None,
    })
}

fn v1() -> Vec<Entry> {
    (0..60).map(|i| article(i, "")).collect()
}

/// Version 2: a few entries edited, two removed, one added.
fn v2() -> Vec<Entry> {
    let mut e: Vec<Entry> = (0..60)
        .filter(|i| *i != 20 && *i != 41)
        .map(|i| article(i, if i % 17 == 3 { "updated" } else { "" }))
        .collect();
    e.insert(30, article(100, "new"));
    e
}

fn pack_file(version: u64, entries: &[Entry]) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_pack(&manifest(version, 0), entries, &mut bytes).unwrap();
    bytes
}

fn content_of(pack: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ruzstd::decoding::StreamingDecoder::new(pack)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn split(content: &[u8]) -> (String, Vec<String>) {
    let text = std::str::from_utf8(content).unwrap();
    let mut lines = text.lines().map(str::to_owned);
    let manifest = lines.next().unwrap();
    (manifest, lines.collect())
}

/// A valid (not minimal) patch from one pack file to another: the common
/// first and last lines are copied, the middle replaced. Compressed.
fn make_patch(from: u64, old_pack: &[u8], new_pack: &[u8]) -> Vec<u8> {
    let (_, old) = split(&content_of(old_pack));
    let (manifest, new) = split(&content_of(new_pack));
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut h = header(&old, from, 0);
    h.to = serde_json::from_str::<PackManifest>(&manifest)
        .unwrap()
        .version;
    let mut w = PatchWriter::new(Vec::new(), &h, manifest.as_bytes()).unwrap();
    w.copy(prefix as u64).unwrap();
    w.skip((old.len() - prefix - suffix) as u64).unwrap();
    let middle: Vec<&[u8]> = new[prefix..new.len() - suffix]
        .iter()
        .map(|l| l.as_bytes())
        .collect();
    w.insert(&middle).unwrap();
    w.copy(suffix as u64).unwrap();
    compressed(&w.finish().unwrap())
}

/// A patch's plain lines as one zstd frame.
fn compressed(plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ruzstd::encoding::compress(plain, &mut out, ruzstd::encoding::CompressionLevel::Fastest);
    out
}

/// Everything a pack's entries put in the database, in order.
fn rows(s: &ContentStore) -> Vec<(String, String, String, Option<f64>)> {
    let conn = s.conn();
    let packs = s.pack_snapshot(&conn).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, entry_id, pack, body, lat FROM entries ORDER BY id")
        .unwrap();
    // The JSON line each entry's coded body stands for.
    stmt.query_map([], |r| {
        let coded = r.get_ref(3)?.as_blob()?;
        let line = packs
            .lexicon(&conn, r.get(2)?)
            .unwrap()
            .decode(coded)
            .unwrap();
        Ok((r.get(0)?, r.get(1)?, line, r.get(4)?))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn found(s: &ContentStore, text: &str) -> Vec<(String, String, u64)> {
    s.search(&SearchQuery::new(text))
        .unwrap()
        .hits
        .into_iter()
        .map(|h| (h.id, h.title, h.provenance.pack_version))
        .collect()
}

/// What v1 → v2 changes: articles 3, 37 and 54 edited, 20 and 41 removed,
/// 100 added.
fn v1_to_v2_changes() -> PackChanges {
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    PackChanges {
        kinds: vec![KindChanges {
            kind: "article".into(),
            added: 1,
            changed: 3,
            removed: 2,
            added_ids: ids(&["art-100"]),
            changed_ids: ids(&["art-3", "art-37", "art-54"]),
            removed_ids: ids(&["art-20", "art-41"]),
        }],
    }
}

#[test]
fn an_update_reports_what_it_added_changed_and_removed_by_patch_or_full_pack() {
    let (old, new) = (pack_file(1, &v1()), pack_file(2, &v2()));
    let patch = make_patch(1, &old, &new);
    let expected = ContentDigest::of(&content_of(&new));

    let (_a, s) = store();
    let first = s
        .install_verified("pub-a", &signed_as(&old[..]), &old[..])
        .unwrap();
    let first = first.changes.unwrap();
    assert_eq!(first.kinds.len(), 1);
    assert_eq!((first.kinds[0].added, first.kinds[0].changed), (60, 0));
    assert_eq!(first.kinds[0].added_ids.len(), SAMPLE_IDS);
    let patched = s
        .install_patch_verified("pub-a", &signed_as(&new), &patch[..], &expected)
        .unwrap();
    assert_eq!(patched.changes, Some(v1_to_v2_changes()));

    let (_b, s) = store();
    s.install_verified("pub-a", &signed_as(&old[..]), &old[..])
        .unwrap();
    let full = s
        .install_verified("pub-a", &signed_as(&new[..]), &new[..])
        .unwrap();
    assert_eq!(full.changes, Some(v1_to_v2_changes()));
    assert!(
        s.packs().unwrap()[0].changes.is_none(),
        "a listing tells no changes"
    );
}

#[test]
fn a_patch_installs_the_same_searchable_entries_as_the_full_pack() {
    let (old, new) = (pack_file(1, &v1()), pack_file(2, &v2()));
    let patch = make_patch(1, &old, &new);
    let expected = ContentDigest::of(&content_of(&new));

    let (_a, patched) = store();
    patched
        .install_verified("pub-a", &signed_as(&old[..]), &old[..])
        .unwrap();
    let installed = patched
        .install_patch_verified("pub-a", &signed_as(&new), &patch[..], &expected)
        .unwrap();
    assert_eq!(installed.manifest.version, 2);

    let (_b, full) = store();
    full.install_verified("pub-a", &signed_as(&new[..]), &new[..])
        .unwrap();
    assert_eq!(rows(&patched), rows(&full));
    let manifests = |s: &ContentStore| -> Vec<PackManifest> {
        s.packs().unwrap().into_iter().map(|p| p.manifest).collect()
    };
    assert_eq!(manifests(&patched), manifests(&full));
    for q in ["updated", "new", "asylum", "police winter", "clinic"] {
        let hits = found(&patched, q);
        assert!(!hits.is_empty(), "{q}");
        assert_eq!(hits, found(&full, q), "{q}");
    }
}

#[test]
fn a_wrong_content_digest_is_refused_and_nothing_changes() {
    let (old, new) = (pack_file(1, &v1()), pack_file(2, &v2()));
    let patch = make_patch(1, &old, &new);
    let right = ContentDigest::of(&content_of(&new));
    let (_d, s) = store();
    s.install_verified("pub-a", &signed_as(&old[..]), &old[..])
        .unwrap();
    let before = (rows(&s), found(&s, "asylum"));
    for wrong in [
        ContentDigest {
            sha256: ContentDigest::of(b"other").sha256,
            ..right.clone()
        },
        ContentDigest {
            length: right.length - 1,
            ..right.clone()
        },
        ContentDigest {
            length: right.length + 1,
            ..right.clone()
        },
    ] {
        assert!(matches!(
            s.install_patch_verified("pub-a", &signed_as(&new), &patch[..], &wrong),
            Err(Error::Untrusted(_))
        ));
        assert_eq!(s.packs().unwrap()[0].manifest.version, 1);
        assert_eq!((rows(&s), found(&s, "asylum")), before);
    }
    // No temporary file is left behind.
    let files: Vec<_> = std::fs::read_dir(s.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with(store::DB_FILE))
        .collect();
    assert!(files.is_empty(), "{files:?}");
}

#[test]
fn a_patch_from_another_version_or_base_asks_for_the_full_pack() {
    let (v1_pack, v2_pack, v3_pack) = (
        pack_file(1, &v1()),
        pack_file(2, &v2()),
        pack_file(3, &v1()),
    );
    let patch_2_3 = make_patch(2, &v2_pack, &v3_pack);
    let digest_3 = ContentDigest::of(&content_of(&v3_pack));
    let (_d, s) = store();
    // Not installed at all.
    assert!(matches!(
        s.install_patch_verified("pub-a", &signed_as(&v3_pack), &patch_2_3[..], &digest_3),
        Err(Error::PatchMismatch(_))
    ));
    // Version 1 installed; the patch starts from 2.
    s.install_verified("pub-a", &signed_as(&v1_pack[..]), &v1_pack[..])
        .unwrap();
    assert!(matches!(
        s.install_patch_verified("pub-a", &signed_as(&v3_pack), &patch_2_3[..], &digest_3),
        Err(Error::PatchMismatch(_))
    ));
    // A version 2 whose entries are not the patch's base.
    let (_e, other) = store();
    other
        .install_verified(
            "pub-a",
            &signed_as(&pack_file(2, &v1())),
            &pack_file(2, &v1())[..],
        )
        .unwrap();
    assert!(matches!(
        other.install_patch_verified("pub-a", &signed_as(&v3_pack), &patch_2_3[..], &digest_3),
        Err(Error::PatchMismatch(_))
    ));
    assert_eq!(other.packs().unwrap()[0].manifest.version, 2);
    // A patch naming another publisher than the one that signed it.
    assert!(matches!(
        s.install_patch_verified(
            "pub-b",
            &signed_as(&v2_pack),
            &make_patch(1, &v1_pack, &v2_pack)[..],
            &digest_3,
        ),
        Err(Error::InvalidPatch(_))
    ));
    // Not a patch at all.
    assert!(
        s.install_patch_verified("pub-a", &signed_as(&v3_pack), &b"not zstd"[..], &digest_3)
            .is_err()
    );
    assert_eq!(s.packs().unwrap()[0].manifest.version, 1);
}

#[test]
fn a_patch_must_rebuild_the_pack_and_version_its_signed_target_names() {
    let (v1_pack, v2_pack) = (pack_file(1, &v1()), pack_file(2, &v2()));
    let patch = make_patch(1, &v1_pack, &v2_pack);
    let digest = ContentDigest::of(&content_of(&v2_pack));
    let (_d, s) = store();
    s.install_verified("pub-a", &signed_as(&v1_pack), &v1_pack[..])
        .unwrap();
    let right = signed_as(&v2_pack);
    for wrong in [
        target::SignedPack {
            version: Some(99),
            ..right.clone()
        },
        target::SignedPack {
            id: "other".into(),
            target: "packs/other.wmpack".into(),
            ..right.clone()
        },
    ] {
        let refused = s.install_patch_verified("pub-a", &wrong, &patch[..], &digest);
        assert!(
            matches!(
                refused,
                Err(Error::Untrusted(
                    crate::error::Untrusted::NotThePackSigned { .. }
                ))
            ),
            "{refused:?}"
        );
        assert_eq!(s.packs().unwrap()[0].manifest.version, 1);
    }
    s.install_patch_verified("pub-a", &right, &patch[..], &digest)
        .unwrap();
    assert_eq!(s.packs().unwrap()[0].manifest.version, 2);
}

// ----- applied in place -----------------------------------------------------

/// Letters only (the index cuts words at digits), all of one length (no
/// tag begins another): a word no other entry has.
fn tag(mut i: usize) -> String {
    let mut t = String::from("zq");
    for _ in 0..3 {
        t.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
    }
    t
}

/// Article `i`, with its own word and a common one in its title.
fn tagged(i: usize, edit: usize) -> Entry {
    Entry::Article(Article {
        id: format!("art-{i}"),
        language: "en".into(),
        title: format!("{} {} shelter", tag(i), WORDS[(i + edit) % 12]),
        body: format!(
            "Ask at the {} about {} {}.",
            WORDS[(i * 7 + edit) % 12],
            WORDS[(i * 5) % 12],
            tag(i)
        ),
        countries: vec![],
        topics: vec![],
        verified: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        expires: None,
    })
}

/// The next version of `old` (each with its number and edit count) by
/// `actions`, one per old entry (0–2 keep, 3 drop, 4 edit, 5 keep and
/// add one after); `next`: the next new number.
fn next_version(old: &[(usize, usize)], actions: &[u8], next: &mut usize) -> Vec<(usize, usize)> {
    let mut new = Vec::new();
    for (k, &(i, edits)) in old.iter().enumerate() {
        match actions.get(k).copied().unwrap_or(0) % 6 {
            3 => {}
            4 => new.push((i, edits + 1)),
            5 => {
                new.push((i, edits));
                new.push((*next, 0));
                *next += 1;
            }
            _ => new.push((i, edits)),
        }
    }
    new
}

fn tagged_pack(version: u64, entries: &[(usize, usize)]) -> Vec<u8> {
    let entries: Vec<Entry> = entries.iter().map(|&(i, e)| tagged(i, e)).collect();
    pack_file(version, &entries)
}

/// A patch from `old_pack` to `new_pack` of single-line steps (a line of
/// the old version is kept where the new one has it next, else dropped
/// or the new one inserted), naming the old content digest as its base
/// when `in_place`. Compressed.
fn fine_patch(from: u64, old_pack: &[u8], new_pack: &[u8], in_place: bool) -> Vec<u8> {
    let (_, old) = split(&content_of(old_pack));
    let (manifest, new) = split(&content_of(new_pack));
    let mut h = header(&old, from, 0);
    h.to = serde_json::from_str::<PackManifest>(&manifest)
        .unwrap()
        .version;
    if in_place {
        h.base.content = Some(ContentDigest::of(&content_of(old_pack)));
    }
    let mut w = PatchWriter::new(Vec::new(), &h, manifest.as_bytes()).unwrap();
    let (mut a, mut b) = (0, 0);
    while a < old.len() || b < new.len() {
        if a < old.len() && b < new.len() && old[a] == new[b] {
            w.copy(1).unwrap();
            (a, b) = (a + 1, b + 1);
        } else if a < old.len() && !new[b..].contains(&old[a]) {
            w.skip(1).unwrap();
            a += 1;
        } else {
            w.insert(&[new[b].as_bytes()]).unwrap();
            b += 1;
        }
    }
    compressed(&w.finish().unwrap())
}

/// The pack's entry lines as installed, in pack order.
fn installed_lines(s: &ContentStore) -> Vec<String> {
    let conn = s.conn();
    let row: i64 = conn
        .query_row("SELECT id FROM packs", [], |r| r.get(0))
        .unwrap();
    let lexicon = lexicon::Lexicon::read(&conn, row).unwrap();
    order::entry_rows(&conn, row)
        .unwrap()
        .into_iter()
        .map(|id| {
            let coded: Vec<u8> = conn
                .query_row("SELECT body FROM entries WHERE id = ?1", [id], |r| r.get(0))
                .unwrap();
            lexicon.decode(&coded).unwrap()
        })
        .collect()
}

/// What the packs table keeps of updates in place: the entries removed
/// that the index still holds, and whether the entries' rows are more
/// than the one run an install writes.
fn in_place_state(s: &ContentStore) -> (usize, bool) {
    let (removed, order): (Option<Vec<u8>>, Vec<u8>) = s
        .conn()
        .query_row("SELECT removed, entry_order FROM packs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let rows = order::decode_runs(&order).unwrap();
    (
        removed.map_or(0, |b| order::decode_ids(&b).len()),
        rows.windows(2).any(|w| w[1] != w[0] + 1),
    )
}

fn ids_found(s: &ContentStore, text: &str, limit: usize) -> Vec<String> {
    s.search(&SearchQuery {
        limit,
        ..SearchQuery::new(text)
    })
    .unwrap()
    .hits
    .into_iter()
    .map(|h| h.id)
    .collect()
}

/// Installs `entries` as the store's version `version` by a patch from
/// `old` (version `version - 1`) applied in place, then checks the store
/// holds exactly that version: its lines in order, every entry found by
/// its own word, no word of an entry gone, common words finding only
/// entries there.
fn update_and_check(
    s: &ContentStore,
    version: u64,
    old: &[(usize, usize)],
    entries: &[(usize, usize)],
    gone_before: &[usize],
) {
    let (old_pack, new_pack) = (tagged_pack(version - 1, old), tagged_pack(version, entries));
    let patch = fine_patch(version - 1, &old_pack, &new_pack, true);
    let expected = ContentDigest::of(&content_of(&new_pack));
    let installed = s
        .install_patch_verified("pub-a", &signed_as(&new_pack), &patch[..], &expected)
        .unwrap();
    assert_eq!(installed.manifest.version, version);
    assert_eq!(installed_lines(s), split(&content_of(&new_pack)).1);
    // It tells what changed as the full pack does: a line dropped and
    // inserted again unchanged is no change.
    let (_d, full) = store();
    full.install_verified("pub-a", &signed_as(&old_pack), &old_pack[..])
        .unwrap();
    let whole = full
        .install_verified("pub-a", &signed_as(&new_pack), &new_pack[..])
        .unwrap();
    assert_eq!(installed.changes, whole.changes);
    assert_eq!(s.packs().unwrap()[0].manifest.version, version);
    let live: std::collections::HashSet<usize> = entries.iter().map(|&(i, _)| i).collect();
    for &(i, _) in entries {
        assert_eq!(
            ids_found(s, &tag(i), 20),
            [format!("art-{i}")],
            "{}",
            tag(i)
        );
    }
    for i in old
        .iter()
        .map(|&(i, _)| i)
        .chain(gone_before.iter().copied())
    {
        if !live.contains(&i) {
            // (Typo correction may find another entry's word.)
            let hits = ids_found(s, &tag(i), 20);
            assert!(!hits.contains(&format!("art-{i}")), "{} is gone", tag(i));
            let kept: i64 = s
                .conn()
                .query_row(
                    "SELECT (SELECT count(*) FROM terms WHERE term = ?1)
                          + (SELECT count(*) FROM terms_added WHERE term = ?1)",
                    [tag(i)],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(kept, 0, "{} left the index", tag(i));
        }
    }
    for q in ["shelter", "she", "asylum", "clinic shelter", "ask shel"] {
        let hits = ids_found(s, q, 50);
        assert!(
            hits.iter()
                .all(|id| live.contains(&id[4..].parse::<usize>().unwrap())),
            "{q}: {hits:?}"
        );
        if q.starts_with("she") {
            assert_eq!(hits.len(), live.len().min(50), "{q}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn updates_applied_in_place_give_exactly_each_new_version(
        first in 1..90usize,
        steps in prop::collection::vec(prop::collection::vec(0..6u8, 90), 1..4),
    ) {
        let (_d, s) = store();
        let mut versions = vec![(0..first).map(|i| (i, 0)).collect::<Vec<_>>()];
        let v1 = tagged_pack(1, &versions[0]);
        s.install_verified("pub-a", &signed_as(&v1), &v1[..]).unwrap();
        let mut next = first;
        let mut gone = Vec::new();
        for (k, actions) in steps.iter().enumerate() {
            let old = versions.last().unwrap().clone();
            let new = next_version(&old, actions, &mut next);
            if new.is_empty() {
                break;
            }
            update_and_check(&s, k as u64 + 2, &old, &new, &gone);
            gone.extend(old.iter().map(|&(i, _)| i).filter(|i| !new.iter().any(|n| n.0 == *i)));
            versions.push(new);
        }
    }
}

#[test]
fn an_update_in_place_reports_the_changes_and_searches_as_the_full_pack() {
    let (old, new) = (pack_file(1, &v1()), pack_file(2, &v2()));
    let expected = ContentDigest::of(&content_of(&new));
    let (_a, s) = store();
    s.install_verified("pub-a", &signed_as(&old[..]), &old[..])
        .unwrap();
    let patched = s
        .install_patch_verified(
            "pub-a",
            &signed_as(&new),
            &fine_patch(1, &old, &new, true)[..],
            &expected,
        )
        .unwrap();
    assert_eq!(patched.changes, Some(v1_to_v2_changes()));
    assert_eq!(in_place_state(&s), (5, true), "applied in place");
    // The lexicon and the pieces the update added are kept as text, as
    // every version of the store has kept them.
    let types: (String, String) = s
        .conn()
        .query_row(
            "SELECT (SELECT typeof(words) FROM lexicons),
                    (SELECT typeof(words) FROM lexicon_added)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(types, ("text".to_owned(), "text".to_owned()));
    let (_b, full) = store();
    full.install_verified("pub-a", &signed_as(&new[..]), &new[..])
        .unwrap();
    assert_eq!(in_place_state(&full), (0, false));
    assert_eq!(installed_lines(&s), installed_lines(&full));
    for q in ["updated", "new", "asylum", "police winter", "clinic", "she"] {
        let hits = found(&s, q);
        assert!(!hits.is_empty(), "{q}");
        let mut theirs = found(&full, q);
        let mut ours = hits;
        // The same entries; an order may differ where scores nearly tie
        // (the full install weighs by the new version's average length).
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{q}");
    }
    // A later full install, and the removal, leave nothing of it.
    let v3 = pack_file(3, &v1());
    s.install_verified("pub-a", &signed_as(&v3[..]), &v3[..])
        .unwrap();
    assert_eq!(in_place_state(&s), (0, false));
    s.remove_pack("pub-a", "p").unwrap();
    let left: i64 = s
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM terms)
                  + (SELECT count(*) FROM terms_added) + (SELECT count(*) FROM lexicon_added)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn a_tenth_removed_rebuilds_the_pack_whole_and_checks_it() {
    let (_d, s) = store();
    let mut entries: Vec<(usize, usize)> = (0..100).map(|i| (i, 0)).collect();
    let v1 = tagged_pack(1, &entries);
    s.install_verified("pub-a", &signed_as(&v1), &v1[..])
        .unwrap();
    // Two updates of 6 removals each: the first in place, the second too
    // (6 of 100 removed before it), then the third rebuilds.
    for (round, expect) in [(0, (6, true)), (1, (12, true)), (2, (0, false))] {
        let version = round as u64 + 1;
        let old = entries.clone();
        entries.retain(|&(i, _)| i % 16 != round || i >= 96);
        let new = tagged_pack(version + 1, &entries);
        let old_pack = tagged_pack(version, &old);
        let patch = fine_patch(version, &old_pack, &new, true);
        let expected = ContentDigest::of(&content_of(&new));
        if round == 2 {
            // Rebuilt whole: the content is checked again, so a wrong
            // digest is refused, and nothing changes.
            let wrong = ContentDigest {
                length: expected.length + 1,
                ..expected.clone()
            };
            assert!(matches!(
                s.install_patch_verified("pub-a", &signed_as(&new), &patch[..], &wrong),
                Err(Error::Untrusted(_))
            ));
            assert_eq!(s.packs().unwrap()[0].manifest.version, version);
        }
        s.install_patch_verified("pub-a", &signed_as(&new), &patch[..], &expected)
            .unwrap();
        assert_eq!(in_place_state(&s), expect, "round {round}");
        assert_eq!(installed_lines(&s), split(&content_of(&new)).1);
    }
}

#[test]
fn a_patch_naming_another_base_digest_is_not_applied_in_place() {
    let (v1_pack, v2_pack) = (tagged_pack(1, &[(0, 0), (1, 0)]), tagged_pack(2, &[(0, 0)]));
    let (_d, s) = store();
    // A version 1 of other entries: its signed digest is not the base's.
    let other = tagged_pack(1, &[(5, 0), (1, 0)]);
    s.install_verified("pub-a", &signed_as(&other), &other[..])
        .unwrap();
    let patch = fine_patch(1, &v1_pack, &v2_pack, true);
    let expected = ContentDigest::of(&content_of(&v2_pack));
    // Rebuilt whole instead, it does not give the signed content: sync
    // fetches the full pack.
    let refused = s.install_patch_verified("pub-a", &signed_as(&v2_pack), &patch[..], &expected);
    assert!(
        matches!(refused, Err(Error::PatchMismatch(_) | Error::Untrusted(_))),
        "{refused:?}"
    );
    assert_eq!(s.packs().unwrap()[0].manifest.version, 1);
    assert_eq!(installed_lines(&s), split(&content_of(&other)).1);
}

#[test]
fn a_word_whose_best_entries_went_is_answered_from_its_whole_list() {
    // 200 entries with "shelter"; the 60 that have it most (the highest
    // impact: most of the head of its list) go in one update.
    let entry = |i: usize| {
        Entry::Article(Article {
            id: format!("art-{i}"),
            language: "en".into(),
            title: if i < 60 {
                "shelter shelter shelter".into()
            } else {
                format!(
                    "shelter {} {} {}",
                    tag(i),
                    WORDS[i % 12],
                    WORDS[(i / 12) % 12]
                )
            },
            body: "Open every day.".into(),
            countries: vec![],
            topics: vec![],
            verified: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            expires: None,
        })
    };
    let all: Vec<Entry> = (0..200).map(entry).collect();
    let (v1_pack, v2_pack) = (pack_file(1, &all), pack_file(2, &all[60..]));
    let (_d, s) = store();
    s.install_verified("pub-a", &signed_as(&v1_pack), &v1_pack[..])
        .unwrap();
    s.install_patch_verified(
        "pub-a",
        &signed_as(&v2_pack),
        &fine_patch(1, &v1_pack, &v2_pack, true)[..],
        &ContentDigest::of(&content_of(&v2_pack)),
    )
    .unwrap();
    assert_eq!(in_place_state(&s).0, 60);
    for q in ["shelter", "shel", "sh"] {
        let hits = ids_found(&s, q, 20);
        assert_eq!(hits.len(), 20, "{q}: {hits:?}");
        assert!(
            hits.iter()
                .all(|id| id[4..].parse::<usize>().unwrap() >= 60),
            "{q}: {hits:?}"
        );
    }
}

#[test]
fn a_translation_removed_or_added_in_place_changes_its_article_as_a_full_pack_does() {
    let translated = |i: usize, lang: &str| {
        let mut e = tagged(i, 0);
        if let Entry::Article(a) = &mut e {
            a.language = lang.into();
            a.title = format!("{} {lang}", a.title);
        }
        e
    };
    let v1: Vec<Entry> = (0..20)
        .flat_map(|i| [translated(i, "en"), translated(i, "ar")])
        .collect();
    // Version 2: article 3 loses its Arabic, article 7 gains a Farsi one.
    let mut v2: Vec<Entry> = v1
        .iter()
        .filter(|e| !(e.id() == "art-3" && matches!(e, Entry::Article(a) if a.language == "ar")))
        .cloned()
        .collect();
    v2.insert(15, translated(7, "fa"));
    let (old, new) = (pack_file(1, &v1), pack_file(2, &v2));
    let expected = ContentDigest::of(&content_of(&new));
    let report = |in_place: bool| {
        let (_d, s) = store();
        s.install_verified("pub-a", &signed_as(&old), &old[..])
            .unwrap();
        let changes = if in_place {
            s.install_patch_verified(
                "pub-a",
                &signed_as(&new),
                &fine_patch(1, &old, &new, true)[..],
                &expected,
            )
        } else {
            s.install_verified("pub-a", &signed_as(&new), &new[..])
        }
        .unwrap()
        .changes
        .unwrap();
        assert_eq!(in_place_state(&s).1, in_place, "in place: {in_place}");
        changes
    };
    let in_place = report(true);
    assert_eq!(in_place, report(false));
    assert_eq!(in_place.kinds.len(), 1);
    let articles = &in_place.kinds[0];
    assert_eq!(
        (articles.added, articles.changed, articles.removed),
        (0, 2, 0)
    );
    assert_eq!(articles.changed_ids, ["art-3", "art-7"]);
}

#[test]
fn a_bad_line_added_in_place_is_refused_and_changes_nothing() {
    let entries: Vec<(usize, usize)> = (0..300).map(|i| (i, 0)).collect();
    let v1 = tagged_pack(1, &entries);
    let (manifest, old) = split(&content_of(&v1));
    let mut h = header(&old, 1, 2);
    h.base.content = Some(ContentDigest::of(&content_of(&v1)));
    let manifest = serde_json::to_string(&PackManifest {
        version: 2,
        entries: 596,
        ..serde_json::from_str(&manifest).unwrap()
    })
    .unwrap();
    // Many good lines written before the bad one comes: all rolled back.
    let added: Vec<String> = (300..600)
        .map(|i| serde_json::to_string(&tagged(i, 0)).unwrap())
        .chain(std::iter::once(
            "{\"type\":\"article\",\"id\":\"x\"}".to_owned(),
        ))
        .collect();
    let mut w = PatchWriter::new(Vec::new(), &h, manifest.as_bytes()).unwrap();
    w.skip(5).unwrap();
    w.insert(&added.iter().map(|l| l.as_bytes()).collect::<Vec<_>>())
        .unwrap();
    w.copy(295).unwrap();
    let patch = compressed(&w.finish().unwrap());
    let (_d, s) = store();
    s.install_verified("pub-a", &signed_as(&v1), &v1[..])
        .unwrap();
    let before = installed_lines(&s);
    let signed = target::SignedPack {
        version: Some(2),
        ..signed_as(&v1)
    };
    let refused = s.install_patch_verified("pub-a", &signed, &patch[..], &ContentDigest::of(b"x"));
    assert!(
        matches!(&refused, Err(e) if !matches!(e, Error::InvalidPatch(_) | Error::PatchMismatch(_))),
        "the line itself is refused: {refused:?}"
    );
    assert_eq!(s.packs().unwrap()[0].manifest.version, 1);
    assert_eq!(installed_lines(&s), before);
    assert_eq!(ids_found(&s, &tag(3), 20), ["art-3"]);
}

#[test]
fn entries_moved_unchanged_in_place_are_no_change() {
    let old: Vec<(usize, usize)> = (0..8).map(|i| (i, 0)).collect();
    // Two entries swap places (one of them is dropped and inserted again,
    // unchanged) and one is edited.
    let mut new = old.clone();
    new.swap(1, 5);
    new[6].1 = 1;
    let (old_pack, new_pack) = (tagged_pack(1, &old), tagged_pack(2, &new));
    let patch = fine_patch(1, &old_pack, &new_pack, true);
    let (_a, s) = store();
    s.install_verified("pub-a", &signed_as(&old_pack), &old_pack[..])
        .unwrap();
    let expected = ContentDigest::of(&content_of(&new_pack));
    let patched = s
        .install_patch_verified("pub-a", &signed_as(&new_pack), &patch[..], &expected)
        .unwrap();
    assert!(in_place_state(&s).0 >= 1, "an entry dropped and inserted");
    let changes = patched.changes.unwrap();
    assert_eq!(changes.kinds.len(), 1, "{changes:?}");
    let articles = &changes.kinds[0];
    assert_eq!(
        (articles.added, articles.changed, articles.removed),
        (0, 1, 0),
        "{articles:?}"
    );
    assert_eq!(articles.changed_ids, ["art-6"]);
}

/// Pack `id` of publisher A, version `version`, of `entries` (as
/// [`tagged_pack`]).
fn pack_named(id: &str, version: u64, entries: &[(usize, usize)]) -> Vec<u8> {
    let mut m = manifest(version, 0);
    m.id = id.into();
    let entries: Vec<Entry> = entries.iter().map(|&(i, e)| tagged(i, e)).collect();
    let mut bytes = Vec::new();
    write_pack(&m, &entries, &mut bytes).unwrap();
    bytes
}

#[test]
fn a_pack_updated_installed_whole_or_removed_touches_no_other_packs_rows() {
    let (_a, s) = store();
    let p1: Vec<(usize, usize)> = (0..40).map(|i| (i, 0)).collect();
    let q: Vec<(usize, usize)> = (500..520).map(|i| (i, 0)).collect();
    let (p1_pack, q_pack) = (pack_named("p", 1, &p1), pack_named("q", 1, &q));
    s.install_verified("pub-a", &signed_as(&p1_pack), &p1_pack[..])
        .unwrap();
    s.install_verified("pub-a", &signed_as(&q_pack), &q_pack[..])
        .unwrap();
    // p's new rows come after q's: p's rows are runs on both sides of them.
    let mut next = 40;
    let p2 = next_version(&p1, &[4, 3, 5, 0, 4, 5, 3, 0, 0, 5], &mut next);
    let p2_pack = pack_named("p", 2, &p2);
    let patch = fine_patch(1, &p1_pack, &p2_pack, true);
    let expected = ContentDigest::of(&content_of(&p2_pack));
    s.install_patch_verified("pub-a", &signed_as(&p2_pack), &patch[..], &expected)
        .unwrap();
    let q_found = |s: &ContentStore| {
        for &(i, _) in &q {
            assert_eq!(
                ids_found(s, &tag(i), 20),
                [format!("art-{i}")],
                "{}",
                tag(i)
            );
        }
    };
    let entries_of = |s: &ContentStore, pack: &str| -> i64 {
        s.conn()
            .query_row(
                "SELECT count(*) FROM entries e JOIN packs p ON p.id = e.pack
                 WHERE p.pack_id = ?1",
                [pack],
                |r| r.get(0),
            )
            .unwrap()
    };
    q_found(&s);
    assert_eq!(entries_of(&s, "p"), p2.len() as i64);
    // p installed whole: its old rows go, q's stay.
    let p3 = next_version(&p2, &[4; 50], &mut next);
    let p3_pack = pack_named("p", 3, &p3);
    s.install_verified("pub-a", &signed_as(&p3_pack), &p3_pack[..])
        .unwrap();
    q_found(&s);
    assert_eq!(entries_of(&s, "p"), p3.len() as i64);
    assert_eq!(entries_of(&s, "q"), q.len() as i64);
    // p removed after another update in place: nothing of it is left.
    let p4 = next_version(&p3, &[5, 3, 0, 4], &mut next);
    let p4_pack = pack_named("p", 4, &p4);
    let patch = fine_patch(3, &p3_pack, &p4_pack, true);
    let expected = ContentDigest::of(&content_of(&p4_pack));
    s.install_patch_verified("pub-a", &signed_as(&p4_pack), &patch[..], &expected)
        .unwrap();
    let in_place: bool = s
        .conn()
        .query_row(
            "SELECT removed IS NOT NULL FROM packs WHERE pack_id = 'p'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(in_place, "applied in place");
    s.remove_pack("pub-a", "p").unwrap();
    q_found(&s);
    let left: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, q.len() as i64);
    for &(i, _) in &p4 {
        // (Typo correction may find a word of q's.)
        let hits = ids_found(&s, &tag(i), 20);
        assert!(!hits.contains(&format!("art-{i}")), "{} is gone", tag(i));
    }
    let words_left: i64 = s
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM terms) + (SELECT count(*) FROM terms_added)
                  - (SELECT count(*) FROM terms WHERE pack = (SELECT id FROM packs))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(words_left, 0, "only q's words are left");
}
