//! Backup files against the age reference implementation (Debian's `age`
//! package, the Go implementation; scripts/test installs it): what `waymark
//! backup export` writes decrypts with `age -d` (passphrase and identity
//! file) to a tar whose files are the documents, byte for byte; what
//! `age -e -r` and `age -p` write imports with `waymark backup import`.
//!
//! age reads a passphrase only from a terminal, so the passphrase tests
//! run it under `script` (util-linux), which gives it a pseudo-terminal
//! fed from a pipe.
#![cfg(feature = "cli")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const VAULT_PASS: &str = "vault passphrase";
const BACKUP_PASS: &str = "backup passphrase here";

/// Fails with a clear message when a tool the tests need is missing.
fn need(tool: &str, package: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "these tests need `{tool}` (Debian package `{package}`; scripts/install-test-packages installs it, as scripts/test does)"
    );
}

fn tools() {
    need("age", "age");
    need("age-keygen", "age");
    need("script", "bsdutils");
    need("tar", "tar");
}

/// A device with a vault, driven through the `waymark` CLI.
struct Device {
    home: tempfile::TempDir,
}

impl Device {
    fn new() -> Self {
        let d = Device {
            home: tempfile::tempdir().unwrap(),
        };
        d.ok(&["vault", "init"], &[]);
        d
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waymark"));
        cmd.arg("--home")
            .arg(self.home.path())
            .args(args)
            .env_remove("WAYMARK_BACKUP_PASSPHRASE")
            .env("WAYMARK_PASSPHRASE", VAULT_PASS)
            .env("WAYMARK_KDF_MEMORY_KIB", "64")
            .env("WAYMARK_KDF_ITERATIONS", "1")
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env);
        assert!(
            out.status.success(),
            "waymark {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn add(&self, file: &Path, kind: &str, title: &str) -> String {
        self.ok(
            &[
                "vault",
                "add",
                file.to_str().unwrap(),
                "--kind",
                kind,
                "--title",
                title,
            ],
            &[],
        )
        .trim()
        .to_owned()
    }

    fn content(&self, id: &str, dir: &Path) -> Vec<u8> {
        let out = dir.join(format!("{id}.out"));
        self.ok(&["vault", "get", id, "--out", out.to_str().unwrap()], &[]);
        std::fs::read(out).unwrap()
    }

    fn list(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["--json", "vault", "list"], &[])).unwrap()
    }
}

/// Two documents: a 1.5 MB scan (more than 16 STREAM chunks, not a multiple
/// of 64 KiB) and a small PDF.
fn documents(work: &Path) -> Vec<(PathBuf, &'static str, &'static str)> {
    let scan = work.join("scan.jpg");
    std::fs::write(
        &scan,
        (0..1_500_001u32)
            .map(|i| (i * 31 % 253) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let pdf = work.join("permit.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 residence permit").unwrap();
    vec![
        (scan, "passport", "Passport scan"),
        (pdf, "residence-permit", "Permit"),
    ]
}

/// Runs `command` (a shell command line) under a pseudo-terminal whose
/// input is `typed`.
fn in_terminal(command: &str, typed: &str) -> Output {
    let mut child = Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.to_str().unwrap().replace('\'', r"'\''"))
}

fn keygen(path: &Path) -> String {
    let out = Command::new("age-keygen")
        .arg("-o")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_owned()
}

/// Extracts `tar_file` into `dir` and checks it holds each document's
/// content byte for byte (and its metadata.json names it).
fn assert_tar_holds(tar_file: &Path, dir: &Path, ids: &[(String, PathBuf, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    let st = Command::new("tar")
        .arg("-xf")
        .arg(tar_file)
        .arg("-C")
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(dir.join("waymark-backup.json").is_file());
    for (id, original, title) in ids {
        let doc_dir = dir.join("documents").join(id);
        let metadata: serde_json::Value =
            serde_json::from_slice(&std::fs::read(doc_dir.join("metadata.json")).unwrap()).unwrap();
        assert_eq!(metadata["title"], *title);
        let ext = original.extension().unwrap().to_str().unwrap();
        let content = doc_dir.join(format!("{title}.{ext}"));
        assert_eq!(
            std::fs::read(&content).unwrap(),
            std::fs::read(original).unwrap(),
            "{title}"
        );
    }
}

#[test]
fn a_passphrase_backup_decrypts_with_age_and_untars_to_the_documents() {
    tools();
    let work = tempfile::tempdir().unwrap();
    let phone = Device::new();
    let ids: Vec<_> = documents(work.path())
        .into_iter()
        .map(|(path, kind, title)| (phone.add(&path, kind, title), path, title))
        .collect();
    let backup = work.path().join("backup.age");
    let out = phone.ok(
        &[
            "backup",
            "export",
            "--out",
            backup.to_str().unwrap(),
            "--passphrase",
        ],
        &[("WAYMARK_BACKUP_PASSPHRASE", BACKUP_PASS)],
    );
    assert!(out.contains("2 documents"), "{out}");

    let tar_file = work.path().join("backup.tar");
    let age = in_terminal(
        &format!("age -d -o {} {}", quote(&tar_file), quote(&backup)),
        &format!("{BACKUP_PASS}\n"),
    );
    assert!(
        age.status.success(),
        "age -d: {}",
        String::from_utf8_lossy(&age.stdout)
    );
    assert_tar_holds(&tar_file, &work.path().join("x"), &ids);

    // The wrong passphrase: age refuses.
    let wrong = in_terminal(
        &format!(
            "age -d -o {} {}",
            quote(&work.path().join("no.tar")),
            quote(&backup)
        ),
        "not the passphrase\n",
    );
    assert!(!wrong.status.success());
}

#[test]
fn a_backup_to_age_keys_decrypts_with_either_identity_file() {
    tools();
    let work = tempfile::tempdir().unwrap();
    let phone = Device::new();
    let ids: Vec<_> = documents(work.path())
        .into_iter()
        .map(|(path, kind, title)| (phone.add(&path, kind, title), path, title))
        .collect();
    let (caseworker, relative) = (
        work.path().join("caseworker.txt"),
        work.path().join("relative.txt"),
    );
    let (pub1, pub2) = (keygen(&caseworker), keygen(&relative));
    let backup = work.path().join("backup.age");
    phone.ok(
        &[
            "backup",
            "export",
            "--out",
            backup.to_str().unwrap(),
            "--recipient",
            &pub1,
            "--recipient",
            &pub2,
        ],
        &[],
    );
    for (n, key) in [&caseworker, &relative].into_iter().enumerate() {
        let tar_file = work.path().join(format!("{n}.tar"));
        let st = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(key)
            .arg("-o")
            .arg(&tar_file)
            .arg(&backup)
            .status()
            .unwrap();
        assert!(st.success());
        assert_tar_holds(&tar_file, &work.path().join(format!("x{n}")), &ids);
    }
}

/// A backup's tar, as `age -d` gives it, re-encrypted by `age` itself.
fn plain_backup(phone: &Device, work: &Path) -> PathBuf {
    let key = work.join("own.txt");
    let public = keygen(&key);
    let backup = work.join("own.age");
    phone.ok(
        &[
            "backup",
            "export",
            "--out",
            backup.to_str().unwrap(),
            "--recipient",
            &public,
        ],
        &[],
    );
    let tar_file = work.join("plain.tar");
    let st = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg("-o")
        .arg(&tar_file)
        .arg(&backup)
        .status()
        .unwrap();
    assert!(st.success());
    tar_file
}

#[test]
fn a_file_age_encrypts_to_a_key_imports_with_the_identity_file() {
    tools();
    let work = tempfile::tempdir().unwrap();
    let phone = Device::new();
    let docs = documents(work.path());
    let ids: Vec<String> = docs.iter().map(|(p, k, t)| phone.add(p, k, t)).collect();
    let tar_file = plain_backup(&phone, work.path());

    let key = work.path().join("new-phone.txt");
    let public = keygen(&key);
    let by_age = work.path().join("by-age.age");
    let st = Command::new("age")
        .args(["-e", "-r", &public, "-o"])
        .arg(&by_age)
        .arg(&tar_file)
        .status()
        .unwrap();
    assert!(st.success());

    let new_phone = Device::new();
    let out = new_phone.ok(
        &[
            "backup",
            "import",
            by_age.to_str().unwrap(),
            "--identity",
            key.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.contains("Imported 2 documents"), "{out}");
    for (id, (path, _, _)) in ids.iter().zip(&docs) {
        assert_eq!(
            new_phone.content(id, work.path()),
            std::fs::read(path).unwrap()
        );
    }
    assert_eq!(new_phone.list().as_array().unwrap().len(), 2);

    // Again: nothing new.
    let again = new_phone.ok(
        &[
            "--json",
            "backup",
            "import",
            by_age.to_str().unwrap(),
            "--identity",
            key.to_str().unwrap(),
        ],
        &[],
    );
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["imported"].as_array().unwrap().len(), 0);
    assert_eq!(again["skipped"].as_array().unwrap().len(), 2);
}

#[test]
fn a_file_age_p_writes_imports_with_the_passphrase() {
    tools();
    let work = tempfile::tempdir().unwrap();
    let phone = Device::new();
    let docs = documents(work.path());
    let ids: Vec<String> = docs.iter().map(|(p, k, t)| phone.add(p, k, t)).collect();
    let tar_file = plain_backup(&phone, work.path());

    let by_age = work.path().join("by-age-p.age");
    let age = in_terminal(
        &format!("age -p -o {} {}", quote(&by_age), quote(&tar_file)),
        &format!("{BACKUP_PASS}\n{BACKUP_PASS}\n"),
    );
    assert!(
        age.status.success(),
        "age -p: {}",
        String::from_utf8_lossy(&age.stdout)
    );
    // age -p's own work factor, above the one Waymark writes.
    let header = std::fs::read(&by_age).unwrap();
    assert!(String::from_utf8_lossy(&header[..80]).contains(" 18\n"));

    let new_phone = Device::new();
    let wrong = new_phone.run(
        &["backup", "import", by_age.to_str().unwrap()],
        &[("WAYMARK_BACKUP_PASSPHRASE", "not it")],
    );
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("does not open"));
    assert_eq!(new_phone.list().as_array().unwrap().len(), 0);

    new_phone.ok(
        &["backup", "import", by_age.to_str().unwrap()],
        &[("WAYMARK_BACKUP_PASSPHRASE", BACKUP_PASS)],
    );
    for (id, (path, _, _)) in ids.iter().zip(&docs) {
        assert_eq!(
            new_phone.content(id, work.path()),
            std::fs::read(path).unwrap()
        );
    }
}
