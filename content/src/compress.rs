//! How `waymark-pack` compresses a pack's content (and a patch): one
//! standard zstd frame, with its checksum and content size, that every
//! reader of the format already opens (`PackReader`, ruzstd on the
//! phones), with a window no larger than their cap
//! (`waymark_core::content::pack::MAX_WINDOW`, 8 MiB).
//!
//! Two settings, chosen by the content's size alone, so that the same
//! content always gives the same bytes, on any machine and with any
//! number of threads:
//!
//! - up to [`SMALL`] (about 5,000 entries): level 19 on one thread, the
//!   smallest frame zstd writes in a few seconds at most. These are the
//!   bytes every earlier `waymark-pack` wrote for the same content.
//! - larger: zstd's lazy match finder tuned for text (8 MiB window, the
//!   cap; a minimum match of 6 bytes, which suits words better than the
//!   levels' 5), compressed in 8 MiB jobs by zstd's own worker threads,
//!   one per thread given. Level 19 spends over ten times as long for a
//!   frame about 10% smaller: for 100,000 entries (80 MB of JSON Lines)
//!   over a minute of this machine's CPU, against about 5 s here and a
//!   budget of 10 s for the whole build. zstd's stronger match finders
//!   (btlazy2, btopt and up) gain little until they cost nearly as much as
//!   level 19, lazy2 0.1% for a fifth more time (`benches/build.rs`
//!   compares them).
//!
//! zstd's multithreaded mode writes the same bytes for any number of
//! workers ≥ 1 (the frame depends on the settings and the input only: the
//! jobs are cut at fixed offsets, each starts from the same window of the
//! input before it), the rule its maintainers keep for streaming
//! compression (facebook/zstd#2238, #2327), which the `zstd` crate's
//! `Encoder` is; `build.rs`'s tests check it. Its single-threaded mode (0
//! workers) writes other bytes, so for large content one thread is one
//! worker, never zero.
//!
//! This file uses only `zstd` and `std`, so that the benchmarks include
//! it as it is and measure what `build` writes.

use std::io::Write;

use zstd::zstd_safe::{CParameter, Strategy};

/// Content up to this many bytes is compressed at level 19 on one
/// thread; larger content with [`LARGE`] on several.
pub const SMALL: usize = 4 << 20;

/// The zstd level of content up to [`SMALL`].
const SMALL_LEVEL: i32 = 19;

/// The window of large content: 2^23 = 8 MiB, what level 19 uses and
/// what a phone's reader accepts at most.
const WINDOW_LOG: u32 = 23;

/// The settings of content larger than [`SMALL`]: a lazy search (zstd's
/// row match finder: 2^23 positions hashed, up to 2^6 candidates a
/// lookup), matches of at least 6 bytes; jobs of 8 MiB, each starting
/// with the whole window before it (overlap log 9), so the frame is
/// within 0.1% of the size one thread would write.
pub const LARGE: [CParameter; 9] = [
    CParameter::Strategy(Strategy::ZSTD_lazy),
    CParameter::WindowLog(WINDOW_LOG),
    CParameter::HashLog(23),
    CParameter::ChainLog(23),
    CParameter::SearchLog(6),
    CParameter::MinMatch(6),
    CParameter::TargetLength(64),
    CParameter::JobSize(8 << 20),
    CParameter::OverlapSizeLog(9),
];

/// The base level of [`LARGE`] (its parameters override the level's).
pub const LARGE_LEVEL: i32 = 12;

/// The phones' readers cap the window at 8 MiB: a larger one would make
/// every pack unreadable.
const _: () = assert!(1u64 << WINDOW_LOG <= 8 * 1024 * 1024);

/// One zstd frame of `plain` (see the module's documentation), its
/// checksum and size included, nothing in it that varies between runs;
/// `threads` (at least one is used) compress content larger than
/// [`SMALL`]. The bytes are the same for any `threads`.
pub fn compress(plain: &[u8], threads: u32) -> std::io::Result<Vec<u8>> {
    let large = plain.len() > SMALL;
    let level = if large { LARGE_LEVEL } else { SMALL_LEVEL };
    let mut enc = zstd::Encoder::new(Vec::with_capacity(plain.len() / 3), level)?;
    enc.include_checksum(true)?;
    enc.include_contentsize(true)?;
    enc.set_pledged_src_size(Some(plain.len() as u64))?;
    if large {
        enc.multithread(threads.max(1))?;
        for p in LARGE {
            enc.set_parameter(p)?;
        }
    }
    enc.write_all(plain)?;
    enc.finish()
}
