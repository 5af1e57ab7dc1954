//! `waymark-pack new DIR --languages en,ar,fr`: a small commented pack
//! with one entry of every kind, that validates, for a team to start from.
//! It is written beside DIR and renamed into place, so a refusal or a
//! failure leaves nothing behind.

use std::path::Path;

use crate::{Report, fail};

/// Writes the template pack into `dir`, which must not exist yet (or be
/// an empty folder).
pub fn new_pack(dir: &Path, languages: &[String]) -> Result<(), Report> {
    if languages.is_empty() {
        return fail("--languages: give at least one language code, e.g. --languages en,ar,fr");
    }
    for l in languages {
        if let Err(m) = crate::source::check_language(l) {
            return fail(format!("--languages: {m}"));
        }
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return fail(format!(
            "{} already exists and is not empty: choose a new folder",
            dir.display()
        ));
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let id = if id.trim_matches('-').is_empty() {
        "my-pack".to_owned()
    } else {
        id.trim_matches('-').chars().take(64).collect()
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let tmp = parent.join(format!(".{id}.new-{}", std::process::id()));
    let written = write_all(&tmp, &id, languages);
    let moved = written.and_then(|()| {
        if dir.exists() {
            std::fs::remove_dir(dir)?;
        }
        std::fs::rename(&tmp, dir)
    });
    if let Err(e) = moved {
        let _ = std::fs::remove_dir_all(&tmp);
        return fail(format!("cannot write {}: {e}", dir.display()));
    }
    outln!(
        "made {} ({}): edit it, then run: waymark-pack validate {}",
        dir.display(),
        languages.join(", "),
        dir.display()
    );
    Ok(())
}

fn write_all(root: &Path, id: &str, languages: &[String]) -> std::io::Result<()> {
    let first = &languages[0];
    let per_lang = |text: &str| -> String {
        let parts: Vec<String> = languages
            .iter()
            .map(|l| {
                if l == first {
                    format!("{l}: \"{text}\"")
                } else {
                    format!("{l}: \"{text} (translate into {l})\"")
                }
            })
            .collect();
        format!("{{{}}}", parts.join(", "))
    };
    let quoted: Vec<String> = languages.iter().map(|l| format!("\"{l}\"")).collect();
    let titles: String = languages
        .iter()
        .map(|l| format!("{l} = \"Example pack — EXAMPLE DATA\"\n"))
        .collect();
    let files: Vec<(String, String)> = vec![
        (
            "pack.toml".into(),
            format!(
                r#"# The pack: see content/AUTHORING.md for every key.
# Its id: a-z, 0-9, '-', '_' or '.'; never change it once published.
id = "{id}"
# Raise the version by one every time you publish.
version = 1
# The day you built it, YYYY-MM-DD.
built = "2026-01-01"
# Example data: apps show "SAMPLE DATA". Set to false for real content.
sample = true
# Every language the pack is written in (BCP 47 codes such as en, ar, ti,
# fa, fa-AF), and the ones shown, in order, when a phone's language is
# missing (each must be in languages).
languages = [{langs}]
fallback = ["{first}"]

[publisher]
# Your organisation: the same id in every pack you publish.
id = "example-ngo"
name = "Example NGO"

# The pack's title in each language.
[title]
{titles}"#,
                langs = quoted.join(", "),
            ),
        ),
        (
            "README.md".into(),
            "# Example pack\n\nMade by `waymark-pack new`. Replace every example with real content, \
             then run `waymark-pack validate` on this folder until it reports no errors, and read \
             each warning. `content/AUTHORING.md` in the Waymark repository describes every file, \
             column and key.\n\nCSV files cannot hold comments: the columns are described in \
             AUTHORING.md. Save every file as UTF-8.\n"
                .into(),
        ),
        (
            "alerts/example-alert.yaml".into(),
            format!(
                r#"# An alert. severity: info, warning or danger.
id: example-alert
severity: info
title: {title}
body: {body}
# Where: countries (ISO codes) and/or a bbox [min_lon, min_lat, max_lon, max_lat].
area: {{countries: [GR], bbox: [23.6, 37.9, 23.8, 38.1]}}
# When, in UTC: YYYY-MM-DDTHH:MM:SSZ. valid_until is required: a date, or
# none for an alert with no end.
valid_from: 2026-01-01T00:00:00Z
valid_until: none
# The day you last checked it, YYYY-MM-DD.
verified: 2026-01-01
"#,
                title = per_lang("Example alert"),
                body = per_lang("What people need to know, in a few words."),
            ),
        ),
        (
            "countries/GR.yaml".into(),
            format!(
                r#"# A country profile; the file is named after its ISO code.
code: GR
name: {name}
verified: 2026-01-01
# Emergency numbers: digits only.
emergency:
  - {{service: general, number: "112"}}
asylum: {asylum}
"#,
                name = per_lang("Greece"),
                asylum = per_lang("Where and how to ask for asylum (example)."),
            ),
        ),
        (
            "routes/example-route.yaml".into(),
            format!(
                r#"# A route: segments from place to place. mode: foot, bus, train, ferry, car or plane.
# Coordinates are decimal degrees: lat north-south, lon east-west.
id: example-route
name: {name}
verified: 2026-01-01
segments:
  - from: {{name: {athens}, country: GR, location: {{lat: 37.9838, lon: 23.7275}}}}
    to: {{name: {thessaloniki}, country: GR, location: {{lat: 40.6401, lon: 22.9444}}}}
    mode: train
    notes: {notes}
"#,
                name = per_lang("Athens – Thessaloniki"),
                athens = per_lang("Athens"),
                thessaloniki = per_lang("Thessaloniki"),
                notes = per_lang("About five hours by train (example)."),
            ),
        ),
        (
            "services/datapackage.json".into(),
            r#"{
  "name": "example-services",
  "title": "Example service directory (Open Referral HSDS)",
  "profile": "tabular-data-package",
  "resources": [
    {"name": "organization", "path": "organization.csv", "profile": "tabular-data-resource"},
    {"name": "service", "path": "service.csv", "profile": "tabular-data-resource"},
    {"name": "location", "path": "location.csv", "profile": "tabular-data-resource"},
    {"name": "address", "path": "address.csv", "profile": "tabular-data-resource"},
    {"name": "service_at_location", "path": "service_at_location.csv", "profile": "tabular-data-resource"},
    {"name": "phone", "path": "phone.csv", "profile": "tabular-data-resource"},
    {"name": "schedule", "path": "schedule.csv", "profile": "tabular-data-resource"},
    {"name": "language", "path": "language.csv", "profile": "tabular-data-resource"}
  ]
}
"#
            .into(),
        ),
        ("services/service.csv".into(), {
            let extra: Vec<String> = languages[1..]
                .iter()
                .flat_map(|l| [format!("name@{l}"), format!("description@{l}")])
                .collect();
            let extra_values: Vec<String> = languages[1..]
                .iter()
                .flat_map(|l| {
                    [
                        format!("Legal aid desk (translate into {l})"),
                        format!("Free advice on asylum claims (translate into {l})."),
                    ]
                })
                .collect();
            let sep = if extra.is_empty() { "" } else { "," };
            format!(
                "id,organization_id,name,description,assured_date,x_categories,x_free{sep}{}\n\
                 example-legal,example-org,Legal aid desk (example),Free advice on asylum claims.,2026-01-01,legal,true{sep}{}\n",
                extra.join(","),
                extra_values.join(",")
            )
        }),
        (
            "services/organization.csv".into(),
            "id,name\nexample-org,Example NGO\n".into(),
        ),
        (
            "services/location.csv".into(),
            "id,name,latitude,longitude\nexample-loc,Legal aid desk,37.9838,23.7275\n".into(),
        ),
        (
            "services/address.csv".into(),
            "id,location_id,address_1,city,postal_code,country\nexample-adr,example-loc,1 Example Street,Athens,10001,GR\n".into(),
        ),
        (
            "services/service_at_location.csv".into(),
            "id,service_id,location_id\nexample-sal,example-legal,example-loc\n".into(),
        ),
        (
            "services/phone.csv".into(),
            "id,service_id,number,description\nexample-phone,example-legal,+30 210 000 0001,Reception\n".into(),
        ),
        (
            "services/schedule.csv".into(),
            "id,service_id,byday,opens_at,closes_at,timezone\nexample-hours,example-legal,\"MO,TU,WE,TH,FR\",09:00,17:00,Europe/Athens\n".into(),
        ),
        (
            "services/language.csv".into(),
            format!(
                "id,service_id,code\n{}",
                languages
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("example-lang-{i},example-legal,{l}\n"))
                    .collect::<String>()
            ),
        ),
    ];
    let mut files = files;
    for l in languages {
        let note = if l == first {
            String::new()
        } else {
            format!(" (translate into {l})")
        };
        files.push((
            format!("articles/example/welcome.{l}.md"),
            format!(
                "---\n# One file per language, all with the same id.\nid: welcome\ntitle: \"Welcome{note}\"\nlanguage: {l}\ncountries: [GR]\ntopics: [example]\n# The day you last checked the text, YYYY-MM-DD.\nverified: 2026-01-01\n---\nWrite the article here, in Markdown{note}.\n"
            ),
        ));
    }
    for (path, text) in files {
        let path = root.join(path);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}
