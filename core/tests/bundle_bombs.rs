//! Reading a stranger's bundle stays within a fixed memory bound, whatever
//! the file: tar headers that would make the reader hold hundreds of
//! megabytes are refused as they are read. One test in its own process, so
//! the process's peak memory (VmHWM) is this test's.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use waymark_core::content::{BundleInfo, ContentStore};

/// Memory reading any bundle may add (the bound).
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

/// A raw tar header: `name`, `typeflag`, `size` (octal), checksum set.
fn header(name: &str, typeflag: u8, size: u64) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    let size = format!("{size:011o}");
    h[124..135].copy_from_slice(size.as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// A file: its header, then its data padded to 512 bytes.
fn add(out: &mut impl Write, name: &str, data: &[u8]) {
    out.write_all(&header(name, b'0', data.len() as u64))
        .unwrap();
    out.write_all(data).unwrap();
    let pad = (512 - data.len() % 512) % 512;
    out.write_all(&vec![0u8; pad]).unwrap();
}

fn bundle_json() -> Vec<u8> {
    serde_json::to_vec(&BundleInfo {
        format: 1,
        publisher: "sample-ngo".into(),
        target: "packs/p.wmpack".into(),
    })
    .unwrap()
}

/// A bundle whose first entry is an extension header (`L`: GNU long
/// name, `x`: PAX) announcing `size` bytes; the file is sparse.
fn header_bomb(path: &Path, typeflag: u8, size: u64) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&header("././@LongLink", typeflag, size))
        .unwrap();
    let end = 512 + size.div_ceil(512) * 512;
    f.seek(SeekFrom::Start(end)).unwrap();
    add(&mut f, "bundle.json", &bundle_json());
    f.write_all(&[0u8; 1024]).unwrap();
}

/// A bundle of `n` metadata files of 512 KiB each (the most one file may
/// be).
fn metadata_bomb(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    add(&mut f, "bundle.json", &bundle_json());
    let body = vec![b' '; 512 * 1024];
    for i in 0..n {
        add(&mut f, &format!("metadata/delegated/r{i}.json"), &body);
    }
    f.write_all(&[0u8; 1024]).unwrap();
    f.flush().unwrap();
}

/// Writes a bundle at a path.
type MakeBundle = Box<dyn Fn(&Path)>;

#[test]
fn tar_bombs_are_refused_within_a_fixed_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(&dir.path().join("content")).unwrap();
    let cases: [(&str, MakeBundle); 3] = [
        (
            "a GNU long name of 400 MiB",
            Box::new(|p| header_bomb(p, b'L', 400 * 1024 * 1024)),
        ),
        (
            "a PAX header of 400 MiB",
            Box::new(|p| header_bomb(p, b'x', 400 * 1024 * 1024)),
        ),
        (
            "96 metadata files of 512 KiB (48 MiB)",
            Box::new(|p| metadata_bomb(p, 96)),
        ),
    ];
    for (what, make) in cases {
        let path = dir.path().join("bomb.tar");
        make(&path);
        let before = peak_rss();
        let result = store.install_bundle(&path);
        let added = peak_rss().saturating_sub(before);
        println!("{what}: peak RSS added {:.1} MB", added as f64 / 1e6);
        assert!(result.is_err(), "{what}: {result:?}");
        assert!(
            added <= BOUND,
            "{what}: reading it added {added} bytes of peak memory (bound {BOUND})"
        );
        assert!(store.packs().unwrap().is_empty(), "{what}");
        std::fs::remove_file(&path).unwrap();
    }
}
