//! An age file (a backup) opened with the identities of the age test
//! vectors: header lines and stanzas, the header MAC, then the payload's
//! chunks to the end. Any file: an error or the plaintext, never a panic.
//!
//! The passphrase identity is offered only when every scrypt stanza asks
//! for a work factor of at most 2^10: the core accepts up to 2^22 (4 GiB of
//! memory, see RELIABILITY.md), which the fuzzer would otherwise find and
//! report as an out-of-memory crash on every run.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use waymark_core::backup::age::{Decryptor, Identity, X25519Identity};
use zeroize::Zeroizing;

const KEYS: [&str; 2] = [
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0",
    "AGE-SECRET-KEY-143WN7DCXU4G8R5AXQSSYD9AEPYDNT3HXSLWSPK36CDU6E8M59SSSAGZ3KG",
];

/// Whether every `-> scrypt SALT LOG_N` line asks for at most 2^10.
fn cheap_scrypt(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n')
        .filter(|line| line.starts_with(b"-> scrypt"))
        .all(|line| {
            let last = line.rsplit(|&b| b == b' ').next().unwrap_or_default();
            std::str::from_utf8(last)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .is_none_or(|n| n <= 10)
        })
}

fuzz_target!(|data: &[u8]| {
    let mut identities: Vec<Identity> = KEYS
        .iter()
        .map(|k| Identity::X25519(X25519Identity::parse(k).unwrap()))
        .collect();
    if cheap_scrypt(data) {
        identities.push(Identity::Passphrase(Zeroizing::new("password".into())));
    }
    if let Ok(mut decryptor) = Decryptor::new(data, &identities) {
        let mut plain = Vec::new();
        if decryptor.read_to_end(&mut plain).is_ok() {
            assert!(plain.len() <= data.len(), "more plaintext than ciphertext");
        }
    }
});
