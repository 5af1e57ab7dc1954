//! `waymark-pack card`: the fingerprint it prints is the one a phone shows
//! after trusting the card, before and after a root key rotation, and its
//! QR codes (terminal and PNG) decode to a link to that card.

#[allow(dead_code)]
mod common;
use common::{Server, pack_file, s};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use waymark_core::content::{ContentStore, TrustLink, TrustRequest};
use waymark_core::sync::{CancelToken, Http, HttpConfig, SyncOptions, Syncer, no_listener};

fn waymark_pack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .unwrap()
}

/// `waymark-pack ARGS`, which must succeed: its stdout.
fn ok(args: &[&str]) -> String {
    common::succeeded(args, waymark_pack(args))
}

const URL: &str = "https://ngo.example/waymark/repo";

/// A publisher's keys (of `key_type`) and a repository published with
/// `url`.
fn publisher(key_type: &str, url: Option<&str>) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    ok(&["keygen", "--type", key_type, "--out", s(&keys)]);
    let pack = pack_file(dir.path(), 1);
    let mut args = vec!["publish", s(&pack), "--repo", s(&repo), "--keys", s(&keys)];
    if let Some(url) = url {
        args.extend(["--url", url]);
    }
    ok(&args);
    (dir, keys, repo)
}

/// `card --json` for `repo`.
fn card_json(repo: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["card", "--repo", s(repo), "--json"];
    args.extend(extra);
    serde_json::from_str(&ok(&args)).unwrap()
}

fn phone() -> (tempfile::TempDir, ContentStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(&dir.path().join("content")).unwrap();
    (dir, store)
}

fn shown(store: &ContentStore) -> String {
    store.trusted_publishers().unwrap()[0].fingerprint.clone()
}

#[test]
fn the_printed_fingerprint_is_the_one_a_phone_shows_and_survives_a_root_rotation() {
    let (_dir, keys, repo) = publisher("ed25519", Some(URL));
    let printed = card_json(&repo, &[])["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = ok(&["card", "--repo", s(&repo)]);
    assert!(text.contains(&printed), "{text}");
    let groups: Vec<&str> = printed.split('-').collect();
    for pair in groups.chunks(2) {
        assert!(
            text.contains(&format!("\n             {}\n", pair.join("-"))),
            "two groups a line, as the apps show it: {text}"
        );
    }

    // A phone that trusts the card, then syncs from the repository.
    let server = Server::start(&repo);
    let (_p, store) = phone();
    let card = std::fs::read(repo.join("publisher.json")).unwrap();
    let request = TrustRequest {
        url: Some(server.url.clone()),
        ..TrustRequest::default()
    };
    assert_eq!(
        store.trust_publisher(&card, &request).unwrap().fingerprint,
        printed
    );

    ok(&["rotate-key", "root", "--keys", s(&keys), "--repo", s(&repo)]);
    let after = card_json(&repo, &[]);
    assert_eq!(
        after["fingerprint"],
        printed.as_str(),
        "the card's is unchanged"
    );
    assert_eq!(after["root_version"], 1);

    let http = Http::new(HttpConfig::default()).unwrap();
    Syncer::new(&store, &http)
        .run(&SyncOptions::default(), &no_listener(), &CancelToken::new())
        .unwrap();
    let trusted = &store.trusted_publishers().unwrap()[0];
    assert_eq!(trusted.root_version, 2, "the phone follows the rotation");
    assert_eq!(
        trusted.fingerprint, printed,
        "and shows the same fingerprint"
    );

    // A phone that trusts the card only now shows it too.
    let (_q, later) = phone();
    later
        .trust_publisher(
            &std::fs::read(repo.join("publisher.json")).unwrap(),
            &request,
        )
        .unwrap();
    assert_eq!(shown(&later), printed);
}

/// The QR code in `pixels` (`side` × `side`, 0 black, 255 white), decoded.
fn decode_qr(side: usize, pixels: &[u8]) -> String {
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| pixels[y * side + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

#[test]
fn the_png_and_the_terminal_code_decode_to_a_link_to_the_card_with_its_fingerprint() {
    let (dir, _keys, repo) = publisher("ed25519", Some(URL));
    let png_path = dir.path().join("card.png");
    let info = card_json(&repo, &["--png", s(&png_path)]);
    let fingerprint = info["fingerprint"].as_str().unwrap();
    let link = info["link"].as_str().unwrap();
    assert_eq!(
        TrustLink::parse(link).unwrap(),
        TrustLink {
            card_url: format!("{URL}/publisher.json"),
            fingerprint: fingerprint.into(),
        }
    );

    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    assert_eq!(frame.width, frame.height);
    let modules = info["qr_modules"].as_u64().unwrap() as u32;
    assert_eq!(
        frame.width,
        (modules + 8) * 10,
        "quiet zone, 10 px a module"
    );
    assert_eq!(decode_qr(frame.width as usize, &pixels), link);

    // The terminal's: half blocks, light modules drawn (a dark terminal),
    // one character per module across and two down.
    let text = ok(&["card", "--repo", s(&repo)]);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| " ▀▄█".contains(c)))
        .collect();
    assert_eq!(rows.len(), (modules as usize + 8).div_ceil(2), "{text}");
    let scale = 4;
    let side = rows[0].chars().count() * scale;
    let mut pixels = vec![0u8; side * side];
    for (r, row) in rows.iter().enumerate() {
        for (x, c) in row.chars().enumerate() {
            let (top, bottom) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                _ => (false, false),
            };
            for (half, light) in [(0, top), (1, bottom)] {
                let y = (r * 2 + half) * scale;
                if light && y < side {
                    for dy in 0..scale {
                        pixels[(y + dy) * side + x * scale..(y + dy) * side + (x + 1) * scale]
                            .fill(255);
                    }
                }
            }
        }
    }
    assert_eq!(decode_qr(side, &pixels), link);

    // The QR code is small because it holds a link: the card itself, even
    // as compact JSON, needs a version no camera reads well from paper.
    let card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.join("publisher.json")).unwrap()).unwrap();
    let compact = serde_json::to_vec(&card).unwrap();
    let whole = qrcode::QrCode::with_error_correction_level(&compact, qrcode::EcLevel::M).unwrap();
    assert!(
        whole.width() > 3 * modules as usize,
        "{} modules",
        whole.width()
    );
    assert!(modules <= 45, "{modules} modules");
}

#[test]
fn a_card_url_can_be_given_and_a_card_without_a_url_has_no_qr_code() {
    let (dir, _keys, repo) = publisher("ed25519", None);
    let info = card_json(&repo, &[]);
    assert_eq!(info["link"], serde_json::Value::Null);
    let text = ok(&["card", "--repo", s(&repo)]);
    assert!(
        text.contains("QR code      none: the card has no URL"),
        "{text}"
    );
    let png = dir.path().join("card.png");
    let out = waymark_pack(&["card", "--repo", s(&repo), "--png", s(&png)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--url URL"));
    assert!(!png.exists());

    let elsewhere = "https://cards.example/sample-ngo.json";
    let info = card_json(&repo, &["--card-url", elsewhere]);
    assert_eq!(
        TrustLink::parse(info["link"].as_str().unwrap())
            .unwrap()
            .card_url,
        elsewhere
    );
}

#[test]
fn a_repository_without_a_card_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = waymark_pack(&["card", "--repo", s(dir.path())]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has no publisher card (publisher.json)") && stderr.contains("publish"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn rsa_cards_print_too_and_the_phone_shows_the_same_fingerprint() {
    let (_dir, _keys, repo) = publisher("rsa", Some(URL));
    let info = card_json(&repo, &[]);
    let bytes = info["card_bytes"].as_u64().unwrap();
    assert!(bytes > 2953, "more than any QR code holds: {bytes} bytes");
    let (_p, store) = phone();
    store
        .trust_publisher(
            &std::fs::read(repo.join("publisher.json")).unwrap(),
            &TrustRequest::default(),
        )
        .unwrap();
    assert_eq!(shown(&store), info["fingerprint"].as_str().unwrap());
    assert!(info["qr_modules"].as_u64().unwrap() <= 45);
}
