//! What a sync tells as it goes ([`SyncEvent`] to a [`SyncListener`]) and
//! what it did ([`SyncReport`]).

use serde::Serialize;

use crate::content::PackChanges;

use super::plan::{DownloadKind, PlannedDownload, WaitReason};

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
    /// What it added, changed and removed, per kind of entry.
    pub changes: PackChanges,
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
    /// Counts for a log line: publishers by outcome, packs installed,
    /// bytes. Nothing that names a publisher.
    pub fn summary(&self) -> String {
        let count = |s: PublisherStatus| self.publishers.iter().filter(|p| p.status == s).count();
        format!(
            "{} publishers ({} updated, {} up to date, {} partial, {} failed), {} packs installed, {} bytes",
            self.publishers.len(),
            count(PublisherStatus::Updated),
            count(PublisherStatus::UpToDate),
            count(PublisherStatus::Partial),
            count(PublisherStatus::Failed),
            self.publishers
                .iter()
                .map(|p| p.installed.len())
                .sum::<usize>(),
            self.bytes()
        )
    }

    /// Bytes received in all.
    pub fn bytes(&self) -> u64 {
        self.publishers.iter().map(|p| p.bytes).sum()
    }
}
