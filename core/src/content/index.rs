//! What of an entry is searchable, in which language, and how it goes into
//! the full-text index.
//!
//! The index holds one row per entry (its rowid is the entry's row id):
//! `title` is every language's title, `body` every language's text plus the
//! text that is the same in every language (organisation, address,
//! categories, emergency numbers), each folded by
//! [`fold`](super::normalize::fold). One row per
//! entry rather than per language keeps the index small and each query's
//! ranking work proportional to the entries that match, not to their
//! translations; which language to *show* is decided after ranking, from
//! the entry itself (see `search.rs`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::model::{Entry, Translations};
use super::normalize::{fold_into, words};

/// One language version of an entry's text, as written (for display),
/// borrowed from the entry where it is one piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LangText<'a> {
    /// BCP 47 tag.
    pub lang: &'a str,
    /// Title in that language (may be empty).
    pub title: &'a str,
    /// Body text in that language.
    pub body: Cow<'a, str>,
}

/// The searchable text of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct EntryTexts<'a> {
    /// One per language the entry has, by tag.
    pub langs: Vec<LangText<'a>>,
    /// Text that is the same in every language.
    pub shared: String,
}

/// One piece of an entry's searchable text.
enum Part<'a> {
    /// A title in a language.
    Title(&'a str, &'a str),
    /// Body text in a language.
    Body(&'a str, &'a str),
    /// Text that is the same in every language.
    Shared(Cow<'a, str>),
}

/// Every searchable piece of `entry`, in order: the one place that says
/// what of an entry is searched, for the index and for display alike.
fn visit<'a>(entry: &'a Entry, mut f: impl FnMut(Part<'a>)) {
    let titles = |t: &'a Translations, f: &mut dyn FnMut(Part<'a>)| {
        for (lang, text) in t {
            f(Part::Title(lang, text));
        }
    };
    let bodies = |t: &'a Translations, f: &mut dyn FnMut(Part<'a>)| {
        for (lang, text) in t {
            f(Part::Body(lang, text));
        }
    };
    match entry {
        Entry::Article(a) => {
            f(Part::Title(&a.language, &a.title));
            f(Part::Body(&a.language, &a.body));
        }
        Entry::Service(s) => {
            titles(&s.name, &mut f);
            bodies(&s.description, &mut f);
            for shared in s.organization.iter().chain(&s.address).chain(&s.categories) {
                f(Part::Shared(Cow::Borrowed(shared)));
            }
        }
        Entry::Country(c) => {
            titles(&c.name, &mut f);
            bodies(&c.asylum, &mut f);
            bodies(&c.rights, &mut f);
            for e in &c.emergency {
                f(Part::Shared(Cow::Owned(format!(
                    "{} {}",
                    e.service, e.number
                ))));
            }
        }
        Entry::Route(r) => {
            titles(&r.name, &mut f);
            for seg in &r.segments {
                bodies(&seg.from.name, &mut f);
                bodies(&seg.to.name, &mut f);
                bodies(&seg.notes, &mut f);
                bodies(&seg.risks, &mut f);
            }
        }
        Entry::Alert(a) => {
            titles(&a.title, &mut f);
            bodies(&a.body, &mut f);
        }
    }
}

/// The `(title, body)` of `entry`'s index row: the folded words of every
/// language's titles, then of every language's text and the shared text,
/// separated by single spaces (what [`super::postings::IndexBuilder`]
/// expects).
pub(crate) fn index_row(entry: &Entry) -> (String, String) {
    let mut title = String::new();
    let mut body = String::new();
    let mut folded = String::new();
    visit(entry, |part| {
        let (out, text) = match &part {
            Part::Title(_, t) => (&mut title, *t),
            Part::Body(_, t) => (&mut body, *t),
            Part::Shared(t) => (&mut body, t.as_ref()),
        };
        folded.clear();
        fold_into(&mut folded, text);
        for w in words(&folded) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    });
    (title, body)
}

impl<'a> EntryTexts<'a> {
    /// The entry's searchable text, by language, as written.
    pub fn of(entry: &'a Entry) -> Self {
        let mut by_lang: BTreeMap<&str, LangText<'a>> = BTreeMap::new();
        let mut shared: Vec<Cow<'_, str>> = Vec::new();
        visit(entry, |part| match part {
            Part::Title(lang, t) => text_in(&mut by_lang, lang).title = t,
            Part::Body(lang, t) => {
                let body = &mut text_in(&mut by_lang, lang).body;
                if body.is_empty() {
                    *body = Cow::Borrowed(t);
                } else if !t.is_empty() {
                    let body = body.to_mut();
                    body.push_str(" · ");
                    body.push_str(t);
                }
            }
            Part::Shared(t) => shared.push(t),
        });
        EntryTexts {
            langs: by_lang
                .into_values()
                .filter(|t| !t.title.is_empty() || !t.body.is_empty())
                .collect(),
            shared: shared.join(" · "),
        }
    }
}

/// The text in `lang`, new and empty if there was none yet.
fn text_in<'m, 'a>(
    by_lang: &'m mut BTreeMap<&'a str, LangText<'a>>,
    lang: &'a str,
) -> &'m mut LangText<'a> {
    by_lang.entry(lang).or_insert_with(|| LangText {
        lang,
        title: "",
        body: Cow::Borrowed(""),
    })
}
