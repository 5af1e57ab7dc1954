//! waymark-pack's source readers (content/src/source: pack.toml, Markdown
//! with front matter, YAML, HSDS data packages, HXL CSV) on a pack folder
//! made from the input (a file set, see `waymark_fuzz::files`). Any folder:
//! problems reported with file and line, never a panic.
//!
//! waymark-pack is a binary crate, so the module is included by path, with
//! `parallel.rs` (it uses only waymark-core, its own crates and that):
//! nothing in waymark-pack changes for the fuzzer. One thread: the fuzzer
//! runs one input at a time.
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports)]
#[path = "../../content/src/source/mod.rs"]
mod source;

// What the source readers use of waymark-pack besides themselves.
#[allow(dead_code)]
#[path = "../../content/src/parallel.rs"]
mod parallel;

fuzz_target!(|data: &[u8]| {
    let dir = waymark_fuzz::scratch_dir();
    for (name, body) in waymark_fuzz::files(data) {
        let path = Path::new(&name);
        // Only plain relative paths, at most three deep, inside the folder.
        if name.is_empty()
            || path.components().count() > 3
            || !path.components().all(|c| matches!(c, Component::Normal(_)))
        {
            continue;
        }
        let file = dir.path().join(path);
        if let Some(parent) = file.parent()
            && std::fs::create_dir_all(parent).is_err()
        {
            continue;
        }
        let _ = std::fs::write(&file, body);
    }
    let _ = source::read(dir.path(), 1);
});
