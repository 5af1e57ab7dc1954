//! TUF metadata parse and verify: a whole repository's metadata from the
//! input (root chain, timestamp, snapshot, targets, delegated roles; see
//! `waymark_fuzz::files`), refreshed from the seed publisher's first root
//! by the core's updater, then every target the top-level targets list
//! (and a few others) looked up through the delegations. Signatures are
//! real: mutations of signed parts are refused, the parsers and the
//! checks around them take the rest.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use waymark_core::error::{Oversized, Untrusted};
use waymark_core::tuf::{Fetched, Limits, Overlay, Remote, SeenVersions, Updater};

struct Files<'a> {
    files: HashMap<String, &'a [u8]>,
    served: u64,
}

impl Remote for Files<'_> {
    fn fetch(
        &mut self,
        name: &str,
        max: u64,
        _etag: Option<&str>,
    ) -> waymark_core::Result<Fetched> {
        match self.files.get(name) {
            None => Ok(Fetched::NotFound),
            Some(bytes) if bytes.len() as u64 > max => {
                Err(Untrusted::TooLarge(Oversized::ServerOffer { max }).into())
            }
            Some(bytes) => {
                self.served += bytes.len() as u64;
                Ok(Fetched::Body {
                    bytes: bytes.to_vec(),
                    etag: None,
                })
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut remote = Files {
        files: waymark_fuzz::files(data).into_iter().collect(),
        served: 0,
    };
    let mut store = Overlay::with_root(waymark_fuzz::TRUSTED_ROOT);
    let limits = Limits::default();
    let Ok(updater) = Updater::new(
        &mut remote,
        &mut store,
        waymark_fuzz::now(),
        SeenVersions::default(),
    ) else {
        panic!("the seed publisher's root is trusted");
    };
    let mut updater = updater.with_limits(limits);
    if updater.refresh().is_err() {
        return;
    }
    let paths: Vec<String> = match updater.top_targets() {
        Ok(targets) => targets.targets.keys().cloned().collect(),
        Err(_) => return,
    };
    for path in
        paths
            .iter()
            .map(String::as_str)
            .chain(["packs/unknown.wmpack", "", "../x", "packs/a/b/c"])
    {
        let _ = updater.target(path);
    }
    let fetched = updater.fetched();
    drop(updater);
    assert!(fetched <= remote.served, "counted more than was served");
});
