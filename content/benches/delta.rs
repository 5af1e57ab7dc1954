//! What a delta update costs on the wire, for the 100,000-entry synthetic
//! multilingual pack.
//!
//! `cargo bench -p waymark-pack --bench delta` builds version 1 of the
//! pack and a version 2 in which 1% of the entries changed, compresses
//! both as `waymark-pack build` does (`src/compress.rs`), publishes both with
//! `waymark-pack publish`, and prints the pack target's length, the patch
//! target's length and their ratio (budget: an update that changes 1% of
//! a pack's entries ≤ 5% of the pack's bytes). Two changes are measured:
//! 1% of the entries edited in place, and 1% changed as a mix of edits,
//! removals and additions.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use waymark_core::content::model::{Entry, PackManifest, Severity};
use waymark_core::content::pack::pack_content;
use waymark_core::content::synthetic;
use waymark_core::content::target::PackTargetCustom;
use waymark_core::tuf::{Envelope, Targets};

const ENTRIES: usize = 100_000;
const PACK: &str = "bench";

/// How `waymark-pack build` compresses (the same file, included).
#[allow(dead_code)]
#[path = "../src/compress.rs"]
mod compress;

/// The pack file for `entries`, as `waymark-pack build` writes it.
fn pack_bytes(manifest: &PackManifest, entries: &[Entry]) -> Vec<u8> {
    let jsonl = pack_content(manifest, entries).expect("pack content");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    compress::compress(&jsonl, threads).expect("zstd")
}

/// An edit a publisher makes: a reworded title, a service that became
/// free or not, a changed severity, and the date it was checked again.
fn edit(e: &mut Entry) {
    let checked = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    match e {
        Entry::Article(a) => {
            a.title.push_str(" (updated)");
            a.verified = checked;
        }
        Entry::Service(s) => {
            s.free = Some(!s.free.unwrap_or(false));
            s.verified = checked;
        }
        Entry::Alert(a) => {
            a.severity = Severity::Danger;
            a.verified = checked;
        }
        _ => {}
    }
}

fn waymark_pack(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .expect("waymark-pack runs");
    assert!(
        out.status.success(),
        "waymark-pack {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn publish(repo: &Path, keys: &Path, pack: &Path) {
    waymark_pack(&[
        "publish",
        pack.to_str().expect("utf-8 path"),
        "--repo",
        repo.to_str().expect("utf-8 path"),
        "--keys",
        keys.to_str().expect("utf-8 path"),
    ]);
}

/// The newest targets metadata of a repository.
fn targets(repo: &Path) -> Targets {
    let newest = std::fs::read_dir(repo.join("metadata"))
        .expect("metadata")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".targets.json")?.parse::<u64>().ok()
        })
        .max()
        .expect("targets metadata");
    let bytes = std::fs::read(repo.join(format!("metadata/{newest}.targets.json")))
        .expect("targets metadata");
    Envelope::parse(&bytes)
        .and_then(|e| e.read("targets"))
        .expect("targets metadata")
}

fn measure(name: &str, dir: &Path, v1: &[u8], v2_entries: &[Entry]) {
    let case = dir.join(name);
    let (keys, repo) = (case.join("keys"), case.join("repo"));
    std::fs::create_dir_all(&case).expect("case dir");
    let (p1, p2) = (case.join("v1.wmpack"), case.join("v2.wmpack"));
    std::fs::write(&p1, v1).expect("write v1");
    let v2 = pack_bytes(&synthetic::manifest("synthetic", PACK, 2), v2_entries);
    std::fs::write(&p2, &v2).expect("write v2");
    waymark_pack(&["keygen", "--out", keys.to_str().expect("utf-8 path")]);
    publish(&repo, &keys, &p1);
    let t = Instant::now();
    publish(&repo, &keys, &p2);
    let publish_time = t.elapsed();

    let targets = targets(&repo);
    let pack = &targets.targets[&format!("packs/{PACK}.wmpack")];
    let custom = PackTargetCustom::of(pack).expect("pack custom");
    let patch_path = custom.patches.get(&1).expect("a patch from version 1");
    let patch = &targets.targets[patch_path];
    let content = custom.content.expect("content digest");
    println!(
        "{name}: pack {:.2} MB ({:.1} MB of JSON Lines), patch {:.1} kB, ratio {:.2}% (budget ≤ 5%); publish with the diff {:.1} s",
        pack.length as f64 / 1e6,
        content.length as f64 / 1e6,
        patch.length as f64 / 1e3,
        100.0 * patch.length as f64 / pack.length as f64,
        publish_time.as_secs_f64(),
    );
}

fn main() {
    // WAYMARK_BENCH_DIR keeps the repositories for a look afterwards.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = match std::env::var_os("WAYMARK_BENCH_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => tmp.path().to_path_buf(),
    };
    let base = synthetic::entries(ENTRIES, 42);
    let t = Instant::now();
    let v1 = pack_bytes(&synthetic::manifest("synthetic", PACK, 1), &base);
    println!(
        "synthetic pack: {ENTRIES} entries, {:.2} MB as build compresses it ({:.1} s to compress)",
        v1.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // 1% of the entries (every 100th) edited in place.
    let mut edited = base.clone();
    edited.iter_mut().skip(37).step_by(100).for_each(edit);
    measure("1% edited", &dir, &v1, &edited);

    // 1% changed: 0.8% edited, 0.1% removed, 0.1% added (new entries with
    // fresh ids, among the others).
    let fresh = synthetic::entries(ENTRIES / 1000, 7);
    let mut mixed = Vec::with_capacity(ENTRIES);
    for (i, mut e) in base.into_iter().enumerate() {
        match i % 1000 {
            500 => continue,
            k if k % 125 == 37 => edit(&mut e),
            _ => {}
        }
        mixed.push(e);
        if i % 1000 == 999 {
            let mut new = fresh[i / 1000].clone();
            match &mut new {
                Entry::Service(s) => s.id = format!("svc-new-{i}"),
                Entry::Article(a) => a.id = format!("art-new-{i}"),
                Entry::Alert(a) => a.id = format!("alert-new-{i}"),
                _ => {}
            }
            mixed.push(new);
        }
    }
    measure("1% edited, removed, added", &dir, &v1, &mixed);
}
