//! YAML entries: country profiles under `countries/`, routes under
//! `routes/` and alerts under `alerts/`, each checked after parsing with
//! problems pointed at the line of the offending key.

use std::path::Path;

use waymark_core::content::model::{Alert, CountryProfile, Entry, GeoPoint, Route};

use super::Reader;
use super::helpers::{files_with_ext, first_line, is_id, valid_point, yaml_line};

/// Reads `countries/`, `routes/` and `alerts/` under `dir`.
pub(super) fn read_yaml_entries(r: &mut Reader, dir: &Path, entries: &mut Vec<Entry>) {
    read_yaml_dir::<CountryProfile>(
        r,
        &dir.join("countries"),
        entries,
        Entry::Country,
        check_country,
    );
    read_yaml_dir::<Route>(r, &dir.join("routes"), entries, Entry::Route, check_route);
    read_yaml_dir::<Alert>(r, &dir.join("alerts"), entries, Entry::Alert, check_alert);
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
