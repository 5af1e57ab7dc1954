//! A full or failing disk (issue 20 §3): the `waymark` CLI runs under an
//! `LD_PRELOAD` shim (`faults/`), built here with the C compiler, that
//! fails every write to a file with ENOSPC once a byte budget is spent, or
//! fails the Nth write or fsync (and every later one) with ENOSPC or EIO.
//! A vault add, a pack install and a remote backup each fail with one line
//! saying the storage is full or failed, leave the previous state as it
//! was, and succeed once the disk works. (A sync: `tests/tests/faults.rs`.)
#![cfg(all(feature = "cli", feature = "synthetic"))]

mod faults;
mod servers;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use faults::{Calls, Errno, Fault, call_numbers, disk_failure};

use waymark_core::content::synthetic::{SyntheticPublisher, pack};

struct Phone {
    home: tempfile::TempDir,
    shim: PathBuf,
}

impl Phone {
    fn new() -> Phone {
        let home = tempfile::tempdir().unwrap();
        let shim = faults::shim(home.path());
        Phone { home, shim }
    }

    fn run(&self, args: &[&str], fault: Option<Fault>, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waymark"));
        cmd.arg("--home")
            .arg(self.home.path().join("home"))
            .args(args)
            .env("WAYMARK_PASSPHRASE", "disk full test")
            .env("WAYMARK_KDF_MEMORY_KIB", "64")
            .env("WAYMARK_KDF_ITERATIONS", "1")
            .env_remove("WAYMARK_HOME")
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null());
        if let Some(fault) = fault {
            cmd.envs(fault.env(&self.shim));
        }
        cmd.output().unwrap()
    }

    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, None, env);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs with `budget` bytes of disk left: fails with one line saying
    /// the storage is full, or, when SQLite's shared-memory index could
    /// not be grown (it reports that as an I/O error whatever the cause),
    /// a disk I/O error. Returns which.
    fn full(&self, args: &[&str], budget: u64, env: &[(&str, &str)]) -> &'static str {
        let out = self.run(args, Some(Fault::FullAfterBytes(budget)), env);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        disk_failure(&out.stderr)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.home.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_string_lossy().into_owned()
    }
}

fn noise(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn a_vault_add_on_a_full_disk_fails_cleanly_and_works_once_there_is_room() {
    let phone = Phone::new();
    phone.ok(&["vault", "init"], &[]);
    let a = phone.file("a.bin", &noise(100_000, 1));
    phone.ok(
        &["vault", "add", &a, "--kind", "other", "--title", "A"],
        &[],
    );
    let before = phone.ok(&["vault", "list", "--json"], &[]);
    let b = phone.file("b.bin", &noise(1_000_000, 2));
    for budget in [0, 4_096, 300_000, 990_000] {
        phone.full(
            &["vault", "add", &b, "--kind", "other", "--title", "B"],
            budget,
            &[],
        );
        assert_eq!(
            phone.ok(&["vault", "list", "--json"], &[]),
            before,
            "budget {budget}"
        );
    }
    phone.ok(
        &["vault", "add", &b, "--kind", "other", "--title", "B"],
        &[],
    );
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&phone.ok(&["vault", "list", "--json"], &[])).unwrap();
    assert_eq!(list.len(), 2);
    let out = phone.home.path().join("b.out");
    let id = list.iter().find(|d| d["title"] == "B").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    phone.ok(&["vault", "get", &id, "--out", out.to_str().unwrap()], &[]);
    assert_eq!(std::fs::read(out).unwrap(), noise(1_000_000, 2));
}

#[test]
fn a_pack_install_on_a_full_disk_fails_cleanly_and_works_once_there_is_room() {
    let phone = Phone::new();
    let publisher = SyntheticPublisher::new("full-ngo").unwrap();
    let card = phone.file("card.json", &publisher.card().unwrap());
    phone.ok(&["trust", "add", &card], &[]);
    let mut bundle = Vec::new();
    let pack = pack("full-ngo", "full-pack", 1, 2_000, 1).unwrap();
    publisher
        .bundle(&pack, "full-pack", 1, &mut bundle)
        .unwrap();
    let bundle = phone.file("p.wmbundle", &bundle);
    let before = phone.ok(&["pack", "list", "--json"], &[]);
    let mut said = Vec::new();
    for budget in [0, 50_000, 500_000] {
        said.push(phone.full(&["pack", "install", &bundle], budget, &[]));
        assert_eq!(
            phone.ok(&["pack", "list", "--json"], &[]),
            before,
            "budget {budget}"
        );
    }
    phone.ok(&["pack", "install", &bundle], &[]);
    let packs: Vec<serde_json::Value> =
        serde_json::from_str(&phone.ok(&["pack", "list", "--json"], &[])).unwrap();
    assert_eq!(packs.len(), 1);
}

#[test]
fn a_remote_backup_on_a_full_disk_fails_cleanly_and_works_once_there_is_room() {
    let served = tempfile::tempdir().unwrap();
    let root = served.path().join("dav");
    std::fs::create_dir(&root).unwrap();
    let dav = servers::wsgidav(&root);
    let url = format!("http://127.0.0.1:{}/full", dav.port);
    let password = [("WAYMARK_WEBDAV_PASSWORD", "s3cret")];

    let phone = Phone::new();
    phone.ok(&["vault", "init"], &[]);
    let a = phone.file("a.bin", &noise(600_000, 3));
    phone.ok(
        &["vault", "add", &a, "--kind", "other", "--title", "A"],
        &[],
    );
    phone.ok(
        &["backup", "remote", "set", &url, "--username", "alice"],
        &password,
    );
    let mut said = Vec::new();
    for budget in [0, 100_000] {
        said.push(phone.full(&["backup", "now"], budget, &[]));
        let status = phone.ok(&["backup", "status"], &[]);
        assert!(status.contains("Last backup: never"), "{status}");
    }
    println!("remote backup on a full disk: {said:?}");
    let said = phone.ok(&["backup", "now"], &[]);
    assert!(said.contains("1 document sent"), "{said}");
}

/// Runs `op` under a fault at the 1st, 2nd, 3rd, 5th… call of `calls`
/// until it meets none and succeeds; after each failure `check` must hold
/// (given whether the outcome may be the new state: after a failed fsync
/// it is unknown); it returns false to stop there. Returns the failures
/// seen, by message.
fn at_every_call(
    phone: &Phone,
    op: &[&str],
    calls: Calls,
    errno: Errno,
    check: &dyn Fn(&Phone, bool) -> bool,
) -> BTreeMap<&'static str, usize> {
    let mut said = BTreeMap::new();
    for n in call_numbers(calls) {
        let out = phone.run(op, Some(Fault::AtCall(n, calls, errno)), &[]);
        if out.status.success() {
            println!(
                "{op:?}, {errno:?} at {calls:?} call 1 to {}: {said:?}",
                n - 1
            );
            assert!(!said.is_empty(), "{op:?}: no {calls:?} call failed it");
            return said;
        }
        assert_eq!(out.status.code(), Some(1), "{op:?} at call {n}: {out:?}");
        let message = disk_failure(&out.stderr);
        *said.entry(message).or_default() += 1;
        if !check(phone, calls == Calls::Fsync) {
            println!("{op:?}, {errno:?} at {calls:?} call {n}: committed after all, whole");
            return said;
        }
        assert!(n < 100_000, "{op:?} never succeeded");
    }
    unreachable!()
}

#[test]
fn a_vault_add_meeting_a_failed_write_or_fsync_at_any_call_changes_nothing() {
    for (calls, errno) in [
        (Calls::Write, Errno::NoSpace),
        (Calls::Write, Errno::Io),
        (Calls::Fsync, Errno::Io),
    ] {
        let phone = Phone::new();
        phone.ok(&["vault", "init"], &[]);
        let a = phone.file("a.bin", &noise(50_000, 4));
        phone.ok(
            &["vault", "add", &a, "--kind", "other", "--title", "A"],
            &[],
        );
        let before = phone.ok(&["vault", "list", "--json"], &[]);
        let b = phone.file("b.bin", &noise(700_000, 5));
        let add = ["vault", "add", &b, "--kind", "other", "--title", "B"];
        at_every_call(&phone, &add, calls, errno, &|phone, maybe_new| {
            let now = phone.ok(&["vault", "list", "--json"], &[]);
            if now == before {
                return true;
            }
            // The commit's fsync failed, and SQLite found the commit in
            // the WAL at this open: the document is whole. Delete it for
            // the next round.
            assert!(maybe_new, "changed after a failed add: {now}");
            let list: Vec<serde_json::Value> = serde_json::from_str(&now).unwrap();
            assert_eq!(list.len(), 2);
            let id = list.iter().find(|d| d["title"] == "B").unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let out = phone.home.path().join("out");
            phone.ok(&["vault", "get", &id, "--out", out.to_str().unwrap()], &[]);
            assert_eq!(std::fs::read(&out).unwrap(), noise(700_000, 5));
            std::fs::remove_file(out).unwrap();
            phone.ok(&["vault", "delete", &id], &[]);
            assert_eq!(phone.ok(&["vault", "list", "--json"], &[]), before);
            true
        });
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&phone.ok(&["vault", "list", "--json"], &[])).unwrap();
        assert_eq!(list.len(), 2);
        for (title, bytes) in [("A", noise(50_000, 4)), ("B", noise(700_000, 5))] {
            let id = list.iter().find(|d| d["title"] == title).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let out = phone.home.path().join("out");
            phone.ok(&["vault", "get", &id, "--out", out.to_str().unwrap()], &[]);
            assert_eq!(std::fs::read(&out).unwrap(), bytes, "{title}");
            std::fs::remove_file(out).unwrap();
        }
    }
}

#[test]
fn a_pack_install_meeting_a_failed_write_or_fsync_at_any_call_changes_nothing() {
    for (calls, errno) in [
        (Calls::Write, Errno::NoSpace),
        (Calls::Write, Errno::Io),
        (Calls::Fsync, Errno::Io),
    ] {
        let phone = Phone::new();
        let publisher = SyntheticPublisher::new("fault-ngo").unwrap();
        let card = phone.file("card.json", &publisher.card().unwrap());
        phone.ok(&["trust", "add", &card], &[]);
        let bundle_of = |v: u64, n: usize| {
            let mut bundle = Vec::new();
            let pack = pack("fault-ngo", "fault-pack", v, n, v).unwrap();
            publisher
                .bundle(&pack, "fault-pack", v, &mut bundle)
                .unwrap();
            phone.file(&format!("v{v}.wmbundle"), &bundle)
        };
        // Version 1 installed; version 2 (more entries) meets the faults.
        phone.ok(&["pack", "install", &bundle_of(1, 300)], &[]);
        let manifest = |phone: &Phone| {
            let packs: serde_json::Value =
                serde_json::from_str(&phone.ok(&["pack", "list", "--json"], &[])).unwrap();
            packs[0]["manifest"].clone()
        };
        let before = manifest(&phone);
        let hits = phone.ok(&["search", "a", "--json"], &[]);
        let v2 = bundle_of(2, 1_500);
        at_every_call(
            &phone,
            &["pack", "install", &v2],
            calls,
            errno,
            &|phone, maybe_new| {
                let now = manifest(phone);
                if now == before {
                    assert_eq!(phone.ok(&["search", "a", "--json"], &[]), hits);
                    return true;
                }
                // After a failed fsync: version 2, whole (and version 1 cannot
                // come back: that would be a rollback).
                assert!(maybe_new, "changed after a failed install: {now}");
                assert_eq!(now["version"], 2);
                assert_eq!(now["entries"], 1_500);
                let hits: serde_json::Value =
                    serde_json::from_str(&phone.ok(&["search", "a", "--json"], &[])).unwrap();
                assert!(hits.to_string().contains("fault-pack"), "searchable");
                false
            },
        );
        let packs: Vec<serde_json::Value> =
            serde_json::from_str(&phone.ok(&["pack", "list", "--json"], &[])).unwrap();
        assert_eq!(packs[0]["manifest"]["version"], 2);
        assert_eq!(packs[0]["manifest"]["entries"], 1_500);
    }
}
