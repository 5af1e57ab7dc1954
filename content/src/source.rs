//! Reading a pack's source directory: `pack.toml`, Markdown articles with
//! YAML front matter, an Open Referral HSDS tabular data package (or an
//! HXL-tagged CSV) of services, and YAML country profiles, routes and
//! alerts. Every problem is collected with its file and line (or CSV row and
//! column) so that one run of `validate` shows them all.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;
use waymark_core::content::model::{
    Alert, Article, CountryProfile, Entry, GeoPoint, OpeningHours, PACK_FORMAT, PackManifest,
    Phone, Publisher, Route, Service, Translations,
};
use waymark_core::types::CountryCode;

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

/// A BCP 47 tag, loosely: a 2-3 letter language and optional subtags.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackToml {
    id: String,
    version: u64,
    built: NaiveDate,
    #[serde(default)]
    sample: bool,
    languages: Vec<String>,
    fallback: Vec<String>,
    publisher: Publisher,
    title: Translations,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    language: String,
    #[serde(default)]
    countries: Vec<CountryCode>,
    #[serde(default)]
    topics: Vec<String>,
    verified: NaiveDate,
    #[serde(default)]
    expires: Option<NaiveDate>,
}

/// Line of a YAML error, from its message (`… line N …`).
fn yaml_line(e: &serde_saphyr::Error) -> Option<u64> {
    let text = e.to_string();
    let idx = text.find("line ")?;
    text[idx + 5..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Reads and checks the source in `dir`.
pub fn read(dir: &Path) -> Result<Source, Vec<Problem>> {
    let mut r = Reader {
        root: dir.to_path_buf(),
        problems: Vec::new(),
        languages: BTreeSet::new(),
    };
    let manifest = read_manifest(&mut r, dir);
    let mut entries = Vec::new();
    if manifest.is_some() {
        read_articles(&mut r, dir, &mut entries);
        read_services(&mut r, dir, &mut entries);
        read_yaml_dir::<CountryProfile>(
            &mut r,
            &dir.join("countries"),
            &mut entries,
            Entry::Country,
            check_country,
        );
        read_yaml_dir::<Route>(
            &mut r,
            &dir.join("routes"),
            &mut entries,
            Entry::Route,
            check_route,
        );
        read_yaml_dir::<Alert>(
            &mut r,
            &dir.join("alerts"),
            &mut entries,
            Entry::Alert,
            check_alert,
        );
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

fn read_manifest(r: &mut Reader, dir: &Path) -> Option<PackManifest> {
    let path = dir.join("pack.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            r.problem(&path, None, None, format!("cannot read: {e}"));
            return None;
        }
    };
    let parsed: PackToml = match toml::from_str(&text) {
        Ok(p) => p,
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start].lines().count().max(1) as u64);
            r.problem(&path, line, None, e.message().to_owned());
            return None;
        }
    };
    let before = r.problems.len();
    if !is_id(&parsed.id) {
        r.problem(
            &path,
            None,
            None,
            "id: use a-z, 0-9, '-', '_' or '.' (at most 64)",
        );
    }
    if !is_id(&parsed.publisher.id) {
        r.problem(
            &path,
            None,
            None,
            "publisher.id: use a-z, 0-9, '-', '_' or '.' (at most 64)",
        );
    }
    if parsed.version == 0 {
        r.problem(&path, None, None, "version: start at 1");
    }
    if parsed.languages.is_empty() {
        r.problem(&path, None, None, "languages: list at least one BCP 47 tag");
    }
    for l in parsed.languages.iter().chain(&parsed.fallback) {
        if !is_language_tag(l) {
            r.problem(
                &path,
                None,
                None,
                format!("'{l}' is not a BCP 47 language tag (e.g. ar, ti, fa-AF)"),
            );
        }
    }
    r.languages = parsed.languages.iter().cloned().collect();
    for l in &parsed.fallback {
        if !r.languages.contains(l) {
            r.problem(
                &path,
                None,
                None,
                format!("fallback language '{l}' is not in languages"),
            );
        }
    }
    let title = parsed.title.clone();
    r.check_translations(&path, None, "title", &title);
    (r.problems.len() == before).then_some(PackManifest {
        format: PACK_FORMAT,
        id: parsed.id,
        version: parsed.version,
        publisher: parsed.publisher,
        title: parsed.title,
        languages: parsed.languages,
        fallback: parsed.fallback,
        sample: parsed.sample,
        built: parsed.built,
        entries: 0,
    })
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_with_ext(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn read_articles(r: &mut Reader, dir: &Path, entries: &mut Vec<Entry>) {
    for path in files_with_ext(&dir.join("articles"), "md") {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                r.problem(&path, None, None, format!("cannot read as UTF-8: {e}"));
                continue;
            }
        };
        let Some(rest) = text
            .strip_prefix("---\n")
            .or_else(|| text.strip_prefix("---\r\n"))
        else {
            r.problem(
                &path,
                Some(1),
                None,
                "expected YAML front matter starting with a '---' line",
            );
            continue;
        };
        let Some(end) = rest.find("\n---") else {
            r.problem(
                &path,
                Some(1),
                None,
                "the front matter has no closing '---' line",
            );
            continue;
        };
        let (yaml, body) = (&rest[..end], &rest[end + 4..]);
        let body = body.trim_start_matches(['\r', '\n']).trim_end().to_owned();
        let fm: FrontMatter = match serde_saphyr::from_str(yaml) {
            Ok(f) => f,
            Err(e) => {
                let line = yaml_line(&e).map(|l| l + 1);
                r.problem(
                    &path,
                    line,
                    None,
                    format!("front matter: {}", first_line(&e.to_string())),
                );
                continue;
            }
        };
        // Line of a front matter key (the opening '---' is line 1).
        let line_of = |key: &str| {
            yaml.lines()
                .position(|l| l.trim_start().starts_with(&format!("{key}:")))
                .map(|i| i as u64 + 2)
        };
        if !is_id(&fm.id) {
            r.problem(
                &path,
                line_of("id"),
                None,
                "id: use a-z, 0-9, '-', '_' or '.'",
            );
        }
        if !r.languages.contains(&fm.language) {
            r.problem(
                &path,
                line_of("language"),
                None,
                format!("language '{}' is not in pack.toml's languages", fm.language),
            );
        }
        if fm.title.trim().is_empty() {
            r.problem(&path, line_of("title"), None, "title is empty");
        }
        if body.is_empty() {
            r.problem(&path, None, None, "the article has no body");
        }
        if fm.expires.is_some_and(|e| e < fm.verified) {
            r.problem(
                &path,
                line_of("expires"),
                None,
                "expires is before verified",
            );
        }
        entries.push(Entry::Article(Article {
            id: fm.id,
            language: fm.language,
            title: fm.title,
            body,
            countries: fm.countries,
            topics: fm.topics,
            verified: fm.verified,
            expires: fm.expires,
        }));
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn read_yaml_dir<T: serde::de::DeserializeOwned>(
    r: &mut Reader,
    dir: &Path,
    entries: &mut Vec<Entry>,
    wrap: fn(T) -> Entry,
    check: fn(&mut Reader, &Path, &Lines<'_>, &T),
) {
    let mut files = files_with_ext(dir, "yaml");
    files.extend(files_with_ext(dir, "yml"));
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                r.problem(&path, None, None, format!("cannot read as UTF-8: {e}"));
                continue;
            }
        };
        match serde_saphyr::from_str::<T>(&text) {
            Ok(v) => {
                check(r, &path, &Lines(&text), &v);
                entries.push(wrap(v));
            }
            Err(e) => r.problem(
                &path,
                yaml_line(&e),
                None,
                first_line(&e.to_string()).to_owned(),
            ),
        }
    }
}

/// Finds lines in a YAML file, so that problems found after parsing still
/// point at a line.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    /// The first line where `key` is a mapping key (block or flow style).
    fn key(&self, key: &str) -> Option<u64> {
        let block = format!("{key}:");
        let flow = [
            format!("{{{key}:"),
            format!(", {key}:"),
            format!("- {key}:"),
        ];
        self.find(|l| {
            l.trim_start().starts_with(&block) || flow.iter().any(|f| l.contains(f.as_str()))
        })
    }

    /// The first line containing `needle`.
    fn containing(&self, needle: &str) -> Option<u64> {
        self.find(|l| l.contains(needle))
    }

    fn find(&self, pred: impl Fn(&str) -> bool) -> Option<u64> {
        self.0.lines().position(pred).map(|i| i as u64 + 1)
    }
}

fn check_country(r: &mut Reader, path: &Path, lines: &Lines<'_>, c: &CountryProfile) {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if !stem.eq_ignore_ascii_case(c.code.as_str()) {
        r.problem(
            path,
            lines.key("code"),
            None,
            format!("the file is named {stem} but its code is {}", c.code),
        );
    }
    r.check_translations(path, lines.key("name"), "name", &c.name);
    r.check_translations(path, lines.key("asylum"), "asylum", &c.asylum);
    r.check_translations(path, lines.key("rights"), "rights", &c.rights);
    for e in &c.emergency {
        if e.number.trim().is_empty()
            || !e
                .number
                .chars()
                .all(|ch| ch.is_ascii_digit() || " +-".contains(ch))
        {
            r.problem(
                path,
                lines.containing(&e.number).or(lines.key("emergency")),
                None,
                format!("emergency number '{}' must be digits", e.number),
            );
        }
    }
}

fn check_route(r: &mut Reader, path: &Path, lines: &Lines<'_>, x: &Route) {
    if !is_id(&x.id) {
        r.problem(
            path,
            lines.key("id"),
            None,
            "id: use a-z, 0-9, '-', '_' or '.'",
        );
    }
    r.check_translations(path, lines.key("name"), "name", &x.name);
    if x.segments.is_empty() {
        r.problem(
            path,
            lines.key("segments"),
            None,
            "a route needs at least one segment",
        );
    }
    for (i, s) in x.segments.iter().enumerate() {
        for p in [&s.from, &s.to] {
            if let Some(l) = p.location
                && !valid_point(l)
            {
                r.problem(
                    path,
                    lines
                        .containing(&format!("lat: {}", l.lat))
                        .or(lines.key("segments")),
                    None,
                    format!("segment {}: coordinates out of range", i + 1),
                );
            }
        }
    }
}

fn check_alert(r: &mut Reader, path: &Path, lines: &Lines<'_>, a: &Alert) {
    if !is_id(&a.id) {
        r.problem(
            path,
            lines.key("id"),
            None,
            "id: use a-z, 0-9, '-', '_' or '.'",
        );
    }
    r.check_translations(path, lines.key("title"), "title", &a.title);
    r.check_translations(path, lines.key("body"), "body", &a.body);
    if a.valid_until.is_some_and(|u| u <= a.valid_from) {
        r.problem(
            path,
            lines.key("valid_until"),
            None,
            "valid_until must be after valid_from",
        );
    }
    if a.area.countries.is_empty() && a.area.bbox.is_none() {
        r.problem(
            path,
            lines.key("area"),
            None,
            "area: give countries, a bbox, or both",
        );
    }
    if let Some([w, s, e, n]) = a.area.bbox
        && !(valid_point(GeoPoint { lat: s, lon: w })
            && valid_point(GeoPoint { lat: n, lon: e })
            && s <= n)
    {
        r.problem(
            path,
            lines.key("bbox"),
            None,
            "bbox: [min_lon, min_lat, max_lon, max_lat] in WGS84 degrees",
        );
    }
}

fn valid_point(p: GeoPoint) -> bool {
    (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon)
}

// ----- services: HSDS tabular data package or HXL CSV --------------------

/// A CSV table: header and rows, with the file for messages.
struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    fn read(r: &mut Reader, path: &Path, required: &[&str]) -> Option<Table> {
        if !path.exists() {
            return None;
        }
        let mut rdr = match csv::ReaderBuilder::new().flexible(false).from_path(path) {
            Ok(x) => x,
            Err(e) => {
                r.problem(path, None, None, format!("cannot read: {e}"));
                return None;
            }
        };
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
            Err(e) => {
                r.problem(path, Some(1), None, format!("header: {e}"));
                return None;
            }
        };
        let mut ok = true;
        for col in required {
            if !header.iter().any(|h| h == col) {
                r.problem(path, Some(1), Some(col), "required column is missing");
                ok = false;
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            match rec {
                Ok(rec) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    rows.push((line, rec.iter().map(|s| s.trim().to_owned()).collect()));
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    r.problem(path, line, None, format!("{e}"));
                    ok = false;
                }
            }
        }
        ok.then(|| Table {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn get<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        self.col(name)
            .and_then(|i| row.get(i))
            .map_or("", String::as_str)
    }

    /// `name` plus its `name@lang` columns, the plain one in `default_lang`.
    fn translations(&self, row: &[String], name: &str, default_lang: &str) -> Translations {
        let mut t = Translations::new();
        for (i, h) in self.header.iter().enumerate() {
            let value = row.get(i).map_or("", String::as_str);
            if value.is_empty() {
                continue;
            }
            if h == name {
                t.insert(default_lang.to_owned(), value.to_owned());
            } else if let Some(lang) = h.strip_prefix(name).and_then(|rest| rest.strip_prefix('@'))
            {
                t.insert(lang.to_owned(), value.to_owned());
            }
        }
        t
    }
}

fn parse_days(s: &str) -> Option<Vec<Weekday>> {
    s.split(',')
        .map(|d| match d.trim().to_ascii_uppercase().as_str() {
            "MO" => Some(Weekday::Mon),
            "TU" => Some(Weekday::Tue),
            "WE" => Some(Weekday::Wed),
            "TH" => Some(Weekday::Thu),
            "FR" => Some(Weekday::Fri),
            "SA" => Some(Weekday::Sat),
            "SU" => Some(Weekday::Sun),
            _ => None,
        })
        .collect()
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()
}

fn read_services(r: &mut Reader, dir: &Path, entries: &mut Vec<Entry>) {
    let sdir = dir.join("services");
    if sdir.join("datapackage.json").exists() {
        read_hsds(r, &sdir, entries);
    }
    for path in files_with_ext(&sdir, "csv")
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".hxl.csv"))
    {
        read_hxl(r, &path, entries);
    }
}

fn read_hsds(r: &mut Reader, sdir: &Path, entries: &mut Vec<Entry>) {
    let default_lang = r
        .languages
        .iter()
        .next()
        .cloned()
        .unwrap_or_else(|| "en".into());
    let default_lang = r.languages.get("en").cloned().unwrap_or(default_lang);
    let Some(services) = Table::read(
        r,
        &sdir.join("service.csv"),
        &["id", "name", "assured_date"],
    ) else {
        r.problem(
            &sdir.join("service.csv"),
            None,
            None,
            "the HSDS package needs service.csv",
        );
        return;
    };
    let orgs = Table::read(r, &sdir.join("organization.csv"), &["id", "name"]);
    let locations = Table::read(
        r,
        &sdir.join("location.csv"),
        &["id", "latitude", "longitude"],
    );
    let addresses = Table::read(r, &sdir.join("address.csv"), &["location_id"]);
    let sal = Table::read(
        r,
        &sdir.join("service_at_location.csv"),
        &["service_id", "location_id"],
    );
    let phones = Table::read(r, &sdir.join("phone.csv"), &["service_id", "number"]);
    let schedules = Table::read(
        r,
        &sdir.join("schedule.csv"),
        &["service_id", "byday", "opens_at", "closes_at"],
    );
    let languages = Table::read(r, &sdir.join("language.csv"), &["service_id", "code"]);

    let org_names: HashMap<String, String> = orgs
        .iter()
        .flat_map(|t| {
            t.rows
                .iter()
                .map(move |(_, row)| (t.get(row, "id").to_owned(), t.get(row, "name").to_owned()))
        })
        .collect();
    let mut location_of: HashMap<String, (GeoPoint, u64)> = HashMap::new();
    // Locations that exist but are invalid: reported once, where they are.
    let mut bad_locations: BTreeSet<String> = BTreeSet::new();
    if let Some(t) = &locations {
        for (line, row) in &t.rows {
            let (lat, lon) = (
                t.get(row, "latitude").parse::<f64>(),
                t.get(row, "longitude").parse::<f64>(),
            );
            match (lat, lon) {
                (Ok(lat), Ok(lon)) if valid_point(GeoPoint { lat, lon }) => {
                    location_of.insert(t.get(row, "id").to_owned(), (GeoPoint { lat, lon }, *line));
                }
                _ => {
                    bad_locations.insert(t.get(row, "id").to_owned());
                    let path = t.path.clone();
                    r.problem(
                        &path,
                        Some(*line),
                        Some("latitude/longitude"),
                        "expected WGS84 degrees (-90..90, -180..180)",
                    );
                }
            }
        }
    }
    let mut address_of: HashMap<String, (String, Option<CountryCode>)> = HashMap::new();
    if let Some(t) = &addresses {
        for (line, row) in &t.rows {
            let one_line = ["address_1", "city", "postal_code"]
                .iter()
                .map(|c| t.get(row, c))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let country = match t.get(row, "country") {
                "" => None,
                c => match c.parse::<CountryCode>() {
                    Ok(c) => Some(c),
                    Err(_) => {
                        let path = t.path.clone();
                        r.problem(
                            &path,
                            Some(*line),
                            Some("country"),
                            "expected an ISO 3166-1 alpha-2 code",
                        );
                        None
                    }
                },
            };
            address_of.insert(t.get(row, "location_id").to_owned(), (one_line, country));
        }
    }
    let by_service = |t: &Option<Table>| -> HashMap<String, Vec<(u64, Vec<String>)>> {
        let mut m: HashMap<String, Vec<(u64, Vec<String>)>> = HashMap::new();
        if let Some(t) = t {
            for (line, row) in &t.rows {
                m.entry(t.get(row, "service_id").to_owned())
                    .or_default()
                    .push((*line, row.clone()));
            }
        }
        m
    };
    let (sal_by, phones_by, sched_by, lang_by) = (
        by_service(&sal),
        by_service(&phones),
        by_service(&schedules),
        by_service(&languages),
    );
    let service_ids: BTreeSet<&str> = services
        .rows
        .iter()
        .map(|(_, row)| services.get(row, "id"))
        .collect();
    for (name, t) in [
        ("service_at_location", &sal),
        ("phone", &phones),
        ("schedule", &schedules),
        ("language", &languages),
    ] {
        if let Some(t) = t {
            for (line, row) in &t.rows {
                if !service_ids.contains(t.get(row, "service_id")) {
                    let path = t.path.clone();
                    r.problem(
                        &path,
                        Some(*line),
                        Some("service_id"),
                        format!("{name} row names a service that service.csv does not have"),
                    );
                }
            }
        }
    }

    for (line, row) in &services.rows {
        let line = Some(*line);
        let path = services.path.clone();
        let id = services.get(row, "id").to_owned();
        if !is_id(&id) {
            r.problem(&path, line, Some("id"), "use a-z, 0-9, '-', '_' or '.'");
        }
        let name = services.translations(row, "name", &default_lang);
        if name.is_empty() {
            r.problem(&path, line, Some("name"), "a service needs a name");
        }
        let description = services.translations(row, "description", &default_lang);
        r.check_translations(&path, line, "name", &name);
        r.check_translations(&path, line, "description", &description);
        let verified =
            match NaiveDate::parse_from_str(services.get(row, "assured_date"), "%Y-%m-%d") {
                Ok(d) => d,
                Err(_) => {
                    r.problem(
                        &path,
                        line,
                        Some("assured_date"),
                        "expected the date last verified, YYYY-MM-DD",
                    );
                    continue;
                }
            };
        let organization = match services.get(row, "organization_id") {
            "" => None,
            o => match org_names.get(o) {
                Some(n) => Some(n.clone()),
                None => {
                    r.problem(
                        &path,
                        line,
                        Some("organization_id"),
                        "no such organization in organization.csv",
                    );
                    None
                }
            },
        };
        let free = match services.get(row, "x_free").to_ascii_lowercase().as_str() {
            "" => None,
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => {
                r.problem(&path, line, Some("x_free"), "expected true, false or empty");
                None
            }
        };
        let categories: Vec<String> = services
            .get(row, "x_categories")
            .split(';')
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        let (mut location, mut address, mut country) = (None, None, None);
        if let Some((sline, srow)) = sal_by.get(&id).and_then(|links| links.first()) {
            let loc_id = sal.as_ref().map_or("", |t| t.get(srow, "location_id"));
            match location_of.get(loc_id) {
                Some((p, _)) => location = Some(*p),
                None if bad_locations.contains(loc_id) => {}
                None => {
                    let spath = sal.as_ref().map(|t| t.path.clone()).unwrap_or_default();
                    r.problem(
                        &spath,
                        Some(*sline),
                        Some("location_id"),
                        "no such location in location.csv",
                    );
                }
            }
            if let Some((a, c)) = address_of.get(loc_id) {
                address = Some(a.clone()).filter(|a| !a.is_empty());
                country = *c;
            }
        }
        let phones_list = phones_by
            .get(&id)
            .into_iter()
            .flatten()
            .map(|(_, prow)| {
                let t = phones.as_ref().expect("rows come from this table");
                Phone {
                    number: t.get(prow, "number").to_owned(),
                    description: t.translations(prow, "description", &default_lang),
                }
            })
            .collect();
        let mut schedule = Vec::new();
        for (sline, srow) in sched_by.get(&id).into_iter().flatten() {
            let t = schedules.as_ref().expect("rows come from this table");
            let days = parse_days(t.get(srow, "byday"));
            let (opens, closes) = (
                parse_time(t.get(srow, "opens_at")),
                parse_time(t.get(srow, "closes_at")),
            );
            match (days, opens, closes) {
                (Some(days), Some(opens), Some(closes)) => schedule.push(OpeningHours {
                    days,
                    opens,
                    closes,
                }),
                (None, _, _) => {
                    let spath = t.path.clone();
                    r.problem(
                        &spath,
                        Some(*sline),
                        Some("byday"),
                        "expected RFC 5545 days like MO,TU,WE",
                    );
                }
                _ => {
                    let spath = t.path.clone();
                    r.problem(
                        &spath,
                        Some(*sline),
                        Some("opens_at/closes_at"),
                        "expected HH:MM",
                    );
                }
            }
        }
        let mut spoken = Vec::new();
        for (lline, lrow) in lang_by.get(&id).into_iter().flatten() {
            let t = languages.as_ref().expect("rows come from this table");
            let code = t.get(lrow, "code");
            if is_language_tag(code) {
                spoken.push(code.to_owned());
            } else {
                let lpath = t.path.clone();
                r.problem(
                    &lpath,
                    Some(*lline),
                    Some("code"),
                    "expected a BCP 47 language tag",
                );
            }
        }
        let opt = |c: &str| Some(services.get(row, c).to_owned()).filter(|s| !s.is_empty());
        entries.push(Entry::Service(Service {
            id,
            organization,
            name,
            description,
            categories,
            location,
            address,
            country,
            phones: phones_list,
            email: opt("email"),
            url: opt("url"),
            languages: spoken,
            free,
            schedule,
            verified,
        }));
    }
}

/// An HXL-tagged CSV: the row after the header holds hashtags such as
/// `#service+name`, `#service+name+i_ar`, `#geo+lat`, `#geo+lon`,
/// `#contact+phone`, `#contact+email`, `#contact+url`, `#sector`,
/// `#org+name`, `#loc+address`, `#country+code`, `#language+code`
/// (semicolon list), `#meta+free`, `#date+verified`, `#service+code` (id).
fn read_hxl(r: &mut Reader, path: &Path, entries: &mut Vec<Entry>) {
    let mut rdr = match csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
    {
        Ok(x) => x,
        Err(e) => {
            r.problem(path, None, None, format!("cannot read: {e}"));
            return;
        }
    };
    let mut records = rdr.records();
    let _header = records.next();
    let tags: Vec<String> = match records.next() {
        Some(Ok(rec)) => rec
            .iter()
            .map(|s| s.trim().to_ascii_lowercase().replace(' ', ""))
            .collect(),
        _ => {
            r.problem(
                path,
                Some(2),
                None,
                "expected the HXL hashtag row after the header",
            );
            return;
        }
    };
    let default_lang = if r.languages.contains("en") {
        "en".to_owned()
    } else {
        r.languages.iter().next().cloned().unwrap_or_default()
    };
    for rec in records {
        let rec = match rec {
            Ok(x) => x,
            Err(e) => {
                r.problem(path, e.position().map(|p| p.line()), None, e.to_string());
                continue;
            }
        };
        let line = rec.position().map(|p| p.line());
        let cell = |tag: &str| -> String {
            tags.iter()
                .position(|t| t == tag)
                .and_then(|i| rec.get(i))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let mut name = Translations::new();
        let mut description = Translations::new();
        for (i, t) in tags.iter().enumerate() {
            let v = rec.get(i).unwrap_or("").trim();
            if v.is_empty() {
                continue;
            }
            for (base, map) in [
                ("#service+name", &mut name),
                ("#service+description", &mut description),
            ] {
                if t == base {
                    map.insert(default_lang.clone(), v.to_owned());
                } else if let Some(lang) = t.strip_prefix(base).and_then(|x| x.strip_prefix("+i_"))
                {
                    map.insert(lang.to_owned(), v.to_owned());
                }
            }
        }
        let id = cell("#service+code");
        if !is_id(&id) {
            r.problem(
                path,
                line,
                Some("#service+code"),
                "each service needs an id: a-z, 0-9, '-', '_' or '.'",
            );
            continue;
        }
        let Ok(verified) = NaiveDate::parse_from_str(&cell("#date+verified"), "%Y-%m-%d") else {
            r.problem(path, line, Some("#date+verified"), "expected YYYY-MM-DD");
            continue;
        };
        let location = match (
            cell("#geo+lat").parse::<f64>(),
            cell("#geo+lon").parse::<f64>(),
        ) {
            (Ok(lat), Ok(lon)) if valid_point(GeoPoint { lat, lon }) => Some(GeoPoint { lat, lon }),
            _ if cell("#geo+lat").is_empty() && cell("#geo+lon").is_empty() => None,
            _ => {
                r.problem(
                    path,
                    line,
                    Some("#geo+lat/#geo+lon"),
                    "expected WGS84 degrees",
                );
                None
            }
        };
        let some = |s: String| Some(s).filter(|s| !s.is_empty());
        entries.push(Entry::Service(Service {
            id,
            organization: some(cell("#org+name")),
            name,
            description,
            categories: cell("#sector")
                .split(';')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
            location,
            address: some(cell("#loc+address")),
            country: cell("#country+code").parse().ok(),
            phones: some(cell("#contact+phone"))
                .map(|n| Phone {
                    number: n,
                    description: Translations::new(),
                })
                .into_iter()
                .collect(),
            email: some(cell("#contact+email")),
            url: some(cell("#contact+url")),
            languages: cell("#language+code")
                .split(';')
                .map(|s| s.trim().to_owned())
                .filter(|s| is_language_tag(s))
                .collect(),
            free: match cell("#meta+free").to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Some(true),
                "false" | "no" | "0" => Some(false),
                _ => None,
            },
            schedule: Vec::new(),
            verified,
        }));
    }
}
