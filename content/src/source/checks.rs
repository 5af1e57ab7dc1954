//! Checks that catch the mistakes a spreadsheet or a hurried edit makes and
//! that parse cleanly: coordinates in the wrong place (swapped, 0,0, at sea,
//! outside the country of their own address), phone numbers that cannot be
//! dialled, misspelt keys and names, and categories outside the vocabulary.
//!
//! Countries come from `country-boundaries` (OpenStreetMap-derived borders,
//! territorial waters included, © OpenStreetMap contributors, ODbL), phone
//! numbers from `phonenumber` (libphonenumber's metadata), suggestions from
//! `strsim`. All of it stays in `waymark-pack`: none of it reaches a phone.

use std::path::Path;
use std::sync::OnceLock;

use country_boundaries::{BOUNDARIES_ODBL_360X180, BoundingBox, CountryBoundaries, LatLon};
use waymark_core::content::model::GeoPoint;
use waymark_core::types::CountryCode;

use super::Reader;

/// Service categories the apps filter on (documented in AUTHORING.md).
pub(super) const CATEGORIES: &[&str] = &[
    "legal",
    "shelter",
    "health",
    "mental-health",
    "psychosocial",
    "food",
    "water",
    "wash",
    "clothing",
    "children",
    "women",
    "education",
    "language",
    "work",
    "money",
    "documents",
    "family-tracing",
    "protection",
    "information",
    "transport",
    "internet",
    "wifi",
    "hotline",
];

fn boundaries() -> &'static CountryBoundaries {
    static B: OnceLock<CountryBoundaries> = OnceLock::new();
    B.get_or_init(|| {
        CountryBoundaries::from_reader(BOUNDARIES_ODBL_360X180)
            .expect("the boundaries shipped in country-boundaries are readable")
    })
}

/// The ISO 3166-1 alpha-2 countries at a point (subdivisions left out).
fn countries_at(lat: f64, lon: f64) -> Vec<String> {
    let Ok(p) = LatLon::new(lat, lon) else {
        return Vec::new();
    };
    boundaries()
        .ids(p)
        .into_iter()
        .filter(|id| id.len() == 2)
        .map(str::to_owned)
        .collect()
}

/// The one country at a point, if there is exactly one.
pub(super) fn country_at(p: GeoPoint) -> Option<CountryCode> {
    match countries_at(p.lat, p.lon).as_slice() {
        [one] => one.parse().ok(),
        _ => None,
    }
}

fn is_in(lat: f64, lon: f64, country: &str) -> bool {
    LatLon::new(lat, lon).is_ok_and(|p| boundaries().is_in(p, country))
}

/// Where a point or box sits in the source, for messages.
pub(super) struct At<'a> {
    pub file: &'a Path,
    pub line: Option<u64>,
    pub column: Option<&'a str>,
}

/// Checks a point given as latitude and longitude, that may belong in
/// `country`. Returns the point if it may be used.
pub(super) fn check_point(
    r: &mut Reader,
    at: &At<'_>,
    lat: f64,
    lon: f64,
    country: Option<CountryCode>,
) -> Option<GeoPoint> {
    let (file, line, column) = (at.file, at.line, at.column);
    if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
        let hint = if lat.abs() > 90.0 && lon.abs() <= 90.0 {
            " (latitude and longitude look swapped: latitude is north-south, -90..90)"
        } else {
            ""
        };
        r.problem(
            file,
            line,
            column,
            format!(
                "latitude {lat}, longitude {lon}: expected WGS84 degrees (-90..90, -180..180){hint}"
            ),
        );
        return None;
    }
    if lat == 0.0 && lon == 0.0 {
        r.problem(
            file,
            line,
            column,
            "latitude 0, longitude 0 is in the sea off Africa: the coordinates are missing; fill them in or leave both empty",
        );
        return None;
    }
    let here = countries_at(lat, lon);
    match country {
        Some(c) if !here.iter().any(|h| h == c.as_str()) => {
            if is_in(lon, lat, c.as_str()) {
                r.problem(
                    file,
                    line,
                    column,
                    format!(
                        "latitude and longitude are swapped: {lat}, {lon} is {}, but {lon}, {lat} is in {c}; put the north-south number in the latitude",
                        describe(&here)
                    ),
                );
                return None;
            }
            r.warning(
                file,
                line,
                column,
                format!(
                    "latitude {lat}, longitude {lon} is {}, not in {c}, the country given for it; check the coordinates",
                    describe(&here)
                ),
            );
        }
        None if here.is_empty() => {
            let swapped = countries_at(lon, lat);
            let hint = if swapped.is_empty() {
                String::new()
            } else {
                format!(
                    " ({lon}, {lat} would be in {}: swapped?)",
                    swapped.join("/")
                )
            };
            r.warning(
                file,
                line,
                column,
                format!("latitude {lat}, longitude {lon} is at sea{hint}; check the coordinates"),
            );
        }
        _ => {}
    }
    Some(GeoPoint { lat, lon })
}

fn describe(here: &[String]) -> String {
    if here.is_empty() {
        "at sea".to_owned()
    } else {
        format!("in {}", here.join("/"))
    }
}

/// Checks an alert's bbox `[min_lon, min_lat, max_lon, max_lat]` against
/// the alert's countries: a box that misses all of them but would cover
/// one with its axes swapped is an error.
pub(super) fn check_bbox(r: &mut Reader, at: &At<'_>, bbox: [f64; 4], countries: &[CountryCode]) {
    let [w, s, e, n] = bbox;
    let in_range = |lat: f64, lon: f64| lat.abs() <= 90.0 && lon.abs() <= 180.0;
    let order =
        "bbox is [min_lon, min_lat, max_lon, max_lat] (west, south, east, north) in WGS84 degrees";
    if !(in_range(s, w) && in_range(n, e)) || s > n {
        let hint = if in_range(w, s) && in_range(e, n) && w <= e {
            " (it looks written latitude first: swap the axes)"
        } else {
            ""
        };
        r.problem(at.file, at.line, at.column, format!("{order}{hint}"));
        return;
    }
    let touches = |s: f64, w: f64, n: f64, e: f64| {
        BoundingBox::new(s, w, n, e)
            .map(|b| boundaries().intersecting_ids(b))
            .map(|ids| {
                ids.into_iter()
                    .filter(|i| i.len() == 2)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let here = touches(s, w, n, e);
    let swapped_ok = in_range(w, s) && in_range(e, n) && w <= e;
    let swapped = if swapped_ok {
        touches(w, s, e, n)
    } else {
        Vec::new()
    };
    let wanted: Vec<&str> = countries.iter().map(CountryCode::as_str).collect();
    if !wanted.is_empty() && !here.iter().any(|h| wanted.contains(&h.as_str())) {
        if swapped.iter().any(|h| wanted.contains(&h.as_str())) {
            r.problem(
                at.file,
                at.line,
                at.column,
                format!(
                    "the bbox does not touch {} but would with its axes swapped: {order}",
                    wanted.join("/")
                ),
            );
        } else {
            r.warning(
                at.file,
                at.line,
                at.column,
                format!(
                    "the bbox does not touch {}, the alert's countries: {order}",
                    wanted.join("/")
                ),
            );
        }
    } else if wanted.is_empty() && here.is_empty() {
        r.warning(
            at.file,
            at.line,
            at.column,
            format!("the bbox covers only sea: {order}"),
        );
    }
}

/// A phone number checked and written in E.164 (`+302101234567`), with
/// `country` the country of the service's address, if known.
pub(super) fn phone_e164(raw: &str, country: Option<CountryCode>) -> Result<String, String> {
    let s = raw.trim();
    let upper = s.to_ascii_uppercase();
    if upper.contains("E+") && s.chars().any(|c| c == '.' || c == ',') {
        return Err(format!(
            "'{s}' is a number a spreadsheet rewrote in scientific notation: format the column as text and type the number again, with its +country code"
        ));
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if digits < 3 || s.chars().any(|c| c.is_alphabetic() && c != 'x' && c != 'X') {
        return Err(format!(
            "'{s}' is not a phone number: give only the number, e.g. +30 210 123 4567 (put words in the description)"
        ));
    }
    let id = country.and_then(|c| c.as_str().parse::<phonenumber::country::Id>().ok());
    if id.is_none() && !s.starts_with('+') && !s.starts_with("00") {
        return Err(format!(
            "'{s}' has no country code: write it as +<country code> <number>, or give the service's address a country"
        ));
    }
    let where_ = country.map_or(String::new(), |c| format!(" for {c}"));
    match phonenumber::parse(id, s) {
        Ok(n) if n.is_valid() => Ok(n.format().mode(phonenumber::Mode::E164).to_string()),
        _ => {
            let plus = format!("+{s}");
            if !s.starts_with('+') && phonenumber::parse(None, &plus).is_ok_and(|n| n.is_valid()) {
                return Err(format!(
                    "'{s}' is not a valid phone number{where_}; it looks like a number whose leading + was lost: write '{plus}'"
                ));
            }
            let hint = if !s.starts_with('+') && !s.starts_with('0') {
                " (was a leading + or 0 lost, e.g. by a spreadsheet?)"
            } else {
                ""
            };
            Err(format!(
                "'{s}' is not a valid phone number{where_}{hint}: write it as +<country code> <number>"
            ))
        }
    }
}

/// The closest of `known` to `word`, if close enough to be a likely typo.
pub(super) fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(&w, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3) || k.starts_with(&w) || w.starts_with(k))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// " (did you mean 'x'?)" or "".
pub(super) fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, known).map_or(String::new(), |k| format!(" (did you mean '{k}'?)"))
}

/// The BCP 47 tag for a language written out in English, e.g. "arabic".
pub(super) fn language_code_for(name: &str) -> Option<&'static str> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "arabic" => "ar",
        "english" => "en",
        "french" | "francais" | "français" => "fr",
        "farsi" | "persian" => "fa",
        "dari" => "prs",
        "pashto" | "pashtu" => "ps",
        "tigrinya" => "ti",
        "amharic" => "am",
        "somali" => "so",
        "kurdish" => "ku",
        "kurmanji" => "kmr",
        "sorani" => "ckb",
        "urdu" => "ur",
        "bengali" | "bangla" => "bn",
        "spanish" | "espanol" | "español" => "es",
        "italian" => "it",
        "greek" => "el",
        "german" => "de",
        "turkish" => "tr",
        "ukrainian" => "uk",
        "russian" => "ru",
        "portuguese" => "pt",
        "hausa" => "ha",
        "wolof" => "wo",
        "lingala" => "ln",
        "swahili" => "sw",
        _ => return None,
    })
}

/// A message for a tag that is not in the pack's languages.
pub(super) fn language_hint(tag: &str) -> String {
    match language_code_for(tag) {
        Some(code) => format!(" (use the code '{code}', not the name)"),
        None => String::new(),
    }
}
