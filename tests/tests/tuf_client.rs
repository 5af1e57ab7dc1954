//! The same flows driven through `waymark-tuf-client` (the tuf-conformance
//! client CLI), against a repository published by `waymark-pack` and one
//! written by python-tuf (with delegations), both served by the fault
//! server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use waymark_e2e::fixture::{Publisher, run};
use waymark_e2e::{Fault, FaultRule, FaultServer};

const PACK_PATH: &str = "packs/synthetic.wmpack";

/// A client: its metadata and target directories.
struct Client {
    dir: tempfile::TempDir,
    metadata_url: String,
    targets_url: String,
}

impl Client {
    fn new(server: &FaultServer, trusted_root: &[u8]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("trusted-root.json");
        std::fs::write(&root, trusted_root).unwrap();
        let client = Client {
            dir,
            metadata_url: format!("{}/metadata", server.url()),
            targets_url: format!("{}/targets", server.url()),
        };
        let out = run(
            "waymark-tuf-client",
            &[
                "--metadata-dir".as_ref(),
                client.metadata_dir().as_os_str(),
                "init".as_ref(),
                root.as_os_str(),
            ],
        );
        assert!(out.status.success(), "init: {}", stderr(&out));
        assert!(server.requests().is_empty(), "init makes no request");
        client
    }

    fn metadata_dir(&self) -> PathBuf {
        self.dir.path().join("metadata")
    }

    fn target_dir(&self) -> PathBuf {
        self.dir.path().join("targets")
    }

    fn refresh(&self) -> Output {
        Command::new(waymark_e2e::fixture::bin("waymark-tuf-client"))
            .arg("--metadata-dir")
            .arg(self.metadata_dir())
            .args(["--metadata-url", &self.metadata_url, "refresh"])
            .output()
            .unwrap()
    }

    fn download(&self, targets: &[&str]) -> Output {
        let mut cmd = Command::new(waymark_e2e::fixture::bin("waymark-tuf-client"));
        cmd.arg("--metadata-dir")
            .arg(self.metadata_dir())
            .args(["--metadata-url", &self.metadata_url]);
        for t in targets {
            cmd.args(["--target-name", t]);
        }
        cmd.args(["--target-base-url", &self.targets_url])
            .arg("--target-dir")
            .arg(self.target_dir())
            .arg("download")
            .output()
            .unwrap()
    }

    /// A trusted metadata file, by its non-versioned name.
    fn trusted(&self, name: &str) -> Option<Vec<u8>> {
        std::fs::read(self.metadata_dir().join(name)).ok()
    }

    /// A downloaded target, stored under its escaped path.
    fn downloaded(&self, target: &str) -> Option<Vec<u8>> {
        std::fs::read(self.target_dir().join(target.replace('/', "%2F"))).ok()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn exit_code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

fn published() -> (Publisher, FaultServer) {
    let publisher = Publisher::new("synthetic-ngo");
    publisher.publish(&publisher.pack("synthetic", 1, 300, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    (publisher, server)
}

#[test]
fn refresh_and_download_from_a_waymark_pack_repository() {
    let (publisher, server) = published();
    let client = Client::new(&server, &publisher.metadata("1.root.json"));
    let out = client.refresh();
    assert_eq!(exit_code(&out), 0, "{}", stderr(&out));
    for name in [
        "root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
    ] {
        assert!(client.trusted(name).is_some(), "{name} kept");
    }
    assert!(
        client.trusted("1.root.json").is_none(),
        "non-versioned names"
    );
    assert_eq!(
        client.trusted("timestamp.json").unwrap(),
        publisher.metadata("timestamp.json")
    );

    let out = client.download(&[PACK_PATH]);
    assert_eq!(exit_code(&out), 0, "{}", stderr(&out));
    let (path, _) = publisher.pack_file("synthetic");
    let served = std::fs::read(publisher.repo().join(path.trim_start_matches('/'))).unwrap();
    assert_eq!(client.downloaded(PACK_PATH).unwrap(), served);
    assert_eq!(server.requests_for(&path).len(), 1);

    // Already here with the signed hashes: not fetched again.
    let out = client.download(&[PACK_PATH]);
    assert_eq!(exit_code(&out), 0, "{}", stderr(&out));
    assert_eq!(server.requests_for(&path).len(), 1);

    // An unknown target fails with exit code 1.
    let out = client.download(&["packs/unknown.wmpack"]);
    assert_eq!(exit_code(&out), 1);
}

#[test]
fn the_client_cli_refuses_each_attack_and_keeps_its_trusted_metadata() {
    let (publisher, server) = published();
    let client = Client::new(&server, &publisher.metadata("1.root.json"));
    assert_eq!(exit_code(&client.refresh()), 0);
    let old_timestamp = publisher.metadata("timestamp.json");
    let old_snapshot = publisher.current("snapshot");
    publisher.publish(&publisher.pack("synthetic", 2, 300, Some(10)), &[]);
    assert_eq!(exit_code(&client.refresh()), 0);
    let trusted_ts = client.trusted("timestamp.json").unwrap();

    let attacks = [
        (
            "rollback",
            FaultRule::on("/metadata/timestamp.json", Fault::Replace(old_timestamp)),
        ),
        (
            "endless data",
            FaultRule::on("/metadata/timestamp.json", Fault::Endless),
        ),
    ];
    for (what, rule) in attacks {
        server.clear_faults();
        server.add_fault(rule);
        let out = client.refresh();
        assert_eq!(exit_code(&out), 1, "{what}: {}", stderr(&out));
        assert_eq!(
            client.trusted("timestamp.json").unwrap(),
            trusted_ts,
            "{what}"
        );
    }

    // A new version whose snapshot is swapped for the old one
    // (mix-and-match).
    server.clear_faults();
    publisher.publish(&publisher.pack("synthetic", 3, 300, Some(5)), &[]);
    server.add_fault(FaultRule::on(
        "/metadata/3.snapshot.json",
        Fault::Replace(old_snapshot),
    ));
    let out = client.download(&[PACK_PATH]);
    assert_eq!(exit_code(&out), 1, "{}", stderr(&out));
    assert!(client.downloaded(PACK_PATH).is_none());

    // A target whose bytes are not the signed ones.
    server.clear_faults();
    let (path, len) = publisher.pack_file("synthetic");
    server.add_fault(FaultRule::on(&path, Fault::Replace(vec![0; len as usize])));
    let out = client.download(&[PACK_PATH]);
    assert_eq!(exit_code(&out), 1, "{}", stderr(&out));
    assert!(
        client.downloaded(PACK_PATH).is_none(),
        "nothing unverified kept"
    );

    // A rotation chain with a gap.
    server.clear_faults();
    publisher.rotate("timestamp");
    publisher.rotate("snapshot");
    server.add_fault(FaultRule::on(
        "/metadata/2.root.json",
        Fault::Replace(publisher.metadata("3.root.json")),
    ));
    let out = client.refresh();
    assert_eq!(exit_code(&out), 1, "{}", stderr(&out));
    let root: serde_json::Value =
        serde_json::from_slice(&client.trusted("root.json").unwrap()).unwrap();
    assert_eq!(root["signed"]["version"], 1);

    // Honest again: everything goes through, rotations followed.
    server.clear_faults();
    let out = client.download(&[PACK_PATH]);
    assert_eq!(exit_code(&out), 0, "{}", stderr(&out));
    let root: serde_json::Value =
        serde_json::from_slice(&client.trusted("root.json").unwrap()).unwrap();
    assert_eq!(root["signed"]["version"], 3);
    assert!(client.downloaded(PACK_PATH).is_some());
}

fn python_repo(dir: &Path) -> PathBuf {
    python_repo_with(dir, "ed25519")
}

/// python-tuf's delegated repository, every role's key of `key_type`.
fn python_repo_with(dir: &Path, key_type: &str) -> PathBuf {
    let target = dir.join("interop.wmpack");
    std::fs::write(&target, b"a pack written for the python-tuf repository\n").unwrap();
    let repo = dir.join("repo");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/tuf_repo_delegated.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&repo)
        .arg(&target)
        .arg(key_type)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python-tuf: {}", stderr(&out));
    repo
}

#[test]
fn delegations_of_a_python_tuf_repository_are_followed_and_terminating_ends_the_search() {
    let dir = tempfile::tempdir().unwrap();
    let repo = python_repo(dir.path());
    let server = FaultServer::start(&repo).unwrap();
    let root = std::fs::read(repo.join("metadata/1.root.json")).unwrap();
    let client = Client::new(&server, &root);

    let out = client.download(&["packs/interop.wmpack"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        client.downloaded("packs/interop.wmpack").unwrap(),
        b"a pack written for the python-tuf repository\n"
    );
    assert!(
        client.trusted("packs.json").is_some(),
        "the delegated role is kept"
    );
    // "alerts" does not match packs/*: never fetched.
    assert!(server.requests_for("/metadata/1.alerts.json").is_empty());

    // "alerts" (terminating) matches alerts/* and lists nothing: the search
    // ends there, although "packs" lists the file.
    let out = client.download(&["alerts/hidden.txt"]);
    assert_eq!(exit_code(&out), 1, "{}", stderr(&out));
    assert_eq!(server.requests_for("/metadata/1.alerts.json").len(), 1);
    assert!(client.downloaded("alerts/hidden.txt").is_none());
}

#[test]
fn a_python_tuf_repository_signed_with_ecdsa_p256_keys_downloads() {
    python_tuf_repository_with_key_type_downloads("ecdsa");
}

#[test]
fn a_python_tuf_repository_signed_with_rsa_pss_keys_downloads() {
    python_tuf_repository_with_key_type_downloads("rsa");
}

/// python-tuf signs every role with `key_type` keys: the client downloads
/// a target, and refuses a tampered signature on the delegated role.
fn python_tuf_repository_with_key_type_downloads(key_type: &str) {
    let dir = tempfile::tempdir().unwrap();
    let repo = python_repo_with(dir.path(), key_type);
    let root = std::fs::read(repo.join("metadata/1.root.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&root).unwrap();
    let keys = parsed["signed"]["keys"].as_object().unwrap();
    assert!(keys.values().all(|k| k["keytype"] == key_type));
    let server = FaultServer::start(&repo).unwrap();
    let client = Client::new(&server, &root);
    let out = client.download(&["packs/interop.wmpack"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        client.downloaded("packs/interop.wmpack").unwrap(),
        b"a pack written for the python-tuf repository\n"
    );
    // A tampered signature on the delegated role is refused.
    let packs = repo.join("metadata/1.packs.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&packs).unwrap()).unwrap();
    let sig = meta["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let last = if sig.ends_with("00") { "01" } else { "00" };
    meta["signatures"][0]["sig"] = format!("{}{last}", &sig[..sig.len() - 2]).into();
    std::fs::write(&packs, serde_json::to_vec(&meta).unwrap()).unwrap();
    let server = FaultServer::start(&repo).unwrap();
    let fresh = Client::new(&server, &root);
    let out = fresh.download(&["packs/interop.wmpack"]);
    assert_ne!(exit_code(&out), 0, "a bad signature passed");
    assert!(
        stderr(&out).contains("valid signatures"),
        "{}",
        stderr(&out)
    );
}
