//! How long `waymark-pack build` takes on the search corpus (issue 21's
//! publisher goal: 100,000 entries in ≤ 10 s on this 2-core machine, the
//! output deterministic).
//!
//! `cargo bench -p waymark-pack --bench build` writes a source directory
//! from `synthetic::corpus_entries` (100,000 entries in English, French,
//! Spanish, Arabic, Farsi and Ukrainian; `WAYMARK_BENCH_ENTRIES` for
//! another size) as an NGO would author it: one Markdown file with front
//! matter per article, an Open Referral HSDS data package for the services
//! (service, organization, location, service_at_location and language
//! tables, names and descriptions in `name@fr`-style columns), one YAML
//! file per alert. Then it runs the real `waymark-pack build` on it
//! `WAYMARK_BENCH_RUNS` times (3) with its default threads and once with
//! `--threads 1`, and prints:
//! - the wall time of each run (range), entries per second, CPU time;
//! - each stage's share, from the stage times `build` prints to stderr
//!   when `WAYMARK_PACK_TIMINGS` is set (reading and checking the source,
//!   sorting and time zone tables, JSON Lines, zstd);
//! - the pack's size, and that every run wrote the same bytes (and the
//!   pack holds the corpus's entries);
//! - how many of the machine's cores were free around the builds (a fixed
//!   job on one thread and on two: the machine is shared, and a build on
//!   one free core takes nearly its CPU time);
//! - then zstd alone on the pack's JSON Lines at other settings (levels,
//!   workers, long-distance matching, lazy2): time, CPU time and size, and
//!   what each costs every phone's download beside level 19
//!   (`WAYMARK_BENCH_SETTINGS=0` leaves this out; the slow settings run
//!   once). `build`'s own setting on 1, 2 and 3 threads must give the
//!   built pack's bytes.
//!
//! `WAYMARK_BENCH_DIR` keeps the source and the packs. The machine is
//! shared and noisy: read ranges, not single figures.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use chrono::SecondsFormat;
use waymark_core::content::model::{Entry, Translations};
use waymark_core::content::pack::PackReader;
use waymark_core::content::synthetic::{
    CORPUS_LANGS, children_cpu_seconds, corpus_entries, cpu_seconds,
};
use zstd::zstd_safe::{CParameter, Strategy};

/// Entries in the benchmark's source (`WAYMARK_BENCH_ENTRIES`, 100,000).
fn entries() -> usize {
    env_number("WAYMARK_BENCH_ENTRIES", 100_000)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A YAML scalar for any text: JSON's double-quoted strings are YAML's.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// A CSV writer for `services/NAME`.
fn table(dir: &Path, name: &str, header: &[String]) -> csv::Writer<std::fs::File> {
    let mut w = csv::Writer::from_path(dir.join(name)).expect("create a CSV table");
    w.write_record(header).expect("write a header");
    w
}

/// Columns `base`, `base@fr`, … in the corpus's languages (the plain one
/// is English, the pack's default language).
fn translated_columns(base: &str) -> Vec<String> {
    CORPUS_LANGS
        .iter()
        .map(|l| match *l {
            "en" => base.to_owned(),
            l => format!("{base}@{l}"),
        })
        .collect()
}

fn translated_cells(t: &Translations) -> Vec<String> {
    CORPUS_LANGS
        .iter()
        .map(|l| t.get(*l).cloned().unwrap_or_default())
        .collect()
}

/// Writes `entries` as a source directory in `dir`.
fn write_source(dir: &Path, entries: &[Entry]) {
    let langs: Vec<String> = CORPUS_LANGS.iter().map(|l| quoted(l)).collect();
    std::fs::write(
        dir.join("pack.toml"),
        format!(
            "id = \"corpus\"\nversion = 1\nbuilt = \"2026-11-01\"\nsample = true\n\
             languages = [{}]\nfallback = [\"en\"]\n\n\
             [publisher]\nid = \"bench-ngo\"\nname = \"Benchmark NGO (sample data)\"\n\n\
             [title]\nen = \"Build benchmark (sample data)\"\n",
            langs.join(", ")
        ),
    )
    .expect("write pack.toml");
    let services = dir.join("services");
    for sub in ["articles", "alerts", "services"] {
        std::fs::create_dir_all(dir.join(sub)).expect("source folders");
    }
    std::fs::write(
        services.join("datapackage.json"),
        r#"{"name": "bench-services", "profile": "tabular-data-package", "resources": []}"#,
    )
    .expect("write datapackage.json");
    let mut header: Vec<String> = [
        "id",
        "organization_id",
        "assured_date",
        "x_categories",
        "x_free",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(translated_columns("name"));
    header.extend(translated_columns("description"));
    let mut service = table(&services, "service.csv", &header);
    let mut location = table(
        &services,
        "location.csv",
        &["id", "latitude", "longitude"].map(str::to_owned),
    );
    let mut sal = table(
        &services,
        "service_at_location.csv",
        &["id", "service_id", "location_id"].map(str::to_owned),
    );
    let mut language = table(
        &services,
        "language.csv",
        &["id", "service_id", "code"].map(str::to_owned),
    );
    let mut organizations = std::collections::BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        match e {
            Entry::Article(a) => {
                // A folder per thousand, as a team splits its articles.
                let folder = dir.join("articles").join(format!("{:03}", i / 1000));
                std::fs::create_dir_all(&folder).expect("an articles folder");
                std::fs::write(
                    folder.join(format!("{}.{}.md", a.id, a.language)),
                    format!(
                        "---\nid: {}\ntitle: {}\nlanguage: {}\nverified: {}\n---\n\n{}\n",
                        a.id,
                        quoted(&a.title),
                        a.language,
                        a.verified,
                        a.body
                    ),
                )
                .expect("write an article");
            }
            Entry::Service(s) => {
                let org = s.organization.clone().expect("corpus services have one");
                let n = organizations.len();
                let org_id = organizations
                    .entry(org)
                    .or_insert_with(|| format!("org-{n}"))
                    .clone();
                let mut row = vec![
                    s.id.clone(),
                    org_id,
                    s.verified.to_string(),
                    s.categories.join(";"),
                    s.free.map_or(String::new(), |f| f.to_string()),
                ];
                row.extend(translated_cells(&s.name));
                row.extend(translated_cells(&s.description));
                service.write_record(&row).expect("a service row");
                let p = s.location.expect("corpus services have one");
                let loc = format!("loc-{}", s.id);
                location
                    .write_record([loc.clone(), p.lat.to_string(), p.lon.to_string()])
                    .expect("a location row");
                sal.write_record([format!("sal-{}", s.id), s.id.clone(), loc])
                    .expect("a service_at_location row");
                for (k, code) in s.languages.iter().enumerate() {
                    language
                        .write_record([format!("lang-{}-{k}", s.id), s.id.clone(), code.clone()])
                        .expect("a language row");
                }
            }
            Entry::Alert(a) => {
                let map = |t: &Translations| {
                    t.iter()
                        .map(|(l, s)| format!("  {l}: {}\n", quoted(s)))
                        .collect::<String>()
                };
                let countries: Vec<&str> = a.area.countries.iter().map(|c| c.as_str()).collect();
                let until = a.valid_until.map_or("none".to_owned(), |u| {
                    u.to_rfc3339_opts(SecondsFormat::Secs, true)
                });
                std::fs::write(
                    dir.join("alerts").join(format!("{}.yaml", a.id)),
                    format!(
                        "id: {}\nseverity: warning\ntitle:\n{}body:\n{}area:\n  countries: [{}]\n\
                         valid_from: {}\nvalid_until: {until}\nverified: {}\n",
                        a.id,
                        map(&a.title),
                        map(&a.body),
                        countries.join(", "),
                        a.valid_from.to_rfc3339_opts(SecondsFormat::Secs, true),
                        a.verified
                    ),
                )
                .expect("write an alert");
            }
            other => panic!("the corpus has no {:?} entries", other.id()),
        }
    }
    let mut org = table(
        &services,
        "organization.csv",
        &["id", "name"].map(str::to_owned),
    );
    let mut orgs: Vec<(&String, &String)> = organizations.iter().map(|(n, id)| (id, n)).collect();
    orgs.sort();
    for (id, name) in orgs {
        org.write_record([id, name]).expect("an organization row");
    }
    for w in [
        &mut service,
        &mut location,
        &mut sal,
        &mut language,
        &mut org,
    ] {
        w.flush().expect("flush a table");
    }
}

/// The bytes of the files under `dir`.
fn du(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("a folder")
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                du(&p)
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

/// One `waymark-pack build`: its wall time and CPU time in seconds, and
/// the stage times it printed (stage, seconds), in its order.
fn build(src: &Path, out: &Path, threads: Option<usize>) -> (f64, f64, Vec<(String, f64)>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waymark-pack"));
    cmd.arg("build")
        .arg(src)
        .arg("--out")
        .arg(out)
        .env("WAYMARK_PACK_TIMINGS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(t) = threads {
        cmd.arg("--threads").arg(t.to_string());
    }
    let (t, cpu) = (Instant::now(), children_cpu_seconds());
    let done = cmd.output().expect("waymark-pack runs");
    let wall = t.elapsed().as_secs_f64();
    let cpu = children_cpu_seconds() - cpu;
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "waymark-pack build: {stderr}");
    let stages = stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("timing ")?;
            let (stage, secs) = rest.rsplit_once(": ")?;
            Some((stage.to_owned(), secs.strip_suffix(" s")?.parse().ok()?))
        })
        .collect();
    (wall, cpu, stages)
}

/// How many of the machine's cores this bench had just now: a fixed
/// CPU-bound job on one thread, then on two at once, and twice the first
/// time over the second (2.0 on two idle cores, near 1.0 when other jobs
/// take one). The machine is shared: read the build times with it.
fn free_cores() -> f64 {
    fn spin() -> u64 {
        let mut x = 1u64;
        for i in 0..300_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
        x
    }
    let t = Instant::now();
    spin();
    let one = t.elapsed().as_secs_f64();
    let t = Instant::now();
    std::thread::scope(|s| {
        s.spawn(spin);
        s.spawn(spin);
    });
    2.0 * one / t.elapsed().as_secs_f64()
}

fn range(xs: &[f64]) -> (f64, f64) {
    xs.iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The builds: `runs` with the default threads, one with `--threads 1`;
/// returns the pack's bytes (every run's, checked equal).
fn time_builds(src: &Path, work: &Path, n: usize, runs: usize) -> Vec<u8> {
    let mut reference: Option<Vec<u8>> = None;
    for (label, threads, times) in [("default threads", None, runs), ("--threads 1", Some(1), 1)] {
        let (mut walls, mut cpus) = (Vec::new(), Vec::new());
        let mut stages: Vec<(String, Vec<f64>)> = Vec::new();
        for run in 0..times {
            let out = work.join(format!("run-{label}-{run}.wmpack").replace(' ', "-"));
            let (wall, cpu, st) = build(src, &out, threads);
            walls.push(wall);
            cpus.push(cpu);
            for (name, secs) in st {
                match stages.iter_mut().find(|(s, _)| *s == name) {
                    Some((_, v)) => v.push(secs),
                    None => stages.push((name, vec![secs])),
                }
            }
            let bytes = std::fs::read(&out).expect("the pack");
            match &reference {
                None => reference = Some(bytes),
                Some(r) => assert!(
                    *r == bytes,
                    "build {label} run {run} wrote other bytes than the first"
                ),
            }
        }
        let (lo, hi) = range(&walls);
        let (cpu_lo, cpu_hi) = range(&cpus);
        println!(
            "build, {label}: {lo:.2}–{hi:.2} s over {times} run(s), median {:.2} s ({:.0}–{:.0} entries/s); CPU {cpu_lo:.2}–{cpu_hi:.2} s",
            median(&walls),
            n as f64 / hi,
            n as f64 / lo,
        );
        let total: f64 = stages.iter().map(|(_, v)| median(v)).sum();
        for (name, v) in &stages {
            let (lo, hi) = range(v);
            println!(
                "  {name:<28} {lo:>6.2}–{hi:<6.2} s  {:>5.1}%",
                100.0 * median(v) / total.max(f64::MIN_POSITIVE)
            );
        }
    }
    println!("every build wrote the same bytes");
    reference.expect("at least one build")
}

/// How `waymark-pack build` compresses (the same file, included).
#[allow(dead_code)]
#[path = "../src/compress.rs"]
mod compress;

/// One zstd setting of the comparison.
struct Setting {
    name: &'static str,
    /// `build`'s own setting on this many threads, or zstd's level with
    /// these parameters.
    how: How,
    /// Slow enough to run once, however many runs were asked for.
    slow: bool,
}

enum How {
    Build(u32),
    Level {
        level: i32,
        workers: u32,
        params: Vec<CParameter>,
    },
}

fn compress_with(plain: &[u8], how: &How) -> Vec<u8> {
    let (level, workers, params) = match how {
        How::Build(threads) => return compress::compress(plain, *threads).expect("zstd"),
        How::Level {
            level,
            workers,
            params,
        } => (*level, *workers, params),
    };
    let mut enc = zstd::Encoder::new(Vec::new(), level).expect("zstd");
    enc.include_checksum(true).expect("zstd");
    enc.include_contentsize(true).expect("zstd");
    enc.set_pledged_src_size(Some(plain.len() as u64))
        .expect("zstd");
    if workers > 0 {
        enc.multithread(workers).expect("zstdmt");
    }
    for p in params {
        enc.set_parameter(*p).expect("zstd");
    }
    enc.write_all(plain).expect("zstd");
    enc.finish().expect("zstd")
}

/// Long-distance matching, within the window a phone accepts (8 MiB).
const LONG: &[CParameter] = &[
    CParameter::EnableLongDistanceMatching(true),
    CParameter::WindowLog(23),
];

/// zstd alone on the pack's JSON Lines, at the settings worth comparing.
fn compare_settings(plain: &[u8], built: &[u8], runs: usize) {
    let level = |level, workers, params: &[CParameter]| How::Level {
        level,
        workers,
        params: params.to_vec(),
    };
    // build's setting with the lazy2 match finder instead of lazy.
    let mut lazy2 = compress::LARGE;
    lazy2[0] = CParameter::Strategy(Strategy::ZSTD_lazy2);
    let lazy2: &[CParameter] = &lazy2;
    let settings = [
        Setting {
            name: "level 19, 1 thread (before)",
            how: level(19, 0, &[]),
            slow: true,
        },
        Setting {
            name: "level 19, 2 workers",
            how: level(19, 2, &[]),
            slow: true,
        },
        Setting {
            name: "level 16, 2 workers",
            how: level(16, 2, &[]),
            slow: true,
        },
        Setting {
            name: "level 12, 2 workers",
            how: level(12, 2, &[]),
            slow: false,
        },
        Setting {
            name: "level 12, 2 workers, long",
            how: level(12, 2, LONG),
            slow: false,
        },
        Setting {
            name: "build's with lazy2, 2 workers",
            how: level(compress::LARGE_LEVEL, 2, lazy2),
            slow: false,
        },
        Setting {
            name: "level 9, 2 workers",
            how: level(9, 2, &[]),
            slow: false,
        },
        Setting {
            name: "build's, 1 thread",
            how: How::Build(1),
            slow: false,
        },
        Setting {
            name: "build's, 2 threads",
            how: How::Build(2),
            slow: false,
        },
        Setting {
            name: "build's, 3 threads",
            how: How::Build(3),
            slow: false,
        },
    ];
    println!(
        "\nzstd alone on the pack's {:.1} MB of JSON Lines (the built pack: {} bytes):",
        plain.len() as f64 / 1e6,
        built.len()
    );
    let mut before = 0usize;
    for s in &settings {
        let (mut walls, mut cpus) = (Vec::new(), Vec::new());
        let mut out = Vec::new();
        for _ in 0..if s.slow { 1 } else { runs } {
            let (t, cpu) = (Instant::now(), cpu_seconds());
            out = compress_with(plain, &s.how);
            walls.push(t.elapsed().as_secs_f64());
            cpus.push(cpu_seconds() - cpu);
        }
        if before == 0 {
            before = out.len();
        }
        // Any number of threads gives the same bytes.
        if let How::Build(_) = s.how {
            assert!(out == built, "{}: other bytes than the built pack", s.name);
        }
        let (lo, hi) = range(&walls);
        let (cpu_lo, cpu_hi) = range(&cpus);
        let extra = out.len() as f64 - before as f64;
        println!(
            "  {:<28} {lo:>6.2}–{hi:<6.2} s (CPU {cpu_lo:>6.2}–{cpu_hi:<6.2} s) {:>10} bytes ({:+.2} MB, {:+.2}%){}",
            s.name,
            out.len(),
            extra / 1e6,
            100.0 * extra / before as f64,
            if out == built {
                "  = the built pack"
            } else {
                ""
            }
        );
    }
}

fn main() {
    let n = entries();
    let runs = env_number("WAYMARK_BENCH_RUNS", 3).max(1);
    // WAYMARK_BENCH_DIR keeps the source and the packs for a look afterwards.
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = match std::env::var_os("WAYMARK_BENCH_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => tmp.path().to_path_buf(),
    };
    let src = work.join("source");
    if src.exists() {
        std::fs::remove_dir_all(&src).expect("clear the old source");
    }
    std::fs::create_dir_all(&src).expect("source dir");
    let corpus = corpus_entries(n, 21);
    let t = Instant::now();
    write_source(&src, &corpus);
    println!(
        "source: {n} entries, {:.1} MB in {:.1} s (Markdown articles, an HSDS package of services, YAML alerts)",
        du(&src) as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let before = free_cores();
    let pack = time_builds(&src, &work, n, runs);
    println!(
        "free cores: {before:.1} of {} before the builds, {:.1} after",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        free_cores()
    );
    println!(
        "pack: {} bytes ({:.2} MB)",
        pack.len(),
        pack.len() as f64 / 1e6
    );

    // The pack holds the corpus: what the source said, read back (as
    // lines: serde_json's float parsing is not exact to the last digit).
    let mut reader = PackReader::new(&pack[..]).expect("the pack reads");
    let mut read = Vec::new();
    while let Some(e) = reader.next_with_json() {
        read.push(e.expect("an entry").1.to_owned());
    }
    let mut want: Vec<String> = corpus
        .iter()
        .map(|e| serde_json::to_string(e).expect("json"))
        .collect();
    read.sort();
    want.sort();
    if let Some((got, wanted)) = read.iter().zip(&want).find(|(a, b)| a != b) {
        panic!("the pack does not hold the corpus's entries:\n{got}\ninstead of\n{wanted}");
    }
    assert_eq!(read.len(), want.len(), "the pack's entries");

    // WAYMARK_BENCH_SETTINGS=0 leaves out the comparison of zstd settings.
    if env_number("WAYMARK_BENCH_SETTINGS", 1) != 0 {
        let plain = zstd::decode_all(&pack[..]).expect("the pack decompresses");
        compare_settings(&plain, &pack, runs);
    }
}
