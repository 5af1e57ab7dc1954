//! The bundle file: a plain tar archive of a small descriptor, the
//! publisher's metadata and one pack (see the layout in [`super`]). Written
//! with nothing that varies between runs; read with every size bounded.
//! Nothing is verified here: see [`super::verify_bundle`].

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Oversized, Result, Untrusted};
use crate::tuf::{Digests, Envelope, HashingWriter, MAX_METADATA_BYTES, MetadataSet, Root};

/// Largest pack file accepted in a bundle.
pub const MAX_PACK_BYTES: u64 = 1024 * 1024 * 1024;

/// Most metadata files read from one bundle.
const MAX_METADATA_FILES: usize = 1024;

/// Most bytes of metadata read from one bundle, all files together: what
/// reading a bundle may hold in memory (a bundle carries the root chain and
/// the roles on the way to one pack; each file is at most
/// [`MAX_METADATA_BYTES`]).
pub const MAX_BUNDLE_METADATA_BYTES: u64 = 8 * 1024 * 1024;

/// Most entries (headers) a bundle may hold.
const MAX_ENTRIES: usize = MAX_METADATA_FILES + 16;

/// Longest file name a bundle may give in a GNU long-name entry.
const MAX_NAME_BYTES: u64 = 4096;

/// Longest PAX extended header a bundle may hold.
const MAX_PAX_BYTES: u64 = 64 * 1024;

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

/// Adds a metadata file to the bytes read, refusing the bundle once they
/// pass [`MAX_BUNDLE_METADATA_BYTES`].
fn count_metadata(read: u64, bytes: &[u8]) -> Result<u64> {
    let read = read + bytes.len() as u64;
    if read > MAX_BUNDLE_METADATA_BYTES {
        return Err(Untrusted::TooLarge(Oversized::Named {
            what: "the bundle's metadata",
        })
        .into());
    }
    Ok(read)
}

/// Walks the bundle's tar headers before anything is read, skipping over
/// file data, and refuses the file as soon as a header crosses a limit:
/// too many entries, a GNU long name or PAX header longer than allowed (the
/// tar reader would hold either whole in memory), a metadata-sized file
/// larger than a pack may be. Memory stays at one header.
fn check_headers(file: &mut File) -> Result<()> {
    let mut header = [0u8; 512];
    let mut entries = 0usize;
    loop {
        match file.read_exact(&mut header) {
            Ok(()) => {}
            // A tar without its end-of-archive blocks: the reader decides.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if header.iter().all(|&b| b == 0) {
            return Ok(());
        }
        entries += 1;
        if entries > MAX_ENTRIES {
            return Err(Error::invalid("the bundle holds too many files"));
        }
        let size = header_size(&header).ok_or_else(|| Error::invalid("the bundle is damaged"))?;
        match header[156] {
            b'L' | b'K' if size > MAX_NAME_BYTES => {
                return Err(Error::invalid("a file name in the bundle is too long"));
            }
            b'x' | b'g' if size > MAX_PAX_BYTES => {
                return Err(Error::invalid(
                    "the bundle has an oversized extended header",
                ));
            }
            _ if size > MAX_PACK_BYTES => return Err(Error::invalid("the pack is too large")),
            _ => {}
        }
        let skip = size.div_ceil(512) * 512;
        let skip = i64::try_from(skip).map_err(|_| Error::invalid("the bundle is damaged"))?;
        file.seek(SeekFrom::Current(skip))?;
    }
}

/// The size field of a tar header: octal text, or GNU's base-256 for
/// large sizes. `None` when it is neither.
fn header_size(header: &[u8; 512]) -> Option<u64> {
    let field = &header[124..136];
    if field[0] & 0x80 != 0 {
        // Base-256: big-endian in the remaining bytes.
        return field[1..]
            .iter()
            .try_fold(u64::from(field[0] & 0x7f), |n, &b| {
                n.checked_mul(256)?.checked_add(u64::from(b))
            });
    }
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

fn damaged<E>(_: E) -> Error {
    Error::invalid("the bundle is damaged")
}

/// Reads the bundle at `path`, copying its payload into `payload` (a
/// temporary file) and hashing it on the way: on a phone's flash, reading
/// 20 MB twice is not free.
pub(super) fn read_bundle_into<W: Write>(path: &Path, payload: W) -> Result<Received<W>> {
    let mut file = File::open(path)?;
    check_headers(&mut file)?;
    file.seek(SeekFrom::Start(0))?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    let mut metadata_bytes = 0u64;
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
            let bytes = read_small(&mut entry, "root metadata")?;
            metadata_bytes = count_metadata(metadata_bytes, &bytes)?;
            roots.insert(version, bytes);
        } else if let Some(role) = name
            .strip_prefix("metadata/")
            .and_then(|n| n.strip_suffix(".json"))
        {
            let bytes = read_small(&mut entry, "metadata")?;
            metadata_bytes = count_metadata(metadata_bytes, &bytes)?;
            metadata.insert(role.to_owned(), bytes);
        } else if name.starts_with("targets/") || name.starts_with("content/") {
            if payload_name.is_some() {
                return Err(Error::invalid("a bundle holds one pack"));
            }
            payload_name = Some(name);
            // Metadata that came first (Waymark writes bundles so) and
            // names no SHA-512 spares hashing the pack twice: each target
            // is checked against the hashes its signed metadata lists,
            // and SHA-256 is always computed (0.06 s for 38 MB here).
            let names_sha512 = |m: &Vec<u8>| m.windows(8).any(|w| w == b"\"sha512\"");
            if metadata.contains_key("targets") && !metadata.values().any(names_sha512) {
                hashed.drop_sha512();
            }
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
