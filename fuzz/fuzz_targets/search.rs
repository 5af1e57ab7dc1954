//! The search box: any text (any Unicode, from lossy UTF-8 of the input)
//! searched in a real store holding the two seed packs, in no language and
//! in each of a few. No query may give an error (a bad read of the index
//! or of a word-coded entry) or panic: `search` must return hits, and the
//! same first hits with a limit past what a word's head answers (the
//! whole lists ranked instead of the heads).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use waymark_core::clock::ManualClock;
use waymark_core::content::{ContentStore, SearchQuery, TrustRequest};

struct Store {
    _dir: tempfile::TempDir,
    store: ContentStore,
}

static STORE: OnceLock<Store> = OnceLock::new();

const LANGUAGES: [&str; 5] = ["en", "ar", "fa", "ti", "x-\"*"];

fn store() -> &'static ContentStore {
    &STORE
        .get_or_init(|| {
            let dir = waymark_fuzz::scratch_dir();
            let clock = Arc::new(ManualClock::new(waymark_fuzz::now()));
            let store = ContentStore::open_with_clock(&dir.path().join("store"), clock)
                .expect("a store opens");
            store
                .trust_publisher(waymark_fuzz::CARD, &TrustRequest::default())
                .expect("the seed publisher is trusted");
            for (i, bundle) in waymark_fuzz::BUNDLES.iter().enumerate() {
                let path = dir.path().join(format!("{i}.wmbundle"));
                std::fs::write(&path, bundle).unwrap();
                store.install_bundle(&path).expect("a seed bundle installs");
            }
            Store { _dir: dir, store }
        })
        .store
}

fuzz_target!(|data: &[u8]| {
    let store = store();
    let (choice, text) = match data.split_first() {
        Some((&c, rest)) => (c, rest),
        None => (0, data),
    };
    let text = String::from_utf8_lossy(text);
    let mut query = SearchQuery::new(text.as_ref());
    if let Some(lang) = LANGUAGES.get(usize::from(choice) % (LANGUAGES.len() + 1)) {
        query = query.language(*lang);
    }
    let first = match store.search(&query) {
        Ok(results) => {
            assert!(results.hits.len() <= query.limit);
            results
        }
        Err(e) => panic!("search for {text:?} failed: {e}"),
    };
    // More hits than a word's head holds: ranked from the whole lists,
    // and the first ones are the same (one order, whatever the limit).
    let mut more = query.clone();
    more.limit = 100;
    match store.search(&more) {
        Ok(results) => {
            assert!(results.hits.len() <= more.limit);
            let ids = |r: &waymark_core::content::SearchResults, n: usize| {
                r.hits
                    .iter()
                    .take(n)
                    .map(|h| (h.kind.clone(), h.id.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                ids(&first, query.limit),
                ids(&results, query.limit),
                "{text:?}"
            );
        }
        Err(e) => panic!("search for {text:?} (100 hits) failed: {e}"),
    }
});
