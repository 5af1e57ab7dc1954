//! The remote backup against real servers started here on 127.0.0.1
//! (`servers/`: moto's S3 API server and wsgidav). Every request goes through a
//! TCP proxy in this file that counts the bytes on the wire, keeps what
//! was sent (scanned for plaintext) and can cut the connection.

mod common;
mod servers;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Duration as Days;
use common::{PASS, clock, meta, new_vault, options};
use servers::{moto, wsgidav};
use waymark_core::backup::remote::{self, Location, RestoreSecret};
use waymark_core::clock::{ManualClock, SystemClock};
use waymark_core::error::Error;
use waymark_core::sync::{CancelToken, Http, HttpConfig};
use waymark_core::vault::{DocumentId, DocumentInfo, DocumentKind, Vault};

// ----- the proxy -----------------------------------------------------------------

/// A TCP forwarder to a server: counts bytes each way, keeps every byte
/// sent upstream, and cuts every connection once `cut_after` bytes have
/// gone upstream (then refuses until it is lifted).
struct Wire {
    port: u16,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
    sent: Arc<Mutex<Vec<u8>>>,
    cut_after: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Wire {
    fn to(server_port: u16) -> Wire {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let wire = Wire {
            port,
            up: Arc::default(),
            down: Arc::default(),
            sent: Arc::default(),
            cut_after: Arc::new(AtomicU64::new(u64::MAX)),
            stop: Arc::default(),
        };
        let (up, down, sent, cut_after, stop) = (
            wire.up.clone(),
            wire.down.clone(),
            wire.sent.clone(),
            wire.cut_after.clone(),
            wire.stop.clone(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                if up.load(Ordering::SeqCst) >= cut_after.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) else {
                    continue;
                };
                let pipe =
                    |mut from: TcpStream,
                     mut to: TcpStream,
                     count: Arc<AtomicU64>,
                     keep: Option<Arc<Mutex<Vec<u8>>>>,
                     cut: Option<(Arc<AtomicU64>, Arc<AtomicU64>)>| {
                        std::thread::spawn(move || {
                            let mut buf = [0u8; 16 * 1024];
                            loop {
                                let n = match from.read(&mut buf) {
                                    Ok(0) | Err(_) => break,
                                    Ok(n) => n,
                                };
                                let mut n = n;
                                if let Some((total, limit)) = &cut {
                                    let limit = limit.load(Ordering::SeqCst);
                                    let before = total.load(Ordering::SeqCst);
                                    if before + n as u64 >= limit {
                                        n = limit.saturating_sub(before) as usize;
                                        let _ = to.write_all(&buf[..n]);
                                        count.fetch_add(n as u64, Ordering::SeqCst);
                                        if let Some(k) = &keep {
                                            k.lock().unwrap().extend_from_slice(&buf[..n]);
                                        }
                                        let _ = from.shutdown(Shutdown::Both);
                                        let _ = to.shutdown(Shutdown::Both);
                                        break;
                                    }
                                }
                                if to.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                                count.fetch_add(n as u64, Ordering::SeqCst);
                                if let Some(k) = &keep {
                                    k.lock().unwrap().extend_from_slice(&buf[..n]);
                                }
                            }
                            let _ = to.shutdown(Shutdown::Write);
                        });
                    };
                pipe(
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    up.clone(),
                    Some(sent.clone()),
                    Some((up.clone(), cut_after.clone())),
                );
                pipe(server, client, down.clone(), None, None);
            }
        });
        wire
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Bytes (up, down) since the last call.
    fn take(&self) -> (u64, u64) {
        (
            self.up.swap(0, Ordering::SeqCst),
            self.down.swap(0, Ordering::SeqCst),
        )
    }

    fn cut_after(&self, bytes: u64) {
        self.up.store(0, Ordering::SeqCst);
        self.cut_after.store(bytes, Ordering::SeqCst);
    }

    fn lift(&self) {
        self.cut_after.store(u64::MAX, Ordering::SeqCst);
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

// ----- phones ----------------------------------------------------------------------

fn http() -> Http {
    Http::new(HttpConfig {
        retries: 1,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        ..HttpConfig::default()
    })
    .unwrap()
}

/// Restores `location` into a new vault in `dir` with the test's clock.
fn restore(
    dir: &std::path::Path,
    location: Location,
    secret: &RestoreSecret<'_>,
    clock: &std::sync::Arc<ManualClock>,
) -> Result<(Vault, remote::RestoreReport), Error> {
    remote::restore(
        dir,
        location,
        secret,
        &http(),
        options(clock),
        &CancelToken::new(),
        &mut |_| {},
    )
}

fn backup(vault: &Vault) -> Result<remote::BackupReport, Error> {
    remote::backup_now(
        vault,
        &http(),
        &SystemClock,
        &CancelToken::new(),
        &mut |_| {},
    )
}

fn s3_location(wire: &Wire, prefix: &str) -> Location {
    Location::s3(
        &format!("s3://waymark-backups/{prefix}"),
        &wire.url(),
        "us-east-1",
        "test-access-key",
        "test-secret-key",
    )
    .unwrap()
}

fn dav_location(wire: &Wire, folder: &str) -> Location {
    Location::webdav(
        &format!("{}/backups/{folder}", wire.url()),
        Some("alice"),
        Some("s3cret"),
    )
    .unwrap()
}

/// Content with a marker the server must never see.
fn content(n: usize, len: usize) -> Vec<u8> {
    let mut out = format!("MARKER-CONTENT-{n:03}|").into_bytes();
    let mut x = n as u64 * 2_654_435_761 + 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(b'a' + (x % 26) as u8);
    }
    out.truncate(len);
    out
}

fn add(vault: &Vault, n: usize, len: usize) -> DocumentId {
    let mut m = meta(DocumentKind::Other, &format!("MARKER-TITLE-{n:03}"));
    m.notes = format!("MARKER-NOTE-{n:03}");
    vault.add_document_bytes(m, &content(n, len)).unwrap()
}

/// Every document: its info and its content.
fn everything(vault: &Vault) -> BTreeMap<String, (DocumentInfo, Vec<u8>)> {
    vault
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| {
            let bytes = vault.read_document_bytes(&d.id).unwrap().to_vec();
            (d.id.to_string(), (d, bytes))
        })
        .collect()
}

fn markers(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .flat_map(|i| {
            [
                format!("MARKER-CONTENT-{i:03}"),
                format!("MARKER-TITLE-{i:03}"),
                format!("MARKER-NOTE-{i:03}"),
            ]
        })
        .map(String::into_bytes)
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn tick(clock: &ManualClock) {
    clock.advance(Days::seconds(61));
}

// ----- tests -------------------------------------------------------------------------

#[test]
fn s3_backup_then_a_lost_phone_restored_with_the_recovery_code_byte_for_byte() {
    let s3 = moto("waymark-backups");
    let wire = Wire::to(s3.port);
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, code) = new_vault(dir.path(), &clock);
    for n in 0..20 {
        add(&vault, n, 3_000 + n * 7_919);
    }
    remote::set_location(&vault, s3_location(&wire, "phone-a")).unwrap();
    wire.take();

    let first = backup(&vault).unwrap();
    let (up, down) = wire.take();
    println!(
        "full first backup of 20 documents: {up} bytes sent, {down} received, {} requests",
        first.requests
    );
    assert_eq!((first.uploaded, first.stored_revisions), (20, 20));

    let again = backup(&vault).unwrap();
    let (up, down) = wire.take();
    println!(
        "nothing changed: {up} bytes sent, {down} received, {} request",
        again.requests
    );
    assert!(again.unchanged);
    assert_eq!(
        again.requests, 1,
        "nothing changed costs one conditional request"
    );
    assert_eq!(again.bytes_sent, 0);

    tick(&clock);
    let scan = add(&vault, 20, 2 * 1024 * 1024);
    let third = backup(&vault).unwrap();
    let (up, down) = wire.take();
    println!(
        "one new 2 MB scan: {up} bytes sent, {down} received, {} requests",
        third.requests
    );
    assert_eq!(third.uploaded, 1);
    assert!(
        up > 2 * 1024 * 1024 && up < 3 * 1024 * 1024 + 200_000,
        "{up}"
    );

    // Nothing the server received carries a title, note or content.
    let sent = wire.sent.lock().unwrap().clone();
    for m in markers(21) {
        assert!(
            !contains(&sent, &m),
            "{} reached the server",
            String::from_utf8_lossy(&m)
        );
    }

    // The phone is lost: a new one restores with the recovery code.
    let before = everything(&vault);
    vault.wipe().unwrap();
    drop(vault);
    let new_phone = tempfile::tempdir().unwrap();
    let (restored, report) = restore(
        &new_phone.path().join("vault"),
        s3_location(&wire, "phone-a"),
        &RestoreSecret::RecoveryCode {
            code: &code,
            new_passphrase: "a brand new passphrase",
        },
        &clock,
    )
    .unwrap();
    assert_eq!(report.documents, 21);
    assert_eq!(
        everything(&restored),
        before,
        "every document byte-identical, with its metadata"
    );
    assert!(before.contains_key(&scan.to_string()));
    // The new passphrase opens it; so does the old recovery code.
    restored.lock();
    restored.unlock("a brand new passphrase").unwrap();
    restored.lock();
    restored
        .unlock_with_recovery_code(&code, "yet another one")
        .unwrap();
    // And the backup goes on from the restored phone: nothing to send.
    let next = backup(&restored).unwrap();
    assert_eq!(next.uploaded, 0);
    assert_eq!(next.stored_revisions, 21);
}

#[test]
fn two_phones_backing_up_to_one_webdav_folder_merge_without_losing_a_document() {
    let root = tempfile::tempdir().unwrap();
    let served = root.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let dav = wsgidav(&served);
    let wire = Wire::to(dav.port);
    let clock = clock();

    let a_dir = tempfile::tempdir().unwrap();
    let (a, _code) = new_vault(a_dir.path(), &clock);
    let ids: Vec<DocumentId> = (0..5).map(|n| add(&a, n, 20_000 + n)).collect();
    remote::set_location(&a, dav_location(&wire, "family")).unwrap();
    backup(&a).unwrap();

    // Phone B is the same person's second phone, restored from the backup.
    let b_dir = tempfile::tempdir().unwrap();
    let (b, _) = restore(
        &b_dir.path().join("vault"),
        dav_location(&wire, "family"),
        &RestoreSecret::Passphrase(PASS),
        &clock,
    )
    .unwrap();
    assert_eq!(b.list_documents().unwrap().len(), 5);

    // Interleaved changes: A replaces 0, B replaces 1, both replace 2, A
    // deletes 3, B deletes nothing but adds one, A adds one; backups
    // interleaved.
    tick(&clock);
    a.replace_content(&ids[0], &content(100, 1000)[..]).unwrap();
    b.replace_content(&ids[1], &content(101, 1000)[..]).unwrap();
    backup(&b).unwrap();
    tick(&clock);
    a.replace_content(&ids[2], &content(102, 1000)[..]).unwrap();
    tick(&clock);
    b.replace_content(&ids[2], &content(103, 1000)[..]).unwrap();
    a.delete_document(&ids[3]).unwrap();
    let from_a = add(&a, 6, 5_000);
    let a_report = backup(&a).unwrap();
    assert_eq!(a_report.deleted, 1);
    tick(&clock);
    let from_b = add(&b, 7, 5_000);
    let b_report = backup(&b).unwrap();
    assert_eq!(
        b_report.conflicts, 1,
        "document 2 changed on both phones: both kept"
    );
    backup(&a).unwrap();

    // A third phone restores the merged backup.
    let c_dir = tempfile::tempdir().unwrap();
    let (c, _) = restore(
        &c_dir.path().join("vault"),
        dav_location(&wire, "family"),
        &RestoreSecret::Passphrase(PASS),
        &clock,
    )
    .unwrap();
    let got = everything(&c);
    let bodies: Vec<&Vec<u8>> = got.values().map(|(_, b)| b).collect();
    let has = |n: usize, len: usize| bodies.iter().any(|b| **b == content(n, len));
    assert!(has(100, 1000), "A's change of 0");
    assert!(has(101, 1000), "B's change of 1");
    assert!(has(102, 1000) && has(103, 1000), "both changes of 2");
    assert!(!has(3, 20_003), "3 was deleted on A");
    assert!(has(4, 20_004), "4, untouched");
    assert!(has(6, 5_000) && has(7, 5_000), "each phone's new document");
    assert_eq!(got.len(), 7);
    assert!(got.contains_key(&from_a.to_string()) && got.contains_key(&from_b.to_string()));

    // Every request carried only the documented headers (the fixed
    // User-Agent, no cookie, referer or identifier), and no query string.
    let sent = wire.sent.lock().unwrap().clone();
    let heads = request_heads(&sent);
    assert!(heads.len() > 10, "{} requests seen", heads.len());
    for (line, headers) in &heads {
        assert!(!line.contains('?'), "a query string: {line}");
        for (name, value) in headers {
            assert!(
                [
                    "host",
                    "user-agent",
                    "accept",
                    "accept-encoding",
                    "content-type",
                    "content-length",
                    "if-match",
                    "if-none-match",
                    "authorization",
                ]
                .contains(&name.as_str()),
                "an undocumented header {name} in {line}"
            );
            if name == "user-agent" {
                assert_eq!(value, "Waymark");
            }
        }
    }

    // What the WebDAV server holds: no plaintext, every size a bucket.
    let files = common::files_below(&served);
    assert!(files.len() > 7);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for m in markers(8) {
            assert!(
                !contains(&bytes, &m),
                "{} on the server",
                String::from_utf8_lossy(&m)
            );
        }
        let len = bytes.len();
        assert!(
            (len.is_power_of_two() && len >= 4096) || len % (1024 * 1024) == 0,
            "an object of {len} bytes is not padded to a bucket"
        );
    }
}

#[test]
fn a_backup_cut_mid_upload_leaves_the_old_one_whole_and_resumes() {
    let s3 = moto("waymark-backups");
    let wire = Wire::to(s3.port);
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    add(&vault, 0, 10_000);
    remote::set_location(&vault, s3_location(&wire, "cut")).unwrap();
    backup(&vault).unwrap();

    tick(&clock);
    for n in 1..7 {
        add(&vault, n, 1_500_000);
    }
    wire.take();
    wire.cut_after(4 * 1024 * 1024);
    let cut = backup(&vault).unwrap_err();
    assert!(matches!(cut, Error::Network(_)), "{cut:?}");
    wire.lift();

    // Meanwhile the server's backup is the old one, whole.
    let other = tempfile::tempdir().unwrap();
    let (old, _) = restore(
        &other.path().join("vault"),
        s3_location(&wire, "cut"),
        &RestoreSecret::Passphrase(PASS),
        &clock,
    )
    .unwrap();
    assert_eq!(old.list_documents().unwrap().len(), 1);
    drop(old);

    wire.take();
    let resumed = backup(&vault).unwrap();
    let (up, _) = wire.take();
    println!("resumed after a cut at 4 MiB: {up} bytes sent for 6 × 1.5 MB");
    assert_eq!(resumed.uploaded, 6);
    assert!(
        up < 6 * 1_500_000,
        "chunks sent before the cut are not sent again ({up})"
    );

    let last = tempfile::tempdir().unwrap();
    let (all, _) = restore(
        &last.path().join("vault"),
        s3_location(&wire, "cut"),
        &RestoreSecret::Passphrase(PASS),
        &clock,
    )
    .unwrap();
    assert_eq!(everything(&all), everything(&vault));
    // The outbox is empty again.
    let outbox = dir.path().join("vault/backup-outbox");
    assert_eq!(common::files_below(&outbox).len(), 0);
}

#[test]
fn a_wrong_secret_or_another_vaults_folder_is_refused_and_changes_nothing() {
    let s3 = moto("waymark-backups");
    let wire = Wire::to(s3.port);
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock);
    add(&vault, 0, 1000);
    remote::set_location(&vault, s3_location(&wire, "mine")).unwrap();
    backup(&vault).unwrap();

    let target = tempfile::tempdir().unwrap();
    let into = target.path().join("vault");
    let wrong = restore(
        &into,
        s3_location(&wire, "mine"),
        &RestoreSecret::Passphrase("not the passphrase"),
        &clock,
    )
    .unwrap_err();
    assert!(matches!(wrong, Error::WrongPassphrase { .. }), "{wrong:?}");
    assert!(!Vault::exists(&into), "no vault is left behind");

    // An empty folder: nothing to restore.
    let nothing = restore(
        &into,
        s3_location(&wire, "empty"),
        &RestoreSecret::Passphrase(PASS),
        &clock,
    )
    .unwrap_err();
    assert!(matches!(nothing, Error::NotFound(_)), "{nothing:?}");

    // Another vault pointed at this one's folder is refused, and the
    // backup there is untouched.
    let other_dir = tempfile::tempdir().unwrap();
    let (other, _) = new_vault(other_dir.path(), &clock);
    add(&other, 9, 1000);
    remote::set_location(&other, s3_location(&wire, "mine")).unwrap();
    let refused = backup(&other).unwrap_err();
    assert!(matches!(refused, Error::InvalidInput(_)), "{refused:?}");
    let check = tempfile::tempdir().unwrap();
    let (still, _) = restore(
        &check.path().join("vault"),
        s3_location(&wire, "mine"),
        &RestoreSecret::Passphrase(PASS),
        &clock,
    )
    .unwrap();
    assert_eq!(everything(&still), everything(&vault));

    // A storage address over plain HTTP to another machine is refused.
    assert!(Location::webdav("http://example.org/dav", None, None).is_err());
    assert!(Location::s3("s3://b-u-c/x", "http://example.org", "r", "k", "s").is_err());
}

/// The request lines and headers (names lower-cased) of the HTTP/1.1
/// requests in `bytes`, skipping their bodies by `Content-Length`.
fn request_heads(bytes: &[u8]) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(end) = bytes[at..].windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[at..at + end]).into_owned();
        let mut lines = head.split("\r\n");
        let line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        out.push((line, headers));
        at += end + 4 + length;
        if at >= bytes.len() {
            break;
        }
    }
    out
}
