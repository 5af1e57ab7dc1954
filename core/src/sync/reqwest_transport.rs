//! (feature `http-reqwest`) The [`Transport`] the CLI and the Rust tests
//! use: reqwest (blocking) over rustls with the ring provider and Mozilla's
//! roots, HTTP/1.1, no cookies, no redirects, no system proxy. It sends
//! every [`Method`](super::transport::Method): sync's GETs and the remote
//! backup's requests.
//!
//! The phone library does not use it: the HTTP/TLS stack is 1.8 MB of a
//! 3 MB budget there, and the app's own stack has the platform's roots.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::transport::{
    Transport, TransportError, TransportErrorKind, TransportRequest, TransportResponse,
};

/// What a client is built for: requests that differ only in URL and
/// headers share one client (and its connections).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClientKey {
    connect_timeout: Duration,
    read_timeout: Duration,
    proxy: Option<String>,
}

/// reqwest over rustls; keeps one client (its connection pool) for the
/// last timeouts and proxy it was asked for.
#[derive(Debug, Default)]
pub struct ReqwestTransport {
    client: Mutex<Option<(ClientKey, Client)>>,
}

impl ReqwestTransport {
    /// A transport with no client yet (built at the first request).
    pub fn new() -> Self {
        Self::default()
    }

    fn client(&self, key: ClientKey) -> Result<Client, TransportError> {
        let mut slot = self.client.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((have, client)) = slot.as_ref()
            && *have == key
        {
            return Ok(client.clone());
        }
        let client = build(&key)?;
        *slot = Some((key, client.clone()));
        Ok(client)
    }
}

fn build(key: &ClientKey) -> Result<Client, TransportError> {
    let setup = |what: &str| TransportError::new(TransportErrorKind::Other, what);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| setup("TLS setup failed"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // No default User-Agent or other headers: the request carries them.
    let mut builder = Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .http1_only()
        .connect_timeout(key.connect_timeout)
        .timeout(key.read_timeout);
    if let Some(proxy) = &key.proxy {
        let proxy = reqwest::Proxy::all(proxy).map_err(|_| setup("the proxy is not usable"))?;
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|_| setup("HTTP client setup failed"))
}

impl Transport for ReqwestTransport {
    fn send(&self, request: &TransportRequest) -> Result<TransportResponse, TransportError> {
        let client = self.client(ClientKey {
            connect_timeout: request.connect_timeout,
            read_timeout: request.read_timeout,
            proxy: request.proxy.clone(),
        })?;
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes());
            let value = HeaderValue::from_str(value);
            let (Ok(name), Ok(value)) = (name, value) else {
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    "a header is not valid",
                ));
            };
            headers.append(name, value);
        }
        let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
            .map_err(|_| TransportError::new(TransportErrorKind::Other, "not a method"))?;
        let mut builder = client.request(method, &request.url).headers(headers);
        if request.method == super::transport::Method::Put {
            builder = builder.body(request.body.clone());
        }
        let response = builder.send().map_err(|e| {
            let kind = if e.is_timeout() {
                TransportErrorKind::Timeout
            } else if e.is_connect() {
                TransportErrorKind::Connect
            } else {
                TransportErrorKind::Other
            };
            // reqwest's message names the URL: keep only the kind.
            TransportError::new(kind, "the request failed")
        })?;
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        Ok(TransportResponse {
            status: response.status().as_u16(),
            headers,
            body: Box::new(response),
        })
    }
}
