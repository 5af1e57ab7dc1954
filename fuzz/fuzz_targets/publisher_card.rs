//! A publisher card (or a bare root) offered for trust, as a phone reads a
//! scanned QR code or a shared file: parsed, the root checked against its
//! own keys and expiry, the publisher trusted in a real store, then
//! removed again so every input starts from the same store.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use waymark_core::clock::ManualClock;
use waymark_core::content::{ContentStore, TrustRequest};

struct Store {
    _dir: tempfile::TempDir,
    store: ContentStore,
}

static STORE: OnceLock<Store> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let s = STORE.get_or_init(|| {
        let dir = waymark_fuzz::scratch_dir();
        let clock = Arc::new(ManualClock::new(waymark_fuzz::now()));
        let store = ContentStore::open_with_clock(dir.path(), clock).expect("a store opens");
        Store { _dir: dir, store }
    });
    for request in [
        TrustRequest::default(),
        TrustRequest {
            id: Some("fuzz-publisher".into()),
            ..TrustRequest::default()
        },
    ] {
        if let Ok(trusted) = s.store.trust_publisher(data, &request) {
            assert_eq!(s.store.trusted_publishers().unwrap().len(), 1);
            s.store.remove_publisher_trust(&trusted.id).unwrap();
        }
        assert!(s.store.trusted_publishers().unwrap().is_empty());
    }
});
