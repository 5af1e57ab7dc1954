//! The structured queries: services near a point, a country's profile,
//! routes through a place, alerts in force.

use chrono::{DateTime, Datelike, NaiveDateTime, NaiveTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::model::{
    Alert, CountryProfile, Entry, GeoPoint, OpeningHours, PackManifest, Route, Service,
    Translations, ZoneOffsets,
};
use super::normalize::fold;
use super::schema::listed_kinds;
use super::store::{ContentStore, Provenance};
use crate::error::{Error, Result};
use crate::storage::json_from_text;
use crate::types::CountryCode;

/// Mean Earth radius, km (haversine).
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Services near a point, with filters.
#[derive(Debug, Clone)]
pub struct NearbyQuery {
    /// Where the person is (never leaves the device).
    pub point: GeoPoint,
    /// How far to look.
    pub radius_km: f64,
    /// Only services in this category.
    pub category: Option<String>,
    /// Only services open now (by their schedule; unknown hours excluded).
    pub open_now: bool,
    /// Only services where this language is spoken.
    pub speaks: Option<String>,
    /// Only services known to be free of charge.
    pub free_only: bool,
    /// Language to show names in.
    pub language: Option<String>,
    /// At most this many.
    pub limit: usize,
}

impl NearbyQuery {
    /// Everything within `radius_km` of `point`, 50 at most.
    pub fn new(point: GeoPoint, radius_km: f64) -> Self {
        NearbyQuery {
            point,
            radius_km,
            category: None,
            open_now: false,
            speaks: None,
            free_only: false,
            language: None,
            limit: 50,
        }
    }
}

/// A service found near a point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearbyService {
    /// Its name in the best language available.
    pub name: String,
    /// Distance from the query point.
    pub distance_km: f64,
    /// Open now by its schedule (`None`: hours unknown).
    pub open_now: Option<bool>,
    /// The whole entry.
    pub service: Service,
    /// Where it comes from.
    pub provenance: Provenance,
}

/// An entry of some type with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WithProvenance<T> {
    /// The entry.
    pub entry: T,
    /// Where it comes from.
    pub provenance: Provenance,
}

/// Where an alert must apply.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Alerts for this country.
    pub country: Option<CountryCode>,
    /// Alerts whose area contains this point (or whose countries… the point
    /// is matched against bounding boxes only).
    pub point: Option<GeoPoint>,
}

/// Great-circle distance in km.
pub fn distance_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dla = la2 - la1;
    let dlo = (b.lon - a.lon).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The text in the preferred language, else along `fallback`, else any
/// (languages matched as [`choose_language`] does: `ar-EG` finds `ar`).
pub fn pick<'a>(
    t: &'a Translations,
    preferred: Option<&str>,
    fallback: &[String],
) -> Option<&'a str> {
    let languages = preferred
        .into_iter()
        .chain(fallback.iter().map(String::as_str));
    choose_language(t.keys().map(String::as_str), languages)
        .and_then(|tag| t.get(tag))
        .map(String::as_str)
}

/// Which of the BCP 47 tags `available` to show a person who reads
/// `languages`, in order of preference. For the first language that any of
/// them serves: the same tag (case does not matter), else the bare
/// language (`ar` for `ar-EG`), else another variant of it (`ar-SA` for
/// `ar-EG`; the smallest such tag), as search ranks languages by their
/// primary subtag. When none is served, the smallest tag, so that
/// something shows; `None` only when `available` is empty.
pub fn choose_language<'a, 'l>(
    available: impl IntoIterator<Item = &'a str>,
    languages: impl IntoIterator<Item = &'l str>,
) -> Option<&'a str> {
    let mut available: Vec<&'a str> = available.into_iter().collect();
    crate::sort::sort_by(&mut available, |a, b| a.cmp(b));
    for wanted in languages {
        let primary = primary_subtag(wanted);
        let found = available
            .iter()
            .find(|t| t.eq_ignore_ascii_case(wanted))
            .or_else(|| available.iter().find(|t| t.eq_ignore_ascii_case(primary)))
            .or_else(|| {
                available
                    .iter()
                    .find(|t| primary_subtag(t).eq_ignore_ascii_case(primary))
            });
        if let Some(tag) = found {
            return Some(tag);
        }
    }
    available.first().copied()
}

/// `ti` of `ti-ER` (or `ti_ER`, as some systems write it).
fn primary_subtag(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

/// The wall-clock time at `service` at `now`: UTC plus the offset its pack's
/// table gives for its time zone. `None` when the pack has no zone for it
/// (packs built before time zones were added), and the caller falls back on
/// the phone's own time zone.
pub fn service_local_time(
    service: &Service,
    manifest: &PackManifest,
    now: DateTime<Utc>,
) -> Option<NaiveDateTime> {
    let table = manifest.time_zones.get(service.time_zone.as_deref()?)?;
    ZoneOffsets::parse(table)?.local_time(now)
}

/// Whether `schedule` says open at weekday/time; `None` if no hours known.
pub fn is_open(
    schedule: &[OpeningHours],
    weekday: chrono::Weekday,
    time: NaiveTime,
) -> Option<bool> {
    if schedule.is_empty() {
        return None;
    }
    let yesterday = weekday.pred();
    Some(schedule.iter().any(|h| {
        if h.opens <= h.closes {
            h.days.contains(&weekday) && h.opens <= time && time < h.closes
        } else {
            // Past midnight: open from `opens` today, or until `closes` after
            // a start yesterday.
            (h.days.contains(&weekday) && time >= h.opens)
                || (h.days.contains(&yesterday) && time < h.closes)
        }
    }))
}

struct Row {
    publisher: String,
    manifest: PackManifest,
    entry: Entry,
}

/// The entries of kind `?1` (optionally only id `?2`) with their packs'
/// publisher and manifest. Only the listed kinds are indexed by kind (see
/// store.rs): the condition is repeated so that the index serves it.
pub(crate) const ENTRIES_OF_KIND: &str = concat!(
    "SELECT p.publisher, p.manifest, e.pack, e.body FROM entries e JOIN packs p ON p.id = e.pack
     WHERE ",
    listed_kinds!(),
    " AND e.kind = ?1 AND (?2 IS NULL OR e.entry_id = ?2)"
);

impl ContentStore {
    /// Every entry of `kind`, one of the [`listed_kinds!`] (optionally with
    /// one id), with its pack.
    fn entries_of(&self, kind: &str, id: Option<&str>) -> Result<Vec<Row>> {
        let conn = self.conn();
        // The entries and their packs' lexicons of one snapshot.
        let conn = conn.unchecked_transaction()?;
        let packs = self.pack_snapshot(&conn)?;
        let mut stmt = conn.prepare_cached(ENTRIES_OF_KIND)?;
        let mut rows = stmt.query(params![kind, id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Row {
                publisher: r.get(0)?,
                manifest: json_from_text(r.get_ref(1)?.as_str()?)?,
                entry: packs.entry(&conn, r.get(2)?, r.get_ref(3)?.as_blob()?)?,
            });
        }
        Ok(out)
    }

    /// Services within a radius, nearest first.
    pub fn nearby(&self, q: &NearbyQuery) -> Result<Vec<NearbyService>> {
        let p = q.point;
        if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lon) {
            return Err(Error::invalid(
                "latitude must be -90..90 and longitude -180..180",
            ));
        }
        if !(q.radius_km > 0.0 && q.radius_km <= 20_000.0) {
            return Err(Error::invalid("radius must be between 0 and 20000 km"));
        }
        // A bounding box first (indexed), the exact distance after.
        let dlat = (q.radius_km / EARTH_RADIUS_KM).to_degrees();
        let dlon = (dlat / p.lat.to_radians().cos().max(0.01)).min(360.0);
        let candidates: Vec<(i64, String, String, Entry)> = {
            let conn = self.conn();
            // The entries and their packs' lexicons of one snapshot.
            let conn = conn.unchecked_transaction()?;
            let packs = self.pack_snapshot(&conn)?;
            let mut stmt = conn.prepare_cached(
                "SELECT p.id, p.publisher, p.manifest, e.body FROM entries e JOIN packs p ON p.id = e.pack
                 WHERE e.kind = 'service' AND e.lat BETWEEN ?1 AND ?2
                   AND (?5 OR e.lon BETWEEN ?3 AND ?4)",
            )?;
            let wraps = p.lon - dlon < -180.0 || p.lon + dlon > 180.0;
            stmt.query_map(
                params![
                    p.lat - dlat,
                    p.lat + dlat,
                    p.lon - dlon,
                    p.lon + dlon,
                    wraps
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Vec<u8>>(3)?)),
            )?
            .map(|row| {
                let (pack, publisher, manifest, coded) = row?;
                let entry = packs.entry(&conn, pack, &coded)?;
                Ok((pack, publisher, manifest, entry))
            })
            .collect::<Result<_>>()?
        };
        let now = self.clock().now();
        let phone_now = self.clock().local_now();
        // Each pack's manifest parsed once (it holds the time zone tables);
        // a phone has a handful of packs.
        let mut manifests: Vec<(i64, PackManifest)> = Vec::new();
        let mut out = Vec::new();
        for (pack, publisher, manifest, entry) in candidates {
            let Entry::Service(service) = entry else {
                continue;
            };
            let Some(at) = service.location else { continue };
            let distance = distance_km(p, at);
            if distance > q.radius_km {
                continue;
            }
            if q.category
                .as_ref()
                .is_some_and(|c| !service.categories.iter().any(|s| s.eq_ignore_ascii_case(c)))
            {
                continue;
            }
            if q.speaks
                .as_ref()
                .is_some_and(|l| !service.languages.iter().any(|s| same_language(s, l)))
            {
                continue;
            }
            if q.free_only && service.free != Some(true) {
                continue;
            }
            let i = match manifests.iter().position(|(id, _)| *id == pack) {
                Some(i) => i,
                None => {
                    manifests.push((pack, json_from_text(&manifest)?));
                    manifests.len() - 1
                }
            };
            let manifest = &manifests[i].1;
            let local = service_local_time(&service, manifest, now).unwrap_or(phone_now);
            let open_now = is_open(&service.schedule, local.weekday(), local.time());
            if q.open_now && open_now != Some(true) {
                continue;
            }
            let name = pick(&service.name, q.language.as_deref(), &manifest.fallback)
                .unwrap_or_default()
                .to_owned();
            out.push(NearbyService {
                name,
                distance_km: distance,
                open_now,
                provenance: self.provenance(&publisher, manifest, service.verified),
                service,
            });
        }
        crate::sort::sort_by(&mut out, |a, b| a.distance_km.total_cmp(&b.distance_km));
        out.truncate(q.limit);
        Ok(out)
    }

    /// A country's profiles (one per pack that has it), most recently
    /// verified first.
    pub fn country(&self, code: CountryCode) -> Result<Vec<WithProvenance<CountryProfile>>> {
        let mut out: Vec<_> = self
            .entries_of("country", Some(code.as_str()))?
            .into_iter()
            .filter_map(|r| match r.entry {
                Entry::Country(c) => Some(WithProvenance {
                    provenance: self.provenance(&r.publisher, &r.manifest, c.verified),
                    entry: c,
                }),
                _ => None,
            })
            .collect();
        crate::sort::sort_by(&mut out, |a, b| b.entry.verified.cmp(&a.entry.verified));
        Ok(out)
    }

    /// Routes with a leg from or to a place whose name (in any language)
    /// starts with `place`.
    pub fn routes(&self, place: &str) -> Result<Vec<WithProvenance<Route>>> {
        let wanted = fold(place.trim());
        if wanted.is_empty() {
            return Err(Error::invalid("name a place"));
        }
        let names_match = |t: &Translations| t.values().any(|n| fold(n).starts_with(&wanted));
        Ok(self
            .entries_of("route", None)?
            .into_iter()
            .filter_map(|r| match r.entry {
                Entry::Route(route)
                    if route
                        .segments
                        .iter()
                        .any(|s| names_match(&s.from.name) || names_match(&s.to.name)) =>
                {
                    Some(WithProvenance {
                        provenance: self.provenance(&r.publisher, &r.manifest, route.verified),
                        entry: route,
                    })
                }
                _ => None,
            })
            .collect())
    }

    /// Alerts in force now for a country or a point (all in force if the
    /// filter is empty), most severe first. Expired alerts are never
    /// returned.
    pub fn alerts(&self, filter: &AlertFilter) -> Result<Vec<WithProvenance<Alert>>> {
        let now = self.clock().now();
        let mut out: Vec<_> = self
            .entries_of("alert", None)?
            .into_iter()
            .filter_map(|r| match r.entry {
                Entry::Alert(a) => Some((r.publisher, r.manifest, a)),
                _ => None,
            })
            .filter(|(_, _, a)| a.valid_from <= now && a.valid_until.is_none_or(|u| now < u))
            .filter(|(_, _, a)| {
                let by_country = filter
                    .country
                    .is_some_and(|c| a.area.countries.contains(&c));
                let by_point = filter
                    .point
                    .zip(a.area.bbox)
                    .is_some_and(|(p, [w, s, e, n])| {
                        p.lat >= s
                            && p.lat <= n
                            && if w <= e {
                                p.lon >= w && p.lon <= e
                            } else {
                                p.lon >= w || p.lon <= e
                            }
                    });
                (filter.country.is_none() && filter.point.is_none()) || by_country || by_point
            })
            .map(|(publisher, manifest, a)| WithProvenance {
                provenance: self.provenance(&publisher, &manifest, a.verified),
                entry: a,
            })
            .collect();
        crate::sort::sort_by(&mut out, |a, b| {
            b.entry
                .severity
                .cmp(&a.entry.severity)
                .then(b.entry.valid_from.cmp(&a.entry.valid_from))
        });
        Ok(out)
    }
}

fn same_language(a: &str, b: &str) -> bool {
    primary_subtag(a).eq_ignore_ascii_case(primary_subtag(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose<'a>(available: &[&'a str], languages: &[&str]) -> Option<&'a str> {
        choose_language(available.iter().copied(), languages.iter().copied())
    }

    #[test]
    fn a_regional_tag_finds_its_language() {
        assert_eq!(choose(&["en", "ar"], &["ar-EG"]), Some("ar"));
        assert_eq!(choose(&["en", "ti"], &["ti_ER"]), Some("ti"));
    }

    #[test]
    fn the_exact_tag_wins_then_the_bare_language_then_another_variant() {
        assert_eq!(choose(&["ar", "ar-EG", "ar-SA"], &["ar-EG"]), Some("ar-EG"));
        assert_eq!(choose(&["ar-SA", "ar", "en"], &["ar-EG"]), Some("ar"));
        assert_eq!(choose(&["en", "ar-SA", "ar-MA"], &["ar-EG"]), Some("ar-MA"));
        assert_eq!(choose(&["fa", "fa-AF"], &["fa"]), Some("fa"));
    }

    #[test]
    fn case_does_not_matter() {
        assert_eq!(choose(&["EN", "pt-br"], &["pt-BR"]), Some("pt-br"));
        assert_eq!(choose(&["en", "Ar"], &["AR-eg"]), Some("Ar"));
    }

    #[test]
    fn languages_are_tried_in_order_before_any_text() {
        assert_eq!(choose(&["fr", "en"], &["ti", "en", "fr"]), Some("en"));
        // None served: the smallest tag, so something shows.
        assert_eq!(choose(&["fr", "de"], &["ti"]), Some("de"));
        assert_eq!(choose(&[], &["ti"]), None);
    }

    #[test]
    fn pick_uses_the_same_matching() {
        let t: Translations = [
            ("en".to_string(), "Clinic".to_string()),
            ("ar".to_string(), "عيادة".to_string()),
        ]
        .into_iter()
        .collect();
        assert_eq!(pick(&t, Some("ar-EG"), &[]), Some("عيادة"));
        assert_eq!(pick(&t, Some("ti"), &["en".into()]), Some("Clinic"));
    }
}
