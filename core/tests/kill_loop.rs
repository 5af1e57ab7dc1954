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
//! A sync (download, patch, install) is looped in `tests/tests/kill_sync.rs`,
//! which runs the `waymark` CLI against a publisher's real repository.

mod common;
#[cfg(feature = "http-reqwest")]
mod servers;

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
const DURESS_PASS: &str = "the words for the checkpoint";
/// Documents the vault-add loop keeps (it deletes the oldest beyond), so
/// that checking every one after each kill stays affordable.
const KEEP: usize = 40;

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

/// Appends a line to the journal, durably, once an operation returned: in
/// one write, so that a kill never leaves half a line for the next to be
/// glued to (`writeln!` on a file writes the line and its newline apart).
fn journal(dir: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(journal_path(dir))
        .unwrap();
    f.write_all(format!("{line}\n").as_bytes()).unwrap();
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
    match scenario.as_str() {
        s if s.starts_with("content") => return content_child(s, &dir),
        "vault-wipe" => return wipe_child(&dir),
        "vault-destroy" => return destroy_child(&dir),
        #[cfg(feature = "http-reqwest")]
        "backup" => return backup_child(&dir),
        _ => {}
    }
    let vault_dir = dir.join("vault");
    let vault = Vault::open(&vault_dir, options(&clock())).unwrap();
    let pass = current_pass(&dir);
    vault.unlock(&pass).unwrap();
    loop {
        let n = next(&dir);
        match scenario.as_str() {
            "vault-add" => {
                delete_oldest_beyond(&vault, &dir, KEEP);
                let n = next(&dir);
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

/// Deletes the oldest live documents the journal lists, journaling
/// `deleting ID` before and `deleted ID` after, until `keep` are left.
fn delete_oldest_beyond(vault: &Vault, dir: &Path, keep: usize) {
    loop {
        let live = live_documents(&read_journal(dir));
        if live.len() < keep {
            return;
        }
        let (id, _) = &live[0];
        journal(dir, &format!("deleting {id}"));
        vault.delete_document(&id.parse().unwrap()).unwrap();
        journal(dir, &format!("deleted {id}"));
    }
}

/// The ids of the documents `vault` lists.
fn ids(vault: &Vault) -> Vec<String> {
    vault
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| d.id.to_string())
        .collect()
}

/// The documents the journal says were added and not deleted, oldest
/// first: (id, content number).
fn live_documents(lines: &[Vec<String>]) -> Vec<(String, u64)> {
    let mut live: Vec<(String, u64)> = Vec::new();
    for l in lines {
        match l[0].as_str() {
            "added" => live.push((l[1].clone(), l[2].parse().unwrap())),
            "deleted" => live.retain(|(id, _)| id != &l[1]),
            _ => {}
        }
    }
    live
}

/// After a kill: a delete cut short is done or not done, never half (the
/// journal learns which, from `listed`); then every document the journal
/// says is live reads back as `content` of its number. Returns the journal
/// and its live documents.
fn check_live(
    dir: &Path,
    vault: &Vault,
    listed: &[String],
    content: fn(u64) -> Vec<u8>,
) -> (Vec<Vec<String>>, Vec<(String, u64)>) {
    if let Some(l) = read_journal(dir).last()
        && l[0] == "deleting"
        && !listed.contains(&l[1])
    {
        journal(dir, &format!("deleted {}", l[1]));
    }
    let lines = read_journal(dir);
    let live = live_documents(&lines);
    for (id, n) in &live {
        let id: DocumentId = id.parse().unwrap();
        assert_eq!(
            &vault
                .read_document_bytes(&id)
                .expect("a committed document is there")[..],
            &content(*n)[..]
        );
    }
    (lines, live)
}

/// Creates a vault, adds two documents, then panic-wipes it; again and
/// again (the parent wipes what a kill left before the next run).
fn wipe_child(dir: &Path) {
    let vault_dir = dir.join("vault");
    loop {
        let n = read_journal(dir).len() as u64;
        let (vault, code) = Vault::create(&vault_dir, PASS, options(&clock())).unwrap();
        journal(
            dir,
            &format!("created {}", code.to_string().replace(' ', "")),
        );
        for k in 0..2 {
            let id = vault
                .add_document_bytes(meta(DocumentKind::Passport, "wiped"), &content(n + k))
                .unwrap();
            journal(dir, &format!("added {id} {}", n + k));
        }
        journal(dir, "wiping");
        vault.wipe().unwrap();
        journal(dir, "wiped");
    }
}

/// Creates a vault with a document and a destroying duress passphrase,
/// then unlocks with the duress passphrase (which destroys the real
/// vault); again and again.
fn destroy_child(dir: &Path) {
    let vault_dir = dir.join("vault");
    loop {
        let n = read_journal(dir).len() as u64;
        let (vault, _) = Vault::create(&vault_dir, PASS, options(&clock())).unwrap();
        let id = vault
            .add_document_bytes(meta(DocumentKind::Passport, "real"), &content(n))
            .unwrap();
        vault.set_duress_passphrase(DURESS_PASS, true).unwrap();
        journal(dir, &format!("armed {id} {n}"));
        drop(vault);
        let vault = Vault::open(&vault_dir, options(&clock())).unwrap();
        journal(dir, "unlocking");
        vault.unlock(DURESS_PASS).unwrap();
        journal(dir, "destroyed");
        drop(vault);
        waymark_core::vault::wipe_dir(&vault_dir).unwrap();
        journal(dir, "wiped");
    }
}

/// A small document (1 KB to 120 KB): the backup loop restores them all
/// after every kill.
#[cfg(feature = "http-reqwest")]
fn small(n: u64) -> Vec<u8> {
    let mut c = content(n);
    c.truncate(1_000 + (n as usize * 7_919) % 119_000);
    c
}

#[cfg(feature = "http-reqwest")]
fn backup_http() -> waymark_core::sync::Http {
    waymark_core::sync::Http::new(waymark_core::sync::HttpConfig {
        retries: 1,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        ..Default::default()
    })
    .unwrap()
}

/// Adds a document (deleting the oldest beyond 12), then backs up to the
/// WebDAV server the parent runs; again and again.
#[cfg(feature = "http-reqwest")]
fn backup_child(dir: &Path) {
    let vault = Vault::open(&dir.join("vault"), options(&clock())).unwrap();
    vault.unlock(PASS).unwrap();
    let http = backup_http();
    loop {
        delete_oldest_beyond(&vault, dir, 12);
        let n = read_journal(dir).len() as u64;
        let id = vault
            .add_document_bytes(meta(DocumentKind::Other, &format!("doc {n}")), &small(n))
            .unwrap();
        journal(dir, &format!("added {id} {n}"));
        waymark_core::backup::remote::backup_now(
            &vault,
            &http,
            &waymark_core::clock::SystemClock,
            &waymark_core::sync::CancelToken::new(),
            &mut |_| {},
        )
        .unwrap();
        journal(dir, "backed-up");
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
        let listed: Vec<String> = docs.keys().cloned().collect();
        let (lines, live) = check_live(dir, &vault, &listed, content);
        for l in lines.iter().filter(|l| l[0] == "deleted") {
            assert!(!docs.contains_key(&l[1]), "a deleted document came back");
        }
        // At most the one in flight beyond the journal, whole.
        let beyond: Vec<_> = docs
            .iter()
            .filter(|(id, _)| !live.iter().any(|(l, _)| l == *id))
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
        let listed = ids(&vault);
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
            // Its content's number: journaled when the add returned, else
            // the journal's length when the add began (the one in flight).
            let n = lines
                .iter()
                .find(|l| l[0] == "added" && &l[1] == id)
                .map_or(lines.len() as u64, |l| l[2].parse().unwrap());
            assert!(bytes[..] == content(n)[..], "a document is whole");
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
        // The versions after the newest the journal names (not the count
        // of installs: one that committed just before a kill is never
        // journaled, and the child goes on from the store's version).
        let make_ahead = |dir: &Path| {
            let installed = read_journal(dir)
                .iter()
                .filter(|l| l[0] == "installed")
                .map(|l| l[1].parse::<u64>().unwrap())
                .max()
                .unwrap_or(0);
            while made.get() < installed + 50 {
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

/// The journal's lines since the last `wiped`.
fn this_cycle(dir: &Path) -> Vec<Vec<String>> {
    let lines = read_journal(dir);
    let start = lines
        .iter()
        .rposition(|l| l[0] == "wiped")
        .map_or(0, |i| i + 1);
    lines[start..].to_vec()
}

/// Finishes what the kill left (as the app would, wiping again) and
/// checks that nothing of the vault remains.
fn wipe_what_is_left(dir: &Path) {
    let vault_dir = dir.join("vault");
    waymark_core::vault::wipe_dir(&vault_dir).unwrap();
    let left = common::files_below(&vault_dir);
    assert!(left.is_empty(), "left after a wipe: {left:?}");
    journal(dir, "wiped");
}

#[test]
fn killed_while_panic_wiping() {
    let dir = tempfile::tempdir().unwrap();
    kill_loop("vault-wipe", dir.path(), &|dir| {
        let cycle = this_cycle(dir);
        let wiping = cycle.last().is_some_and(|l| l[0] == "wiping");
        let code = cycle
            .iter()
            .find(|l| l[0] == "created")
            .map(|l| l[1].clone());
        let added: Vec<(String, u64)> = live_documents(&cycle);
        let vault_dir = dir.join("vault");
        match Vault::open(&vault_dir, options(&clock())) {
            Ok(vault) if vault.unlock(PASS).is_ok() => {
                // Not wiped yet (the kill came before the keys went):
                // whole, every document there.
                quick_check(&vault_dir.join("vault.db"));
                for (id, n) in &added {
                    let id: DocumentId = id.parse().unwrap();
                    assert_eq!(
                        &vault.read_document_bytes(&id).unwrap()[..],
                        &content(*n)[..]
                    );
                }
                assert!(vault.list_documents().unwrap().len() <= added.len() + 1);
            }
            Ok(vault) => {
                // The keys are gone: nothing opens it any more.
                assert!(wiping, "locked out without a wipe: {cycle:?}");
                if let Some(code) = &code {
                    let code = RecoveryCode::parse(code).unwrap();
                    assert!(
                        vault
                            .unlock_with_recovery_code(&code, "after the wipe")
                            .is_err(),
                        "the recovery code opened a wiped vault"
                    );
                }
            }
            Err(waymark_core::Error::NoVault) => {
                assert!(
                    wiping || code.is_none(),
                    "a vault gone without a wipe: {cycle:?}"
                );
            }
            Err(e) => panic!("a wiped or half-wiped vault: {e}"),
        }
        wipe_what_is_left(dir);
    });
}

#[test]
fn killed_while_a_duress_unlock_destroys_the_real_vault() {
    let dir = tempfile::tempdir().unwrap();
    kill_loop("vault-destroy", dir.path(), &|dir| {
        let cycle = this_cycle(dir);
        let last = cycle.last().map(|l| l[0].clone()).unwrap_or_default();
        let armed = cycle.iter().find(|l| l[0] == "armed").cloned();
        let vault_dir = dir.join("vault");
        match Vault::open(&vault_dir, options(&clock())) {
            Ok(vault) => {
                quick_check(&vault_dir.join("vault.db"));
                if vault.unlock(PASS).is_ok() {
                    // Not destroyed (yet): the real document, whole.
                    assert_ne!(last, "destroyed", "the real vault survived its destruction");
                    if let Some(a) = &armed {
                        let id: DocumentId = a[1].parse().unwrap();
                        let n: u64 = a[2].parse().unwrap();
                        assert_eq!(
                            &vault.read_document_bytes(&id).unwrap()[..],
                            &content(n)[..]
                        );
                    }
                } else if armed.is_some() {
                    // Destroyed: only the duress passphrase opens, on an
                    // empty decoy, and nothing of the real vault is there.
                    assert!(
                        last == "unlocking" || last == "destroyed",
                        "the passphrase failed before the duress unlock: {cycle:?}"
                    );
                    vault.lock();
                    vault
                        .unlock(DURESS_PASS)
                        .expect("the duress passphrase opens the decoy");
                    assert!(vault.list_documents().unwrap().is_empty());
                }
            }
            Err(waymark_core::Error::NoVault) => {
                assert!(
                    armed.is_none() || last == "destroyed",
                    "the vault went away: {cycle:?}"
                );
            }
            Err(e) => panic!("the vault does not open: {e}"),
        }
        wipe_what_is_left(dir);
    });
}

#[cfg(feature = "http-reqwest")]
#[test]
fn killed_while_backing_up_to_a_webdav_server() {
    use waymark_core::backup::remote::{self, Location, RestoreSecret};

    let served = tempfile::tempdir().unwrap();
    let root = served.path().join("dav");
    std::fs::create_dir(&root).unwrap();
    let dav = servers::wsgidav(&root);
    let location = || {
        Location::webdav(
            &format!("http://127.0.0.1:{}/backups/kill", dav.port),
            Some("alice"),
            Some("s3cret"),
        )
        .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault_in(dir.path());
    remote::set_location(&vault, location()).unwrap();
    drop(vault);
    let restores = std::cell::Cell::new(0);
    kill_loop("backup", dir.path(), &|dir| {
        let vault = reopen(dir);
        let listed = ids(&vault);
        let (lines, live) = check_live(dir, &vault, &listed, small);
        // The one added beyond the journal, whole.
        for id in listed
            .iter()
            .filter(|id| !live.iter().any(|(l, _)| l == *id))
        {
            let n = lines.len() as u64;
            let d: DocumentId = id.parse().unwrap();
            assert_eq!(&vault.read_document_bytes(&d).unwrap()[..], &small(n)[..]);
            journal(dir, &format!("added {id} {n}"));
        }
        drop(vault);

        // The server: what the last finished backup held, still live now,
        // restores whole; nothing deleted before it comes back.
        let Some(last) = lines.iter().rposition(|l| l[0] == "backed-up") else {
            return;
        };
        let at_backup = live_documents(&lines[..last]);
        let deleted_before: Vec<&String> = lines[..last]
            .iter()
            .filter(|l| l[0] == "deleted")
            .map(|l| &l[1])
            .collect();
        let restored_dir = tempfile::tempdir().unwrap();
        let (restored, _) = remote::restore(
            &restored_dir.path().join("vault"),
            location(),
            &RestoreSecret::Passphrase(PASS),
            &backup_http(),
            options(&clock()),
            &waymark_core::sync::CancelToken::new(),
            &mut |_| {},
        )
        .expect("the last backup restores");
        let got = ids(&restored);
        let all = read_journal(dir);
        for (id, n) in &at_backup {
            if live_documents(&all).iter().any(|(l, _)| l == id) {
                assert!(got.contains(id), "a backed-up document is missing");
                let d: DocumentId = id.parse().unwrap();
                assert_eq!(
                    &restored.read_document_bytes(&d).unwrap()[..],
                    &small(*n)[..]
                );
            }
        }
        for id in deleted_before {
            assert!(
                !got.contains(id),
                "a document deleted before the backup came back"
            );
        }
        restores.set(restores.get() + 1);
    });
    println!(
        "backup: {} restores after kills, each whole",
        restores.get()
    );
}
