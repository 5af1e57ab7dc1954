//! The time zone of each service's opening hours: resolved by
//! `waymark-pack` from the HSDS schedule or the country, checked, and
//! carried in the pack as a table of UTC offsets the phone applies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Datelike, Offset, TimeZone, Utc};
use waymark_core::content::model::{Entry, PackManifest, ZoneOffsets};
use waymark_core::content::pack::PackReader;

#[allow(dead_code)]
mod common;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .unwrap()
}

/// A copy of the sample pack (built 2026-11-20; services in Athens,
/// Thessaloniki, Rome, Milan, Madrid, Barcelona…, each schedule row naming
/// its zone).
struct Pack {
    _dir: tempfile::TempDir,
    src: PathBuf,
}

impl Pack {
    fn new() -> Pack {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mediterranean");
        common::copy_dir(&sample, &src);
        Pack { _dir: dir, src }
    }

    fn edit(&self, file: &str, from: &str, to: &str) -> &Pack {
        let path = self.src.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self
    }

    /// Builds the pack: its manifest and each service's zone.
    fn build(&self) -> (PackManifest, BTreeMap<String, Option<String>>) {
        let out = self.src.parent().unwrap().join("p.wmpack");
        let built = run(&[
            "build",
            self.src.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(built.status.success(), "{built:?}");
        let bytes = std::fs::read(&out).unwrap();
        let mut reader = PackReader::new(&bytes[..]).unwrap();
        let manifest = reader.manifest().clone();
        let zones = (&mut reader)
            .filter_map(|e| match e.unwrap() {
                Entry::Service(s) => Some((s.id, s.time_zone)),
                _ => None,
            })
            .collect();
        (manifest, zones)
    }

    /// `validate` must fail, its report holding every one of `needles`.
    fn fails_with(&self, needles: &[&str]) {
        let out = run(&["validate", self.src.to_str().unwrap()]);
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "validate passed:\n{report}");
        for n in needles {
            assert!(report.contains(n), "no {n:?} in:\n{report}");
        }
    }
}

const ATHENS_LEGAL: &str = "athens-legal,\"MO,TU,WE,TH,FR\",09:00,17:00,Europe/Athens";
const MADRID_LEGAL: &str = "madrid-legal,\"MO,TU,WE,TH,FR\",09:00,17:00,Europe/Madrid";

#[test]
fn the_zone_comes_from_the_schedule_and_else_from_a_country_with_one_time() {
    let pack = Pack::new();
    // The schedule names Africa/Tunis (as a Tunis office would).
    pack.edit(
        "services/schedule.csv",
        ATHENS_LEGAL,
        "athens-legal,\"MO,TU,WE,TH,FR\",09:00,17:00,Africa/Tunis",
    );
    // No zone given: Greece keeps one time, so Europe/Athens.
    pack.edit(
        "services/schedule.csv",
        "athens-shelter,\"MO,TU,WE,TH,FR,SA,SU\",20:00,08:00,Europe/Athens",
        "athens-shelter,\"MO,TU,WE,TH,FR,SA,SU\",20:00,08:00,",
    );
    let (manifest, zones) = pack.build();
    assert_eq!(zones["athens-legal"].as_deref(), Some("Africa/Tunis"));
    assert_eq!(zones["athens-shelter"].as_deref(), Some("Europe/Athens"));
    assert_eq!(zones["madrid-legal"].as_deref(), Some("Europe/Madrid"));
    assert_eq!(
        manifest.time_zones.keys().collect::<Vec<_>>(),
        [
            "Africa/Tunis",
            "Europe/Athens",
            "Europe/Madrid",
            "Europe/Rome"
        ],
        "one table per zone used, none for zones no service names"
    );
    assert_eq!(manifest.time_zones["Africa/Tunis"], "3600");
}

#[test]
fn a_country_with_several_times_needs_the_zone_named() {
    Pack::new()
        .edit(
            "services/schedule.csv",
            MADRID_LEGAL,
            "madrid-legal,\"MO,TU,WE,TH,FR\",09:00,17:00,",
        )
        .fails_with(&[
            "services/service.csv:44:",
            "ES has several time zones",
            "Europe/Madrid, Africa/Ceuta, Atlantic/Canary",
        ]);
}

#[test]
fn an_unknown_zone_name_is_an_error_with_the_name_meant() {
    for (typed, meant) in [
        ("Europe/Madird", "did you mean 'Europe/Madrid'?"),
        ("europe/madrid", "did you mean 'Europe/Madrid'?"),
        ("Tunis", "did you mean 'Africa/Tunis'?"),
        ("+01:00", "a fixed UTC offset cannot follow summer time"),
    ] {
        Pack::new()
            .edit(
                "services/schedule.csv",
                MADRID_LEGAL,
                &format!("madrid-legal,\"MO,TU,WE,TH,FR\",09:00,17:00,{typed}"),
            )
            .fails_with(&[
                "services/schedule.csv:50 [timezone]:",
                &format!("'{typed}' is not an IANA time zone name"),
                meant,
            ]);
    }
}

#[test]
fn the_offset_tables_match_the_time_zone_database_hour_by_hour() {
    let (manifest, _) = Pack::new().build();
    let year = manifest.built.year();
    let start = Utc.with_ymd_and_hms(year - 1, 1, 1, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(year + 16, 1, 1, 0, 0, 0).unwrap();
    assert!(!manifest.time_zones.is_empty());
    for (name, table) in &manifest.time_zones {
        let table = ZoneOffsets::parse(table).unwrap();
        let tz: chrono_tz::Tz = name.parse().unwrap();
        let mut t = start;
        while t < end {
            let expected = tz.offset_from_utc_datetime(&t.naive_utc()).fix();
            assert_eq!(
                table.offset_at(t),
                expected.local_minus_utc(),
                "{name} at {t}"
            );
            t += chrono::Duration::minutes(30);
        }
        // Two changes a year in a zone with summer time, for 17 years.
        assert_eq!(table.changes.len(), 34, "{name}");
    }
    // Summer time in Rome begins on 2027-03-28 at 01:00 UTC, to the second.
    let rome = ZoneOffsets::parse(&manifest.time_zones["Europe/Rome"]).unwrap();
    let change = DateTime::parse_from_rfc3339("2027-03-28T01:00:00Z")
        .unwrap()
        .timestamp();
    assert!(rome.changes.contains(&(change, 7200)), "{:?}", rome.changes);
}
