//! Content records as the apps see them: what a query returns, each with
//! its [`Provenance`], and their conversion from the core's model.
//!
//! Texts a person reads come as translations: a map from BCP 47 language
//! tag to text; the app shows the person's language, else the pack's
//! fallback (see [`crate::content::pick_translation`]).
//! Dates are ISO 8601 text, times of day `HH:MM`, coordinates WGS84.

use std::collections::HashMap;
use std::time::SystemTime;

use waymark_core::content::{self as core, model};

use crate::num::long;

/// Text in several languages: BCP 47 tag → text.
pub type Translations = HashMap<String, String>;

fn tr(t: model::Translations) -> Translations {
    t.into_iter().collect()
}

fn codes(c: Vec<waymark_core::types::CountryCode>) -> Vec<String> {
    c.into_iter().map(|c| c.to_string()).collect()
}

/// Where an entry comes from and how old the publisher's word on it is.
/// Apps show it next to every entry, so that a person can tell a verified
/// NGO's word from a rumour.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Provenance {
    /// Publisher id (from the trust store).
    pub publisher: String,
    /// The publisher's display name.
    pub publisher_name: String,
    /// Pack id.
    pub pack: String,
    /// Pack version.
    pub pack_version: i64,
    /// When the publisher last verified the entry, ISO 8601.
    pub verified: String,
    /// Days since then.
    pub age_days: i64,
    /// True for sample data, which apps must label as such.
    pub sample: bool,
}

impl From<core::Provenance> for Provenance {
    fn from(p: core::Provenance) -> Self {
        Provenance {
            publisher: p.publisher,
            publisher_name: p.publisher_name,
            pack: p.pack,
            pack_version: long(p.pack_version),
            verified: p.verified.to_string(),
            age_days: p.age_days,
            sample: p.sample,
        }
    }
}

/// A WGS84 point. Where the person is never leaves the device.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPoint {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub lon: f64,
}

impl From<model::GeoPoint> for GeoPoint {
    fn from(p: model::GeoPoint) -> Self {
        GeoPoint {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

impl From<GeoPoint> for model::GeoPoint {
    fn from(p: GeoPoint) -> Self {
        model::GeoPoint {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl From<chrono::Weekday> for Weekday {
    fn from(d: chrono::Weekday) -> Self {
        match d {
            chrono::Weekday::Mon => Weekday::Monday,
            chrono::Weekday::Tue => Weekday::Tuesday,
            chrono::Weekday::Wed => Weekday::Wednesday,
            chrono::Weekday::Thu => Weekday::Thursday,
            chrono::Weekday::Fri => Weekday::Friday,
            chrono::Weekday::Sat => Weekday::Saturday,
            chrono::Weekday::Sun => Weekday::Sunday,
        }
    }
}

/// Opening hours on some days, in the service's local time.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OpeningHours {
    /// The days these hours apply to.
    pub days: Vec<Weekday>,
    /// Opening time, `HH:MM`.
    pub opens: String,
    /// Closing time, `HH:MM`; earlier than `opens` means past midnight.
    pub closes: String,
}

/// A phone number.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Phone {
    /// As dialled, e.g. `+30 210 000 0000`.
    pub number: String,
    /// What it is for.
    pub description: Translations,
}

/// A service: legal aid, shelter, clinic, hotline…
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Service {
    /// Id within the pack.
    pub id: String,
    /// The organisation that runs it.
    pub organization: Option<String>,
    /// Name.
    pub name: Translations,
    /// Description.
    pub description: Translations,
    /// Categories (`legal`, `shelter`, `health`, `food`, `hotline`…).
    pub categories: Vec<String>,
    /// Where it is (none for a hotline).
    pub location: Option<GeoPoint>,
    /// Street address, one line.
    pub address: Option<String>,
    /// Country it is in, ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// E-mail.
    pub email: Option<String>,
    /// Web site.
    pub url: Option<String>,
    /// Languages spoken (BCP 47).
    pub languages: Vec<String>,
    /// Free of charge, if known.
    pub free: Option<bool>,
    /// Opening hours; empty means unknown.
    pub schedule: Vec<OpeningHours>,
    /// Last verified by the publisher, ISO 8601.
    pub verified: String,
}

/// `HH:MM`. Not chrono's `format`: its format-string machinery cost the
/// native library 7 KB for this one use.
fn hm(t: chrono::NaiveTime) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02}", t.hour(), t.minute())
}

impl From<model::Service> for Service {
    fn from(s: model::Service) -> Self {
        Service {
            id: s.id,
            organization: s.organization,
            name: tr(s.name),
            description: tr(s.description),
            categories: s.categories,
            location: s.location.map(Into::into),
            address: s.address,
            country: s.country.map(|c| c.to_string()),
            phones: s
                .phones
                .into_iter()
                .map(|p| Phone {
                    number: p.number,
                    description: tr(p.description),
                })
                .collect(),
            email: s.email,
            url: s.url,
            languages: s.languages,
            free: s.free,
            schedule: s
                .schedule
                .into_iter()
                .map(|h| OpeningHours {
                    days: h.days.into_iter().map(Into::into).collect(),
                    opens: hm(h.opens),
                    closes: hm(h.closes),
                })
                .collect(),
            verified: s.verified.to_string(),
        }
    }
}

/// A service found near a point.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NearbyService {
    /// Its name in the language asked for (or the pack's fallback).
    pub name: String,
    /// Distance from the query point, km.
    pub distance_km: f64,
    /// Open now by its schedule (`null`/`nil`: hours unknown).
    pub open_now: Option<bool>,
    /// The whole entry.
    pub service: Service,
    /// Where it comes from.
    pub provenance: Provenance,
}

impl From<core::NearbyService> for NearbyService {
    fn from(n: core::NearbyService) -> Self {
        NearbyService {
            name: n.name,
            distance_km: n.distance_km,
            open_now: n.open_now,
            service: n.service.into(),
            provenance: n.provenance.into(),
        }
    }
}

/// A character range of a snippet that matched the query, in UTF-16 code
/// units (Kotlin `String` indices; Swift `String.UTF16View` / `NSRange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Highlight {
    /// First code unit of the match.
    pub start: i32,
    /// One past its last code unit.
    pub end: i32,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SearchHit {
    /// `article`, `service`, `country`, `route` or `alert`.
    pub kind: String,
    /// The entry's id within its pack.
    pub id: String,
    /// The language shown (BCP 47).
    pub language: String,
    /// Title in that language.
    pub title: String,
    /// Words around the first match, in that language.
    pub snippet: String,
    /// The parts of `snippet` that matched.
    pub highlights: Vec<Highlight>,
    /// bm25 score (lower is better).
    pub score: f64,
    /// Where it comes from and how old it is.
    pub provenance: Provenance,
}

/// A word of the query that matched nothing, and the indexed word used
/// instead ("did you mean…").
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Correction {
    /// As typed.
    pub typed: String,
    /// As searched.
    pub used: String,
}

/// Search results, best first, and the corrections made to the query.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SearchResults {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// Words corrected (empty when the query matched as typed).
    pub corrections: Vec<Correction>,
}

/// A UTF-8 byte offset into `s` as a UTF-16 offset.
fn utf16_offset(s: &str, byte: usize) -> i32 {
    let byte = byte.min(s.len());
    // Highlights fall on character boundaries; floor to one if not.
    let mut end = byte;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    i32::try_from(s[..end].encode_utf16().count()).unwrap_or(i32::MAX)
}

impl From<core::SearchResults> for SearchResults {
    fn from(r: core::SearchResults) -> Self {
        SearchResults {
            hits: r
                .hits
                .into_iter()
                .map(|h| SearchHit {
                    highlights: h
                        .highlights
                        .iter()
                        .map(|&(a, b)| Highlight {
                            start: utf16_offset(&h.snippet, a),
                            end: utf16_offset(&h.snippet, b),
                        })
                        .collect(),
                    kind: h.kind,
                    id: h.id,
                    language: h.language,
                    title: h.title,
                    snippet: h.snippet,
                    score: h.score,
                    provenance: h.provenance.into(),
                })
                .collect(),
            corrections: r
                .corrections
                .into_iter()
                .map(|(typed, used)| Correction { typed, used })
                .collect(),
        }
    }
}

/// An emergency number.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EmergencyNumber {
    /// What it reaches (`general`, `police`, `ambulance`, `fire`, …).
    pub service: String,
    /// As dialled.
    pub number: String,
}

/// An embassy or consulate.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Mission {
    /// `embassy` or `consulate`.
    pub kind: String,
    /// Whose mission it is, ISO 3166-1 alpha-2.
    pub of_country: String,
    /// City.
    pub city: String,
    /// Address.
    pub address: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Web site.
    pub url: Option<String>,
}

/// A link with a title.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Link {
    /// Title.
    pub title: Translations,
    /// Address.
    pub url: String,
}

/// What a person needs to know about a country, from one pack.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CountryProfile {
    /// The country, ISO 3166-1 alpha-2.
    pub code: String,
    /// Its name.
    pub name: Translations,
    /// Emergency numbers.
    pub emergency: Vec<EmergencyNumber>,
    /// Embassies and consulates in this country.
    pub missions: Vec<Mission>,
    /// How asylum is asked for.
    pub asylum: Translations,
    /// Rights.
    pub rights: Translations,
    /// Useful links.
    pub links: Vec<Link>,
    /// Last verified by the publisher, ISO 8601.
    pub verified: String,
    /// Where it comes from.
    pub provenance: Provenance,
}

impl From<core::WithProvenance<model::CountryProfile>> for CountryProfile {
    fn from(w: core::WithProvenance<model::CountryProfile>) -> Self {
        let c = w.entry;
        CountryProfile {
            code: c.code.to_string(),
            name: tr(c.name),
            emergency: c
                .emergency
                .into_iter()
                .map(|e| EmergencyNumber {
                    service: e.service,
                    number: e.number,
                })
                .collect(),
            missions: c
                .missions
                .into_iter()
                .map(|m| Mission {
                    kind: m.kind,
                    of_country: m.of_country.to_string(),
                    city: m.city,
                    address: m.address,
                    phone: m.phone,
                    url: m.url,
                })
                .collect(),
            asylum: tr(c.asylum),
            rights: tr(c.rights),
            links: c
                .links
                .into_iter()
                .map(|l| Link {
                    title: tr(l.title),
                    url: l.url,
                })
                .collect(),
            verified: c.verified.to_string(),
            provenance: w.provenance.into(),
        }
    }
}

/// A named place on a route.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Place {
    /// Name, as commonly written.
    pub name: Translations,
    /// Country, ISO 3166-1 alpha-2.
    pub country: String,
    /// Where it is.
    pub location: Option<GeoPoint>,
}

impl From<model::Place> for Place {
    fn from(p: model::Place) -> Self {
        Place {
            name: tr(p.name),
            country: p.country.to_string(),
            location: p.location.map(Into::into),
        }
    }
}

/// One leg of a route.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Segment {
    /// Where it starts.
    pub from: Place,
    /// Where it ends.
    pub to: Place,
    /// How people travel it (`bus`, `boat`, `foot`…).
    pub mode: Option<String>,
    /// What to know.
    pub notes: Translations,
    /// Known risks.
    pub risks: Translations,
    /// True if it crosses a border.
    pub border_crossing: bool,
}

/// A route and its legs, from one pack.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Route {
    /// Id within the pack.
    pub id: String,
    /// Name.
    pub name: Translations,
    /// The legs, in order.
    pub segments: Vec<Segment>,
    /// Last verified by the publisher, ISO 8601.
    pub verified: String,
    /// Where it comes from.
    pub provenance: Provenance,
}

impl From<core::WithProvenance<model::Route>> for Route {
    fn from(w: core::WithProvenance<model::Route>) -> Self {
        let r = w.entry;
        Route {
            id: r.id,
            name: tr(r.name),
            segments: r
                .segments
                .into_iter()
                .map(|s| Segment {
                    from: s.from.into(),
                    to: s.to.into(),
                    mode: s.mode,
                    notes: tr(s.notes),
                    risks: tr(s.risks),
                    border_crossing: s.border_crossing,
                })
                .collect(),
            verified: r.verified.to_string(),
            provenance: w.provenance.into(),
        }
    }
}

/// How serious an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum Severity {
    /// Good to know.
    Info,
    /// Take care.
    Warning,
    /// Danger to life or liberty.
    Danger,
}

/// Where an alert applies: countries, a bounding box, or both.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Area {
    /// Countries, ISO 3166-1 alpha-2.
    pub countries: Vec<String>,
    /// `[min_lon, min_lat, max_lon, max_lat]`, if any.
    pub bbox: Option<Vec<f64>>,
}

/// A route or border alert in force, from one pack.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Alert {
    /// Id within the pack.
    pub id: String,
    /// How serious.
    pub severity: Severity,
    /// Title.
    pub title: Translations,
    /// What to know.
    pub body: Translations,
    /// Where it applies.
    pub area: Area,
    /// In force from.
    pub valid_from: SystemTime,
    /// In force until (never returned after it).
    pub valid_until: Option<SystemTime>,
    /// Last verified by the publisher, ISO 8601.
    pub verified: String,
    /// Where it comes from.
    pub provenance: Provenance,
}

impl From<core::WithProvenance<model::Alert>> for Alert {
    fn from(w: core::WithProvenance<model::Alert>) -> Self {
        let a = w.entry;
        Alert {
            id: a.id,
            severity: match a.severity {
                model::Severity::Info => Severity::Info,
                model::Severity::Warning => Severity::Warning,
                model::Severity::Danger => Severity::Danger,
            },
            title: tr(a.title),
            body: tr(a.body),
            area: Area {
                countries: codes(a.area.countries),
                bbox: a.area.bbox.map(|b| b.to_vec()),
            },
            valid_from: a.valid_from.into(),
            valid_until: a.valid_until.map(Into::into),
            verified: a.verified.to_string(),
            provenance: w.provenance.into(),
        }
    }
}

/// A pack as installed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InstalledPack {
    /// The publisher it was verified against.
    pub publisher: String,
    /// The publisher's display name.
    pub publisher_name: String,
    /// Pack id, unique for the publisher.
    pub id: String,
    /// Version installed.
    pub version: i64,
    /// The pack's title.
    pub title: Translations,
    /// Languages it has texts in.
    pub languages: Vec<String>,
    /// The order in which languages stand in for a missing translation.
    pub fallback: Vec<String>,
    /// True for sample data, which apps must label as such.
    pub sample: bool,
    /// When this version was built, ISO 8601.
    pub built: String,
    /// Entries in it.
    pub entries: i64,
    /// When it was installed.
    pub installed_at: SystemTime,
    /// What the install that returned it changed (`installPackFromFile`);
    /// `null`/`nil` in `packs()`.
    pub changes: Option<crate::sync::PackChanges>,
}

impl From<core::InstalledPack> for InstalledPack {
    fn from(p: core::InstalledPack) -> Self {
        let m = p.manifest;
        InstalledPack {
            publisher: p.publisher,
            publisher_name: m.publisher.name,
            id: m.id,
            version: long(m.version),
            title: tr(m.title),
            languages: m.languages,
            fallback: m.fallback,
            sample: m.sample,
            built: m.built.to_string(),
            entries: long(m.entries),
            installed_at: p.installed_at.into(),
            changes: p.changes.map(Into::into),
        }
    }
}

/// A pack written to a file for sharing with another phone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExportedPack {
    /// The publisher's id.
    pub publisher: String,
    /// The pack's id.
    pub pack: String,
    /// Its version.
    pub version: i64,
    /// The file's size in bytes.
    pub bytes: i64,
    /// Until when another phone can install it (the earliest expiry of the
    /// signed metadata it carries): tell the person to share it soon.
    pub valid_until: SystemTime,
}

impl From<core::ExportedPack> for ExportedPack {
    fn from(e: core::ExportedPack) -> Self {
        ExportedPack {
            publisher: e.publisher,
            pack: e.pack,
            version: long(e.version),
            bytes: long(e.bytes),
            valid_until: e.valid_until.into(),
        }
    }
}

/// A publisher this phone trusts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TrustedPublisher {
    /// Id, as its packs name it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Fingerprint of its root keys: show it so the person can compare it
    /// with the one the publisher gives out. It is that of the first root
    /// this phone trusted (for a card, the publisher's first root), so it
    /// stays the same when the publisher rotates its root key.
    pub fingerprint: String,
    /// Version of the newest root verified.
    pub root_version: i64,
    /// Repository URL, for sync (`null`/`nil`: offline bundles only).
    pub url: Option<String>,
    /// When it was added.
    pub added_at: SystemTime,
}

impl From<core::TrustedPublisher> for TrustedPublisher {
    fn from(p: core::TrustedPublisher) -> Self {
        TrustedPublisher {
            id: p.id,
            name: p.name,
            fingerprint: p.fingerprint,
            root_version: long(p.root_version),
            url: p.url,
            added_at: p.added_at.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{hm, utf16_offset};

    #[test]
    fn opening_times_are_two_digit_hours_and_minutes() {
        let t = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 59).unwrap();
        assert_eq!(hm(t(9, 5)), "09:05");
        assert_eq!(hm(t(23, 30)), "23:30");
        assert_eq!(hm(t(0, 0)), "00:00");
    }

    #[test]
    fn highlight_offsets_count_utf16_code_units() {
        let s = "مركز الشرطة 𝄞 x";
        // Arabic letters are one UTF-16 unit (two UTF-8 bytes) each.
        assert_eq!(utf16_offset(s, "مركز".len()), 4);
        // A character outside the BMP is two UTF-16 units (four bytes).
        let before_x = s.len() - 1;
        assert_eq!(
            utf16_offset(s, before_x),
            s.encode_utf16().count() as i32 - 1
        );
        assert_eq!(
            utf16_offset(s, s.len() + 10),
            s.encode_utf16().count() as i32
        );
    }
}
