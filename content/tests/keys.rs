//! `waymark-pack` with keys it did not make: ECDSA P-256 keys, PEM private
//! key files, a root key that stays offline, and a signing command
//! standing in for a hardware token or a cloud KMS (OpenSSL's command line
//! when the machine has it, else `tests/python/sign.py`). python-tuf's
//! client (`tuf` on PyPI, installed by `scripts/test`) reads what is
//! published, as content/tests/python_tuf.rs does for ed25519 keys.

#[allow(dead_code)]
mod common;
use common::{Server, pack_file, s};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .env_remove("WAYMARK_PACK_SIGN_COMMAND_ROOT")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn ok(args: &[&str], env: &[(&str, &str)]) -> String {
    common::succeeded(args, run(args, env))
}

fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    common::failed(args, run(args, env))
}

fn has_openssl() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A PEM private key (PKCS#8; `rsa-pkcs1`: PKCS#1, `BEGIN RSA PRIVATE
/// KEY`) and its public key (PEM), made with OpenSSL's command line or,
/// without it, python's `cryptography`.
fn pem_key(kind: &str, private: &Path, public: &Path) {
    if has_openssl() {
        let algorithm: &[&str] = match kind {
            "ecdsa" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "rsa" | "rsa-pkcs1" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            _ => &["-algorithm", "ed25519"],
        };
        let out = Command::new("openssl")
            .arg("genpkey")
            .args(algorithm)
            .args(["-out", s(private)])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let out = Command::new("openssl")
            .args(["pkey", "-in", s(private), "-pubout", "-out", s(public)])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        if kind == "rsa-pkcs1" {
            let out = Command::new("openssl")
                .args([
                    "pkey",
                    "-in",
                    s(private),
                    "-traditional",
                    "-out",
                    s(private),
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
        }
        return;
    }
    let generate = match kind {
        "ecdsa" => "ec.generate_private_key(ec.SECP256R1())",
        "rsa" | "rsa-pkcs1" => "rsa.generate_private_key(65537, 2048)",
        _ => "ed25519.Ed25519PrivateKey.generate()",
    };
    let format = if kind == "rsa-pkcs1" {
        "TraditionalOpenSSL"
    } else {
        "PKCS8"
    };
    let script = format!(
        "import sys\n\
         from cryptography.hazmat.primitives import serialization as s\n\
         from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa\n\
         k = {generate}\n\
         open(sys.argv[1], 'wb').write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.{format}, s.NoEncryption()))\n\
         open(sys.argv[2], 'wb').write(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))\n"
    );
    let out = Command::new("python3")
        .args(["-c", &script, s(private), s(public)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// A shell command that signs its stdin with `private` (PEM), as a token
/// or KMS would: OpenSSL's command line (ECDSA: DER; RSA: PSS with the
/// largest salt; base64) when present, else `tests/python/sign.py` (hex;
/// RSA: PSS with a 32-byte salt).
fn sign_command(kind: &str, private: &Path) -> String {
    if has_openssl() {
        let pss = if kind == "rsa" {
            "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max "
        } else {
            ""
        };
        format!(
            "openssl dgst -sha256 {pss}-sign '{}' | openssl base64 -A",
            s(private)
        )
    } else {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/sign.py");
        format!("python3 '{}' '{}'", s(&script), s(private))
    }
}

/// python-tuf's client, from root version 1, downloads the pack; returns
/// the root version it trusts in the end.
fn python_tuf_downloads(repo: &Path, work: &Path, expected: &Path) -> u64 {
    let server = Server::start(repo);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/tuf_client.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(repo.join("metadata/1.root.json"))
        .arg(work.join("client-metadata"))
        .arg(&server.url)
        .arg("packs/interop.wmpack")
        .arg(work.join("downloads"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python-tuf refused the repository: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let downloaded = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    assert_eq!(
        std::fs::read(downloaded).unwrap(),
        std::fs::read(expected).unwrap()
    );
    let trusted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("client-metadata/root.json")).unwrap())
            .unwrap();
    trusted["signed"]["version"].as_u64().unwrap()
}

/// The root's key for `role`: its type and scheme.
fn root_key(repo: &Path, role: &str) -> (String, String) {
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.join("metadata/root.json")).unwrap()).unwrap();
    let id = root["signed"]["roles"][role]["keyids"][0].as_str().unwrap();
    let key = &root["signed"]["keys"][id];
    (
        key["keytype"].as_str().unwrap().to_owned(),
        key["scheme"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn keygen_makes_ecdsa_p256_keys_that_python_tuf_verifies_through_a_root_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    let out = ok(&["keygen", "--out", s(&keys), "--type", "ecdsa"], &[]);
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(keys.join(format!("{role}.key"))).unwrap())
                .unwrap();
        assert_eq!(file["keytype"], "ecdsa");
        assert_eq!(file["scheme"], "ecdsa-sha2-nistp256");
        let private = file["keyval"]["private"].as_str().unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!out.contains(private.lines().nth(1).unwrap()));
        let public = std::fs::read_to_string(keys.join(format!("{role}.pub"))).unwrap();
        assert_eq!(public, file["keyval"]["public"].as_str().unwrap());
    }
    let v1 = pack_file(dir.path(), 1);
    let publish = |pack: &Path| {
        ok(
            &["publish", s(pack), "--repo", s(&repo), "--keys", s(&keys)],
            &[],
        )
    };
    publish(&v1);
    assert_eq!(
        root_key(&repo, "root"),
        ("ecdsa".into(), "ecdsa-sha2-nistp256".into())
    );
    // Rotating the root keeps its type unless told; the snapshot key
    // becomes an ed25519 key.
    ok(
        &["rotate-key", "root", "--keys", s(&keys), "--repo", s(&repo)],
        &[],
    );
    ok(
        &[
            "rotate-key",
            "snapshot",
            "--type",
            "ed25519",
            "--keys",
            s(&keys),
            "--repo",
            s(&repo),
        ],
        &[],
    );
    assert_eq!(root_key(&repo, "root").0, "ecdsa");
    assert_eq!(
        root_key(&repo, "snapshot"),
        ("ed25519".into(), "ed25519".into())
    );
    assert!(keys.join("retired/root.v1.key").exists() && keys.join("retired/root.v1.pub").exists());
    assert!(!keys.join("root.key.1").exists());
    let v2 = pack_file(dir.path(), 2);
    publish(&v2);
    assert_eq!(python_tuf_downloads(&repo, dir.path(), &v2), 3);
    // And Waymark's own checks pass on the bundle.
    let shown = ok(&["inspect", s(&repo.join("bundles/interop.wmbundle"))], &[]);
    assert!(shown.contains("verified    signatures"), "{shown}");
}

#[test]
fn a_root_key_held_by_a_signing_command_and_pem_key_files_make_a_repository_python_tuf_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    // The root key stays on the "token": only its public key is in KEYDIR.
    let token = dir.path().join("token");
    std::fs::create_dir_all(&token).unwrap();
    ok(
        &[
            "keygen",
            "--out",
            s(&keys),
            "--role",
            "timestamp",
            "--type",
            "ecdsa",
        ],
        &[],
    );
    assert!(!keys.join("root.key").exists());
    pem_key("ecdsa", &token.join("root.pem"), &keys.join("root.pub"));
    // A PEM private key where a key file is expected: in KEYDIR, and given
    // with --key.
    pem_key(
        "ecdsa",
        &keys.join("snapshot.key"),
        &dir.path().join("s.pub"),
    );
    let targets_pem = dir.path().join("targets-ed25519.pem");
    pem_key("ed25519", &targets_pem, &dir.path().join("t.pub"));
    let command = sign_command("ecdsa", &token.join("root.pem"));

    let v1 = pack_file(dir.path(), 1);
    let publish_args = |pack: &Path| -> Vec<String> {
        [
            "publish",
            s(pack),
            "--repo",
            s(&repo),
            "--keys",
            s(&keys),
            "--key",
            &format!("targets={}", s(&targets_pem)),
        ]
        .map(String::from)
        .to_vec()
    };
    let args = publish_args(&v1);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Without the command, nothing can sign the first root.
    let err = refused(&args, &[]);
    assert!(
        err.contains("holds only the root public key") && err.contains("--sign-command root="),
        "{err}"
    );
    assert!(!repo.join("metadata/root.json").exists());
    ok(&args, &[("WAYMARK_PACK_SIGN_COMMAND_ROOT", &command)]);
    assert_eq!(root_key(&repo, "root").0, "ecdsa");
    assert_eq!(root_key(&repo, "snapshot").0, "ecdsa");
    assert_eq!(root_key(&repo, "targets").0, "ed25519");

    // Publishing again needs no root signature: the token stays offline.
    let v2 = pack_file(dir.path(), 2);
    let args = publish_args(&v2);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&args, &[]);

    // The token signs the rotation of the timestamp key (--sign-command).
    ok(
        &[
            "rotate-key",
            "timestamp",
            "--keys",
            s(&keys),
            "--key",
            &format!("targets={}", s(&targets_pem)),
            "--sign-command",
            &format!("root={command}"),
            "--repo",
            s(&repo),
        ],
        &[],
    );
    assert_eq!(python_tuf_downloads(&repo, dir.path(), &v2), 2);
    let shown = ok(&["inspect", s(&repo.join("bundles/interop.wmbundle"))], &[]);
    assert!(shown.contains("verified    signatures"), "{shown}");
}

#[test]
fn rsa_keys_from_keygen_a_pkcs1_file_and_a_signing_command_make_a_repository_python_tuf_and_waymark_verify()
 {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    ok(
        &[
            "keygen",
            "--out",
            s(&keys),
            "--type",
            "rsa",
            "--role",
            "root",
            "--role",
            "snapshot",
        ],
        &[],
    );
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(keys.join("root.key")).unwrap()).unwrap();
    assert_eq!(file["keytype"], "rsa");
    assert_eq!(file["scheme"], "rsassa-pss-sha256");
    assert!(
        file["keyval"]["private"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    // The targets key: a PKCS#1 PEM file (`BEGIN RSA PRIVATE KEY`) in KEYDIR.
    pem_key(
        "rsa-pkcs1",
        &keys.join("targets.key"),
        &dir.path().join("t.pub"),
    );
    assert!(
        std::fs::read_to_string(keys.join("targets.key"))
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    // The timestamp key: held by a signing command (OpenSSL signs PSS with
    // the largest salt, not securesystemslib's 32).
    let token = dir.path().join("token");
    std::fs::create_dir_all(&token).unwrap();
    pem_key("rsa", &token.join("ts.pem"), &keys.join("timestamp.pub"));
    let command = sign_command("rsa", &token.join("ts.pem"));

    let v1 = pack_file(dir.path(), 1);
    let publish = |pack: &Path| {
        ok(
            &["publish", s(pack), "--repo", s(&repo), "--keys", s(&keys)],
            &[("WAYMARK_PACK_SIGN_COMMAND_TIMESTAMP", &command)],
        )
    };
    publish(&v1);
    for role in ["root", "targets", "snapshot", "timestamp"] {
        assert_eq!(
            root_key(&repo, role),
            ("rsa".into(), "rsassa-pss-sha256".into()),
            "{role}"
        );
    }
    assert_eq!(python_tuf_downloads(&repo, dir.path(), &v1), 1);
    // Waymark's client (the same checks as the phones') verifies the bundle.
    let shown = ok(&["inspect", s(&repo.join("bundles/interop.wmbundle"))], &[]);
    assert!(shown.contains("verified    signatures"), "{shown}");

    // A root rotation keeps RSA; python-tuf follows it.
    ok(
        &["rotate-key", "root", "--keys", s(&keys), "--repo", s(&repo)],
        &[("WAYMARK_PACK_SIGN_COMMAND_TIMESTAMP", &command)],
    );
    assert_eq!(root_key(&repo, "root").0, "rsa");
    let v2 = pack_file(dir.path(), 2);
    publish(&v2);
    assert_eq!(python_tuf_downloads(&repo, dir.path(), &v2), 2);
}

#[test]
fn a_signing_command_whose_signature_does_not_verify_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    ok(
        &[
            "keygen",
            "--out",
            s(&keys),
            "--role",
            "targets",
            "--role",
            "snapshot",
            "--role",
            "timestamp",
        ],
        &[],
    );
    pem_key(
        "ecdsa",
        &dir.path().join("root.pem"),
        &keys.join("root.pub"),
    );
    // Another key's signature, a failing command, no output, a key file
    // where the public key should be.
    pem_key(
        "ecdsa",
        &dir.path().join("other.pem"),
        &dir.path().join("other.pub"),
    );
    let v1 = pack_file(dir.path(), 1);
    for (command, expected) in [
        (
            sign_command("ecdsa", &dir.path().join("other.pem")),
            "does not verify with the root public key",
        ),
        ("exit 3".to_owned(), "the root signing command failed"),
        ("cat >/dev/null".to_owned(), "printed no signature"),
    ] {
        let err = refused(
            &[
                "publish",
                s(&v1),
                "--repo",
                s(&repo),
                "--keys",
                s(&keys),
                "--sign-command",
                &format!("root={command}"),
            ],
            &[],
        );
        assert!(err.contains(expected), "{command}: {err}");
        assert!(!repo.join("metadata").exists(), "{command}: wrote metadata");
    }
    let err = refused(
        &[
            "publish",
            s(&v1),
            "--repo",
            s(&repo),
            "--keys",
            s(&keys),
            "--key",
            &format!("root={}", s(&keys.join("targets.key"))),
            "--sign-command",
            "root=true",
        ],
        &[],
    );
    assert!(err.contains("not a PEM public key"), "{err}");
    let err = refused(
        &[
            "publish",
            s(&v1),
            "--repo",
            s(&repo),
            "--keys",
            s(&keys),
            "--sign-command",
            "admin=true",
        ],
        &[],
    );
    assert!(err.contains("unknown role 'admin'"), "{err}");
}
