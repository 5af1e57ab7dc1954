//! A second TUF implementation reads what `waymark-pack` publishes:
//! python-tuf's client (`tuf` on PyPI, installed by scripts/test in a venv) refreshes and
//! downloads a pack from a repository published by `waymark-pack publish`
//! and served by `waymark-pack serve` on 127.0.0.1, and a patch target too.

#[allow(dead_code)]
mod common;
use common::{Server, pack_file};

use std::path::{Path, PathBuf};
use std::process::Command;

fn waymark_pack(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "waymark-pack {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `waymark-pack publish PACK --repo REPO --keys KEYS`.
fn publish(pack: &Path, repo: &Path, keys: &Path) {
    waymark_pack(&[
        "publish",
        pack.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
    ]);
}

/// `waymark-pack rotate-key ROLE --keys KEYS --repo REPO`.
fn rotate_key(role: &str, repo: &Path, keys: &Path) {
    waymark_pack(&[
        "rotate-key",
        role,
        "--keys",
        keys.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
    ]);
}

fn python_client(root: &Path, work: &Path, url: &str, target: &str) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/tuf_client.py");
    Command::new("python3")
        .arg(script)
        .arg(root)
        .arg(work.join("client-metadata"))
        .arg(url)
        .arg(target)
        .arg(work.join("downloads"))
        .output()
        .expect("python3 runs")
}

/// Downloads `target` with python-tuf, trusting the repository's first root;
/// the bytes it wrote. Fails the test, with python-tuf's output, if it
/// refused.
fn python_download(repo: &Path, work: &Path, url: &str, target: &str) -> Vec<u8> {
    let out = python_client(&repo.join("metadata/1.root.json"), work, url, target);
    assert!(
        out.status.success(),
        "python-tuf refused {target}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let downloaded = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    std::fs::read(downloaded).unwrap()
}

#[test]
fn python_tuf_downloads_a_pack_published_and_served_by_waymark_pack() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    waymark_pack(&["keygen", "--out", keys.to_str().unwrap()]);
    let v1 = pack_file(dir.path(), 1);
    publish(&v1, &repo, &keys);
    // A second version and a key rotation, so the client walks a root chain
    // and sees bumped versions.
    rotate_key("targets", &repo, &keys);
    rotate_key("root", &repo, &keys);
    let v2 = pack_file(dir.path(), 2);
    publish(&v2, &repo, &keys);

    let server = Server::start(&repo);
    let downloaded = python_download(&repo, dir.path(), &server.url, "packs/interop.wmpack");
    assert_eq!(downloaded, std::fs::read(&v2).unwrap());
    // python-tuf now trusts root version 3 (two rotations).
    let trusted: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("client-metadata/root.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(trusted["signed"]["version"], 3);

    // The patch from version 1 is a target like any other, two folders deep.
    let work = dir.path().join("patch-client");
    let downloaded = python_download(&repo, &work, &server.url, "patches/interop/1-2.wmpatch");
    let patch = zstd::decode_all(&downloaded[..]).unwrap();
    assert!(patch.starts_with(br#"{"waymark_patch":1,"pack":"interop""#));
}

#[test]
fn python_tuf_reads_a_repository_that_refresh_renewed() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    waymark_pack(&["keygen", "--out", keys.to_str().unwrap()]);
    let v1 = pack_file(dir.path(), 1);
    publish(&v1, &repo, &keys);
    let refresh = |extra: &[&str]| {
        let mut args = vec![
            "refresh",
            "--repo",
            repo.to_str().unwrap(),
            "--keys",
            keys.to_str().unwrap(),
        ];
        args.extend(extra);
        waymark_pack(&args)
    };
    // The timestamp alone, then every role re-signed (root included).
    refresh(&[]);
    refresh(&[
        "--renew", "root", "--renew", "targets", "--renew", "snapshot",
    ]);

    let server = Server::start(&repo);
    let downloaded = python_download(&repo, dir.path(), &server.url, "packs/interop.wmpack");
    assert_eq!(downloaded, std::fs::read(&v1).unwrap());
    let trusted = |role: &str| -> serde_json::Value {
        serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("client-metadata/{role}.json"))).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(trusted("root")["signed"]["version"], 2);
    assert_eq!(trusted("timestamp")["signed"]["version"], 3);
    assert_eq!(trusted("targets")["signed"]["version"], 2);
}

#[test]
fn python_tuf_refuses_a_tampered_target() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    waymark_pack(&["keygen", "--out", keys.to_str().unwrap()]);
    let v1 = pack_file(dir.path(), 1);
    publish(&v1, &repo, &keys);
    let stored = std::fs::read_dir(repo.join("targets/packs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&stored).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&stored, bytes).unwrap();
    let server = Server::start(&repo);
    let out = python_client(
        &repo.join("metadata/1.root.json"),
        dir.path(),
        &server.url,
        "packs/interop.wmpack",
    );
    assert!(
        !out.status.success(),
        "python-tuf must refuse altered bytes"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("LengthOrHashMismatch"),
        "refused for the wrong reason: {stderr}"
    );
}

#[test]
fn serve_answers_if_none_match_with_304_and_honours_range() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("metadata")).unwrap();
    std::fs::write(dir.path().join("metadata/timestamp.json"), b"{\"x\":1}").unwrap();
    // A large file gets its ETag without being hashed on every request.
    std::fs::write(dir.path().join("big.bin"), vec![7u8; 2 * 1024 * 1024]).unwrap();
    let server = Server::start(dir.path());
    let addr = server.url.trim_start_matches("http://").to_owned();
    let get_path = |path: &str, extra: &str| -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    };
    let get = |extra: &str| get_path("/metadata/timestamp.json", extra);
    let first = get("");
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    let etag = first
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("an ETag")
        .to_owned();
    let again = get(&format!("If-None-Match: {etag}\r\n"));
    assert!(again.starts_with("HTTP/1.1 304"), "{again}");
    assert!(again.len() < 300, "a 304 is small: {} bytes", again.len());
    let part = get("Range: bytes=2-4\r\n");
    assert!(part.starts_with("HTTP/1.1 206"), "{part}");
    assert!(part.ends_with("x\":"), "{part}");
    assert!(get("").contains("{\"x\":1}"));

    let big = get_path("/big.bin", "");
    assert!(big.starts_with("HTTP/1.1 200"), "{}", &big[..100]);
    let big_tag = big
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("an ETag on a large file")
        .to_owned();
    let big_again = get_path("/big.bin", &format!("If-None-Match: {big_tag}\r\n"));
    assert!(big_again.starts_with("HTTP/1.1 304"), "{big_again}");
}
