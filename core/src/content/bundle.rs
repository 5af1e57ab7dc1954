//! A pack bundle: a pack together with its publisher's signed TUF
//! metadata, in one file that installs and verifies with no server (received
//! by Bluetooth, an SD card or a messaging app).
//!
//! A bundle is a plain tar archive, so anyone can look inside:
//!
//! ```text
//! bundle.json                    {"format":…,"publisher":"…","target":"packs/….wmpack"}
//! metadata/root/<N>.root.json    the root chain (versions the phone trusts
//!                                already are skipped)
//! metadata/timestamp.json
//! metadata/snapshot.json
//! metadata/targets.json
//! metadata/delegated/<role>.json delegated targets roles on the way to the
//!                                pack (role name escaped as in URLs)
//! targets/<target path>          format 1: the publisher's pack file
//! content/<pack id>.jsonl.zst    format 2: the pack's content, as a phone
//!                                that installed it shares it
//! ```
//!
//! A publisher's bundle (format 1) carries the pack file its targets
//! metadata signs. A phone cannot hand that file on: it keeps the entries,
//! not the file, and a patch update never had it. So a shared bundle
//! (format 2, [`ContentStore::export_pack`]) carries the content rebuilt
//! from the installed entries, which the receiving phone checks against the
//! content digest the publisher signed in the pack's target metadata.
//!
//! Either way the metadata goes through the same [`Updater`] a sync uses,
//! reading from the bundle instead of a server: the same checks (root
//! chain, signatures, expiry, rollback, mix-and-match, delegations), and
//! what it trusts is kept only once the pack is installed.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use rusqlite::{OptionalExtension, params};
use ruzstd::decoding::StreamingDecoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use super::delta::{DigestWriter, PackTargetCustom};
use super::metadata::{Overlay, PublisherMetadata};
use super::model::PackManifest;
use super::pack::{MAX_WINDOW, PackReader};
use super::store::{ContentStore, InstalledPack};
use super::tuf::{Envelope, MAX_METADATA_BYTES, MetaList, MetadataSet, Root, TargetFile};
use crate::error::{Error, Result};
use crate::storage::json_from_text;
use crate::sync::{Fetched, Remote, Updater, escape_role};

/// Largest pack file accepted in a bundle.
pub const MAX_PACK_BYTES: u64 = 1024 * 1024 * 1024;

/// Most metadata files read from one bundle.
const MAX_METADATA_FILES: usize = 1024;

/// A publisher's bundle: the pack file itself.
pub const FORMAT_PACK_FILE: u32 = 1;
/// A shared bundle: the pack's content, checked against its signed digest.
pub const FORMAT_CONTENT: u32 = 2;

/// The bundle's own small descriptor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleInfo {
    /// [`FORMAT_PACK_FILE`] or [`FORMAT_CONTENT`].
    pub format: u32,
    /// The publisher whose repository signed it.
    pub publisher: String,
    /// The pack's TUF target path.
    pub target: String,
}

/// What [`ContentStore::export_pack`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedPack {
    /// The publisher's id.
    pub publisher: String,
    /// The pack's id.
    pub pack: String,
    /// Its version.
    pub version: u64,
    /// The bundle's size in bytes.
    pub bytes: u64,
    /// Until when another phone can install it: the earliest expiry of
    /// the signed metadata it carries.
    pub valid_until: chrono::DateTime<chrono::Utc>,
}

/// Writes a publisher's bundle ([`FORMAT_PACK_FILE`]): `pack` is the file
/// the targets metadata in `metadata` signs at `info.target`.
pub fn write_bundle(
    out: impl Write,
    info: &BundleInfo,
    metadata: &MetadataSet,
    pack: &[u8],
) -> Result<()> {
    let mut tar = tar::Builder::new(out);
    add_file(&mut tar, "bundle.json", &serde_json::to_vec_pretty(info)?)?;
    for root in &metadata.roots {
        let version = Envelope::parse(root)?.read::<Root>("root")?.version;
        add_file(
            &mut tar,
            &format!("metadata/root/{version}.root.json"),
            root,
        )?;
    }
    add_file(&mut tar, "metadata/timestamp.json", &metadata.timestamp)?;
    add_file(&mut tar, "metadata/snapshot.json", &metadata.snapshot)?;
    add_file(&mut tar, "metadata/targets.json", &metadata.targets)?;
    add_file(&mut tar, &format!("targets/{}", info.target), pack)?;
    tar.into_inner()?.flush()?;
    Ok(())
}

/// Adds one file to a bundle, with nothing that varies between runs.
fn add_file<W: Write>(tar: &mut tar::Builder<W>, path: &str, bytes: &[u8]) -> Result<()> {
    add_reader(tar, path, bytes.len() as u64, bytes)
}

fn add_reader<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    len: u64,
    data: impl Read,
) -> Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(len);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, path, data)?;
    Ok(())
}

// ----- reading --------------------------------------------------------------

/// A bundle as read: its descriptor, its metadata, and its payload (the
/// pack file or the content) copied to a writer `W`. Nothing is verified
/// yet.
struct Received<W> {
    info: BundleInfo,
    roots: BTreeMap<u64, Vec<u8>>,
    /// `timestamp`, `snapshot`, `targets`, and `delegated/<escaped role>`.
    metadata: HashMap<String, Vec<u8>>,
    payload: W,
    payload_len: u64,
    digests: Digests,
}

fn read_small(r: &mut impl Read, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(MAX_METADATA_BYTES + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_METADATA_BYTES {
        return Err(Error::Untrusted(format!("{what} is too large")));
    }
    Ok(out)
}

fn damaged<E>(_: E) -> Error {
    Error::invalid("the bundle is damaged")
}

/// Reads the bundle at `path`, copying its payload into `payload` (a
/// temporary file) and hashing it on the way: on a phone's flash, reading
/// 20 MB twice is not free.
fn read_bundle_into<W: Write>(path: &Path, payload: W) -> Result<Received<W>> {
    let file = File::open(path)?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    let mut info: Option<BundleInfo> = None;
    let mut roots = BTreeMap::new();
    let mut metadata = HashMap::new();
    let mut payload_name: Option<String> = None;
    let mut hashed = HashingWriter::new(BufWriter::new(payload));
    let mut payload_len = 0u64;
    let entries = archive
        .entries()
        .map_err(|_| Error::invalid("not a pack bundle (tar expected)"))?;
    for entry in entries {
        let mut entry = entry.map_err(damaged)?;
        let name = entry
            .path()
            .map_err(damaged)?
            .to_string_lossy()
            .into_owned();
        if roots.len() + metadata.len() > MAX_METADATA_FILES {
            return Err(Error::invalid("the bundle holds too many metadata files"));
        }
        if name == "bundle.json" {
            info = Some(
                serde_json::from_slice(&read_small(&mut entry, "bundle.json")?)
                    .map_err(|e| Error::invalid(format!("bundle.json: {e}")))?,
            );
        } else if let Some(v) = name
            .strip_prefix("metadata/root/")
            .and_then(|n| n.strip_suffix(".root.json"))
        {
            let version = v
                .parse()
                .map_err(|_| Error::invalid("a root file name has no version"))?;
            roots.insert(version, read_small(&mut entry, "root metadata")?);
        } else if let Some(role) = name
            .strip_prefix("metadata/")
            .and_then(|n| n.strip_suffix(".json"))
        {
            metadata.insert(role.to_owned(), read_small(&mut entry, "metadata")?);
        } else if name.starts_with("targets/") || name.starts_with("content/") {
            if payload_name.is_some() {
                return Err(Error::invalid("a bundle holds one pack"));
            }
            payload_name = Some(name);
            payload_len = std::io::copy(&mut (&mut entry).take(MAX_PACK_BYTES + 1), &mut hashed)?;
            if payload_len > MAX_PACK_BYTES {
                return Err(Error::invalid("the pack is too large"));
            }
        }
        // Unknown files are ignored.
    }
    let missing = |what: &str| Error::invalid(format!("the bundle has no {what}"));
    let info = info.ok_or_else(|| missing("bundle.json"))?;
    let payload_name = payload_name.ok_or_else(|| missing("pack"))?;
    let expected = match info.format {
        FORMAT_PACK_FILE => format!("targets/{}", info.target),
        FORMAT_CONTENT => content_name(&info.target),
        other => {
            return Err(Error::UnsupportedFormat(format!(
                "bundle format {other} (this Waymark reads {FORMAT_PACK_FILE} and {FORMAT_CONTENT})"
            )));
        }
    };
    if payload_name != expected {
        return Err(Error::invalid(
            "the bundle's pack is not the target it names",
        ));
    }
    for role in ["timestamp", "snapshot", "targets"] {
        if !metadata.contains_key(role) {
            return Err(missing(&format!("{role} metadata")));
        }
    }
    let digests = hashed.digests();
    let payload = hashed
        .inner
        .into_inner()
        .map_err(|e| Error::Io(e.into_error()))?;
    Ok(Received {
        info,
        roots,
        metadata,
        payload,
        payload_len,
        digests,
    })
}

/// Where a shared bundle keeps the content of the pack at `target`.
fn content_name(target: &str) -> String {
    let name = target.rsplit('/').next().unwrap_or(target);
    let stem = name.strip_suffix(".wmpack").unwrap_or(name);
    format!("content/{stem}.jsonl.zst")
}

/// Reads a bundle's descriptor and top-level metadata, copying its pack
/// (or content) to `pack`. Nothing is verified here.
pub fn read_bundle(path: &Path, pack: &mut impl Write) -> Result<(BundleInfo, MetadataSet, u64)> {
    let received = read_bundle_into(path, pack)?;
    let mut metadata = received.metadata;
    let mut take = |role: &str| metadata.remove(role).unwrap_or_default();
    let set = MetadataSet {
        roots: received.roots.into_values().collect(),
        timestamp: take("timestamp"),
        snapshot: take("snapshot"),
        targets: take("targets"),
    };
    Ok((received.info, set, received.payload_len))
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
                    return Err(Error::Untrusted(format!(
                        "the bundle's root chain has a gap: version {version} is missing"
                    )));
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
            Some(bytes) if bytes.len() as u64 > max => Err(Error::Untrusted(format!(
                "the bundle offers more than the {max} bytes allowed"
            ))),
            Some(bytes) => Ok(Fetched::Body {
                bytes: bytes.clone(),
                etag: None,
            }),
            None => Ok(Fetched::NotFound),
        }
    }
}

// ----- installing -----------------------------------------------------------

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
        // tempfile's errors name the path; ours never do (see crate::error).
        let payload = tempfile::tempfile_in(self.dir())
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        let mut received = read_bundle_into(path, payload)?;
        let publisher = received.info.publisher.clone();
        let (_, seen) = self.trust_state(&publisher)?;
        let trusted = PublisherMetadata::new(self, &publisher);
        let mut overlay = Overlay::over(&trusted);
        let mut remote = BundleRemote {
            roots: &received.roots,
            metadata: &received.metadata,
        };
        let (target, refreshed) = {
            let mut up = Updater::new(&mut remote, &mut overlay, self.clock().now(), seen.clone())?
                .accept_reissued_timestamps();
            let refreshed = up.refresh()?;
            let target = up.target(&received.info.target)?.ok_or_else(|| {
                Error::Untrusted(format!("'{}' is not a signed target", received.info.target))
            })?;
            (target, refreshed)
        };
        received.payload.seek(SeekFrom::Start(0))?;
        let payload = BufReader::new(received.payload);
        let installed = if received.info.format == FORMAT_PACK_FILE {
            check_digests(&target, received.payload_len, &received.digests)?;
            self.install_verified(&publisher, payload)?
        } else {
            let scratch = tempfile::tempfile_in(self.dir())
                .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
            let content = verified_content(&target, payload, scratch)?;
            self.install_from(&publisher, PackReader::plain(BufReader::new(content))?)?
        };
        overlay.commit(&mut PublisherMetadata::new(self, &publisher))?;
        self.record_seen(&publisher, &seen, &refreshed.seen)?;
        Ok(installed)
    }
}

/// Decompresses a shared bundle's content into `file` (a temporary file),
/// checking it against the content digest signed in `target`.
fn verified_content(target: &TargetFile, compressed: impl Read, file: File) -> Result<File> {
    let expected = PackTargetCustom::of(target)
        .and_then(|c| c.content)
        .ok_or_else(|| {
            Error::Untrusted(
                "the publisher signed no content digest for this pack, so only its own \
                     bundle can install it"
                    .into(),
            )
        })?;
    let mut decoder = StreamingDecoder::new_with_max_window_size(compressed, MAX_WINDOW)
        .map_err(|e| Error::invalid(format!("the shared content is not zstd: {e}")))?;
    let mut out = DigestWriter::new(BufWriter::new(file), expected.length);
    let copied = std::io::copy(&mut decoder, &mut out);
    if out.overflowed {
        return Err(Error::Untrusted(
            "the shared content is longer than its signed length".into(),
        ));
    }
    copied.map_err(|e| Error::invalid(format!("the shared content is damaged: {e}")))?;
    let (file, actual) = out.finish();
    if !actual.matches(&expected) {
        return Err(Error::Untrusted(
            "the shared content differs from what its publisher signed".into(),
        ));
    }
    let mut file = file.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
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
    let tmp = || tempfile::tempfile().map_err(|e| Error::Io(std::io::Error::from(e.kind())));
    let mut received = read_bundle_into(path, tmp()?)?;
    let mut store = Overlay::with_root(trusted_root);
    let mut remote = BundleRemote {
        roots: &received.roots,
        metadata: &received.metadata,
    };
    let mut up = Updater::new(&mut remote, &mut store, now, Default::default())?;
    up.refresh()?;
    let target = up.target(&received.info.target)?.ok_or_else(|| {
        Error::Untrusted(format!("'{}' is not a signed target", received.info.target))
    })?;
    let root = up.root().clone();
    received.payload.seek(SeekFrom::Start(0))?;
    let payload = BufReader::new(received.payload);
    let content = if received.info.format == FORMAT_PACK_FILE {
        check_digests(&target, received.payload_len, &received.digests)?;
        let mut plain = tmp()?;
        let mut decoder = StreamingDecoder::new_with_max_window_size(payload, MAX_WINDOW)
            .map_err(|e| Error::invalid(format!("not a zstd-compressed pack: {e}")))?;
        std::io::copy(&mut decoder, &mut plain)
            .map_err(|e| Error::invalid(format!("the pack is damaged: {e}")))?;
        plain.seek(SeekFrom::Start(0))?;
        plain
    } else {
        verified_content(&target, payload, tmp()?)?
    };
    Ok(VerifiedBundle {
        info: received.info,
        root,
        target,
        content,
    })
}

// ----- sharing --------------------------------------------------------------

/// Serves the metadata this phone keeps for a publisher to an [`Updater`],
/// and notes each file served: exactly what the receiving phone will need.
struct StoredRemote<'s> {
    metadata: &'s PublisherMetadata<'s>,
    served: Vec<(String, Vec<u8>)>,
}

impl StoredRemote<'_> {
    /// The stored timestamp, or the offline one when it is the same version
    /// and lives longer.
    fn timestamp(&self) -> Result<Option<Vec<u8>>> {
        use crate::sync::MetadataStore;
        let stored = self.metadata.load("timestamp")?;
        let offline = self.metadata.offline_timestamp()?;
        let read = |b: &Option<Vec<u8>>| -> Option<MetaList> {
            Envelope::parse(b.as_deref()?).ok()?.read("timestamp").ok()
        };
        Ok(match (read(&stored), read(&offline)) {
            (Some(s), Some(o)) if o.version == s.version && o.expires > s.expires => offline,
            _ => stored,
        })
    }
}

impl Remote for StoredRemote<'_> {
    fn fetch(&mut self, name: &str, max: u64, _etag: Option<&str>) -> Result<Fetched> {
        use crate::sync::MetadataStore;
        if name.ends_with(".root.json") {
            // The root chain goes into the bundle whole (see export_pack).
            return Ok(Fetched::NotFound);
        }
        let escaped = name.strip_suffix(".json").unwrap_or(name);
        let escaped = escaped
            .split_once('.')
            .filter(|(v, _)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .map_or(escaped, |(_, r)| r);
        let (bytes, path) = match escaped {
            "timestamp" => (self.timestamp()?, "metadata/timestamp.json".to_owned()),
            "snapshot" | "targets" => (
                self.metadata.load(escaped)?,
                format!("metadata/{escaped}.json"),
            ),
            delegated => {
                let role = percent_encoding::percent_decode_str(delegated)
                    .decode_utf8()
                    .map_err(|_| Error::Untrusted("a role name is not UTF-8".into()))?;
                (
                    self.metadata.load(&role)?,
                    format!("metadata/delegated/{}.json", escape_role(&role)),
                )
            }
        };
        match bytes {
            Some(b) if b.len() as u64 <= max => {
                self.served.push((path, b.clone()));
                Ok(Fetched::Body {
                    bytes: b,
                    etag: None,
                })
            }
            Some(_) => Err(Error::Untrusted("stored metadata is too large".into())),
            None => Ok(Fetched::NotFound),
        }
    }
}

impl ContentStore {
    /// Writes an installed pack, with its publisher's signed metadata, to
    /// `out` as one file another phone installs with
    /// [`Self::install_bundle`], verifying it with no server.
    ///
    /// The bundle carries the pack's content rebuilt from the installed
    /// entries, checked here against the content digest the publisher
    /// signed, and the metadata this phone trusts: the root chain it has
    /// followed, the timestamp (the publisher's longer-lived offline one
    /// when it has it), snapshot, targets and the delegated roles on the
    /// way to the pack. Another phone can install it until
    /// [`ExportedPack::valid_until`].
    ///
    /// Refused, with nothing written: a pack that is not installed, a pack
    /// whose publisher now signs a newer version (update it first), a pack
    /// whose publisher signed no content digest, and metadata that has
    /// expired (sync first).
    pub fn export_pack(&self, publisher: &str, pack_id: &str, out: &Path) -> Result<ExportedPack> {
        let (row, manifest) = self
            .conn()
            .query_row(
                "SELECT id, manifest FROM packs WHERE publisher = ?1 AND pack_id = ?2",
                params![publisher, pack_id],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
            .ok_or(Error::NotFound("installed pack"))?;
        let manifest: PackManifest = json_from_text(&manifest)?;
        let (root, seen) = self.trust_state(publisher)?;
        let stored = PublisherMetadata::new(self, publisher);
        let mut remote = StoredRemote {
            metadata: &stored,
            served: Vec::new(),
        };
        let target_path = format!("packs/{pack_id}.wmpack");
        let mut scratch = Overlay::with_root(&root);
        let target = {
            let mut up = Updater::new(&mut remote, &mut scratch, self.clock().now(), seen)?;
            up.refresh().map_err(|e| {
                Error::Untrusted(format!(
                    "this phone's copy of the publisher's signatures cannot be shared \
                     (sync, then share again): {e}"
                ))
            })?;
            up.target(&target_path)?.ok_or_else(|| {
                Error::Untrusted(format!("the publisher no longer signs '{target_path}'"))
            })?
        };
        let custom = PackTargetCustom::of(&target)
            .ok_or_else(|| Error::Untrusted("the pack's signed target is not a pack".into()))?;
        if custom.version != manifest.version {
            return Err(Error::invalid(format!(
                "version {} is installed but the publisher now signs version {}: update \
                 the pack before sharing it",
                manifest.version, custom.version
            )));
        }
        let expected = custom.content.ok_or_else(|| {
            Error::Untrusted(
                "the publisher signed no content digest for this pack, so it cannot be shared \
                 from this phone"
                    .into(),
            )
        })?;
        let valid_until = served_expiry(&remote.served, &root)?;

        // The content, rebuilt from the entries and checked before it is
        // compressed into the bundle.
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let plain = tempfile::tempfile_in(self.dir())
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        let mut writer = DigestWriter::new(BufWriter::new(plain), expected.length);
        let written = self.write_content(row, &manifest, &mut writer);
        let differs = Error::Integrity("the installed pack differs from what its publisher signed");
        if writer.overflowed {
            return Err(differs);
        }
        written?;
        let (plain, actual) = writer.finish();
        if !actual.matches(&expected) {
            return Err(differs);
        }
        let mut plain = plain.into_inner().map_err(|e| Error::Io(e.into_error()))?;
        plain.seek(SeekFrom::Start(0))?;
        let mut compressed = tempfile::tempfile_in(self.dir())
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        compress(BufReader::new(plain), &mut compressed)?;
        let compressed_len = compressed.stream_position()?;
        compressed.seek(SeekFrom::Start(0))?;

        let tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        let mut tar = tar::Builder::new(BufWriter::new(tmp));
        let info = BundleInfo {
            format: FORMAT_CONTENT,
            publisher: publisher.to_owned(),
            target: target_path.clone(),
        };
        add_file(&mut tar, "bundle.json", &serde_json::to_vec_pretty(&info)?)?;
        for (version, root) in stored.roots()? {
            add_file(
                &mut tar,
                &format!("metadata/root/{version}.root.json"),
                &root,
            )?;
        }
        let mut written = std::collections::HashSet::new();
        for (path, bytes) in &remote.served {
            if written.insert(path.clone()) {
                add_file(&mut tar, path, bytes)?;
            }
        }
        add_reader(
            &mut tar,
            &content_name(&target_path),
            compressed_len,
            BufReader::new(compressed),
        )?;
        let tmp = tar
            .into_inner()?
            .into_inner()
            .map_err(|e| Error::Io(e.into_error()))?;
        tmp.as_file().sync_all()?;
        let bytes = tmp.as_file().metadata()?.len();
        tmp.persist(out)
            .map_err(|e| Error::Io(std::io::Error::from(e.error.kind())))?;
        Ok(ExportedPack {
            publisher: publisher.to_owned(),
            pack: pack_id.to_owned(),
            version: manifest.version,
            bytes,
            valid_until,
        })
    }

    /// Writes an installed pack's content as its publisher built it: the
    /// manifest line, then each entry's line in pack order.
    fn write_content(&self, row: i64, manifest: &PackManifest, out: &mut impl Write) -> Result<()> {
        serde_json::to_writer(&mut *out, manifest)?;
        out.write_all(b"\n")?;
        let conn = self.conn();
        // Rows of a pack were inserted in pack order.
        let mut rows = conn.prepare("SELECT body FROM entries WHERE pack = ?1 ORDER BY id")?;
        let mut it = rows.query([row])?;
        while let Some(r) = it.next()? {
            let body = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            out.write_all(body.as_bytes())?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(())
    }
}

/// The earliest expiry among the metadata served and the root.
fn served_expiry(
    served: &[(String, Vec<u8>)],
    root: &[u8],
) -> Result<chrono::DateTime<chrono::Utc>> {
    let mut earliest = Envelope::parse(root)?.read::<Root>("root")?.expires;
    for (path, bytes) in served {
        let env = Envelope::parse(bytes)?;
        let expires = match path.as_str() {
            "metadata/timestamp.json" => env.read::<MetaList>("timestamp")?.expires,
            "metadata/snapshot.json" => env.read::<MetaList>("snapshot")?.expires,
            _ => env.read::<super::tuf::Targets>("targets")?.expires,
        };
        earliest = earliest.min(expires);
    }
    Ok(earliest)
}

/// Compresses `plain` into `out` as one zstd frame (the pure-Rust encoder,
/// at its fastest level: a phone shares packs, it does not publish them).
/// The encoder cannot report I/O errors, so they are caught on the way and
/// returned afterwards.
fn compress(plain: impl Read, out: &mut File) -> Result<()> {
    let mut source = Latched::new(plain);
    let mut drain = Latched::new(BufWriter::new(&mut *out));
    ruzstd::encoding::compress(
        &mut source,
        &mut drain,
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    if let Some(e) = source.error.take().or(drain.error.take()) {
        return Err(Error::Io(e));
    }
    drain.inner.flush()?;
    Ok(())
}

/// A reader or writer that turns its first error into end of input (or a
/// swallowed write) and keeps it for later.
struct Latched<T> {
    inner: T,
    error: Option<std::io::Error>,
}

impl<T> Latched<T> {
    fn new(inner: T) -> Self {
        Latched { inner, error: None }
    }
}

impl<R: Read> Read for Latched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.error.is_some() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(0),
            Err(e) => {
                self.error = Some(e);
                Ok(0)
            }
        }
    }
}

impl<W: Write> Write for Latched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_none()
            && let Err(e) = self.inner.write_all(buf)
        {
            self.error = Some(e);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.error.is_none()
            && let Err(e) = self.inner.flush()
        {
            self.error = Some(e);
        }
        Ok(())
    }
}

// ----- digests --------------------------------------------------------------

/// The digests of a whole file, read from where it stands.
pub(crate) fn digest_file(file: &mut impl Read) -> Result<Digests> {
    let mut hashing = HashingWriter::new(std::io::sink());
    std::io::copy(file, &mut hashing)?;
    Ok(hashing.digests())
}

/// A writer that hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    sha256: Sha256,
    sha512: Sha512,
}

/// The hex digests of a file, by algorithm name.
pub(crate) struct Digests {
    sha256: String,
    sha512: String,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            sha256: Sha256::new(),
            sha512: Sha512::new(),
        }
    }

    fn digests(&mut self) -> Digests {
        Digests {
            sha256: hex::encode(self.sha256.clone().finalize()),
            sha512: hex::encode(self.sha512.clone().finalize()),
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha256.update(&buf[..n]);
        self.sha512.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Checks a file's length and digests against its signed description.
pub(crate) fn check_digests(target: &TargetFile, len: u64, digests: &Digests) -> Result<()> {
    if len != target.length {
        return Err(Error::Untrusted(
            "the file's length differs from the signed length".into(),
        ));
    }
    let mut checked = 0;
    for (algo, expected) in &target.hashes {
        let actual = match algo.as_str() {
            "sha256" => &digests.sha256,
            "sha512" => &digests.sha512,
            _ => continue,
        };
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(Error::Untrusted(format!(
                "the file's {algo} hash differs from the signed one"
            )));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(Error::Untrusted("no supported hash for the pack".into()));
    }
    Ok(())
}
