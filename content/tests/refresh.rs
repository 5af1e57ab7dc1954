//! `waymark-pack refresh` keeps phones syncing when nothing new is
//! published, with the online keys only.
//!
//! Time is simulated on both sides: `waymark-pack` signs at the time in
//! `WAYMARK_PACK_NOW`, and the phone is a real content store whose clock
//! (`ContentStore::open_with_clock`, the clock its TUF client checks expiry
//! against) the test moves. The phone syncs over real HTTP from
//! `waymark-pack serve`.

#[allow(dead_code)]
mod common;
use common::{Server, pack_file, s};

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use waymark_core::clock::ManualClock;
use waymark_core::content::{ContentStore, TrustRequest};
use waymark_core::sync::{
    CancelToken, Http, HttpConfig, PublisherReport, PublisherStatus, SyncOptions, Syncer,
    no_listener,
};

/// `waymark-pack ARGS` as if it were `at`.
fn waymark_pack_at(at: DateTime<Utc>, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .env("WAYMARK_PACK_NOW", at.to_rfc3339())
        .output()
        .unwrap()
}

/// The same, which must succeed; its stdout and stderr.
fn ok_at(at: DateTime<Utc>, args: &[&str]) -> (String, String) {
    let out = waymark_pack_at(at, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "waymark-pack {args:?}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// A publisher with keys and a repository holding pack `interop` version 1,
/// published at `t0`.
struct Publisher {
    dir: tempfile::TempDir,
}

impl Publisher {
    fn new(t0: DateTime<Utc>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = Publisher { dir };
        ok_at(t0, &["keygen", "--out", s(&p.keys())]);
        let v1 = pack_file(p.dir.path(), 1);
        p.publish(t0, &v1);
        p
    }

    fn keys(&self) -> std::path::PathBuf {
        self.dir.path().join("keys")
    }

    fn repo(&self) -> std::path::PathBuf {
        self.dir.path().join("repo")
    }

    fn publish(&self, at: DateTime<Utc>, pack: &Path) -> (String, String) {
        ok_at(
            at,
            &[
                "publish",
                s(pack),
                "--repo",
                s(&self.repo()),
                "--keys",
                s(&self.keys()),
            ],
        )
    }

    fn refresh_args<'a>(&'a self, repo: &'a str, keys: &'a str) -> Vec<&'a str> {
        vec!["refresh", "--repo", repo, "--keys", keys]
    }

    fn refresh(&self, at: DateTime<Utc>) -> (String, String) {
        let (repo, keys) = (self.repo(), self.keys());
        ok_at(at, &self.refresh_args(s(&repo), s(&keys)))
    }

    /// Moves the root key (private and public) out of the key directory,
    /// as a publisher who keeps it offline does.
    fn take_root_key_offline(&self) {
        let offline = self.dir.path().join("offline");
        std::fs::create_dir_all(&offline).unwrap();
        for f in ["root.key", "root.pub"] {
            std::fs::rename(self.keys().join(f), offline.join(f)).unwrap();
        }
        let left: Vec<String> = std::fs::read_dir(self.keys())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!left.iter().any(|f| f.starts_with("root")), "{left:?}");
    }

    fn root_version(&self) -> u64 {
        let root: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.repo().join("metadata/root.json")).unwrap())
                .unwrap();
        root["signed"]["version"].as_u64().unwrap()
    }
}

/// A phone whose TUF client checks expiry against a clock the test moves.
struct Phone {
    store: ContentStore,
    clock: Arc<ManualClock>,
    http: Http,
    _dir: tempfile::TempDir,
}

impl Phone {
    /// A phone at `t0` that trusts `publisher`, served at `url`.
    fn new(t0: DateTime<Utc>, publisher: &Publisher, url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(t0));
        let store = ContentStore::open_with_clock(&dir.path().join("content"), clock.clone())
            .expect("content store");
        let card = std::fs::read(publisher.repo().join("publisher.json")).unwrap();
        store
            .trust_publisher(
                &card,
                &TrustRequest {
                    url: Some(url.into()),
                    ..Default::default()
                },
            )
            .expect("trusted");
        let http = Http::new(HttpConfig {
            connect_timeout: std::time::Duration::from_secs(5),
            read_timeout: std::time::Duration::from_secs(5),
            retries: 1,
            backoff_base: std::time::Duration::from_millis(10),
            backoff_max: std::time::Duration::from_millis(50),
            ..HttpConfig::default()
        })
        .unwrap();
        Phone {
            store,
            clock,
            http,
            _dir: dir,
        }
    }

    fn sync(&self) -> PublisherReport {
        let report = Syncer::new(&self.store, &self.http)
            .run(&SyncOptions::default(), &no_listener(), &CancelToken::new())
            .expect("a sync runs");
        assert_eq!(report.publishers.len(), 1);
        report.publishers.into_iter().next().unwrap()
    }

    fn installed(&self, pack: &str) -> Option<u64> {
        self.store
            .packs()
            .unwrap()
            .into_iter()
            .find(|p| p.manifest.id == pack)
            .map(|p| p.manifest.version)
    }
}

fn start() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

#[test]
fn refresh_keeps_a_phone_syncing_for_30_days_with_nothing_new_published() {
    let t0 = start();
    let publisher = Publisher::new(t0);
    let server = Server::start(&publisher.repo());
    let phone = Phone::new(t0, &publisher, &server.url);
    let first = phone.sync();
    assert_eq!(first.status, PublisherStatus::Updated, "{first:?}");
    assert_eq!(phone.installed("interop"), Some(1));

    let mut renewed_snapshot = false;
    for day in 1..=30 {
        // The publisher's daily job runs an hour before the phone looks.
        let (said, _) = publisher.refresh(t0 + Duration::days(day) - Duration::hours(1));
        assert!(said.contains("timestamp version"), "day {day}: {said}");
        renewed_snapshot |= said.contains("snapshot version");
        phone.clock.advance(Duration::days(1));
        let report = phone.sync();
        assert_eq!(
            (report.status, report.error.as_deref()),
            (PublisherStatus::UpToDate, None),
            "day {day}"
        );
    }
    // The snapshot (30 days) had to be renewed on the way; the root (365)
    // did not, and was not.
    assert!(renewed_snapshot);
    assert_eq!(publisher.root_version(), 1);
    assert_eq!(phone.installed("interop"), Some(1));

    // Without a refresh, the next day's sync fails: the timestamp expired.
    phone.clock.advance(Duration::days(1));
    let stale = phone.sync();
    assert_eq!(stale.status, PublisherStatus::Failed);
    let why = stale.error.unwrap();
    assert!(
        why.contains("timestamp") && why.contains("expired"),
        "{why}"
    );
    // And a refresh mends it.
    publisher.refresh(t0 + Duration::days(31) + Duration::hours(1));
    phone.clock.advance(Duration::hours(2));
    assert_eq!(phone.sync().status, PublisherStatus::UpToDate);
}

#[test]
fn publish_and_refresh_run_with_no_root_key_present() {
    let t0 = start();
    let publisher = Publisher::new(t0);
    publisher.take_root_key_offline();

    let v2 = pack_file(publisher.dir.path(), 2);
    publisher.publish(t0 + Duration::hours(2), &v2);
    publisher.refresh(t0 + Duration::hours(3));
    assert_eq!(publisher.root_version(), 1);

    // A phone that trusts the publisher takes version 2 at once.
    let server = Server::start(&publisher.repo());
    let phone = Phone::new(t0 + Duration::hours(4), &publisher, &server.url);
    let report = phone.sync();
    assert_eq!(report.status, PublisherStatus::Updated, "{report:?}");
    assert_eq!(phone.installed("interop"), Some(2));
}

#[test]
fn creating_a_repository_without_the_root_key_fails_and_writes_nothing() {
    let t0 = start();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    ok_at(
        t0,
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
    );
    let repo = dir.path().join("repo");
    let v1 = pack_file(dir.path(), 1);
    let out = waymark_pack_at(
        t0,
        &["publish", s(&v1), "--repo", s(&repo), "--keys", s(&keys)],
    );
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("root"), "{said}");
    assert!(!repo.exists() || common::files_under(&repo).is_empty());
}

#[test]
fn refresh_warns_about_the_root_and_names_its_key_then_renews_it_when_given() {
    let t0 = start();
    let publisher = Publisher::new(t0);
    publisher.take_root_key_offline();
    let offline_root = publisher.dir.path().join("offline/root.key");

    // Root lives 365 days: 20 days before its end, refresh still works
    // with the online keys, and says the root key will be needed.
    let late = t0 + Duration::days(345);
    let (_, warned) = publisher.refresh(late);
    assert!(
        warned.contains("warning: the root metadata expires") && warned.contains("root key"),
        "{warned}"
    );
    assert!(warned.contains("--renew root"), "{warned}");
    assert_eq!(publisher.root_version(), 1);

    // With the root key at hand, it is renewed: a new root version that
    // lives a year from now, and no warning.
    let (repo, keys) = (publisher.repo(), publisher.keys());
    let key_arg = format!("root={}", offline_root.display());
    let mut args = publisher.refresh_args(s(&repo), s(&keys));
    args.extend(["--key", &key_arg]);
    let (said, stderr) = ok_at(late, &args);
    assert!(said.contains("root version 2"), "{said}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_eq!(publisher.root_version(), 2);

    // A phone that trusted version 1 follows it, a year on.
    let server = Server::start(&publisher.repo());
    let phone = Phone::new(t0, &publisher, &server.url);
    phone.clock.advance(Duration::days(366));
    publisher.refresh(t0 + Duration::days(366) - Duration::hours(1));
    let report = phone.sync();
    assert_eq!(report.status, PublisherStatus::Updated, "{report:?}");
}

#[test]
fn refresh_refuses_when_the_root_has_expired_and_its_key_is_away_writing_nothing() {
    let t0 = start();
    let publisher = Publisher::new(t0);
    publisher.take_root_key_offline();
    let before = common::files_under(&publisher.repo());
    let (repo, keys) = (publisher.repo(), publisher.keys());
    let out = waymark_pack_at(
        t0 + Duration::days(400),
        &publisher.refresh_args(s(&repo), s(&keys)),
    );
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("root metadata expired") && said.contains("nothing was written"),
        "{said}"
    );
    assert_eq!(common::files_under(&publisher.repo()), before);
}

#[test]
fn refresh_of_a_directory_with_no_repository_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    ok_at(start(), &["keygen", "--out", s(&keys)]);
    let repo = dir.path().join("nothing-here");
    let out = waymark_pack_at(
        start(),
        &["refresh", "--repo", s(&repo), "--keys", s(&keys)],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no repository"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!repo.exists());
}

#[test]
fn a_repository_restored_from_an_older_copy_is_refused_by_publish_and_refresh_writing_nothing() {
    let t0 = start();
    let publisher = Publisher::new(t0);
    let (repo, keys) = (publisher.repo(), publisher.keys());
    let old_copy = publisher.dir.path().join("backup-old");
    common::copy_dir(&repo, &old_copy);
    let v2 = pack_file(publisher.dir.path(), 2);
    publisher.publish(t0 + Duration::hours(1), &v2);
    publisher.refresh(t0 + Duration::hours(2));
    let newest = publisher.dir.path().join("backup-newest");
    common::copy_dir(&repo, &newest);

    // The repository directory is replaced by the older backup.
    std::fs::remove_dir_all(&repo).unwrap();
    common::copy_dir(&old_copy, &repo);
    let (repo_before, keys_before) = (common::files_under(&repo), common::files_under(&keys));
    let v3 = pack_file(publisher.dir.path(), 3);
    let publish = ["publish", s(&v3), "--repo", s(&repo), "--keys", s(&keys)];
    let refresh = publisher.refresh_args(s(&repo), s(&keys));
    for args in [&publish[..], &refresh[..]] {
        let out = waymark_pack_at(t0 + Duration::hours(3), args);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} wrote over an older copy");
        assert!(
            said.contains("older copy")
                && said.contains("metadata is version 1, but version 2")
                && said.contains("nothing was written"),
            "{said}"
        );
        assert!(
            common::files_under(&repo) == repo_before,
            "{args:?} changed the repository"
        );
        assert!(
            common::files_under(&keys) == keys_before,
            "{args:?} changed the keys"
        );
    }

    // With the newest copy back, both work again.
    std::fs::remove_dir_all(&repo).unwrap();
    common::copy_dir(&newest, &repo);
    publisher.refresh(t0 + Duration::hours(4));
    publisher.publish(t0 + Duration::hours(5), &v3);
}

#[test]
fn publish_warns_when_the_root_expires_within_30_days_and_names_the_root_key() {
    let t0 = start();
    let publisher = Publisher::new(t0);
    publisher.take_root_key_offline();
    let root: serde_json::Value = serde_json::from_slice(
        &std::fs::read(publisher.repo().join("metadata/root.json")).unwrap(),
    )
    .unwrap();
    let root_id = root["signed"]["roles"]["root"]["keyids"][0]
        .as_str()
        .unwrap()
        .to_owned();

    let v2 = pack_file(publisher.dir.path(), 2);
    let (said, quiet) = publisher.publish(t0 + Duration::days(1), &v2);
    assert!(!quiet.contains("warning"), "{quiet}");
    // It says how long phones can sync without a refresh.
    assert!(said.contains("phones can sync until"), "{said}");

    let v3 = pack_file(publisher.dir.path(), 3);
    let (_, warned) = publisher.publish(t0 + Duration::days(340), &v3);
    assert!(
        warned.contains("warning: the root metadata expires")
            && warned.contains("(in 25 days)")
            && warned.contains(&root_id[..16]),
        "{warned}"
    );
    // Only the root: the online roles were just re-signed.
    assert_eq!(warned.matches("warning:").count(), 1, "{warned}");
}

#[test]
fn publish_refuses_when_the_root_has_expired_and_its_key_is_away_writing_nothing() {
    let t0 = start();
    let publisher = Publisher::new(t0);
    publisher.take_root_key_offline();
    let (repo, keys) = (publisher.repo(), publisher.keys());
    let (repo_before, keys_before) = (common::files_under(&repo), common::files_under(&keys));
    let v2 = pack_file(publisher.dir.path(), 2);
    let out = waymark_pack_at(
        t0 + Duration::days(400),
        &["publish", s(&v2), "--repo", s(&repo), "--keys", s(&keys)],
    );
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("root metadata expired") && said.contains("the root key (key id"),
        "{said}"
    );
    assert!(
        common::files_under(&repo) == repo_before,
        "the repository changed"
    );
    assert!(
        common::files_under(&keys) == keys_before,
        "the keys changed"
    );
}

#[test]
fn a_signing_time_that_is_not_rfc_3339_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(["keygen", "--out", s(&dir.path().join("keys"))])
        .env("WAYMARK_PACK_NOW", "next tuesday")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("WAYMARK_PACK_NOW is not an RFC 3339 time"),
        "{said}"
    );
    assert!(!dir.path().join("keys").exists());
}

#[test]
fn with_only_the_timestamp_key_online_refresh_warns_then_refuses_once_the_snapshot_expired() {
    let t0 = start();
    let publisher = Publisher::new(t0);
    let (repo, keys) = (publisher.repo(), publisher.keys());
    let away = publisher.dir.path().join("away");
    std::fs::create_dir_all(&away).unwrap();
    for f in ["root.key", "targets.key", "snapshot.key"] {
        std::fs::rename(keys.join(f), away.join(f)).unwrap();
    }
    // 20 days on, the snapshot (30 days) is due and its key is not here:
    // the timestamp is re-signed, and the snapshot key is asked for.
    let (said, warned) = publisher.refresh(t0 + Duration::days(20));
    assert!(
        said.contains("refreshed timestamp version") && !said.contains("snapshot version"),
        "{said}"
    );
    assert!(
        warned.contains("warning: the snapshot metadata expires")
            && warned.contains("the snapshot key (key id")
            && warned.contains("snapshot.key"),
        "{warned}"
    );
    // Past its expiry, refresh refuses: a new timestamp would not help.
    let before = common::files_under(&repo);
    let out = waymark_pack_at(
        t0 + Duration::days(31),
        &publisher.refresh_args(s(&repo), s(&keys)),
    );
    assert!(!out.status.success());
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(why.contains("the snapshot metadata expired"), "{why}");
    assert!(common::files_under(&repo) == before);
    // With the snapshot key back, it renews the snapshot (the targets
    // metadata, 59 days from its end, is left alone).
    std::fs::rename(away.join("snapshot.key"), keys.join("snapshot.key")).unwrap();
    let (said, warned) = publisher.refresh(t0 + Duration::days(31));
    assert!(
        said.contains("snapshot version") && !said.contains("targets version"),
        "{said}"
    );
    assert!(!warned.contains("warning"), "{warned}");
}
