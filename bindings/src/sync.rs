//! Sync: bring every trusted publisher's packs up to date, within the
//! person's data budget, through their proxy if they set one; progress
//! through [`SyncListener`]; cancellable. Requests go through the app's
//! [`HttpTransport`], given to `ContentStore::open`.

use std::sync::Arc;

use waymark_core::sync::{
    self as core, CancelToken, Http, HttpConfig, SyncOptions, Syncer, check_proxy_url,
};

use crate::content::ContentStore;
use crate::error::{Result, WaymarkError};
use crate::http::{ForeignTransport, HttpTransport};
use crate::num::{int, long, unsigned_long};
use crate::task::blocking_ffi;

/// The network the phone is on, as the app knows it (Android
/// `ConnectivityManager.isActiveNetworkMetered`, iOS
/// `NWPath.isExpensive`/`isConstrained`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, uniffi::Enum)]
pub enum Network {
    /// Wi-Fi or anything not paid by the byte.
    #[default]
    Unmetered,
    /// Mobile data or anything paid by the byte.
    Metered,
}

impl From<Network> for core::Network {
    fn from(n: Network) -> Self {
        match n {
            Network::Unmetered => core::Network::Unmetered,
            Network::Metered => core::Network::Metered,
        }
    }
}

/// What a sync may spend, and how it reaches the network. The app keeps
/// the person's choices and sets them at start
/// ([`ContentStore::set_sync_settings`]); they hold for the store's life.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSettings {
    /// Most bytes of packs (and patches) one sync downloads; larger
    /// downloads wait for a later sync. `null`/`nil`: no limit.
    #[uniffi(default = None)]
    pub budget_bytes: Option<i64>,
    /// On a metered network, downloads larger than this wait unless
    /// `allow_large_on_metered`.
    #[uniffi(default = 1048576)]
    pub large_download_bytes: i64,
    /// Let large downloads run on a metered network.
    #[uniffi(default = false)]
    pub allow_large_on_metered: bool,
    /// Install packs of trusted publishers that are not installed yet (not
    /// only update installed ones).
    #[uniffi(default = true)]
    pub install_new_packs: bool,
    /// An HTTP or SOCKS5 proxy (`socks5h://127.0.0.1:9050` for Orbot/Tor),
    /// passed to the app's [`HttpTransport`] with every request.
    /// `null`/`nil`: direct; the system's proxy settings are never used
    /// behind the person's back.
    #[uniffi(default = None)]
    pub proxy: Option<String>,
}

impl Default for SyncSettings {
    fn default() -> Self {
        let o = SyncOptions::default();
        SyncSettings {
            budget_bytes: o.budget.map(long),
            large_download_bytes: long(o.large_download),
            allow_large_on_metered: o.allow_large_on_metered,
            install_new_packs: o.install_new_packs,
            proxy: None,
        }
    }
}

impl SyncSettings {
    /// The core's options; `InvalidInput` for a negative size.
    fn options(&self, network: Network) -> Result<SyncOptions> {
        Ok(SyncOptions {
            network: network.into(),
            budget: self
                .budget_bytes
                .map(|b| unsigned_long("the budget", b))
                .transpose()?,
            large_download: unsigned_long("the large download size", self.large_download_bytes)?,
            allow_large_on_metered: self.allow_large_on_metered,
            install_new_packs: self.install_new_packs,
        })
    }

    /// `InvalidInput` if a size is negative or the proxy is not a proxy
    /// URL every transport can use: the person's input.
    fn check(&self) -> Result<()> {
        self.options(Network::Unmetered)?;
        match &self.proxy {
            Some(proxy) if !check_proxy_url(proxy) => Err(WaymarkError::invalid(
                "the proxy must look like socks5h://host:port, socks5://host:port or http://host:port",
            )),
            _ => Ok(()),
        }
    }

    /// The HTTP client for these settings over the app's transport.
    fn http(&self, transport: Option<Arc<dyn HttpTransport>>) -> Result<Http> {
        self.check()?;
        let transport = transport.ok_or_else(|| {
            WaymarkError::invalid("sync needs an HTTP transport: pass one to ContentStore.open")
        })?;
        let config = HttpConfig {
            proxy: self.proxy.clone(),
            ..HttpConfig::default()
        };
        Ok(Http::with_transport(
            config,
            Arc::new(ForeignTransport(transport)),
        )?)
    }
}

/// How a pack would arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DownloadKind {
    /// A patch from the installed version (a small fraction of the pack).
    Patch,
    /// The whole pack.
    Full,
}

impl From<core::DownloadKind> for DownloadKind {
    fn from(k: core::DownloadKind) -> Self {
        match k {
            core::DownloadKind::Patch => DownloadKind::Patch,
            core::DownloadKind::Full => DownloadKind::Full,
        }
    }
}

/// One download a sync would make (or left for later).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlannedDownload {
    /// The pack.
    pub pack: String,
    /// The version installed now, if any.
    pub installed_version: Option<i64>,
    /// The version offered.
    pub version: i64,
    /// Patch or full pack.
    pub kind: DownloadKind,
    /// Bytes still to download (a resumed download counts what is left).
    pub bytes: i64,
}

impl From<core::PlannedDownload> for PlannedDownload {
    fn from(d: core::PlannedDownload) -> Self {
        PlannedDownload {
            pack: d.pack,
            installed_version: d.installed_version.map(long),
            version: long(d.version),
            kind: d.kind.into(),
            bytes: long(d.bytes),
        }
    }
}

/// What a sync would do at one publisher.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PublisherPlan {
    /// Publisher id.
    pub publisher: String,
    /// The downloads, in the order they would run.
    pub downloads: Vec<PlannedDownload>,
    /// Their total bytes.
    pub bytes: i64,
    /// Why the publisher could not be checked, if it could not.
    pub error: Option<String>,
}

/// What a sync would download (metadata already checked, no pack
/// downloaded): show it before spending the person's data.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncPlan {
    /// One plan per trusted publisher with a repository URL.
    pub publishers: Vec<PublisherPlan>,
    /// Bytes of packs and patches in all.
    pub total_bytes: i64,
}

impl From<core::SyncPlan> for SyncPlan {
    fn from(p: core::SyncPlan) -> Self {
        SyncPlan {
            publishers: p
                .publishers
                .into_iter()
                .map(|p| PublisherPlan {
                    publisher: p.publisher,
                    downloads: p.downloads.into_iter().map(Into::into).collect(),
                    bytes: long(p.bytes),
                    error: p.error,
                })
                .collect(),
            total_bytes: long(p.total_bytes),
        }
    }
}

/// Why a download waits for a later sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WaitReason {
    /// Larger than allowed on a metered network.
    Metered,
    /// Beyond the byte budget of this sync.
    Budget,
}

/// Sync progress, for a progress bar or a status line.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
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
        received: i64,
        /// The file's signed length.
        total: i64,
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
        version: i64,
    },
    /// A download waits for a later sync (metered network or budget).
    Waiting {
        /// Publisher id.
        publisher: String,
        /// Pack id.
        pack: String,
        /// Its size.
        bytes: i64,
        /// Why it waits.
        reason: WaitReason,
    },
    /// A publisher is done.
    Done {
        /// Publisher id.
        publisher: String,
        /// Packs installed or updated.
        installed: i32,
        /// Bytes received (metadata and packs).
        bytes: i64,
    },
    /// A publisher failed; the others go on.
    Failed {
        /// Publisher id.
        publisher: String,
        /// Why, fit to show.
        reason: String,
    },
    /// The sync ended: always the last event of a sync that did not fail
    /// as a whole, with what it did (the same report `sync` returns).
    Finished {
        /// Per publisher: installed, waiting, failed.
        report: SyncReport,
    },
}

impl From<&core::SyncEvent> for SyncEvent {
    fn from(e: &core::SyncEvent) -> Self {
        match e.clone() {
            core::SyncEvent::Checking { publisher } => SyncEvent::Checking { publisher },
            core::SyncEvent::Downloading {
                publisher,
                pack,
                received,
                total,
            } => SyncEvent::Downloading {
                publisher,
                pack,
                received: long(received),
                total: long(total),
            },
            core::SyncEvent::Verifying { publisher, pack } => {
                SyncEvent::Verifying { publisher, pack }
            }
            core::SyncEvent::Installing {
                publisher,
                pack,
                version,
            } => SyncEvent::Installing {
                publisher,
                pack,
                version: long(version),
            },
            core::SyncEvent::Waiting {
                publisher,
                pack,
                bytes,
                reason,
            } => SyncEvent::Waiting {
                publisher,
                pack,
                bytes: long(bytes),
                reason: match reason {
                    core::WaitReason::Metered => WaitReason::Metered,
                    core::WaitReason::Budget => WaitReason::Budget,
                },
            },
            core::SyncEvent::Done {
                publisher,
                installed,
                bytes,
            } => SyncEvent::Done {
                publisher,
                installed: int(installed),
                bytes: long(bytes),
            },
            core::SyncEvent::Failed { publisher, reason } => {
                SyncEvent::Failed { publisher, reason }
            }
        }
    }
}

/// A pack installed or updated by a sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PackUpdate {
    /// Pack id.
    pub pack: String,
    /// The version now installed.
    pub version: i64,
    /// How it arrived.
    pub kind: DownloadKind,
    /// Bytes received for it.
    pub bytes: i64,
    /// What it added, changed and removed, per kind of entry (for "3
    /// services updated").
    pub changes: PackChanges,
}

/// What installing a pack's new version changed: one [`KindChanges`] per
/// kind of entry with at least one change (none: nothing changed).
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct PackChanges {
    /// In the order service, article, country, route, alert.
    pub kinds: Vec<KindChanges>,
}

/// The changes to one kind of entry. An article counts once, whatever the
/// number of its translations that changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct KindChanges {
    /// `service`, `article`, `country`, `route` or `alert`.
    pub kind: String,
    /// Entries new in this version.
    pub added: i64,
    /// Entries in both versions whose content differs.
    pub changed: i64,
    /// Entries gone from this version.
    pub removed: i64,
    /// The first added ids in id order (at most 5).
    pub added_ids: Vec<String>,
    /// The first changed ids (at most 5).
    pub changed_ids: Vec<String>,
    /// The first removed ids (at most 5).
    pub removed_ids: Vec<String>,
}

impl From<waymark_core::content::PackChanges> for PackChanges {
    fn from(c: waymark_core::content::PackChanges) -> Self {
        PackChanges {
            kinds: c
                .kinds
                .into_iter()
                .map(|k| KindChanges {
                    kind: k.kind,
                    added: long(k.added),
                    changed: long(k.changed),
                    removed: long(k.removed),
                    added_ids: k.added_ids,
                    changed_ids: k.changed_ids,
                    removed_ids: k.removed_ids,
                })
                .collect(),
        }
    }
}

/// How a publisher's sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PublisherStatus {
    /// Nothing to do.
    UpToDate,
    /// Everything offered is installed now.
    Updated,
    /// Some downloads wait (metered network or budget).
    Partial,
    /// It failed; see the error.
    Failed,
}

/// What one sync did at one publisher.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
    pub bytes: i64,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// One report per trusted publisher with a repository URL.
    pub publishers: Vec<PublisherReport>,
    /// Bytes received in all.
    pub bytes: i64,
}

impl From<core::SyncReport> for SyncReport {
    fn from(r: core::SyncReport) -> Self {
        SyncReport {
            bytes: long(r.bytes()),
            publishers: r
                .publishers
                .into_iter()
                .map(|p| PublisherReport {
                    publisher: p.publisher,
                    status: match p.status {
                        core::PublisherStatus::UpToDate => PublisherStatus::UpToDate,
                        core::PublisherStatus::Updated => PublisherStatus::Updated,
                        core::PublisherStatus::Partial => PublisherStatus::Partial,
                        core::PublisherStatus::Failed => PublisherStatus::Failed,
                    },
                    installed: p
                        .installed
                        .into_iter()
                        .map(|u| PackUpdate {
                            pack: u.pack,
                            version: long(u.version),
                            kind: u.kind.into(),
                            bytes: long(u.bytes),
                            changes: u.changes.into(),
                        })
                        .collect(),
                    waiting: p.waiting.into_iter().map(Into::into).collect(),
                    bytes: long(p.bytes),
                    error: p.error,
                })
                .collect(),
        }
    }
}

/// Receives sync progress; the app implements it (the Kotlin layer turns
/// it into a `Flow`, the Swift layer into an `AsyncThrowingStream`).
///
/// Called on the syncing thread, in order, ending with
/// [`SyncEvent::Finished`] unless the sync fails as a whole: return
/// quickly (post to the UI thread). An exception thrown here is ignored: a
/// listener cannot break a sync.
#[uniffi::export(callback_interface)]
pub trait SyncListener: Send + Sync {
    /// One progress event.
    fn on_event(&self, event: SyncEvent) -> Result<()>;
}

/// Cancels the one sync (or plan) it is passed to, from any thread: the
/// Swift layer makes one per call and cancels it from the Task's
/// cancellation handler (uniffi 0.32's Swift code does not pass Task
/// cancellation on). Kotlin needs none: cancelling the coroutine cancels
/// the call. Cancelling before the call starts stops it at its first step.
#[derive(Debug, Default, uniffi::Object)]
pub struct SyncCancellation(CancelToken);

#[uniffi::export]
impl SyncCancellation {
    /// A cancellation not yet asked for.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Asks the sync to stop at its next chunk or step; it ends with
    /// `Cancelled`, everything consistent.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

impl SyncCancellation {
    /// The token the core checks.
    pub(crate) fn token(&self) -> CancelToken {
        self.0.clone()
    }
}

struct ListenerAdapter(Option<Box<dyn SyncListener>>);

impl core::SyncListener for ListenerAdapter {
    fn on_event(&self, event: &core::SyncEvent) {
        if let Some(listener) = &self.0 {
            // Progress is advisory; the report says what happened.
            let _ = listener.on_event(event.into());
        }
    }
}

#[uniffi::export]
impl ContentStore {
    /// The current sync settings. Cheap (memory only).
    pub fn sync_settings(&self) -> SyncSettings {
        self.settings().clone()
    }

    /// Sets the data budget, metered-network rules and proxy for the syncs
    /// that start from now on. `InvalidInput` (and nothing changed) if a
    /// size is negative or the proxy URL cannot be used. Cheap (memory
    /// only).
    pub fn set_sync_settings(&self, settings: SyncSettings) -> Result<()> {
        settings.check()?;
        *self.settings() = settings;
        Ok(())
    }

    /// Checks every trusted publisher's metadata (a "nothing changed" check
    /// is one small conditional request) and says what a sync would
    /// download, without downloading any pack. Cancellable like
    /// [`ContentStore::sync`]. (Swift: this is renamed
    /// `planSyncWithCancellation`; call the package's `syncPlan(on:)`.)
    #[uniffi::method(default(cancellation = None))]
    pub async fn plan_sync(
        self: Arc<Self>,
        network: Network,
        cancellation: Option<Arc<SyncCancellation>>,
    ) -> Result<SyncPlan> {
        let settings = self.settings().clone();
        let options = settings.options(network)?;
        let token = cancellation.map(|c| c.0.clone()).unwrap_or_default();
        let guard = self.in_flight.start_with(token);
        let (store, cancel) = (Arc::clone(&self.inner), guard.token());
        let transport = self.transport.clone();
        let result = blocking_ffi(move || {
            let http = settings.http(transport)?;
            Ok(Syncer::new(&store, &http).plan(&options, &cancel)?)
        })
        .await;
        guard.finish();
        result.map(Into::into)
    }

    /// Syncs every trusted publisher that has a repository URL: downloads,
    /// verifies and installs what changed (a patch when one fits), within
    /// the sync settings. A failure at one publisher is in the report and
    /// the others go on; the previous content stays searchable throughout.
    /// `listener` hears the progress, ending with [`SyncEvent::Finished`]
    /// and the report.
    ///
    /// Cancel it by cancelling the awaiting coroutine (Kotlin), with
    /// `cancellation`, or with [`ContentStore::cancel_sync`]: it stops at
    /// the next chunk or step with `Cancelled`, everything consistent; the
    /// next sync resumes an interrupted download. (Swift: this is renamed
    /// `syncWithCancellation`, since Task cancellation does not reach it;
    /// call the package's `sync(on:progress:)` or `syncProgress(on:)`,
    /// which do.)
    #[uniffi::method(default(listener = None, cancellation = None))]
    pub async fn sync(
        self: Arc<Self>,
        network: Network,
        listener: Option<Box<dyn SyncListener>>,
        cancellation: Option<Arc<SyncCancellation>>,
    ) -> Result<SyncReport> {
        let settings = self.settings().clone();
        let options = settings.options(network)?;
        let token = cancellation.map(|c| c.0.clone()).unwrap_or_default();
        let guard = self.in_flight.start_with(token);
        let (store, cancel) = (Arc::clone(&self.inner), guard.token());
        let transport = self.transport.clone();
        let result = blocking_ffi(move || {
            let http = settings.http(transport)?;
            let adapter = ListenerAdapter(listener);
            let report: SyncReport = Syncer::new(&store, &http)
                .run(&options, &adapter, &cancel)?
                .into();
            if let Some(listener) = &adapter.0 {
                // Progress is advisory; the report is also returned.
                let _ = listener.on_event(SyncEvent::Finished {
                    report: report.clone(),
                });
            }
            Ok(report)
        })
        .await;
        guard.finish();
        result
    }

    /// Cancels every sync and sync plan running on this store; each ends
    /// with `Cancelled`. Does nothing when none runs. Cheap.
    pub fn cancel_sync(&self) {
        self.in_flight.cancel_all();
    }
}

impl ContentStore {
    fn settings(&self) -> std::sync::MutexGuard<'_, SyncSettings> {
        self.sync_settings.lock().unwrap_or_else(|p| p.into_inner())
    }
}
