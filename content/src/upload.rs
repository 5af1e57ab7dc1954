//! Uploading a repository to an S3-compatible bucket: `publish`, `refresh`
//! and `upload` with `--to s3://BUCKET/PREFIX`.
//!
//! The local repository stays the source of truth; the bucket gets a copy
//! in the order that keeps a phone syncing mid-upload safe (the same order
//! [`crate::repo`] writes files in):
//!
//! 1. `targets/` (packs and patches, named by their hash);
//! 2. versioned metadata, `N.root.json`, `N.targets.json`, `N.snapshot.json`;
//! 3. the other files (`root.json`, `publisher.json`, `bundles/`, `history/`);
//! 4. `metadata/timestamp.json`, last of all: until it lands, phones see the
//!    previous repository, every file of which is still there.
//!
//! Nothing is ever deleted: a phone, a CDN or a cached snapshot may still
//! name an old file. An object the bucket already holds with the same
//! bytes is skipped (its ETag is the MD5 of a single-part upload; a file
//! named by its hash or version is also skipped on its size when the store's
//! ETags are not MD5s), so a daily `refresh --to` uploads a few kilobytes.
//!
//! Cache-Control: [`IMMUTABLE`] on files named by their hash or version,
//! [`SHORT`] on the others, `timestamp.json` included, so a CDN serves a new
//! timestamp within a minute.
//!
//! The S3 client is object_store's (Apache Arrow), over reqwest and rustls
//! with the ring provider. Credentials, region and endpoint come from the
//! standard AWS environment variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` or
//! `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`), or an EC2/ECS role, and from
//! the command's flags ([`S3Options`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectMeta, ObjectStore, ObjectStoreExt, PutOptions,
    PutPayload, RetryConfig,
};

use crate::{Report, fail};

/// Cache-Control of `timestamp.json` and the other files whose bytes change
/// under the same name: a CDN or browser keeps them a minute at most.
pub const SHORT: &str = "public, max-age=60";

/// Cache-Control of files named by their hash (`targets/`) or version
/// (`metadata/N.ROLE.json`): their bytes never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where and how to reach an S3-compatible store (the bucket itself is in
/// `--to`).
#[derive(Debug, Default, clap::Args)]
pub struct S3Options {
    /// The S3 API endpoint of a store other than AWS (MinIO, Cloudflare R2,
    /// Garage, S3Proxy…), e.g. https://ACCOUNT.r2.cloudflarestorage.com.
    /// Default: AWS_ENDPOINT_URL, else AWS S3 in the region.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The bucket's region. Default: AWS_REGION, else AWS_DEFAULT_REGION,
    /// else us-east-1.
    #[arg(long)]
    pub region: Option<String>,
    /// Address the bucket as a host name (https://BUCKET.ENDPOINT/…) instead
    /// of a path (https://ENDPOINT/BUCKET/…). The default on AWS itself;
    /// with --endpoint, path style is the default.
    #[arg(long)]
    pub virtual_hosted: bool,
    /// Allow a plain http:// endpoint that is not on this machine (signed
    /// requests and content then cross the network unencrypted, readable
    /// and replayable). http://127.0.0.1 and http://localhost are always
    /// allowed.
    #[arg(long)]
    pub allow_http: bool,
}

/// `s3://BUCKET/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The bucket.
    pub bucket: String,
    /// The folder in it, without slashes at either end ("" for the top).
    pub prefix: String,
}

impl Destination {
    /// Reads `s3://BUCKET` or `s3://BUCKET/PREFIX`.
    pub fn parse(to: &str) -> Result<Self, Report> {
        let Some(rest) = to.strip_prefix("s3://") else {
            return fail(format!(
                "--to {to}: expected s3://BUCKET/PREFIX (for another host, upload the repository folder yourself: see the README, \"Hosting the repository\")"
            ));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return fail(format!("--to {to}: no bucket name"));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..") {
            return fail(format!("--to {to}: '.' and '..' are not folder names"));
        }
        Ok(Destination {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    fn key(&self, rel: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(rel)
        } else {
            Key::from(format!("{}/{rel}", self.prefix))
        }
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// What an upload did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The files uploaded, in upload order, and their sizes.
    pub uploaded: Vec<(String, u64)>,
    /// How many files the bucket already held.
    pub skipped: usize,
    /// Their bytes.
    pub skipped_bytes: u64,
}

/// The order files go up in: see the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// `targets/…`: named by their hash.
    Content,
    /// `metadata/N.ROLE.json`.
    Versioned,
    /// Everything else but the timestamp.
    Mutable,
    /// `metadata/timestamp.json`.
    Timestamp,
}

impl Stage {
    fn of(rel: &str) -> (Stage, u8, u64) {
        if rel.starts_with("targets/") {
            return (Stage::Content, 0, 0);
        }
        if rel == "metadata/timestamp.json" {
            return (Stage::Timestamp, 0, 0);
        }
        if let Some(name) = rel.strip_prefix("metadata/") {
            let mut parts = name.splitn(3, '.');
            if let (Some(n), Some(role), Some("json")) = (parts.next(), parts.next(), parts.next())
                && let Ok(version) = n.parse::<u64>()
            {
                // Root first (a client updates its root before the rest),
                // then targets before the snapshot that names them.
                let rank = match role {
                    "root" => 0,
                    "targets" => 1,
                    "snapshot" => 2,
                    _ => 3,
                };
                return (Stage::Versioned, rank, version);
            }
        }
        (Stage::Mutable, 0, 0)
    }

    fn cache_control(self) -> &'static str {
        match self {
            Stage::Content | Stage::Versioned => IMMUTABLE,
            Stage::Mutable | Stage::Timestamp => SHORT,
        }
    }
}

/// One local file of the repository.
struct Item {
    rel: String,
    path: PathBuf,
    stage: Stage,
    order: (Stage, u8, u64),
}

/// Every file under `repo` but temporary ones, in upload order.
fn local_files(repo: &Path) -> Result<Vec<Item>, Report> {
    let mut items = Vec::new();
    let mut stack = vec![repo.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            // `.NAME.tmp`: a write in progress (or killed mid-way).
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(repo)
                .expect("under the repository")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let order = Stage::of(&rel);
            items.push(Item {
                rel,
                path,
                stage: order.0,
                order,
            });
        }
    }
    items.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.rel.cmp(&b.rel)));
    Ok(items)
}

/// The `signed.version` of a metadata file's bytes.
fn version_of(bytes: &[u8]) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    v["signed"]["version"].as_u64()
}

/// The local repository's timestamp version (0 when there is none yet).
fn local_timestamp_version(repo: &Path) -> Result<u64, Report> {
    match std::fs::read(repo.join("metadata/timestamp.json")) {
        Ok(bytes) => version_of(&bytes).map(Ok).unwrap_or_else(|| {
            fail(format!(
                "{}: not valid timestamp metadata",
                repo.join("metadata/timestamp.json").display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// A bucket, checked: it exists, the credentials work, and what it holds
/// is listed.
pub struct Bucket {
    rt: tokio::runtime::Runtime,
    store: Arc<dyn ObjectStore>,
    to: Destination,
    /// Where phones read it (no trailing slash).
    url: String,
    /// What the bucket holds under the prefix, by path relative to it.
    remote: HashMap<String, ObjectMeta>,
}

/// True for http://127.0.0.1, http://[::1] and http://localhost (any port).
fn is_loopback(endpoint: &str) -> bool {
    let Some(rest) = endpoint.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Bucket {
    /// Connects to `to` and lists what it holds. Fails, having changed
    /// nothing anywhere, when the bucket is missing, the credentials are
    /// refused or the endpoint cannot be reached.
    pub fn open(to: &Destination, opts: &S3Options) -> Result<Self, Report> {
        // reqwest is built without a crypto provider of its own: rustls
        // uses the process default, ring (as the core's HTTP client does).
        let _ = rustls::crypto::ring::default_provider().install_default();

        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&to.bucket);
        if let Some(region) = &opts.region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &opts.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_config(AmazonS3ConfigKey::S3Endpoint, endpoint);
        }
        let endpoint = builder
            .get_config_value(&AmazonS3ConfigKey::S3Endpoint)
            .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint))
            .map(|e| e.trim_end_matches('/').to_owned());
        let region = builder
            .get_config_value(&AmazonS3ConfigKey::Region)
            .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::DefaultRegion))
            .unwrap_or_else(|| "us-east-1".into());
        builder = builder.with_region(&region);

        let (url, virtual_hosted) = match &endpoint {
            None => (
                format!("https://{}.s3.{region}.amazonaws.com", to.bucket),
                true,
            ),
            Some(e) if !e.starts_with("https://") && !e.starts_with("http://") => {
                return fail(format!(
                    "endpoint {e}: expected a URL starting with https:// (or http:// for a store on this machine)"
                ));
            }
            Some(e) if e.starts_with("http://") && !opts.allow_http && !is_loopback(e) => {
                return fail(format!(
                    "endpoint {e} is plain http: requests and content would cross the network unencrypted. Use https://, or --allow-http if you really mean it"
                ));
            }
            Some(e) if opts.virtual_hosted => {
                let (scheme, host) = e.split_once("://").expect("checked above");
                let bucket_endpoint = format!("{scheme}://{}.{host}", to.bucket);
                builder = builder
                    .with_endpoint(&bucket_endpoint)
                    .with_config(AmazonS3ConfigKey::S3Endpoint, &bucket_endpoint);
                (bucket_endpoint, true)
            }
            Some(e) => (format!("{e}/{}", to.bucket), false),
        };
        let url = if to.prefix.is_empty() {
            url
        } else {
            format!("{url}/{}", to.prefix)
        };
        let allow_http = endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"));

        if builder
            .get_config_value(&AmazonS3ConfigKey::AccessKeyId)
            .is_none()
        {
            eprintln!(
                "note: AWS_ACCESS_KEY_ID is not set: trying the machine's own role (EC2, ECS, web identity)"
            );
        }

        let store = builder
            .with_virtual_hosted_style_request(virtual_hosted)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(allow_http)
                    .with_connect_timeout(Duration::from_secs(10))
                    // A pack over a slow uplink: minutes, not the default 30 s.
                    .with_timeout(Duration::from_secs(30 * 60)),
            )
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(60),
                ..RetryConfig::default()
            })
            .build()
            .map_err(|e| Report::message(format!("{to}: {e}")))?;
        let store: Arc<dyn ObjectStore> = Arc::new(store);

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let prefix = (!to.prefix.is_empty()).then(|| Key::from(to.prefix.as_str()));
        let listed: Vec<ObjectMeta> = rt
            .block_on(store.list(prefix.as_ref()).try_collect())
            .map_err(|e| explain(to, &url, e))?;
        let strip = if to.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", to.prefix)
        };
        let remote = listed
            .into_iter()
            .filter_map(|m| {
                let rel = m.location.as_ref().strip_prefix(&strip)?.to_owned();
                Some((rel, m))
            })
            .collect();
        Ok(Bucket {
            rt,
            store,
            to: to.clone(),
            url,
            remote,
        })
    }

    /// Refuses when the bucket holds a newer repository than `repo` (an
    /// older copy uploaded over it would stop every phone that synced in
    /// between) or a repository where `repo` has none.
    pub fn check_not_older(&self, repo: &Path) -> Result<(), Report> {
        if !self.remote.contains_key("metadata/timestamp.json") {
            return Ok(());
        }
        let bytes = self
            .rt
            .block_on(async {
                let got = self
                    .store
                    .get(&self.to.key("metadata/timestamp.json"))
                    .await?;
                got.bytes().await
            })
            .map_err(|e| explain(&self.to, &self.url, e))?;
        let theirs = version_of(&bytes).unwrap_or(0);
        let ours = local_timestamp_version(repo)?;
        if theirs > ours {
            let what = if ours == 0 {
                "has none".to_owned()
            } else {
                format!("is at version {ours}")
            };
            return fail(format!(
                "{} holds a newer repository (timestamp version {theirs}) than {} (which {what}): uploading it would stop phones that synced since. Start from the live copy (e.g. `aws s3 sync {} {}`); nothing was changed",
                self.to,
                repo.display(),
                self.to,
                repo.display()
            ));
        }
        Ok(())
    }

    /// Uploads what the bucket does not hold yet, in the safe order, and
    /// says what it did on stdout.
    pub fn upload(&self, repo: &Path) -> Result<Summary, Report> {
        use md5::Digest;
        if !repo.join("metadata/timestamp.json").is_file() {
            return fail(format!(
                "{}: no metadata/timestamp.json: not a repository written by `waymark-pack publish`",
                repo.display()
            ));
        }
        let items = local_files(repo)?;
        let mut summary = Summary::default();
        outln!("upload      {} → {}", repo.display(), self.to);
        for (done, item) in items.iter().enumerate() {
            let bytes = std::fs::read(&item.path)?;
            let size = bytes.len() as u64;
            if let Some(meta) = self.remote.get(&item.rel) {
                let md5 = hex::encode(md5::Md5::digest(&bytes));
                let etag = meta.e_tag.as_deref().map(|t| t.trim_matches('"'));
                let same = meta.size == size
                    && (etag == Some(md5.as_str())
                        // A store whose ETags are not MD5s: a name that
                        // says its bytes is enough.
                        || (item.stage.cache_control() == IMMUTABLE
                            && !etag.is_some_and(is_md5)));
                if same {
                    summary.skipped += 1;
                    summary.skipped_bytes += size;
                    continue;
                }
            }
            let mut attributes = Attributes::new();
            attributes.insert(Attribute::CacheControl, item.stage.cache_control().into());
            attributes.insert(Attribute::ContentType, content_type(&item.rel).into());
            let options = PutOptions {
                attributes,
                ..PutOptions::default()
            };
            self.rt
                .block_on(self.store.put_opts(
                    &self.to.key(&item.rel),
                    PutPayload::from(bytes),
                    options,
                ))
                .map_err(|e| {
                    let why = explain(&self.to, &self.url, e);
                    Report::message(format!(
                        "{}; the upload stopped at {} ({} of {} files; timestamp.json goes last, so phones still see the previous repository whole): finish with `waymark-pack upload --repo {} --to {}` (and the same --endpoint, --region)",
                        why.line(),
                        item.rel,
                        done + 1,
                        items.len(),
                        repo.display(),
                        self.to
                    ))
                })?;
            outln!("uploaded    {} ({size} bytes)", item.rel);
            summary.uploaded.push((item.rel.clone(), size));
        }
        let sent: u64 = summary.uploaded.iter().map(|(_, n)| n).sum();
        outln!(
            "uploaded {} files ({sent} bytes); skipped {} already in the bucket ({} bytes)",
            summary.uploaded.len(),
            summary.skipped,
            summary.skipped_bytes
        );
        outln!(
            "served at   {}/ (phones sync from there once it is publicly readable, or from a CDN or domain in front of it: `publish --url`)",
            self.url
        );
        Ok(summary)
    }
}

fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

fn content_type(rel: &str) -> &'static str {
    if rel.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    }
}

/// One line for an S3 failure, saying what to do; no credentials in it.
fn explain(to: &Destination, url: &str, e: object_store::Error) -> Report {
    use object_store::Error as E;
    let text = e.to_string();
    // Stores differ in which errors object_store can classify: the S3 error
    // code in the body says it too.
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    let message = if matches!(e, E::NotFound { .. }) || has(&["NoSuchBucket"]) {
        format!(
            "bucket '{}' not found at {url} (create it first, or check --to, --endpoint and --region): {text}",
            to.bucket
        )
    } else if matches!(e, E::PermissionDenied { .. } | E::Unauthenticated { .. })
        || has(&[
            "403 Forbidden",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
        ])
    {
        format!(
            "{to} refused the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): {text}"
        )
    } else if has(&["error sending request", "dns error", "onnect"]) {
        format!("cannot reach {url} (check --endpoint and the network): {text}")
    } else {
        format!("{to}: {text}")
    };
    Report::message(message)
}

/// Runs `command` (a publish or refresh writing into `repo`, or nothing),
/// then, with `to`, uploads `repo` there. The bucket is checked first
/// (reachable, credentials accepted, not holding a newer repository), so a
/// bucket problem stops the command before it changes anything.
pub fn around(
    repo: &Path,
    to: Option<&str>,
    opts: &S3Options,
    command: impl FnOnce() -> Result<(), Report>,
) -> Result<(), Report> {
    let Some(to) = to else {
        return command();
    };
    let to = Destination::parse(to)?;
    let bucket = Bucket::open(&to, opts)?;
    bucket.check_not_older(repo)?;
    command()?;
    bucket.upload(repo).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_read_with_and_without_a_prefix() {
        assert_eq!(
            Destination::parse("s3://b/some/where/").unwrap(),
            Destination {
                bucket: "b".into(),
                prefix: "some/where".into()
            }
        );
        assert_eq!(Destination::parse("s3://b").unwrap().prefix, "");
        for bad in ["https://b/x", "s3:///x", "s3://b/../x", "b/x"] {
            assert!(Destination::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamp_goes_last_and_versioned_metadata_before_the_rest() {
        let mut names = vec![
            "metadata/timestamp.json",
            "publisher.json",
            "metadata/2.snapshot.json",
            "metadata/root.json",
            "metadata/2.targets.json",
            "metadata/10.root.json",
            "metadata/2.root.json",
            "targets/packs/ab.p.wmpack",
            "bundles/p.wmbundle",
        ];
        names.sort_by_key(|n| (Stage::of(n), *n));
        assert_eq!(
            names,
            [
                "targets/packs/ab.p.wmpack",
                "metadata/2.root.json",
                "metadata/10.root.json",
                "metadata/2.targets.json",
                "metadata/2.snapshot.json",
                "bundles/p.wmbundle",
                "metadata/root.json",
                "publisher.json",
                "metadata/timestamp.json",
            ]
        );
    }

    #[test]
    fn s3_error_codes_are_told_apart_for_the_person_reading() {
        let to = Destination::parse("s3://b/p").unwrap();
        let generic = |body: &str| object_store::Error::Generic {
            store: "S3",
            source: body.to_owned().into(),
        };
        let said = |e| explain(&to, "https://s3.example/b/p", e).line();
        assert!(
            said(generic("404 Not Found: <Code>NoSuchBucket</Code>"))
                .contains("bucket 'b' not found")
        );
        assert!(
            said(generic("403 Forbidden: <Code>InvalidAccessKeyId</Code>"))
                .contains("refused the credentials")
        );
        assert!(
            said(generic("HTTP error: error sending request"))
                .contains("cannot reach https://s3.example/b/p")
        );
        assert!(said(generic("500: <Code>InternalError</Code>")).starts_with("s3://b/p: "));
    }

    #[test]
    fn only_loopback_http_is_allowed_unasked() {
        for ok in [
            "http://127.0.0.1:9000",
            "http://localhost:9000/",
            "http://[::1]:9000",
        ] {
            assert!(is_loopback(ok), "{ok}");
        }
        for no in [
            "http://example.org",
            "http://10.0.0.1:9000",
            "https://127.0.0.1",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }
}
