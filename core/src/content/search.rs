//! Full-text search over every installed pack.
//!
//! - Ranking: FTS5's bm25 with the title weighted 4× the body.
//! - The last query word matches as a prefix, so results appear while
//!   typing; the words before it match whole.
//! - Case, Latin diacritics and Arabic/Persian letter variants and tashkeel
//!   are folded on both sides (see [`super::normalize`]).
//! - Languages: an entry that matches in several languages is shown in the
//!   one the person prefers, else the next along its pack's fallback chain.
//! - Typos: when a word matches nothing, it is replaced by the indexed word
//!   closest to it (Damerau–Levenshtein distance 1 for words up to 5
//!   letters, 2 for longer ones, same first letter), and the search runs
//!   again; the hits say which words were corrected.

use std::collections::HashMap;
use std::rc::Rc;

use chrono::NaiveDate;
use rusqlite::params;
use serde::Serialize;

use super::model::PackManifest;
use super::normalize::fold;
use super::store::{ContentStore, Provenance};
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
    entry: i64,
    lang: String,
    title: String,
    body: String,
    score: f64,
    kind: String,
    entry_id: String,
    verified: String,
    publisher: String,
    pack: i64,
}

impl ContentStore {
    /// Searches every installed pack.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let words = query_words(&query.text);
        if words.is_empty() || query.limit == 0 {
            return Ok(SearchResults {
                hits: Vec::new(),
                corrections: Vec::new(),
            });
        }
        let mut rows = self.match_rows(&words, query.limit)?;
        let mut corrections = Vec::new();
        let mut used = words.clone();
        if rows.is_empty() {
            for (i, w) in words.iter().enumerate() {
                if !self.word_matches(w)?
                    && let Some(better) = self.closest_term(w)?
                {
                    corrections.push((w.clone(), better.clone()));
                    used[i] = better;
                }
            }
            if !corrections.is_empty() {
                rows = self.match_rows(&used, query.limit)?;
            }
        }
        let hits = self.to_hits(rows, &used, query)?;
        Ok(SearchResults { hits, corrections })
    }

    fn match_rows(&self, words: &[String], limit: usize) -> Result<Vec<Row>> {
        // Complete words match exactly; the last one, still being typed,
        // as a prefix. Prefix-matching every word would scan the term index
        // for each.
        let last = words.len() - 1;
        let fts = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let quoted = format!("\"{}\"", w.replace('"', "\"\""));
                if i == last { quoted + "*" } else { quoted }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            // Rank inside FTS5 first and join only the top rows: joining
            // before sorting would carry every match's text into the sorter.
            "SELECT d.entry, d.lang, d.title, d.body, m.score,
                    e.kind, e.entry_id, e.verified, p.publisher, p.id
             FROM (SELECT rowid, bm25(search, 4.0, 1.0) AS score FROM search
                   WHERE search MATCH ?1 ORDER BY score LIMIT ?2) AS m
             JOIN search_docs d ON d.id = m.rowid
             JOIN entries e ON e.id = d.entry
             JOIN packs p ON p.id = e.pack
             ORDER BY m.score",
        )?;
        // Several languages of one entry may match: fetch twice the rows
        // of the hits wanted.
        let rows = stmt.query_map(params![fts, (limit * 2) as i64], |r| {
            Ok(Row {
                entry: r.get(0)?,
                lang: r.get(1)?,
                title: r.get(2)?,
                body: r.get(3)?,
                score: r.get(4)?,
                kind: r.get(5)?,
                entry_id: r.get(6)?,
                verified: r.get(7)?,
                publisher: r.get(8)?,
                pack: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn to_hits(
        &self,
        rows: Vec<Row>,
        words: &[String],
        query: &SearchQuery,
    ) -> Result<Vec<SearchHit>> {
        struct Candidate {
            row: Row,
            verified: NaiveDate,
            manifest: Rc<PackManifest>,
            rank: usize,
        }
        let mut manifests: HashMap<i64, Rc<PackManifest>> = HashMap::new();
        let mut best: Vec<Candidate> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        {
            let conn = self.conn();
            let mut manifest_of =
                conn.prepare_cached("SELECT manifest FROM packs WHERE id = ?1")?;
            for row in rows {
                let manifest = match manifests.get(&row.pack) {
                    Some(m) => Rc::clone(m),
                    None => {
                        let json: String = manifest_of.query_row([row.pack], |r| r.get(0))?;
                        let m = Rc::new(serde_json::from_str::<PackManifest>(&json)?);
                        manifests.insert(row.pack, Rc::clone(&m));
                        m
                    }
                };
                let rank = language_rank(&row.lang, query.language.as_deref(), &manifest.fallback);
                let verified = NaiveDate::parse_from_str(&row.verified, "%Y-%m-%d")
                    .map_err(|_| crate::Error::Integrity("verified date"))?;
                let candidate = Candidate {
                    row,
                    verified,
                    manifest,
                    rank,
                };
                // Best row per entry: by language preference, then score.
                match index.get(&candidate.row.entry) {
                    Some(&i) if best[i].rank <= candidate.rank => {}
                    Some(&i) => best[i] = candidate,
                    None => {
                        index.insert(candidate.row.entry, best.len());
                        best.push(candidate);
                    }
                }
            }
        }
        best.sort_by(|a, b| a.row.score.total_cmp(&b.row.score));
        best.truncate(query.limit);
        Ok(best
            .into_iter()
            .map(|c| {
                let (snippet, highlights) = snippet(&c.row.body, words);
                SearchHit {
                    provenance: self.provenance(&c.row.publisher, &c.manifest, c.verified),
                    kind: c.row.kind,
                    id: c.row.entry_id,
                    language: c.row.lang,
                    title: c.row.title,
                    snippet,
                    highlights,
                    score: c.row.score,
                }
            })
            .collect())
    }

    /// True if `word` (folded) prefixes any indexed term.
    fn word_matches(&self, word: &str) -> Result<bool> {
        let conn = self.conn();
        let fts = format!("\"{}\"*", word.replace('"', "\"\""));
        Ok(conn
            .prepare_cached("SELECT 1 FROM search WHERE search MATCH ?1 LIMIT 1")?
            .exists([fts])?)
    }

    /// The indexed term closest to `word`, if close enough.
    fn closest_term(&self, word: &str) -> Result<Option<String>> {
        let Some(first) = word.chars().next() else {
            return Ok(None);
        };
        let max = if word.chars().count() <= 5 { 1 } else { 2 };
        let conn = self.conn();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab USING fts5vocab(main, 'search', 'row');",
        )?;
        let lo = first.to_string();
        let hi = format!("{first}\u{10FFFF}");
        let mut stmt = conn.prepare_cached(
            "SELECT term, doc FROM temp.search_vocab WHERE term >= ?1 AND term < ?2",
        )?;
        let mut best: Option<(usize, i64, String)> = None;
        let mut rows = stmt.query(params![lo, hi])?;
        while let Some(r) = rows.next()? {
            let term: String = r.get(0)?;
            let docs: i64 = r.get(1)?;
            let d = strsim::damerau_levenshtein(word, &term);
            if d == 0 || d > max {
                continue;
            }
            let better = match &best {
                None => true,
                Some((bd, bdocs, _)) => d < *bd || (d == *bd && docs > *bdocs),
            };
            if better {
                best = Some((d, docs, term));
            }
        }
        Ok(best.map(|(_, _, t)| t))
    }
}

/// Folds and splits the query into words.
fn query_words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
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
/// word as a prefix, with the byte ranges of the matches.
fn snippet(text: &str, words: &[String]) -> (String, Vec<(usize, usize)>) {
    let tokens: Vec<(usize, usize)> = word_spans(text);
    let matches = |span: &(usize, usize)| {
        let folded = fold(&text[span.0..span.1]);
        words.iter().any(|w| folded.starts_with(w.as_str()))
    };
    let first = tokens.iter().position(matches).unwrap_or(0);
    let start_tok = first.saturating_sub(SNIPPET_WORDS / 4);
    let end_tok = (start_tok + SNIPPET_WORDS).min(tokens.len());
    if tokens.is_empty() {
        return (String::new(), Vec::new());
    }
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
        .filter(|s| matches(s))
        .map(|s| (s.0 - start + offset, s.1 - start + offset))
        .collect();
    (out, highlights)
}

/// Byte spans of the words of `text`.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word_char = c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c);
        match (word_char, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}
