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
use super::checks::{At, CATEGORIES, check_point, did_you_mean, nearest, phone_e164};
use super::helpers::{CsvLines, is_id, is_language_tag};

/// A CSV table: header and rows, with the file for messages.
struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// Reads `path`: `Ok(None)` if there is no such file, `Err(())` if it
    /// is there but unusable (each problem reported once, here).
    fn read(
        r: &mut Reader,
        path: &Path,
        required: &[&str],
        read: &[&str],
    ) -> Result<Option<Table>, ()> {
        if !path.exists() {
            return Ok(None);
        }
        let mut rdr = match csv::ReaderBuilder::new().flexible(false).from_path(path) {
            Ok(x) => x,
            Err(e) => {
                r.problem(path, None, None, format!("cannot read: {e}"));
                return Err(());
            }
        };
        let mut lines = CsvLines::of(path);
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h
                .iter()
                .map(|s| s.trim().trim_start_matches('\u{feff}').to_owned())
                .collect(),
            Err(e) => {
                r.problem(path, Some(1), None, csv_message(&e));
                return Err(());
            }
        };
        let mut ok = true;
        for col in required {
            if !header.iter().any(|h| h == col) {
                let hint = header
                    .iter()
                    .find(|h| nearest(h, [*col]).is_some())
                    .map_or(String::new(), |h| {
                        format!(" (is '{h}' meant to be '{col}'?)")
                    });
                r.problem(
                    path,
                    Some(1),
                    Some(col),
                    format!("the header row has no '{col}' column, which is required{hint}"),
                );
                ok = false;
            }
        }
        // A column Waymark does not read, close to one it reads that is
        // missing, is most likely that one misspelt.
        for h in &header {
            let base = h.split('@').next().unwrap_or(h);
            if required.contains(&base) || read.contains(&base) {
                continue;
            }
            if let Some(k) = nearest(base, read.iter().copied())
                && !header.iter().any(|x| x == k)
            {
                r.warning(
                    path,
                    Some(1),
                    Some(h),
                    format!("column '{h}' is not read (did you mean '{k}'?)"),
                );
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            match rec {
                Ok(rec) => {
                    let line = rec.position().map_or(0, |p| lines.line(p));
                    rows.push((line, rec.iter().map(|s| s.trim().to_owned()).collect()));
                }
                Err(e) => {
                    let line = e.position().map(|p| lines.line(p));
                    r.problem(path, line, None, csv_message(&e));
                    ok = false;
                }
            }
        }
        if ok {
            Ok(Some(Table {
                path: path.to_path_buf(),
                header,
                rows,
            }))
        } else {
            Err(())
        }
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

/// A CSV error in plain words.
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "this row is not UTF-8 text: save the file as UTF-8 (in a spreadsheet: CSV UTF-8)"
                .to_owned()
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this row has {len} cells but the header has {expected_len}: check for a missing or extra comma (quote text that holds commas)"
        ),
        _ => e.to_string(),
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
    let services_path = sdir.join("service.csv");
    let services = match Table::read(
        r,
        &services_path,
        &["id", "name", "assured_date"],
        &[
            "organization_id",
            "description",
            "email",
            "url",
            "x_categories",
            "x_free",
        ],
    ) {
        Ok(Some(t)) => t,
        Ok(None) => {
            r.problem(
                &services_path,
                None,
                None,
                "services/datapackage.json is here, so the HSDS package needs service.csv",
            );
            return;
        }
        Err(()) => return,
    };
    if services.col("x_categories").is_none() {
        r.warning(
            &services_path,
            Some(1),
            Some("x_categories"),
            "no x_categories column: these services will have no categories, and category filters will not find them",
        );
    }
    // Tables that are there but unusable: their problems are already
    // reported, so rows pointing into them are not reported again.
    let mut broken: BTreeSet<&str> = BTreeSet::new();
    let mut table =
        |r: &mut Reader, name: &'static str, required: &[&str], read: &[&str]| match Table::read(
            r,
            &sdir.join(name),
            required,
            read,
        ) {
            Ok(t) => t,
            Err(()) => {
                broken.insert(name);
                None
            }
        };
    let orgs = table(r, "organization.csv", &["id", "name"], &[]);
    let locations = table(r, "location.csv", &["id", "latitude", "longitude"], &[]);
    let addresses = table(
        r,
        "address.csv",
        &["location_id"],
        &["address_1", "city", "postal_code", "country"],
    );
    let sal = table(
        r,
        "service_at_location.csv",
        &["service_id", "location_id"],
        &[],
    );
    let phones = table(r, "phone.csv", &["service_id", "number"], &["description"]);
    let schedules = table(
        r,
        "schedule.csv",
        &["service_id", "byday", "opens_at", "closes_at"],
        &["timezone"],
    );
    let languages = table(r, "language.csv", &["service_id", "code"], &[]);

    let org_names: HashMap<String, String> = orgs
        .iter()
        .flat_map(|t| {
            t.rows
                .iter()
                .map(move |(_, row)| (t.get(row, "id").to_owned(), t.get(row, "name").to_owned()))
        })
        .collect();
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
    let mut location_of: HashMap<String, (GeoPoint, u64)> = HashMap::new();
    // Locations that exist but are unusable: reported once, where they are.
    let mut bad_locations: BTreeSet<String> = BTreeSet::new();
    if let Some(t) = &locations {
        // Each point is checked against the borders on the reader's
        // threads, then kept in the table's order.
        let checked = r.par_map(&t.rows, |r, (line, row)| {
            let id = t.get(row, "id").to_owned();
            let country = address_of.get(&id).and_then(|(_, c)| *c);
            let (lat, lon) = (t.get(row, "latitude"), t.get(row, "longitude"));
            let at = At {
                file: &t.path,
                line: Some(*line),
                column: Some("latitude/longitude"),
            };
            let point = match (lat.parse::<f64>(), lon.parse::<f64>()) {
                (Ok(lat), Ok(lon)) => check_point(r, &at, lat, lon, country),
                _ => {
                    r.problem(
                        at.file,
                        at.line,
                        at.column,
                        format!("'{lat}', '{lon}': expected WGS84 degrees as numbers (-90..90, -180..180), e.g. 37.9838 and 23.7275"),
                    );
                    None
                }
            };
            (id, point, *line)
        });
        for (id, point, line) in checked {
            match point {
                Some(p) => {
                    location_of.insert(id, (p, line));
                }
                None => {
                    bad_locations.insert(id);
                }
            }
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

    // The services, on the reader's threads.
    r.read_each(&services.rows, entries, |r, (line, row), entries| {
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
                    return;
                }
            };
        let organization = match services.get(row, "organization_id") {
            "" => None,
            o => match org_names.get(o) {
                Some(n) => Some(n.clone()),
                None if broken.contains("organization.csv") => None,
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
        for c in &categories {
            if !CATEGORIES.contains(&c.as_str()) {
                let hint = did_you_mean(c, CATEGORIES.iter().copied());
                r.problem(
                    &path,
                    line,
                    Some("x_categories"),
                    format!("'{c}' is not a Waymark category{hint}; see AUTHORING.md for the list"),
                );
            }
        }
        let (mut location, mut address, mut country) = (None, None, None);
        if let Some((sline, srow)) = sal_by.get(&id).and_then(|links| links.first()) {
            let loc_id = sal.as_ref().map_or("", |t| t.get(srow, "location_id"));
            match location_of.get(loc_id) {
                Some((p, _)) => location = Some(*p),
                None if bad_locations.contains(loc_id) || broken.contains("location.csv") => {}
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
        let mut phones_list = Vec::new();
        for (pline, prow) in phones_by.get(&id).into_iter().flatten() {
            let t = phones.as_ref().expect("rows come from this table");
            match phone_e164(t.get(prow, "number"), country) {
                Ok(number) => phones_list.push(Phone {
                    number,
                    description: t.translations(prow, "description", &default_lang),
                }),
                Err(m) => {
                    let ppath = t.path.clone();
                    r.problem(&ppath, Some(*pline), Some("number"), m);
                }
            }
        }
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
        let time_zone = service_zone(
            r,
            schedules.as_ref(),
            sched_by.get(&id).map_or(&[][..], Vec::as_slice),
            (&path, line),
            country.or_else(|| location.and_then(super::checks::country_at)),
        );
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
                    format!(
                        "'{code}' is not a BCP 47 language tag (e.g. ar, ti, fa-AF){}",
                        super::checks::language_hint(code)
                    ),
                );
            }
        }
        let opt = |c: &str| Some(services.get(row, c).to_owned()).filter(|s| !s.is_empty());
        let service = Entry::Service(Service {
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
            time_zone,
            verified,
        });
        r.add(entries, service, &path, line);
    });
}

/// The IANA time zone of a service's opening hours (none without hours):
/// the `timezone` of its `schedule.csv` rows (one zone for all of them),
/// else its country's, when that country keeps one time (see `zones`).
fn service_zone(
    r: &mut Reader,
    schedules: Option<&Table>,
    rows: &[(u64, Vec<String>)],
    (path, line): (&Path, Option<u64>),
    country: Option<CountryCode>,
) -> Option<String> {
    let t = schedules?;
    if rows.is_empty() {
        return None;
    }
    let mut named: Option<(String, u64)> = None;
    for (sline, srow) in rows {
        let given = t.get(srow, "timezone").trim();
        if given.is_empty() {
            continue;
        }
        let spath = t.path.clone();
        match (&named, super::zones::parse_zone(given)) {
            (_, Err(m)) => {
                r.problem(&spath, Some(*sline), Some("timezone"), m);
                return None;
            }
            (Some((first, fline)), Ok(tz)) if tz.name() != first => {
                let m = format!(
                    "'{}' differs from '{first}' on line {fline}: a service's hours are all in one time zone",
                    tz.name()
                );
                r.problem(&spath, Some(*sline), Some("timezone"), m);
                return None;
            }
            (_, Ok(tz)) => named = Some((tz.name().to_owned(), *sline)),
        }
    }
    if let Some((zone, _)) = named {
        return Some(zone);
    }
    let Some(country) = country else {
        r.warning(
            path,
            line,
            None,
            "this service has opening hours but neither a country nor a place on the map to tell their time zone, so phones will read them in their own: add a timezone column to schedule.csv (e.g. Africa/Tunis)",
        );
        return None;
    };
    match super::zones::zone_of_country(country, r.built) {
        Ok(tz) => Some(tz.name().to_owned()),
        Err(m) => {
            r.problem(path, line, None, m);
            None
        }
    }
}
