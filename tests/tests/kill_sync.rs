//! Kill loops for sync (issue 20 §2): before each round the publisher
//! publishes a new version (with patches from the earlier ones), the
//! `waymark sync` CLI starts, and the test SIGKILLs it at a random moment
//! during the download, the patch or the install. Then the store must
//! open, pass SQLite's `PRAGMA quick_check` (Python's sqlite3: the SQLite
//! Waymark ships omits it), hold exactly one version's entries (each
//! version has a different count, so a mix would show), never go back to
//! an older version than it held, and answer searches. At the end an
//! uninterrupted sync brings the latest version.
//!
//! `WAYMARK_KILL_LOOPS` rounds (default 10, what `scripts/test` runs;
//! `scripts/kill-loop N` runs N); `WAYMARK_KILL_SEED` fixes the moments.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use waymark_e2e::FaultServer;
use waymark_e2e::fixture::{Publisher, bin};

const PACK: &str = "kill-pack";

/// Entries in version `v`: not the same from one version to the next.
fn entries_in(v: u64) -> u64 {
    3_000 + (v % 4) * 100
}

fn loops() -> u64 {
    std::env::var("WAYMARK_KILL_LOOPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

/// A small xorshift generator, seeded from `WAYMARK_KILL_SEED` or the
/// clock (printed, so a failure can be replayed).
fn seed() -> u64 {
    let seed = std::env::var("WAYMARK_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("sync: seed {seed}");
    seed | 1
}

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn waymark(home: &Path, args: &[&str]) -> String {
    let out = Command::new(bin("waymark"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "waymark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `PRAGMA quick_check` and the entries' row count, by Python's sqlite3.
fn quick_check_and_rows(db: &Path) -> u64 {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             print(c.execute('pragma quick_check').fetchone()[0]); \
             print(c.execute('select count(*) from entries').fetchone()[0])",
        ])
        .arg(db)
        .output()
        .expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout);
    let mut lines = said.lines();
    assert_eq!(
        lines.next(),
        Some("ok"),
        "quick_check: {said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines.next().unwrap().parse().unwrap()
}

/// The installed version, after checking the store as the next run would.
fn check(home: &Path, held: u64) -> u64 {
    let list: serde_json::Value =
        serde_json::from_str(&waymark(home, &["--json", "pack", "list"])).unwrap();
    let rows = quick_check_and_rows(&home.join("content").join("content.db"));
    let Some(version) = list[0]["manifest"]["version"].as_u64() else {
        assert_eq!(held, 0, "the pack held went away");
        assert_eq!(rows, 0, "entries of no pack");
        return 0;
    };
    assert!(version >= held, "back from {held} to {version}");
    assert_eq!(
        list[0]["manifest"]["entries"].as_u64(),
        Some(entries_in(version))
    );
    assert_eq!(
        rows,
        entries_in(version),
        "exactly version {version}'s entries"
    );
    let found: serde_json::Value =
        serde_json::from_str(&waymark(home, &["--json", "search", "a"])).unwrap();
    assert!(
        found["hits"].as_array().is_some_and(|h| !h.is_empty()),
        "searchable: {found}"
    );
    version
}

#[test]
fn killed_while_syncing_downloading_patching_or_installing() {
    let publisher = Publisher::new("kill-ngo");
    publisher.publish(&publisher.pack(PACK, 1, entries_in(1) as usize, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let card = home.path().join("card.json");
    std::fs::write(&card, publisher.card()).unwrap();
    waymark(
        home.path(),
        &[
            "trust",
            "add",
            card.to_str().unwrap(),
            "--url",
            &server.url(),
        ],
    );

    let mut rng = seed();
    let (mut held, mut kills, mut whole, mut published) = (0, 0, 0, 1);
    let mut typical = Duration::ZERO;
    for round in 0..loops() {
        // Most rounds bring a new version (by patch from the one held);
        // every fourth kills the same sync again.
        if round > 0 && round % 4 != 3 {
            published += 1;
            let v = published;
            let pack = publisher.pack(PACK, v, entries_in(v) as usize, Some(7));
            publisher.publish(&pack, &[]);
        }
        let mut child = Command::new(bin("waymark"))
            .arg("--home")
            .arg(home.path())
            .arg("sync")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A moment within the time a whole sync takes here (every tenth
        // round measures that: no kill).
        let started = Instant::now();
        let at = if round % 10 == 0 {
            Duration::from_secs(120)
        } else {
            Duration::from_micros(next(&mut rng) % typical.as_micros().max(1) as u64)
        };
        while started.elapsed() < at && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
        match child.try_wait().unwrap() {
            Some(_) => {
                whole += 1;
                typical = started.elapsed();
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
        held = check(home.path(), held);
    }
    waymark(home.path(), &["sync"]);
    let last = check(home.path(), held);
    assert_eq!(last, published);
    println!(
        "sync: {kills} kills, {whole} syncs ended before the kill, version {last} at the end; \
         no corruption, nothing lost"
    );
    assert!(kills > 0);
}
