//! Mistakes that once passed `validate` with "no problems": each is made
//! in a copy of the sample pack, and `validate` must fail (or warn, where
//! the mistake is only implausible), naming the file, the row and the field.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use waymark_core::content::model::Entry;

#[allow(dead_code)]
mod common;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mediterranean")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .unwrap()
}

/// A copy of the sample pack.
struct Pack {
    _dir: tempfile::TempDir,
    src: PathBuf,
}

impl Pack {
    fn new() -> Pack {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        common::copy_dir(&sample(), &src);
        Pack { _dir: dir, src }
    }

    /// Replaces `from` (which must be there) with `to` in `file`.
    fn edit(&self, file: &str, from: &str, to: &str) -> &Pack {
        let path = self.src.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self
    }

    /// `validate`: whether it passed, and what it printed.
    fn validate(&self) -> (bool, String) {
        let out = run(&["validate", self.src.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// `validate` must fail, and its report hold every one of `needles`.
    fn fails_with(&self, needles: &[&str]) -> String {
        let (ok, report) = self.validate();
        assert!(!ok, "validate passed:\n{report}");
        for n in needles {
            assert!(report.contains(n), "no {n:?} in:\n{report}");
        }
        report
    }

    /// `validate` must pass, with warnings holding every one of `needles`.
    fn warns_with(&self, needles: &[&str]) -> String {
        let (ok, report) = self.validate();
        assert!(ok, "validate failed:\n{report}");
        for n in needles {
            assert!(report.contains(n), "no {n:?} in:\n{report}");
        }
        report
    }
}

#[test]
fn the_sample_pack_has_no_errors() {
    let (ok, report) = Pack::new().validate();
    assert!(ok, "{report}");
    assert!(!report.contains("latitude"), "{report}");
}

// Coordinates.

#[test]
fn swapped_latitude_and_longitude_are_an_error() {
    let report = Pack::new()
        .edit(
            "services/location.csv",
            "37.97780,23.72450",
            "23.72450,37.97780",
        )
        .fails_with(&["services/location.csv:2 [latitude/longitude]", "swapped"]);
    assert!(!report.contains("no such location"), "{report}");
}

#[test]
fn a_point_at_zero_zero_is_an_error() {
    Pack::new()
        .edit("services/location.csv", "37.97780,23.72450", "0,0")
        .fails_with(&[
            "services/location.csv:2 [latitude/longitude]",
            "coordinates are missing",
        ]);
}

#[test]
fn a_point_outside_the_country_of_its_address_is_a_warning() {
    // Athens' legal aid desk placed in Rome: plausible coordinates, wrong country.
    Pack::new()
        .edit(
            "services/location.csv",
            "37.97780,23.72450",
            "41.90280,12.49640",
        )
        .warns_with(&[
            "services/location.csv:2 [latitude/longitude]: warning",
            "in IT, not in GR",
        ]);
}

#[test]
fn a_point_at_sea_is_a_warning() {
    Pack::new()
        .edit("services/location.csv", "37.97780,23.72450", "35.5,19.0")
        .warns_with(&[
            "services/location.csv:2 [latitude/longitude]: warning",
            "at sea",
        ]);
}

#[test]
fn a_route_point_with_swapped_axes_is_an_error() {
    Pack::new()
        .edit(
            "routes/lesvos-athens-thessaloniki.yaml",
            "location: {lat: 39.1047, lon: 26.5546}",
            "location: {lat: 26.5546, lon: 39.1047}",
        )
        .fails_with(&[
            "routes/lesvos-athens-thessaloniki.yaml:5 [segment 1 location]",
            "swapped",
        ]);
}

#[test]
fn an_alert_bbox_with_swapped_axes_is_an_error() {
    Pack::new()
        .edit(
            "alerts/border-fake-opening.yaml",
            "bbox: [22.0, 40.8, 23.0, 41.4]",
            "bbox: [40.8, 22.0, 41.4, 23.0]",
        )
        .fails_with(&["alerts/border-fake-opening.yaml:5 [bbox]", "axes swapped"]);
}

// Phone numbers.

#[test]
fn a_number_a_spreadsheet_turned_into_scientific_notation_is_an_error() {
    Pack::new()
        .edit("services/phone.csv", "+30 210 0000001", "2.16700E+10")
        .fails_with(&["services/phone.csv:2 [number]", "scientific notation"]);
}

#[test]
fn a_number_that_lost_its_plus_is_an_error() {
    Pack::new()
        .edit("services/phone.csv", "+30 210 0000001", "39 06 12345678")
        .fails_with(&["services/phone.csv:2 [number]", "leading + was lost"]);
}

#[test]
fn free_text_instead_of_a_number_is_an_error() {
    Pack::new()
        .edit("services/phone.csv", "+30 210 0000001", "call us")
        .fails_with(&["services/phone.csv:2 [number]", "not a phone number"]);
}

#[test]
fn phone_numbers_are_built_in_e164() {
    let pack = Pack::new();
    // A national number, read with the country of the service's address.
    pack.edit("services/phone.csv", "+30 210 0000001", "210 000 0001");
    let out = pack.src.parent().unwrap().join("p.wmpack");
    let built = run(&[
        "build",
        pack.src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(built.status.success(), "{built:?}");
    let bytes = std::fs::read(&out).unwrap();
    let reader = waymark_core::content::pack::PackReader::new(&bytes[..]).unwrap();
    let numbers: Vec<String> = reader
        .filter_map(|e| match e.unwrap() {
            Entry::Service(s) => Some(s.phones),
            _ => None,
        })
        .flatten()
        .map(|p| p.number)
        .collect();
    assert!(numbers.contains(&"+302100000001".to_owned()), "{numbers:?}");
    assert!(
        numbers
            .iter()
            .all(|n| n.starts_with('+') && n[1..].bytes().all(|b| b.is_ascii_digit())),
        "{numbers:?}"
    );
}

// Unknown keys and explicit ends.

#[test]
fn a_misspelt_alert_key_is_an_error_with_the_key_it_meant() {
    let report = Pack::new()
        .edit(
            "alerts/ferry-strike-2026-11.yaml",
            "valid_until:",
            "valid_untill:",
        )
        .fails_with(&[
            "alerts/ferry-strike-2026-11.yaml:7: unknown key 'valid_untill' (did you mean 'valid_until'?)",
        ]);
    assert!(!report.contains("has no valid_until"), "{report}");
}

#[test]
fn a_misspelt_nested_key_is_an_error() {
    Pack::new()
        .edit(
            "alerts/border-fake-opening.yaml",
            "countries: [GR, MK]",
            "countrys: [GR, MK]",
        )
        .fails_with(&["unknown key 'area.countrys' (did you mean 'countries'?)"]);
}

#[test]
fn a_misspelt_front_matter_key_is_an_error_with_the_key_it_meant() {
    Pack::new()
        .edit(
            "articles/asylum/asylum-right-to-ask.fr.md",
            "verified:",
            "verfied:",
        )
        .fails_with(&[
            "articles/asylum/asylum-right-to-ask.fr.md:7: front matter: unknown key 'verfied' (did you mean 'verified'?)",
        ]);
}

#[test]
fn an_alert_without_an_end_must_say_none() {
    let pack = Pack::new();
    pack.edit("alerts/border-fake-opening.yaml", "valid_until: none\n", "")
        .fails_with(&[
            "alerts/border-fake-opening.yaml:6: the alert has no valid_until",
            "valid_until: none",
        ]);
    // Said explicitly, it passes (the sample as shipped).
    let (ok, report) = Pack::new().validate();
    assert!(ok, "{report}");
}

// Translations.

#[test]
fn validate_prints_coverage_and_warns_for_an_entry_missing_in_a_language() {
    let pack = Pack::new();
    std::fs::remove_file(pack.src.join("articles/asylum/asylum-right-to-ask.fr.md")).unwrap();
    let report = pack.warns_with(&[
        "warning: article 'asylum-right-to-ask' has no translation in fr",
        "translation coverage",
    ]);
    let fr = report
        .lines()
        .find(|l| l.starts_with("fr "))
        .unwrap_or_else(|| panic!("no fr row in:\n{report}"));
    assert!(fr.split_whitespace().nth(1) == Some("2"), "{fr}");
}

#[test]
fn an_entry_missing_in_the_fallback_language_is_warned_as_such() {
    let pack = Pack::new();
    std::fs::remove_file(pack.src.join("articles/asylum/asylum-right-to-ask.en.md")).unwrap();
    pack.warns_with(&[
        "article 'asylum-right-to-ask' has no translation in en; en is the fallback language",
    ]);
}

// Services that would be dropped silently.

#[test]
fn hsds_tables_without_datapackage_json_are_an_error() {
    let pack = Pack::new();
    std::fs::remove_file(pack.src.join("services/datapackage.json")).unwrap();
    pack.fails_with(&[
        "services/service.csv: this HSDS table is not read: services/datapackage.json is missing",
    ]);
}

#[test]
fn an_hxl_sheet_not_named_hxl_csv_is_an_error() {
    let pack = Pack::new();
    std::fs::write(
        pack.src.join("services/extra.csv"),
        "id,name,verified\n#service+code,#service+name,#date+verified\nx-1,Water point,2026-11-01\n",
    )
    .unwrap();
    pack.fails_with(&["services/extra.csv:2", "name it extra.hxl.csv"]);
}

#[test]
fn a_missing_categories_column_is_a_warning() {
    let pack = Pack::new();
    let path = pack.src.join("services/service.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let cut: String = text
        .lines()
        .map(|l| {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(l.as_bytes());
            let rec = r.records().next().unwrap().unwrap();
            let mut w = csv::Writer::from_writer(Vec::new());
            // x_categories is the next-to-last column.
            let cells: Vec<&str> = rec
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != rec.len() - 2)
                .map(|(_, c)| c)
                .collect();
            w.write_record(&cells).unwrap();
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        })
        .collect();
    std::fs::write(&path, cut).unwrap();
    pack.warns_with(&["services/service.csv:1 [x_categories]: warning: no x_categories column"]);
}

#[test]
fn an_unknown_category_is_an_error_with_a_suggestion() {
    Pack::new()
        .edit("services/service.csv", ",shelter,true", ",shelters,true")
        .fails_with(&[
            "services/service.csv:3 [x_categories]: 'shelters' is not a Waymark category (did you mean 'shelter'?)",
        ]);
}

// Messages.

#[test]
fn a_duplicate_id_names_every_row() {
    Pack::new()
        .edit("services/service.csv", "athens-shelter,org-shelter", "athens-legal,org-shelter")
        .fails_with(&[
            "service 'athens-legal' is defined 2 times (services/service.csv:2, services/service.csv:3)",
        ]);
}

#[test]
fn a_missing_header_is_one_error_without_knock_on_errors() {
    let pack = Pack::new();
    pack.edit(
        "services/location.csv",
        "id,name,latitude,longitude",
        "id,name,lat,longitude",
    );
    let report = pack.fails_with(&["services/location.csv:1 [latitude]"]);
    let errors: Vec<&str> = report
        .lines()
        .filter(|l| l.contains(".csv") && !l.contains("warning"))
        .collect();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(
        errors[0].contains("is 'lat' meant to be 'latitude'?"),
        "{report}"
    );
}

#[test]
fn a_missing_service_csv_column_is_not_reported_as_a_missing_file() {
    let pack = Pack::new();
    pack.edit("services/service.csv", "assured_date", "verified_date");
    let report = pack.fails_with(&["services/service.csv:1 [assured_date]"]);
    assert!(!report.contains("needs service.csv"), "{report}");
}

#[test]
fn a_date_in_the_wrong_format_says_the_format() {
    Pack::new()
        .edit(
            "articles/asylum/asylum-right-to-ask.fr.md",
            "verified: 2026-10-28",
            "verified: 28/10/2026",
        )
        .fails_with(&["asylum-right-to-ask.fr.md", "YYYY-MM-DD"]);
    Pack::new()
        .edit(
            "alerts/ferry-strike-2026-11.yaml",
            "verified: 2026-11-15",
            "verified: 15.11.2026",
        )
        .fails_with(&["ferry-strike-2026-11.yaml", "YYYY-MM-DD"]);
}

#[test]
fn a_file_not_in_utf8_says_save_as_utf8() {
    let pack = Pack::new();
    let path = pack.src.join("articles/asylum/asylum-right-to-ask.fr.md");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"\nCaf\xe9 (Latin-1)\n");
    std::fs::write(&path, bytes).unwrap();
    pack.fails_with(&["asylum-right-to-ask.fr.md", "save it as UTF-8"]);

    let pack = Pack::new();
    let path = pack.src.join("services/location.csv");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"loc-x,Caf\xe9,37.9,23.7\n");
    std::fs::write(&path, bytes).unwrap();
    pack.fails_with(&["services/location.csv", "save the file as UTF-8"]);
}

#[test]
fn a_language_name_suggests_its_code() {
    Pack::new()
        .edit(
            "articles/asylum/asylum-right-to-ask.ar.md",
            "language: ar",
            "language: arabic",
        )
        .fails_with(&["language 'arabic'", "use the code 'ar'"]);
}

#[test]
fn a_closed_pipe_does_not_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(["validate", sample().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Stopped quietly, as a program killed by SIGPIPE would be.
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn a_misspelt_pack_toml_key_and_a_bad_date_are_explained() {
    Pack::new()
        .edit("pack.toml", "fallback = ", "falback = ")
        .fails_with(&[
            "pack.toml:",
            "unknown key 'falback' (did you mean 'fallback'?)",
        ]);
    Pack::new()
        .edit(
            "pack.toml",
            "built = \"2026-11-20\"",
            "built = \"20/11/2026\"",
        )
        .fails_with(&["pack.toml:6", "YYYY-MM-DD"]);
}

#[test]
fn a_spreadsheet_file_in_services_is_an_error_not_a_smaller_pack() {
    let pack = Pack::new();
    std::fs::write(pack.src.join("services/more-services.xlsx"), b"PK\x03\x04").unwrap();
    pack.fails_with(&["services/more-services.xlsx", "save it as CSV UTF-8"]);
}

#[test]
fn a_mission_phone_that_cannot_be_dialled_is_an_error() {
    Pack::new()
        .edit("countries/GR.yaml", "+30 210 000 0099", "ask at the desk")
        .fails_with(&["countries/GR.yaml:7 [missions phone]", "not a phone number"]);
}

#[test]
fn an_hxl_sheet_gets_the_same_checks_row_by_row() {
    let pack = Pack::new();
    std::fs::write(
        pack.src.join("services/extra.hxl.csv"),
        "Id,Name,Lat,Lon,Country,Phone,Sector,Verified\n\
         #service+code,#service+name,#geo+lat,#geo+lon,#country+code,#contact+phone,#sector,#date+verified\n\
         x-1,Water point,23.7275,37.9838,GR,+30 210 000 0001,water,2026-11-01\n\
         x-2,Clinic,37.9838,23.7275,GR,call us,health,2026-11-01\n\
         x-3,Shelter,37.9838,23.7275,GR,+30 210 000 0003,shelters,2026-11-01\n\
         x-4,Kitchen,37.9838,23.7275,GR,2.16700E+10,food,01/11/2026\n",
    )
    .unwrap();
    pack.fails_with(&[
        "services/extra.hxl.csv:3 [#geo+lat/#geo+lon]: latitude and longitude are swapped",
        "services/extra.hxl.csv:4 [#contact+phone]: 'call us' is not a phone number",
        "services/extra.hxl.csv:5 [#sector]: 'shelters' is not a Waymark category (did you mean 'shelter'?)",
        "services/extra.hxl.csv:6 [#date+verified]: expected YYYY-MM-DD",
    ]);
}

#[test]
fn a_duplicate_article_names_both_files() {
    let pack = Pack::new();
    std::fs::copy(
        pack.src.join("articles/asylum/asylum-right-to-ask.fr.md"),
        pack.src.join("articles/legal/copy.fr.md"),
    )
    .unwrap();
    pack.fails_with(&[
        "article 'asylum-right-to-ask' (fr) is defined 2 times (articles/asylum/asylum-right-to-ask.fr.md:1, articles/legal/copy.fr.md:1)",
    ]);
}
