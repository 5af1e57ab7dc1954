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
//! - [`Syncer::run`] and [`Syncer::plan`] (orchestration, here): one pass
//!   over a content store's trusted publishers that have a repository URL. A failure at one
//!   publisher does not stop the others; the report says what happened at
//!   each. The previous content stays searchable throughout: a pack is
//!   installed in one transaction only once its bytes match the signed
//!   hashes.
//!
//! - [`trust_from_link`]: trusting a publisher from its QR code (a
//!   [`crate::content::TrustLink`]): the card downloaded, and trusted only
//!   with the link's fingerprint.
//! - `plan`: what to download (patch or full, bytes, waits for a metered
//!   network or a budget); `download`: resumable downloads kept under
//!   `downloads/`; `report`: the events and the report of a sync.
//!
//! Sync depends on content (the store it installs into) and tuf; nothing in
//! content depends on sync.
//!
//! A repository URL is the repository's root: metadata under
//! `URL/metadata/`, packs under `URL/targets/` (what `waymark-pack publish`
//! writes). Interrupted downloads are kept under `downloads/` beside the
//! content database, named by their signed hash, and resumed next time.

mod download;
pub mod http;
mod plan;
mod remote;
mod report;
#[cfg(feature = "http-reqwest")]
mod reqwest_transport;
pub mod transport;
mod trust_link;

#[cfg(all(test, unix))]
mod tests_modes;

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};

use download::{download_resumable, remove_partial};
pub use http::{CancelToken, Exchanged, Http, HttpConfig, USER_AGENT};
use plan::must_wait;
pub use plan::{
    DownloadKind, Network, PlannedDownload, PublisherPlan, SyncOptions, SyncPlan, WaitReason,
};
pub use remote::HttpRemote;
pub use report::{
    PackUpdate, PublisherReport, PublisherStatus, SyncEvent, SyncListener, SyncReport, no_listener,
};
#[cfg(feature = "http-reqwest")]
pub use reqwest_transport::ReqwestTransport;
pub use transport::{
    Method, Transport, TransportError, TransportErrorKind, TransportRequest, TransportResponse,
    check_proxy_url,
};
pub use trust_link::{MAX_CARD_BYTES, trust_from_link};

use crate::content::ContentStore;
use crate::content::metadata::PublisherMetadata;
use crate::content::target::{PackTargetCustom, SignedPack};
use crate::error::{ContentOrigin, Error, Result, Untrusted};
use crate::tuf::{Digests, TargetFile, Updater, target_url};

/// A trusted publisher to sync.
struct Source {
    id: String,
    url: String,
}

/// One sync's (or plan's) view of a content store and the HTTP client it
/// fetches with.
///
/// ```no_run
/// # fn main() -> waymark_core::Result<()> {
/// use waymark_core::content::ContentStore;
/// use waymark_core::sync::{CancelToken, Http, HttpConfig, SyncOptions, Syncer, no_listener};
/// # let (store, http): (ContentStore, Http) = todo!();
/// let report = Syncer::new(&store, &http).run(
///     &SyncOptions::default(),
///     &no_listener(),
///     &CancelToken::new(),
/// )?;
/// println!("{} bytes", report.bytes());
/// # Ok(())
/// # }
/// ```
pub struct Syncer<'a> {
    store: &'a ContentStore,
    http: &'a Http,
}

impl<'a> Syncer<'a> {
    /// Syncs `store` through `http`.
    pub fn new(store: &'a ContentStore, http: &'a Http) -> Self {
        Syncer { store, http }
    }

    fn sync_sources(&self) -> Result<Vec<Source>> {
        Ok(self
            .store
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
    pub fn plan(&self, options: &SyncOptions, cancel: &CancelToken) -> Result<SyncPlan> {
        let mut publishers = Vec::new();
        for source in self.sync_sources()? {
            cancel.check()?;
            let plan = self.with_updater(&source, cancel, |syncer, up| {
                syncer.plan_publisher(up, &source, options)
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
    pub fn run(
        &self,
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
            let result = self.with_updater(&source, cancel, |syncer, up| {
                let downloads = syncer.plan_publisher(up, &source, options)?;
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
                    let update = syncer.fetch_and_install(up, &source, &d, listener, cancel)?;
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
                Err(Error::Cancelled) => {
                    log::info!(target: "waymark::sync", "sync cancelled");
                    return Err(Error::Cancelled);
                }
                Err(e) => {
                    // Neither the publisher nor the error's text (which may
                    // name it or its host): the category.
                    log::warn!(target: "waymark::sync", "a publisher failed to sync: {}", e.code());
                    report.status = PublisherStatus::Failed;
                    // In the words a person reads (a full disk says so,
                    // whichever layer saw it).
                    let reason = crate::error::render(&e);
                    report.error = Some(reason.clone());
                    listener.on_event(&SyncEvent::Failed {
                        publisher: source.id.clone(),
                        reason,
                    });
                }
            }
            publishers.push(report);
        }
        let report = SyncReport { publishers };
        log::info!(target: "waymark::sync", "sync done: {}", report.summary());
        Ok(report)
    }

    /// Runs `work` with a refreshed updater for `source`, then records the
    /// versions seen. Returns what `work` returned and the metadata bytes.
    fn with_updater<T>(
        &self,
        source: &Source,
        cancel: &CancelToken,
        work: impl FnOnce(&Self, &mut Updater<'_>) -> Result<T>,
    ) -> Result<(T, u64)> {
        let (_, seen) = self.store.trust_state(&source.id)?;
        let mut metadata = PublisherMetadata::new(self.store, &source.id);
        let mut remote = HttpRemote::new(self.http, cancel, &format!("{}/metadata", source.url));
        let mut up = Updater::new(
            &mut remote,
            &mut metadata,
            self.store.clock().now(),
            seen.clone(),
        )?;
        let refreshed = up.refresh()?;
        PublisherMetadata::new(self.store, &source.id).record_seen(&seen, &refreshed.seen)?;
        if !refreshed.unchanged {
            // Only when the timestamp changed: "nothing changed" stays one
            // conditional request.
            let offline = up.offline_timestamp()?;
            PublisherMetadata::new(self.store, &source.id)
                .set_offline_timestamp(offline.as_deref())?;
        }
        let out = work(self, &mut up)?;
        Ok((out, up.fetched()))
    }

    /// Downloads one planned file (resuming), verifies it, installs it. A
    /// patch that does not fit what is installed, or whose result does not
    /// match the signed content, is dropped for the full pack.
    fn fetch_and_install(
        &self,
        up: &mut Updater<'_>,
        source: &Source,
        planned: &PlannedDownload,
        listener: &dyn SyncListener,
        cancel: &CancelToken,
    ) -> Result<PackUpdate> {
        let first = self.fetch_and_install_one(up, source, planned, listener, cancel);
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
                let mut update = self.fetch_and_install_one(up, source, &full, listener, cancel)?;
                update.bytes += spent;
                Ok(update)
            }
            other => other,
        }
    }

    fn fetch_and_install_one(
        &self,
        up: &mut Updater<'_>,
        source: &Source,
        planned: &PlannedDownload,
        listener: &dyn SyncListener,
        cancel: &CancelToken,
    ) -> Result<PackUpdate> {
        let file = up
            .target(&planned.target)?
            .ok_or_else(|| Untrusted::NotSigned {
                target: planned.target.clone(),
            })?;
        let consistent = up.root().consistent_snapshot;
        let url = target_url(
            &format!("{}/targets", source.url),
            &planned.target,
            &file,
            consistent,
        );
        let part = self
            .partial_path(&file)
            .ok_or_else(|| Untrusted::Other("the target has no usable hash".into()))?;
        crate::storage::private_dir(&self.downloads_dir())?;
        let received = download_resumable(self.http, &url, &part, &file, cancel, &mut |n| {
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
        let installed = self
            .signed_pack(up, planned)
            .and_then(|(signed, pack_file)| match planned.kind {
                DownloadKind::Full => {
                    self.store
                        .install_verified(&source.id, &signed, BufReader::new(f))
                }
                DownloadKind::Patch => {
                    let expected = PackTargetCustom::of(&pack_file)
                        .and_then(|c| c.content)
                        .ok_or(Untrusted::NoContentDigest {
                            of: ContentOrigin::Updated,
                        })?;
                    self.store.install_patch_verified(
                        &source.id,
                        &signed,
                        BufReader::new(f),
                        &expected,
                    )
                }
            });
        remove_partial(&part);
        let installed = installed?;
        Ok(PackUpdate {
            pack: planned.pack.clone(),
            version: installed.manifest.version,
            kind: planned.kind,
            bytes: received,
            changes: installed.changes.unwrap_or_default(),
        })
    }

    /// What the pack's signed target (top-level or delegated) says the
    /// pack is, and the target itself.
    fn signed_pack(
        &self,
        up: &mut Updater<'_>,
        planned: &PlannedDownload,
    ) -> Result<(SignedPack, TargetFile)> {
        let file = up
            .target(&planned.pack_target)?
            .ok_or_else(|| Untrusted::NotSigned {
                target: planned.pack_target.clone(),
            })?;
        Ok((SignedPack::of(&planned.pack_target, &file)?, file))
    }
}
