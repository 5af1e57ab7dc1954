//! Text folding for search: the same function runs over indexed text and over
//! queries, so that what a person types matches what a publisher wrote.
//!
//! - Unicode compatibility decomposition (NFKD), then every combining mark
//!   dropped: `réfugié` → `refugie`, `niño` → `nino`, and Arabic tashkeel
//!   (fatha, kasra, damma, shadda, sukun, tanwin, superscript alef) vanish.
//!   NFKD also folds Arabic presentation forms to their base letters and
//!   splits hamza and madda off alef, waw and yeh (أ إ آ → ا, ؤ → و, ئ → ي).
//! - Lower case.
//! - Arabic and Persian letter variants to one form each: alef wasla ٱ → ا,
//!   alef maksura ى and Persian yeh ی → ي, keheh ک → ك, teh marbuta ة → ه;
//!   tatweel ـ removed; Arabic-Indic and Persian digits → ASCII digits.
//! - Ethiopic (Tigrinya, Amharic) passes through unchanged: its syllables do
//!   not decompose and have no case.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkd_quick};

/// Arabic prefixes removed from words of four letters or more: the definite
/// article and the conjunctions and prepositions that attach to it (the
/// prefix step of Larkey's light10 stemmer), so that "الشرطة" finds
/// "شرطة" and the other way round.
const ARABIC_PREFIXES: [&str; 6] = ["وال", "بال", "كال", "فال", "لل", "ال"];

/// Folds `text` for indexing or querying.
///
/// ```
/// use waymark_core::content::normalize::fold;
/// assert_eq!(fold("Réfugié"), "refugie");
/// assert_eq!(fold("مُسَاعَدَة"), fold("مساعده"));
/// ```
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(&mut out, text);
    out
}

/// Appends the fold of `text` to `out` (see [`fold`]).
pub fn fold_into(out: &mut String, text: &str) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
        return;
    }
    let (folded, arabic) = fold_letters(text);
    if !arabic {
        out.push_str(&folded);
        return;
    }
    // Strip attached prefixes word by word; everything else is kept as is.
    let mut rest = folded.as_str();
    while !rest.is_empty() {
        let word = rest.find(|c| !is_word_char(c)).unwrap_or(rest.len());
        out.push_str(strip_arabic_prefix(&rest[..word]));
        let gap = rest[word..]
            .find(is_word_char)
            .map_or(rest.len(), |i| word + i);
        out.push_str(&rest[word..gap]);
        rest = &rest[gap..];
    }
}

/// Folds one word (text without separators) as [`fold`] would, with less
/// work: for matching a document's words against a query's one by one.
pub fn fold_word(word: &str) -> String {
    let (folded, arabic) = fold_letters(word);
    if arabic {
        let stripped = strip_arabic_prefix(&folded);
        if stripped.len() != folded.len() {
            return stripped.to_owned();
        }
    }
    folded
}

/// Words folded by [`fold_word`], kept by the word as written: the words
/// of the hits' texts come back from search to search. Holds at most
/// [`WordFolds::CAPACITY`] words, then starts afresh.
#[derive(Debug, Default)]
pub(crate) struct WordFolds {
    /// Each word's place in `folded`. foldhash: fast, and seeded per
    /// process, so crafted words cannot force collisions.
    places: foldhash::HashMap<Box<str>, u32>,
    folded: Vec<Box<str>>,
}

impl WordFolds {
    /// About a megabyte at most, however many words go through.
    const CAPACITY: usize = 16_384;

    /// `word` folded as [`fold_word`] folds it.
    pub fn fold(&mut self, word: &str) -> &str {
        if let Some(&at) = self.places.get(word) {
            return &self.folded[at as usize];
        }
        if self.folded.len() >= Self::CAPACITY {
            self.places.clear();
            self.folded.clear();
        }
        self.places.insert(word.into(), self.folded.len() as u32);
        self.folded.push(fold_word(word).into());
        &self.folded[self.folded.len() - 1]
    }
}

/// How the fold of a word begins, known from its first character alone:
/// a word whose fold cannot begin as a query word begins is passed over
/// without being folded ([`folded_start`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum FoldedStart {
    /// A character.
    Char(char),
    /// A few characters (`Ĳ` folds to `ij`).
    Str(&'static str),
}

impl FoldedStart {
    /// False if no word whose fold begins so can begin as `query` (a
    /// folded query word) does, whole or as a prefix.
    pub fn may_begin(self, query: &str) -> bool {
        match self {
            FoldedStart::Char(c) => query.starts_with(c),
            FoldedStart::Str(s) => query.starts_with(s) || s.starts_with(query),
        }
    }
}

/// How [`fold_word`]`(word)` begins, when its first character tells it:
/// not for a word that may lose an Arabic prefix (one that begins with a
/// prefix's first letter), a mark, or a character that decomposes beyond
/// the Latin and Cyrillic tables.
pub(crate) fn folded_start(word: &str) -> Option<FoldedStart> {
    let c = word.chars().next()?;
    if c.is_ascii_alphanumeric() {
        return Some(FoldedStart::Char(c.to_ascii_lowercase()));
    }
    if let Some(folded) = table_fold(c) {
        return (!folded.is_empty()).then_some(FoldedStart::Str(folded));
    }
    match c {
        // Letters that begin an Arabic prefix (ا ب ف ك ل و), or fold to
        // one (alef wasla, keheh), or decompose (alef with hamza or madda
        // and their like), or are dropped (tatweel, superscript alef): the
        // fold decides.
        '\u{0622}'..='\u{0628}'
        | '\u{0640}'..='\u{0641}'
        | '\u{0643}'..='\u{0644}'
        | '\u{0648}'
        | '\u{0670}'..='\u{0671}'
        | '\u{06A9}'
        | '\u{0675}'..='\u{0678}'
        | '\u{06C0}'
        | '\u{06C2}'
        | '\u{06D3}' => None,
        '\u{0621}'..='\u{064A}' | '\u{0660}'..='\u{0669}' | '\u{066E}'..='\u{06D3}' => {
            Some(FoldedStart::Char(fold_arabic(c).unwrap_or(c)))
        }
        '\u{06F0}'..='\u{06F9}' => fold_arabic(c).map(FoldedStart::Char),
        '\u{1200}'..='\u{135C}' => Some(FoldedStart::Char(c)),
        _ => None,
    }
}

/// Every step of [`fold`] but the Arabic prefixes; and whether the result
/// has Arabic letters (whose prefixes are then to strip).
fn fold_letters(text: &str) -> (String, bool) {
    // Most indexed text in Latin script is plain ASCII: nothing to
    // decompose, and no Arabic to strip.
    if text.is_ascii() {
        return (text.to_ascii_lowercase(), false);
    }
    // Text already in NFKD (most Arabic, Tigrinya and Farsi as typed) needs
    // no decomposition pass.
    if is_nfkd(text) {
        fold_chars(text.chars(), text.len())
    } else {
        fold_chars(text.nfkd(), text.len())
    }
}

/// True if `text` is already in NFKD. Ethiopic, and Arabic and Persian
/// letters other than the hamza and madda forms, never decompose: text made
/// only of those and ASCII skips the normalisation tables.
fn is_nfkd(text: &str) -> bool {
    let never_decomposes = |c: char| {
        c.is_ascii()
            || LATIN.contains(&c)
            || CYRILLIC.contains(&c)
            || ('\u{1200}'..='\u{139F}').contains(&c)
            || (('\u{0600}'..='\u{06FF}').contains(&c)
                && !matches!(c, '\u{0622}'..='\u{0626}' | '\u{0675}'..='\u{0678}' | '\u{06C0}' | '\u{06C2}' | '\u{06D3}'))
    };
    text.chars().all(never_decomposes) || is_nfkd_quick(text.chars()) == IsNormalized::Yes
}

/// Latin letters beyond ASCII (Latin-1 Supplement to Latin Extended-B):
/// French, Spanish, Portuguese, German, Turkish, Kurdish, Somali… letters
/// with diacritics, folded through [`latin_fold`] without the Unicode
/// normalisation tables.
const LATIN: std::ops::RangeInclusive<char> = '\u{00C0}'..='\u{024F}';

/// Cyrillic (Ukrainian, Russian, Bulgarian…), folded through
/// [`table_fold`] too: `й`, `ї` and `ё` decompose, and the normalisation
/// tables cost more than the rest of the fold together.
const CYRILLIC: std::ops::RangeInclusive<char> = '\u{0400}'..='\u{04FF}';

/// The fold of a [`LATIN`] or [`CYRILLIC`] character: its compatibility
/// decomposition without combining marks, lower-cased, as [`fold`] gives
/// it (`É` → `e`, `Ĳ` → `ij`, `ß` → `ß`, `Ї` → `і`). Worked out once, by
/// the normalisation tables; `None` for other characters.
fn table_fold(c: char) -> Option<&'static str> {
    static TABLE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    // The table holds LATIN's characters, then CYRILLIC's.
    let latin = *LATIN.end() as usize - *LATIN.start() as usize + 1;
    let at = if LATIN.contains(&c) {
        c as usize - *LATIN.start() as usize
    } else if CYRILLIC.contains(&c) {
        latin + c as usize - *CYRILLIC.start() as usize
    } else {
        return None;
    };
    let table = TABLE.get_or_init(|| {
        LATIN
            .chain(CYRILLIC)
            .map(|c| {
                std::iter::once(c)
                    .nfkd()
                    .filter(|d| !is_combining_mark(*d))
                    .flat_map(char::to_lowercase)
                    .collect()
            })
            .collect()
    });
    Some(&table[at])
}

/// The Arabic combining marks (harakat, tanwin, shadda, sukun and the
/// rarer marks after them): frequent in vocalised text, and known here
/// without the Unicode tables.
const ARABIC_MARKS: std::ops::RangeInclusive<char> = '\u{064B}'..='\u{065F}';

/// True for the characters of words (letters, digits, marks), as the
/// index's tokenizer sees them; quick for ASCII, Latin, Arabic,
/// Cyrillic and Ethiopic.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    match c {
        // Every character of the Latin range is a letter but × and ÷.
        '\u{00D7}' | '\u{00F7}' => false,
        c if LATIN.contains(&c) => true,
        '\u{0621}'..='\u{064A}' | '\u{0660}'..='\u{0669}' | '\u{066E}'..='\u{06D3}' => true,
        // Arabic vowel marks (harakat), shadda, sukun: marks of words.
        c if ARABIC_MARKS.contains(&c) => true,
        '\u{06F0}'..='\u{06F9}' | '\u{1200}'..='\u{135A}' => true,
        // Cyrillic: letters and combining marks, but the thousands sign.
        '\u{0400}'..='\u{0481}' | '\u{0483}'..='\u{04FF}' => true,
        _ => c.is_alphanumeric() || is_combining_mark(c),
    }
}

/// The words of folded text: what the index's tokenizer cuts it into.
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
}

/// Drops combining marks, maps Arabic-script variants, lower-cases.
/// Also says whether the result has Arabic letters.
fn fold_chars(chars: impl Iterator<Item = char>, capacity: usize) -> (String, bool) {
    let mut out = String::with_capacity(capacity);
    let mut arabic = false;
    for c in chars {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        if ('\u{1200}'..='\u{135C}').contains(&c) {
            // Ethiopic syllables: no case, no marks.
            out.push(c);
            continue;
        }
        if let Some(folded) = table_fold(c) {
            out.push_str(folded);
            continue;
        }
        if ARABIC_MARKS.contains(&c) {
            continue;
        }
        if ('\u{0621}'..='\u{064A}').contains(&c) {
            // Arabic letters: no case, no marks; a few variants to map.
            arabic = true;
            match fold_arabic(c) {
                Some('\0') => {}
                Some(mapped) => out.push(mapped),
                None => out.push(c),
            }
            continue;
        }
        if is_combining_mark(c) {
            continue;
        }
        match fold_arabic(c) {
            Some('\0') => {}
            Some(mapped) => {
                arabic |= is_arabic_letter(mapped);
                out.push(mapped);
            }
            None => {
                arabic |= is_arabic_letter(c);
                out.extend(c.to_lowercase());
            }
        }
    }
    (out, arabic)
}

fn is_arabic_letter(c: char) -> bool {
    ('\u{0620}'..='\u{064A}').contains(&c) || ('\u{066E}'..='\u{06D3}').contains(&c)
}

fn strip_arabic_prefix(word: &str) -> &str {
    for p in ARABIC_PREFIXES {
        if let Some(rest) = word.strip_prefix(p)
            && rest.chars().count() >= 2
            && word.chars().count() >= 4
        {
            return rest;
        }
    }
    word
}

/// The Arabic-script letter variants; `Some('\0')` drops the character.
fn fold_arabic(c: char) -> Option<char> {
    Some(match c {
        '\u{0671}' => '\u{0627}',              // alef wasla → alef
        '\u{0649}' | '\u{06CC}' => '\u{064A}', // alef maksura, Farsi yeh → yeh
        '\u{06A9}' => '\u{0643}',              // keheh → kaf
        '\u{0629}' => '\u{0647}',              // teh marbuta → heh
        '\u{0640}' => '\0',                    // tatweel
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_accents_and_case_fold_away() {
        assert_eq!(fold("Réfugié À Paris"), "refugie a paris");
        assert_eq!(fold("NIÑO"), "nino");
        assert_eq!(fold("Straße"), "straße");
    }

    #[test]
    fn arabic_with_and_without_tashkeel_fold_alike() {
        assert_eq!(fold("مُسَاعَدَةٌ قَانُونِيَّةٌ"), fold("مساعدة قانونية"));
        assert_eq!(fold("أحمد"), fold("احمد"));
        assert_eq!(fold("إسعاف"), fold("اسعاف"));
        assert_eq!(fold("آمن"), fold("امن"));
        assert_eq!(fold("مستشفى"), fold("مستشفي"));
        assert_eq!(fold("ـمـسـاعـدة"), fold("مساعدة"));
    }

    #[test]
    fn the_arabic_definite_article_and_attached_prefixes_are_removed() {
        assert_eq!(fold("الشرطة"), fold("شرطة"));
        assert_eq!(fold("مركز الشرطة"), fold("مركز شرطة"));
        assert_eq!(fold("والمستشفى"), fold("مستشفى"));
        assert_eq!(fold("للمستشفى"), fold("مستشفى"));
        assert_eq!(fold("الم"), "الم", "too short to strip");
        assert_eq!(fold("Al-Shorta الشرطة"), "al-shorta شرطه");
    }

    #[test]
    fn persian_letter_variants_fold_to_arabic_ones() {
        assert_eq!(fold("کمک"), fold("كمك"));
        assert_eq!(fold("پناهجوی"), fold("پناهجوي"));
        assert_eq!(fold("۱۱۲"), "112");
        assert_eq!(fold("١١٢"), "112");
    }

    proptest::proptest! {
        #[test]
        fn skipping_decomposition_for_nfkd_text_changes_nothing(text in "\\PC{0,40}") {
            if is_nfkd_quick(text.chars()) == IsNormalized::Yes {
                proptest::prop_assert_eq!(
                    fold_chars(text.chars(), 0),
                    fold_chars(text.nfkd(), 0)
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn a_word_folds_alike_alone_or_in_text(word in "[\\p{L}\\p{M}\\p{N}]{1,12}") {
            // fold_word is for words as word_spans cuts them: letters,
            // marks and digits; fold must agree when nothing decomposes
            // into a separator.
            let whole = fold(&word);
            if whole.chars().all(|c| c.is_alphanumeric()) {
                proptest::prop_assert_eq!(fold_word(&word), whole);
            }
        }
    }

    /// What fold does to text without Arabic or Ethiopic, the long way:
    /// NFKD, combining marks dropped, lower case.
    fn fold_by_tables(text: &str) -> String {
        text.nfkd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .collect()
    }

    #[test]
    fn every_latin_and_cyrillic_letter_folds_as_the_normalisation_tables_say() {
        for c in LATIN.chain(CYRILLIC) {
            let text = format!("Ab{c}Cd");
            assert_eq!(fold(&text), fold_by_tables(&text), "U+{:04X}", c as u32);
            assert_eq!(
                is_word_char(c),
                c.is_alphanumeric() || is_combining_mark(c),
                "U+{:04X}",
                c as u32
            );
        }
        assert_eq!(fold("Ĳssel Œuvre ŀ"), "ijssel œuvre l·");
        assert_eq!(fold("Її Йод Ёж"), "іі иод еж");
    }

    proptest::proptest! {
        #[test]
        fn latin_and_cyrillic_text_folds_as_the_normalisation_tables_say(
            text in "[a-zA-Z0-9 \u{00A0}-\u{024F}\u{0300}-\u{036F}\u{1E00}-\u{1EFF}\u{0400}-\u{04FF}]{0,30}"
        ) {
            proptest::prop_assert_eq!(fold(&text), fold_by_tables(&text));
        }
    }

    #[test]
    fn arabic_script_characters_are_word_characters_as_the_tables_say() {
        for c in '\u{0600}'..='\u{06FF}' {
            assert_eq!(
                is_word_char(c),
                c.is_alphanumeric() || is_combining_mark(c),
                "U+{:04X}",
                c as u32
            );
        }
        assert_eq!(fold("مَدْرَسَةٌ"), fold("مدرسة"));
    }

    #[test]
    fn a_folded_start_is_right_for_every_first_character() {
        for c in ('\u{0}'..='\u{2FFF}').chain('\u{FB00}'..='\u{FFFF}') {
            for rest in ["", "b", "\u{064E}", "\u{0644}\u{0645}\u{0646}", "\u{0301}x"] {
                let word = format!("{c}{rest}");
                let folded = fold_word(&word);
                let Some(start) = folded_start(&word) else {
                    continue;
                };
                for (i, c) in folded.char_indices() {
                    let query = &folded[..i + c.len_utf8()];
                    assert!(
                        start.may_begin(query),
                        "{word:?} → {folded:?}: {start:?} vs {query:?}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// The start told from the first character never rules out a
        /// query word that the whole fold begins with.
        #[test]
        fn a_folded_start_never_rules_out_a_match(
            word in "[a-zA-Z0-9\u{00C0}-\u{024F}\u{0300}-\u{036F}\u{0400}-\u{04FF}\u{0621}-\u{065F}\u{0660}-\u{06FF}\u{1200}-\u{1210}]{1,8}",
            cut in 1usize..6,
        ) {
            let folded = fold_word(&word);
            if let (Some(start), Some((end, _))) =
                (folded_start(&word), folded.char_indices().nth(cut - 1).map(|(i, c)| (i + c.len_utf8(), c)))
            {
                let query = &folded[..end];
                proptest::prop_assert!(start.may_begin(query), "{word:?} folds to {folded:?}, {start:?} rules out {query:?}");
            }
        }
    }

    #[test]
    fn ethiopic_passes_through() {
        assert_eq!(fold("ሓገዝ ሕጊ"), "ሓገዝ ሕጊ");
    }
}
