//! `waymark-pack serve`: a static HTTP server for a repository, for local
//! use and tests. tower-http's `ServeDir` does the files (Range requests,
//! safe paths); a small layer adds strong ETags and answers If-None-Match
//! with 304, so a phone's "nothing changed" check costs a few hundred bytes.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;

use crate::Report;

/// The file a request path names inside `root`, if it is a plain path.
fn file_for(root: &Path, uri_path: &str) -> Option<PathBuf> {
    let rel = Path::new(uri_path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let p = root.join(rel);
    p.is_file().then_some(p)
}

/// Files up to this size get a content-hash ETag; larger ones (packs,
/// bundles) one from length and modification time, so a request never reads
/// a large file twice.
const HASHED_ETAG_MAX: u64 = 1024 * 1024;

/// A strong ETag for a file.
fn etag(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > HASHED_ETAG_MAX {
        let mtime = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        return Some(format!("\"{:x}-{mtime:x}\"", meta.len()));
    }
    let bytes = std::fs::read(path).ok()?;
    Some(format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(&bytes)[..16])
    ))
}

async fn with_etag(State(root): State<PathBuf>, req: Request, next: Next) -> Response {
    let tag = file_for(&root, req.uri().path()).and_then(|p| etag(&p));
    if let Some(tag) = &tag {
        let matches = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
        if matches {
            let mut resp = StatusCode::NOT_MODIFIED.into_response();
            if let Ok(v) = HeaderValue::from_str(tag) {
                resp.headers_mut().insert(header::ETAG, v);
            }
            return resp;
        }
    }
    let mut resp = next.run(req).await;
    if let Some(tag) = tag
        && resp.status().is_success()
        && let Ok(v) = HeaderValue::from_str(&tag)
    {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// The router serving `root`.
pub fn router(root: &Path) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(root))
        .layer(middleware::from_fn_with_state(
            root.to_path_buf(),
            with_etag,
        ))
        .with_state(())
}

/// Serves `root` on `addr` until interrupted.
pub fn serve(root: &Path, addr: SocketAddr) -> Result<(), Report> {
    if !root.is_dir() {
        return Err(Report::message(format!(
            "{} is not a directory",
            root.display()
        )));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!(
            "serving {} on http://{}",
            root.display(),
            listener.local_addr()?
        );
        axum::serve(listener, router(root))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok::<_, std::io::Error>(())
    })?;
    Ok(())
}
