//! What a content pack holds: the contract between `waymark-pack`, which
//! writes packs, and the phone, which installs and searches them.
//!
//! Every text a person reads is a [`Translations`] map keyed by BCP 47
//! language tag. Countries are ISO 3166-1 alpha-2, dates ISO 8601,
//! coordinates WGS84 decimal degrees. Every entry carries the date the
//! publisher last verified it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::types::CountryCode;

/// The pack file format this code writes and reads.
pub const PACK_FORMAT: u32 = 1;

/// Text in several languages: BCP 47 tag → text. Ordered, so that the same
/// input always serialises to the same bytes.
pub type Translations = BTreeMap<String, String>;

/// A pack's first record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackManifest {
    /// Always [`PACK_FORMAT`] for packs this code reads.
    pub format: u32,
    /// Stable id, unique for the publisher (`eritrea-route-info`).
    pub id: String,
    /// Increases with every published build.
    pub version: u64,
    /// Who publishes it.
    pub publisher: Publisher,
    /// The pack's title.
    pub title: Translations,
    /// Languages the pack has texts in.
    pub languages: Vec<String>,
    /// The order in which languages stand in for a missing translation,
    /// e.g. `["ti", "am", "en"]`.
    pub fallback: Vec<String>,
    /// True for sample or test data, which apps must label as such.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sample: bool,
    /// When this version was built (taken from the source, so builds are
    /// reproducible).
    pub built: NaiveDate,
    /// How many entries follow the manifest.
    pub entries: u64,
    /// The UTC offsets of every time zone a service of the pack names in
    /// [`Service::time_zone`], by IANA name, each in the text form of
    /// [`ZoneOffsets`], so that a phone can tell "open now" in the
    /// service's own time without a time zone database. Optional: packs
    /// built before it have none (their services' hours are read in the
    /// phone's own time zone).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub time_zones: BTreeMap<String, String>,
}

/// One time zone's UTC offsets over the years a pack is meant to be used
/// (`waymark-pack` writes the changes from the year before the build to 15
/// years after it, from the IANA time zone database).
///
/// In a manifest it is text: integers separated by spaces, the offset
/// before the first change, then each change as its moment and its new
/// offset, e.g. Europe/Rome `"3600 1711846800 7200 1729990800 3600 …"`
/// (text, so that phones read it with no more code than a string map
/// needs). Before the first change `offset` applies; after the last change
/// its offset applies for ever (a pack older than the table is an hour off
/// at most in a zone with summer time, and exact in one without).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneOffsets {
    /// Seconds east of UTC before the first change (Africa/Tunis: 3600).
    pub offset: i32,
    /// Each change, in time order: the moment it takes effect (Unix
    /// seconds, UTC) and the new offset (seconds east of UTC).
    pub changes: Vec<(i64, i32)>,
}

impl std::fmt::Display for ZoneOffsets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.offset)?;
        for (at, offset) in &self.changes {
            write!(f, " {at} {offset}")?;
        }
        Ok(())
    }
}

impl ZoneOffsets {
    /// Reads the text form (see above); `None` if it is not that.
    pub fn parse(text: &str) -> Option<ZoneOffsets> {
        let mut numbers = text.split_ascii_whitespace().map(str::parse::<i64>);
        let offset = i32::try_from(numbers.next()?.ok()?).ok()?;
        let mut changes = Vec::new();
        while let Some(at) = numbers.next() {
            let to = i32::try_from(numbers.next()?.ok()?).ok()?;
            changes.push((at.ok()?, to));
        }
        Some(ZoneOffsets { offset, changes })
    }

    /// The offset in force at `at`, in seconds east of UTC.
    pub fn offset_at(&self, at: DateTime<Utc>) -> i32 {
        let t = at.timestamp();
        match self.changes.partition_point(|&(from, _)| from <= t) {
            0 => self.offset,
            i => self.changes[i - 1].1,
        }
    }

    /// The wall-clock time in this zone at `at`; `None` if the table holds
    /// an offset no zone has (beyond ±24 hours).
    pub fn local_time(&self, at: DateTime<Utc>) -> Option<NaiveDateTime> {
        let offset = chrono::FixedOffset::east_opt(self.offset_at(at))?;
        Some(at.with_timezone(&offset).naive_local())
    }
}

/// A publisher, as named in its packs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publisher {
    /// Stable id (`example-legal-aid`).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// One record of a pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// An article, one language version of it.
    Article(Article),
    /// A service: legal aid, shelter, clinic, hotline…
    Service(Service),
    /// A country profile.
    Country(CountryProfile),
    /// A route and its segments.
    Route(Route),
    /// An alert for an area and a period.
    Alert(Alert),
}

impl Entry {
    /// Parses one entry from its JSON.
    ///
    /// Writers put `"type"` first (serde writes a tagged enum's tag first),
    /// and then the variant's struct is parsed directly: serde's general
    /// path for a tagged enum buffers the whole object before it can look
    /// at the tag, which made parsing a third of a large install. In any
    /// other layout the tag is read first, in a pass that skips the other
    /// fields, and then the variant's struct is parsed from the same bytes,
    /// as on the fast path (a struct ignores the `"type"` field). Either way
    /// the same objects are accepted, and an error says where it is.
    /// (serde's general path is not used at all: its buffering code for
    /// every entry type cost 90 KB of the native library.)
    pub fn from_json(json: &str) -> serde_json::Result<Entry> {
        if let Some(rest) = json.strip_prefix("{\"type\":\"")
            && let Some(end) = rest.find('"')
        {
            match &rest[..end] {
                "service" => return serde_json::from_str(json).map(Entry::Service),
                "article" => return serde_json::from_str(json).map(Entry::Article),
                "country" => return serde_json::from_str(json).map(Entry::Country),
                "route" => return serde_json::from_str(json).map(Entry::Route),
                "alert" => return serde_json::from_str(json).map(Entry::Alert),
                _ => {}
            }
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Article,
            Service,
            Country,
            Route,
            Alert,
        }
        #[derive(Deserialize)]
        struct Tag {
            #[serde(rename = "type")]
            kind: Kind,
        }
        Ok(match serde_json::from_str::<Tag>(json)?.kind {
            Kind::Service => Entry::Service(serde_json::from_str(json)?),
            Kind::Article => Entry::Article(serde_json::from_str(json)?),
            Kind::Country => Entry::Country(serde_json::from_str(json)?),
            Kind::Route => Entry::Route(serde_json::from_str(json)?),
            Kind::Alert => Entry::Alert(serde_json::from_str(json)?),
        })
    }
}

impl Entry {
    /// The entry's id within its pack (for a country, its code).
    pub fn id(&self) -> &str {
        match self {
            Entry::Article(a) => &a.id,
            Entry::Service(s) => &s.id,
            Entry::Country(c) => c.code.as_str(),
            Entry::Route(r) => &r.id,
            Entry::Alert(a) => &a.id,
        }
    }

    /// When the publisher last verified it.
    pub fn verified(&self) -> NaiveDate {
        match self {
            Entry::Article(a) => a.verified,
            Entry::Service(s) => s.verified,
            Entry::Country(c) => c.verified,
            Entry::Route(r) => r.verified,
            Entry::Alert(a) => a.verified,
        }
    }
}

/// An article in one language (translations are separate entries with the
/// same id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Shared by the translations of one article.
    pub id: String,
    /// BCP 47 tag of this version.
    pub language: String,
    /// Title.
    pub title: String,
    /// Body, Markdown.
    pub body: String,
    /// Countries it is about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<CountryCode>,
    /// Topics (`asylum`, `health`, `work`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Last verified by the publisher.
    pub verified: NaiveDate,
    /// No longer valid after this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
}

/// A WGS84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub lon: f64,
}

/// Opening hours on some days (HSDS `schedule`: `byday`, `opens_at`,
/// `closes_at`), in the service's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// The days these hours apply to.
    pub days: Vec<Weekday>,
    /// Opening time.
    pub opens: NaiveTime,
    /// Closing time; earlier than `opens` means past midnight.
    pub closes: NaiveTime,
}

/// A phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// As dialled, e.g. `+30 210 000 0000`.
    pub number: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub description: Translations,
}

/// A service from an Open Referral HSDS directory (or an HXL sheet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Id within the pack.
    pub id: String,
    /// The organisation that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Name.
    pub name: Translations,
    /// Description.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub description: Translations,
    /// Categories (`legal`, `shelter`, `health`, `food`, `hotline`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Where it is (none for a hotline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Street address, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Country it is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Web site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Languages spoken (BCP 47).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Free of charge, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free: Option<bool>,
    /// Opening hours; empty means unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<OpeningHours>,
    /// The IANA time zone its opening hours are in (`Africa/Tunis`), one
    /// of the manifest's [`PackManifest::time_zones`]. Absent in packs
    /// built before it: the hours are then read in the phone's time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Last verified by the publisher.
    pub verified: NaiveDate,
}

/// An emergency number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyNumber {
    /// What it reaches (`general`, `police`, `ambulance`, `fire`, …).
    pub service: String,
    /// As dialled.
    pub number: String,
}

/// An embassy or consulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mission {
    /// `embassy` or `consulate`.
    pub kind: String,
    /// Whose mission it is.
    pub of_country: CountryCode,
    /// City.
    pub city: String,
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Web site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A link with a title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Title.
    pub title: Translations,
    /// Address.
    pub url: String,
}

/// What a person needs to know about a country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryProfile {
    /// The country.
    pub code: CountryCode,
    /// Its name.
    pub name: Translations,
    /// Emergency numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emergency: Vec<EmergencyNumber>,
    /// Embassies and consulates in this country.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missions: Vec<Mission>,
    /// How asylum is asked for.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub asylum: Translations,
    /// Rights.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub rights: Translations,
    /// Useful links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Last verified by the publisher.
    pub verified: NaiveDate,
}

/// A named place on a route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Name, as commonly written.
    pub name: Translations,
    /// Country.
    pub country: CountryCode,
    /// Where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
}

/// One leg of a route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// From.
    pub from: Place,
    /// To.
    pub to: Place,
    /// How (`bus`, `foot`, `boat`, `train`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// What to know.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub notes: Translations,
    /// Known risks.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub risks: Translations,
    /// True where the leg crosses a border.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub border_crossing: bool,
}

/// A route between places.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Id within the pack.
    pub id: String,
    /// Name.
    pub name: Translations,
    /// Legs in order.
    pub segments: Vec<Segment>,
    /// Last verified by the publisher.
    pub verified: NaiveDate,
}

/// How serious an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Good to know.
    Info,
    /// Take care.
    Warning,
    /// Danger to life or liberty.
    Danger,
}

/// Where an alert applies: countries, a bounding box, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// Countries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<CountryCode>,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
}

/// A route or border alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Id within the pack.
    pub id: String,
    /// How serious.
    pub severity: Severity,
    /// Title.
    pub title: Translations,
    /// What to know.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub body: Translations,
    /// Where it applies.
    pub area: Area,
    /// In force from.
    pub valid_from: DateTime<Utc>,
    /// In force until (never returned after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
    /// Last verified by the publisher.
    pub verified: NaiveDate,
}
