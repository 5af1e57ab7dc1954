//! HTTP for sync and the remote backup through the app's own stack: [`HttpTransport`], a foreign
//! trait the app implements with its platform's client (the Kotlin layer
//! ships `org.waymark.ktx.UrlConnectionTransport` over
//! `java.net.HttpURLConnection`, the Swift layer `URLSessionTransport`),
//! and its adapter to the core's `Transport`.
//!
//! Why: reqwest, hyper, rustls, ring and Mozilla's roots are 1.8 MB of a
//! 3 MB library budget, and the platform's stack already ships with the
//! phone, keeps its trusted roots up to date and knows the platform's
//! network. Every policy (headers, retries, bounds, slow-retrieval floor,
//! resumption, cancellation) stays in the core; a transport performs one
//! request (a GET for sync; PUT, HEAD, DELETE or MKCOL too for the backup).

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use waymark_core::sync::{
    Transport, TransportError, TransportErrorKind, TransportRequest, TransportResponse,
};

use crate::stream::Pull;

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Its name (lower case in requests; any case in responses).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// One request to perform. See [`HttpTransport`] for the contract.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// The method: `GET` (everything sync sends), or for the remote backup
    /// `PUT`, `HEAD`, `DELETE` and (WebDAV) `MKCOL`.
    pub method: String,
    /// The URL (no query string, except a backup's presigned S3 URL).
    pub url: String,
    /// Exactly the headers to send, `User-Agent` included, replacing the
    /// platform's defaults.
    pub headers: Vec<HttpHeader>,
    /// Longest wait to connect, in milliseconds.
    pub connect_timeout_ms: i64,
    /// Longest wait for the response headers and for each read of the
    /// body, in milliseconds.
    pub read_timeout_ms: i64,
    /// The proxy to use (`http://host:port`, `socks5://host:port`,
    /// `socks5h://host:port`), already checked; `null`/`nil`: direct, never
    /// the system's proxy.
    pub proxy: Option<String>,
    /// The body to send: empty for every method but `PUT` (which sends it,
    /// with its `Content-Length`, even when empty).
    pub body: Vec<u8>,
}

/// A response whose body the core reads in chunks.
#[derive(uniffi::Record)]
pub struct HttpResponse {
    /// The status as the server sent it (200, 206, 304, 404, 416, 429…);
    /// one outside 100 to 599 is refused as `HttpError.Other`.
    pub status: i32,
    /// The response headers.
    pub headers: Vec<HttpHeader>,
    /// The body, unread.
    pub body: Arc<dyn HttpBody>,
}

/// Why a request or a read failed. The core retries every kind with backoff;
/// an undeclared exception thrown by the app's code counts as `Other`.
/// Reasons are for diagnostics: no URL, host name or personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HttpError {
    /// No answer in time (connect, headers or a read of the body).
    #[error("timed out")]
    Timeout,
    /// Could not connect (DNS, refused, unreachable, proxy, TLS).
    #[error("could not connect")]
    Connect,
    /// Anything else.
    #[error("{reason}")]
    Other {
        /// A short description.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpError::Other {
            reason: "the app's HTTP transport failed".into(),
        }
    }
}

/// The app's HTTP client, performing one request per call. Called on a
/// background thread of Waymark's: block until the headers arrive.
///
/// Every implementation MUST:
/// - send [`HttpRequest::method`] with [`HttpRequest::body`] (a `PUT`'s,
///   even empty, with its `Content-Length`; no body for the others);
/// - not follow redirects (return the 3xx as it came);
/// - send exactly [`HttpRequest::headers`], replacing the platform's
///   defaults (`User-Agent`, `Accept-Encoding`…), and add no cookies,
///   `Referer`, credentials or identifiers of its own (a backup request's
///   `Authorization` header is among the headers given);
/// - keep no cookies and no cache, and add no conditional headers;
/// - return every status as it came (206, 304, 404, 416, 5xx are answers,
///   not errors), with the response headers;
/// - hand over the body's bytes as sent (no decompression) and as they
///   arrive, through [`HttpBody`];
/// - apply the timeouts and use [`HttpRequest::proxy`] when given and no
///   proxy otherwise;
/// - verify TLS with the platform's roots;
/// - never log the URL, headers or body.
///
/// The Kotlin and Swift packages ship one that does.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    /// Performs one request; an error only when no status arrived.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// A response body, read in order by the core until it is empty, then
/// released (also when the core stops early: a bound, a cancellation, a
/// slow transfer).
#[uniffi::export(with_foreign)]
pub trait HttpBody: Send + Sync {
    /// Up to `max_bytes` more bytes of the body (at least one, blocking
    /// until some arrive), or none at the end of the body.
    fn read(&self, max_bytes: i32) -> Result<Vec<u8>, HttpError>;
    /// Closes the body and releases its connection; no read follows.
    /// (Not `close`: that name is the Kotlin handle's own.)
    fn release(&self);
}

/// The app's transport as the core's.
pub(crate) struct ForeignTransport(pub(crate) Arc<dyn HttpTransport>);

impl Transport for ForeignTransport {
    fn send(&self, request: &TransportRequest) -> Result<TransportResponse, TransportError> {
        let request = HttpRequest {
            method: request.method.as_str().to_owned(),
            body: request.body.clone(),
            url: request.url.clone(),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| HttpHeader {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            connect_timeout_ms: millis(request.connect_timeout),
            read_timeout_ms: millis(request.read_timeout),
            proxy: request.proxy.clone(),
        };
        let response = self.0.send(request).map_err(|e| {
            let kind = match e {
                HttpError::Timeout => TransportErrorKind::Timeout,
                HttpError::Connect => TransportErrorKind::Connect,
                HttpError::Other { .. } => TransportErrorKind::Other,
            };
            TransportError::new(kind, e.to_string())
        })?;
        let status = u16::try_from(response.status)
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| TransportError::new(TransportErrorKind::Other, "not an HTTP status"))?;
        Ok(TransportResponse {
            status,
            headers: response
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body: Box::new(ForeignBody::new(response.body)),
        })
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Pulls a foreign body as a `Read`; releases it when dropped.
struct ForeignBody {
    pull: Pull,
    body: Arc<dyn HttpBody>,
}

impl ForeignBody {
    fn new(body: Arc<dyn HttpBody>) -> Self {
        let from = Arc::clone(&body);
        let pull = Pull::new(move |max| {
            from.read(i32::try_from(max).unwrap_or(i32::MAX))
                .map_err(|e| {
                    let kind = match e {
                        HttpError::Timeout => std::io::ErrorKind::TimedOut,
                        _ => std::io::ErrorKind::ConnectionAborted,
                    };
                    std::io::Error::new(kind, e.to_string())
                })
        });
        ForeignBody { pull, body }
    }
}

impl Read for ForeignBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.pull.read(buf)
    }
}

impl Drop for ForeignBody {
    fn drop(&mut self) {
        self.body.release();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A body handing out fixed chunks, recording reads and the release.
    struct Chunks {
        chunks: Mutex<Vec<Vec<u8>>>,
        released: Arc<Mutex<bool>>,
    }

    impl HttpBody for Chunks {
        fn read(&self, _max_bytes: i32) -> Result<Vec<u8>, HttpError> {
            let mut chunks = self.chunks.lock().unwrap();
            if chunks.is_empty() {
                Ok(Vec::new())
            } else {
                Ok(chunks.remove(0))
            }
        }

        fn release(&self) {
            *self.released.lock().unwrap() = true;
        }
    }

    fn body(chunks: &[&[u8]]) -> (ForeignBody, Arc<Mutex<bool>>) {
        let released = Arc::new(Mutex::new(false));
        let body = Chunks {
            chunks: Mutex::new(chunks.iter().map(|c| c.to_vec()).collect()),
            released: Arc::clone(&released),
        };
        (ForeignBody::new(Arc::new(body)), released)
    }

    #[test]
    fn a_foreign_body_reads_in_order_even_when_chunks_exceed_the_buffer() {
        let (mut body, released) = body(&[b"hello ", b"world, and more"]);
        let mut out = Vec::new();
        let mut buf = [0u8; 4];
        loop {
            let n = body.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, b"hello world, and more");
        assert!(!*released.lock().unwrap());
        drop(body);
        assert!(*released.lock().unwrap(), "dropping the body releases it");
    }

    #[test]
    fn a_foreign_read_error_is_an_io_error_not_a_panic() {
        struct Broken;
        impl HttpBody for Broken {
            fn read(&self, _: i32) -> Result<Vec<u8>, HttpError> {
                Err(HttpError::Timeout)
            }
            fn release(&self) {}
        }
        let mut body = ForeignBody::new(Arc::new(Broken));
        let e = body.read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    }
}
