//! YAML entries: country profiles under `countries/`, routes under
//! `routes/` and alerts under `alerts/`, each checked after parsing with
//! problems pointed at the line of the offending key.

use std::path::Path;

use waymark_core::content::model::{Alert, CountryProfile, Entry, Route};

use serde_json::Value;

use super::Reader;
use super::checks::{At, check_bbox, check_point, phone_e164};
use super::helpers::{files_with_ext, first_line, is_id, read_error, yaml_line};
use super::schema::{self, Shape};

/// Reads `countries/`, `routes/` and `alerts/` under `dir`.
pub(super) fn read_yaml_entries(r: &mut Reader, dir: &Path, entries: &mut Vec<Entry>) {
    read_yaml_dir::<CountryProfile>(
        r,
        &dir.join("countries"),
        entries,
        (&schema::COUNTRY, Entry::Country, None),
        check_country,
    );
    read_yaml_dir::<Route>(
        r,
        &dir.join("routes"),
        entries,
        (&schema::ROUTE, Entry::Route, None),
        check_route,
    );
    read_yaml_dir::<Alert>(
        r,
        &dir.join("alerts"),
        entries,
        (&schema::ALERT, Entry::Alert, Some(check_valid_until)),
        check_alert,
    );
}

/// A check of the parsed YAML before it is read as an entry.
type RawCheck = fn(&mut Reader, &Path, &Lines<'_>, &Value);

/// An alert's end: a date and time, or `none` written out, so that a
/// misspelt or forgotten key never makes an alert last for ever.
fn check_valid_until(r: &mut Reader, path: &Path, lines: &Lines<'_>, v: &Value) {
    let Value::Object(m) = v else { return };
    let explain = "write valid_until: YYYY-MM-DDTHH:MM:SSZ (e.g. 2026-12-31T00:00:00Z), or valid_until: none if the alert has no end";
    match m.get("valid_until") {
        None => r.problem(
            path,
            lines.key("valid_from"),
            None,
            format!("the alert has no valid_until: {explain}"),
        ),
        Some(Value::Null) => r.problem(
            path,
            lines.key("valid_until"),
            None,
            format!("valid_until is empty: {explain}"),
        ),
        Some(_) => {}
    }
}

/// `valid_until: none` as YAML's null, line numbers unchanged.
fn none_to_null(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_end();
            if t.trim_start().starts_with("valid_until:")
                && t.split_once(':')
                    .is_some_and(|(_, v)| v.trim().eq_ignore_ascii_case("none"))
            {
                let indent = &l[..l.len() - l.trim_start().len()];
                format!("{indent}valid_until: null\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

fn read_yaml_dir<T: serde::de::DeserializeOwned>(
    r: &mut Reader,
    dir: &Path,
    entries: &mut Vec<Entry>,
    (shape, wrap, before): (&Shape, fn(T) -> Entry, Option<RawCheck>),
    check: fn(&mut Reader, &Path, &Lines<'_>, &mut T),
) {
    let mut files = files_with_ext(dir, "yaml");
    files.extend(files_with_ext(dir, "yml"));
    r.read_each(&files, entries, |r, path, entries| {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                r.problem(path, None, None, read_error(&e));
                return;
            }
        };
        let lines = Lines(&text);
        if let Ok(v) = serde_saphyr::from_str::<Value>(&text) {
            let unknown = schema::unknown_keys(shape, &v);
            for (key, message) in &unknown {
                r.problem(path, lines.key(key), None, message.clone());
            }
            // A misspelt key is reported once, not again as a missing one.
            if !unknown.is_empty() {
                return;
            }
            if let Some(check) = before {
                check(r, path, &lines, &v);
            }
        }
        match serde_saphyr::from_str::<T>(&none_to_null(&text)) {
            Ok(mut v) => {
                check(r, path, &lines, &mut v);
                r.add(entries, wrap(v), path, Some(1));
            }
            Err(e) => r.problem(
                path,
                yaml_line(&e),
                None,
                schema::explain(first_line(&e.to_string())),
            ),
        }
    });
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

fn check_country(r: &mut Reader, path: &Path, lines: &Lines<'_>, c: &mut CountryProfile) {
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
    // A mission's phone is dialled from the country of this file.
    for m in &mut c.missions {
        if let Some(p) = &m.phone {
            match phone_e164(p, Some(c.code)) {
                Ok(n) => m.phone = Some(n),
                Err(message) => r.problem(
                    path,
                    lines.containing(p.as_str()).or(lines.key("missions")),
                    Some("missions phone"),
                    message,
                ),
            }
        }
    }
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

fn check_route(r: &mut Reader, path: &Path, lines: &Lines<'_>, x: &mut Route) {
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
            if let Some(l) = p.location {
                let line = lines
                    .containing(&format!("lat: {}", l.lat))
                    .or(lines.key("segments"));
                let column = format!("segment {} location", i + 1);
                let at = At {
                    file: path,
                    line,
                    column: Some(&column),
                };
                check_point(r, &at, l.lat, l.lon, Some(p.country));
            }
        }
    }
}

fn check_alert(r: &mut Reader, path: &Path, lines: &Lines<'_>, a: &mut Alert) {
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
    if let Some(bbox) = a.area.bbox {
        let at = At {
            file: path,
            line: lines.key("bbox"),
            column: Some("bbox"),
        };
        check_bbox(r, &at, bbox, &a.area.countries);
    }
}
