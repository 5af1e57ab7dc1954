//! Publishing a new version of a pack publishes patches to it from the
//! versions before: signed targets that rebuild the new version's content,
//! byte for byte, from the entries a phone has installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use waymark_core::content::model::Entry;
use waymark_core::content::pack::write_pack;
use waymark_core::content::patch::apply_patch;
use waymark_core::content::synthetic;
use waymark_core::content::target::{ContentDigest, PackTargetCustom, PatchTargetCustom};
use waymark_core::tuf::{Envelope, TargetFile, Targets};

const PACK: &str = "delta-test";
const ENTRIES: usize = 2_000;

fn waymark_pack(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "waymark-pack {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Version `version` of the pack: version 1 is the synthetic pack; each
/// later one edits 1% of the entries, drops one and adds one.
fn entries(version: u64) -> Vec<Entry> {
    let mut entries = synthetic::entries(ENTRIES, 11);
    for v in 2..=version {
        for e in entries.iter_mut().skip(v as usize).step_by(100) {
            match e {
                Entry::Article(a) => a.title.push_str(&format!(" (revised in version {v})")),
                Entry::Service(s) => s.free = Some(!s.free.unwrap_or(false)),
                Entry::Alert(a) => a.severity = waymark_core::content::model::Severity::Info,
                _ => {}
            }
        }
        entries.remove(v as usize * 10);
        entries.push(synthetic::entries(1, v).remove(0));
    }
    entries
}

fn pack_file(dir: &Path, version: u64) -> PathBuf {
    let path = dir.join(format!("{PACK}-{version}.wmpack"));
    write_pack(
        &synthetic::manifest("synthetic", PACK, version),
        &entries(version),
        std::fs::File::create(&path).unwrap(),
    )
    .unwrap();
    path
}

fn publish(repo: &Path, keys: &Path, pack: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "publish",
        pack.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    waymark_pack(&args)
}

fn content(pack: &Path) -> Vec<u8> {
    zstd::decode_all(std::fs::File::open(pack).unwrap()).unwrap()
}

/// The newest targets metadata of the repository.
fn targets(repo: &Path) -> Targets {
    let newest = std::fs::read_dir(repo.join("metadata"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".targets.json")?.parse::<u64>().ok()
        })
        .max()
        .unwrap();
    let bytes = std::fs::read(repo.join(format!("metadata/{newest}.targets.json"))).unwrap();
    Envelope::parse(&bytes).unwrap().read("targets").unwrap()
}

/// The bytes stored for a target, checked against its description.
fn stored(repo: &Path, path: &str, file: &TargetFile) -> Vec<u8> {
    let (dir, name) = path.rsplit_once('/').unwrap();
    let bytes = std::fs::read(
        repo.join("targets")
            .join(dir)
            .join(format!("{}.{name}", file.hashes["sha256"])),
    )
    .unwrap();
    file.check(&bytes).unwrap();
    bytes
}

/// The patch applied to the entry lines of `old`'s content.
fn rebuild(patch: &[u8], old: &[u8]) -> Vec<u8> {
    let plain = zstd::decode_all(patch).unwrap();
    let old = String::from_utf8(old.to_vec()).unwrap();
    let mut out = Vec::new();
    apply_patch(
        &plain[..],
        old.lines().skip(1).map(|l| Ok(l.to_owned())),
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn a_new_version_is_published_with_patches_that_rebuild_it_from_the_last_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    waymark_pack(&["keygen", "--out", keys.to_str().unwrap()]);
    let packs: Vec<PathBuf> = (1..=3).map(|v| pack_file(dir.path(), v)).collect();

    let first = publish(&repo, &keys, &packs[0], &[]);
    assert!(!first.contains("patches"), "{first}");
    let second = publish(&repo, &keys, &packs[1], &[]);
    assert!(second.contains("with patches from version 1"), "{second}");

    let t = targets(&repo);
    let pack_target = &t.targets[&format!("packs/{PACK}.wmpack")];
    let custom = PackTargetCustom::of(pack_target).unwrap();
    let v2 = content(&packs[1]);
    assert_eq!(custom.version, 2);
    assert_eq!(custom.content, Some(ContentDigest::of(&v2)));
    let patch_path = format!("patches/{PACK}/1-2.wmpatch");
    assert_eq!(custom.patches, [(1, patch_path.clone())].into());
    let patch_target = &t.targets[&patch_path];
    assert!(patch_target.hashes.contains_key("sha256"));
    assert_eq!(
        PatchTargetCustom::of(patch_target),
        Some(PatchTargetCustom {
            patch: PACK.into(),
            from: 1,
            to: 2
        })
    );
    let patch = stored(&repo, &patch_path, patch_target);
    let rebuilt = rebuild(&patch, &content(&packs[0]));
    assert_eq!(ContentDigest::of(&rebuilt), ContentDigest::of(&v2));
    // 1% of the entries changed: the patch is a small part of the pack.
    let pack_len = pack_target.length;
    assert!(
        patch_target.length * 10 < pack_len,
        "patch {} bytes, pack {pack_len}",
        patch_target.length
    );

    // Version 3 has patches from 1 and 2; the patch to version 2 is no
    // longer offered.
    let third = publish(&repo, &keys, &packs[2], &[]);
    assert!(third.contains("with patches from version 1, 2"), "{third}");
    let t = targets(&repo);
    let custom = PackTargetCustom::of(&t.targets[&format!("packs/{PACK}.wmpack")]).unwrap();
    let v3 = content(&packs[2]);
    assert_eq!(custom.content, Some(ContentDigest::of(&v3)));
    assert_eq!(custom.patches.keys().copied().collect::<Vec<_>>(), [1, 2]);
    assert!(!t.targets.contains_key(&patch_path));
    for (from, path) in &custom.patches {
        let patch = stored(&repo, path, &t.targets[path]);
        let old = content(&packs[*from as usize - 1]);
        assert_eq!(rebuild(&patch, &old), v3, "from {from}");
    }
    let history: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.join(format!("history/{PACK}.json"))).unwrap())
            .unwrap();
    assert_eq!(history["versions"].as_array().unwrap().len(), 3);
}

#[test]
fn patches_can_be_turned_off_and_a_missing_old_file_only_skips_its_patch() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    waymark_pack(&["keygen", "--out", keys.to_str().unwrap()]);
    let packs: Vec<PathBuf> = (1..=3).map(|v| pack_file(dir.path(), v)).collect();
    publish(&repo, &keys, &packs[0], &[]);
    let out = publish(&repo, &keys, &packs[1], &["--patches", "0"]);
    assert!(!out.contains("patches"), "{out}");
    let t = targets(&repo);
    assert!(t.targets.keys().all(|p| !p.starts_with("patches/")));
    let custom = PackTargetCustom::of(&t.targets[&format!("packs/{PACK}.wmpack")]).unwrap();
    assert!(custom.patches.is_empty() && custom.content.is_some());

    // Version 1's file is gone (pruned by hand): version 3 still gets its
    // patch from version 2, and publishing goes on.
    let v1_file = std::fs::read_dir(repo.join("targets/packs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read(p).unwrap() == std::fs::read(&packs[0]).unwrap())
        .unwrap();
    std::fs::remove_file(v1_file).unwrap();
    let out = publish(&repo, &keys, &packs[2], &[]);
    assert!(out.contains("with patches from version 2"), "{out}");
    let custom =
        PackTargetCustom::of(&targets(&repo).targets[&format!("packs/{PACK}.wmpack")]).unwrap();
    assert_eq!(custom.patches.keys().copied().collect::<Vec<_>>(), [2]);
}
