//! Articles: Markdown files under `articles/` with YAML front matter (id,
//! title, language, countries, topics, verified, expires).

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use waymark_core::content::model::{Article, Entry};
use waymark_core::types::CountryCode;

use super::helpers::{files_with_ext, first_line, is_id, yaml_line};
use super::{Reader, schema};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    language: String,
    #[serde(default)]
    countries: Vec<CountryCode>,
    #[serde(default)]
    topics: Vec<String>,
    verified: NaiveDate,
    #[serde(default)]
    expires: Option<NaiveDate>,
}

/// Reads every `articles/**/*.md`, on the reader's threads.
pub(super) fn read_articles(r: &mut Reader, dir: &Path, entries: &mut Vec<Entry>) {
    let files = files_with_ext(&dir.join("articles"), "md");
    r.read_each(&files, entries, |r, path, entries| {
        read_article(r, path, entries)
    });
}

/// Reads one article.
fn read_article(r: &mut Reader, path: &Path, entries: &mut Vec<Entry>) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            r.problem(path, None, None, super::helpers::read_error(&e));
            return;
        }
    };
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        r.problem(
            path,
            Some(1),
            None,
            "expected YAML front matter starting with a '---' line",
        );
        return;
    };
    let Some(end) = rest.find("\n---") else {
        r.problem(
            path,
            Some(1),
            None,
            "the front matter has no closing '---' line",
        );
        return;
    };
    let (yaml, body) = (&rest[..end], &rest[end + 4..]);
    let body = body.trim_start_matches(['\r', '\n']).trim_end().to_owned();
    // Line of a front matter key (the opening '---' is line 1).
    let line_of = |key: &str| {
        yaml.lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map(|i| i as u64 + 2)
    };
    if let Ok(v) = serde_saphyr::from_str::<serde_json::Value>(yaml) {
        let unknown = schema::unknown_keys(&schema::FRONT_MATTER, &v);
        for (key, message) in &unknown {
            r.problem(path, line_of(key), None, format!("front matter: {message}"));
        }
        if !unknown.is_empty() {
            return;
        }
    }
    let fm: FrontMatter = match serde_saphyr::from_str(yaml) {
        Ok(f) => f,
        Err(e) => {
            let line = yaml_line(&e).map(|l| l + 1);
            r.problem(
                path,
                line,
                None,
                format!(
                    "front matter: {}",
                    schema::explain(first_line(&e.to_string()))
                ),
            );
            return;
        }
    };
    if !is_id(&fm.id) {
        r.problem(
            path,
            line_of("id"),
            None,
            "id: use a-z, 0-9, '-', '_' or '.'",
        );
    }
    if !r.languages.contains(&fm.language) {
        r.problem(
            path,
            line_of("language"),
            None,
            format!(
                "language '{}' is not in pack.toml's languages{}",
                fm.language,
                super::checks::language_hint(&fm.language)
            ),
        );
    }
    if fm.title.trim().is_empty() {
        r.problem(path, line_of("title"), None, "title is empty");
    }
    if body.is_empty() {
        r.problem(path, None, None, "the article has no body");
    }
    if fm.expires.is_some_and(|e| e < fm.verified) {
        r.problem(path, line_of("expires"), None, "expires is before verified");
    }
    let article = Entry::Article(Article {
        id: fm.id,
        language: fm.language,
        title: fm.title,
        body,
        countries: fm.countries,
        topics: fm.topics,
        verified: fm.verified,
        expires: fm.expires,
    });
    r.add(entries, article, path, Some(1));
}
