//! Vault throughput against the raw cipher, and the unlock KDF's cost.
//!
//! `cargo bench -p waymark-core --bench vault` prints:
//! - raw XChaCha20-Poly1305 throughput over 64 KiB chunks (the ceiling);
//! - a plain durable write of the same 10 MB (write + fsync, no
//!   encryption): storing can be no faster than the device;
//! - storing and reading a 10 MB scan through the vault, and their ratio to
//!   the ceiling (the brief's budget: at least 70%);
//! - the time of one Argon2id derivation with the default parameters (the
//!   brief's budget: about 1 s on a Cortex-A53, which is roughly 5-6 times
//!   slower than a desktop core for this memory-bound work).

use std::hint::black_box;
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use waymark_core::vault::{DocumentKind, DocumentMetadata, KdfParams, Vault, VaultOptions, bench};

const SCAN: usize = 10 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const ROUNDS: usize = 5;

fn best_of<T>(rounds: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .expect("at least one round")
}

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn main() {
    let data: Vec<u8> = (0..SCAN).map(|i| (i * 31 % 251) as u8).collect();

    let cipher = XChaCha20Poly1305::new(&[7u8; 32].into());
    let mut buf = data.clone();
    let raw = best_of(ROUNDS, || {
        for (i, chunk) in buf.chunks_mut(CHUNK).enumerate() {
            let mut nonce = [0u8; 24];
            nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let tag = cipher
                .encrypt_inout_detached(&XNonce::from(nonce), b"", chunk.into())
                .expect("encrypt");
            black_box(tag);
        }
    });

    let dir = tempfile::tempdir().expect("tempdir");
    // The device's floor: writing the same bytes durably, unencrypted.
    let disk = best_of(ROUNDS, || {
        use std::io::Write;
        let path = dir.path().join("plain.bin");
        let mut f = std::fs::File::create(&path).expect("create");
        for chunk in data.chunks(CHUNK) {
            f.write_all(chunk).expect("write");
        }
        f.sync_all().expect("fsync");
    });
    let (vault, _) = Vault::create(
        &dir.path().join("v"),
        "bench passphrase",
        VaultOptions::for_tests(),
    )
    .expect("create");
    let mut ids = Vec::new();
    let store = best_of(ROUNDS, || {
        let id = vault
            .add_document_bytes(DocumentMetadata::new(DocumentKind::Passport, "scan"), &data)
            .expect("add");
        ids.push(id);
    });
    let id = ids[0];
    let mut out = Vec::with_capacity(SCAN);
    let read = best_of(ROUNDS, || {
        out.clear();
        vault.read_document(&id, &mut out).expect("read")
    });
    assert_eq!(out, data);

    let kdf = KdfParams::DEFAULT;
    let derive = best_of(3, || {
        bench::derive_passphrase_key(&kdf, b"bench passphrase", b"0123456789abcdef").expect("kdf")
    });

    let raw_mb = mb_per_s(SCAN, raw);
    println!("raw XChaCha20-Poly1305 (64 KiB chunks): {raw_mb:8.1} MB/s");
    println!(
        "durable write of 10 MB, unencrypted:   {:8.1} MB/s  (the device's floor for storing)",
        mb_per_s(SCAN, disk)
    );
    for (what, d) in [("vault store 10 MB", store), ("vault read 10 MB", read)] {
        let mb = mb_per_s(SCAN, d);
        println!(
            "{what:<38} {mb:8.1} MB/s  {:5.1}% of raw  ({:.1} ms)",
            100.0 * mb / raw_mb,
            d.as_secs_f64() * 1e3
        );
    }
    println!(
        "Argon2id {} MiB, t={}, p={}: {:.0} ms on this core (x5-6 on a Cortex-A53)",
        kdf.memory_kib / 1024,
        kdf.iterations,
        kdf.parallelism,
        derive.as_secs_f64() * 1e3
    );
}
