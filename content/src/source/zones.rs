//! The time zone of each service's opening hours, and the table of UTC
//! offsets the pack carries for every zone it uses.
//!
//! A phone has no time zone database (it would not fit the native
//! library's size budget), so the pack brings what it needs: each service
//! names its IANA zone (`Africa/Tunis`), and the manifest lists, once per
//! zone, the offset changes from the year before the build to
//! [`YEARS_AHEAD`] years after it (`PackManifest::time_zones`), taken from
//! the IANA database that `chrono-tz` carries. After the table ends its
//! last offset applies: a pack is rebuilt long before that.
//!
//! A service's zone is, in order: the `timezone` column of its rows in
//! `schedule.csv`; else the zone of its country (of its address, or of
//! its location's point), when every zone of that country keeps the same
//! time over the table's years. A country with several times (Spain and
//! the Canary Islands, Brazil, the United States…) needs the column, and
//! the error lists its zones. Services without opening hours need no zone.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use waymark_core::content::model::{Entry, ZoneOffsets};
use waymark_core::types::CountryCode;

/// How many years after the build year the offset tables cover.
pub const YEARS_AHEAD: i32 = 15;

/// The zones of each country, from the IANA database's `zone.tab`
/// (public domain; the same release, 2025b, as `chrono-tz`'s data), in
/// its order (the country's main zone first).
const ZONE_TAB: &str = include_str!("zone.tab");

fn zones_by_country() -> &'static BTreeMap<&'static str, Vec<&'static str>> {
    static M: OnceLock<BTreeMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    M.get_or_init(|| {
        let mut m: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for line in ZONE_TAB.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split('\t');
            if let (Some(cc), Some(_), Some(zone)) = (cols.next(), cols.next(), cols.next()) {
                m.entry(cc).or_default().push(zone);
            }
        }
        m
    })
}

/// Checks an IANA zone name as a publisher typed it; the error suggests
/// the name meant.
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    let name = name.trim();
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    let lower = name.to_ascii_lowercase();
    let names = || TZ_VARIANTS.iter().map(|tz| tz.name());
    let hint = if name
        .trim_start_matches(['+', '-'])
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
        || lower.starts_with("utc+")
        || lower.starts_with("gmt+")
        || lower.starts_with("utc-")
        || lower.starts_with("gmt-")
    {
        " (a fixed UTC offset cannot follow summer time: name the zone, e.g. Africa/Tunis)"
            .to_owned()
    } else if let Some(exact) = names().find(|n| n.eq_ignore_ascii_case(name)) {
        format!(" (did you mean '{exact}'?)")
    } else if let Some(city) = names().find(|n| {
        n.rsplit('/')
            .next()
            .is_some_and(|c| c.eq_ignore_ascii_case(&lower.replace(' ', "_")))
    }) {
        format!(" (did you mean '{city}'?)")
    } else {
        names()
            .map(|n| {
                (
                    strsim::damerau_levenshtein(&lower, &n.to_ascii_lowercase()),
                    n,
                )
            })
            .filter(|(d, _)| *d <= 3)
            .min_by_key(|(d, _)| *d)
            .map_or(String::new(), |(_, n)| format!(" (did you mean '{n}'?)"))
    };
    Err(format!(
        "'{name}' is not an IANA time zone name{hint}; names look like Africa/Tunis or Europe/Rome"
    ))
}

/// The zone of a service in `country` that gives none: `Ok` when all of
/// the country's zones keep the same time over the table's years (the
/// first listed is named), an error listing them otherwise.
pub fn zone_of_country(country: CountryCode, built: NaiveDate) -> Result<Tz, String> {
    // Tables are walked once per country and year, however many services.
    type Cache = std::sync::Mutex<BTreeMap<(CountryCode, i32), Result<Tz, String>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (country, built.year());
    if let Some(known) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return known.clone();
    }
    let found = country_zone(country, built);
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, found.clone());
    found
}

fn country_zone(country: CountryCode, built: NaiveDate) -> Result<Tz, String> {
    let zones: Vec<Tz> = zones_by_country()
        .get(country.as_str())
        .into_iter()
        .flatten()
        .filter_map(|z| z.parse::<Tz>().ok())
        .collect();
    let Some(first) = zones.first() else {
        return Err(format!(
            "no time zone is known for {country}: add a timezone column to schedule.csv (e.g. Europe/Rome)"
        ));
    };
    let table = offsets(*first, built);
    if zones[1..].iter().all(|z| offsets(*z, built) == table) {
        return Ok(*first);
    }
    let names: Vec<&str> = zones.iter().map(|z| z.name()).collect();
    Err(format!(
        "{country} has several time zones: give this service's in a timezone column of schedule.csv, one of {}",
        names.join(", ")
    ))
}

/// The first moment the tables cover: 1 January of the year before the
/// build, 00:00 UTC.
fn table_start(built: NaiveDate) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(built.year() - 1, 1, 1, 0, 0, 0)
        .single()
        .expect("1 January exists")
}

/// The end of the tables: 1 January of the year [`YEARS_AHEAD`] + 1 after
/// the build.
fn table_end(built: NaiveDate) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(built.year() + YEARS_AHEAD + 1, 1, 1, 0, 0, 0)
        .single()
        .expect("1 January exists")
}

fn offset_at(tz: Tz, at: i64) -> i32 {
    let at = DateTime::from_timestamp(at, 0).expect("within chrono's range");
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// `tz`'s UTC offsets from the year before `built` to [`YEARS_AHEAD`]
/// years after it: the offset at the start and every change, to the
/// second. The database gives offsets, not a list of changes, so the
/// years are walked in 6-hour steps (no zone changes twice within 6
/// hours) and each change is found to the second by bisection.
pub fn offsets(tz: Tz, built: NaiveDate) -> ZoneOffsets {
    const STEP: i64 = 6 * 3600;
    let (start, end) = (table_start(built).timestamp(), table_end(built).timestamp());
    let first = offset_at(tz, start);
    let mut changes = Vec::new();
    let (mut t, mut current) = (start, first);
    while t < end {
        let next = (t + STEP).min(end);
        let after = offset_at(tz, next);
        if after != current {
            // The change lies in (t, next]: the first second with `after`.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            changes.push((hi, after));
            current = after;
        }
        t = next;
    }
    ZoneOffsets {
        offset: first,
        changes,
    }
}

/// The offset tables (in their text form) of every zone the services in `entries` name.
pub fn tables(entries: &[Entry], built: NaiveDate) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in entries {
        if let Entry::Service(s) = e
            && let Some(zone) = &s.time_zone
            && !out.contains_key(zone)
            && let Ok(tz) = zone.parse::<Tz>()
        {
            out.insert(zone.clone(), offsets(tz, built).to_string());
        }
    }
    out
}
