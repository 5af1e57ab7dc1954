//! I/O faults for the tests of a full or failing disk (issue 20 §3): the
//! `LD_PRELOAD` shim in `fault_shim.c`, compiled here with the system's C
//! compiler, and the environment that sets it off. Used by
//! `core/tests/disk_full.rs` and `tests/tests/faults.rs`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles the shim into `dir` and returns the library's path.
pub fn shim(dir: &Path) -> PathBuf {
    let c = dir.join("fault_shim.c");
    let so = dir.join("fault_shim.so");
    std::fs::write(&c, include_str!("fault_shim.c")).unwrap();
    let out = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&so)
        .arg(&c)
        .arg("-ldl")
        .output()
        .expect("a C compiler (scripts/install-test-packages installs one)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    so
}

/// The error the disk gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Errno {
    /// The disk is full.
    NoSpace,
    /// The disk failed.
    Io,
}

/// Which calls fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calls {
    Write,
    Fsync,
}

/// A fault: from when on, and how.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Writes fail with ENOSPC once this many bytes were written.
    FullAfterBytes(u64),
    /// The Nth call of these (1-based), and every later one, fails so.
    AtCall(u64, Calls, Errno),
}

impl Fault {
    /// The environment that sets the shim off so (with `LD_PRELOAD`).
    pub fn env(&self, shim: &Path) -> Vec<(String, String)> {
        let mut env = vec![("LD_PRELOAD".to_owned(), shim.display().to_string())];
        let mut set = |k: &str, v: String| env.push((k.to_owned(), v));
        match *self {
            Fault::FullAfterBytes(n) => set("WAYMARK_FAULT_AFTER_BYTES", n.to_string()),
            Fault::AtCall(n, calls, errno) => {
                set("WAYMARK_FAULT_AT_CALL", n.to_string());
                let on = match calls {
                    Calls::Write => "write",
                    Calls::Fsync => "fsync",
                };
                set("WAYMARK_FAULT_ON", on.to_owned());
                let e = match errno {
                    Errno::NoSpace => "ENOSPC",
                    Errno::Io => "EIO",
                };
                set("WAYMARK_FAULT_ERRNO", e.to_owned());
            }
        }
        env
    }
}

/// The calls at which a fault is tried, until the operation no longer
/// meets one: every fsync (an operation makes a few), and the 1st, 2nd,
/// 3rd, 5th, 8th… write (each about 1.5 times the last: a pack install
/// makes a thousand).
pub fn call_numbers(calls: Calls) -> impl Iterator<Item = u64> {
    std::iter::successors(Some(1u64), move |&n| match calls {
        Calls::Fsync => Some(n + 1),
        Calls::Write => Some(n + n.div_ceil(2)),
    })
}

/// The one line a command prints when the disk failed it: the storage is
/// full, or it failed (EIO, or SQLite's "disk I/O error"). Panics on anything else (a panic, two lines, a
/// path). Returns which.
pub fn disk_failure(stderr: &[u8]) -> &'static str {
    let stderr = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    let line = lines[0];
    assert!(
        !line.contains("/tmp") && !line.contains(".bin"),
        "no path: {line}"
    );
    if line.contains("the storage is full: nothing was changed") {
        "storage full"
    } else if line
        .contains("the storage failed (an input/output error): what was saved before is intact")
    {
        "storage failed"
    } else {
        panic!("not a disk failure: {line}")
    }
}
