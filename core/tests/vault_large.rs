//! A 25 MB document round-trips byte for byte through files while the
//! process's peak resident memory grows far less than the document's size.
//!
//! Alone in its own test binary so that no other test's allocations are
//! measured. Peak RSS is read from /proc (Linux), after resetting it through
//! /proc/self/clear_refs; where that is unavailable the test says so and
//! checks only the round trip.

mod common;

use std::io::{BufReader, Read, Write};

use common::*;
use waymark_core::vault::DocumentKind;

const SIZE: usize = 25 * 1024 * 1024;

/// Deterministic pseudo-random bytes (xorshift), so nothing compresses and
/// any misplaced chunk shows.
fn pattern(seed: u64, len: usize) -> impl Iterator<Item = u8> {
    let mut x = seed;
    (0..len).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 24) as u8
    })
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak RSS to the current RSS; false if the kernel does not allow it.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[test]
fn a_25_mb_file_round_trips_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("scan.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src).unwrap());
        let buf: Vec<u8> = pattern(0x9e37_79b9_7f4a_7c15, SIZE).collect();
        f.write_all(&buf).unwrap();
    }
    let (vault, _) = new_vault(dir.path(), &clock());

    let measurable = reset_peak();
    let base = status_kib("VmRSS:").unwrap_or(0);
    let id = vault
        .add_document_file(meta(DocumentKind::Passport, "big scan"), &src)
        .unwrap();
    let peak_add = status_kib("VmHWM:").unwrap_or(0).saturating_sub(base);

    reset_peak();
    let base = status_kib("VmRSS:").unwrap_or(0);
    let out = dir.path().join("out.bin");
    assert_eq!(vault.export_document(&id, &out).unwrap(), SIZE as u64);
    let peak_get = status_kib("VmHWM:").unwrap_or(0).saturating_sub(base);

    // Byte for byte, compared as streams.
    let mut expected = pattern(0x9e37_79b9_7f4a_7c15, SIZE);
    let mut got = BufReader::new(std::fs::File::open(&out).unwrap());
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0usize;
    loop {
        let n = got.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for (i, b) in buf[..n].iter().enumerate() {
            assert_eq!(Some(*b), expected.next(), "byte {}", total + i);
        }
        total += n;
    }
    assert_eq!(total, SIZE);
    assert_eq!(vault.document(&id).unwrap().size, SIZE as u64);

    if measurable {
        eprintln!(
            "peak RSS growth: add {peak_add} KiB, export {peak_get} KiB for a {} KiB document",
            SIZE / 1024
        );
        // 25 MiB document; allow 6 MiB for buffers, SQLite's page cache and
        // the allocator's slack: far below the size.
        assert!(peak_add < 6 * 1024, "adding grew RSS by {peak_add} KiB");
        assert!(peak_get < 6 * 1024, "exporting grew RSS by {peak_get} KiB");
    } else {
        eprintln!("peak RSS cannot be reset here; memory bound not measured");
    }
}
