//! Content benchmarks on the search corpus: 100,000 entries in English,
//! French, Spanish, Arabic, Farsi and Ukrainian, written with real words
//! (`synthetic::corpus_entries`; `WAYMARK_BENCH_ENTRIES` for another size).
//!
//! `cargo bench -p waymark-core --features synthetic --bench content`
//! prints:
//! - install: entries per second through the full signed-bundle path
//!   (verification, parse, index), in a process of its own, with the peak
//!   memory it added (budgets: ≥ 60,000 entries/s, ≤ 64 MB), its CPU time
//!   and the bytes it wrote: the median of five runs, each into a copy of
//!   the same store, with every run's seconds; then, last, an update that
//!   replaces every entry with a version 2;
//! - the installed store's size on disk;
//! - search: p50 and p99 over the corpus's mixed query set (single words,
//!   pairs, four-letter prefixes, words without their accents, one typo in
//!   ten; `synthetic::corpus_queries`), overall and per kind, and the FTS5
//!   query of the same meaning, bare (ranked ids, no text), over an FTS5
//!   index of the same folded words in a database of its own with the same
//!   settings, the two alternating which goes first (goals: p50 ≤ 0.25 ms,
//!   p99 ≤ 0.5 ms);
//! - the install's writing stage alone (every row parsed and folded
//!   first, then written and committed as an install does): the floor of
//!   an install on the machine, whatever the parsing stage does;
//! - cold start: opening the store and the first search, of two letters as
//!   typed (budget ≤ 30 ms);
//! - an update that changes 1% of the entries, as a full pack, then
//!   another as a patch applied in place (`synthetic::patch_between`, as
//!   sync applies a verified patch; the median of five runs, each on a
//!   copy of version 2), against the full install's median (goal ≤ 5% of
//!   its time); then one that replaces every entry.

use std::time::{Duration, Instant};

use waymark_core::content::synthetic::{
    QueryKind, SyntheticPublisher, content_digest, corpus_entries, corpus_queries, cpu_seconds,
    manifest, patch_between,
};
use waymark_core::content::target::ContentDigest;
use waymark_core::content::{ContentStore, SearchQuery, TrustRequest};

/// Entries in the benchmark's pack (`WAYMARK_BENCH_ENTRIES`, 100,000).
fn entries() -> usize {
    std::env::var("WAYMARK_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// The number after `field` in a `/proc/self` file of `field: value`
/// lines (`status`: kB; `io`: bytes), or 0.
fn proc_field(file: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/self/{file}"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix(field)?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
}

fn status_kib(field: &str) -> u64 {
    proc_field("status", field)
}

/// Bytes this process has written through write(2) so far (`wchar`: what
/// the page cache received, whether or not it reached the disk yet).
fn written_bytes() -> u64 {
    proc_field("io", "wchar:")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The argument that makes this binary install a bundle and report.
const INSTALL_CHILD: &str = "--install-child";

/// Installs `bundle` into the store at `store_dir` (whose publisher is
/// trusted) and prints the rate, CPU time, peak memory and bytes written.
/// With `expected` (the signed content digest of the version it
/// rebuilds, as `LENGTH SHA256`), `bundle` is a patch, applied as sync
/// applies a verified patch. The last line is the seconds it took, for
/// the parent.
fn install_child(
    bundle: &std::path::Path,
    store_dir: &std::path::Path,
    label: &str,
    expected: Option<&str>,
) {
    let store = ContentStore::open(store_dir).expect("open");
    let patch = expected.map(|e| {
        let (length, sha256) = e.split_once(' ').expect("LENGTH SHA256");
        let digest = ContentDigest {
            length: length.parse().expect("length"),
            sha256: sha256.to_owned(),
        };
        (std::fs::read(bundle).expect("patch"), digest)
    });
    let base = status_kib("VmRSS:");
    let written = written_bytes();
    let cpu = cpu_seconds();
    let t = Instant::now();
    match &patch {
        Some((patch, expected)) => {
            store
                .install_patch_as_signed("synthetic", patch, expected)
                .expect("patch");
        }
        None => {
            store.install_bundle(bundle).expect("install");
        }
    }
    let install = t.elapsed();
    let peak = status_kib("VmHWM:").saturating_sub(base);
    let written = written_bytes() - written;
    let cpu = cpu_seconds() - cpu;
    println!(
        "{label}: {:.0} entries/s ({:.2} s, {:.2} s of CPU on two threads), peak memory added {:.1} MB, {:.1} MB written (WAL and checkpoint)",
        entries() as f64 / install.as_secs_f64(),
        install.as_secs_f64(),
        cpu,
        peak as f64 / 1024.0,
        written as f64 / 1e6
    );
    println!("{SECONDS}{}", install.as_secs_f64());
}

/// Runs of the install and of the update by patch, whose medians are
/// compared.
const RUNS: usize = 5;

/// Replaces `to` with a copy of the store at `from` (closed), on the
/// disk: else the first fsync of the run that follows writes the copy
/// out too (57 MB), and is counted to it.
fn copy_store(from: &std::path::Path, to: &std::path::Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("store copy");
    for f in std::fs::read_dir(from).expect("store dir") {
        let f = f.expect("entry").path();
        let copy = to.join(f.file_name().expect("name"));
        std::fs::copy(&f, &copy).expect("copy");
        std::fs::File::open(&copy)
            .and_then(|c| c.sync_all())
            .expect("sync the copy");
    }
}

/// How a child tells its parent the seconds an install took.
const SECONDS: &str = "seconds: ";

/// The corpus pack's bytes: version `version`, entries from `seed`, with
/// every `changed_every`th entry (if any) rewritten from another seed.
fn corpus_pack(version: u64, seed: u64, changed_every: Option<usize>) -> Vec<u8> {
    corpus_pack_changed(version, seed, changed_every.map(|k| (k, &[0][..])))
}

/// As [`corpus_pack`], with the entries `i` where `i % k` is one of
/// `at` rewritten (each from a seed of its own).
fn corpus_pack_changed(version: u64, seed: u64, changed: Option<(usize, &[usize])>) -> Vec<u8> {
    let mut entries = corpus_entries(entries(), seed);
    for &at in changed.map_or(&[][..], |(_, at)| at) {
        let k = changed.map_or(1, |(k, _)| k);
        let others = corpus_entries(entries.len(), seed + 1_000 + at as u64);
        for (i, (e, other)) in entries.iter_mut().zip(others).enumerate() {
            if i % k == at {
                // The other corpus's texts under this one's id when both
                // are of a kind; otherwise re-verified on another day.
                let theirs = serde_json::to_value(&other).expect("json");
                let mut mine = serde_json::to_value(&*e).expect("json");
                if theirs["type"] == mine["type"] {
                    for (key, value) in theirs.as_object().expect("an object") {
                        if key != "id" {
                            mine[key] = value.clone();
                        }
                    }
                } else {
                    mine["verified"] = "2026-11-15".into();
                }
                *e = serde_json::from_value(mine).expect("still an entry");
            }
        }
    }
    let mut m = manifest("synthetic", "bench", version);
    m.languages = waymark_core::content::synthetic::CORPUS_LANGS
        .iter()
        .map(|l| l.to_string())
        .collect();
    let mut out = Vec::new();
    waymark_core::content::pack::write_pack(&m, &entries, &mut out).expect("pack");
    out
}

/// Writes `bytes` (version `version` of the corpus pack) as a signed
/// bundle in `dir`; its path, and the pack's compressed size.
fn signed_bundle(
    publisher: &SyntheticPublisher,
    dir: &std::path::Path,
    version: u64,
    bytes: &[u8],
) -> (std::path::PathBuf, usize) {
    let bundle = dir.join(format!("bench-{version}.wmbundle"));
    publisher
        .bundle(
            bytes,
            "bench",
            version,
            std::fs::File::create(&bundle).expect("create"),
        )
        .expect("bundle");
    (bundle, bytes.len())
}

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(i) = args.iter().position(|a| a == INSTALL_CHILD) {
        let label = args
            .get(i + 3)
            .and_then(|l| l.to_str())
            .unwrap_or("install");
        install_child(
            args[i + 1].as_ref(),
            args[i + 2].as_ref(),
            label,
            args.get(i + 4).and_then(|e| e.to_str()),
        );
        return;
    }
    // WAYMARK_BENCH_DIR keeps the databases for a look afterwards.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = match std::env::var_os("WAYMARK_BENCH_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => tmp.path().to_path_buf(),
    };
    std::fs::create_dir_all(&dir).expect("bench dir");
    let publisher = SyntheticPublisher::new("synthetic").expect("publisher");
    let v1 = corpus_pack(1, 42, None);
    let (bundle, packed) = signed_bundle(&publisher, &dir, 1, &v1);
    println!(
        "corpus pack: {} entries in 6 languages, {:.1} MB compressed",
        entries(),
        packed as f64 / 1e6
    );

    let store_dir = dir.join("content");
    let store = ContentStore::open(&store_dir).expect("open");
    store
        .trust_publisher(&publisher.card().expect("card"), &TrustRequest::default())
        .expect("trust");
    drop(store);
    // A copy of the store before the install, to install into again (the
    // runs below; e.g. under a profiler: `content --install-child BUNDLE
    // DIR`).
    let template = dir.join("trusted-only");
    copy_store(&store_dir, &template);
    // The install runs in a process of its own, so that its peak memory is
    // its own and not the pages this one kept from building the pack.
    // Its report, and its seconds (a patch's with the pack file it
    // rebuilds).
    let run_child = |file: &std::path::Path,
                     store: &std::path::Path,
                     label: &str,
                     expected: Option<&ContentDigest>| {
        let mut child = std::process::Command::new(std::env::current_exe().expect("exe"));
        child.arg(INSTALL_CHILD).arg(file).arg(store).arg(label);
        if let Some(e) = expected {
            child.arg(format!("{} {}", e.length, e.sha256));
        }
        let out = child.output().expect("install process");
        assert!(out.status.success(), "{label} failed: {}", out.status);
        let text = String::from_utf8_lossy(&out.stdout);
        let mut seconds = 0.0;
        let mut report = String::new();
        for line in text.lines() {
            match line.strip_prefix(SECONDS) {
                Some(s) => seconds = s.parse().expect("seconds"),
                None => report.push_str(line),
            }
        }
        (report, seconds)
    };
    // RUNS runs, each on a copy of `base` but the last, on `store_dir`
    // itself (from `base`, which later steps go on from): the median
    // run's report, and the seconds of each. One install of a second or
    // two, or one update of a tenth of a second, swings by a quarter
    // from run to run on this machine.
    let runs = |file: &std::path::Path,
                base: &std::path::Path,
                label: &str,
                expected: Option<&ContentDigest>| {
        let scratch = dir.join("scratch");
        let mut all = Vec::new();
        for k in 0..RUNS {
            let store = if k + 1 < RUNS { &scratch } else { &store_dir };
            if store.as_path() != base {
                copy_store(base, store);
            }
            all.push(run_child(file, store, label, expected));
        }
        let _ = std::fs::remove_dir_all(&scratch);
        let mut seconds: Vec<f64> = all.iter().map(|(_, s)| *s).collect();
        seconds.sort_by(f64::total_cmp);
        let median = seconds[seconds.len() / 2];
        let (report, _) = all
            .into_iter()
            .find(|(_, s)| *s == median)
            .expect("the median run");
        println!("{report}");
        println!(
            "  {RUNS} runs: {} s (the median run above)",
            seconds
                .iter()
                .map(|s| format!("{s:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        median
    };
    let install = |bundle: &std::path::Path, label: &str| {
        let (report, seconds) = run_child(bundle, &store_dir, label, None);
        println!("{report}");
        seconds
    };
    let full = runs(&bundle, &template, "install", None);
    // The writing stage alone, on a store of its own: the floor of an
    // install here (SQLite and the disk), whatever the parsing does.
    {
        let alone_dir = dir.join("write-alone");
        let alone = ContentStore::open(&alone_dir).expect("open");
        let t = alone.write_alone("synthetic", &v1).expect("write alone");
        println!(
            "writing stage alone (SQLite and the disk, rows ready): {:.0} entries/s ({:.2} s)",
            entries() as f64 / t.as_secs_f64(),
            t.as_secs_f64()
        );
        drop(alone);
        std::fs::remove_dir_all(&alone_dir).expect("clean up");
    }
    let db_bytes: u64 = std::fs::read_dir(&store_dir)
        .expect("store dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "installed content database: {:.1} MB",
        db_bytes as f64 / 1e6
    );

    let t = Instant::now();
    let store = ContentStore::open(&store_dir).expect("open");
    // The first letters typed, as a person starts a search.
    let first = store
        .search(&SearchQuery::new("re").language("en"))
        .expect("search");
    let cold = t.elapsed();
    assert!(!first.hits.is_empty());
    println!(
        "cold start (open + first search): {:.1} ms",
        cold.as_secs_f64() * 1e3
    );

    // The corpus's queries: 600, a hundred in each language.
    let queries = corpus_queries(600, 11);
    // WAYMARK_BENCH_ROUNDS: more rounds, e.g. to profile the searches.
    let rounds: usize = std::env::var("WAYMARK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut ours = Vec::new();
    let mut by_kind: Vec<(QueryKind, Vec<Duration>)> = QueryKind::ALL
        .into_iter()
        .map(|k| (k, Vec::new()))
        .collect();
    let mut bare = Vec::new();
    // Bare FTS5 over the same entries' folded words, in a database of its
    // own (the store has no FTS5 table).
    let fts5_path = dir.join("fts5-baseline.db");
    let fts5_bytes = store.write_fts5_baseline(&fts5_path).expect("baseline");
    println!(
        "bare FTS5 index of the same words: {:.1} MB (beside the entries)",
        fts5_bytes as f64 / 1e6
    );
    let conn = rusqlite::Connection::open(&fts5_path).expect("raw");
    // The same page cache and memory map as the store's own connection, so
    // that the difference is the work search() adds.
    conn.execute_batch(waymark_core::content::READ_PRAGMAS)
        .expect("pragmas");
    let mut stmt = conn
        .prepare_cached(
            "SELECT rowid, bm25(search, 4.0, 1.0) AS s FROM search WHERE search MATCH ?1 ORDER BY s LIMIT 20",
        )
        .expect("prepare");
    for round in 0..rounds {
        for q in &queries {
            // The FTS5 query with search()'s meaning for q (every word,
            // the last as a prefix), bare: ranked ids only, no text.
            let plan = store.match_plan(&q.text);
            let kind = by_kind
                .iter_mut()
                .find(|(k, _)| *k == q.kind)
                .map(|(_, v)| v)
                .expect("a kind");
            let mut run_ours = || {
                let t = Instant::now();
                let r = store
                    .search(&SearchQuery::new(q.text.as_str()).language(q.language))
                    .expect("search");
                let took = t.elapsed();
                ours.push(took);
                kind.push(took);
                std::hint::black_box(r);
            };
            let mut run_bare = || {
                let t = Instant::now();
                for fts in &plan {
                    let n = stmt
                        .query_map([fts], |r| r.get::<_, i64>(0))
                        .expect("query")
                        .count();
                    std::hint::black_box(n);
                    if n == 20 {
                        break;
                    }
                }
                bare.push(t.elapsed());
            };
            // Alternate which goes first, so neither always finds the
            // pages the other just read.
            if round % 2 == 0 {
                run_ours();
                run_bare();
            } else {
                run_bare();
                run_ours();
            }
        }
    }
    ours.sort();
    bare.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "search ({} queries): p50 {:.3} ms, p99 {:.3} ms",
        ours.len(),
        ms(percentile(&ours, 0.5)),
        ms(percentile(&ours, 0.99))
    );
    println!(
        "bare FTS5 MATCH:       p50 {:.3} ms, p99 {:.3} ms  (ratio p50 {:.2}x)",
        ms(percentile(&bare, 0.5)),
        ms(percentile(&bare, 0.99)),
        percentile(&ours, 0.5).as_secs_f64() / percentile(&bare, 0.5).as_secs_f64()
    );
    for (kind, times) in &mut by_kind {
        times.sort();
        println!(
            "  {:<11} ({:>4}): p50 {:.3} ms, p99 {:.3} ms",
            format!("{kind:?}"),
            times.len(),
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.99))
        );
    }

    // An update: version 2 replaces every entry of version 1 (the old
    // version's rows go and the new ones come in one transaction), as a
    // full download or a patch installs it.
    drop(stmt);
    drop(conn);
    drop(store);
    // An update that changes 1% of the entries (every hundredth), then
    // one that replaces every entry.
    let v2 = corpus_pack(2, 42, Some(100));
    let (bundle, _) = signed_bundle(&publisher, &dir, 2, &v2);
    install(&bundle, "update (1% of the entries changed), full pack");
    // Another 1% changed, by a patch applied in place (as sync applies
    // it once the patch file's signed hashes are checked).
    let v3 = corpus_pack_changed(3, 42, Some((100, &[0, 50])));
    let patch = patch_between(&v2, &v3).expect("patch");
    let patch_file = dir.join("bench-3.wmpatch");
    std::fs::write(&patch_file, &patch).expect("write patch");
    let v3_digest = content_digest(&v3).expect("digest");
    // Beside the patch, its signed digest, to apply it again (e.g. under a
    // profiler, to a copy of the store at version 2):
    // `content --install-child PATCH DIR LABEL "$(cat PATCH.digest)"`.
    std::fs::write(
        dir.join("bench-3.wmpatch.digest"),
        format!("{} {}", v3_digest.length, v3_digest.sha256),
    )
    .expect("write digest");
    let v2_store = dir.join("version-2");
    copy_store(&store_dir, &v2_store);
    let patched = runs(
        &patch_file,
        &v2_store,
        &format!(
            "update (1% of the entries changed), patch of {:.2} MB applied in place",
            patch.len() as f64 / 1e6
        ),
        Some(&v3_digest),
    );
    println!(
        "1% update by patch against the full install (medians): {:.1}% of its time (goal <= 5%)",
        patched / full * 100.0
    );
    let (bundle, _) = signed_bundle(&publisher, &dir, 4, &corpus_pack(4, 43, None));
    install(&bundle, "update (replaces all)");
}
