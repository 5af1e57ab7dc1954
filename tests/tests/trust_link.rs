//! End to end: a publisher's QR code. `waymark-pack card` prints a trust
//! link; the device CLI `waymark` trusts the publisher from it over HTTP
//! (the card downloaded, checked against the link's fingerprint), follows
//! a root key rotation, and keeps showing the fingerprint the card
//! printed. A link with another fingerprint trusts nothing.

use std::path::Path;

use waymark_e2e::FaultServer;
use waymark_e2e::fixture::{Publisher, run, run_ok};

/// `waymark --home HOME ARGS`, which must succeed: its stdout.
fn waymark(home: &Path, args: &[&str]) -> String {
    let mut all = vec!["--home", home.to_str().unwrap()];
    all.extend_from_slice(args);
    String::from_utf8(run_ok("waymark", &all).stdout).unwrap()
}

fn card(publisher: &Publisher, card_url: &str) -> serde_json::Value {
    let repo = publisher.repo();
    let args = [
        "card",
        "--repo",
        repo.to_str().unwrap(),
        "--json",
        "--card-url",
        card_url,
    ];
    serde_json::from_slice(&run_ok("waymark-pack", &args).stdout).unwrap()
}

fn trusted(home: &Path) -> Vec<serde_json::Value> {
    serde_json::from_str(&waymark(home, &["trust", "list", "--json"])).unwrap()
}

#[test]
fn a_phone_trusts_a_publisher_from_its_qr_link_and_keeps_its_fingerprint_across_a_root_rotation() {
    let publisher = Publisher::new("synthetic-ngo");
    publisher.publish(&publisher.pack("synthetic", 1, 50, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let card_url = format!("{}/publisher.json", server.url());
    let printed = card(&publisher, &card_url);
    let (link, fingerprint) = (
        printed["link"].as_str().unwrap(),
        printed["fingerprint"].as_str().unwrap(),
    );
    let phone = tempfile::tempdir().unwrap();

    // Another fingerprint (the first digit changed): refused, nothing trusted.
    let other = format!(
        "{}{}",
        if fingerprint.starts_with('0') {
            '1'
        } else {
            '0'
        },
        &fingerprint[1..]
    );
    let forged = format!("waymark://trust?card={card_url}&fp={other}");
    let home = phone.path().to_str().unwrap();
    let refused = run(
        "waymark",
        &[
            "--home",
            home,
            "trust",
            "add",
            &forged,
            "--url",
            &server.url(),
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("not the publisher's card"), "{stderr}");
    assert!(trusted(phone.path()).is_empty());

    let added = waymark(
        phone.path(),
        &["trust", "add", link, "--url", &server.url()],
    );
    assert!(added.contains(fingerprint), "{added}");

    publisher.rotate("root");
    waymark(phone.path(), &["sync", "--json"]);
    let list = trusted(phone.path());
    assert_eq!(list[0]["root_version"], 2, "the rotation was followed");
    assert_eq!(
        list[0]["fingerprint"], fingerprint,
        "the card's fingerprint, still"
    );
    assert_eq!(card(&publisher, &card_url)["fingerprint"], fingerprint);
    let text = waymark(phone.path(), &["trust", "list"]);
    assert!(text.contains(fingerprint), "{text}");
}
