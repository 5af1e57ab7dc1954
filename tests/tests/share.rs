//! End to end: a phone that synced a pack shares it as one file, and other
//! phones with no server install it, verified against the publisher's
//! signatures; phone to phone to phone, weeks later, after patch updates.
//! Anything altered or stale is refused and changes nothing.

use std::path::{Path, PathBuf};

use chrono::Duration;
use waymark_core::Error;
use waymark_core::content::FORMAT_CONTENT;
use waymark_core::sync::{Network, PublisherStatus, SyncOptions};
use waymark_e2e::FaultServer;
use waymark_e2e::fixture::{Phone, Publisher, test_http};

const PACK: &str = "synthetic";
const QUERY: &str = "legal";

/// A publisher with version 1 of a 2,000-entry pack, served, and a phone
/// that synced it.
fn synced() -> (Publisher, FaultServer, Phone) {
    let publisher = Publisher::new("synthetic-ngo");
    publisher.publish(&publisher.pack(PACK, 1, 2000, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let phone = Phone::new();
    phone.trust(&publisher, &server.url());
    phone.sync(&test_http()).0.unwrap();
    assert_eq!(phone.version(PACK), Some(1));
    (publisher, server, phone)
}

/// [`synced`], and the pack exported to a file in a temporary directory.
fn shared() -> (Publisher, FaultServer, Phone, tempfile::TempDir, PathBuf) {
    let (publisher, server, sender) = synced();
    let files = tempfile::tempdir().unwrap();
    let bundle = out(&files, "shared.wmbundle");
    sender
        .store
        .export_pack(&publisher.id, PACK, &bundle)
        .unwrap();
    (publisher, server, sender, files, bundle)
}

fn out(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// The titles of every hit for `query`, in order: what a person sees.
fn titles(phone: &Phone, query: &str) -> Vec<String> {
    phone
        .store
        .search(&waymark_core::content::SearchQuery::new(query))
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.title)
        .collect()
}

#[test]
fn a_synced_pack_shared_as_a_file_installs_weeks_later_on_phones_with_no_server() {
    let (publisher, server, sender) = synced();
    let files = tempfile::tempdir().unwrap();
    let bundle = out(&files, "shared.wmbundle");
    let exported = sender
        .store
        .export_pack(&publisher.id, PACK, &bundle)
        .unwrap();
    assert_eq!((exported.pack.as_str(), exported.version), (PACK, 1));
    assert_eq!(exported.bytes, std::fs::metadata(&bundle).unwrap().len());
    // The publisher's offline timestamp (30 days), not the one-day one.
    assert!(
        exported.valid_until > chrono::Utc::now() + Duration::days(25),
        "{exported:?}"
    );
    println!(
        "shared bundle: {} bytes for the pack's {} bytes",
        exported.bytes,
        publisher.pack_file(PACK).1
    );
    drop(server); // from here on, nobody has a network

    // Three weeks later: long past the one-day timestamp.
    let receiver = Phone::new();
    receiver.trust_offline(&publisher);
    receiver.advance(Duration::days(21));
    let installed = receiver.store.install_bundle(&bundle).unwrap();
    assert_eq!(installed.manifest.version, 1);
    assert_eq!(titles(&receiver, QUERY), titles(&sender, QUERY));
    assert!(!titles(&receiver, QUERY).is_empty());

    // And on to a third phone, from the second.
    let hop = out(&files, "hop.wmbundle");
    receiver
        .store
        .export_pack(&publisher.id, PACK, &hop)
        .unwrap();
    let third = Phone::new();
    third.trust_offline(&publisher);
    third.advance(Duration::days(22));
    third.store.install_bundle(&hop).unwrap();
    assert_eq!(titles(&third, QUERY), titles(&sender, QUERY));
}

#[test]
fn a_pack_updated_by_a_patch_is_shared_and_updates_the_receiver() {
    let (publisher, server, sender) = synced();
    let files = tempfile::tempdir().unwrap();
    let v1 = out(&files, "v1.wmbundle");
    sender.store.export_pack(&publisher.id, PACK, &v1).unwrap();

    publisher.publish(&publisher.pack(PACK, 2, 2000, Some(100)), &[]);
    let (report, _) = sender.sync(&test_http());
    let report = report.unwrap();
    assert_eq!(report.publishers[0].status, PublisherStatus::Updated);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path().ends_with(".wmpatch")),
        "the update came as a patch"
    );
    let v2 = out(&files, "v2.wmbundle");
    let exported = sender.store.export_pack(&publisher.id, PACK, &v2).unwrap();
    assert_eq!(exported.version, 2);

    let receiver = Phone::new();
    receiver.trust_offline(&publisher);
    receiver.store.install_bundle(&v1).unwrap();
    receiver.store.install_bundle(&v2).unwrap();
    assert_eq!(receiver.version(PACK), Some(2));
    assert_eq!(titles(&receiver, QUERY), titles(&sender, QUERY));
    // The older file is now refused: the receiver has seen newer metadata.
    let err = receiver.store.install_bundle(&v1).unwrap_err();
    assert!(matches!(err, Error::Untrusted(_)), "{err}");
    assert_eq!(receiver.version(PACK), Some(2));
}

/// Rewrites one file inside a tar bundle with `change`.
fn altered(bundle: &Path, into: &Path, file_prefix: &str, change: impl Fn(&mut Vec<u8>)) {
    let mut archive = tar::Archive::new(std::fs::File::open(bundle).unwrap());
    let mut builder = tar::Builder::new(std::fs::File::create(into).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        if name.starts_with(file_prefix) {
            change(&mut bytes);
        }
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, &name, &bytes[..]).unwrap();
    }
    builder.finish().unwrap();
}

/// A file of the bundle to alter, how, and what the refusal says.
type Try = (&'static str, fn(&mut Vec<u8>), &'static str);

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn an_altered_shared_bundle_is_refused_and_changes_nothing() {
    let (publisher, _server, _sender, files, bundle) = shared();

    let receiver = Phone::new();
    receiver.trust_offline(&publisher);
    let tries: [Try; 3] = [
        // Altered content, recompressed so that only the signature can tell.
        (
            "content/",
            |bytes| {
                let mut plain = zstd::decode_all(&bytes[..]).unwrap();
                let at = plain.len() / 2;
                plain[at] = if plain[at] == b'a' { b'b' } else { b'a' };
                *bytes = zstd::encode_all(&plain[..], 3).unwrap();
            },
            "differs from what its publisher signed",
        ),
        // Damaged compressed bytes.
        (
            "content/",
            |bytes| {
                let at = bytes.len() / 2;
                bytes[at] ^= 0xff;
            },
            "the shared content",
        ),
        // A forged targets signature.
        (
            "metadata/targets.json",
            |bytes| {
                let sig = find(bytes, b"\"sig\"") + 5;
                let at = sig + find(&bytes[sig..], b"\"") + 1;
                bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            },
            "targets",
        ),
    ];
    for (i, (file, change, expect)) in tries.into_iter().enumerate() {
        let bad = out(&files, &format!("bad{i}.wmbundle"));
        altered(&bundle, &bad, file, change);
        let err = match receiver.store.install_bundle(&bad) {
            Ok(_) => panic!("try {i} installed"),
            Err(e) => e,
        };
        assert!(err.to_string().contains(expect), "try {i}: {err}");
        assert!(receiver.store.packs().unwrap().is_empty(), "try {i}");
        assert!(titles(&receiver, QUERY).is_empty());
    }
    // The untouched file still installs: nothing was half-trusted.
    receiver.store.install_bundle(&bundle).unwrap();
    assert_eq!(receiver.version(PACK), Some(1));
}

#[test]
fn sharing_is_refused_when_the_installed_version_or_the_signatures_are_stale() {
    let (publisher, _server, sender) = synced();
    let files = tempfile::tempdir().unwrap();
    let bundle = out(&files, "shared.wmbundle");

    // The phone learns of version 2 but defers it (metered, over budget).
    publisher.publish(&publisher.pack(PACK, 2, 2000, None), &[]);
    let options = SyncOptions {
        network: Network::Metered,
        budget: Some(0),
        ..SyncOptions::default()
    };
    sender
        .sync_with(&test_http(), &options, &Default::default())
        .0
        .unwrap();
    assert_eq!(sender.version(PACK), Some(1));
    let err = sender
        .store
        .export_pack(&publisher.id, PACK, &bundle)
        .unwrap_err();
    assert!(err.to_string().contains("update the pack"), "{err}");
    assert!(!bundle.exists(), "nothing written");

    // Up to date again, then two months without a sync.
    sender.sync(&test_http()).0.unwrap();
    assert_eq!(sender.version(PACK), Some(2));
    sender.advance(Duration::days(60));
    let err = sender
        .store
        .export_pack(&publisher.id, PACK, &bundle)
        .unwrap_err();
    assert!(err.to_string().contains("sync, then share again"), "{err}");
    assert!(!bundle.exists(), "nothing written");

    let err = sender
        .store
        .export_pack(&publisher.id, "not-installed", &bundle)
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
}

#[test]
fn a_shared_bundle_says_what_it_is() {
    let (publisher, _server, _sender, _files, bundle) = shared();
    let mut names = Vec::new();
    let mut info = None;
    let mut archive = tar::Archive::new(std::fs::File::open(&bundle).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if name == "bundle.json" {
            info = Some(serde_json::from_reader::<_, serde_json::Value>(&mut entry).unwrap());
        }
        names.push(name);
    }
    let info = info.expect("bundle.json");
    assert_eq!(info["format"], FORMAT_CONTENT);
    assert_eq!(info["publisher"], publisher.id);
    assert_eq!(info["target"], format!("packs/{PACK}.wmpack"));
    for expected in [
        "metadata/root/1.root.json",
        "metadata/timestamp.json",
        "metadata/snapshot.json",
        "metadata/targets.json",
        "content/synthetic.jsonl.zst",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
}

/// `waymark --home HOME args…`, asserting success; its stdout.
fn waymark(home: &Path, args: &[&str]) -> String {
    let mut all = vec!["--home", home.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = waymark_e2e::fixture::run_ok("waymark", &all);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_device_cli_shares_a_pack_and_another_phone_installs_it() {
    let publisher = Publisher::new("synthetic-ngo");
    publisher.publish(&publisher.pack(PACK, 1, 500, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let card = publisher.repo().join("publisher.json");
    let card = card.to_str().unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    waymark(a.path(), &["trust", "add", card, "--url", &server.url()]);
    waymark(a.path(), &["sync", "--json"]);
    let file = a.path().join("shared.wmbundle");
    let exported: serde_json::Value = serde_json::from_str(&waymark(
        a.path(),
        &[
            "--json",
            "pack",
            "export",
            PACK,
            "--out",
            file.to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(exported["version"], 1);
    drop(server);
    // The publisher's tool makes the phone's checks on it, too.
    let shown = waymark_e2e::fixture::run_ok("waymark-pack", &["inspect", file.to_str().unwrap()]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(
        shown.contains("verified    signatures, expiry and the shared content's signed digest"),
        "{shown}"
    );
    assert!(shown.contains("pack        synthetic version 1"), "{shown}");

    waymark(b.path(), &["trust", "add", card]);
    let installed = waymark(b.path(), &["pack", "install", file.to_str().unwrap()]);
    assert!(
        installed.contains("Installed synthetic version 1"),
        "{installed}"
    );
    let search = |home: &Path| waymark(home, &["--json", "search", QUERY]);
    assert_eq!(search(b.path()), search(a.path()));
}
