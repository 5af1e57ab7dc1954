//! Search engines side by side on the search corpus (issue 21): Waymark's
//! search (its own index, `content/postings.rs`) and Tantivy, the Rust
//! search library, on the
//! same 100,000 entries in six languages and the same 600 queries
//! (`waymark_core::content::synthetic::{corpus_entries, corpus_queries}`;
//! `WAYMARK_BENCH_ENTRIES` for another size, `WAYMARK_BENCH_ROUNDS` for
//! more rounds of the queries).
//!
//! `cargo bench -p waymark-bench --bench engines` prints, for each engine:
//! the time to build or install the index and its size on disk (all the
//! displayed text included), then search p50/p99 overall and per kind of
//! query, and the ratios. (Bare FTS5 over the same words is in
//! `core/benches/content.rs`.)
//!
//! Tantivy gets what Waymark does, so that the two answer the same
//! question: the text folded the same way (`content::normalize::fold`:
//! case, Latin accents, Arabic and Persian letter variants and vowel
//! marks), one document per entry holding every translation, the title
//! boosted 4× over the body, every word but the last matched whole and the
//! last as a prefix (search as you type), a second try with each word
//! within one edit when nothing matched (Waymark corrects typos), and the
//! top 20 hits fetched with their stored text (Waymark also builds a
//! snippet and provenance for each; Tantivy's figure does not include
//! that).

use std::ops::Bound;
use std::time::{Duration, Instant};

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, STORED, Schema, TEXT, Value};
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{Index, IndexSettings, TantivyDocument, Term, doc};
use waymark_core::content::model::Entry;
use waymark_core::content::normalize::fold;
use waymark_core::content::synthetic::{
    CORPUS_LANGS, CorpusQuery, QueryKind, SyntheticPublisher, corpus_entries, corpus_queries,
    manifest,
};
use waymark_core::content::{ContentStore, SearchQuery, TrustRequest};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("a directory")
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// An entry's titles and other texts, every translation, as Waymark
/// indexes them (one row per entry).
fn texts(e: &Entry) -> (String, String) {
    let join = |t: &std::collections::BTreeMap<String, String>| {
        t.values().cloned().collect::<Vec<_>>().join("\n")
    };
    match e {
        Entry::Service(s) => (join(&s.name), join(&s.description)),
        Entry::Article(a) => (a.title.clone(), a.body.clone()),
        Entry::Alert(a) => (join(&a.title), join(&a.body)),
        other => (String::new(), serde_json::to_string(other).expect("json")),
    }
}

/// Per-kind timings of one engine.
struct Timings {
    all: Vec<Duration>,
    by_kind: Vec<(QueryKind, Vec<Duration>)>,
}

impl Timings {
    fn new() -> Timings {
        let by_kind = QueryKind::ALL
            .into_iter()
            .map(|k| (k, Vec::new()))
            .collect();
        Timings {
            all: Vec::new(),
            by_kind,
        }
    }

    fn push(&mut self, kind: QueryKind, took: Duration) {
        self.all.push(took);
        if let Some((_, v)) = self.by_kind.iter_mut().find(|(k, _)| *k == kind) {
            v.push(took);
        }
    }

    fn report(&mut self, name: &str) -> (Duration, Duration) {
        self.all.sort();
        let (p50, p99) = (percentile(&self.all, 0.5), percentile(&self.all, 0.99));
        println!(
            "{name:<9} search ({} queries): p50 {:.3} ms, p99 {:.3} ms",
            self.all.len(),
            ms(p50),
            ms(p99)
        );
        for (kind, times) in &mut self.by_kind {
            times.sort();
            println!(
                "  {:<11} ({:>4}): p50 {:.3} ms, p99 {:.3} ms",
                format!("{kind:?}"),
                times.len(),
                ms(percentile(times, 0.5)),
                ms(percentile(times, 0.99))
            );
        }
        (p50, p99)
    }
}

/// Tantivy, set up as Waymark's search is.
struct Tantivy {
    searcher: tantivy::Searcher,
    _reader: tantivy::IndexReader,
    title: tantivy::schema::Field,
    body: tantivy::schema::Field,
    shown_title: tantivy::schema::Field,
    shown_body: tantivy::schema::Field,
}

impl Tantivy {
    fn build(dir: &std::path::Path, entries: &[Entry]) -> (Tantivy, Duration) {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let shown_title = schema.add_text_field("shown_title", STORED);
        let shown_body = schema.add_text_field("shown_body", STORED);
        let settings = IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor::default()),
            ..IndexSettings::default()
        };
        let t = Instant::now();
        let index = Index::builder()
            .schema(schema.build())
            .settings(settings)
            .create_in_dir(dir)
            .expect("a Tantivy index");
        // Two threads, as Waymark's install uses.
        let mut writer: tantivy::IndexWriter = index
            .writer_with_num_threads(2, 64_000_000)
            .expect("a writer");
        for e in entries {
            let (t, b) = texts(e);
            writer
                .add_document(doc!(
                    title => fold(&t),
                    body => fold(&b),
                    shown_title => t,
                    shown_body => b,
                ))
                .expect("added");
        }
        writer.commit().expect("committed");
        writer.wait_merging_threads().expect("merged");
        let took = t.elapsed();
        let reader = index.reader().expect("a reader");
        let searcher = reader.searcher();
        (
            Tantivy {
                searcher,
                _reader: reader,
                title,
                body,
                shown_title,
                shown_body,
            },
            took,
        )
    }

    /// One field's clause for `word`: whole, as a prefix, or within one
    /// edit.
    fn clause(&self, field: tantivy::schema::Field, word: &str, how: Match) -> Box<dyn Query> {
        let term = Term::from_field_text(field, word);
        match how {
            Match::Whole => Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            Match::Prefix => {
                // Every term from the prefix up to (not including) the
                // prefix with its last byte raised: the prefix's terms.
                let mut upper = word.as_bytes().to_vec();
                while let Some(last) = upper.pop() {
                    if last < 0xff {
                        upper.push(last + 1);
                        break;
                    }
                }
                let upper = match String::from_utf8(upper) {
                    Ok(u) if !u.is_empty() => Bound::Excluded(Term::from_field_text(field, &u)),
                    _ => Bound::Unbounded,
                };
                Box::new(RangeQuery::new(Bound::Included(term), upper))
            }
            Match::Fuzzy => Box::new(FuzzyTermQuery::new(term, 1, true)),
        }
    }

    /// Every word must match (in the title or the body); each as `how`
    /// says.
    fn query(&self, words: &[String], how: &[Match]) -> BooleanQuery {
        let clauses = words
            .iter()
            .zip(how)
            .map(|(w, &how)| {
                let either: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(self.clause(self.title, w, how), 4.0)),
                    ),
                    (Occur::Should, self.clause(self.body, w, how)),
                ]));
                (Occur::Must, either)
            })
            .collect();
        BooleanQuery::new(clauses)
    }

    /// Whether `word` is a whole word of the index (title or body).
    fn known(&self, word: &str) -> bool {
        [self.title, self.body].into_iter().any(|f| {
            self.searcher
                .doc_freq(&Term::from_field_text(f, word))
                .is_ok_and(|n| n > 0)
        })
    }

    /// The top 20 hits with their stored text.
    fn search(&self, text: &str) -> Vec<(String, String)> {
        let words: Vec<String> = fold(text).split_whitespace().map(str::to_owned).collect();
        if words.is_empty() {
            return Vec::new();
        }
        let top = TopDocs::with_limit(20).order_by_score();
        // Every word whole but the last, a prefix.
        let mut how: Vec<Match> = (0..words.len())
            .map(|i| {
                if i + 1 == words.len() {
                    Match::Prefix
                } else {
                    Match::Whole
                }
            })
            .collect();
        let mut hits = self
            .searcher
            .search(&self.query(&words, &how), &top)
            .expect("search");
        // Nothing: as Waymark does, the words that match nothing at all
        // are taken within one edit, and the search runs again.
        if hits.is_empty() {
            let mut corrected = false;
            for (w, h) in words.iter().zip(&mut how) {
                let matches_nothing = match h {
                    Match::Whole => !self.known(w),
                    Match::Prefix => {
                        let alone = self.query(std::slice::from_ref(w), &[Match::Prefix]);
                        self.searcher
                            .search(&alone, &tantivy::collector::Count)
                            .is_ok_and(|n| n == 0)
                    }
                    Match::Fuzzy => false,
                };
                if matches_nothing {
                    *h = Match::Fuzzy;
                    corrected = true;
                }
            }
            if corrected {
                hits = self
                    .searcher
                    .search(&self.query(&words, &how), &top)
                    .expect("search");
            }
        }
        hits.into_iter()
            .map(|(_, address)| {
                let d: TantivyDocument = self.searcher.doc(address).expect("a document");
                let get = |f| {
                    d.get_first(f)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                (get(self.shown_title), get(self.shown_body))
            })
            .collect()
    }
}

#[derive(Clone, Copy)]
enum Match {
    Whole,
    Prefix,
    Fuzzy,
}

fn main() {
    let n = env_or("WAYMARK_BENCH_ENTRIES", 100_000);
    let rounds = env_or("WAYMARK_BENCH_ROUNDS", 5);
    let tmp = tempfile::tempdir().expect("tempdir");
    let entries = corpus_entries(n, 42);
    let queries: Vec<CorpusQuery> = corpus_queries(600, 11);
    println!(
        "corpus: {n} entries in {} languages, {} queries",
        CORPUS_LANGS.len(),
        queries.len()
    );

    // Waymark: the signed bundle installed as a phone installs it.
    let publisher = SyntheticPublisher::new("synthetic").expect("publisher");
    let mut m = manifest("synthetic", "bench", 1);
    m.languages = CORPUS_LANGS.iter().map(|l| l.to_string()).collect();
    let mut pack = Vec::new();
    waymark_core::content::pack::write_pack(&m, &entries, &mut pack).expect("pack");
    let bundle = tmp.path().join("bench.wmbundle");
    publisher
        .bundle(
            &pack,
            "bench",
            1,
            std::fs::File::create(&bundle).expect("bundle file"),
        )
        .expect("bundle");
    let store_dir = tmp.path().join("waymark");
    let store = ContentStore::open(&store_dir).expect("open");
    store
        .trust_publisher(&publisher.card().expect("card"), &TrustRequest::default())
        .expect("trust");
    let t = Instant::now();
    store.install_bundle(&bundle).expect("install");
    let waymark_install = t.elapsed();
    drop(store);
    let waymark_bytes = dir_bytes(&store_dir);
    println!(
        "waymark   install: {:.2} s ({:.0} entries/s), store {:.1} MB",
        waymark_install.as_secs_f64(),
        n as f64 / waymark_install.as_secs_f64(),
        waymark_bytes as f64 / 1e6
    );

    // Tantivy.
    let tantivy_dir = tmp.path().join("tantivy");
    std::fs::create_dir_all(&tantivy_dir).expect("tantivy dir");
    let (tantivy, tantivy_build) = Tantivy::build(&tantivy_dir, &entries);
    let tantivy_bytes = dir_bytes(&tantivy_dir);
    println!(
        "tantivy   build:   {:.2} s ({:.0} entries/s), index {:.1} MB",
        tantivy_build.as_secs_f64(),
        n as f64 / tantivy_build.as_secs_f64(),
        tantivy_bytes as f64 / 1e6
    );
    drop(entries);

    let store = ContentStore::open(&store_dir).expect("open");
    let mut ours = Timings::new();
    let mut theirs = Timings::new();
    for round in 0..rounds {
        for q in &queries {
            let mut run_ours = || {
                let t = Instant::now();
                let r = store
                    .search(&SearchQuery::new(q.text.as_str()).language(q.language))
                    .expect("search");
                ours.push(q.kind, t.elapsed());
                std::hint::black_box(r);
            };
            let mut run_theirs = || {
                let t = Instant::now();
                let r = tantivy.search(&q.text);
                theirs.push(q.kind, t.elapsed());
                std::hint::black_box(r);
            };
            // Alternate which goes first, so neither always runs on the
            // other's warm caches.
            if round % 2 == 0 {
                run_ours();
                run_theirs();
            } else {
                run_theirs();
                run_ours();
            }
        }
    }
    let (o50, o99) = ours.report("waymark");
    let (t50, t99) = theirs.report("tantivy");
    println!(
        "waymark / tantivy: p50 {:.2}x, p99 {:.2}x, size {:.2}x",
        o50.as_secs_f64() / t50.as_secs_f64(),
        o99.as_secs_f64() / t99.as_secs_f64(),
        waymark_bytes as f64 / tantivy_bytes as f64
    );
}
