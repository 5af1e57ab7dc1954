//! The manifest, `pack.toml`: the pack's id, version, publisher, title and
//! languages, checked and turned into a [`PackManifest`].

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use waymark_core::content::model::{PACK_FORMAT, PackManifest, Publisher, Translations};

use super::Reader;
use super::helpers::{is_id, is_language_tag};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackToml {
    id: String,
    version: u64,
    built: NaiveDate,
    #[serde(default)]
    sample: bool,
    languages: Vec<String>,
    fallback: Vec<String>,
    publisher: Publisher,
    title: Translations,
}

pub(super) fn read_manifest(r: &mut Reader, dir: &Path) -> Option<PackManifest> {
    let path = dir.join("pack.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            r.problem(&path, None, None, format!("cannot read: {e}"));
            return None;
        }
    };
    let parsed: PackToml = match toml::from_str(&text) {
        Ok(p) => p,
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start].lines().count().max(1) as u64);
            r.problem(&path, line, None, super::schema::explain(e.message()));
            return None;
        }
    };
    let before = r.problems.len();
    if !is_id(&parsed.id) {
        r.problem(
            &path,
            None,
            None,
            "id: use a-z, 0-9, '-', '_' or '.' (at most 64)",
        );
    }
    if !is_id(&parsed.publisher.id) {
        r.problem(
            &path,
            None,
            None,
            "publisher.id: use a-z, 0-9, '-', '_' or '.' (at most 64)",
        );
    }
    if parsed.version == 0 {
        r.problem(&path, None, None, "version: start at 1");
    }
    if parsed.languages.is_empty() {
        r.problem(&path, None, None, "languages: list at least one BCP 47 tag");
    }
    for l in parsed.languages.iter().chain(&parsed.fallback) {
        if !is_language_tag(l) {
            r.problem(
                &path,
                None,
                None,
                format!(
                    "'{l}' is not a BCP 47 language tag (e.g. ar, ti, fa-AF){}",
                    super::checks::language_hint(l)
                ),
            );
        }
    }
    r.languages = parsed.languages.iter().cloned().collect();
    r.fallback = parsed.fallback.clone();
    for l in &parsed.fallback {
        if !r.languages.contains(l) {
            r.problem(
                &path,
                None,
                None,
                format!("fallback language '{l}' is not in languages"),
            );
        }
    }
    let title = parsed.title.clone();
    r.check_translations(&path, None, "title", &title);
    (r.problems.len() == before).then_some(PackManifest {
        format: PACK_FORMAT,
        id: parsed.id,
        version: parsed.version,
        publisher: parsed.publisher,
        title: parsed.title,
        languages: parsed.languages,
        fallback: parsed.fallback,
        sample: parsed.sample,
        built: parsed.built,
        entries: 0,
        time_zones: Default::default(),
    })
}
