//! Reading a pack's source directory: `pack.toml`, Markdown articles with
//! YAML front matter, an Open Referral HSDS tabular data package (or an
//! HXL-tagged CSV) of services, and YAML country profiles, routes and
//! alerts. Every problem is collected with its file and line (or CSV row and
//! column) so that one run of `validate` shows them all: errors for the
//! impossible (the pack is not built), warnings for the implausible (it is).
//!
//! This module owns the [`Checked`] result that [`read`] returns, the
//! [`Problem`]s it collects, the reader state the per-format modules share
//! (with where each entry came from, for duplicate ids and translation
//! gaps), and the layout of the directory; each format is read in its own
//! module, the checks that cut across formats in `checks`, `schema` and
//! `coverage`.
//!
//! Files and table rows are read on several threads, a chunk at a time,
//! each chunk with a reader of its own ([`Reader::par_map`]); their
//! entries, origins and problems are joined in the source's order, so what
//! `read` returns is the same whatever the number of threads.

mod checks;
mod coverage;
mod helpers;
mod hsds;
mod hxl;
mod manifest;
mod markdown;
mod schema;
mod yaml;
mod zones;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use waymark_core::content::model::{Entry, PackManifest, Translations};

use helpers::files_with_ext;

use crate::parallel::timed;

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
    /// A warning (implausible) rather than an error (impossible): the pack
    /// still builds.
    pub warning: bool,
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
        if self.warning {
            write!(f, ": warning")?;
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
    /// Where each entry was read (file relative to the source directory,
    /// line or CSV row), parallel to `entries`: for `preview`, which shows
    /// each problem next to the entry it concerns.
    pub origins: Vec<(PathBuf, Option<u64>)>,
}

/// What reading a source directory found.
pub struct Checked {
    /// The source, if it has no errors (it may have warnings).
    pub source: Option<Source>,
    /// Errors and warnings, sorted by file and line.
    pub problems: Vec<Problem>,
    /// The per-language coverage table, once `pack.toml` could be read.
    pub coverage: Option<String>,
}

impl Checked {
    /// The number of errors (problems that are not warnings).
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| !p.warning).count()
    }

    /// The number of warnings.
    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }
}

/// What the format readers share: the source directory (problems name files
/// relative to it), the problems so far, and `pack.toml`'s languages.
struct Reader {
    root: PathBuf,
    problems: Vec<Problem>,
    languages: BTreeSet<String>,
    /// `pack.toml`'s fallback languages.
    fallback: Vec<String>,
    /// Where each entry was read (file, line), parallel to the entries.
    origins: Vec<(PathBuf, Option<u64>)>,
    /// `pack.toml`'s build date: the time zone tables start the year before.
    built: chrono::NaiveDate,
    /// How many threads [`Reader::par_map`] may use.
    threads: usize,
}

/// Items a thread takes at a time in [`Reader::par_map`]: small enough
/// that two threads finish together, large enough that taking is cheap.
const CHUNK: usize = 64;

impl Reader {
    /// `f` of every item, in order, computed on up to `self.threads`
    /// threads. Each chunk of items is read with a reader of its own (this
    /// one's settings, no problems or origins yet), whose problems and
    /// origins are then appended to this reader's in the items' order: the
    /// result is that of `items.iter().map(|i| f(self, i))`, whatever the
    /// number of threads.
    fn par_map<T: Sync, U: Send>(
        &mut self,
        items: &[T],
        f: impl Fn(&mut Reader, &T) -> U + Sync,
    ) -> Vec<U> {
        let this = &*self;
        let parts = crate::parallel::map_chunks(items, CHUNK, self.threads, |chunk| {
            let mut r = this.fork();
            let out: Vec<U> = chunk.iter().map(|i| f(&mut r, i)).collect();
            (r, out)
        });
        let mut all = Vec::with_capacity(items.len());
        for (r, out) in parts {
            self.problems.extend(r.problems);
            self.origins.extend(r.origins);
            all.extend(out);
        }
        all
    }

    /// [`Reader::par_map`] for readers of entries: `f` adds the entries
    /// (zero or more) that one item holds; they join `entries` in the
    /// items' order.
    fn read_each<T: Sync>(
        &mut self,
        items: &[T],
        entries: &mut Vec<Entry>,
        f: impl Fn(&mut Reader, &T, &mut Vec<Entry>) + Sync,
    ) {
        let found = self.par_map(items, |r, item| {
            let mut found = Vec::new();
            f(r, item, &mut found);
            found
        });
        entries.extend(found.into_iter().flatten());
    }

    /// A reader for one thread's share of the work: this one's settings,
    /// no problems or origins yet.
    fn fork(&self) -> Reader {
        Reader {
            root: self.root.clone(),
            problems: Vec::new(),
            languages: self.languages.clone(),
            fallback: self.fallback.clone(),
            origins: Vec::new(),
            built: self.built,
            threads: 1,
        }
    }

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
            warning: false,
        });
    }

    fn warning(
        &mut self,
        file: &Path,
        line: Option<u64>,
        column: Option<&str>,
        message: impl Into<String>,
    ) {
        self.problem(file, line, column, message);
        if let Some(p) = self.problems.last_mut() {
            p.warning = true;
        }
    }

    /// Adds an entry read at `file`, `line`.
    fn add(&mut self, entries: &mut Vec<Entry>, entry: Entry, file: &Path, line: Option<u64>) {
        self.origins.push((self.rel(file), line));
        entries.push(entry);
    }

    fn check_translations(&mut self, file: &Path, line: Option<u64>, what: &str, t: &Translations) {
        for lang in t.keys() {
            if !self.languages.contains(lang) {
                self.problem(
                    file,
                    line,
                    None,
                    format!(
                        "{what}: language '{lang}' is not in pack.toml's languages{}",
                        checks::language_hint(lang)
                    ),
                );
            }
        }
    }
}

/// Reads and checks the source in `dir` on up to `threads` threads (at
/// least one). The result is the same whatever the number.
pub fn read(dir: &Path, threads: usize) -> Checked {
    let mut r = Reader {
        root: dir.to_path_buf(),
        problems: Vec::new(),
        languages: BTreeSet::new(),
        fallback: Vec::new(),
        origins: Vec::new(),
        built: chrono::NaiveDate::MIN,
        threads: threads.max(1),
    };
    let manifest = timed("pack.toml", || manifest::read_manifest(&mut r, dir));
    if let Some(m) = &manifest {
        r.built = m.built;
    }
    let mut entries = Vec::new();
    let mut coverage = None;
    if manifest.is_some() {
        timed("articles", || {
            markdown::read_articles(&mut r, dir, &mut entries)
        });
        timed("services", || read_services(&mut r, dir, &mut entries));
        timed("countries, routes, alerts", || {
            yaml::read_yaml_entries(&mut r, dir, &mut entries)
        });
        timed("duplicates", || check_duplicates(&mut r, &entries));
        coverage = Some(timed("coverage", || coverage::check(&mut r, &entries)));
    }
    let source = timed("sort, time zones", || {
        r.problems.sort();
        let errors = r.problems.iter().any(|p| !p.warning);
        match manifest {
            Some(mut m) if !errors => {
                let mut read: Vec<(Entry, (PathBuf, Option<u64>))> = entries
                    .into_iter()
                    .zip(std::mem::take(&mut r.origins))
                    .collect();
                read.sort_by_cached_key(|(e, _)| sort_key(e));
                let (entries, origins): (Vec<_>, Vec<_>) = read.into_iter().unzip();
                m.entries = entries.len() as u64;
                m.time_zones = zones::tables(&entries, m.built);
                Some(Source {
                    manifest: m,
                    entries,
                    origins,
                })
            }
            _ => None,
        }
    });
    Checked {
        source,
        problems: r.problems,
        coverage,
    }
}

/// Duplicate ids within a kind (articles: per language), each named with
/// every file and row that defines it.
fn check_duplicates(r: &mut Reader, entries: &[Entry]) {
    let mut seen: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let key = match e {
            Entry::Article(a) => format!("article '{}' ({})", a.id, a.language),
            Entry::Service(s) => format!("service '{}'", s.id),
            Entry::Country(c) => format!("country '{}'", c.code),
            Entry::Route(x) => format!("route '{}'", x.id),
            Entry::Alert(a) => format!("alert '{}'", a.id),
        };
        seen.entry(key).or_default().push(i);
    }
    for (key, at) in seen {
        if at.len() > 1 {
            let places: Vec<String> = at
                .iter()
                .map(|&i| {
                    let (f, l) = &r.origins[i];
                    match l {
                        Some(l) => format!("{}:{l}", f.display()),
                        None => f.display().to_string(),
                    }
                })
                .collect();
            for &i in &at {
                let (f, l) = r.origins[i].clone();
                let file = r.root.join(f);
                r.problem(
                    &file,
                    l,
                    None,
                    format!(
                        "{key} is defined {} times ({}): give each its own id",
                        at.len(),
                        places.join(", ")
                    ),
                );
            }
        }
    }
}

/// Whether `tag` may be one of a pack's languages: a BCP 47 tag, not a
/// language's name (the message suggests the code).
pub fn check_language(tag: &str) -> Result<(), String> {
    if helpers::is_language_tag(tag) && checks::language_code_for(tag).is_none() {
        Ok(())
    } else {
        Err(format!(
            "'{tag}' is not a BCP 47 language tag (e.g. ar, ti, fa-AF){}",
            checks::language_hint(tag)
        ))
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

/// The tables of an HSDS data package that Waymark reads.
const HSDS_TABLES: &[&str] = &[
    "service.csv",
    "organization.csv",
    "location.csv",
    "address.csv",
    "service_at_location.csv",
    "phone.csv",
    "schedule.csv",
    "language.csv",
];

/// Services: an HSDS data package if `services/datapackage.json` exists,
/// and every `services/**/*.hxl.csv`. A CSV file that neither reads is an
/// error, never a quietly smaller pack.
fn read_services(r: &mut Reader, dir: &Path, entries: &mut Vec<Entry>) {
    let sdir = dir.join("services");
    let hsds = sdir.join("datapackage.json").exists();
    if hsds {
        hsds::read_hsds(r, &sdir, entries);
    }
    for ext in ["xlsx", "xls", "ods", "numbers", "tsv", "txt"] {
        for path in files_with_ext(&sdir, ext) {
            r.problem(
                &path,
                None,
                None,
                "this file is not read: save it as CSV UTF-8 (an HSDS table, or an HXL sheet named *.hxl.csv)",
            );
        }
    }
    for path in files_with_ext(&sdir, "csv") {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".hxl.csv") {
            hxl::read_hxl(r, &path, entries);
        } else if hxl::looks_like_hxl(&path) {
            r.problem(
                &path,
                Some(2),
                None,
                format!(
                    "this sheet has HXL hashtags but is not read: name it {}.hxl.csv",
                    name.trim_end_matches(".csv")
                ),
            );
        } else if path.parent() == Some(sdir.as_path()) && HSDS_TABLES.contains(&name.as_str()) {
            if !hsds {
                r.problem(
                    &path,
                    None,
                    None,
                    "this HSDS table is not read: services/datapackage.json is missing (add the data package descriptor)",
                );
            }
        } else {
            r.problem(
                &path,
                None,
                None,
                format!(
                    "this CSV file is not read: HSDS tables are {}{}, HXL sheets end in .hxl.csv",
                    HSDS_TABLES.join(", "),
                    checks::did_you_mean(&name, HSDS_TABLES.iter().copied())
                ),
            );
        }
    }
}
