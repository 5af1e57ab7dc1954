//! A sync on a full or failing disk (issue 20 §3): the `waymark` CLI
//! syncs from a real static server under the fault shim of
//! `core/tests/faults/` (writes failing with ENOSPC past a byte budget; the
//! Nth write or fsync failing with ENOSPC or EIO). The first install and an
//! update by patch each fail with a clear error, leave the packs installed
//! before exactly as they were (and searchable), and succeed once the disk
//! works again.

#[path = "../../core/tests/faults/mod.rs"]
mod faults;

use std::process::{Command, Output};

use faults::{Calls, Errno, Fault, call_numbers};
use waymark_e2e::FaultServer;
use waymark_e2e::fixture::{Publisher, bin};

const PACK: &str = "fault-pack";

struct Phone {
    home: tempfile::TempDir,
    shim: std::path::PathBuf,
}

impl Phone {
    fn new(publisher: &Publisher, url: &str) -> Phone {
        let home = tempfile::tempdir().unwrap();
        let shim = faults::shim(home.path());
        let phone = Phone { home, shim };
        let card = phone.home.path().join("card.json");
        std::fs::write(&card, publisher.card()).unwrap();
        phone.ok(&["trust", "add", card.to_str().unwrap(), "--url", url]);
        phone
    }

    fn run(&self, args: &[&str], fault: Option<Fault>) -> Output {
        let mut cmd = Command::new(bin("waymark"));
        cmd.arg("--home")
            .arg(self.home.path().join("home"))
            .args(args)
            .env_remove("WAYMARK_HOME")
            .stdin(std::process::Stdio::null());
        if let Some(fault) = fault {
            cmd.envs(fault.env(&self.shim));
        }
        cmd.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, None);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The installed pack's version and entries, if one is.
    fn installed(&self) -> Option<(u64, u64)> {
        let list: serde_json::Value =
            serde_json::from_str(&self.ok(&["--json", "pack", "list"])).unwrap();
        let m = &list[0]["manifest"];
        Some((m["version"].as_u64()?, m["entries"].as_u64()?))
    }

    fn hits(&self, query: &str) -> usize {
        let found: serde_json::Value =
            serde_json::from_str(&self.ok(&["--json", "search", query])).unwrap();
        found["hits"].as_array().map_or(0, Vec::len)
    }
}

/// A failed sync: exit status 1, and a line naming the disk as the cause
/// (full or failing), no path: the publisher's FAILED line, or the one
/// error line when the store itself could not be opened.
fn failed_sync(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let failed = stdout
        .lines()
        .find(|l| l.contains("FAILED"))
        .or_else(|| stderr.lines().next())
        .unwrap_or_else(|| panic!("no error: {stdout} {stderr}"))
        .to_owned();
    assert!(!failed.contains("/tmp"), "no path: {failed}");
    assert!(
        failed.contains("storage is full") || failed.contains("storage failed"),
        "the disk is named as the cause: {failed}"
    );
    failed
}

/// Syncs under each fault in turn until one meets none; after each failed
/// sync, `before` must still be installed and searchable as it was.
fn sync_through_faults(phone: &Phone, faults: &[Fault], before: Option<(u64, u64)>) -> usize {
    let hits = before.map(|_| phone.hits("a"));
    let mut failed = 0;
    for &fault in faults {
        let out = phone.run(&["sync"], Some(fault));
        if out.status.success() {
            return failed;
        }
        let said = failed_sync(&out);
        failed += 1;
        let now = phone.installed();
        if now != before {
            // Only after a failed fsync may the commit have happened after
            // all (SQLite recovers it from the WAL): then whole.
            assert!(
                matches!(fault, Fault::AtCall(_, Calls::Fsync, _)),
                "{fault:?} changed {before:?} into {now:?}: {said}"
            );
            return failed;
        }
        if let Some(hits) = hits {
            assert_eq!(phone.hits("a"), hits, "{fault:?}");
        }
    }
    failed
}

fn every_fault() -> Vec<Vec<Fault>> {
    let budgets = [0, 20_000, 200_000, 1_000_000]
        .into_iter()
        .map(Fault::FullAfterBytes)
        .collect();
    let at_calls = |calls, errno| {
        call_numbers(calls)
            .take_while(|&n| n < 5_000)
            .map(|n| Fault::AtCall(n, calls, errno))
            .collect()
    };
    vec![
        budgets,
        at_calls(Calls::Write, Errno::NoSpace),
        at_calls(Calls::Write, Errno::Io),
        at_calls(Calls::Fsync, Errno::Io),
    ]
}

#[test]
fn a_sync_on_a_full_or_failing_disk_changes_nothing_and_works_once_the_disk_does() {
    let publisher = Publisher::new("fault-ngo");
    publisher.publish(&publisher.pack(PACK, 1, 1_500, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let url = server.url();
    let phones: Vec<Phone> = every_fault()
        .iter()
        .map(|_| Phone::new(&publisher, &url))
        .collect();

    // The first install.
    for (phone, faults) in phones.iter().zip(every_fault()) {
        let failed = sync_through_faults(phone, &faults, None);
        println!("first sync, {:?}…: {failed} failed syncs", faults[0]);
        assert!(failed > 0, "{:?}: no fault met", faults[0]);
        phone.ok(&["sync"]);
        assert_eq!(phone.installed(), Some((1, 1_500)));
    }

    // An update by patch (a change in every tenth entry).
    publisher.publish(&publisher.pack(PACK, 2, 1_500, Some(10)), &[]);
    for (phone, faults) in phones.iter().zip(every_fault()) {
        let failed = sync_through_faults(phone, &faults, Some((1, 1_500)));
        println!("update, {:?}…: {failed} failed syncs", faults[0]);
        assert!(failed > 0, "{:?}: no fault met", faults[0]);
        phone.ok(&["sync"]);
        assert_eq!(phone.installed(), Some((2, 1_500)));
        assert!(phone.hits("a") > 0);
    }
}
