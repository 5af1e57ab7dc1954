//! Translation coverage: for each language `pack.toml` declares, how many
//! entries and translatable fields it lacks, printed as a table by
//! `validate`, and a warning for every entry missing in some language (the
//! fallback included), so a gap is a decision, not an accident.

use std::collections::BTreeMap;
use std::fmt::Write;

use waymark_core::content::model::{Entry, Translations};

use super::Reader;

/// Per language: entries missing, fields missing.
#[derive(Default)]
struct Gaps {
    entries: usize,
    fields: usize,
}

/// Checks coverage, adds the warnings to `r`, and returns the table.
pub(super) fn check(r: &mut Reader, entries: &[Entry]) -> String {
    let languages: Vec<String> = r.languages.iter().cloned().collect();
    let mut gaps: BTreeMap<&str, Gaps> = languages
        .iter()
        .map(|l| (l.as_str(), Gaps::default()))
        .collect();
    // Articles are one file per language: group them by id.
    let mut articles: BTreeMap<&str, (usize, Vec<&str>)> = BTreeMap::new();
    let mut missing: Vec<(usize, String, Vec<String>)> = Vec::new();
    let mut total = 0;
    for (i, e) in entries.iter().enumerate() {
        let (what, main, others): (String, &Translations, Vec<&Translations>) = match e {
            Entry::Article(a) => {
                let slot = articles.entry(a.id.as_str()).or_insert((i, Vec::new()));
                slot.1.push(a.language.as_str());
                continue;
            }
            Entry::Service(s) => (format!("service '{}'", s.id), &s.name, vec![&s.description]),
            Entry::Country(c) => (
                format!("country '{}'", c.code),
                &c.name,
                vec![&c.asylum, &c.rights],
            ),
            Entry::Route(x) => (format!("route '{}'", x.id), &x.name, vec![]),
            Entry::Alert(a) => (format!("alert '{}'", a.id), &a.title, vec![&a.body]),
        };
        total += 1;
        let mut lacking = Vec::new();
        for l in &languages {
            let g = gaps.get_mut(l.as_str()).expect("one per language");
            if !main.contains_key(l) {
                g.entries += 1;
                lacking.push(l.clone());
            }
            g.fields += others
                .iter()
                .filter(|t| !t.is_empty() && !t.contains_key(l))
                .count();
        }
        if !lacking.is_empty() {
            missing.push((i, what, lacking));
        }
    }
    for (id, (i, present)) in &articles {
        total += 1;
        let lacking: Vec<String> = languages
            .iter()
            .filter(|l| !present.contains(&l.as_str()))
            .cloned()
            .collect();
        for l in &lacking {
            gaps.get_mut(l.as_str()).expect("one per language").entries += 1;
        }
        if !lacking.is_empty() {
            missing.push((*i, format!("article '{id}'"), lacking));
        }
    }
    for (i, what, lacking) in missing {
        let (file, line) = r.origins[i].clone();
        let file = r.root.join(file);
        let fallback: Vec<&String> = lacking.iter().filter(|l| r.fallback.contains(l)).collect();
        let note = if fallback.is_empty() {
            String::new()
        } else {
            format!(
                "; {} is the fallback language, shown when a phone's language is missing",
                fallback
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        r.warning(
            &file,
            line,
            None,
            format!("{what} has no translation in {}{note}", lacking.join(", ")),
        );
    }
    let mut table = String::from("language   entries missing  fields missing\n");
    for l in &languages {
        let g = &gaps[l.as_str()];
        let fb = if r.fallback.contains(l) {
            " (fallback)"
        } else {
            ""
        };
        let _ = writeln!(
            table,
            "{:<10} {:>7} of {:<6} {:>6}{fb}",
            l, g.entries, total, g.fields
        );
    }
    table
}
