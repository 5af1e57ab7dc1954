//! A full disk (issue 20 §3): the `waymark` CLI runs under an `LD_PRELOAD`
//! shim, built here with the C compiler, that fails every write to a file
//! with ENOSPC once a byte budget is spent (`WAYMARK_ENOSPC_AFTER_BYTES`;
//! the terminal's descriptors are spared). A vault add, a pack install and
//! a remote backup each fail with one line saying the storage is full,
//! leave the previous state as it was, and succeed once there is room.
#![cfg(all(feature = "cli", feature = "synthetic"))]

mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use waymark_core::content::synthetic::{SyntheticPublisher, pack};

const SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
static long long budget = -2, used = 0;
static int full(int fd, size_t n) {
  if (budget == -2) {
    const char *v = getenv("WAYMARK_ENOSPC_AFTER_BYTES");
    budget = v ? atoll(v) : -1;
  }
  if (budget < 0 || fd <= 2) return 0;
  if (used + (long long)n > budget) { errno = ENOSPC; return 1; }
  used += (long long)n;
  return 0;
}
#define WRAP(name, sig, call, count) \
  ssize_t name sig { \
    static ssize_t (*real) sig; \
    if (!real) real = dlsym(RTLD_NEXT, #name); \
    if (full(fd, count)) return -1; \
    return real call; \
  }
WRAP(write, (int fd, const void *b, size_t n), (fd, b, n), n)
WRAP(pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), n)
WRAP(pwrite64, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), n)
static size_t iov_len(const struct iovec *v, int c) {
  size_t n = 0; for (int i = 0; i < c; i++) n += v[i].iov_len; return n;
}
WRAP(writev, (int fd, const struct iovec *v, int c), (fd, v, c), iov_len(v, c))
WRAP(pwritev, (int fd, const struct iovec *v, int c, off_t o), (fd, v, c, o), iov_len(v, c))
"#;

/// The shim, compiled once per test into `dir`.
fn shim(dir: &Path) -> PathBuf {
    let c = dir.join("enospc.c");
    let so = dir.join("enospc.so");
    std::fs::write(&c, SHIM).unwrap();
    let out = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&so)
        .arg(&c)
        .arg("-ldl")
        .output()
        .expect("a C compiler (scripts/install-test-packages installs one)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    so
}

struct Phone {
    home: tempfile::TempDir,
    shim: PathBuf,
}

impl Phone {
    fn new() -> Phone {
        let home = tempfile::tempdir().unwrap();
        let shim = shim(home.path());
        Phone { home, shim }
    }

    fn run(&self, args: &[&str], budget: Option<u64>, env: &[(&str, &str)]) -> Output {
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
        if let Some(bytes) = budget {
            cmd.env("LD_PRELOAD", &self.shim)
                .env("WAYMARK_ENOSPC_AFTER_BYTES", bytes.to_string());
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
        let out = self.run(args, Some(budget), env);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        if last.contains("the storage is full: nothing was changed") {
            "storage full"
        } else if last.contains("disk I/O error") {
            "I/O error"
        } else {
            panic!("{args:?} with {budget} bytes left: {stderr}")
        }
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
