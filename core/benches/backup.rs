//! Backup files: what a passphrase costs, and export/import throughput.
//!
//! `cargo bench -p waymark-core --bench backup` prints:
//! - the time of one scrypt derivation (an export to a passphrase of an
//!   empty vault, which is nearly all scrypt) at work factors 16 (what
//!   Waymark writes, 64 MiB), 17 (128 MiB) and 18 (`age -p`'s default,
//!   256 MiB), each also read back by an import;
//! - exporting and importing a 10 MB scan to an age1 key, in MB/s.
//!
//! Memory is scrypt's `2^logN` KiB plus a few 64 KiB chunks whatever the
//! documents' sizes; measure it with `/usr/bin/time -v` around
//! `waymark backup export` (README, "Backup files").

use std::time::{Duration, Instant};

use waymark_core::backup::{self, BackupRecipients, Identity, X25519Identity};
use waymark_core::vault::{DocumentKind, DocumentMetadata, Vault, VaultOptions};

const SCAN: usize = 10 * 1024 * 1024;

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) =
        Vault::create(dir.path(), "bench passphrase", VaultOptions::for_tests()).unwrap();
    for log_n in [16u8, 17, 18] {
        let to = BackupRecipients::passphrase_with_work_factor("a backup passphrase", log_n);
        let mut file = Vec::new();
        let (_, export) = timed(|| backup::export(&vault, None, &to, &mut file).unwrap());
        let ids = [Identity::passphrase("a backup passphrase")];
        let (_, import) = timed(|| backup::import(&vault, &file[..], &ids).unwrap());
        println!(
            "scrypt logN {log_n} ({:3} MiB): export {:6.0} ms, import {:6.0} ms",
            1u32 << (log_n - 10),
            export.as_secs_f64() * 1e3,
            import.as_secs_f64() * 1e3
        );
    }

    let data: Vec<u8> = (0..SCAN).map(|i| (i * 31 % 251) as u8).collect();
    vault
        .add_document_bytes(DocumentMetadata::new(DocumentKind::Passport, "scan"), &data)
        .unwrap();
    let key = X25519Identity::generate().unwrap();
    let to = BackupRecipients::keys(&[key.to_public()]);
    let mut file = Vec::new();
    let (_, export) = timed(|| backup::export(&vault, None, &to, &mut file).unwrap());
    let dir2 = tempfile::tempdir().unwrap();
    let (target, _) =
        Vault::create(dir2.path(), "bench passphrase", VaultOptions::for_tests()).unwrap();
    let (_, import) =
        timed(|| backup::import(&target, &file[..], &[Identity::X25519(key)]).unwrap());
    let mbps = |d: Duration| SCAN as f64 / 1e6 / d.as_secs_f64();
    println!(
        "10 MB scan to an age1 key: export {:6.1} MB/s, import {:6.1} MB/s",
        mbps(export),
        mbps(import)
    );
}
