//! The search benchmark's corpus (issue 21): entries in six languages
//! (English, French, Spanish, Arabic, Farsi, Ukrainian) written with real
//! words, and the queries a person types into it.
//!
//! - Words come from each language's 6,000 most frequent (`vocab/`, from
//!   wordfreq), drawn with Zipf's law, so function words are frequent and
//!   most content words rare, as in real text.
//! - Titles have 4–8 words; bodies 3–6 sentences of 6–14 words.
//! - Half the Arabic texts, and a fifth of the Farsi ones, carry short
//!   vowels and shadda on some words (as some publishers write them); the
//!   rest have none.
//! - 70% services (a name and a description in their own language, in
//!   English too, sometimes in a third), 25% articles (one language), 5%
//!   alerts (all six).
//!
//! Deterministic for a seed. Everything is labelled as sample data by the
//! manifest ([`super::manifest`]).

use std::sync::OnceLock;

use chrono::{NaiveDate, TimeZone, Utc};

use super::Rng;
use crate::content::model::*;

/// The corpus's languages.
pub const CORPUS_LANGS: [&str; 6] = ["en", "fr", "es", "ar", "fa", "uk"];

const VOCAB_TEXT: [&str; 6] = [
    include_str!("vocab/en.txt"),
    include_str!("vocab/fr.txt"),
    include_str!("vocab/es.txt"),
    include_str!("vocab/ar.txt"),
    include_str!("vocab/fa.txt"),
    include_str!("vocab/uk.txt"),
];

/// Arabic short vowels (fatha, damma, kasra), sukun and shadda.
const HARAKAT: [char; 5] = ['\u{064E}', '\u{064F}', '\u{0650}', '\u{0652}', '\u{0651}'];

/// One language's words, most frequent first, with the cumulative Zipf
/// weights to draw them by.
struct Vocab {
    words: Vec<&'static str>,
    cumulative: Vec<f64>,
}

impl Vocab {
    fn new(text: &'static str) -> Vocab {
        let words: Vec<&str> = text.lines().filter(|w| !w.is_empty()).collect();
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|rank| {
                total += 1.0 / (rank as f64 + 1.0);
                total
            })
            .collect();
        Vocab { words, cumulative }
    }

    /// A word drawn by Zipf's law (P(rank k) ∝ 1/k).
    fn draw(&self, rng: &mut Rng) -> &'static str {
        let total = *self.cumulative.last().expect("a vocabulary has words");
        let x = rng.unit() * total;
        let i = self.cumulative.partition_point(|&c| c < x);
        self.words[i.min(self.words.len() - 1)]
    }

    /// A word of rank `from..to` (uniform): what people search for, not
    /// the function words.
    fn content_word(&self, rng: &mut Rng, from: usize, to: usize) -> &'static str {
        let to = to.min(self.words.len());
        self.words[from + rng.below(to - from)]
    }
}

fn vocabularies() -> &'static [Vocab; 6] {
    static VOCABS: OnceLock<[Vocab; 6]> = OnceLock::new();
    VOCABS.get_or_init(|| VOCAB_TEXT.map(Vocab::new))
}

/// Adds short vowels to some letters of `word` (Arabic script).
fn vocalize(word: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(word.len() * 2);
    for c in word.chars() {
        out.push(c);
        if ('\u{0621}'..='\u{064A}').contains(&c) && rng.below(3) > 0 {
            out.push(HARAKAT[rng.below(HARAKAT.len())]);
        }
    }
    out
}

/// `n` words of `lang`, each vocalized with probability `vowels`.
fn words(lang: usize, n: usize, vowels: f64, rng: &mut Rng) -> Vec<String> {
    let vocab = &vocabularies()[lang];
    (0..n)
        .map(|_| {
            let w = vocab.draw(rng);
            if vowels > 0.0 && rng.unit() < vowels {
                vocalize(w, rng)
            } else {
                w.to_owned()
            }
        })
        .collect()
}

/// How much of a text in `lang` is vocalized: Arabic texts half the time,
/// Farsi a fifth, each then on a third of their words.
fn vowels_for(lang: usize, rng: &mut Rng) -> f64 {
    let chance = match CORPUS_LANGS[lang] {
        "ar" => 0.5,
        "fa" => 0.2,
        _ => 0.0,
    };
    if rng.unit() < chance { 0.33 } else { 0.0 }
}

fn capitalize(words: &mut [String]) {
    if let Some(first) = words.first_mut() {
        let mut chars = first.chars();
        if let Some(c) = chars.next() {
            *first = c.to_uppercase().chain(chars).collect();
        }
    }
}

/// A title of 4–8 words.
fn title(lang: usize, rng: &mut Rng) -> String {
    let vowels = vowels_for(lang, rng);
    let mut w = words(lang, 4 + rng.below(5), vowels, rng);
    capitalize(&mut w);
    w.join(" ")
}

/// A body of 3–6 sentences of 6–14 words.
fn body(lang: usize, rng: &mut Rng) -> String {
    let vowels = vowels_for(lang, rng);
    (0..3 + rng.below(4))
        .map(|_| {
            let mut w = words(lang, 6 + rng.below(9), vowels, rng);
            capitalize(&mut w);
            w.join(" ") + "."
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `n` entries of the benchmark corpus.
pub fn corpus_entries(n: usize, seed: u64) -> Vec<Entry> {
    let mut rng = Rng(seed | 1);
    let verified = NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date");
    (0..n)
        .map(|i| {
            let home = rng.below(CORPUS_LANGS.len());
            let roll = rng.below(100);
            if roll < 70 {
                let mut langs = vec![home];
                if home != 0 {
                    langs.push(0);
                }
                if rng.below(4) == 0 {
                    let third = rng.below(CORPUS_LANGS.len());
                    if !langs.contains(&third) {
                        langs.push(third);
                    }
                }
                let mut name = Translations::new();
                let mut description = Translations::new();
                for l in langs {
                    name.insert(CORPUS_LANGS[l].into(), title(l, &mut rng));
                    description.insert(CORPUS_LANGS[l].into(), body(l, &mut rng));
                }
                let (lat, lon) = super::CITIES[rng.below(super::CITIES.len())];
                Entry::Service(Service {
                    id: format!("svc-{i}"),
                    organization: Some(format!("Sample organisation {}", i % 500)),
                    name,
                    description,
                    categories: vec![super::CATEGORIES[rng.below(super::CATEGORIES.len())].into()],
                    location: Some(GeoPoint {
                        lat: lat + (rng.unit() - 0.5) * 0.2,
                        lon: lon + (rng.unit() - 0.5) * 0.2,
                    }),
                    address: None,
                    country: None,
                    phones: vec![],
                    email: None,
                    url: None,
                    languages: vec![CORPUS_LANGS[home].into()],
                    free: Some(rng.below(2) == 0),
                    schedule: vec![],
                    time_zone: None,
                    verified,
                })
            } else if roll < 95 {
                Entry::Article(Article {
                    id: format!("art-{i}"),
                    language: CORPUS_LANGS[home].into(),
                    title: title(home, &mut rng),
                    body: body(home, &mut rng),
                    countries: vec![],
                    topics: vec![],
                    verified,
                    expires: None,
                })
            } else {
                let mut title_tr = Translations::new();
                let mut body_tr = Translations::new();
                for (l, lang) in CORPUS_LANGS.iter().enumerate() {
                    title_tr.insert((*lang).into(), title(l, &mut rng));
                    let vowels = vowels_for(l, &mut rng);
                    let mut w = words(l, 8, vowels, &mut rng);
                    capitalize(&mut w);
                    body_tr.insert((*lang).into(), w.join(" ") + ".");
                }
                let from = Utc
                    .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                    .single()
                    .expect("valid time");
                Entry::Alert(Alert {
                    id: format!("alert-{i}"),
                    severity: Severity::Warning,
                    title: title_tr,
                    body: body_tr,
                    area: Area {
                        countries: vec!["GR".parse().expect("valid code")],
                        bbox: None,
                    },
                    valid_from: from,
                    valid_until: Some(from + chrono::Duration::days(3650)),
                    verified,
                })
            }
        })
        .collect()
}

/// What kind of query a person typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    /// One whole word.
    Word,
    /// Two words.
    Pair,
    /// The first four letters of a word, as typed (search-as-you-type).
    Prefix,
    /// A word typed without its accents or vowel marks.
    Unaccented,
    /// A word with one letter wrong.
    Typo,
}

impl QueryKind {
    /// Every kind, in the order the benchmarks print them.
    pub const ALL: [QueryKind; 5] = [
        QueryKind::Word,
        QueryKind::Pair,
        QueryKind::Prefix,
        QueryKind::Unaccented,
        QueryKind::Typo,
    ];
}

/// One benchmark query: the text, the person's language, its kind.
#[derive(Debug, Clone)]
pub struct CorpusQuery {
    /// What the person typed.
    pub text: String,
    /// The person's language.
    pub language: &'static str,
    /// Its kind.
    pub kind: QueryKind,
}

/// The words of `lang` that carry marks (accents in French and Spanish),
/// among the ranks people search for.
fn accented(lang: usize) -> Vec<&'static str> {
    vocabularies()[lang].words[50..]
        .iter()
        .copied()
        .filter(|w| !w.is_ascii() && unaccent(w) != *w)
        .collect()
}

/// `word` without Latin accents or Arabic vowel marks.
pub fn unaccent(word: &str) -> String {
    word.chars()
        .filter(|c| !HARAKAT.contains(c))
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// `n` queries: 30% single words, 20% pairs, 25% four-letter prefixes,
/// 15% words typed without accents or vowel marks, 10% words with one
/// letter wrong; in the six languages alike. Words come from the ranks
/// people search for (50 to 3,000 for single words and prefixes), not the
/// function words.
pub fn corpus_queries(n: usize, seed: u64) -> Vec<CorpusQuery> {
    let mut rng = Rng(seed | 1);
    let accents: Vec<Vec<&str>> = (0..CORPUS_LANGS.len()).map(accented).collect();
    (0..n)
        .map(|i| {
            let lang = i % CORPUS_LANGS.len();
            let vocab = &vocabularies()[lang];
            let roll = rng.below(100);
            let (text, kind) = if roll < 30 {
                (
                    vocab.content_word(&mut rng, 50, 3_000).to_owned(),
                    QueryKind::Word,
                )
            } else if roll < 50 {
                let a = vocab.content_word(&mut rng, 50, 1_500);
                let b = vocab.content_word(&mut rng, 50, 1_500);
                (format!("{a} {b}"), QueryKind::Pair)
            } else if roll < 75 {
                let word = loop {
                    let w = vocab.content_word(&mut rng, 50, 3_000);
                    if w.chars().count() >= 5 {
                        break w;
                    }
                };
                (word.chars().take(4).collect(), QueryKind::Prefix)
            } else if roll < 90 {
                let word = if accents[lang].is_empty() || matches!(CORPUS_LANGS[lang], "ar" | "fa")
                {
                    // Arabic script: the word as written with vowel
                    // marks is in the corpus; the query is without.
                    vocab.content_word(&mut rng, 50, 3_000).to_owned()
                } else {
                    unaccent(accents[lang][rng.below(accents[lang].len().min(800))])
                };
                (word, QueryKind::Unaccented)
            } else {
                let word = loop {
                    let w = vocab.content_word(&mut rng, 50, 3_000);
                    if w.chars().count() >= 5 {
                        break w;
                    }
                };
                let mut chars: Vec<char> = word.chars().collect();
                // One letter replaced by another of the same word (never
                // the first: people get that one right).
                let at = 1 + rng.below(chars.len() - 1);
                let other = chars[rng.below(chars.len())];
                chars[at] = if other == chars[at] {
                    chars[(at + 1) % chars.len()]
                } else {
                    other
                };
                (chars.into_iter().collect(), QueryKind::Typo)
            };
            CorpusQuery {
                text,
                language: CORPUS_LANGS[lang],
                kind,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_deterministic_and_in_six_languages() {
        let a = corpus_entries(600, 7);
        let b = corpus_entries(600, 7);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        let json = serde_json::to_string(&a).unwrap();
        for lang in CORPUS_LANGS {
            assert!(json.contains(&format!("\"{lang}\":")), "{lang}");
        }
        // Some Arabic with vowel marks, and some without.
        assert!(json.contains('\u{064E}') || json.contains('\u{0650}'));
        let titles: Vec<usize> = a
            .iter()
            .filter_map(|e| match e {
                Entry::Article(x) => Some(x.title.split(' ').count()),
                _ => None,
            })
            .collect();
        assert!(titles.iter().all(|&n| (4..=8).contains(&n)), "{titles:?}");
    }

    #[test]
    fn the_queries_mix_every_kind_in_every_language() {
        let q = corpus_queries(600, 3);
        for kind in QueryKind::ALL {
            let n = q.iter().filter(|x| x.kind == kind).count();
            assert!(n > 30, "{kind:?}: {n}");
        }
        for lang in CORPUS_LANGS {
            assert_eq!(q.iter().filter(|x| x.language == lang).count(), 100);
        }
        assert!(
            q.iter()
                .filter(|x| x.kind == QueryKind::Prefix)
                .all(|x| x.text.chars().count() == 4)
        );
        assert_eq!(unaccent("préfecture"), "prefecture");
        assert_eq!(unaccent("año"), "ano");
    }
}
