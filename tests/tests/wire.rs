//! The wire (issue 20 §4), for the reqwest transport the `waymark` CLI
//! ships: every request a sync sends, recorded by `tests/wire/wire.py` in
//! front of a real static server and checked by `tests/wire/check.py`
//! (only the documented headers, the fixed User-Agent, no cookie, Referer,
//! identifier or query string; the same bytes from two phones), then the
//! same through a SOCKS5 proxy (every connection by name: no DNS lookup on
//! the phone). The Kotlin and Swift transports run the same scripts in
//! their own suites; the backup's requests are checked in
//! `core/tests/backup_remote.rs`.

#[path = "../../core/tests/servers/mod.rs"]
mod servers;

use std::path::Path;

use servers::{Wire, check_wire, wsgidav};
use waymark_e2e::FaultServer;
use waymark_e2e::fixture::{Publisher, bin};

const PACK: &str = "wire-pack";

/// A phone (a CLI home) that trusts `publisher`, syncing from `url`.
fn phone(publisher: &Publisher, url: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let card = home.path().join("card.json");
    std::fs::write(&card, publisher.card()).unwrap();
    waymark(
        home.path(),
        &["trust", "add", card.to_str().unwrap(), "--url", url],
    );
    home
}

/// The version of the one pack installed on the phone.
fn installed_version(home: &Path) -> Option<u64> {
    let list: serde_json::Value =
        serde_json::from_str(&waymark(home, &["--json", "pack", "list"])).unwrap();
    list[0]["manifest"]["version"].as_u64()
}

#[test]
fn two_phones_syncing_send_the_same_bytes_with_only_the_documented_headers() {
    let publisher = Publisher::new("wire-ngo");
    publisher.publish(&publisher.pack(PACK, 1, 300, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let wire = Wire::start(server.addr().port(), false);
    let url = format!("http://127.0.0.1:{}/", wire.http);

    let a = phone(&publisher, &url);
    let b = phone(&publisher, &url);
    // Each phone: the first sync (install), a sync with nothing new, then
    // (after the publisher's version 2) an update by patch.
    let m0 = wire.mark();
    waymark(a.path(), &["sync"]);
    waymark(a.path(), &["sync"]);
    let m1 = wire.mark();
    waymark(b.path(), &["sync"]);
    waymark(b.path(), &["sync"]);
    let m2 = wire.mark();
    publisher.publish(&publisher.pack(PACK, 2, 300, Some(50)), &[]);
    waymark(a.path(), &["sync"]);
    let m3 = wire.mark();
    waymark(b.path(), &["sync"]);
    let m4 = wire.mark();
    for home in [&a, &b] {
        assert_eq!(installed_version(home.path()), Some(2));
    }

    let a_log = wire.part(&[(m0, m1), (m2, m3)], "a.jsonl");
    let b_log = wire.part(&[(m1, m2), (m3, m4)], "b.jsonl");
    let said = check_wire(
        &a_log,
        &["--kind", "sync", "--same-as", b_log.to_str().unwrap()],
    );
    println!("reqwest, sync: {said}");
    // The record is the server's view: it saw every request the CLI made.
    assert_eq!(
        server.requests().len(),
        std::fs::read_to_string(wire.everything())
            .unwrap()
            .matches("\"event\": \"request\"")
            .count()
    );
}

#[test]
fn through_a_socks5_proxy_every_connection_names_the_host_and_nothing_is_looked_up_locally() {
    let publisher = Publisher::new("wire-ngo");
    publisher.publish(&publisher.pack(PACK, 1, 300, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    // `.invalid` never resolves: a transport that looked the name up
    // itself would fail before reaching the proxy. `localhost` does
    // resolve: a transport that looked it up would hand the proxy an
    // address. Both spellings of a SOCKS5 proxy leave the name to it.
    for name in ["sync.waymark.invalid", "localhost"] {
        let wire = Wire::start_mapping(server.addr().port(), name);
        let socks = wire.socks.unwrap();
        for scheme in ["socks5h", "socks5"] {
            let home = phone(&publisher, &format!("http://{name}/"));
            let proxy = format!("{scheme}://127.0.0.1:{socks}");
            let from = wire.mark();
            waymark(home.path(), &["sync", "--proxy", &proxy]);
            assert_eq!(installed_version(home.path()), Some(1), "{name} {scheme}");
            let log = wire.part(&[(from, wire.mark())], &format!("{scheme}.jsonl"));
            let said = check_wire(&log, &["--kind", "sync", "--socks"]);
            println!("reqwest, sync from {name} through {scheme}: {said}");
        }
    }
}

/// `waymark --home HOME ARGS…` with a passphrase, cheap KDF settings and
/// the WebDAV password (for a vault's commands), which must succeed;
/// returns its stdout.
fn waymark(home: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(bin("waymark"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("WAYMARK_PASSPHRASE", "wire test passphrase")
        .env("WAYMARK_NEW_PASSPHRASE", "wire test passphrase")
        .env("WAYMARK_KDF_MEMORY_KIB", "64")
        .env("WAYMARK_KDF_ITERATIONS", "1")
        .env("WAYMARK_WEBDAV_PASSWORD", "s3cret")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("waymark runs");
    assert!(
        out.status.success(),
        "waymark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_backup_and_its_restore_send_only_the_documented_headers_directly_and_through_socks5() {
    let served = tempfile::tempdir().unwrap();
    let root = served.path().join("dav");
    std::fs::create_dir(&root).unwrap();
    let dav = wsgidav(&root);
    // Plain HTTP carries credentials only to this machine: 127.0.0.1
    // directly, `localhost` through the proxy (a name that resolves, so a
    // lookup on the phone would show as an address).
    for socks in [false, true] {
        let (wire, base) = if socks {
            let wire = Wire::start_mapping(dav.port, "localhost");
            (wire, "http://localhost".to_owned())
        } else {
            let wire = Wire::start(dav.port, false);
            let base = format!("http://127.0.0.1:{}", wire.http);
            (wire, base)
        };
        let proxy = socks.then(|| format!("socks5h://127.0.0.1:{}", wire.socks.unwrap()));
        let folder = if proxy.is_some() { "socks" } else { "direct" };
        let url = format!("{base}/backups/{folder}");
        let mut with_proxy: Vec<&str> = Vec::new();
        if let Some(p) = &proxy {
            with_proxy = vec!["--proxy", p];
        }

        let phone = tempfile::tempdir().unwrap();
        waymark(phone.path(), &["vault", "init"]);
        let scan = phone.path().join("scan.jpg");
        std::fs::write(&scan, b"WIRE-MARKER a scan").unwrap();
        waymark(
            phone.path(),
            &[
                "vault",
                "add",
                scan.to_str().unwrap(),
                "--kind",
                "passport",
                "--title",
                "P",
            ],
        );
        waymark(
            phone.path(),
            &["backup", "remote", "set", &url, "--username", "alice"],
        );
        let from = wire.mark();
        let now = [&["backup", "now"][..], &with_proxy].concat();
        waymark(phone.path(), &now);
        waymark(phone.path(), &now);
        let new_phone = tempfile::tempdir().unwrap();
        let restore = [
            &["backup", "restore", "--from", &url, "--username", "alice"][..],
            &with_proxy,
        ]
        .concat();
        waymark(new_phone.path(), &restore);
        assert!(
            waymark(new_phone.path(), &["vault", "list"]).contains('P'),
            "restored"
        );
        let log = wire.part(&[(from, wire.mark())], "backup.jsonl");
        let mut args = vec!["--kind", "backup"];
        if proxy.is_some() {
            args.push("--socks");
        }
        let said = check_wire(&log, &args);
        println!("reqwest, backup and restore ({folder}): {said}");
    }
}
