//! Publishers and phones for end-to-end tests.
//!
//! A [`Publisher`] runs the real `waymark-pack` binary (keygen, publish,
//! rotate-key) on a repository in a temporary directory; a [`Phone`] is a
//! `waymark-core` content store with its own clock, syncing over real HTTP.
//! The binaries are the ones `cargo test --workspace --all-features` builds
//! beside the test executables (see [`bin`]).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use waymark_core::clock::ManualClock;
use waymark_core::content::model::Entry;
use waymark_core::content::pack::pack_content;
use waymark_core::content::synthetic;
use waymark_core::content::{ContentStore, SearchQuery, TrustRequest};
use waymark_core::sync::{
    CancelToken, Http, HttpConfig, SyncEvent, SyncListener, SyncOptions, SyncReport, Syncer,
};

/// A workspace binary, built by `cargo test --workspace --all-features`
/// next to the test executables (`target/<profile>/`).
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test --workspace --all-features` (it builds every binary)",
        path.display()
    );
    path
}

/// Runs a binary; panics with its stderr unless it succeeds.
pub fn run_ok<S: AsRef<OsStr>>(name: &str, args: &[S]) -> Output {
    let out = run(name, args);
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a binary.
pub fn run<S: AsRef<OsStr>>(name: &str, args: &[S]) -> Output {
    Command::new(bin(name))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A publisher: keys and a TUF repository written by `waymark-pack`.
pub struct Publisher {
    /// Its id, as its packs name it.
    pub id: String,
    dir: tempfile::TempDir,
}

impl Publisher {
    /// A new publisher with fresh keys and no repository yet.
    pub fn new(id: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let keys = dir.path().join("keys");
        run_ok(
            "waymark-pack",
            &[OsStr::new("keygen"), "--out".as_ref(), keys.as_os_str()],
        );
        Publisher { id: id.into(), dir }
    }

    /// The repository directory (serve this).
    pub fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// The key directory.
    pub fn keys(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    /// Writes a synthetic pack of `n` entries (compressed as hard as
    /// `waymark-pack build` does) in which every entry at a position
    /// divisible by `change_every` (if any) differs from version 1's.
    pub fn pack(&self, pack: &str, version: u64, n: usize, change_every: Option<usize>) -> PathBuf {
        let mut entries = synthetic::entries(n, 7);
        if let Some(k) = change_every {
            for e in entries.iter_mut().step_by(k) {
                *e = reverified(e, version);
            }
        }
        let manifest = synthetic::manifest(&self.id, pack, version);
        let content = pack_content(&manifest, &entries).expect("pack content");
        let bytes = zstd::encode_all(&content[..], 19).expect("zstd");
        let path = self.dir.path().join(format!("{pack}-{version}.wmpack"));
        std::fs::write(&path, bytes).expect("pack written");
        path
    }

    /// `waymark-pack publish` with extra flags.
    pub fn publish(&self, pack: &Path, extra: &[&str]) {
        let mut args: Vec<OsString> = vec![
            "publish".into(),
            pack.into(),
            "--repo".into(),
            self.repo().into(),
            "--keys".into(),
            self.keys().into(),
        ];
        args.extend(extra.iter().map(OsString::from));
        run_ok("waymark-pack", &args);
    }

    /// `waymark-pack rotate-key ROLE`.
    pub fn rotate(&self, role: &str) {
        let args: [OsString; 6] = [
            "rotate-key".into(),
            role.into(),
            "--keys".into(),
            self.keys().into(),
            "--repo".into(),
            self.repo().into(),
        ];
        run_ok("waymark-pack", &args);
    }

    /// A metadata file of the repository, as published.
    pub fn metadata(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.repo().join("metadata").join(name)).expect("metadata file")
    }

    /// The publisher card.
    pub fn card(&self) -> Vec<u8> {
        std::fs::read(self.repo().join("publisher.json")).expect("publisher.json")
    }

    /// The current targets path of a pack's file on the server
    /// (`/targets/packs/<sha256>.<id>.wmpack`) and its length.
    pub fn pack_file(&self, pack: &str) -> (String, u64) {
        let dir = self.repo().join("targets/packs");
        let targets: serde_json::Value = serde_json::from_slice(&self.current("targets")).unwrap();
        let file = &targets["signed"]["targets"][format!("packs/{pack}.wmpack")];
        let hash = file["hashes"]["sha256"]
            .as_str()
            .expect("a sha256")
            .to_owned();
        let name = format!("{hash}.{pack}.wmpack");
        assert!(dir.join(&name).exists());
        (
            format!("/targets/packs/{name}"),
            file["length"].as_u64().unwrap(),
        )
    }

    /// The current metadata of a role, as the timestamp and snapshot name
    /// it (consistent snapshots).
    pub fn current(&self, role: &str) -> Vec<u8> {
        let ts: serde_json::Value =
            serde_json::from_slice(&self.metadata("timestamp.json")).unwrap();
        if role == "timestamp" {
            return self.metadata("timestamp.json");
        }
        let s_v = ts["signed"]["meta"]["snapshot.json"]["version"]
            .as_u64()
            .unwrap();
        let snapshot = self.metadata(&format!("{s_v}.snapshot.json"));
        if role == "snapshot" {
            return snapshot;
        }
        let snap: serde_json::Value = serde_json::from_slice(&snapshot).unwrap();
        let t_v = snap["signed"]["meta"][format!("{role}.json")]["version"]
            .as_u64()
            .unwrap();
        self.metadata(&format!("{t_v}.{role}.json"))
    }
}

/// The same entry, re-verified by the publisher on a later date (a small,
/// realistic change).
fn reverified(e: &Entry, version: u64) -> Entry {
    let json = serde_json::to_string(e).expect("entry JSON");
    let day = 1 + (version % 27);
    let changed = json.replace("\"2026-10-01\"", &format!("\"2026-11-{day:02}\""));
    Entry::from_json(&changed).expect("still an entry")
}

/// A phone: a content store with a clock the test moves.
pub struct Phone {
    /// The content store.
    pub store: ContentStore,
    /// Its clock.
    pub clock: Arc<ManualClock>,
    /// Keeps the phone's data directory alive as long as the phone.
    _dir: tempfile::TempDir,
}

impl Phone {
    /// A phone whose clock reads now.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let store = ContentStore::open_with_clock(&dir.path().join("content"), clock.clone())
            .expect("content store");
        Phone {
            store,
            clock,
            _dir: dir,
        }
    }

    /// The content store's database file, for tests that look inside.
    pub fn content_db(&self) -> std::path::PathBuf {
        self._dir.path().join("content").join("content.db")
    }

    /// Trusts `publisher`, syncing from `url`.
    pub fn trust(&self, publisher: &Publisher, url: &str) {
        self.store
            .trust_publisher(
                &publisher.card(),
                &TrustRequest {
                    url: Some(url.into()),
                    ..Default::default()
                },
            )
            .expect("trusted");
    }

    /// Trusts `publisher` with no repository URL: this phone gets packs
    /// only from files.
    pub fn trust_offline(&self, publisher: &Publisher) {
        self.store
            .trust_publisher(&publisher.card(), &TrustRequest::default())
            .expect("trusted");
    }

    /// Syncs with `http` and default options, recording the events.
    pub fn sync(&self, http: &Http) -> (waymark_core::Result<SyncReport>, Vec<SyncEvent>) {
        self.sync_with(http, &SyncOptions::default(), &CancelToken::new())
    }

    /// Syncs with options and a cancel token, recording the events.
    pub fn sync_with(
        &self,
        http: &Http,
        options: &SyncOptions,
        cancel: &CancelToken,
    ) -> (waymark_core::Result<SyncReport>, Vec<SyncEvent>) {
        let events = Recorder::default();
        let report = Syncer::new(&self.store, http).run(options, &events, cancel);
        (report, events.take())
    }

    /// The installed version of a pack, if any.
    pub fn version(&self, pack: &str) -> Option<u64> {
        self.store
            .packs()
            .expect("packs")
            .into_iter()
            .find(|p| p.manifest.id == pack)
            .map(|p| p.manifest.version)
    }

    /// Hits for a query (the content must stay searchable throughout).
    pub fn hits(&self, query: &str) -> usize {
        self.store
            .search(&SearchQuery::new(query))
            .expect("search works")
            .hits
            .len()
    }

    /// Moves the phone's clock.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }
}

impl Default for Phone {
    fn default() -> Self {
        Self::new()
    }
}

/// A listener that keeps every event.
#[derive(Default)]
pub struct Recorder(Mutex<Vec<SyncEvent>>);

impl Recorder {
    /// The events so far.
    pub fn take(&self) -> Vec<SyncEvent> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl SyncListener for Recorder {
    fn on_event(&self, event: &SyncEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

/// An HTTP client for tests: quick retries, short timeouts.
pub fn test_http() -> Http {
    Http::new(test_config()).expect("HTTP client")
}

/// The configuration of [`test_http`].
pub fn test_config() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(3),
        retries: 3,
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(2),
        ..HttpConfig::default()
    }
}
