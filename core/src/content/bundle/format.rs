//! The bundle file: a plain tar archive of a small descriptor, the
//! publisher's metadata and one pack (see the layout in [`super`]). Written
//! with nothing that varies between runs; read with every size bounded.
//! Nothing is verified here: see [`super::verify_bundle`].

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Oversized, Result, Untrusted};
use crate::tuf::{Digests, Envelope, HashingWriter, MAX_METADATA_BYTES, MetadataSet, Root};

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
pub(super) fn add_file<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    bytes: &[u8],
) -> Result<()> {
    add_reader(tar, path, bytes.len() as u64, bytes)
}

pub(super) fn add_reader<W: Write>(
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

/// A bundle as read: its descriptor, its metadata, and its payload (the
/// pack file or the content) copied to a writer `W`. Nothing is verified
/// yet.
pub(super) struct Received<W> {
    pub(super) info: BundleInfo,
    pub(super) roots: BTreeMap<u64, Vec<u8>>,
    /// `timestamp`, `snapshot`, `targets`, and `delegated/<escaped role>`.
    pub(super) metadata: HashMap<String, Vec<u8>>,
    pub(super) payload: W,
    pub(super) payload_len: u64,
    pub(super) digests: Digests,
}

fn read_small(r: &mut impl Read, what: &'static str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(MAX_METADATA_BYTES + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_METADATA_BYTES {
        return Err(Untrusted::TooLarge(Oversized::Named { what }).into());
    }
    Ok(out)
}

fn damaged<E>(_: E) -> Error {
    Error::invalid("the bundle is damaged")
}

/// Reads the bundle at `path`, copying its payload into `payload` (a
/// temporary file) and hashing it on the way: on a phone's flash, reading
/// 20 MB twice is not free.
pub(super) fn read_bundle_into<W: Write>(path: &Path, payload: W) -> Result<Received<W>> {
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
    let (payload, digests) = hashed.finish();
    let payload = payload
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
pub(super) fn content_name(target: &str) -> String {
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
