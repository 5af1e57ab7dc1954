//! The seam between Waymark's HTTP policy and whatever performs a request.
//!
//! [`Http`](super::Http) holds every decision (which headers, retries and
//! backoff, bounds, the slow-retrieval floor, resumption, cancellation);
//! a [`Transport`] only performs one request and hands back the status,
//! the headers and the body as a stream. Sync only ever sends `GET`; the
//! remote backup (`crate::backup::remote`) also sends `PUT`, `HEAD`,
//! `DELETE` and, to WebDAV, `MKCOL`, each with the body it is given. The CLI and the Rust tests use
//! [`ReqwestTransport`](super::ReqwestTransport) (feature `http-reqwest`);
//! the phone library passes the app's own HTTP stack (OkHttp or
//! `HttpURLConnection` on Android, `URLSession` on iOS), which keeps the
//! HTTP/TLS stack out of the native library and uses the platform's
//! certificate store.
//!
//! # The contract a transport MUST honour
//!
//! Sync's privacy and its checks rest on these; a transport that breaks one
//! breaks Waymark's promises, not only its own.
//!
//! - Perform exactly one request of [`TransportRequest::method`] to
//!   [`TransportRequest::url`], with [`TransportRequest::body`] as its body
//!   (none for `GET`, `HEAD`, `DELETE` and `MKCOL`; a `PUT` sends its body
//!   with its `Content-Length`, even an empty one). Do not follow
//!   redirects: a 3xx is returned as it came.
//! - Send exactly [`TransportRequest::headers`] (they include
//!   `User-Agent: Waymark`, `Accept: */*` and `Accept-Encoding: identity`), replacing the
//!   platform's defaults for the same names, and no cookies, `Referer`,
//!   authentication, device or app identifiers. Only what the protocol
//!   itself needs (`Host`, `Content-Length`, connection management) may be
//!   added. The backup's requests carry their own `Authorization` (WebDAV)
//!   or a signed URL (S3); sync's never do.
//! - Keep no cookies and no cache: never answer from a cache, never add
//!   conditional headers of its own, never store a response.
//! - Report the status as the server sent it (200, 206, 304, 404, 416,
//!   429, 5xx…), with its headers; never turn a status into an error.
//! - Hand over the body's bytes as they were sent (no decompression: the
//!   request asks for none) and as they arrive, not after the whole body
//!   is buffered: [`Http`](super::Http) measures speed, bounds length and
//!   cancels while it reads.
//! - Connect within [`TransportRequest::connect_timeout`] and wait at most
//!   [`TransportRequest::read_timeout`] for the headers and for each read
//!   of the body; report a timeout as [`TransportErrorKind::Timeout`].
//! - Use [`TransportRequest::proxy`] when it is given (`http://host:port`,
//!   or `socks5h://host:port`: [`Http`](super::Http) hands every SOCKS5
//!   proxy over in that form), and no proxy at all when it is not: never
//!   the system's proxy settings behind the person's back. Through a SOCKS5
//!   proxy, give the proxy the host's name and let it resolve it: no DNS
//!   lookup on the phone.
//! - Verify TLS against the platform's trusted roots; never skip it.
//! - Never log the URL, the headers or the body.

use std::fmt;
use std::io::Read;
use std::time::Duration;

/// The HTTP methods Waymark sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Sync, and reading a backup.
    #[default]
    Get,
    /// Whether a backup object is there, and its length.
    Head,
    /// Writing a backup object.
    Put,
    /// Removing a backup object no longer referenced.
    Delete,
    /// Creating a WebDAV collection (RFC 4918) for a backup.
    Mkcol,
}

impl Method {
    /// The method's name as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Mkcol => "MKCOL",
        }
    }
}

/// One request to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportRequest {
    /// The method: `GET` for everything sync sends.
    pub method: Method,
    /// The URL, without fragment; without query string, except an S3
    /// backup request's signed URL.
    pub url: String,
    /// The body to send (empty for every method but `PUT`).
    pub body: Vec<u8>,
    /// Every header to send, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// Longest wait to connect.
    pub connect_timeout: Duration,
    /// Longest wait for the response headers and for each read of the body.
    pub read_timeout: Duration,
    /// The proxy to go through (`http://…`, `socks5://…`, `socks5h://…`),
    /// already checked by [`check_proxy_url`]; `None`: direct.
    pub proxy: Option<String>,
}

/// A response whose body is still to be read.
pub struct TransportResponse {
    /// The HTTP status, as the server sent it.
    pub status: u16,
    /// The response headers (any case; looked up case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The body, read as it arrives. An error from `read` ends the attempt
    /// as a broken transfer (what arrived is kept and resumed).
    pub body: Box<dyn Read + Send>,
}

impl TransportResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Length` header, if present and a number.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")?.trim().parse().ok()
    }
}

impl fmt::Debug for TransportResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// What kind of failure stopped a request before a status arrived. Every kind
/// is retried by [`Http`](super::Http) (with backoff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// No answer in time (connect or headers).
    Timeout,
    /// Could not connect (DNS, refused, unreachable, proxy, TLS handshake).
    Connect,
    /// Anything else.
    Other,
}

/// A request that failed before a status arrived. The message is for
/// diagnostics only and MUST NOT carry the URL, a host name or personal
/// data; it is not shown to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// A short description.
    pub message: String,
}

impl TransportError {
    /// A failure of `kind`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

/// Performs one request. See the module documentation for the contract
/// every implementation MUST honour.
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the status, the headers and the body
    /// unread; `Err` only when no status arrived.
    fn send(&self, request: &TransportRequest) -> Result<TransportResponse, TransportError>;
}

/// Whether `proxy` is a proxy URL every transport can use:
/// `http://host:port`, `socks5://host:port` or `socks5h://host:port`
/// (host a name, an IPv4 address or a bracketed IPv6 address; no path,
/// no credentials).
pub fn check_proxy_url(proxy: &str) -> bool {
    let Some((scheme, rest)) = proxy.split_once("://") else {
        return false;
    };
    if !matches!(scheme, "http" | "socks5" | "socks5h") {
        return false;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, port),
        None => return false,
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    host_ok && port.parse::<u16>().is_ok_and(|p| p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_every_transport_can_use_are_accepted() {
        for ok in [
            "socks5h://127.0.0.1:9050",
            "socks5://localhost:1080",
            "http://proxy.example.org:3128/",
            "http://[::1]:8080",
        ] {
            assert!(check_proxy_url(ok), "{ok}");
        }
        for bad in [
            "not a proxy",
            "ftp://host:21",
            "socks5h://127.0.0.1",
            "http://user:pw@host:1",
            "http://host:0",
            "http://host:99999",
            "http://:8080",
            "https://host:443",
        ] {
            assert!(!check_proxy_url(bad), "{bad}");
        }
    }
}
