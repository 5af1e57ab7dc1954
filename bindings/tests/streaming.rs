//! A 50 MB scan goes into the vault from the app's stream and comes back
//! out to the app's sink, byte for byte, with the process's peak memory
//! growing by a small fraction of the document and no plaintext written to
//! any file: neither a temporary file nor anything in the vault's
//! directory. One test in its own process, so the process's peak memory
//! (VmHWM) and its temporary directory are this test's.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use support::{TEST_KDF, block_on, temp_dir};
use waymark_ffi::document::{DocumentKind, DocumentMetadata};
use waymark_ffi::error::Result;
use waymark_ffi::{DocumentSink, DocumentSource, create_vault};

const SIZE: u64 = 50 * 1024 * 1024;

/// Peak memory the round trip may add (a copy of the document in memory
/// would add 50 MB).
const BOUND: u64 = 16 * 1024 * 1024;

/// The process's peak resident memory so far, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number");
    kib * 1024
}

/// The document's bytes, made as they are needed (xorshift64*): the test
/// never holds the document either.
struct Scan {
    state: u64,
    buffered: Vec<u8>,
}

impl Scan {
    fn new() -> Self {
        Scan {
            state: 0x9E37_79B9_7F4A_7C15,
            buffered: Vec::new(),
        }
    }

    fn next(&mut self, n: usize) -> Vec<u8> {
        while self.buffered.len() < n {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            let word = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            self.buffered.extend_from_slice(&word.to_le_bytes());
        }
        let rest = self.buffered.split_off(n);
        std::mem::replace(&mut self.buffered, rest)
    }
}

/// The app's stream: hands out the scan in the chunks asked for.
struct Source {
    scan: Mutex<(Scan, u64)>,
}

impl DocumentSource for Source {
    fn read(&self, max_len: i32) -> Result<Vec<u8>> {
        let mut guard = self.scan.lock().unwrap();
        let (scan, left) = &mut *guard;
        let n = (max_len as u64).min(*left) as usize;
        *left -= n as u64;
        Ok(scan.next(n))
    }
}

/// The app's sink: checks every byte against the scan as it arrives.
struct Checker {
    scan: Mutex<(Scan, u64, bool)>,
}

impl DocumentSink for Checker {
    fn write(&self, chunk: Vec<u8>) -> Result<()> {
        let mut guard = self.scan.lock().unwrap();
        let (scan, received, same) = &mut *guard;
        *same &= scan.next(chunk.len()) == chunk;
        *received += chunk.len() as u64;
        Ok(())
    }
}

/// 16-byte blocks of the scan at every 4 KiB: a plaintext copy in a file
/// at any 16-byte-aligned offset holds some of them.
fn plaintext_samples() -> HashSet<[u8; 16]> {
    let mut scan = Scan::new();
    let mut samples = HashSet::new();
    for _ in 0..SIZE / 4096 {
        let block = scan.next(4096);
        samples.insert(block[..16].try_into().unwrap());
    }
    samples
}

/// Every file under `dir`, with its size.
fn files(dir: &Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            out.extend(files(&entry.path()));
        } else {
            out.push((entry.path(), meta.len()));
        }
    }
    out
}

/// Whether the file holds any of `samples` at a 16-byte-aligned offset.
fn holds_plaintext(path: &Path, samples: &HashSet<[u8; 16]>) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes
        .chunks_exact(16)
        .any(|block| samples.contains(<&[u8; 16]>::try_from(block).unwrap()))
}

#[test]
fn a_50_mb_scan_streams_in_and_out_with_bounded_memory_and_no_plaintext_file() {
    let home = temp_dir();
    let tmp = temp_dir();
    // SAFETY: the only test of this process, before it starts any thread of
    // its own: every temporary file made from here on lands in `tmp`.
    unsafe { std::env::set_var("TMPDIR", tmp.path()) };
    let vault_dir = home.path().join("vault");
    let created = block_on(create_vault(
        vault_dir.to_string_lossy().into_owned(),
        "correct horse battery".into(),
        Some(TEST_KDF),
    ))
    .unwrap();
    let vault = created.vault;
    let metadata = DocumentMetadata {
        kind: DocumentKind::Passport,
        title: "Scan".into(),
        issuing_country: None,
        number: None,
        holder_name: None,
        issued_on: None,
        expires_on: None,
        notes: String::new(),
        tags: Vec::new(),
        mime_type: "image/jpeg".into(),
    };
    let samples = plaintext_samples();
    let before = peak_rss();

    let source = Source {
        scan: Mutex::new((Scan::new(), SIZE)),
    };
    let id =
        block_on(Arc::clone(&vault).add_document_from_source(metadata, Box::new(source))).unwrap();
    let after_add = peak_rss();

    let checker = Arc::new(Checker {
        scan: Mutex::new((Scan::new(), 0, true)),
    });
    struct Shared(Arc<Checker>);
    impl DocumentSink for Shared {
        fn write(&self, chunk: Vec<u8>) -> Result<()> {
            self.0.write(chunk)
        }
    }
    let size = block_on(
        Arc::clone(&vault).read_document_into(id.clone(), Box::new(Shared(Arc::clone(&checker)))),
    )
    .unwrap();
    let after_read = peak_rss();

    let (_, received, same) = &*checker.scan.lock().unwrap();
    assert_eq!(size as u64, SIZE);
    assert_eq!(*received, SIZE);
    assert!(*same, "the content came back byte for byte");
    let (add, read) = (after_add - before, after_read - before);
    println!(
        "50 MB document: peak memory +{:.1} MB adding, +{:.1} MB after reading (bound {} MB)",
        add as f64 / 1e6,
        read as f64 / 1e6,
        BOUND / 1024 / 1024
    );
    assert!(read < BOUND, "peak memory grew by {read} bytes");

    // No temporary file at all; in the vault, the database and one content
    // file, sealed.
    assert_eq!(files(tmp.path()), [], "no temporary file");
    let stored = files(&vault_dir);
    let names: Vec<String> = stored
        .iter()
        .map(|(p, _)| {
            p.strip_prefix(&vault_dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("vault.db") || n == &format!("blobs/{id}.1")),
        "{names:?}"
    );
    for (path, _) in &stored {
        assert!(
            !holds_plaintext(path, &samples),
            "plaintext in {}",
            path.display()
        );
    }
}
