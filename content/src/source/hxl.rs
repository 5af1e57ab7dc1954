//! Services from HXL-tagged CSV files (any `*.hxl.csv` under `services/`):
//! a header row, then a row of HXL hashtags naming what each column holds.

use std::path::Path;

use chrono::NaiveDate;
use waymark_core::content::model::{Entry, GeoPoint, Phone, Service, Translations};

use super::Reader;
use super::helpers::{is_id, is_language_tag, valid_point};

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
