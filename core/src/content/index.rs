//! What of an entry is searchable, in which language, and how it goes into
//! the full-text index.
//!
//! The index holds one row per entry (its rowid is the entry's row id):
//! `title` is every language's title, `body` every language's text plus the
//! text that is the same in every language (organisation, address,
//! categories, emergency numbers), each folded by [`fold`]. One row per
//! entry rather than per language keeps the index small and each query's
//! ranking work proportional to the entries that match, not to their
//! translations; which language to *show* is decided after ranking, from
//! the entry itself (see `search.rs`).

use std::collections::BTreeMap;

use super::model::Entry;
use super::normalize::fold;

/// The FTS5 table's definition: contentless (the text is in `entries`),
/// with no prefix indexes (they doubled the install's index work and
/// barely sped up prefix queries). Word positions stay (`detail=full`):
/// without them a contentless table cannot count a word's occurrences per
/// column, and bm25 would score every match zero.
pub(crate) const CREATE_SEARCH: &str = "CREATE VIRTUAL TABLE search USING fts5(
         title, body,
         content = '', contentless_delete = 1,
         tokenize = 'unicode61 remove_diacritics 0'
     );
     -- A bigger in-memory buffer before FTS5 writes a segment: fewer
     -- segments to merge while a large pack installs (8 MiB, within the
     -- install's memory budget).
     INSERT INTO search(search, rank) VALUES ('hashsize', 8388608);";

/// One language version of an entry's text, as written (for display).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LangText {
    /// BCP 47 tag.
    pub lang: String,
    /// Title in that language (may be empty).
    pub title: String,
    /// Body text in that language.
    pub body: String,
}

/// The searchable text of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct EntryTexts {
    /// One per language the entry has, by tag.
    pub langs: Vec<LangText>,
    /// Text that is the same in every language.
    pub shared: String,
}

impl EntryTexts {
    /// The entry's searchable text.
    pub fn of(entry: &Entry) -> Self {
        let mut by_lang: BTreeMap<&str, LangText> = BTreeMap::new();
        let mut shared: Vec<String> = Vec::new();
        let mut text = |lang, title, body| add_text(&mut by_lang, lang, title, body);
        match entry {
            Entry::Article(a) => text(&a.language, Some(&a.title), &a.body),
            Entry::Service(s) => {
                for (lang, name) in &s.name {
                    text(lang, Some(name), "");
                }
                for (lang, d) in &s.description {
                    text(lang, None, d);
                }
                shared.extend(s.organization.iter().cloned());
                shared.extend(s.address.iter().cloned());
                shared.extend(s.categories.iter().cloned());
            }
            Entry::Country(c) => {
                for (lang, name) in &c.name {
                    text(lang, Some(name), "");
                }
                for (lang, t) in c.asylum.iter().chain(&c.rights) {
                    text(lang, None, t);
                }
                shared.extend(
                    c.emergency
                        .iter()
                        .map(|e| format!("{} {}", e.service, e.number)),
                );
            }
            Entry::Route(r) => {
                for (lang, name) in &r.name {
                    text(lang, Some(name), "");
                }
                for seg in &r.segments {
                    for (lang, t) in seg
                        .from
                        .name
                        .iter()
                        .chain(&seg.to.name)
                        .chain(&seg.notes)
                        .chain(&seg.risks)
                    {
                        text(lang, None, t);
                    }
                }
            }
            Entry::Alert(a) => {
                for (lang, t) in &a.title {
                    text(lang, Some(t), "");
                }
                for (lang, t) in &a.body {
                    text(lang, None, t);
                }
            }
        }
        EntryTexts {
            langs: by_lang
                .into_values()
                .filter(|t| !t.title.is_empty() || !t.body.is_empty())
                .collect(),
            shared: shared.join(" · "),
        }
    }

    /// The folded `(title, body)` the index row holds.
    pub fn index_row(&self) -> (String, String) {
        let mut title = String::new();
        let mut body = String::new();
        for t in &self.langs {
            push_line(&mut title, &fold(&t.title));
            push_line(&mut body, &fold(&t.body));
        }
        push_line(&mut body, &fold(&self.shared));
        (title, body)
    }
}

/// Adds text in `lang`: a title (replacing) and body text (appended).
fn add_text<'a>(
    by_lang: &mut BTreeMap<&'a str, LangText>,
    lang: &'a str,
    title: Option<&str>,
    body: &str,
) {
    let t = by_lang.entry(lang).or_insert_with(|| LangText {
        lang: lang.to_owned(),
        title: String::new(),
        body: String::new(),
    });
    if let Some(title) = title {
        t.title = title.to_owned();
    }
    if !body.is_empty() {
        if !t.body.is_empty() {
            t.body.push_str(" · ");
        }
        t.body.push_str(body);
    }
}

fn push_line(out: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(text);
}
