//! Helpers shared by waymark-pack's integration tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use chrono::NaiveDate;
use waymark_core::content::model::{Article, Entry, PACK_FORMAT, PackManifest, Publisher};
use waymark_core::content::pack::write_pack;

/// A one-article pack `interop`, version `version`, of the sample publisher.
pub fn pack_file(dir: &Path, version: u64) -> PathBuf {
    let manifest = PackManifest {
        format: PACK_FORMAT,
        id: "interop".into(),
        version,
        publisher: Publisher {
            id: "sample-ngo".into(),
            name: "Sample NGO (example data)".into(),
        },
        title: [("en".to_string(), "Interop sample".to_string())].into(),
        languages: vec!["en".into()],
        fallback: vec!["en".into()],
        sample: true,
        built: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        entries: 0,
        time_zones: Default::default(),
    };
    let entry = Entry::Article(Article {
        id: "a".into(),
        language: "en".into(),
        title: format!("Sample article v{version}"),
        body: "Example text.".into(),
        countries: vec![],
        topics: vec![],
        verified: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        expires: None,
    });
    let path = dir.join(format!("interop-{version}.wmpack"));
    write_pack(&manifest, &[entry], std::fs::File::create(&path).unwrap()).unwrap();
    path
}

/// A running `waymark-pack serve`, stopped on drop.
pub struct Server {
    child: Child,
    /// Its base URL.
    pub url: String,
}

impl Server {
    /// Serves `repo` on a free loopback port.
    pub fn start(repo: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
            .args(["serve", repo.to_str().unwrap(), "--addr", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies the directory `from` (recursively) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Every file under `dir` (its path relative to `dir`) and its bytes: to
/// show that a refused command wrote nothing.
pub fn files_under(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut all = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                all.insert(name, std::fs::read(&p).unwrap());
            }
        }
    }
    all
}

/// The stdout of a `waymark-pack ARGS` run that must have succeeded (its
/// stderr in the failure message).
pub fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "waymark-pack {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The stderr of a `waymark-pack ARGS` run that must have failed.
pub fn failed(args: &[&str], out: Output) -> String {
    assert!(!out.status.success(), "waymark-pack {args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

/// A path as the command-line argument it is in these tests.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
