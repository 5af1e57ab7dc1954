//! A pack bundle: a pack file together with its publisher's signed TUF
//! metadata, in one file that installs and verifies with no server (received
//! by Bluetooth, an SD card or a messaging app).
//!
//! A bundle is a plain tar archive, so anyone can look inside:
//!
//! ```text
//! bundle.json                    {"format":1,"publisher":"…","target":"packs/….wmpack"}
//! metadata/root/<N>.root.json    the root chain (optional; versions the phone
//!                                trusts already are skipped)
//! metadata/timestamp.json
//! metadata/snapshot.json
//! metadata/targets.json
//! targets/<target path>          the pack file
//! ```

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use super::store::{ContentStore, InstalledPack};
use super::tuf::{Envelope, MAX_METADATA_BYTES, MetadataSet, Root, TargetFile, verify_metadata};
use crate::error::{Error, Result};

/// Largest pack file accepted in a bundle.
pub const MAX_PACK_BYTES: u64 = 1024 * 1024 * 1024;

/// The bundle's own small descriptor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleInfo {
    /// Format, 1.
    pub format: u32,
    /// The publisher whose repository signed it.
    pub publisher: String,
    /// The pack's TUF target path.
    pub target: String,
}

/// Writes a bundle.
pub fn write_bundle(
    out: impl Write,
    info: &BundleInfo,
    metadata: &MetadataSet,
    pack: &[u8],
) -> Result<()> {
    let mut tar = tar::Builder::new(out);
    let mut add = |path: &str, bytes: &[u8]| -> Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, path, bytes)?;
        Ok(())
    };
    add("bundle.json", &serde_json::to_vec_pretty(info)?)?;
    for root in &metadata.roots {
        let version = Envelope::parse(root)?.read::<Root>("root")?.version;
        add(&format!("metadata/root/{version}.root.json"), root)?;
    }
    add("metadata/timestamp.json", &metadata.timestamp)?;
    add("metadata/snapshot.json", &metadata.snapshot)?;
    add("metadata/targets.json", &metadata.targets)?;
    add(&format!("targets/{}", info.target), pack)?;
    tar.into_inner()?.flush()?;
    Ok(())
}

fn read_small(r: &mut impl Read, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(MAX_METADATA_BYTES + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_METADATA_BYTES {
        return Err(Error::Untrusted(format!("{what} is too large")));
    }
    Ok(out)
}

/// Reads a bundle: its descriptor and metadata; the pack is copied to
/// `pack` (bounded by [`MAX_PACK_BYTES`]). Nothing is verified here.
pub fn read_bundle(path: &Path, pack: &mut impl Write) -> Result<(BundleInfo, MetadataSet, u64)> {
    let file = std::fs::File::open(path)?;
    let mut archive = tar::Archive::new(file);
    let mut info: Option<BundleInfo> = None;
    let mut roots: Vec<(u64, Vec<u8>)> = Vec::new();
    let (mut timestamp, mut snapshot, mut targets) = (None, None, None);
    let mut pack_name: Option<String> = None;
    let mut pack_len = 0u64;
    for entry in archive
        .entries()
        .map_err(|_| Error::invalid("not a pack bundle (tar expected)"))?
    {
        let mut entry = entry.map_err(|_| Error::invalid("the bundle is damaged"))?;
        let name = entry
            .path()
            .map_err(|_| Error::invalid("the bundle is damaged"))?
            .to_string_lossy()
            .into_owned();
        match name.as_str() {
            "bundle.json" => {
                info = Some(
                    serde_json::from_slice(&read_small(&mut entry, "bundle.json")?)
                        .map_err(|e| Error::invalid(format!("bundle.json: {e}")))?,
                )
            }
            "metadata/timestamp.json" => timestamp = Some(read_small(&mut entry, "timestamp")?),
            "metadata/snapshot.json" => snapshot = Some(read_small(&mut entry, "snapshot")?),
            "metadata/targets.json" => targets = Some(read_small(&mut entry, "targets")?),
            n if n.starts_with("metadata/root/") && n.ends_with(".root.json") => {
                let version = n["metadata/root/".len()..n.len() - ".root.json".len()]
                    .parse()
                    .map_err(|_| Error::invalid("a root file name has no version"))?;
                roots.push((version, read_small(&mut entry, "root")?));
            }
            n if n.starts_with("targets/") => {
                if pack_name.is_some() {
                    return Err(Error::invalid("a bundle holds one pack"));
                }
                pack_name = Some(n["targets/".len()..].to_owned());
                pack_len = std::io::copy(&mut (&mut entry).take(MAX_PACK_BYTES + 1), pack)?;
                if pack_len > MAX_PACK_BYTES {
                    return Err(Error::invalid("the pack is too large"));
                }
            }
            _ => {} // unknown files are ignored
        }
    }
    let missing = |what: &str| Error::invalid(format!("the bundle has no {what}"));
    let info = info.ok_or_else(|| missing("bundle.json"))?;
    let pack_name = pack_name.ok_or_else(|| missing("pack"))?;
    if pack_name != info.target {
        return Err(Error::invalid(
            "the bundle's pack is not the target it names",
        ));
    }
    roots.sort_by_key(|(v, _)| *v);
    let set = MetadataSet {
        roots: roots.into_iter().map(|(_, r)| r).collect(),
        timestamp: timestamp.ok_or_else(|| missing("timestamp metadata"))?,
        snapshot: snapshot.ok_or_else(|| missing("snapshot metadata"))?,
        targets: targets.ok_or_else(|| missing("targets metadata"))?,
    };
    Ok((info, set, pack_len))
}

impl ContentStore {
    /// Installs a pack bundle after verifying it against the trusted root of
    /// the publisher it names: the root chain, timestamp, snapshot and
    /// targets metadata, and the pack file's length and hashes. Refused,
    /// with nothing changed: an unknown publisher, a bad signature, altered
    /// bytes, expired metadata, metadata or a pack older than installed.
    pub fn install_bundle(&self, path: &Path) -> Result<InstalledPack> {
        // tempfile's errors name the path; ours never do (see crate::error).
        let mut pack = tempfile::tempfile_in(self.dir())
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        // The pack is hashed as it is copied out: one pass over it fewer
        // (on a phone's flash, reading 20 MB again is not free).
        let mut hashed = HashingWriter::new(&mut pack);
        let (info, set, pack_len) = read_bundle(path, &mut hashed)?;
        let digests = hashed.finish();
        let (trusted_root, seen) = self.trust_state(&info.publisher)?;
        let verified = verify_metadata(&trusted_root, &seen, &set, self.clock().now())?;
        let target =
            verified.targets.targets.get(&info.target).ok_or_else(|| {
                Error::Untrusted(format!("'{}' is not a signed target", info.target))
            })?;
        check_digests(target, pack_len, &digests)?;
        pack.seek(SeekFrom::Start(0))?;
        let installed = self.install_verified(&info.publisher, std::io::BufReader::new(pack))?;
        self.record_trust_state(&info.publisher, &verified.root, &verified.seen)?;
        Ok(installed)
    }
}

/// The digests of a whole file, read from where it stands.
pub(crate) fn digest_file(file: &mut impl Read) -> Result<Digests> {
    let mut hashing = HashingWriter::new(std::io::sink());
    std::io::copy(file, &mut hashing)?;
    Ok(hashing.finish())
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

    fn finish(self) -> Digests {
        Digests {
            sha256: hex::encode(self.sha256.finalize()),
            sha512: hex::encode(self.sha512.finalize()),
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
