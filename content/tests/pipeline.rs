//! From an NGO's source directory to a phone's search results: validate,
//! build, keygen, publish, then trust the publisher card and install the
//! offline bundle on a phone-side content store.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use waymark_core::content::{AlertFilter, ContentStore, SearchQuery, TrustRequest};

#[allow(dead_code)]
mod common;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    common::succeeded(args, run(args))
}

/// The bytes of a file, or of the files under a directory.
fn du(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| du(&e.unwrap().path()))
            .sum()
    } else {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }
}

#[test]
fn the_same_source_builds_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.wmpack"), dir.path().join("b.wmpack"));
    let said = ok(&[
        "build",
        fixture().to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
    ]);
    ok(&[
        "build",
        fixture().to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // It says how the pack compares with its sources.
    let pack_len = std::fs::metadata(&a).unwrap().len();
    let sources: u64 = [
        "pack.toml",
        "articles",
        "services",
        "countries",
        "routes",
        "alerts",
    ]
    .iter()
    .map(|p| du(&fixture().join(p)))
    .sum();
    assert!(
        said.contains(&format!("{pack_len} bytes ("))
            && said.contains(&format!("of the {sources} bytes of its sources")),
        "{said}"
    );
    let shown = ok(&["inspect", a.to_str().unwrap()]);
    assert!(shown.contains("fixture-minimal version 3"), "{shown}");
    assert!(shown.contains("services    2"), "{shown}");
}

#[test]
fn validate_reports_every_problem_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::copy_dir(&fixture(), &src);
    // Three problems in three files.
    let article = src.join("articles/legal/asylum.en.md");
    let text = std::fs::read_to_string(&article)
        .unwrap()
        .replace("language: en", "language: de");
    std::fs::write(&article, text).unwrap();
    let services = src.join("services/service.csv");
    let text = std::fs::read_to_string(&services)
        .unwrap()
        .replace("2026-10-15", "15/10/2026");
    std::fs::write(&services, text).unwrap();
    let location = src.join("services/location.csv");
    let text = std::fs::read_to_string(&location)
        .unwrap()
        .replace("37.9838", "97.9838");
    std::fs::write(&location, text).unwrap();
    std::fs::write(
        src.join("alerts/broken.yaml"),
        "id: broken\nseverity: [not, a, severity\n",
    )
    .unwrap();
    let strike = src.join("alerts/strike.yaml");
    let text = std::fs::read_to_string(&strike)
        .unwrap()
        .replace("2099-01-01", "2026-10-01");
    std::fs::write(&strike, text).unwrap();

    let out = run(&["validate", src.to_str().unwrap()]);
    assert!(!out.status.success());
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("asylum.en.md") && report.contains("language 'de'"),
        "{report}"
    );
    assert!(report.contains("service.csv:3 [assured_date]"), "{report}");
    assert!(
        report.contains("location.csv:2 [latitude/longitude]"),
        "{report}"
    );
    assert!(report.contains("broken.yaml:2"), "{report}");
    assert!(
        report.contains("strike.yaml:6: valid_until must be after valid_from"),
        "{report}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("5 problem(s)"), "{stderr}");
    // Nothing is built from a source with problems.
    let out = run(&[
        "build",
        src.to_str().unwrap(),
        "--out",
        dir.path().join("x.wmpack").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(!dir.path().join("x.wmpack").exists());
}

#[test]
fn a_published_pack_installs_on_a_phone_and_answers_queries() {
    let dir = tempfile::tempdir().unwrap();
    let (pack, keys, repo) = (
        dir.path().join("p.wmpack"),
        dir.path().join("keys"),
        dir.path().join("repo"),
    );
    ok(&[
        "build",
        fixture().to_str().unwrap(),
        "--out",
        pack.to_str().unwrap(),
    ]);
    let keygen_output = ok(&["keygen", "--out", keys.to_str().unwrap()]);
    ok(&[
        "publish",
        pack.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
    ]);
    // Publishing the same version again is refused.
    let again = run(&[
        "publish",
        pack.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not newer"));
    // keygen printed the key ids and no private key.
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let file: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(keys.join(format!("{role}.key"))).unwrap(),
        )
        .unwrap();
        let secret = file["keyval"]["private"].as_str().unwrap();
        assert_eq!(secret.len(), 64);
        assert!(
            !keygen_output.contains(secret),
            "{role}'s private key was printed"
        );
        assert!(keygen_output.contains(role), "{keygen_output}");
    }

    let bundle = repo.join("bundles/fixture-minimal.wmbundle");
    let shown = ok(&["inspect", bundle.to_str().unwrap()]);
    assert!(shown.contains("publisher fixture-ngo"), "{shown}");
    assert!(shown.contains("verified    signatures, expiry"), "{shown}");
    assert!(shown.contains("articles    2"), "{shown}");

    // Offline bundles outlive the online timestamp (24 h): a phone whose
    // clock says ten days later still installs one.
    let clock = std::sync::Arc::new(waymark_core::clock::ManualClock::new(
        chrono::Utc::now() + chrono::Duration::days(10),
    ));
    let phone = ContentStore::open_with_clock(&dir.path().join("phone"), clock).unwrap();
    let card = std::fs::read(repo.join("publisher.json")).unwrap();
    let trusted = phone
        .trust_publisher(&card, &TrustRequest::default())
        .unwrap();
    assert_eq!(trusted.id, "fixture-ngo");
    phone
        .install_bundle(&repo.join("bundles/fixture-minimal.wmbundle"))
        .unwrap();

    let ar = phone
        .search(&SearchQuery::new("مركز الشرطة").language("ar"))
        .unwrap();
    assert_eq!(ar.hits[0].id, "asylum");
    assert_eq!(ar.hits[0].language, "ar");
    let ti = phone
        .search(&SearchQuery::new("clinic").language("ti"))
        .unwrap();
    assert_eq!(ti.hits[0].id, "svc-legal");
    let alerts = phone.alerts(&AlertFilter::default()).unwrap();
    let ids: Vec<&str> = alerts.iter().map(|a| a.entry.id.as_str()).collect();
    assert_eq!(ids, ["strike"], "the expired alert is never returned");
}

#[test]
fn an_hxl_tagged_sheet_is_read_and_its_bad_rows_reported() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hxl"),
        &src,
    );
    let out = run(&["validate", src.to_str().unwrap()]);
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("services.hxl.csv:5 [#geo+lat/#geo+lon]"),
        "{report}"
    );

    // Without the bad row it builds, and the services carry what the tags say.
    let sheet = src.join("services/services.hxl.csv");
    let text = std::fs::read_to_string(&sheet).unwrap();
    let good: String = text
        .lines()
        .filter(|l| !l.starts_with("hxl-3"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&sheet, good).unwrap();
    let pack = dir.path().join("hxl.wmpack");
    ok(&[
        "build",
        src.to_str().unwrap(),
        "--out",
        pack.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&pack).unwrap();
    let mut reader = waymark_core::content::pack::PackReader::new(&bytes[..]).unwrap();
    let services: Vec<_> = (&mut reader)
        .filter_map(|e| match e.unwrap() {
            waymark_core::content::model::Entry::Service(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(services.len(), 2);
    let water = &services[0];
    assert_eq!(water.id, "hxl-1");
    assert_eq!(water.name["ar"], "نقطة مياه");
    assert_eq!(water.categories, ["wash", "food"]);
    assert_eq!(water.free, Some(true));
    assert_eq!(water.languages, ["ar", "en"]);
    assert!(water.location.is_some() && services[1].location.is_none());
}

#[test]
fn every_sample_pack_validates_and_builds_with_its_own_id() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(&samples).unwrap() {
        let src = entry.unwrap().path();
        if !src.join("pack.toml").exists() {
            continue;
        }
        let out = dir.path().join("p.wmpack");
        ok(&[
            "build",
            src.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let shown = ok(&["inspect", out.to_str().unwrap()]);
        assert!(shown.contains("SAMPLE DATA"), "{}: {shown}", src.display());
        ids.push(shown.lines().next().unwrap().to_owned());
    }
    assert!(ids.len() >= 2, "{ids:?}");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "sample packs need distinct ids: {ids:?}"
    );
}
