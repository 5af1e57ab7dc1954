//! `--to s3://BUCKET/PREFIX`: `publish`, `refresh` and `upload` against a
//! real S3 API server (moto's, from PyPI, which `scripts/test` installs into
//! the target directory), and a phone syncing from the bucket over HTTP.

#[allow(dead_code)]
mod common;
use common::{files_under, pack_file, s};

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use waymark_core::content::{ContentStore, TrustRequest};
use waymark_core::sync::{
    CancelToken, Http, HttpConfig, PublisherStatus, SyncOptions, Syncer, no_listener,
};

const BUCKET: &str = "waymark-test";

/// moto's S3 server on a free loopback port, stopped on drop.
struct S3Server {
    child: Child,
    /// The endpoint, e.g. http://127.0.0.1:PORT.
    endpoint: String,
}

/// `moto_server`: WAYMARK_MOTO_SERVER, else where `scripts/test` puts it.
fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("WAYMARK_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    // CARGO_BIN_EXE is TARGET/PROFILE/waymark-pack.
    let target = Path::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .parent()
        .and_then(Path::parent)
        .expect("the target directory");
    target.join("moto/bin/moto_server")
}

impl S3Server {
    fn start() -> Self {
        Self::start_with(&[])
    }

    /// With moto's settings in `env`, e.g. `INITIAL_NO_AUTH_ACTION_COUNT`
    /// (after that many requests, only keys moto knows are accepted).
    fn start_with(env: &[(&str, &str)]) -> Self {
        let exe = moto_server();
        assert!(
            exe.is_file(),
            "moto's S3 server is not installed at {}: run scripts/test once (it installs \
             moto[server] into TARGET/moto), or set WAYMARK_MOTO_SERVER to a moto_server",
            exe.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        // A TCP connection, not a request: a request would count as an
        // action towards INITIAL_NO_AUTH_ACTION_COUNT.
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Makes `bucket`, readable by anyone (as a bucket phones sync from is).
    fn make_public_bucket(&self, bucket: &str) {
        let url = format!("{}/{bucket}", self.endpoint);
        assert!(http().put(&url).send().unwrap().status().is_success());
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{bucket}/*"),
            }],
        });
        let r = http()
            .put(format!("{url}?policy"))
            .header("content-type", "application/json")
            .body(policy.to_string())
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{r:?}");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// `waymark-pack ARGS` with test credentials and no other AWS setting.
fn waymark_pack(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waymark-pack"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn ok(args: &[&str], env: &[(&str, &str)]) -> String {
    common::succeeded(args, waymark_pack(args, env))
}

fn failing(args: &[&str], env: &[(&str, &str)]) -> String {
    common::failed(args, waymark_pack(args, env))
}

/// What one upload reported.
#[derive(Debug)]
struct Upload {
    /// The files uploaded, in order.
    files: Vec<String>,
    bytes: u64,
    skipped: usize,
}

fn upload_report(stdout: &str) -> Upload {
    let files = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("uploaded    "))
        .map(|l| l.split(" (").next().unwrap().to_owned())
        .collect();
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("uploaded ") && l.contains(" files ("))
        .unwrap_or_else(|| panic!("no summary in {stdout}"));
    let numbers: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    // "uploaded N files (B bytes); skipped M already in the bucket (C bytes)"
    Upload {
        files,
        bytes: numbers[1],
        skipped: numbers[2] as usize,
    }
}

/// Files named by their hash or version: never uploaded twice.
fn immutable(name: &str) -> bool {
    name.starts_with("targets/")
        || name
            .strip_prefix("metadata/")
            .is_some_and(|n| n.split('.').next().unwrap().parse::<u64>().is_ok())
}

/// The safe order: content, then versioned metadata, then the rest, the
/// timestamp last of all.
fn assert_safe_order(files: &[String]) {
    assert_eq!(
        files.last().map(String::as_str),
        Some("metadata/timestamp.json"),
        "{files:?}"
    );
    let stage = |f: &str| {
        if f.starts_with("targets/") {
            0
        } else if immutable(f) {
            1
        } else if f == "metadata/timestamp.json" {
            3
        } else {
            2
        }
    };
    assert!(
        files.windows(2).all(|w| stage(&w[0]) <= stage(&w[1])),
        "{files:?}"
    );
}

struct Phone {
    store: ContentStore,
    http: Http,
    _dir: tempfile::TempDir,
}

impl Phone {
    fn new(card: &[u8], url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(&dir.path().join("content")).unwrap();
        store
            .trust_publisher(
                card,
                &TrustRequest {
                    url: Some(url.into()),
                    ..Default::default()
                },
            )
            .expect("trusted");
        let http = Http::new(HttpConfig {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            retries: 1,
            ..HttpConfig::default()
        })
        .unwrap();
        Phone {
            store,
            http,
            _dir: dir,
        }
    }

    fn sync(&self) -> PublisherStatus {
        let report = Syncer::new(&self.store, &self.http)
            .run(&SyncOptions::default(), &no_listener(), &CancelToken::new())
            .expect("a sync runs");
        let p = report.publishers.into_iter().next().unwrap();
        assert_eq!(p.error, None);
        p.status
    }

    fn installed(&self) -> Option<u64> {
        self.store
            .packs()
            .unwrap()
            .into_iter()
            .find(|p| p.manifest.id == "interop")
            .map(|p| p.manifest.version)
    }
}

#[test]
fn publish_to_a_bucket_a_phone_syncs_from_it_and_a_refresh_uploads_only_what_changed() {
    let server = S3Server::start();
    server.make_public_bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    ok(&["keygen", "--out", s(&keys)], &[]);
    let to = format!("s3://{BUCKET}/ngo/repo");
    let v1 = pack_file(dir.path(), 1);
    let publish = |pack: &Path| {
        ok(
            &[
                "publish",
                s(pack),
                "--repo",
                s(&repo),
                "--keys",
                s(&keys),
                "--to",
                &to,
                "--endpoint",
                &server.endpoint,
            ],
            &[],
        )
    };

    // The first publish uploads the whole repository, the timestamp last.
    let said = publish(&v1);
    let first = upload_report(&said);
    println!("first publish: {first:?}");
    let local = files_under(&repo);
    assert_eq!(first.skipped, 0);
    assert_eq!(first.files.len(), local.len(), "{said}");
    assert_eq!(
        first.bytes,
        local.values().map(|b| b.len() as u64).sum::<u64>()
    );
    assert_safe_order(&first.files);
    let url = format!("{}/{BUCKET}/ngo/repo", server.endpoint);
    assert!(said.contains(&format!("served at   {url}/ ")), "{said}");

    // What phones and CDNs are told about caching.
    let get = |name: &str| {
        let r = http().get(format!("{url}/{name}")).send().unwrap();
        assert!(r.status().is_success(), "{name}: {}", r.status());
        let h = |k: &str| r.headers()[k].to_str().unwrap().to_owned();
        (h("cache-control"), h("content-type"))
    };
    assert_eq!(
        get("metadata/timestamp.json"),
        ("public, max-age=60".into(), "application/json".into())
    );
    assert_eq!(
        get("metadata/1.root.json"),
        (
            "public, max-age=31536000, immutable".into(),
            "application/json".into()
        )
    );
    let pack = first.files.iter().find(|f| f.ends_with(".wmpack")).unwrap();
    assert_eq!(
        get(pack),
        (
            "public, max-age=31536000, immutable".into(),
            "application/octet-stream".into()
        )
    );

    // A phone syncs from the bucket and installs the pack.
    let phone = Phone::new(&local["publisher.json"], &url);
    assert_eq!(phone.sync(), PublisherStatus::Updated);
    assert_eq!(phone.installed(), Some(1));

    // A refresh (endpoint from AWS_ENDPOINT_URL this time) uploads the new
    // timestamp and what embeds it, nothing named by hash or version.
    let said = ok(
        &[
            "refresh",
            "--repo",
            s(&repo),
            "--keys",
            s(&keys),
            "--to",
            &to,
        ],
        &[("AWS_ENDPOINT_URL", &server.endpoint)],
    );
    let refresh = upload_report(&said);
    println!("refresh: {refresh:?}");
    assert_safe_order(&refresh.files);
    assert!(!refresh.files.iter().any(|f| immutable(f)), "{said}");
    assert_eq!(
        refresh.files.len() + refresh.skipped,
        files_under(&repo).len()
    );
    assert!(refresh.skipped >= 4, "{said}");
    assert!(refresh.bytes < first.bytes);
    assert_eq!(phone.sync(), PublisherStatus::UpToDate);

    // Nothing changed since: nothing is uploaded.
    let again = upload_report(&ok(
        &["upload", "--repo", s(&repo), "--to", &to],
        &[("AWS_ENDPOINT_URL", &server.endpoint)],
    ));
    assert_eq!((again.files.len(), again.bytes), (0, 0));

    // A new version: its pack and patch, new metadata, the timestamp last;
    // version 1's pack stays for phones (and caches) that still name it.
    let said = publish(&pack_file(dir.path(), 2));
    let second = upload_report(&said);
    assert_safe_order(&second.files);
    assert!(
        second.files.iter().any(|f| f.ends_with(".wmpatch")),
        "{said}"
    );
    assert!(!second.files.contains(pack), "{said}");
    assert_eq!(get(pack).1, "application/octet-stream");
    assert_eq!(phone.sync(), PublisherStatus::Updated);
    assert_eq!(phone.installed(), Some(2));
}

#[test]
fn bucket_problems_stop_publish_before_anything_is_signed() {
    let server = S3Server::start();
    server.make_public_bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    ok(&["keygen", "--out", s(&keys)], &[]);
    let v1 = pack_file(dir.path(), 1);
    let publish_to = |to: &str, endpoint: &str| {
        failing(
            &[
                "publish",
                s(&v1),
                "--repo",
                s(&repo),
                "--keys",
                s(&keys),
                "--to",
                to,
                "--endpoint",
                endpoint,
            ],
            &[],
        )
    };

    let why = publish_to("s3://no-such-bucket/x", &server.endpoint);
    assert!(why.contains("bucket 'no-such-bucket' not found"), "{why}");
    // A closed port.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let why = publish_to(&format!("s3://{BUCKET}/x"), &closed);
    assert!(why.contains("cannot reach"), "{why}");
    let why = publish_to(&format!("s3://{BUCKET}/x"), "http://s3.example.org");
    assert!(why.contains("plain http"), "{why}");
    let why = publish_to(&format!("https://{BUCKET}/x"), &server.endpoint);
    assert!(why.contains("expected s3://BUCKET/PREFIX"), "{why}");
    assert!(!repo.exists(), "nothing was published locally");
}

#[test]
fn an_older_copy_of_the_repository_is_never_uploaded_over_a_newer_one() {
    let server = S3Server::start();
    server.make_public_bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    let old = dir.path().join("old");
    ok(&["keygen", "--out", s(&keys)], &[]);
    let to = format!("s3://{BUCKET}/ngo");
    let env = [("AWS_ENDPOINT_URL", server.endpoint.as_str())];
    let v1 = pack_file(dir.path(), 1);
    ok(
        &[
            "publish",
            s(&v1),
            "--repo",
            s(&repo),
            "--keys",
            s(&keys),
            "--to",
            &to,
        ],
        &env,
    );
    common::copy_dir(&repo, &old);
    ok(
        &[
            "refresh",
            "--repo",
            s(&repo),
            "--keys",
            s(&keys),
            "--to",
            &to,
        ],
        &env,
    );
    let live = || {
        http()
            .get(format!(
                "{}/{BUCKET}/ngo/metadata/timestamp.json",
                server.endpoint
            ))
            .send()
            .unwrap()
            .bytes()
            .unwrap()
    };
    let before = live();

    let why = failing(&["upload", "--repo", s(&old), "--to", &to], &env);
    assert!(why.contains("newer repository"), "{why}");
    // A fresh folder, as on a new laptop, is no better.
    let why = failing(
        &[
            "publish",
            s(&v1),
            "--repo",
            s(&dir.path().join("fresh")),
            "--keys",
            s(&keys),
            "--to",
            &to,
        ],
        &env,
    );
    assert!(why.contains("newer repository"), "{why}");
    assert!(!dir.path().join("fresh").exists());
    assert_eq!(live(), before);
}

#[test]
fn refused_credentials_stop_publish_before_anything_is_signed() {
    // One request without checks (making the bucket), then only keys moto
    // knows, which "test" is not.
    let server = S3Server::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "1")]);
    let url = format!("{}/{BUCKET}", server.endpoint);
    assert!(http().put(&url).send().unwrap().status().is_success());
    let dir = tempfile::tempdir().unwrap();
    let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
    ok(&["keygen", "--out", s(&keys)], &[]);
    let v1 = pack_file(dir.path(), 1);
    let why = failing(
        &[
            "publish",
            s(&v1),
            "--repo",
            s(&repo),
            "--keys",
            s(&keys),
            "--to",
            &format!("s3://{BUCKET}/x"),
            "--endpoint",
            &server.endpoint,
        ],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t-never-printed"),
        ],
    );
    assert!(why.contains("refused the credentials"), "{why}");
    assert!(why.contains("InvalidAccessKeyId"), "{why}");
    assert!(!why.contains("s3cr3t-never-printed"), "{why}");
    assert!(!repo.exists(), "nothing was published locally");
}
