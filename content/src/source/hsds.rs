//! Services from an Open Referral HSDS tabular data package under
//! `services/` (`datapackage.json` with `service.csv`, `organization.csv`,
//! `location.csv`, `address.csv`, `service_at_location.csv`, `phone.csv`,
//! `schedule.csv` and `language.csv`), problems given by CSV row and column.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime, Weekday};
use waymark_core::content::model::{Entry, GeoPoint, OpeningHours, Phone, Service, Translations};
use waymark_core::types::CountryCode;

use super::Reader;
use super::helpers::{is_id, is_language_tag, valid_point};

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

pub(super) fn read_hsds(r: &mut Reader, sdir: &Path, entries: &mut Vec<Entry>) {
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
