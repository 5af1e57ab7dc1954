//! Where a remote backup lives ([`Location`]: an S3-compatible bucket or a
//! WebDAV folder) and the few object operations the backup needs, sent
//! through sync's [`Http`] and so through the app's own transport.
//!
//! S3 requests are presigned (AWS Signature Version 4 in the URL's query
//! string) by [`super::sigv4`], sans-I/O: the native library gains no HTTP
//! or TLS stack. WebDAV requests carry HTTP Basic credentials, so a
//! WebDAV location must be `https://` (plain `http://` only to this
//! machine, for tests).

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::sigv4::Presign;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::sync::{CancelToken, Exchanged, Http, Method};

/// How long a presigned S3 URL stays valid: long enough for retries.
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

/// Where a backup is stored, with the credentials to reach it. Kept in the
/// vault, sealed (never in clear on disk); its `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// An S3-compatible bucket (AWS S3, MinIO, Garage, Cloudflare R2, …).
    S3 {
        /// The service's endpoint, `https://…` (path-style requests, or
        /// virtual-host style for `*.amazonaws.com`).
        endpoint: String,
        /// The bucket.
        bucket: String,
        /// The folder inside the bucket ("" for the bucket's top).
        prefix: String,
        /// The region (`us-east-1` when the service has none).
        region: String,
        /// The access key id.
        access_key: String,
        /// The secret access key.
        secret_key: String,
    },
    /// A WebDAV folder (Nextcloud, ownCloud, any RFC 4918 server).
    Webdav {
        /// The folder's URL, `https://…/` (created if missing).
        url: String,
        /// The user name, if the server asks for one.
        username: Option<String>,
        /// The password (an app password, for Nextcloud).
        password: Option<String>,
    },
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Location {
    /// An S3 location from `s3://bucket/prefix`, the endpoint, the region
    /// and the keys.
    pub fn s3(
        url: &str,
        endpoint: &str,
        region: &str,
        access_key: &str,
        secret_key: &str,
    ) -> Result<Self> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| Error::invalid("an S3 location starts with s3://bucket"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/');
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(Error::invalid(
                "not an S3 bucket name (3 to 63 lower-case letters, digits, dots and dashes)",
            ));
        }
        check_prefix(prefix)?;
        check_endpoint(endpoint)?;
        let endpoint = endpoint.trim_end_matches('/');
        if endpoint
            .split_once("://")
            .is_some_and(|(_, rest)| rest.contains('/'))
        {
            return Err(Error::invalid(
                "an S3 endpoint is the service's address alone, e.g. https://s3.example.org",
            ));
        }
        if region.is_empty() || access_key.is_empty() || secret_key.is_empty() {
            return Err(Error::invalid(
                "an S3 location needs a region, an access key and a secret key",
            ));
        }
        Ok(Location::S3 {
            endpoint: endpoint.to_owned(),
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            region: region.to_owned(),
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
        })
    }

    /// A WebDAV location: the folder's URL and, if the server asks for
    /// them, a user name and password.
    pub fn webdav(url: &str, username: Option<&str>, password: Option<&str>) -> Result<Self> {
        check_endpoint(url)?;
        let path = url.split_once("://").map_or("", |(_, r)| r);
        check_prefix(
            path.split_once('/')
                .map_or("", |(_, p)| p.trim_matches('/')),
        )?;
        if password.is_some() && username.is_none() {
            return Err(Error::invalid("a WebDAV password needs a user name"));
        }
        Ok(Location::Webdav {
            url: format!("{}/", url.trim_end_matches('/')),
            username: username.map(str::to_owned),
            password: password.map(str::to_owned),
        })
    }

    /// The location as a person would name it, without any secret.
    pub fn describe(&self) -> String {
        match self {
            Location::S3 {
                endpoint,
                bucket,
                prefix,
                ..
            } => {
                let sep = if prefix.is_empty() { "" } else { "/" };
                format!("s3://{bucket}{sep}{prefix} at {endpoint}")
            }
            Location::Webdav { url, username, .. } => match username {
                Some(user) => format!("{url} (as {user})"),
                None => url.clone(),
            },
        }
    }
}

/// Only `https://`, or `http://` to this machine (tests, a local server).
fn check_endpoint(url: &str) -> Result<()> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(Error::invalid(
            "the storage's address must start with https://",
        ));
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .trim_matches(['[', ']']);
    let local = matches!(host, "127.0.0.1" | "localhost" | "::1");
    match scheme {
        "https" if !host.is_empty() => Ok(()),
        "http" if local => Ok(()),
        _ => Err(Error::invalid(
            "the storage's address must start with https:// (credentials never travel in clear)",
        )),
    }
    .and_then(|()| {
        if url.contains(['?', '#']) || authority.contains('@') {
            Err(Error::invalid(
                "the storage's address has no query, fragment or credentials in it",
            ))
        } else {
            Ok(())
        }
    })
}

fn check_prefix(prefix: &str) -> Result<()> {
    let bad = prefix
        .split('/')
        .any(|seg| seg == "." || seg == ".." || (seg.is_empty() && !prefix.is_empty()))
        || prefix.contains(['?', '#', '\\']);
    if bad {
        return Err(Error::invalid("the backup folder's path is not valid"));
    }
    Ok(())
}

/// A conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Write whatever is there.
    None,
    /// Only if nothing is there yet.
    Absent,
    /// Only if the object still has this ETag.
    Matches(String),
}

/// What a GET found.
#[derive(Debug)]
pub enum Got {
    /// No such object.
    Missing,
    /// Unchanged since the ETag given.
    NotModified,
    /// The object, with its ETag.
    Body {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Its ETag, if the server gave one.
        etag: Option<String>,
    },
}

/// What a conditional PUT did.
#[derive(Debug)]
pub enum Put {
    /// Written; the new ETag, if the server gave one.
    Written(Option<String>),
    /// The condition failed: someone else wrote first.
    Conflict,
}

/// The object operations over one location, counting what they move.
pub struct Store<'a> {
    location: &'a Location,
    http: &'a Http,
    clock: &'a dyn Clock,
    cancel: &'a CancelToken,
    /// Requests sent (each retry counted once: the attempt that answered).
    requests: AtomicU32,
    sent: AtomicU64,
    received: AtomicU64,
}

impl<'a> Store<'a> {
    /// Operations on `location`.
    pub fn new(
        location: &'a Location,
        http: &'a Http,
        clock: &'a dyn Clock,
        cancel: &'a CancelToken,
    ) -> Self {
        Store {
            location,
            http,
            clock,
            cancel,
            requests: AtomicU32::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
        }
    }

    /// Requests sent so far (each retry counted once: the attempt that
    /// answered).
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Body bytes sent so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Body bytes received so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Makes sure the folder exists (WebDAV: each missing collection of
    /// the URL's path is made; S3 needs nothing).
    pub fn prepare(&self) -> Result<()> {
        let Location::Webdav { url, .. } = self.location else {
            return Ok(());
        };
        let (scheme, rest) = url.split_once("://").expect("checked");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let folder = |n: usize| {
            let mut at = format!("{scheme}://{authority}/");
            for seg in &segments[..n] {
                at.push_str(seg);
                at.push('/');
            }
            at
        };
        // The folder itself first; only when its parent is missing (409)
        // walk up, so folders above the first one that exists (Nextcloud's
        // /remote.php/dav/files/USER/) are never asked for.
        let mut missing = Vec::new();
        let mut n = segments.len();
        while n > 0 {
            let got = self.send(Method::Mkcol, folder(n), Vec::new(), &[], 64 * 1024)?;
            match got.status {
                // Made; it exists (405); a redirect to its slash form.
                200 | 201 | 204 | 301 | 405 => break,
                409 => {
                    missing.push(n);
                    n -= 1;
                }
                status => return Err(status_error(status)),
            }
        }
        for n in missing.into_iter().rev() {
            let got = self.send(Method::Mkcol, folder(n), Vec::new(), &[], 64 * 1024)?;
            if !matches!(got.status, 200 | 201 | 204 | 301 | 405) {
                return Err(status_error(got.status));
            }
        }
        Ok(())
    }

    /// GETs `name` (conditionally on `etag`), at most `max` bytes.
    pub fn get(&self, name: &str, etag: Option<&str>, max: u64) -> Result<Got> {
        let headers: Vec<(String, String)> = etag
            .map(|t| vec![("if-none-match".to_owned(), t.to_owned())])
            .unwrap_or_default();
        let (url, headers) = self.request(Method::Get, name, headers)?;
        let got = self.send(Method::Get, url, headers, &[], max)?;
        match got.status {
            200 => Ok(Got::Body {
                bytes: got.body,
                etag: got.etag,
            }),
            304 if etag.is_some() => Ok(Got::NotModified),
            404 => Ok(Got::Missing),
            status => Err(status_error(status)),
        }
    }

    /// HEADs `name`: its length if it exists.
    pub fn head(&self, name: &str) -> Result<Option<(u64, Option<String>)>> {
        let (url, headers) = self.request(Method::Head, name, Vec::new())?;
        let got = self.send(Method::Head, url, headers, &[], 0)?;
        match got.status {
            200 => Ok(Some((got.length.unwrap_or(0), got.etag))),
            404 => Ok(None),
            status => Err(status_error(status)),
        }
    }

    /// PUTs `body` as `name` under `condition`.
    pub fn put(&self, name: &str, body: &[u8], condition: &Condition) -> Result<Put> {
        let mut headers = vec![(
            "content-type".to_owned(),
            "application/octet-stream".to_owned(),
        )];
        match condition {
            Condition::None => {}
            Condition::Absent => headers.push(("if-none-match".to_owned(), "*".to_owned())),
            Condition::Matches(etag) => headers.push(("if-match".to_owned(), etag.clone())),
        }
        let (url, headers) = self.request(Method::Put, name, headers)?;
        let got = self.send(Method::Put, url, headers, body, 64 * 1024)?;
        match got.status {
            200 | 201 | 204 => Ok(Put::Written(got.etag)),
            // 409: S3's ConditionalRequestConflict (a concurrent write).
            // WebDAV: the folder a file goes in is missing (RFC 4918
            // 9.7.1); WebDAV's failed preconditions are 412.
            409 if matches!(self.location, Location::Webdav { .. }) => Err(Error::Network(
                "the backup folder does not exist on the WebDAV server: create it there".into(),
            )),
            412 | 409 if *condition != Condition::None => Ok(Put::Conflict),
            status => Err(status_error(status)),
        }
    }

    /// DELETEs `name` (gone already is fine).
    pub fn delete(&self, name: &str) -> Result<()> {
        let (url, headers) = self.request(Method::Delete, name, Vec::new())?;
        let got = self.send(Method::Delete, url, headers, &[], 64 * 1024)?;
        match got.status {
            200 | 202 | 204 | 404 => Ok(()),
            status => Err(status_error(status)),
        }
    }

    /// The URL and headers of a request for object `name`.
    fn request(
        &self,
        method: Method,
        name: &str,
        mut headers: Vec<(String, String)>,
    ) -> Result<(String, Vec<(String, String)>)> {
        match self.location {
            Location::S3 {
                endpoint,
                bucket,
                prefix,
                region,
                access_key,
                secret_key,
            } => {
                let key = if prefix.is_empty() {
                    name.to_owned()
                } else {
                    format!("{prefix}/{name}")
                };
                let (scheme, host) = endpoint.split_once("://").expect("checked");
                // Virtual-host style on AWS, path style everywhere else
                // (MinIO, Garage, R2, moto…).
                let (host, path) = if host.ends_with(".amazonaws.com") {
                    (format!("{bucket}.{host}"), format!("/{key}"))
                } else {
                    (host.to_owned(), format!("/{bucket}/{key}"))
                };
                // Headers that change the request's meaning are signed.
                let signed: Vec<(String, String)> = headers
                    .iter()
                    .filter(|(n, _)| n.starts_with("if-"))
                    .cloned()
                    .collect();
                let url = Presign {
                    method: method.as_str(),
                    scheme,
                    host: &host,
                    path: &path,
                    headers: &signed,
                    region,
                    access_key,
                    secret_key,
                    now: self.clock.now(),
                    expires_secs: SIGNED_FOR.as_secs() as u32,
                }
                .url();
                Ok((url, headers))
            }
            Location::Webdav { url, .. } => {
                headers.extend(self.webdav_authorization());
                Ok((format!("{url}{name}"), headers))
            }
        }
    }

    /// A WebDAV location's `Authorization` header (HTTP Basic), if it has
    /// a user name.
    fn webdav_authorization(&self) -> Option<(String, String)> {
        use base64ct::Encoding as _;
        let Location::Webdav {
            username: Some(user),
            password,
            ..
        } = self.location
        else {
            return None;
        };
        let pair = format!("{user}:{}", password.as_deref().unwrap_or(""));
        Some((
            "authorization".to_owned(),
            format!("Basic {}", base64ct::Base64::encode_string(pair.as_bytes())),
        ))
    }

    fn send(
        &self,
        method: Method,
        url: String,
        mut headers: Vec<(String, String)>,
        body: &[u8],
        max: u64,
    ) -> Result<Exchanged> {
        if method == Method::Mkcol {
            // MKCOL goes to a collection's own URL, not through `request`.
            headers.extend(self.webdav_authorization());
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.sent.fetch_add(body.len() as u64, Ordering::Relaxed);
        let got = self
            .http
            .exchange(method, &url, &headers, body, max, self.cancel)?;
        self.received
            .fetch_add(got.body.len() as u64, Ordering::Relaxed);
        if matches!(got.status, 401 | 403) {
            return Err(Error::Network(
                "the backup storage refused the credentials (check the keys or password)".into(),
            ));
        }
        Ok(got)
    }
}

fn status_error(status: u16) -> Error {
    Error::Network(format!("the backup storage answered HTTP {status}"))
}
