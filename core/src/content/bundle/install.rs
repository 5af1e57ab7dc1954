//! Installing a received bundle, and verifying one with no phone's state:
//! the same steps either way. The bundle's metadata goes through the TUF
//! [`Updater`] as a server's would ([`BundleRemote`]), then its pack is
//! checked against the signed target: a pack file against its length and
//! hashes, shared content against the signed content digest.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

use super::format::{BundleInfo, FORMAT_PACK_FILE, Received, read_bundle_into};
use crate::content::metadata::PublisherMetadata;
use crate::content::pack::{PackReader, decompress};
use crate::content::store::{ContentStore, InstalledPack};
use crate::content::target::{PackTargetCustom, SignedPack, checked_content};
use crate::error::{ContentOrigin, Error, Oversized, Result, Untrusted};
use crate::tuf::{
    Fetched, MetadataStore, Overlay, Refreshed, Remote, Root, SeenVersions, TargetFile, Updater,
};

/// A temporary file in `dir`; tempfile's errors name the path, ours never
/// do (see crate::error).
fn scratch(dir: Option<&Path>) -> Result<File> {
    match dir {
        Some(dir) => tempfile::tempfile_in(dir),
        None => tempfile::tempfile(),
    }
    .map_err(|e| Error::Io(std::io::Error::from(e.kind())))
}

/// What the bundle's metadata says of its pack, once verified.
struct Checked {
    target: TargetFile,
    refreshed: Refreshed,
    root: Root,
}

/// Runs the bundle's metadata through an updater over `store` and finds
/// the pack's signed target. `reissued`: accept a timestamp re-signed at
/// the same version (the publisher's offline timestamp).
fn check_metadata(
    received: &Received<File>,
    store: &mut dyn MetadataStore,
    now: chrono::DateTime<chrono::Utc>,
    seen: SeenVersions,
    reissued: bool,
) -> Result<Checked> {
    let mut remote = BundleRemote {
        roots: &received.roots,
        metadata: &received.metadata,
    };
    let mut up = Updater::new(&mut remote, store, now, seen)?;
    if reissued {
        up = up.accept_reissued_timestamps();
    }
    let refreshed = up.refresh()?;
    let target = up
        .target(&received.info.target)?
        .ok_or_else(|| Untrusted::NotATarget {
            target: received.info.target.clone(),
        })?;
    Ok(Checked {
        target,
        refreshed,
        root: up.root().clone(),
    })
}

/// A bundle's pack, checked against its signed target.
enum Payload {
    /// A publisher's pack file (zstd), its length and hashes checked.
    PackFile(BufReader<File>),
    /// Shared content, decompressed into a file and checked against the
    /// signed content digest.
    Content(File),
}

/// Checks the payload of `received` against `target`; shared content is
/// decompressed into a scratch file in `dir`.
fn check_payload(
    mut received: Received<File>,
    target: &TargetFile,
    dir: Option<&Path>,
) -> Result<Payload> {
    received.payload.seek(SeekFrom::Start(0))?;
    let payload = BufReader::new(received.payload);
    if received.info.format == FORMAT_PACK_FILE {
        target.check_digests(&received.digests)?;
        return Ok(Payload::PackFile(payload));
    }
    let expected = PackTargetCustom::signed_content(target)?;
    let content = checked_content(scratch(dir)?, &expected, ContentOrigin::Shared, |out| {
        let mut decoder = decompress(payload)
            .map_err(|e| Error::invalid(format!("the shared content is not zstd: {e}")))?;
        std::io::copy(&mut decoder, out)
            .map_err(|e| Error::invalid(format!("the shared content is damaged: {e}")))?;
        Ok(())
    })?;
    Ok(Payload::Content(content))
}

impl ContentStore {
    /// Installs a pack bundle (a publisher's, or one another phone shared
    /// with [`Self::export_pack`]) after verifying it against the trusted
    /// root of the publisher it names, as a sync would: the root chain,
    /// timestamp, snapshot, targets and delegated targets metadata, then
    /// the pack's length and hashes (or its content's signed digest).
    /// Refused, with nothing changed: an unknown publisher, a bad
    /// signature, altered bytes, expired metadata, metadata or a pack older
    /// than installed.
    pub fn install_bundle(&self, path: &Path) -> Result<InstalledPack> {
        self.install_checked_bundle(path).inspect_err(|e| {
            // The category only: a refusal's text may name the publisher.
            log::warn!(target: "waymark::content", "a pack bundle was refused: {}", e.code());
        })
    }

    fn install_checked_bundle(&self, path: &Path) -> Result<InstalledPack> {
        let received = read_bundle_into(path, scratch(Some(self.dir()))?)?;
        let publisher = received.info.publisher.clone();
        let (_, seen) = self.trust_state(&publisher)?;
        let trusted = PublisherMetadata::new(self, &publisher);
        let mut overlay = Overlay::over(&trusted);
        let checked = check_metadata(
            &received,
            &mut overlay,
            self.clock().now(),
            seen.clone(),
            true,
        )?;
        let signed = SignedPack::of(&received.info.target, &checked.target)?;
        let installed = match check_payload(received, &checked.target, Some(self.dir()))? {
            Payload::PackFile(pack) => self.install_verified(&publisher, &signed, pack)?,
            Payload::Content(content) => self.install_from(
                &publisher,
                &signed,
                PackReader::plain(BufReader::new(content))?,
            )?,
        };
        overlay.commit(&mut PublisherMetadata::new(self, &publisher))?;
        PublisherMetadata::new(self, &publisher).record_seen(&seen, &checked.refreshed.seen)?;
        Ok(installed)
    }
}

/// What [`verify_bundle`] found.
#[derive(Debug)]
pub struct VerifiedBundle {
    /// The bundle's descriptor.
    pub info: BundleInfo,
    /// The newest root the chain reached.
    pub root: Root,
    /// The pack's signed target.
    pub target: TargetFile,
    /// The pack's content, decompressed (JSON Lines: manifest, entries).
    pub content: File,
}

/// Verifies a bundle against `trusted_root` alone, with no phone's state:
/// the checks [`ContentStore::install_bundle`] makes (root chain,
/// signatures, expiry at `now`, consistency, delegations, then the pack's
/// hashes or the shared content's signed digest), but no rollback
/// reference. For tools, such as `waymark-pack inspect`.
pub fn verify_bundle(
    path: &Path,
    trusted_root: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<VerifiedBundle> {
    let received = read_bundle_into(path, scratch(None)?)?;
    let mut store = Overlay::with_root(trusted_root);
    let checked = check_metadata(&received, &mut store, now, SeenVersions::default(), false)?;
    let info = received.info.clone();
    let content = match check_payload(received, &checked.target, None)? {
        Payload::PackFile(pack) => {
            let mut plain = scratch(None)?;
            let mut decoder = decompress(pack)
                .map_err(|e| Error::invalid(format!("not a zstd-compressed pack: {e}")))?;
            std::io::copy(&mut decoder, &mut plain)
                .map_err(|e| Error::invalid(format!("the pack is damaged: {e}")))?;
            plain.seek(SeekFrom::Start(0))?;
            plain
        }
        Payload::Content(content) => content,
    };
    Ok(VerifiedBundle {
        info,
        root: checked.root,
        target: checked.target,
        content,
    })
}

/// Serves a bundle's metadata to an [`Updater`] as a server would.
struct BundleRemote<'r> {
    roots: &'r BTreeMap<u64, Vec<u8>>,
    metadata: &'r HashMap<String, Vec<u8>>,
}

impl Remote for BundleRemote<'_> {
    fn fetch(&mut self, name: &str, max: u64, _etag: Option<&str>) -> Result<Fetched> {
        let found = if let Some(version) = name
            .strip_suffix(".root.json")
            .and_then(|v| v.parse::<u64>().ok())
        {
            match self.roots.get(&version) {
                Some(root) => Some(root),
                None if self.roots.keys().any(|&v| v > version) => {
                    return Err(Untrusted::RootChainGap { missing: version }.into());
                }
                None => None,
            }
        } else {
            let role = name.strip_suffix(".json").unwrap_or(name);
            // Consistent snapshots name files `<version>.<role>.json`.
            let unversioned = role
                .split_once('.')
                .filter(|(v, _)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .map_or(role, |(_, r)| r);
            [role, unversioned].into_iter().find_map(|r| match r {
                "timestamp" | "snapshot" | "targets" => self.metadata.get(r),
                delegated => self.metadata.get(&format!("delegated/{delegated}")),
            })
        };
        match found {
            Some(bytes) if bytes.len() as u64 > max => {
                Err(Untrusted::TooLarge(Oversized::BundleOffer { max }).into())
            }
            Some(bytes) => Ok(Fetched::Body {
                bytes: bytes.clone(),
                etag: None,
            }),
            None => Ok(Fetched::NotFound),
        }
    }
}
