//! Kill loops (issue 20 §2): a child process (this test binary, started
//! again with `WAYMARK_KILL_CHILD`) repeats one operation on a vault or a
//! content store and journals each one that returned; the parent SIGKILLs
//! it at a random moment, then checks that the store opens, that SQLite's
//! `PRAGMA quick_check` passes (run by Python's sqlite3 module: the SQLite
//! Waymark ships omits the integrity checks), that everything the journal
//! says was committed is there byte for byte, that the operation cut short
//! is either whole or absent, and that no orphan file stays after the next
//! open. Then it starts the child again on the same store, and so on.
//!
//! `WAYMARK_KILL_LOOPS` kills per scenario (default 10, what `scripts/test`
//! runs; `scripts/kill-loop N` runs N); `WAYMARK_KILL_SEED` fixes the
//! random moments.
//!
//! Not yet looped here: a pack update by patch and a sync (download and
//! install), a panic wipe, duress destruction, and the remote backup.

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{PASS, clock, meta, options};
use waymark_core::content::ContentStore;
use waymark_core::content::synthetic::{SyntheticPublisher, pack};
use waymark_core::vault::{DocumentId, DocumentKind, RecoveryCode, Vault};

const OTHER_PASS: &str = "another passphrase entirely";

/// A document's content, from its number: 1 KB to 2.5 MB.
fn content(n: u64) -> Vec<u8> {
    let len = 1_000 + (n * 7_919_993) % 2_500_000;
    let mut x = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn journal_path(dir: &Path) -> PathBuf {
    dir.join("journal")
}

/// Appends a line to the journal, durably, once an operation returned.
fn journal(dir: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(journal_path(dir))
        .unwrap();
    writeln!(f, "{line}").unwrap();
    f.sync_all().unwrap();
}

fn read_journal(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(journal_path(dir))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split(' ').map(str::to_owned).collect())
        .collect()
}

// ----- the child ---------------------------------------------------------------

#[test]
#[ignore = "run only as the child of the kill loops"]
fn kill_child() {
    let (Some(scenario), Some(dir)) = (
        std::env::var_os("WAYMARK_KILL_CHILD"),
        std::env::var_os("WAYMARK_KILL_DIR"),
    ) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let scenario = scenario.to_string_lossy().into_owned();
    let next = |dir: &Path| read_journal(dir).len() as u64;
    if scenario.starts_with("content") {
        return content_child(&scenario, &dir);
    }
    let vault_dir = dir.join("vault");
    let vault = Vault::open(&vault_dir, options(&clock())).unwrap();
    let pass = current_pass(&dir);
    vault.unlock(&pass).unwrap();
    loop {
        let n = next(&dir);
        match scenario.as_str() {
            "vault-add" => {
                let id = vault
                    .add_document_bytes(meta(DocumentKind::Other, &format!("doc {n}")), &content(n))
                    .unwrap();
                journal(&dir, &format!("added {id} {n}"));
            }
            "vault-replace" => {
                let id: DocumentId = first_id(&dir).parse().unwrap();
                vault.replace_content(&id, &content(n)[..]).unwrap();
                journal(&dir, &format!("replaced {id} {n}"));
            }
            "vault-delete" => {
                let id = vault
                    .add_document_bytes(meta(DocumentKind::Other, "short-lived"), &content(n))
                    .unwrap();
                journal(&dir, &format!("added {id} {n}"));
                vault.delete_document(&id).unwrap();
                journal(&dir, &format!("deleted {id} {n}"));
            }
            "vault-passwd" => {
                let (from, to) = if current_pass(&dir) == PASS {
                    (PASS, OTHER_PASS)
                } else {
                    (OTHER_PASS, PASS)
                };
                vault.change_passphrase(from, to).unwrap();
                journal(
                    &dir,
                    &format!("passphrase {}", usize::from(to == OTHER_PASS)),
                );
            }
            "vault-recovery" => {
                let code = vault.regenerate_recovery_code().unwrap();
                journal(&dir, &format!("code {}", code.to_string().replace(' ', "")));
            }
            "vault-duress" => {
                vault
                    .set_duress_passphrase(&format!("duress words {n}"), false)
                    .unwrap();
                journal(&dir, &format!("duress {n}"));
            }
            other => panic!("no scenario {other}"),
        }
    }
}

fn content_child(scenario: &str, dir: &Path) {
    let store = ContentStore::open(&dir.join("content")).unwrap();
    loop {
        // The next version after the one installed or last journaled.
        let next = read_journal(dir)
            .iter()
            .filter(|l| l[0] == "installed")
            .map(|l| l[1].parse::<u64>().unwrap())
            .chain(store.packs().unwrap().iter().map(|p| p.manifest.version))
            .max()
            .unwrap_or(0)
            + 1;
        let bundle = dir.join(format!("v{next}.wmbundle"));
        if !bundle.exists() {
            return; // The parent makes more before the next round.
        }
        match scenario {
            "content-install" => {
                store.install_bundle(&bundle).unwrap();
                journal(dir, &format!("installed {next}"));
            }
            "content-remove" => {
                if store.packs().unwrap().is_empty() {
                    store.install_bundle(&bundle).unwrap();
                    journal(dir, &format!("installed {next}"));
                } else {
                    store.remove_pack("kill-ngo", "kill-pack").unwrap();
                    journal(dir, "removed");
                }
            }
            other => panic!("no scenario {other}"),
        }
    }
}

/// Entries in version `v` of the kill loops' pack: not the same from one
/// version to the next, so a mix of two would show.
fn entries_in(v: u64) -> u64 {
    200 + (v % 3) * 100
}

fn current_pass(dir: &Path) -> String {
    let last = read_journal(dir)
        .into_iter()
        .rev()
        .find(|l| l[0] == "passphrase");
    match last {
        Some(l) if l[1] == "1" => OTHER_PASS.to_owned(),
        _ => PASS.to_owned(),
    }
}

fn first_id(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("first-id")).unwrap()
}

// ----- the parent ----------------------------------------------------------------

fn loops() -> usize {
    std::env::var("WAYMARK_KILL_LOOPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

/// A small xorshift generator, seeded from `WAYMARK_KILL_SEED` or the
/// clock (printed, so a failure can be replayed).
struct Rng(u64);

impl Rng {
    fn new(scenario: &str) -> Rng {
        let seed = std::env::var("WAYMARK_KILL_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        println!("{scenario}: seed {seed}");
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs the child for `scenario` on `dir` and kills it after a random
/// moment (once it has started working), `loops()` times, calling `check`
/// after each kill. Returns the kills that landed while the child worked.
fn kill_loop(scenario: &str, dir: &Path, check: &dyn Fn(&Path)) -> usize {
    let mut rng = Rng::new(scenario);
    let mut kills = 0;
    for round in 0..loops() {
        let before = read_journal(dir).len();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "kill_child", "--nocapture"])
            .env("WAYMARK_KILL_CHILD", scenario)
            .env("WAYMARK_KILL_DIR", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Let it get going (open, unlock), then a random moment.
        let deadline = Instant::now() + Duration::from_secs(60);
        while read_journal(dir).len() == before && round % 3 != 0 {
            assert!(
                Instant::now() < deadline,
                "{scenario}: the child did nothing"
            );
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("{scenario}: the child ended ({status}): {err}");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(rng.below(400)));
        match child.try_wait().unwrap() {
            // Ran out of prepared work (the content loops): no kill.
            Some(status) if status.success() => {}
            Some(status) => {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("{scenario}: the child ended ({status}): {err}");
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
        check(dir);
    }
    println!(
        "{scenario}: {kills} kills, {} operations committed, no corruption, nothing lost",
        read_journal(dir).len()
    );
    kills
}

/// `PRAGMA quick_check` by another SQLite (Python's), which has it.
fn quick_check(db: &Path) {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('pragma quick_check').fetchone()[0])",
        ])
        .arg(db)
        .output()
        .expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        said.trim(),
        "ok",
        "quick_check of {}: {said} {}",
        db.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn new_vault_in(dir: &Path) -> (Vault, RecoveryCode) {
    Vault::create(&dir.join("vault"), PASS, options(&clock())).unwrap()
}

/// Opens the vault as the next run of the app would, checks the database
/// and returns it unlocked with the passphrase the journal implies (or the
/// other one, if the change in flight had committed).
fn reopen(dir: &Path) -> Vault {
    let vault_dir = dir.join("vault");
    let vault = Vault::open(&vault_dir, options(&clock())).expect("the vault opens");
    quick_check(&vault_dir.join("vault.db"));
    let pass = current_pass(dir);
    let other = if pass == PASS { OTHER_PASS } else { PASS };
    if vault.unlock(&pass).is_err() {
        vault
            .unlock(other)
            .expect("the vault opens with the old or the new passphrase");
        // The change had committed just before the kill: note it.
        journal(
            dir,
            &format!("passphrase {}", usize::from(other == OTHER_PASS)),
        );
    }
    // No orphan content file: one file per document version.
    let files = common::blob_count(&vault_dir);
    let docs = vault.list_documents().unwrap().len();
    let raw = common::raw_db(&vault_dir);
    let rows: usize = raw
        .query_row("SELECT count(*) FROM documents", [], |r| r.get::<_, i64>(0))
        .unwrap() as usize;
    assert_eq!(
        files, rows,
        "an orphan content file after open ({docs} documents here)"
    );
    vault
}

#[test]
fn killed_while_adding_documents() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault_in(dir.path()));
    kill_loop("vault-add", dir.path(), &|dir| {
        let vault = reopen(dir);
        let docs: BTreeMap<String, String> = vault
            .list_documents()
            .unwrap()
            .into_iter()
            .map(|d| (d.id.to_string(), d.metadata.title))
            .collect();
        let lines = read_journal(dir);
        for line in &lines {
            let n: u64 = line[2].parse().unwrap();
            let id: DocumentId = line[1].parse().unwrap();
            assert_eq!(
                &vault
                    .read_document_bytes(&id)
                    .expect("a committed document is there")[..],
                &content(n)[..]
            );
        }
        // At most the one in flight beyond the journal, whole.
        let beyond: Vec<_> = docs
            .iter()
            .filter(|(id, _)| !lines.iter().any(|l| &l[1] == *id))
            .collect();
        assert!(beyond.len() <= 1, "{beyond:?}");
        for (id, title) in beyond {
            let n = lines.len() as u64;
            assert_eq!(title, &format!("doc {n}"));
            let id: DocumentId = id.parse().unwrap();
            assert_eq!(
                &vault.read_document_bytes(&id).unwrap()[..],
                &content(n)[..]
            );
            // The app would not know of it; the journal does now.
            journal(dir, &format!("added {id} {n}"));
        }
    });
}

#[test]
fn killed_while_replacing_a_documents_content() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault_in(dir.path());
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "replaced"), &content(0))
        .unwrap();
    drop(vault);
    std::fs::write(dir.path().join("first-id"), id.to_string()).unwrap();
    journal(dir.path(), &format!("replaced {id} 0"));
    kill_loop("vault-replace", dir.path(), &|dir| {
        let vault = reopen(dir);
        let lines = read_journal(dir);
        let last: u64 = lines.last().unwrap()[2].parse().unwrap();
        let n = lines.len() as u64;
        let now = vault.read_document_bytes(&id).unwrap();
        if now[..] == content(n)[..] {
            journal(dir, &format!("replaced {id} {n}"));
        } else {
            assert_eq!(
                &now[..],
                &content(last)[..],
                "exactly the old or the new content"
            );
        }
        assert_eq!(vault.list_documents().unwrap().len(), 1);
    });
}

#[test]
fn killed_while_adding_and_deleting() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_vault_in(dir.path()));
    kill_loop("vault-delete", dir.path(), &|dir| {
        let vault = reopen(dir);
        let lines = read_journal(dir);
        let listed: Vec<String> = vault
            .list_documents()
            .unwrap()
            .into_iter()
            .map(|d| d.id.to_string())
            .collect();
        for line in &lines {
            if line[0] == "deleted" {
                assert!(!listed.contains(&line[1]), "a deleted document came back");
            }
        }
        // Added and not deleted yet: the one in flight, whole if there.
        assert!(listed.len() <= 2, "{listed:?}");
        for id in &listed {
            let d: DocumentId = id.parse().unwrap();
            let bytes = vault.read_document_bytes(&d).unwrap();
            assert!(
                (0..=lines.len() as u64).any(|n| bytes[..] == content(n)[..]),
                "a document is whole"
            );
            vault.delete_document(&d).unwrap();
            journal(dir, &format!("deleted {id} 0"));
        }
    });
}

#[test]
fn killed_while_changing_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault_in(dir.path());
    let id = vault
        .add_document_bytes(meta(DocumentKind::Visa, "kept"), &content(7))
        .unwrap();
    drop(vault);
    kill_loop("vault-passwd", dir.path(), &|dir| {
        let vault = reopen(dir);
        assert_eq!(
            &vault.read_document_bytes(&id).unwrap()[..],
            &content(7)[..]
        );
    });
}

#[test]
fn killed_while_regenerating_the_recovery_code_or_setting_a_duress_passphrase() {
    for scenario in ["vault-recovery", "vault-duress"] {
        let dir = tempfile::tempdir().unwrap();
        let (vault, first_code) = new_vault_in(dir.path());
        let id = vault
            .add_document_bytes(meta(DocumentKind::Visa, "kept"), &content(9))
            .unwrap();
        drop(vault);
        journal(
            dir.path(),
            &format!("code {}", first_code.to_string().replace(' ', "")),
        );
        kill_loop(scenario, dir.path(), &|dir| {
            let vault = reopen(dir);
            assert_eq!(
                &vault.read_document_bytes(&id).unwrap()[..],
                &content(9)[..]
            );
            assert_eq!(
                vault.list_documents().unwrap().len(),
                1,
                "the real vault's documents only"
            );
        });
        // The last code the journal holds still opens the vault, unless a
        // newer one committed just before a kill (then the passphrase does).
        let last_code = read_journal(dir.path())
            .into_iter()
            .rev()
            .find(|l| l[0] == "code")
            .unwrap();
        let vault = Vault::open(&dir.path().join("vault"), options(&clock())).unwrap();
        let code = RecoveryCode::parse(&last_code[1]).unwrap();
        if vault
            .unlock_with_recovery_code(&code, "after the kill loop")
            .is_err()
        {
            vault.unlock(&current_pass(dir.path())).unwrap();
        }
        assert_eq!(
            &vault.read_document_bytes(&id).unwrap()[..],
            &content(9)[..]
        );
    }
}

#[test]
fn killed_while_installing_or_removing_a_pack() {
    for scenario in ["content-install", "content-remove"] {
        let dir = tempfile::tempdir().unwrap();
        let publisher = SyntheticPublisher::new("kill-ngo").unwrap();
        {
            let store = ContentStore::open(&dir.path().join("content")).unwrap();
            store
                .trust_publisher(&publisher.card().unwrap(), &Default::default())
                .unwrap();
        }
        // Bundles of the versions the children will install, made ahead.
        let made = std::cell::Cell::new(0u64);
        let make_ahead = |dir: &Path| {
            let installed = read_journal(dir)
                .iter()
                .filter(|l| l[0] == "installed")
                .count() as u64;
            while made.get() < installed + 20 {
                let v = made.get() + 1;
                let pack = pack("kill-ngo", "kill-pack", v, entries_in(v) as usize, v).unwrap();
                let file = std::fs::File::create(dir.join(format!("v{v}.wmbundle"))).unwrap();
                publisher.bundle(&pack, "kill-pack", v, file).unwrap();
                made.set(v);
            }
        };
        make_ahead(dir.path());
        kill_loop(scenario, dir.path(), &|dir| {
            make_ahead(dir);
            let store = ContentStore::open(&dir.join("content")).expect("the store opens");
            quick_check(&dir.join("content").join("content.db"));
            let packs = store.packs().unwrap();
            assert!(packs.len() <= 1);
            let conn = rusqlite::Connection::open(dir.join("content").join("content.db")).unwrap();
            let rows: i64 = conn
                .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
                .unwrap();
            match packs.first() {
                // Exactly one version's entries, as its manifest declares:
                // never a mix of two versions, never a half-installed one.
                Some(p) => {
                    assert_eq!(p.manifest.entries, entries_in(p.manifest.version));
                    assert_eq!(
                        rows as u64, p.manifest.entries,
                        "version {}",
                        p.manifest.version
                    );
                    let hits = store
                        .search(&waymark_core::content::SearchQuery::new("a"))
                        .map(|r| r.hits.len());
                    assert!(hits.is_ok(), "searchable: {hits:?}");
                }
                None => assert_eq!(rows, 0, "a removed pack leaves no entries"),
            }
        });
    }
}
