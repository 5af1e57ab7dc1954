//! Full-text search over every installed pack.
//!
//! - Ranking: bm25 with the title weighted 4× the body, over Waymark's own
//!   index (see [`super::postings`]).
//! - The last query word matches as a prefix, so results appear while
//!   typing; the words before it match whole.
//! - Case, Latin diacritics and Arabic/Persian letter variants and tashkeel
//!   are folded on both sides (see [`super::normalize`]).
//! - Languages: the index holds one row per entry with every translation;
//!   a hit is shown in the version where the query's words match — the
//!   person's language if it matches, else the next along its pack's
//!   fallback chain.
//! - Typos: when a word matches nothing, it is replaced by the indexed word
//!   closest to it (one edit for words up to 5 letters, two for longer
//!   ones, an edit being a letter added, dropped, changed or swapped with
//!   the next; same first letter), and the search runs again; the hits say
//!   which words were corrected.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use super::index::{EntryTexts, LangText};
use super::model::{Entry, PackManifest};
use super::normalize::{self, WordFolds, fold, is_word_char};
use super::postings;
use super::snapshot::{PackSnapshot, snapshot_version};
use super::store::{ContentStore, Provenance, kind_name, provenance_on};
use crate::error::Result;

/// Words shown around the first match in a snippet.
const SNIPPET_WORDS: usize = 16;

/// A search request.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// What the person typed.
    pub text: String,
    /// The person's language (BCP 47), first in preference.
    pub language: Option<String>,
    /// At most this many hits.
    pub limit: usize,
}

impl SearchQuery {
    /// A query for `text` with no language preference and 20 hits.
    pub fn new(text: impl Into<String>) -> Self {
        SearchQuery {
            text: text.into(),
            language: None,
            limit: 20,
        }
    }

    /// Prefers `lang`.
    pub fn language(mut self, lang: impl Into<String>) -> Self {
        self.language = Some(lang.into());
        self
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// `article`, `service`, `country`, `route` or `alert`.
    pub kind: String,
    /// The entry's id within its pack.
    pub id: String,
    /// The language shown.
    pub language: String,
    /// Title in that language.
    pub title: String,
    /// Words around the first match, in that language.
    pub snippet: String,
    /// Byte ranges of `snippet` that matched.
    pub highlights: Vec<(usize, usize)>,
    /// bm25 score (lower is better).
    pub score: f64,
    /// Where it comes from and how old it is.
    pub provenance: Provenance,
}

/// The hits, and the words corrected if the query had to be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// `(typed, used instead)` for every corrected word.
    pub corrections: Vec<(String, String)>,
}

struct Row {
    score: f64,
    pack: i64,
    entry: Entry,
}

impl ContentStore {
    /// Searches every installed pack: the best `limit` entries in which
    /// every word matches (the last as a prefix), by bm25.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let words = query_words(&query.text);
        if words.is_empty() || query.limit == 0 {
            return Ok(SearchResults {
                hits: Vec::new(),
                corrections: Vec::new(),
            });
        }
        let conn = self.conn();
        // One read transaction: the packs, the index and the entries read
        // are one snapshot, whatever an install commits meanwhile.
        let conn = conn.unchecked_transaction()?;
        let packs = self.pack_snapshot(&conn)?;
        let mut rows = ranked(&conn, &packs, &words, query.limit)?;
        let mut corrections = Vec::new();
        let mut used = words.clone();
        if rows.is_empty() {
            for (i, w) in words.iter().enumerate() {
                if !postings::any_word_begins(&conn, w)?
                    && let Some(better) = closest_term(&conn, &packs, w)?
                {
                    corrections.push((w.clone(), better.clone()));
                    used[i] = better;
                }
            }
            if !corrections.is_empty() {
                rows = ranked(&conn, &packs, &used, query.limit)?;
            }
        }
        let hits = self.to_hits(&packs, rows, &used, query)?;
        Ok(SearchResults { hits, corrections })
    }

    /// The FTS5 MATCH expression with the meaning of a search for `text`
    /// (every word, the last as a prefix), for the benchmark that compares
    /// search with bare FTS5 on the same entries.
    #[doc(hidden)]
    pub fn match_plan(&self, text: &str) -> Vec<String> {
        let words = query_words(text);
        if words.is_empty() {
            return Vec::new();
        }
        vec![match_expression(&words)]
    }

    /// Writes a bare FTS5 index of the installed entries' folded words
    /// into a new database at `path`, as the store held them before its
    /// own index (contentless, `ascii` tokenizer over words separated by
    /// spaces, title and body columns), so the benchmark compares search
    /// with bare FTS5 on the same entries. Returns its size in bytes.
    #[cfg(feature = "synthetic")]
    #[doc(hidden)]
    pub fn write_fts5_baseline(&self, path: &std::path::Path) -> Result<u64> {
        let mut out = rusqlite::Connection::open(path)?;
        let tx = out.transaction()?;
        tx.execute_batch(
            "CREATE VIRTUAL TABLE search USING fts5(title, body, content = '',
                 contentless_delete = 1, tokenize = 'ascii');
             INSERT INTO search(search, rank) VALUES ('hashsize', 8388608);",
        )?;
        {
            let conn = self.conn();
            let conn = conn.unchecked_transaction()?;
            let packs = self.pack_snapshot(&conn)?;
            let mut rows = conn.prepare("SELECT id, pack, body FROM entries")?;
            let mut rows = rows.query([])?;
            let mut insert =
                tx.prepare("INSERT INTO search (rowid, title, body) VALUES (?1, ?2, ?3)")?;
            while let Some(r) = rows.next()? {
                let entry = packs.entry(&conn, r.get(1)?, r.get_ref(2)?.as_blob()?)?;
                let (title, body) = super::index::index_row(&entry);
                insert.execute(rusqlite::params![r.get::<_, i64>(0)?, title, body])?;
            }
        }
        tx.commit()?;
        out.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        drop(out);
        Ok(std::fs::metadata(path)?.len())
    }

    /// The packs as the read connection sees them now, from the cache
    /// unless the database changed since. Callers read in one transaction
    /// on `conn`, so that what they read matches the snapshot.
    pub(crate) fn pack_snapshot(&self, conn: &rusqlite::Connection) -> Result<Arc<PackSnapshot>> {
        let version = snapshot_version(conn)?;
        let mut cached = self.pack_cache();
        if let Some(snapshot) = cached.as_ref().filter(|s| s.version == version) {
            return Ok(Arc::clone(snapshot));
        }
        let snapshot = Arc::new(PackSnapshot::read(conn, version)?);
        *cached = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    fn to_hits(
        &self,
        packs: &PackSnapshot,
        rows: Vec<Row>,
        words: &[String],
        query: &SearchQuery,
    ) -> Result<Vec<SearchHit>> {
        let mut hits = Vec::with_capacity(rows.len());
        let today = self.clock().today();
        let mut folds = packs.word_folds();
        for row in rows {
            // Only when an install commits between the snapshot and the
            // ranking: the hit waits for the next search.
            let Some((publisher, manifest)) = packs.packs.get(&row.pack) else {
                continue;
            };
            let entry = row.entry;
            let texts = EntryTexts::of(&entry);
            let Some(shown) = shown_language(
                &texts,
                words,
                query.language.as_deref(),
                manifest,
                &mut folds,
            ) else {
                continue;
            };
            let title = if shown.title.is_empty() {
                // An entry without a title in that language: the first
                // title along the preference order.
                texts
                    .langs
                    .iter()
                    .filter(|t| !t.title.is_empty())
                    .min_by_key(|t| {
                        language_rank(t.lang, query.language.as_deref(), &manifest.fallback)
                    })
                    .map(|t| t.title.to_owned())
                    .unwrap_or_default()
            } else {
                shown.title.to_owned()
            };
            let body = if texts.shared.is_empty() {
                Cow::Borrowed(&*shown.body)
            } else if shown.body.is_empty() {
                Cow::Borrowed(texts.shared.as_str())
            } else {
                Cow::Owned(format!("{} · {}", shown.body, texts.shared))
            };
            let (snippet, highlights) = snippet(&body, words, &mut folds);
            hits.push(SearchHit {
                provenance: provenance_on(publisher, manifest, entry.verified(), today),
                kind: kind_name(&entry).to_owned(),
                id: entry.id().to_owned(),
                language: shown.lang.to_owned(),
                title,
                snippet,
                highlights,
                score: row.score,
            });
        }
        Ok(hits)
    }
}

/// The best `limit` rows for `words`, with their entries.
fn ranked(
    conn: &rusqlite::Connection,
    packs: &PackSnapshot,
    words: &[String],
    limit: usize,
) -> Result<Vec<Row>> {
    let top = postings::top(conn, words, packs.entries, limit, &packs.removed)?;
    let mut stmt = conn.prepare_cached("SELECT pack, body FROM entries WHERE id = ?1")?;
    let mut out = Vec::with_capacity(top.len());
    for (id, score) in top {
        let mut rows = stmt.query([id])?;
        // Gone only if the index and the entries disagree, which one
        // transaction writes together: skipped, not an error.
        if let Some(r) = rows.next()? {
            let pack = r.get(0)?;
            out.push(Row {
                score,
                pack,
                entry: packs.entry(conn, pack, r.get_ref(1)?.as_blob()?)?,
            });
        }
    }
    Ok(out)
}

/// The indexed word closest to `word`, if close enough: the same first
/// letter, at most one edit away for words up to 5 letters and two for
/// longer ones (optimal string alignment: Damerau–Levenshtein with no
/// letter edited twice), the word in the most entries among the closest.
fn closest_term(
    conn: &rusqlite::Connection,
    packs: &PackSnapshot,
    word: &str,
) -> Result<Option<String>> {
    let Some(first) = word.chars().next() else {
        return Ok(None);
    };
    let word: Vec<char> = word.chars().collect();
    let max = if word.len() <= 5 { 1 } else { 2 };
    let vocabulary = packs.vocabulary(conn)?;
    let mut buf = [0u8; 4];
    let from = vocabulary.partition_point(|(t, _)| **t < *first.encode_utf8(&mut buf));
    let mut best: Option<(usize, u64, &str)> = None;
    let mut term_chars = Vec::new();
    let mut rows = OsaRows::default();
    for (term, docs) in vocabulary[from..]
        .iter()
        .take_while(|(t, _)| t.starts_with(first))
    {
        // Each edit changes the length by one letter at most.
        if term.len() > 4 * (word.len() + max) {
            continue;
        }
        term_chars.clear();
        term_chars.extend(term.chars());
        let Some(d) = rows.distance_within(&word, &term_chars, max) else {
            continue;
        };
        if d == 0 {
            continue;
        }
        if best.is_none_or(|(bd, bdocs, _)| d < bd || (d == bd && *docs > bdocs)) {
            best = Some((d, *docs, term));
        }
    }
    Ok(best.map(|(_, _, t)| t.to_owned()))
}

/// The rows of [`OsaRows::distance_within`], kept from one word to the
/// next.
#[derive(Default)]
struct OsaRows {
    before: Vec<usize>,
    last: Vec<usize>,
    row: Vec<usize>,
}

impl OsaRows {
    /// The optimal string alignment distance between `a` and `b` (edits:
    /// insert, delete, substitute, swap two neighbours; no letter edited
    /// twice), if it is at most `max`. Only the cells within `max` of the
    /// diagonal are worked out, and it stops at the first row that is all
    /// past `max`: a few steps per letter, where the whole table takes
    /// one per pair of letters.
    fn distance_within(&mut self, a: &[char], b: &[char], max: usize) -> Option<usize> {
        if a.len().abs_diff(b.len()) > max {
            return None;
        }
        let far = max + 1;
        let width = b.len() + 1;
        for r in [&mut self.before, &mut self.last, &mut self.row] {
            r.clear();
            r.resize(width, far);
        }
        for (j, cell) in self.last.iter_mut().enumerate().take(far) {
            *cell = j;
        }
        for i in 1..=a.len() {
            self.row.fill(far);
            if i <= max {
                self.row[0] = i;
            }
            let (low, high) = (i.saturating_sub(max).max(1), (i + max).min(b.len()));
            let mut best = self.row[0];
            for j in low..=high {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut d = (self.last[j - 1] + cost)
                    .min(self.last[j] + 1)
                    .min(self.row[j - 1] + 1);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d = d.min(self.before[j - 2] + 1);
                }
                self.row[j] = d.min(far);
                best = best.min(self.row[j]);
            }
            if best > max {
                return None;
            }
            std::mem::swap(&mut self.before, &mut self.last);
            std::mem::swap(&mut self.last, &mut self.row);
        }
        Some(self.last[b.len()]).filter(|&d| d <= max)
    }
}

/// The MATCH expression for `words`: complete words match exactly; the
/// last one, still being typed, as a prefix (prefix-matching every word
/// would scan the term index for each).
fn match_expression(words: &[String]) -> String {
    let last = words.len() - 1;
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let quoted = format!("\"{}\"", w.replace('"', "\"\""));
            if i == last { quoted + "*" } else { quoted }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The language version of a hit to show: among the versions in which
/// every query word matches (counting the text shared by all), or else the
/// most words, the person's language first, then the pack's fallback
/// chain. `None` if the entry has no text at all.
fn shown_language<'t, 'a>(
    texts: &'t EntryTexts<'a>,
    words: &[String],
    preferred: Option<&str>,
    manifest: &PackManifest,
    folds: &mut WordFolds,
) -> Option<&'t LangText<'a>> {
    if let [only] = &texts.langs[..] {
        return Some(only);
    }
    // The shared text is the same in every version: looked at once.
    let mut in_shared = vec![false; words.len()];
    find_words(&texts.shared, words, &mut in_shared, folds);
    let mut found = Vec::with_capacity(words.len());
    let mut matched = |t: &LangText| {
        found.clone_from(&in_shared);
        find_words(t.title, words, &mut found, folds);
        find_words(&t.body, words, &mut found, folds);
        found.iter().filter(|&&m| m).count()
    };
    // In order of preference; the first version in which every word
    // matches is the one (no later one can do better).
    let mut ranked: Vec<(usize, &LangText<'a>)> = texts
        .langs
        .iter()
        .map(|t| (language_rank(t.lang, preferred, &manifest.fallback), t))
        .collect();
    crate::sort::sort_by(&mut ranked, |a, b| a.0.cmp(&b.0));
    let mut best: Option<(usize, &LangText<'a>)> = None;
    for (_, t) in ranked {
        let n = matched(t);
        if n == words.len() {
            return Some(t);
        }
        if best.is_none_or(|(b, _)| n > b) {
            best = Some((n, t));
        }
    }
    best.map(|(_, t)| t)
}

/// Marks in `found` the query `words` that `text` (as written) has: whole,
/// or as a prefix for the last word (still being typed). Reads the text a
/// word at a time, folding each as [`normalize::fold_word`] does (an ASCII word only
/// needs its case folded), and stops when every word is found: the
/// version shown is chosen without folding whole texts.
fn find_words(text: &str, words: &[String], found: &mut [bool], folds: &mut WordFolds) {
    let last = words.len() - 1;
    let mut left = found.iter().filter(|&&m| !m).count();
    // Text in ASCII folds to ASCII: a word that is not has no match in it.
    let ascii_left = |found: &[bool]| (0..words.len()).any(|i| !found[i] && words[i].is_ascii());
    if left == 0 || (text.is_ascii() && !ascii_left(found)) {
        return;
    }
    let mut folded = String::new();
    for (start, end) in word_spans(text) {
        let token = &text[start..end];
        let token: &str = if token.is_ascii() {
            if token.bytes().any(|b| b.is_ascii_uppercase()) {
                folded.clear();
                folded.push_str(token);
                folded.make_ascii_lowercase();
                &folded
            } else {
                token
            }
        } else {
            let left = (0..words.len()).filter(|&i| !found[i]).map(|i| &*words[i]);
            if !may_match(token, left) {
                continue;
            }
            folds.fold(token)
        };
        for (i, w) in words.iter().enumerate() {
            if found[i] {
                continue;
            }
            let hit = if i == last {
                token.starts_with(w.as_str())
            } else {
                token == w
            };
            if hit {
                found[i] = true;
                left -= 1;
            }
        }
        if left == 0 {
            return;
        }
    }
}

/// Folds and splits the query into words.
fn query_words(text: &str) -> Vec<String> {
    normalize::words(&fold(text)).map(str::to_owned).collect()
}

/// 0 for the person's language, then the pack's fallback chain, then the
/// rest.
fn language_rank(lang: &str, preferred: Option<&str>, fallback: &[String]) -> usize {
    let same =
        |a: &str, b: &str| a.eq_ignore_ascii_case(b) || primary(a).eq_ignore_ascii_case(primary(b));
    if preferred.is_some_and(|p| same(lang, p)) {
        return 0;
    }
    fallback
        .iter()
        .position(|f| same(lang, f))
        .map_or(usize::MAX, |i| i + 1)
}

/// `ti` of `ti-ER`.
fn primary(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

/// A window of the original text around the first word that matches a query
/// word as a prefix, with the byte ranges of the matches. The text is read
/// only as far as the window's end.
fn snippet(text: &str, words: &[String], folds: &mut WordFolds) -> (String, Vec<(usize, usize)>) {
    let mut matches = |span: &(usize, usize)| token_matches(&text[span.0..span.1], words, folds);
    let mut spans = word_spans(text);
    // Every word up to the first match (or all, if none matches), then
    // the rest of the window and one word more, to know if text follows.
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let found = spans.by_ref().position(|span| {
        tokens.push(span);
        matches(&span)
    });
    let first = found.unwrap_or(0);
    let start_tok = first.saturating_sub(SNIPPET_WORDS / 4);
    tokens.extend(spans.take((start_tok + SNIPPET_WORDS + 1).saturating_sub(tokens.len())));
    if tokens.is_empty() {
        return (String::new(), Vec::new());
    }
    let end_tok = (start_tok + SNIPPET_WORDS).min(tokens.len());
    let start = tokens[start_tok].0;
    let end = tokens[end_tok - 1].1;
    let mut out = String::new();
    if start_tok > 0 {
        out.push('…');
    }
    let offset = out.len();
    // Line breaks become spaces (same length, so highlights stay valid).
    out.push_str(&text[start..end].replace(['\n', '\r', '\t'], " "));
    if end_tok < tokens.len() {
        out.push('…');
    }
    let highlights = tokens[start_tok..end_tok]
        .iter()
        .enumerate()
        .filter(|(i, s)| match found {
            // Words before the first match are known not to match.
            Some(f) => start_tok + i == f || (start_tok + i > f && matches(s)),
            None => false,
        })
        .map(|(_, s)| (s.0 - start + offset, s.1 - start + offset))
        .collect();
    (out, highlights)
}

/// False if `token`'s first letter shows that its fold begins as none of
/// `words` does (see [`normalize::folded_start`]): it need not be folded.
fn may_match<'w>(token: &str, mut words: impl Iterator<Item = &'w str>) -> bool {
    match normalize::folded_start(token) {
        Some(start) => words.any(|w| start.may_begin(w)),
        None => true,
    }
}

/// True if the word `token` of a text, folded, begins with a query word.
fn token_matches(token: &str, words: &[String], folds: &mut WordFolds) -> bool {
    if token.is_ascii() {
        // Folding ASCII only lower-cases it: compare without folding.
        return words.iter().any(|w| {
            token.len() >= w.len() && token.as_bytes()[..w.len()].eq_ignore_ascii_case(w.as_bytes())
        });
    }
    if !may_match(token, words.iter().map(String::as_str)) {
        return false;
    }
    let folded = folds.fold(token);
    words.iter().any(|w| folded.starts_with(w.as_str()))
}

/// Byte spans of the words of `text`, in order, found as they are asked
/// for.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices();
    std::iter::from_fn(move || {
        let start = chars.by_ref().find(|&(_, c)| is_word_char(c))?.0;
        let end = chars
            .by_ref()
            .find(|&(_, c)| !is_word_char(c))
            .map_or(text.len(), |(i, _)| i);
        Some((start, end))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snippet of `text` for what was typed, with no folds kept.
    fn snip(text: &str, query: &str) -> (String, Vec<(usize, usize)>) {
        snippet(text, &query_words(query), &mut WordFolds::default())
    }

    fn highlighted(text: &str, query: &str) -> Vec<String> {
        let (snippet, highlights) = snip(text, query);
        highlights
            .iter()
            .map(|&(a, b)| snippet[a..b].to_string())
            .collect()
    }

    proptest::proptest! {
        /// The banded distance is the whole table's (strsim's) whenever
        /// that is within the bound, and says so when it is not.
        #[test]
        fn the_banded_distance_is_the_whole_tables(
            a in "[abcé]{0,9}",
            b in "[abcé]{0,9}",
            max in 0usize..4,
        ) {
            let whole = strsim::osa_distance(&a, &b);
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            let banded = OsaRows::default().distance_within(&a, &b, max);
            proptest::prop_assert_eq!(banded, Some(whole).filter(|&d| d <= max));
        }
    }

    #[test]
    fn a_snippet_highlights_every_word_that_matches_and_nothing_else() {
        assert_eq!(
            highlighted("Legal aid: LEGAL clinic, Légal help, illegal.", "legal"),
            ["Legal", "LEGAL", "Légal"]
        );
        assert_eq!(
            highlighted("مساعدة قانونية والمساعدة", "المساعدة"),
            ["مساعدة", "والمساعدة"]
        );
        assert!(highlighted("Nothing to see here.", "police").is_empty());
        assert_eq!(highlighted("Bus timetables", "time"), ["timetables"]);
    }

    #[test]
    fn a_snippet_is_a_window_around_the_first_match_marked_where_it_is_cut() {
        let text: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let text = text.join(" ");
        let window = |from: usize, to: usize| {
            (from..to)
                .map(|i| format!("w{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (s, h) = snip(&text, "w20");
        assert_eq!(s, format!("…{}…", window(16, 32)));
        assert_eq!(&s[h[0].0..h[0].1], "w20");
        // At the start: no leading mark.
        let (s, _) = snip(&text, "w1");
        assert_eq!(s, format!("{}…", window(0, 16)));
        // At the end: no trailing mark; the window ends with the text.
        let (s, h) = snip(&text, "w36");
        assert_eq!(s, format!("…{}", window(32, 40)));
        assert_eq!(h.len(), 1);
        // No match: the beginning.
        let (s, h) = snip(&text, "zzz");
        assert_eq!(s, format!("{}…", window(0, 16)));
        assert!(h.is_empty());
        // Exactly a window's worth after the match: nothing cut at the end.
        let (s, _) = snip(&window(0, 20), "w4");
        assert_eq!(s, window(0, 16) + "…");
        let (s, _) = snip(&window(0, 16), "w4");
        assert_eq!(s, window(0, 16));
        assert_eq!(snip("", "w").0, "");
    }
}
