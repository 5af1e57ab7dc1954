//! HTTP for sync: frugal, bounded, resumable and private.
//!
//! - Every request carries the same fixed `User-Agent` and nothing else that
//!   could tell one phone from another: no cookies (the client keeps none),
//!   no query strings, no `Referer`, no identifiers. Redirects are not
//!   followed (a repository URL is what the publisher card says).
//! - Every body is bounded: a response longer than the caller's limit is
//!   cut off and refused (endless-data attack).
//! - Slow retrieval is refused: each read waits at most
//!   [`HttpConfig::read_timeout`], and after [`HttpConfig::slow_grace`] the
//!   average speed must stay above [`HttpConfig::min_speed`].
//! - Transient failures (connection errors, timeouts, 5xx, 429) are retried
//!   with exponential backoff and full jitter, honouring `Retry-After`.
//! - Downloads resume: a partial file continues with `Range` and `If-Range`.
//! - A proxy (HTTP or SOCKS5, e.g. Orbot on `socks5h://127.0.0.1:9050`) is
//!   used only when configured; the system's proxy settings are ignored so
//!   that nothing changes behind the person's back.
//!
//! All of this policy lives here. The GET itself goes through a
//! [`Transport`]: [`ReqwestTransport`](super::ReqwestTransport) for the CLI
//! and the tests (feature `http-reqwest`, [`Http::new`]), the app's own
//! HTTP stack on the phone ([`Http::with_transport`]). The contract a
//! transport honours is in [`super::transport`].

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::transport::{
    Method, Transport, TransportErrorKind, TransportRequest, TransportResponse, check_proxy_url,
};
use crate::error::{Error, Oversized, Result, Untrusted};
use crate::tuf::Fetched;

/// The one User-Agent every Waymark request carries (no version, no
/// platform: nothing that narrows down who is asking).
pub const USER_AGENT: &str = "Waymark";

/// Size of one read from the network, and how often cancellation and
/// progress are checked.
const CHUNK: usize = 16 * 1024;

/// How the client talks to servers. The timeouts and the proxy are passed
/// to the [`Transport`] with every request; the rest is policy [`Http`]
/// applies itself, whatever the transport.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Longest wait to connect (the transport applies it).
    pub connect_timeout: Duration,
    /// Longest wait for the response headers and for each read of a body
    /// (the transport applies it).
    pub read_timeout: Duration,
    /// Slowest average transfer accepted (bytes per second) once
    /// `slow_grace` has passed: below it the transfer is abandoned as a
    /// slow-retrieval attack (it resumes next time).
    pub min_speed: u64,
    /// How long a transfer may run before its speed is judged.
    pub slow_grace: Duration,
    /// Attempts after the first, for transient failures.
    pub retries: u32,
    /// First backoff; doubled at each retry, with full jitter.
    pub backoff_base: Duration,
    /// Longest backoff between attempts.
    pub backoff_max: Duration,
    /// Longest `Retry-After` honoured by waiting; a longer one ends the
    /// attempt with [`Error::ServerBusy`].
    pub max_retry_after: Duration,
    /// Proxy URL (`http://host:port`, `socks5://host:port`,
    /// `socks5h://host:port`), if any; checked when the [`Http`] is made
    /// and passed to the transport, which MUST use it (and no other).
    pub proxy: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(20),
            read_timeout: Duration::from_secs(30),
            min_speed: 256,
            slow_grace: Duration::from_secs(20),
            retries: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            proxy: None,
        }
    }
}

/// A flag that stops a sync at the next chunk or step. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was asked.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The HTTP client sync uses: the policy above over a [`Transport`].
#[derive(Clone)]
pub struct Http {
    transport: Arc<dyn Transport>,
    config: HttpConfig,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed, and whether to try again.
enum Attempt {
    Retry(Error, Option<Duration>),
    Fail(Error),
}

impl Http {
    /// A client with `config` over [`ReqwestTransport`](super::ReqwestTransport):
    /// TLS by rustls (ring) with Mozilla's roots, HTTP/1.1, no cookies, no
    /// redirects, no system proxy. `InvalidInput` if the proxy is not a
    /// proxy URL.
    #[cfg(feature = "http-reqwest")]
    pub fn new(config: HttpConfig) -> Result<Self> {
        Self::with_transport(config, Arc::new(super::ReqwestTransport::new()))
    }

    /// A client with `config` over `transport`, which MUST honour the
    /// contract in [`super::transport`]. `InvalidInput` if the proxy is not
    /// a proxy URL.
    ///
    /// A SOCKS5 proxy always reaches the transport as `socks5h://`: the
    /// proxy resolves host names, so that none is looked up on the phone
    /// (which would tell the local network where the phone connects, past
    /// Tor or a VPN's proxy). `socks5://` is taken to mean the same.
    pub fn with_transport(mut config: HttpConfig, transport: Arc<dyn Transport>) -> Result<Self> {
        if let Some(proxy) = &config.proxy
            && !check_proxy_url(proxy)
        {
            return Err(Error::invalid(
                "the proxy must look like socks5h://host:port, socks5://host:port or http://host:port",
            ));
        }
        if let Some(proxy) = &mut config.proxy
            && proxy.starts_with("socks5://")
        {
            proxy.replace_range(.."socks5://".len(), "socks5h://");
        }
        Ok(Http { transport, config })
    }

    /// The configuration.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Fetches a small file of at most `max_len` bytes, conditionally on
    /// `etag` when given. Retries transient failures.
    pub fn fetch(
        &self,
        url: &str,
        max_len: u64,
        etag: Option<&str>,
        cancel: &CancelToken,
    ) -> Result<Fetched> {
        self.with_retries(cancel, |_| {
            let mut headers = Vec::new();
            if let Some(tag) = etag {
                headers.push(("if-none-match", tag.to_owned()));
            }
            let response = self.send(url, headers)?;
            match response.status {
                304 if etag.is_some() => return Ok(Fetched::NotModified),
                404 | 403 => return Ok(Fetched::NotFound),
                200 => {}
                status => return Err(status_failure(status, &response)),
            }
            let etag = response.header("etag").map(str::to_owned);
            if response.content_length().is_some_and(|len| len > max_len) {
                return Err(Attempt::Fail(
                    Untrusted::TooLarge(Oversized::ServerOffer { max: max_len }).into(),
                ));
            }
            let mut bytes = Vec::new();
            self.read_body(response, &mut bytes, max_len, cancel, &mut |_| {})?;
            Ok(Fetched::Body { bytes, etag })
        })
    }

    /// One request of any method, as the remote backup sends them: the
    /// headers every request carries plus `headers`, `body` as given, and
    /// the response's body read whole (at most `max_len` bytes; a `HEAD`'s
    /// is empty). Connection failures, 429 and 5xx are retried (every
    /// request the backup sends is idempotent); any other status is
    /// returned for the caller to judge.
    pub fn exchange(
        &self,
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        max_len: u64,
        cancel: &CancelToken,
    ) -> Result<Exchanged> {
        self.with_retries(cancel, |_| {
            let response = self.send_request(method, url, headers.to_vec(), body.to_vec())?;
            let status = response.status;
            if status == 429 || (500..600).contains(&status) {
                return Err(status_failure(status, &response));
            }
            let etag = response.header("etag").map(str::to_owned);
            let length = response.content_length();
            let mut bytes = Vec::new();
            if method != Method::Head {
                if length.is_some_and(|len| len > max_len) {
                    return Err(Attempt::Fail(
                        Untrusted::TooLarge(Oversized::ServerOffer { max: max_len }).into(),
                    ));
                }
                self.read_body(response, &mut bytes, max_len, cancel, &mut |_| {})?;
            }
            Ok(Exchanged {
                status,
                etag,
                length,
                body: bytes,
            })
        })
    }

    /// Downloads a file of exactly `length` bytes into `file`, which may
    /// already hold a prefix of it from an interrupted download (resumed
    /// with `Range`, and `If-Range` on `validator`, the ETag the prefix came
    /// with). `progress` receives the bytes held so far. `validator` is
    /// updated to the ETag of what `file` now holds, to keep with it should
    /// this download be interrupted again. Nothing here checks the file's
    /// hashes: the caller does, against the signed metadata.
    pub fn download(
        &self,
        url: &str,
        file: &mut std::fs::File,
        length: u64,
        validator: &mut Option<String>,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(u64),
    ) -> Result<()> {
        self.with_retries(cancel, |_| {
            let have = file.seek(SeekFrom::End(0)).map_err(io_fail)?;
            if have > length {
                file.set_len(0).map_err(io_fail)?;
                *validator = None;
                return Err(Attempt::Retry(
                    Error::Network("a partial download was longer than the file".into()),
                    Some(Duration::ZERO),
                ));
            }
            if have == length {
                return Ok(());
            }
            let mut headers = Vec::new();
            if have > 0 {
                headers.push(("range", format!("bytes={have}-")));
                if let Some(tag) = validator.as_deref() {
                    headers.push(("if-range", tag.to_owned()));
                }
            }
            let response = self.send(url, headers)?;
            let status = response.status;
            let start = match status {
                206 if have > 0 => {
                    let offered = response
                        .header("content-range")
                        .and_then(parse_content_range_start);
                    if offered != Some(have) {
                        // Not the range asked for: start over.
                        file.set_len(0).map_err(io_fail)?;
                        *validator = None;
                        return Err(Attempt::Retry(
                            Error::Network("the server sent another range".into()),
                            Some(Duration::ZERO),
                        ));
                    }
                    have
                }
                200 => {
                    file.set_len(0).map_err(io_fail)?;
                    file.seek(SeekFrom::Start(0)).map_err(io_fail)?;
                    0
                }
                416 => {
                    file.set_len(0).map_err(io_fail)?;
                    *validator = None;
                    return Err(Attempt::Retry(
                        Error::Network("the server refused the range".into()),
                        Some(Duration::ZERO),
                    ));
                }
                404 | 403 => {
                    return Err(Attempt::Fail(Error::Network(format!(
                        "the repository has no such file (HTTP {status})"
                    ))));
                }
                status => return Err(status_failure(status, &response)),
            };
            if let Some(tag) = response.header("etag") {
                *validator = Some(tag.to_owned());
            }
            let remaining = length - start;
            if response.content_length().is_some_and(|len| len > remaining) {
                return Err(Attempt::Fail(
                    Untrusted::TooLarge(Oversized::LongerThanSigned).into(),
                ));
            }
            let mut out = std::io::BufWriter::with_capacity(CHUNK * 4, &mut *file);
            let result = self.read_body(response, &mut out, remaining, cancel, &mut |n| {
                progress(start + n)
            });
            out.flush().map_err(io_fail)?;
            drop(out);
            result?;
            let now = file.seek(SeekFrom::End(0)).map_err(io_fail)?;
            if now < length {
                return Err(Attempt::Retry(
                    Error::Network("the connection closed before the end of the file".into()),
                    None,
                ));
            }
            Ok(())
        })
    }

    /// One GET through the transport, with the headers every request
    /// carries and `extra`.
    fn send(
        &self,
        url: &str,
        extra: Vec<(&'static str, String)>,
    ) -> Result<TransportResponse, Attempt> {
        let extra = extra.into_iter().map(|(n, v)| (n.to_owned(), v)).collect();
        self.send_request(Method::Get, url, extra, Vec::new())
    }

    /// One request through the transport, with the headers every request
    /// carries and `extra`.
    fn send_request(
        &self,
        method: Method,
        url: &str,
        extra: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<TransportResponse, Attempt> {
        let mut headers = vec![
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
            // Stated, so that no platform's default (which differ) is sent.
            ("accept".to_owned(), "*/*".to_owned()),
            // Byte counts, ranges and hashes are of the file as stored.
            ("accept-encoding".to_owned(), "identity".to_owned()),
        ];
        headers.extend(extra);
        let request = TransportRequest {
            method,
            url: url.to_owned(),
            body,
            headers,
            connect_timeout: self.config.connect_timeout,
            read_timeout: self.config.read_timeout,
            proxy: self.config.proxy.clone(),
        };
        self.transport.send(&request).map_err(|e| {
            let what = match e.kind {
                TransportErrorKind::Timeout => "the server did not answer in time",
                TransportErrorKind::Connect => "could not connect",
                TransportErrorKind::Other => "the request failed",
            };
            Attempt::Retry(Error::Network(what.into()), None)
        })
    }

    /// Reads a body into `out`, at most `max` bytes (one more fails), with
    /// the speed floor, cancellation and progress.
    fn read_body(
        &self,
        response: TransportResponse,
        out: &mut impl Write,
        max: u64,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, Attempt> {
        let mut body = response.body;
        let started = Instant::now();
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0u64;
        loop {
            cancel.check().map_err(Attempt::Fail)?;
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Keep what arrived: the caller resumes from it.
                    return Err(Attempt::Retry(
                        Error::Network(format!("the transfer broke off: {}", short(&e))),
                        None,
                    ));
                }
            };
            total += n as u64;
            if total > max {
                return Err(Attempt::Fail(
                    Untrusted::TooLarge(Oversized::EndlessData { max }).into(),
                ));
            }
            out.write_all(&buf[..n]).map_err(io_fail)?;
            progress(total);
            let elapsed = started.elapsed();
            if elapsed > self.config.slow_grace
                && total < self.config.min_speed.saturating_mul(elapsed.as_secs())
            {
                return Err(Attempt::Fail(Error::Network(format!(
                    "the transfer is too slow (under {} bytes/s): stopped, it resumes next time",
                    self.config.min_speed
                ))));
            }
        }
        Ok(total)
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are
    /// spent; waits with exponential backoff and full jitter between
    /// attempts, or as long as `Retry-After` says (when not too long).
    fn with_retries<T>(
        &self,
        cancel: &CancelToken,
        mut attempt: impl FnMut(u32) -> Result<T, Attempt>,
    ) -> Result<T> {
        let mut n = 0;
        loop {
            cancel.check()?;
            match attempt(n) {
                Ok(value) => return Ok(value),
                Err(Attempt::Fail(e)) => return Err(e),
                Err(Attempt::Retry(e, after)) => {
                    if n >= self.config.retries {
                        return Err(e);
                    }
                    let wait = match after {
                        Some(d) if d > self.config.max_retry_after => {
                            return Err(Error::ServerBusy { retry_after: d });
                        }
                        Some(d) => d,
                        None => self.backoff(n),
                    };
                    sleep_cancellable(wait, cancel)?;
                    n += 1;
                }
            }
        }
    }

    /// Full jitter: uniform in [0, min(max, base · 2^n)].
    fn backoff(&self, n: u32) -> Duration {
        let cap = self
            .config
            .backoff_base
            .saturating_mul(1u32 << n.min(16))
            .min(self.config.backoff_max);
        let mut r = [0u8; 4];
        let fraction = match getrandom::fill(&mut r) {
            Ok(()) => f64::from(u32::from_le_bytes(r)) / f64::from(u32::MAX),
            Err(_) => 0.5,
        };
        cap.mul_f64(fraction)
    }
}

/// What [`Http::exchange`] got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchanged {
    /// The status, as the server sent it (never 429 or 5xx: those were
    /// retried, and an error when the retries ran out).
    pub status: u16,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
    /// The `Content-Length` header, if any (a `HEAD`'s tells the object's
    /// length).
    pub length: Option<u64>,
    /// The body (empty for `HEAD`).
    pub body: Vec<u8>,
}

/// Sleeps up to `wait`, waking every 50 ms to honour cancellation.
fn sleep_cancellable(wait: Duration, cancel: &CancelToken) -> Result<()> {
    let end = Instant::now() + wait;
    loop {
        cancel.check()?;
        let now = Instant::now();
        if now >= end {
            return Ok(());
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

/// What to do about an unexpected status.
fn status_failure(status: u16, response: &TransportResponse) -> Attempt {
    let error = Error::Network(format!("the server answered HTTP {status}"));
    if status == 429 || (500..600).contains(&status) {
        let after = response.header("retry-after").and_then(parse_retry_after);
        Attempt::Retry(error, after)
    } else {
        Attempt::Fail(error)
    }
}

/// `Retry-After`: seconds, or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (date.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// The first byte of `bytes a-b/len`.
fn parse_content_range_start(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes ")?;
    rest.split('-').next()?.trim().parse().ok()
}

fn io_fail(e: std::io::Error) -> Attempt {
    Attempt::Fail(Error::Io(e))
}

/// An I/O error's kind only (its message may carry a host name).
fn short(e: &std::io::Error) -> String {
    e.kind().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn content_range_start() {
        assert_eq!(parse_content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(parse_content_range_start("items 1-2/3"), None);
    }

    /// A scripted answer: status, headers and body, or a failure.
    type Answer = std::result::Result<(u16, Vec<(String, String)>, Vec<u8>), TransportErrorKind>;

    /// A transport answering from a script, recording every request.
    struct Scripted {
        answers: std::sync::Mutex<Vec<Answer>>,
        requests: std::sync::Mutex<Vec<TransportRequest>>,
    }

    impl Transport for Scripted {
        fn send(
            &self,
            request: &TransportRequest,
        ) -> Result<TransportResponse, super::super::transport::TransportError> {
            self.requests.lock().unwrap().push(request.clone());
            match self.answers.lock().unwrap().remove(0) {
                Ok((status, headers, body)) => Ok(TransportResponse {
                    status,
                    headers,
                    body: Box::new(std::io::Cursor::new(body)),
                }),
                Err(kind) => Err(super::super::transport::TransportError::new(
                    kind, "scripted",
                )),
            }
        }
    }

    fn scripted(answers: Vec<Answer>) -> (Http, Arc<Scripted>) {
        let transport = Arc::new(Scripted {
            answers: std::sync::Mutex::new(answers),
            requests: std::sync::Mutex::new(Vec::new()),
        });
        let config = HttpConfig {
            backoff_base: Duration::from_millis(1),
            proxy: Some("socks5h://127.0.0.1:9050".into()),
            ..HttpConfig::default()
        };
        let http = Http::with_transport(config, transport.clone()).unwrap();
        (http, transport)
    }

    #[test]
    fn a_transport_gets_exactly_waymarks_headers_the_proxy_and_is_retried_on_failure() {
        let etag = vec![("ETag".to_owned(), "\"v2\"".to_owned())];
        let (http, transport) = scripted(vec![
            Err(TransportErrorKind::Connect),
            Ok((503, vec![("Retry-After".into(), "0".into())], Vec::new())),
            Ok((200, etag, b"{}".to_vec())),
        ]);

        let fetched = http
            .fetch(
                "https://ngo.example/metadata/timestamp.json",
                100,
                Some("\"v1\""),
                &CancelToken::new(),
            )
            .unwrap();

        assert!(
            matches!(fetched, Fetched::Body { ref bytes, ref etag } if bytes == b"{}" && etag.as_deref() == Some("\"v2\""))
        );
        let requests = transport.requests.lock().unwrap();
        assert_eq!(requests.len(), 3, "a connect failure and a 503 are retried");
        for request in requests.iter() {
            let headers: Vec<(&str, &str)> = request
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            assert_eq!(
                headers,
                [
                    ("user-agent", "Waymark"),
                    ("accept", "*/*"),
                    ("accept-encoding", "identity"),
                    ("if-none-match", "\"v1\""),
                ]
            );
            assert_eq!(request.proxy.as_deref(), Some("socks5h://127.0.0.1:9050"));
        }
    }

    #[test]
    fn a_proxy_no_transport_can_use_is_refused() {
        struct Never;
        impl Transport for Never {
            fn send(
                &self,
                _: &TransportRequest,
            ) -> Result<TransportResponse, super::super::transport::TransportError> {
                unreachable!()
            }
        }
        let config = HttpConfig {
            proxy: Some("not a proxy".into()),
            ..HttpConfig::default()
        };
        assert!(matches!(
            Http::with_transport(config, Arc::new(Never)),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn a_socks5_proxy_always_resolves_names_itself() {
        for (given, sent) in [
            ("socks5://10.0.0.2:1080", "socks5h://10.0.0.2:1080"),
            ("socks5h://127.0.0.1:9050", "socks5h://127.0.0.1:9050"),
            ("http://127.0.0.1:3128", "http://127.0.0.1:3128"),
        ] {
            let config = HttpConfig {
                proxy: Some(given.into()),
                ..HttpConfig::default()
            };
            let transport = Arc::new(Scripted {
                answers: std::sync::Mutex::new(Vec::new()),
                requests: std::sync::Mutex::new(Vec::new()),
            });
            let http = Http::with_transport(config, transport).unwrap();
            assert_eq!(http.config().proxy.as_deref(), Some(sent));
        }
    }

    #[test]
    fn backoff_stays_under_its_cap() {
        struct Offline;
        impl Transport for Offline {
            fn send(
                &self,
                _: &TransportRequest,
            ) -> Result<TransportResponse, super::super::transport::TransportError> {
                unreachable!("backoff makes no request")
            }
        }
        let http = Http::with_transport(HttpConfig::default(), Arc::new(Offline)).unwrap();
        for n in 0..20 {
            let cap = Duration::from_millis(500)
                .saturating_mul(1 << n.min(16))
                .min(Duration::from_secs(30));
            assert!(http.backoff(n) <= cap);
        }
    }
}
