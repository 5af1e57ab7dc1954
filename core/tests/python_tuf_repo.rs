//! A repository written by a second TUF implementation (python-tuf's
//! metadata API, `tuf` on PyPI, installed by scripts/test in a venv) verifies in Waymark:
//! its root is trusted, and a bundle of its metadata and target installs;
//! with each kind of key securesystemslib makes: ed25519, ECDSA P-256 and
//! RSA-PSS.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use waymark_core::content::model::{Article, Entry, PACK_FORMAT, PackManifest, Publisher};
use waymark_core::content::pack::write_pack;
use waymark_core::content::{BundleInfo, ContentStore, SearchQuery, TrustRequest, write_bundle};
use waymark_core::tuf::MetadataSet;

#[test]
fn a_repository_written_by_python_tuf_verifies_and_installs() {
    python_repository_installs("ed25519");
}

#[test]
fn a_repository_signed_by_python_tuf_with_ecdsa_p256_keys_verifies_and_installs() {
    python_repository_installs("ecdsa");
}

#[test]
fn a_repository_signed_by_python_tuf_with_rsa_pss_keys_verifies_and_installs() {
    python_repository_installs("rsa");
}

/// python-tuf writes a repository with `key_type` keys for every role;
/// Waymark trusts its root and installs a bundle of its metadata.
fn python_repository_installs(key_type: &str) {
    install_python_repository(key_type).unwrap();
}

/// What [`python_repository_installs`] checks; Waymark's refusal as an
/// error.
fn install_python_repository(key_type: &str) -> waymark_core::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("interop.wmpack");
    let manifest = PackManifest {
        format: PACK_FORMAT,
        id: "interop".into(),
        version: 1,
        publisher: Publisher {
            id: "py-ngo".into(),
            name: "Python-published sample".into(),
        },
        title: Default::default(),
        languages: vec!["en".into()],
        fallback: vec!["en".into()],
        sample: true,
        built: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        entries: 0,
        time_zones: Default::default(),
    };
    let entry = Entry::Article(Article {
        id: "a".into(),
        language: "en".into(),
        title: "Written by python".into(),
        body: "Interoperability sample.".into(),
        countries: vec![],
        topics: vec![],
        verified: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        expires: None,
    });
    write_pack(&manifest, &[entry], std::fs::File::create(&pack).unwrap()).unwrap();

    let repo = dir.path().join("repo");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/tuf_repo.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&repo)
        .arg("packs/interop.wmpack")
        .arg(&pack)
        .arg(key_type)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python-tuf: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let meta = |name: &str| std::fs::read(repo.join("metadata").join(name)).unwrap();
    let root: serde_json::Value = serde_json::from_slice(&meta("1.root.json")).unwrap();
    for key in root["signed"]["keys"].as_object().unwrap().values() {
        let expected = if key_type == "ecdsa" {
            "ecdsa"
        } else {
            key_type
        };
        assert_eq!(key["keytype"], expected, "{key}");
    }
    let set = MetadataSet {
        roots: vec![],
        timestamp: meta("timestamp.json"),
        snapshot: meta("1.snapshot.json"),
        targets: meta("1.targets.json"),
    };
    let bundle = dir.path().join("py.wmbundle");
    let info = BundleInfo {
        format: 1,
        publisher: "py-ngo".into(),
        target: "packs/interop.wmpack".into(),
    };
    write_bundle(
        std::fs::File::create(&bundle).unwrap(),
        &info,
        &set,
        &std::fs::read(&pack).unwrap(),
    )
    .unwrap();

    let store = ContentStore::open(&dir.path().join("content")).unwrap();
    let request = TrustRequest {
        id: Some("py-ngo".into()),
        ..Default::default()
    };
    let trusted = store.trust_publisher(&meta("1.root.json"), &request)?;
    assert_eq!(trusted.root_version, 1);
    store.install_bundle(&bundle)?;
    let hits = store.search(&SearchQuery::new("python")).unwrap().hits;
    assert_eq!(hits[0].title, "Written by python");
    assert_eq!(hits[0].provenance.publisher, "py-ngo");
    Ok(())
}
