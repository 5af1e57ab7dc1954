//! `waymark-pack preview DIR`: a local web page that shows a pack's source
//! as a phone shows it, for an author to check before publishing.
//!
//! Every page load reads the source again ([`crate::source::read`], the
//! same checks as `validate`). When it builds, the pack is published with
//! throwaway keys to a throwaway repository, and a throwaway phone-side
//! [`ContentStore`] trusts that publisher's card and installs the offline
//! bundle, exactly as a phone would; the page then asks that store
//! (search, nearby, country, routes, alerts in force, provenance) and shows
//! its answers. Nothing here re-implements a phone's queries. A source
//! whose bytes did not change since the last load is not published again.
//!
//! Problems are shown where they belong: errors at the top (and, when
//! they stop the pack from building, instead of the pack), warnings next to
//! the entry they concern and all of them in a list at the top.
//!
//! The server listens on 127.0.0.1 only, and answers only requests whose
//! `Host` names this computer (no DNS rebinding). Pack text reaches the page only
//! through askama's HTML escaping, links only when they are `http(s)://`,
//! and the page's Content-Security-Policy allows no script at all.

mod texts;
mod view;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use waymark_core::clock::Clock;
use waymark_core::content::model::PackManifest;
use waymark_core::content::{ContentStore, TrustRequest};

use crate::Report;
use crate::source::{self, Source};

/// The port `preview` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8787;

/// `waymark-pack preview --help`.
pub const LONG_ABOUT: &str = "\
Preview a pack's source as a phone shows it: a local web page on
http://127.0.0.1:PORT/, sized like a phone screen.

The source is read again on every page load: edit a file, then reload the
page. When the source builds, the page shows what a phone would, through the
phone library itself: search, services with their distances from a point you
choose (and open now, phone numbers, SAMPLE and OLD marks), a country
profile, routes, and the alerts in force now; right to left for Arabic,
Persian and other right-to-left languages. Validation problems are shown on
the page: errors at the top, warnings next to the entry they concern.

The pack is published for the preview with throwaway keys into a temporary
directory, never into your repository. The server answers on 127.0.0.1 only.
With WAYMARK_PACK_NOW (RFC 3339) the preview phone lives at that time: which
alerts are in force then, what is open then.

Example: waymark-pack preview my-pack --lang ar, then open
http://127.0.0.1:8787/ in a browser.";

/// What the last successful load made: the phone-side store with the
/// pack installed, for the pack bytes it was made from.
struct Installed {
    digest: [u8; 32],
    store: Arc<ContentStore>,
    /// The keys, repository and store; removed when replaced.
    _dir: tempfile::TempDir,
}

/// The server's state.
struct App {
    dir: PathBuf,
    lang: Option<String>,
    installed: Mutex<Option<Installed>>,
}

/// One page load's reading of the source.
pub(crate) struct Loaded {
    pub checked: source::Checked,
    /// The store with the pack installed, when it builds.
    pub store: Option<Arc<ContentStore>>,
    /// Why the pack could not be installed on the preview phone, if it
    /// builds but could not (a bug, or a full disk).
    pub install_error: Option<String>,
}

impl App {
    /// Reads the source; publishes and installs it when its bytes changed.
    fn load(&self) -> Loaded {
        let checked = source::read(&self.dir, crate::build::default_threads() as usize);
        let Some(src) = &checked.source else {
            return Loaded {
                checked,
                store: None,
                install_error: None,
            };
        };
        match self.install(src) {
            Ok(store) => Loaded {
                checked,
                store: Some(store),
                install_error: None,
            },
            Err(e) => Loaded {
                checked,
                store: None,
                install_error: Some(e.line()),
            },
        }
    }

    fn install(&self, src: &Source) -> Result<Arc<ContentStore>, Report> {
        let bytes = crate::build::pack_bytes(src, crate::build::default_threads())?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let mut installed = self.installed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = installed.as_ref()
            && i.digest == digest
        {
            return Ok(i.store.clone());
        }
        let (dir, store) = publish_and_install(&src.manifest, &bytes)?;
        *installed = Some(Installed {
            digest,
            store: store.clone(),
            _dir: dir,
        });
        Ok(store)
    }
}

/// Publishes `pack` with new keys into a temporary repository and installs
/// its bundle on a new phone-side store that trusts the publisher's card,
/// as a phone does.
fn publish_and_install(
    manifest: &PackManifest,
    pack: &[u8],
) -> Result<(tempfile::TempDir, Arc<ContentStore>), Report> {
    let dir = tempfile::Builder::new()
        .prefix("waymark-preview-")
        .tempdir()?;
    let (keys, repo, phone) = (
        dir.path().join("keys"),
        dir.path().join("repo"),
        dir.path().join("phone"),
    );
    let file = dir.path().join("pack.wmpack");
    std::fs::write(&file, pack)?;
    crate::keys::keygen(&keys, crate::keys::KeyType::Ed25519, &[], false)?;
    let sources = crate::keys::KeySources {
        dir: keys,
        files: Default::default(),
        commands: Default::default(),
    };
    let expiries = crate::repo::Expiries {
        root_days: 365,
        targets_days: 90,
        snapshot_days: 30,
        timestamp_hours: 24,
        bundle_days: 30,
    };
    crate::repo::Repo::new(&repo).publish(&[file], &sources, None, 0, expiries)?;
    let store = ContentStore::open_with_clock(&phone, Arc::new(PreviewClock))?;
    store.trust_publisher(
        &std::fs::read(repo.join("publisher.json"))?,
        &TrustRequest::default(),
    )?;
    store.install_bundle(
        &repo
            .join("bundles")
            .join(format!("{}.wmbundle", manifest.id)),
    )?;
    Ok((dir, Arc::new(store)))
}

/// The preview phone's clock: the time `publish` signs at (the system
/// clock, or `WAYMARK_PACK_NOW`), so that an author can see which alerts
/// will be in force, and what will be open, at another time.
#[derive(Debug)]
struct PreviewClock;

impl Clock for PreviewClock {
    fn now(&self) -> DateTime<Utc> {
        crate::repo::now()
    }
}

/// Whether a request's `Host` names this computer: a page from elsewhere
/// that points its own name at 127.0.0.1 (DNS rebinding) gets nothing.
fn local_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

async fn page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if !local_host(&headers) {
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "open the preview at http://127.0.0.1:PORT/",
        )
            .into_response();
    }
    let rendered = tokio::task::spawn_blocking(move || {
        let params = view::Params::parse(query.as_deref().unwrap_or(""));
        let loaded = app.load();
        view::render(&app.dir, app.lang.as_deref(), &params, &loaded)
    })
    .await;
    let mut resp = match rendered {
        Ok(Ok(html)) => Html(html).into_response(),
        Ok(Err(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the page could not be made: {e}"),
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    // No script may run, whatever a pack holds; styles only from the page.
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
        ),
    );
    resp.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The preview's routes: `/` is the page.
fn router(app: Arc<App>) -> Router {
    Router::new().route("/", get(page)).with_state(app)
}

/// Ctrl-C, or (on Unix) SIGTERM: either way the server stops and the
/// temporary keys, repository and store are removed.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `waymark-pack preview DIR [--lang L] [--port P]`: serves the preview on
/// 127.0.0.1 until interrupted.
pub fn preview(dir: &Path, lang: Option<String>, port: u16) -> Result<(), Report> {
    if !dir.is_dir() {
        return crate::fail(format!("{} is not a directory", dir.display()));
    }
    if let Some(l) = &lang {
        source::check_language(l).map_err(Report::message)?;
    }
    // What publishing to the throwaway repository says is not for the author.
    crate::QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
    let app = Arc::new(App {
        dir: dir.to_path_buf(),
        lang,
        installed: Mutex::new(None),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        eprintln!(
            "previewing {} on http://{}/ (reload the page after each edit; Ctrl-C to stop)",
            dir.display(),
            listener.local_addr()?
        );
        axum::serve(listener, router(app))
            .with_graceful_shutdown(stopped())
            .await?;
        Ok::<_, std::io::Error>(())
    })?;
    Ok(())
}
