//! Services from HXL-tagged CSV files (any `*.hxl.csv` under `services/`):
//! a header row, then a row of HXL hashtags naming what each column holds.

use std::path::Path;

use chrono::NaiveDate;
use waymark_core::content::model::{Entry, Phone, Service, Translations};

use super::Reader;
use super::checks::{At, CATEGORIES, check_point, did_you_mean, nearest, phone_e164};
use super::helpers::{CsvLines, is_id, is_language_tag};

/// The hashtags read, for suggestions when a tag is misspelt.
const TAGS: &[&str] = &[
    "#service+code",
    "#service+name",
    "#service+description",
    "#org+name",
    "#geo+lat",
    "#geo+lon",
    "#loc+address",
    "#country+code",
    "#contact+phone",
    "#contact+email",
    "#contact+url",
    "#sector",
    "#language+code",
    "#meta+free",
    "#date+verified",
];

/// Whether the second row of a CSV file holds HXL hashtags.
pub(super) fn looks_like_hxl(path: &Path) -> bool {
    let Ok(mut rdr) = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
    else {
        return false;
    };
    rdr.records()
        .nth(1)
        .and_then(Result::ok)
        .is_some_and(|rec| rec.iter().any(|c| c.trim_start().starts_with('#')))
}

/// An HXL-tagged CSV: the row after the header holds hashtags such as
/// `#service+name`, `#service+name+i_ar`, `#geo+lat`, `#geo+lon`,
/// `#contact+phone`, `#contact+email`, `#contact+url`, `#sector`,
/// `#org+name`, `#loc+address`, `#country+code`, `#language+code`
/// (semicolon list), `#meta+free`, `#date+verified`, `#service+code` (id).
pub(super) fn read_hxl(r: &mut Reader, path: &Path, entries: &mut Vec<Entry>) {
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
    let mut lines = CsvLines::of(path);
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
    // A hashtag Waymark does not read, close to one it reads that is not
    // there, is most likely that one misspelt; other tags are left alone.
    for t in &tags {
        let base = t.split("+i_").next().unwrap_or(t);
        if t.is_empty() || TAGS.contains(&base) {
            continue;
        }
        if let Some(k) = nearest(t, TAGS.iter().copied())
            && !tags.iter().any(|x| x == k)
        {
            r.warning(
                path,
                Some(2),
                Some(t),
                format!("hashtag {t} is not read (did you mean {k}?)"),
            );
        }
    }
    for (tag, what) in [
        ("#sector", "categories"),
        ("#geo+lat", "locations"),
        ("#contact+phone", "phone numbers"),
        ("#country+code", "countries"),
    ] {
        if !tags.iter().any(|t| t == tag) {
            r.warning(
                path,
                Some(2),
                Some(tag),
                format!("no {tag} column: these services will have no {what}"),
            );
        }
    }
    let default_lang = if r.languages.contains("en") {
        "en".to_owned()
    } else {
        r.languages.iter().next().cloned().unwrap_or_default()
    };
    // Lines are counted going forward, so rows are taken in order first;
    // then they are read on the reader's threads.
    let rows: Vec<(Option<u64>, Result<csv::StringRecord, String>)> = records
        .map(|rec| match rec {
            Ok(rec) => (rec.position().map(|p| lines.line(p)), Ok(rec)),
            Err(e) => {
                let message = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    "this row is not UTF-8 text: save the file as UTF-8 (in a spreadsheet: CSV UTF-8)".to_owned()
                } else {
                    e.to_string()
                };
                (e.position().map(|p| lines.line(p)), Err(message))
            }
        })
        .collect();
    r.read_each(&rows, entries, |r, (line, rec), entries| {
        let line = *line;
        let rec = match rec {
            Ok(x) => x,
            Err(message) => {
                r.problem(path, line, None, message.clone());
                return;
            }
        };
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
            return;
        }
        let Ok(verified) = NaiveDate::parse_from_str(&cell("#date+verified"), "%Y-%m-%d") else {
            r.problem(path, line, Some("#date+verified"), "expected YYYY-MM-DD");
            return;
        };
        let country = match cell("#country+code") {
            c if c.is_empty() => None,
            c => match c.to_ascii_uppercase().parse() {
                Ok(c) => Some(c),
                Err(_) => {
                    r.problem(
                        path,
                        line,
                        Some("#country+code"),
                        format!("'{c}' is not a country code: use ISO 3166-1 alpha-2, e.g. GR"),
                    );
                    None
                }
            },
        };
        let at = At {
            file: path,
            line,
            column: Some("#geo+lat/#geo+lon"),
        };
        let location = match (
            cell("#geo+lat").parse::<f64>(),
            cell("#geo+lon").parse::<f64>(),
        ) {
            (Ok(lat), Ok(lon)) => check_point(r, &at, lat, lon, country),
            _ if cell("#geo+lat").is_empty() && cell("#geo+lon").is_empty() => None,
            _ => {
                r.problem(
                    path,
                    line,
                    Some("#geo+lat/#geo+lon"),
                    "expected WGS84 degrees as numbers, e.g. 37.9838 and 23.7275",
                );
                None
            }
        };
        let mut phones = Vec::new();
        for n in cell("#contact+phone")
            .split(';')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match phone_e164(n, country) {
                Ok(number) => phones.push(Phone {
                    number,
                    description: Translations::new(),
                }),
                Err(m) => r.problem(path, line, Some("#contact+phone"), m),
            }
        }
        let categories: Vec<String> = cell("#sector")
            .split(';')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        for c in &categories {
            if !CATEGORIES.contains(&c.as_str()) {
                let hint = did_you_mean(c, CATEGORIES.iter().copied());
                r.problem(
                    path,
                    line,
                    Some("#sector"),
                    format!("'{c}' is not a Waymark category{hint}; see AUTHORING.md for the list"),
                );
            }
        }
        let some = |s: String| Some(s).filter(|s| !s.is_empty());
        let service = Entry::Service(Service {
            id,
            organization: some(cell("#org+name")),
            name,
            description,
            categories,
            location,
            address: some(cell("#loc+address")),
            country,
            phones,
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
            time_zone: None,
            verified,
        });
        r.add(entries, service, path, line);
    });
}
