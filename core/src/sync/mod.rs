//! Sync: bring every trusted publisher's packs up to date over the network,
//! spending as few bytes as possible and never leaving a half-installed
//! pack.
//!
//! - The TUF client workflow itself is [`crate::tuf::Updater`]; sync reads
//!   a repository's metadata through it from an [`HttpRemote`].
//! - [`http`]: the HTTP client: fixed User-Agent and nothing identifying,
//!   conditional requests, resumable downloads, retries with backoff and
//!   jitter honouring `Retry-After`, timeouts, a slow-transfer floor, an
//!   optional proxy.
//! - [`transport`]: the [`Transport`] trait `Http` performs each GET
//!   through, and the contract it honours; [`ReqwestTransport`] (feature
//!   `http-reqwest`) for the CLI and the tests, the app's HTTP stack on
//!   the phone.
//! - [`ContentStore::sync`] and [`ContentStore::plan_sync`]: one pass over
//!   the trusted publishers that have a repository URL. A failure at one
//!   publisher does not stop the others; the report says what happened at
//!   each. The previous content stays searchable throughout: a pack is
//!   installed in one transaction only once its bytes match the signed
//!   hashes.
//!
//! A repository URL is the repository's root: metadata under
//! `URL/metadata/`, packs under `URL/targets/` (what `waymark-pack publish`
//! writes). Interrupted downloads are kept under `downloads/` beside the
//! content database, named by their signed hash, and resumed next time.

pub mod http;
mod remote;
#[cfg(feature = "http-reqwest")]
mod reqwest_transport;
pub mod transport;

#[cfg(all(test, unix))]
mod tests_modes;

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use http::{CancelToken, Http, HttpConfig, USER_AGENT};
pub use remote::HttpRemote;
#[cfg(feature = "http-reqwest")]
pub use reqwest_transport::ReqwestTransport;
pub use transport::{
    Transport, TransportError, TransportErrorKind, TransportRequest, TransportResponse,
    check_proxy_url,
};

use crate::content::ContentStore;
use crate::content::metadata::PublisherMetadata;
use crate::content::target::{ContentDigest, PackTargetCustom};
use crate::error::{Error, Result};
use crate::tuf::{Digests, TargetFile, Updater, target_url};

/// The network the phone is on, as the app knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// Wi-Fi or anything not paid by the byte.
    #[default]
    Unmetered,
    /// Mobile data or anything paid by the byte.
    Metered,
}

/// What a sync may spend.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The network's state.
    pub network: Network,
    /// Most bytes of packs (and patches) to download in this sync; larger
    /// downloads wait. `None`: no limit.
    pub budget: Option<u64>,
    /// On a metered network, downloads larger than this wait unless
    /// `allow_large_on_metered`.
    pub large_download: u64,
    /// Let large downloads run on a metered network.
    pub allow_large_on_metered: bool,
    /// Install packs of trusted publishers that are not installed yet (not
    /// only update installed ones).
    pub install_new_packs: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            network: Network::Unmetered,
            budget: None,
            large_download: 1024 * 1024,
            allow_large_on_metered: false,
            install_new_packs: true,
        }
    }
}

/// How a pack would arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DownloadKind {
    /// A patch from the installed version.
    Patch,
    /// The whole pack.
    Full,
}

/// One download a sync would make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedDownload {
    /// The pack.
    pub pack: String,
    /// The version installed now, if any.
    pub installed_version: Option<u64>,
    /// The version offered.
    pub version: u64,
    /// Patch or full pack.
    pub kind: DownloadKind,
    /// Bytes still to download (a resumed download counts what is left).
    pub bytes: u64,
    /// The target's path in the repository.
    #[serde(skip)]
    target: String,
    /// The pack's own target (for the fallback from a patch).
    #[serde(skip)]
    pack_target: String,
}

/// What a sync would do at one publisher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublisherPlan {
    /// Publisher id.
    pub publisher: String,
    /// The downloads, in the order they would run.
    pub downloads: Vec<PlannedDownload>,
    /// Their total bytes.
    pub bytes: u64,
    /// Why the publisher could not be checked, if it could not.
    pub error: Option<String>,
}

/// What a sync would download, per publisher (metadata already checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncPlan {
    /// One plan per trusted publisher with a repository URL.
    pub publishers: Vec<PublisherPlan>,
    /// Bytes of packs and patches in all.
    pub total_bytes: u64,
}

/// Why a download waits for a later sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// Larger than allowed on a metered network.
    Metered,
    /// Beyond the byte budget of this sync.
    Budget,
}

/// Progress, for a progress bar or a log; the bindings turn these into a
/// Flow (Kotlin) and an AsyncStream (Swift).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    /// Checking a publisher's repository for changes.
    Checking {
        /// Publisher id.
        publisher: String,
    },
    /// Bytes of a pack (or patch) received so far, of the total.
    Downloading {
        /// Publisher id.
        publisher: String,
        /// Pack id.
        pack: String,
        /// Bytes held so far (a resumed download starts above 0).
        received: u64,
        /// The file's signed length.
        total: u64,
    },
    /// Checking a downloaded file against its signed hashes.
    Verifying {
        /// Publisher id.
        publisher: String,
        /// Pack id.
        pack: String,
    },
    /// Installing a verified pack (the old version stays searchable).
    Installing {
        /// Publisher id.
        publisher: String,
        /// Pack id.
        pack: String,
        /// The version going in.
        version: u64,
    },
    /// A download waits for a later sync.
    Waiting {
        /// Publisher id.
        publisher: String,
        /// Pack id.
        pack: String,
        /// Its size.
        bytes: u64,
        /// Why it waits.
        reason: WaitReason,
    },
    /// A publisher is done.
    Done {
        /// Publisher id.
        publisher: String,
        /// Packs installed or updated.
        installed: u32,
        /// Bytes received (metadata and packs).
        bytes: u64,
    },
    /// A publisher failed; the others go on.
    Failed {
        /// Publisher id.
        publisher: String,
        /// Why, fit to show.
        reason: String,
    },
}

/// Receives sync progress. Called on the syncing thread: keep it quick.
pub trait SyncListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: &SyncEvent);
}

impl<F: Fn(&SyncEvent) + Send + Sync> SyncListener for F {
    fn on_event(&self, event: &SyncEvent) {
        self(event)
    }
}

/// A listener that ignores everything.
pub fn no_listener() -> impl SyncListener {
    |_: &SyncEvent| {}
}

/// A pack installed or updated by a sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackUpdate {
    /// Pack id.
    pub pack: String,
    /// The version now installed.
    pub version: u64,
    /// How it arrived.
    pub kind: DownloadKind,
    /// Bytes received for it.
    pub bytes: u64,
}

/// How a publisher's sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublisherStatus {
    /// Nothing to do.
    UpToDate,
    /// Everything offered is installed now.
    Updated,
    /// Some downloads wait (metered network or budget).
    Partial,
    /// It failed; see the reason.
    Failed,
}

/// What one sync did at one publisher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublisherReport {
    /// Publisher id.
    pub publisher: String,
    /// The outcome.
    pub status: PublisherStatus,
    /// Packs installed or updated.
    pub installed: Vec<PackUpdate>,
    /// Downloads left for later.
    pub waiting: Vec<PlannedDownload>,
    /// Bytes received, metadata and packs.
    pub bytes: u64,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// One report per trusted publisher with a repository URL.
    pub publishers: Vec<PublisherReport>,
}

impl SyncReport {
    /// Bytes received in all.
    pub fn bytes(&self) -> u64 {
        self.publishers.iter().map(|p| p.bytes).sum()
    }
}

/// A trusted publisher to sync.
struct Source {
    id: String,
    url: String,
}

impl ContentStore {
    fn sync_sources(&self) -> Result<Vec<Source>> {
        Ok(self
            .trusted_publishers()?
            .into_iter()
            .filter_map(|p| {
                Some(Source {
                    url: p.url?.trim_end_matches('/').to_owned(),
                    id: p.id,
                })
            })
            .collect())
    }

    /// Checks every trusted publisher's metadata (a few small files; a
    /// "nothing changed" check is one conditional request) and says what a
    /// sync would download, per publisher, without downloading any pack.
    pub fn plan_sync(
        &self,
        http: &Http,
        options: &SyncOptions,
        cancel: &CancelToken,
    ) -> Result<SyncPlan> {
        let mut publishers = Vec::new();
        for source in self.sync_sources()? {
            cancel.check()?;
            let plan = self.with_updater(http, &source, cancel, |store, up| {
                store.plan_publisher(up, &source, options)
            });
            publishers.push(match plan {
                Ok((downloads, _)) => PublisherPlan {
                    publisher: source.id,
                    bytes: downloads.iter().map(|d| d.bytes).sum(),
                    downloads,
                    error: None,
                },
                Err(Error::Cancelled) => return Err(Error::Cancelled),
                Err(e) => PublisherPlan {
                    publisher: source.id,
                    downloads: Vec::new(),
                    bytes: 0,
                    error: Some(e.to_string()),
                },
            });
        }
        let total_bytes = publishers.iter().map(|p| p.bytes).sum();
        Ok(SyncPlan {
            publishers,
            total_bytes,
        })
    }

    /// Syncs every trusted publisher that has a repository URL: refreshes
    /// its metadata, then downloads, verifies and installs the packs that
    /// changed (a patch when one fits, else the full pack), within the
    /// options' budget. A failure at one publisher is reported and the next
    /// goes on; cancellation stops everything (`Err(Cancelled)`) with
    /// everything consistent, and the next sync resumes.
    pub fn sync(
        &self,
        http: &Http,
        options: &SyncOptions,
        listener: &dyn SyncListener,
        cancel: &CancelToken,
    ) -> Result<SyncReport> {
        let mut budget = options.budget;
        let mut publishers = Vec::new();
        for source in self.sync_sources()? {
            cancel.check()?;
            listener.on_event(&SyncEvent::Checking {
                publisher: source.id.clone(),
            });
            let mut report = PublisherReport {
                publisher: source.id.clone(),
                status: PublisherStatus::UpToDate,
                installed: Vec::new(),
                waiting: Vec::new(),
                bytes: 0,
                error: None,
            };
            let result = self.with_updater(http, &source, cancel, |store, up| {
                let downloads = store.plan_publisher(up, &source, options)?;
                for d in downloads {
                    if let Some(reason) = must_wait(&d, options, budget) {
                        listener.on_event(&SyncEvent::Waiting {
                            publisher: source.id.clone(),
                            pack: d.pack.clone(),
                            bytes: d.bytes,
                            reason,
                        });
                        report.waiting.push(d);
                        continue;
                    }
                    let update =
                        store.fetch_and_install(http, up, &source, &d, listener, cancel)?;
                    if let Some(b) = budget.as_mut() {
                        *b = b.saturating_sub(update.bytes);
                    }
                    report.bytes += update.bytes;
                    report.installed.push(update);
                }
                Ok(())
            });
            match result {
                Ok(((), metadata_bytes)) => {
                    report.bytes += metadata_bytes;
                    report.status = if !report.waiting.is_empty() {
                        PublisherStatus::Partial
                    } else if report.installed.is_empty() {
                        PublisherStatus::UpToDate
                    } else {
                        PublisherStatus::Updated
                    };
                    listener.on_event(&SyncEvent::Done {
                        publisher: source.id.clone(),
                        installed: report.installed.len() as u32,
                        bytes: report.bytes,
                    });
                }
                Err(Error::Cancelled) => return Err(Error::Cancelled),
                Err(e) => {
                    report.status = PublisherStatus::Failed;
                    report.error = Some(e.to_string());
                    listener.on_event(&SyncEvent::Failed {
                        publisher: source.id.clone(),
                        reason: e.to_string(),
                    });
                }
            }
            publishers.push(report);
        }
        Ok(SyncReport { publishers })
    }

    /// Runs `work` with a refreshed updater for `source`, then records the
    /// versions seen. Returns what `work` returned and the metadata bytes.
    fn with_updater<T>(
        &self,
        http: &Http,
        source: &Source,
        cancel: &CancelToken,
        work: impl FnOnce(&Self, &mut Updater<'_>) -> Result<T>,
    ) -> Result<(T, u64)> {
        let (_, seen) = self.trust_state(&source.id)?;
        let mut metadata = PublisherMetadata::new(self, &source.id);
        let mut remote = HttpRemote::new(http, cancel, &format!("{}/metadata", source.url));
        let mut up = Updater::new(&mut remote, &mut metadata, self.clock().now(), seen.clone())?;
        let refreshed = up.refresh()?;
        PublisherMetadata::new(self, &source.id).record_seen(&seen, &refreshed.seen)?;
        if !refreshed.unchanged {
            // Only when the timestamp changed: "nothing changed" stays one
            // conditional request.
            let offline = up.offline_timestamp()?;
            PublisherMetadata::new(self, &source.id).set_offline_timestamp(offline.as_deref())?;
        }
        let out = work(self, &mut up)?;
        Ok((out, up.fetched()))
    }

    /// What to download from one publisher: installed packs with a newer
    /// version (as patches when one from the installed version is offered),
    /// then packs not installed yet (if asked).
    fn plan_publisher(
        &self,
        up: &mut Updater<'_>,
        source: &Source,
        options: &SyncOptions,
    ) -> Result<Vec<PlannedDownload>> {
        let installed: std::collections::BTreeMap<String, u64> = self
            .packs()?
            .into_iter()
            .filter(|p| p.publisher == source.id)
            .map(|p| (p.manifest.id, p.manifest.version))
            .collect();
        let mut paths: Vec<String> = installed
            .keys()
            .map(|id| format!("packs/{id}.wmpack"))
            .collect();
        if options.install_new_packs {
            for path in up.top_targets()?.targets.keys() {
                if path.starts_with("packs/") && path.ends_with(".wmpack") && !paths.contains(path)
                {
                    paths.push(path.clone());
                }
            }
        }
        let mut downloads = Vec::new();
        for path in paths {
            let Some(file) = up.target(&path)? else {
                continue; // no longer published: the installed one stays
            };
            let Some(custom) = PackTargetCustom::of(&file) else {
                continue;
            };
            let (pack, version) = (custom.pack.clone(), custom.version);
            if format!("packs/{pack}.wmpack") != path {
                return Err(Error::Untrusted(format!(
                    "the target {path} names another pack"
                )));
            }
            let have = installed.get(&pack).copied();
            if have.is_some_and(|v| v >= version) {
                continue;
            }
            // A patch when one from the installed version is offered, the
            // result can be checked (signed content digest), and it is
            // smaller than what is left of the full pack.
            let held = self.partial_len(&file).min(file.length);
            let patch = match have.and_then(|v| custom.patches.get(&v)) {
                Some(p) if custom.content.is_some() => up
                    .target(p)?
                    .filter(|f| f.length < file.length - held)
                    .map(|f| (p.clone(), f)),
                _ => None,
            };
            let (kind, target, bytes) = match patch {
                Some((p, f)) => (DownloadKind::Patch, p, f.length),
                None => {
                    let held = self.partial_len(&file);
                    (
                        DownloadKind::Full,
                        path.clone(),
                        file.length - held.min(file.length),
                    )
                }
            };
            downloads.push(PlannedDownload {
                pack,
                installed_version: have,
                version,
                kind,
                bytes,
                target,
                pack_target: path,
            });
        }
        Ok(downloads)
    }

    fn downloads_dir(&self) -> PathBuf {
        self.dir().join("downloads")
    }

    /// The partial download of a target, named by its signed hash.
    fn partial_path(&self, file: &TargetFile) -> Option<PathBuf> {
        let hash = file
            .hashes
            .get("sha256")
            .or_else(|| file.hashes.get("sha512"))?;
        if !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.downloads_dir().join(format!("{hash}.part")))
    }

    fn partial_len(&self, file: &TargetFile) -> u64 {
        self.partial_path(file)
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len())
    }

    /// Downloads one planned file (resuming), verifies it, installs it. A
    /// patch that does not fit what is installed, or whose result does not
    /// match the signed content, is dropped for the full pack.
    fn fetch_and_install(
        &self,
        http: &Http,
        up: &mut Updater<'_>,
        source: &Source,
        planned: &PlannedDownload,
        listener: &dyn SyncListener,
        cancel: &CancelToken,
    ) -> Result<PackUpdate> {
        let first = self.fetch_and_install_one(http, up, source, planned, listener, cancel);
        match first {
            Err(Error::PatchMismatch(_) | Error::InvalidPatch(_) | Error::Untrusted(_))
                if planned.kind == DownloadKind::Patch =>
            {
                let spent = planned.bytes;
                let full = PlannedDownload {
                    kind: DownloadKind::Full,
                    target: planned.pack_target.clone(),
                    ..planned.clone()
                };
                let mut update =
                    self.fetch_and_install_one(http, up, source, &full, listener, cancel)?;
                update.bytes += spent;
                Ok(update)
            }
            other => other,
        }
    }

    fn fetch_and_install_one(
        &self,
        http: &Http,
        up: &mut Updater<'_>,
        source: &Source,
        planned: &PlannedDownload,
        listener: &dyn SyncListener,
        cancel: &CancelToken,
    ) -> Result<PackUpdate> {
        let file = up
            .target(&planned.target)?
            .ok_or_else(|| Error::Untrusted(format!("{} is not signed", planned.target)))?;
        let consistent = up.root().consistent_snapshot;
        let url = target_url(
            &format!("{}/targets", source.url),
            &planned.target,
            &file,
            consistent,
        );
        let part = self
            .partial_path(&file)
            .ok_or_else(|| Error::Untrusted("the target has no usable hash".into()))?;
        crate::storage::private_dir(&self.downloads_dir())?;
        let received = download_resumable(http, &url, &part, &file, cancel, &mut |n| {
            listener.on_event(&SyncEvent::Downloading {
                publisher: source.id.clone(),
                pack: planned.pack.clone(),
                received: n,
                total: file.length,
            })
        })?;
        listener.on_event(&SyncEvent::Verifying {
            publisher: source.id.clone(),
            pack: planned.pack.clone(),
        });
        let verified = File::open(&part).map_err(Error::from).and_then(|mut f| {
            file.check_digests(&Digests::of_reader(&mut f)?)?;
            f.seek(SeekFrom::Start(0))?;
            Ok(f)
        });
        let f = match verified {
            Ok(f) => f,
            Err(e) => {
                // Bytes that do not match the signature are never kept.
                remove_partial(&part);
                return Err(e);
            }
        };
        listener.on_event(&SyncEvent::Installing {
            publisher: source.id.clone(),
            pack: planned.pack.clone(),
            version: planned.version,
        });
        let installed = match planned.kind {
            DownloadKind::Full => self.install_verified(&source.id, BufReader::new(f)),
            DownloadKind::Patch => {
                let expected = self.signed_content(up, planned)?;
                self.install_patch_verified(&source.id, BufReader::new(f), &expected)
            }
        };
        remove_partial(&part);
        let installed = installed?;
        Ok(PackUpdate {
            pack: planned.pack.clone(),
            version: installed.manifest.version,
            kind: planned.kind,
            bytes: received,
        })
    }
}

impl ContentStore {
    /// The signed digest of a pack's decompressed content.
    fn signed_content(
        &self,
        up: &mut Updater<'_>,
        planned: &PlannedDownload,
    ) -> Result<ContentDigest> {
        up.target(&planned.pack_target)?
            .as_ref()
            .and_then(PackTargetCustom::of)
            .and_then(|c| c.content)
            .ok_or_else(|| Error::Untrusted("the pack's content digest is not signed".into()))
    }
}

/// Whether a planned download must wait, and why.
fn must_wait(
    d: &PlannedDownload,
    options: &SyncOptions,
    budget: Option<u64>,
) -> Option<WaitReason> {
    if options.network == Network::Metered
        && !options.allow_large_on_metered
        && d.bytes > options.large_download
    {
        return Some(WaitReason::Metered);
    }
    if budget.is_some_and(|b| d.bytes > b) {
        return Some(WaitReason::Budget);
    }
    None
}

/// Downloads a target to `part`, resuming what an earlier attempt left,
/// with the ETag that came with it kept beside (`.etag`). Returns the bytes
/// received by this call.
fn download_resumable(
    http: &Http,
    url: &str,
    part: &Path,
    file: &TargetFile,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    let etag_path = part.with_extension("etag");
    // Owner-only, as every file of the store (an existing one is fixed).
    let mut out = crate::storage::private_file()
        .create(true)
        .write(true)
        .read(true)
        .truncate(false)
        .open(part)?;
    crate::storage::make_private(part)?;
    let start = out.seek(SeekFrom::End(0))?;
    let mut validator = std::fs::read_to_string(&etag_path).ok();
    // Bytes received by this call: the growth of the file, counting a
    // restart from 0 (the server ignored the range) as new bytes.
    let (mut previous, mut received) = (start, 0u64);
    let result = http.download(
        url,
        &mut out,
        file.length,
        &mut validator,
        cancel,
        &mut |n| {
            received += if n >= previous { n - previous } else { n };
            previous = n;
            progress(n)
        },
    );
    out.sync_all()?;
    match &validator {
        Some(tag) => {
            let mut f = crate::storage::private_file()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&etag_path)?;
            crate::storage::make_private(&etag_path)?;
            std::io::Write::write_all(&mut f, tag.as_bytes())?;
        }
        None => {
            let _ = std::fs::remove_file(&etag_path);
        }
    }
    result?;
    Ok(received)
}

fn remove_partial(part: &Path) {
    let _ = std::fs::remove_file(part);
    let _ = std::fs::remove_file(part.with_extension("etag"));
}
