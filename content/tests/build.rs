//! `waymark-pack build` is deterministic: the same source gives the same
//! pack, byte for byte, and the same report, whatever the number of
//! threads that read and compress it, and on whatever machine.
//!
//! The source here is large enough (about 5.5 MB of JSON Lines) that the
//! pack is compressed by several of zstd's workers, and its articles,
//! services and alerts are read in many chunks.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};
use waymark_core::content::pack::PackReader;

#[allow(dead_code)]
mod common;

/// Services in the large source.
const SERVICES: usize = 5_000;
/// Articles in it (three languages each).
const ARTICLES: usize = 300;
/// Alerts in it.
const ALERTS: usize = 40;

/// The SHA-256 of the large source's pack: what every machine builds,
/// whatever its cores. If a change of the JSON, of zstd or of its settings
/// alters it, every publisher's next build differs from their last (and
/// phones download the pack again): change it knowingly.
const LARGE_PACK_SHA256: &str = "2247127586ff927c2e50606732f9cdb8e4a9310c26ba643e20313bcd1dc358e0";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .unwrap()
}

/// Words the texts are drawn from (English, French and Arabic).
const WORDS: [&[&str]; 3] = [
    &[
        "asylum",
        "shelter",
        "clinic",
        "border",
        "legal",
        "aid",
        "night",
        "open",
        "free",
        "water",
        "bus",
        "route",
        "children",
        "women",
        "help",
        "food",
        "doctor",
        "papers",
        "interview",
        "appeal",
        "family",
        "school",
        "hotline",
        "winter",
        "blankets",
        "the",
        "and",
        "for",
    ],
    &[
        "asile",
        "abri",
        "clinique",
        "frontière",
        "juridique",
        "aide",
        "nuit",
        "ouvert",
        "gratuit",
        "eau",
        "car",
        "route",
        "enfants",
        "femmes",
        "médecin",
        "papiers",
        "entretien",
        "recours",
        "famille",
        "école",
        "hiver",
        "couvertures",
        "le",
        "et",
        "pour",
        "la",
    ],
    &[
        "لجوء",
        "مأوى",
        "عيادة",
        "حدود",
        "قانوني",
        "مساعدة",
        "ليل",
        "مفتوح",
        "مجاني",
        "ماء",
        "حافلة",
        "طريق",
        "أطفال",
        "نساء",
        "طبيب",
        "أوراق",
        "مقابلة",
        "استئناف",
        "عائلة",
        "مدرسة",
        "شتاء",
        "في",
        "من",
        "على",
    ],
];

/// A deterministic stream of words.
struct Words(u64);

impl Words {
    fn next(&mut self, lang: usize) -> &'static str {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let words = WORDS[lang];
        words[(self.0 >> 33) as usize % words.len()]
    }

    fn text(&mut self, lang: usize, n: usize) -> String {
        let words: Vec<&str> = (0..n).map(|_| self.next(lang)).collect();
        words.join(" ") + "."
    }
}

/// A CSV cell: quoted, quotes doubled.
fn cell(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Writes the large source into `dir`; with `broken`, some rows, articles
/// and alerts have errors, spread over the files.
fn write_source(dir: &Path, broken: bool) {
    let mut words = Words(21);
    std::fs::write(
        dir.join("pack.toml"),
        "id = \"large\"\nversion = 3\nbuilt = \"2026-11-01\"\nsample = true\n\
         languages = [\"en\", \"fr\", \"ar\"]\nfallback = [\"en\"]\n\n\
         [publisher]\nid = \"test-ngo\"\nname = \"Test NGO (sample data)\"\n\n\
         [title]\nen = \"Large test pack (sample data)\"\n",
    )
    .unwrap();
    let services = dir.join("services");
    std::fs::create_dir_all(&services).unwrap();
    std::fs::write(
        services.join("datapackage.json"),
        r#"{"name": "large", "profile": "tabular-data-package", "resources": []}"#,
    )
    .unwrap();
    std::fs::write(
        services.join("organization.csv"),
        "id,name\norg-1,Sample Legal Aid (example)\norg-2,Sample Shelter (example)\n",
    )
    .unwrap();
    let mut service = String::from(
        "id,organization_id,name,name@fr,name@ar,description,description@fr,description@ar,assured_date,x_categories,x_free\n",
    );
    let mut location = String::from("id,latitude,longitude\n");
    let mut sal = String::from("id,service_id,location_id\n");
    for i in 0..SERVICES {
        let row = [
            format!("svc-{i}"),
            format!("org-{}", 1 + i % 2),
            cell(&words.text(0, 4)),
            cell(&words.text(1, 4)),
            // Some services have no Arabic name (a warning each).
            if i % 7 == 0 {
                String::new()
            } else {
                cell(&words.text(2, 4))
            },
            cell(&words.text(0, 40)),
            cell(&words.text(1, 40)),
            cell(&words.text(2, 40)),
            if broken && i % 1_111 == 5 {
                "2026-13-01".into()
            } else {
                format!("2026-{:02}-{:02}", 1 + i % 9, 1 + i % 28)
            },
            ["legal", "shelter", "health", "food"][i % 4].into(),
            ["true", "false", ""][i % 3].into(),
        ];
        writeln!(service, "{}", row.join(",")).unwrap();
        // Around Athens, on land.
        let (lat, lon) = if broken && i % 1_237 == 9 {
            (123.0, 23.7)
        } else {
            (
                37.96 + (i % 50) as f64 * 0.0008,
                23.70 + (i % 40) as f64 * 0.001,
            )
        };
        writeln!(location, "loc-{i},{lat},{lon}").unwrap();
        writeln!(sal, "sal-{i},svc-{i},loc-{i}").unwrap();
    }
    std::fs::write(services.join("service.csv"), service).unwrap();
    std::fs::write(services.join("location.csv"), location).unwrap();
    std::fs::write(services.join("service_at_location.csv"), sal).unwrap();
    for i in 0..ARTICLES {
        let folder = dir.join("articles").join(format!("{:02}", i / 50));
        std::fs::create_dir_all(&folder).unwrap();
        for (l, lang) in ["en", "fr", "ar"].iter().enumerate() {
            let key = if broken && i % 97 == 13 && l == 1 {
                "verifed"
            } else {
                "verified"
            };
            std::fs::write(
                folder.join(format!("art-{i}.{lang}.md")),
                format!(
                    "---\nid: art-{i}\ntitle: \"{}\"\nlanguage: {lang}\n{key}: 2026-10-01\n---\n\n{}\n",
                    words.text(l, 6),
                    words.text(l, 120)
                ),
            )
            .unwrap();
        }
    }
    let alerts = dir.join("alerts");
    std::fs::create_dir_all(&alerts).unwrap();
    for i in 0..ALERTS {
        let until = if broken && i % 9 == 4 {
            String::new()
        } else {
            "valid_until: 2027-01-01T00:00:00Z\n".into()
        };
        std::fs::write(
            alerts.join(format!("alert-{i}.yaml")),
            format!(
                "id: alert-{i}\nseverity: warning\ntitle:\n  en: \"{}\"\n  fr: \"{}\"\n  ar: \"{}\"\n\
                 area:\n  countries: [GR]\nvalid_from: 2026-11-01T00:00:00Z\n{until}verified: 2026-10-01\n",
                words.text(0, 5),
                words.text(1, 5),
                words.text(2, 5)
            ),
        )
        .unwrap();
    }
}

/// `build` of `src` into `out` with `threads` (or the default).
fn build(src: &Path, out: &Path, threads: Option<u32>) -> Output {
    let mut args = vec![
        "build".to_owned(),
        src.to_str().unwrap().to_owned(),
        "--out".to_owned(),
        out.to_str().unwrap().to_owned(),
    ];
    if let Some(t) = threads {
        args.extend(["--threads".to_owned(), t.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

#[test]
fn a_large_pack_is_the_same_bytes_and_report_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source");
    std::fs::create_dir_all(&src).unwrap();
    write_source(&src, false);

    let mut first: Option<(Vec<u8>, String)> = None;
    for threads in [Some(1), Some(2), Some(3), None] {
        let out = dir.path().join(format!("large-{threads:?}.wmpack"));
        let done = build(&src, &out, threads);
        let report = common::succeeded(&["build", "--threads"], done);
        let bytes = std::fs::read(&out).unwrap();
        match &first {
            None => first = Some((bytes, report)),
            Some((b, r)) => {
                assert!(*b == bytes, "--threads {threads:?} wrote other bytes");
                assert_eq!(*r, report, "--threads {threads:?} reported otherwise");
            }
        }
    }
    let (bytes, report) = first.unwrap();
    // Its warnings (services without an Arabic name) are there.
    assert!(report.contains("has no translation in ar"), "{report}");

    // The phone's reader opens it, and it is large enough that zstd's
    // workers compressed it in several jobs.
    let mut reader = PackReader::new(&bytes[..]).unwrap();
    assert_eq!(
        reader.manifest().entries as usize,
        SERVICES + 3 * ARTICLES + ALERTS
    );
    let mut plain = reader.manifest_json().len() + 1;
    while let Some(e) = reader.next_with_json() {
        plain += e.unwrap().1.len() + 1;
    }
    assert!(plain > 5 << 20, "only {plain} bytes of JSON Lines");

    // And every machine builds these bytes.
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex, LARGE_PACK_SHA256,
        "the large source's pack changed (see LARGE_PACK_SHA256)"
    );
}

#[test]
fn problems_are_reported_the_same_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source");
    std::fs::create_dir_all(&src).unwrap();
    write_source(&src, true);

    let mut first: Option<String> = None;
    for threads in [Some(1), Some(2), Some(3)] {
        let out = dir.path().join("broken.wmpack");
        let done = build(&src, &out, threads);
        assert!(!done.status.success(), "a broken source built");
        assert!(!out.exists(), "a broken source wrote a pack");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&done.stdout),
            String::from_utf8_lossy(&done.stderr)
        );
        match &first {
            None => first = Some(said),
            Some(f) => assert_eq!(*f, said, "--threads {threads:?} reported otherwise"),
        }
    }
    let said = first.unwrap();
    // Errors from every part of the source, each where it is.
    for expected in [
        "services/service.csv:7 [assured_date]",
        "services/location.csv:11 [latitude/longitude]",
        "articles/00/art-13.fr.md:5: front matter: unknown key 'verifed'",
        "alerts/alert-4.yaml",
        "waymark-pack: ",
    ] {
        assert!(said.contains(expected), "{expected} not in\n{said}");
    }
}
