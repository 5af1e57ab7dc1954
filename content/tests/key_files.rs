//! Private key files kept safe: passphrase-encrypted keys (`keygen
//! --encrypt`, the passphrase from `WAYMARK_PACK_KEY_PASSPHRASE`), and
//! rotated-out keys moved into `retired/`, never loaded as live keys.

// The shared fixtures; this file needs only the pack maker.
#[allow(dead_code)]
mod common;
use common::{pack_file, s};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSPHRASE: &str = "correct horse battery staple";

fn run(args: &[&str], passphrase: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_waymark-pack"));
    c.args(args).env_remove("WAYMARK_PACK_KEY_PASSPHRASE");
    if let Some(p) = passphrase {
        c.env("WAYMARK_PACK_KEY_PASSPHRASE", p);
    }
    c.output().unwrap()
}

fn ok(args: &[&str], passphrase: Option<&str>) -> (String, String) {
    let out = run(args, passphrase);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "waymark-pack {args:?}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// Encrypted keys made in `dir/keys` and pack `interop` version 1 published
/// with them into `dir/repo`; the two directories.
fn published_with_encrypted_keys(dir: &Path) -> (PathBuf, PathBuf) {
    let (keys, repo) = (dir.join("keys"), dir.join("repo"));
    ok(
        &["keygen", "--out", s(&keys), "--encrypt"],
        Some(PASSPHRASE),
    );
    let v1 = pack_file(dir, 1);
    ok(
        &["publish", s(&v1), "--repo", s(&repo), "--keys", s(&keys)],
        Some(PASSPHRASE),
    );
    (keys, repo)
}

#[test]
fn encrypted_keys_sign_only_with_their_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    for kind in ["ed25519", "ecdsa"] {
        let keys = dir.path().join(format!("keys-{kind}"));
        ok(
            &["keygen", "--out", s(&keys), "--encrypt", "--type", kind],
            Some(PASSPHRASE),
        );
        let text = std::fs::read_to_string(keys.join("targets.key")).unwrap();
        assert!(
            text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
            "{text}"
        );
    }
    ok(
        &["keygen", "--out", s(&keys), "--encrypt"],
        Some(PASSPHRASE),
    );
    let v1 = pack_file(dir.path(), 1);
    let publish = ["publish", s(&v1), "--repo", s(&repo), "--keys", s(&keys)];

    // A wrong passphrase, or none (and no terminal to ask on): refused,
    // and nothing is written.
    let out = run(&publish, Some("wrong"));
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("wrong passphrase"), "{said}");
    assert!(!repo.exists());

    // No passphrase and no terminal to ask on (`setsid`: no controlling
    // terminal): refused with the way out named.
    if Command::new("setsid").arg("--version").output().is_ok() {
        let out = Command::new("setsid")
            .arg(env!("CARGO_BIN_EXE_waymark-pack"))
            .args(publish)
            .env_remove("WAYMARK_PACK_KEY_PASSPHRASE")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success());
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("set WAYMARK_PACK_KEY_PASSPHRASE"), "{said}");
        assert!(!repo.exists());
    }

    ok(&publish, Some(PASSPHRASE));
    assert!(repo.join("metadata/timestamp.json").exists());

    // The file is a standard encrypted PKCS#8 key: OpenSSL opens it with
    // the passphrase and refuses it without.
    if Command::new("openssl").arg("version").output().is_ok() {
        let open = |pass: &str| {
            Command::new("openssl")
                .args(["pkey", "-in", s(&keys.join("snapshot.key")), "-pubout"])
                .args(["-passin", &format!("pass:{pass}")])
                .output()
                .unwrap()
        };
        let opened = open(PASSPHRASE);
        assert!(opened.status.success(), "{opened:?}");
        assert_eq!(
            String::from_utf8(opened.stdout).unwrap(),
            std::fs::read_to_string(keys.join("snapshot.pub")).unwrap()
        );
        assert!(!open("wrong").status.success());
    }
}

#[test]
fn refresh_opens_only_the_keys_it_signs_with() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = published_with_encrypted_keys(dir.path());
    // A root key file that cannot be opened at all does not matter: refresh
    // does not read it while the root is far from expiring.
    std::fs::write(
        keys.join("root.key"),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    ok(
        &["refresh", "--repo", s(&repo), "--keys", s(&keys)],
        Some(PASSPHRASE),
    );
    // Asked to renew the root, it must open it, and says why it cannot.
    let out = run(
        &[
            "refresh",
            "--repo",
            s(&repo),
            "--keys",
            s(&keys),
            "--renew",
            "root",
        ],
        Some(PASSPHRASE),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("root.key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_rotated_out_key_is_retired_with_a_note_and_never_used() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = published_with_encrypted_keys(dir.path());
    let old = std::fs::read(keys.join("targets.key")).unwrap();
    ok(
        &[
            "rotate-key",
            "targets",
            "--keys",
            s(&keys),
            "--repo",
            s(&repo),
        ],
        Some(PASSPHRASE),
    );
    let retired = keys.join("retired");
    assert_eq!(std::fs::read(retired.join("targets.v1.key")).unwrap(), old);
    assert!(retired.join("targets.v1.pub").exists());
    let note = std::fs::read_to_string(retired.join("targets.v1.txt")).unwrap();
    assert!(
        note.contains("rotated out") && note.contains("never loads"),
        "{note}"
    );
    // The new key is encrypted too (the old one was), and nothing is left
    // beside the live keys but live keys.
    let new = std::fs::read_to_string(keys.join("targets.key")).unwrap();
    assert!(new.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let live: Vec<String> = std::fs::read_dir(&keys)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("targets"))
        .collect();
    assert_eq!(live.len(), 2, "{live:?}");

    // Publishing goes on with the new key.
    let v2 = pack_file(dir.path(), 2);
    let (_, stderr) = ok(
        &["publish", s(&v2), "--repo", s(&repo), "--keys", s(&keys)],
        Some(PASSPHRASE),
    );
    assert!(!stderr.contains("warning"), "{stderr}");

    // An old-style rotated-out key left beside the live ones is pointed out.
    std::fs::copy(retired.join("targets.v1.key"), keys.join("targets.key.1")).unwrap();
    let before = common::files_under(&repo);
    let (_, stderr) = ok(
        &["refresh", "--repo", s(&repo), "--keys", s(&keys)],
        Some(PASSPHRASE),
    );
    assert!(
        stderr.contains("targets.key.1 is a rotated-out key") && stderr.contains("retired"),
        "{stderr}"
    );
    assert_ne!(common::files_under(&repo), before);
}

#[test]
fn a_rotation_that_cannot_be_signed_leaves_keys_and_repository_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    ok(&["keygen", "--out", s(&keys)], None);
    let v1 = pack_file(dir.path(), 1);
    ok(
        &["publish", s(&v1), "--repo", s(&repo), "--keys", s(&keys)],
        None,
    );
    // The root key is on a "token" whose signing command fails.
    std::fs::rename(keys.join("root.key"), dir.path().join("root.key")).unwrap();
    let (keys_before, repo_before) = (common::files_under(&keys), common::files_under(&repo));
    let out = run(
        &[
            "rotate-key",
            "targets",
            "--keys",
            s(&keys),
            "--repo",
            s(&repo),
            "--sign-command",
            "root=exit 3",
        ],
        None,
    );
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("root signing command failed"), "{said}");
    assert!(
        common::files_under(&keys) == keys_before,
        "the key directory changed"
    );
    assert!(
        common::files_under(&repo) == repo_before,
        "the repository changed"
    );
}
