//! The one home of "does this file match its signed description?": the
//! length and hashes TUF metadata gives for a target or a metadata file,
//! computed while the bytes pass ([`HashingWriter`]) or over bytes in
//! memory ([`Digests::of`]), and checked in one place
//! ([`TargetFile::check_digests`], [`check_hashes`]).

use std::collections::BTreeMap;
use std::io::{Read, Write};

use sha2::{Digest, Sha256, Sha512};

use super::metadata::{MetaFile, TargetFile};
use crate::error::{Result, Untrusted};

/// The length and hex digests of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// Bytes in the file.
    pub length: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// SHA-512, lower-case hex, when it was computed.
    pub sha512: Option<String>,
}

impl Digests {
    /// The digests of `bytes` (every algorithm).
    pub fn of(bytes: &[u8]) -> Self {
        Digests {
            length: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
            sha512: Some(hex::encode(Sha512::digest(bytes))),
        }
    }

    /// The digests of everything `reader` yields (every algorithm).
    pub fn of_reader(reader: &mut impl Read) -> Result<Self> {
        let mut hashing = HashingWriter::new(std::io::sink());
        std::io::copy(reader, &mut hashing)?;
        Ok(hashing.finish().1)
    }

    /// The digest in `algo`'s name, if computed (`None` for an algorithm
    /// Waymark does not know).
    fn get(&self, algo: &str) -> Option<&str> {
        match algo {
            "sha256" => Some(&self.sha256),
            "sha512" => self.sha512.as_deref(),
            _ => None,
        }
    }
}

/// Checks every hash in `hashes` Waymark knows (sha256, sha512) against
/// `digests`; at least one must be known.
pub fn check_hashes(hashes: &BTreeMap<String, String>, digests: &Digests) -> Result<(), Untrusted> {
    let mut checked = 0;
    for (algo, expected) in hashes {
        let Some(actual) = digests.get(algo) else {
            continue;
        };
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(Untrusted::HashMismatch { algo: algo.clone() });
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(Untrusted::NoKnownHash);
    }
    Ok(())
}

impl TargetFile {
    /// Describes `bytes` (length and SHA-256).
    pub fn describe(bytes: &[u8]) -> Self {
        let mut hashes = BTreeMap::new();
        hashes.insert("sha256".into(), hex::encode(Sha256::digest(bytes)));
        TargetFile {
            length: bytes.len() as u64,
            hashes,
            custom: None,
        }
    }

    /// Checks `bytes` against the signed length and every hash Waymark
    /// knows (at least one must be known).
    pub fn check(&self, bytes: &[u8]) -> Result<()> {
        self.check_digests(&Digests::of(bytes))
    }

    /// Checks a file's digests, computed as it passed, against the signed
    /// length and hashes.
    pub fn check_digests(&self, digests: &Digests) -> Result<()> {
        if digests.length != self.length {
            return Err(Untrusted::LengthMismatch.into());
        }
        Ok(check_hashes(&self.hashes, digests)?)
    }
}

impl MetaFile {
    /// Describes metadata file `bytes` at `version` (length and SHA-256), as
    /// a snapshot or timestamp lists it.
    pub fn describe(version: u64, bytes: &[u8]) -> Self {
        MetaFile {
            version,
            length: Some(bytes.len() as u64),
            hashes: Some(TargetFile::describe(bytes).hashes),
        }
    }
}

/// A writer that measures and hashes what passes through it, and refuses
/// to pass more than its limit.
pub struct HashingWriter<W> {
    inner: W,
    sha256: Sha256,
    sha512: Option<Sha512>,
    length: u64,
    limit: u64,
    overflowed: bool,
}

impl<W: Write> HashingWriter<W> {
    /// Hashes with every algorithm TUF metadata may name, with no limit.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            sha256: Sha256::new(),
            sha512: Some(Sha512::new()),
            length: 0,
            limit: u64::MAX,
            overflowed: false,
        }
    }

    /// Hashes with SHA-256 only (a content digest), refusing more than
    /// `limit` bytes.
    pub fn sha256_limited(inner: W, limit: u64) -> Self {
        HashingWriter {
            sha512: None,
            limit,
            ..Self::new(inner)
        }
    }

    /// Stops hashing with SHA-512 (before anything was written): when no
    /// metadata that can describe the file lists SHA-512, the file is
    /// checked against its SHA-256 alone (see [`check_hashes`]).
    pub fn drop_sha512(&mut self) {
        debug_assert_eq!(self.length, 0, "dropped after bytes were hashed");
        self.sha512 = None;
    }

    /// More than the limit was offered (the write that crossed it failed).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// The writer and the digests of what passed.
    pub fn finish(self) -> (W, Digests) {
        let digests = Digests {
            length: self.length,
            sha256: hex::encode(self.sha256.finalize()),
            sha512: self.sha512.map(|h| hex::encode(h.finalize())),
        };
        (self.inner, digests)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.length.saturating_add(buf.len() as u64) > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("longer than the signed length"));
        }
        let n = self.inner.write(buf)?;
        self.sha256.update(&buf[..n]);
        if let Some(h) = &mut self.sha512 {
            h.update(&buf[..n]);
        }
        self.length += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
