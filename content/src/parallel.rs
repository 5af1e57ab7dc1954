//! Work shared among threads with a result that does not depend on how
//! many: the one pattern `build` uses to read a source and serialise a
//! pack on every core and still write the same bytes.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` of each chunk of `chunk` items (the last may be shorter), in the
/// chunks' order, computed on up to `threads` threads: the result is
/// `items.chunks(chunk).map(f).collect()`, whatever the number of threads.
/// Threads take the next chunk as they finish one, so a slow chunk does
/// not hold the others up; with one thread (or one chunk) everything runs
/// on the caller's. A panic in `f` is raised again here.
pub fn map_chunks<T: Sync, U: Send>(
    items: &[T],
    chunk: usize,
    threads: usize,
    f: impl Fn(&[T]) -> U + Sync,
) -> Vec<U> {
    let chunks: Vec<&[T]> = items.chunks(chunk.max(1)).collect();
    let threads = threads.min(chunks.len());
    if threads <= 1 {
        return chunks.into_iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, U)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(c) = chunks.get(i) else {
                            return mine;
                        };
                        mine.push((i, f(c)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, u)| u).collect()
}

/// Runs `f`; when `WAYMARK_PACK_TIMINGS` is set, prints how long it took
/// to stderr as `timing STAGE: SECONDS s` (what `benches/build.rs` reads).
pub fn timed<T>(stage: &str, f: impl FnOnce() -> T) -> T {
    if std::env::var_os("WAYMARK_PACK_TIMINGS").is_none() {
        return f();
    }
    let t = std::time::Instant::now();
    let out = f();
    eprintln!("timing {stage}: {:.3} s", t.elapsed().as_secs_f64());
    out
}

#[cfg(test)]
mod tests {
    use super::map_chunks;

    #[test]
    fn the_result_is_the_same_for_any_number_of_threads() {
        let items: Vec<u32> = (0..1_000).collect();
        let one = map_chunks(&items, 7, 1, |c| {
            c.iter().map(|x| x * x).collect::<Vec<_>>()
        });
        assert_eq!(
            one.concat(),
            items.iter().map(|x| x * x).collect::<Vec<_>>()
        );
        for threads in [2, 3, 64] {
            let many = map_chunks(&items, 7, threads, |c| {
                c.iter().map(|x| x * x).collect::<Vec<_>>()
            });
            assert_eq!(many, one, "{threads} threads");
        }
        assert!(map_chunks(&[] as &[u32], 7, 4, <[u32]>::len).is_empty());
    }
}
