//! What a sync would download: for each trusted publisher, the packs with
//! a newer version (as a patch when one from the installed version is
//! offered and smaller), then new packs; and what must wait for an
//! unmetered network or a larger budget.

use serde::Serialize;

use super::{Source, Syncer};
use crate::content::target::PackTargetCustom;
use crate::error::{Result, Untrusted};
use crate::tuf::Updater;

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
    pub(super) target: String,
    /// The pack's own target (for the fallback from a patch).
    #[serde(skip)]
    pub(super) pack_target: String,
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

/// Whether a planned download must wait, and why.
pub(super) fn must_wait(
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

impl Syncer<'_> {
    /// What to download from one publisher: installed packs with a newer
    /// version (as patches when one from the installed version is offered),
    /// then packs not installed yet (if asked).
    pub(super) fn plan_publisher(
        &self,
        up: &mut Updater<'_>,
        source: &Source,
        options: &SyncOptions,
    ) -> Result<Vec<PlannedDownload>> {
        let installed: std::collections::BTreeMap<String, u64> = self
            .store
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
                return Err(Untrusted::WrongPack { target: path }.into());
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
}
