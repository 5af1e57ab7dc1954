//! Reading a pack's source directory: `pack.toml`, Markdown articles with
//! YAML front matter, an Open Referral HSDS tabular data package (or an
//! HXL-tagged CSV) of services, and YAML country profiles, routes and
//! alerts. Every problem is collected with its file and line (or CSV row and
//! column) so that one run of `validate` shows them all.
//!
//! This module owns the [`Source`] that [`read`] returns, the [`Problem`]s
//! it collects, the reader state the per-format modules share, and the
//! layout of the directory; each format is read in its own module.

mod helpers;
mod hsds;
mod hxl;
mod manifest;
mod markdown;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use waymark_core::content::model::{Entry, PackManifest, Translations};

use helpers::files_with_ext;

/// One problem found in the source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// File, relative to the source directory.
    pub file: PathBuf,
    /// Line (1-based) or CSV row (1-based, header is row 1), if known.
    pub line: Option<u64>,
    /// CSV column, if any.
    pub column: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(c) = &self.column {
            write!(f, " [{c}]")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A source directory, read.
pub struct Source {
    /// The manifest (entry count filled in).
    pub manifest: PackManifest,
    /// The entries in a stable order.
    pub entries: Vec<Entry>,
}

/// What the format readers share: the source directory (problems name files
/// relative to it), the problems so far, and `pack.toml`'s languages.
struct Reader {
    root: PathBuf,
    problems: Vec<Problem>,
    languages: BTreeSet<String>,
}

impl Reader {
    fn rel(&self, p: &Path) -> PathBuf {
        p.strip_prefix(&self.root).unwrap_or(p).to_path_buf()
    }

    fn problem(
        &mut self,
        file: &Path,
        line: Option<u64>,
        column: Option<&str>,
        message: impl Into<String>,
    ) {
        let file = self.rel(file);
        self.problems.push(Problem {
            file,
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }

    fn check_translations(&mut self, file: &Path, line: Option<u64>, what: &str, t: &Translations) {
        for lang in t.keys() {
            if !self.languages.contains(lang) {
                self.problem(
                    file,
                    line,
                    None,
                    format!("{what}: language '{lang}' is not in pack.toml's languages"),
                );
            }
        }
    }
}

/// Reads and checks the source in `dir`.
pub fn read(dir: &Path) -> Result<Source, Vec<Problem>> {
    let mut r = Reader {
        root: dir.to_path_buf(),
        problems: Vec::new(),
        languages: BTreeSet::new(),
    };
    let manifest = manifest::read_manifest(&mut r, dir);
    let mut entries = Vec::new();
    if manifest.is_some() {
        markdown::read_articles(&mut r, dir, &mut entries);
        read_services(&mut r, dir, &mut entries);
        yaml::read_yaml_entries(&mut r, dir, &mut entries);
    }
    // Duplicate ids within a kind (articles: per language).
    let mut seen = BTreeMap::new();
    for e in &entries {
        let key = match e {
            Entry::Article(a) => format!("article {} ({})", a.id, a.language),
            Entry::Service(s) => format!("service {}", s.id),
            Entry::Country(c) => format!("country {}", c.code),
            Entry::Route(x) => format!("route {}", x.id),
            Entry::Alert(a) => format!("alert {}", a.id),
        };
        *seen.entry(key).or_insert(0) += 1;
    }
    for (key, n) in seen {
        if n > 1 {
            r.problem(dir, None, None, format!("{key} is defined {n} times"));
        }
    }
    match manifest {
        Some(mut m) if r.problems.is_empty() => {
            entries.sort_by_key(sort_key);
            m.entries = entries.len() as u64;
            Ok(Source {
                manifest: m,
                entries,
            })
        }
        _ => {
            r.problems.sort();
            Err(r.problems)
        }
    }
}

fn sort_key(e: &Entry) -> (u8, String, String) {
    match e {
        Entry::Country(c) => (0, c.code.to_string(), String::new()),
        Entry::Alert(a) => (1, a.id.clone(), String::new()),
        Entry::Route(x) => (2, x.id.clone(), String::new()),
        Entry::Article(a) => (3, a.id.clone(), a.language.clone()),
        Entry::Service(s) => (4, s.id.clone(), String::new()),
    }
}

/// Services: an HSDS data package if `services/datapackage.json` exists,
/// and every `services/**/*.hxl.csv`.
fn read_services(r: &mut Reader, dir: &Path, entries: &mut Vec<Entry>) {
    let sdir = dir.join("services");
    if sdir.join("datapackage.json").exists() {
        hsds::read_hsds(r, &sdir, entries);
    }
    for path in files_with_ext(&sdir, "csv")
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".hxl.csv"))
    {
        hxl::read_hxl(r, &path, entries);
    }
}
