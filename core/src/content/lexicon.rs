//! Entries stored word-coded: each entry's JSON line with every word
//! replaced by its number in its pack's *lexicon* (the pack's distinct
//! words, in the order they first appear), and everything between words
//! kept as it is. Decoding gives back the line byte for byte, so a
//! patch's base, a shared pack and the changes an update reports see the
//! pack exactly as published.
//!
//! A pack's text is mostly words from a small vocabulary, each written
//! many times: a number of one to three bytes stands for a word of five
//! to twenty (Arabic, Farsi and Ukrainian letters take two bytes each in
//! UTF-8), and the single space before a word costs one bit. The search
//! corpus's 80 MB of JSON lines take about a third of that coded.
//!
//! The coded form is a sequence of LEB128 numbers `v`:
//! - `v & 1 == 0`: lexicon entry `v >> 2`, preceded by a single space if
//!   `v & 2`;
//! - `v & 1 == 1`: `v >> 1` bytes of UTF-8 that follow as they are.
//!
//! The line is cut into runs of letters (words, as the index cuts text,
//! digits aside), runs of digits and runs of anything else (JSON's
//! punctuation, spaces). Letters and other runs are lexicon entries (a
//! pack repeats both); digits, mostly one of a kind (coordinates, ids),
//! stay as they are.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use foldhash::HashMap as FastMap;

use super::normalize::is_word_char;
use super::postings::{next_varint, push_varint};
use crate::error::{Error, Result};

/// The `lexicons` table: each pack's words (and runs between words),
/// separated by newlines (no entry holds one), number 0 first.
pub(crate) const CREATE_LEXICONS: &str = "CREATE TABLE lexicons (
         pack INTEGER PRIMARY KEY,    -- packs.id
         words TEXT NOT NULL
     );";

fn corrupt() -> Error {
    Error::Integrity("stored entry")
}

/// Writes pack row `pack`'s lexicon (from [`Coder::into_words`]).
pub(crate) fn write_lexicon(tx: &Transaction<'_>, pack: i64, words: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO lexicons (pack, words) VALUES (?1, ?2)",
        params![pack, words],
    )?;
    Ok(())
}

/// Codes one pack's entries as they are installed, growing its lexicon.
#[derive(Debug, Default)]
pub(crate) struct Coder {
    /// foldhash: fast, and seeded per process, so crafted words cannot
    /// force collisions.
    ids: FastMap<Box<str>, u32>,
    words: String,
}

/// What a character is to the coder.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Part of a word (a letter or a mark: [`is_word_char`] but ASCII
    /// digits): coded by the lexicon.
    Letter,
    /// An ASCII digit: numbers are mostly one of a kind (coordinates,
    /// ids), so they are kept as they are.
    Digit,
    /// Anything else (JSON's punctuation, spaces): runs of these repeat
    /// from entry to entry and are coded by the lexicon too, unless they
    /// hold a newline (the lexicon's separator).
    Other,
}

/// The class of each ASCII byte, looked up rather than worked out: the
/// coder classes every byte of a pack.
const ASCII_CLASS: [Class; 128] = {
    let mut table = [Class::Other; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_digit() {
            table[b] = Class::Digit;
        } else if c.is_ascii_alphabetic() {
            table[b] = Class::Letter;
        }
        b += 1;
    }
    table
};

/// The class of the character at byte `at` of `s` (a character boundary)
/// and its length.
#[inline]
fn class_at(s: &str, at: usize) -> (Class, usize) {
    let b = s.as_bytes()[at];
    if b < 0x80 {
        return (ASCII_CLASS[usize::from(b)], 1);
    }
    let c = s[at..]
        .chars()
        .next()
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    let class = if is_word_char(c) {
        Class::Letter
    } else {
        Class::Other
    };
    (class, c.len_utf8())
}

impl Coder {
    /// Appends the coded form of `line` to `out`.
    pub fn code(&mut self, line: &str, out: &mut Vec<u8>) {
        let bytes = line.as_bytes();
        let mut at = 0;
        let mut space = false;
        while at < bytes.len() {
            let (class, first) = class_at(line, at);
            let mut end = at + first;
            // Only a run of other characters can hold a newline.
            let mut newline = bytes[at] == b'\n';
            while end < bytes.len() {
                let (next, len) = class_at(line, end);
                if next != class {
                    break;
                }
                newline |= bytes[end] == b'\n';
                end += len;
            }
            let run = &line[at..end];
            let single_space = end == at + 1 && bytes[at] == b' ';
            at = end;
            let literal = class == Class::Digit || newline;
            if space {
                // A single space before this run, not yet written.
                if literal {
                    self.literal(" ", out);
                    space = false;
                }
            } else if single_space && at < line.len() {
                // Written as a bit of the next run's number, if coded.
                space = true;
                continue;
            }
            if literal {
                self.literal(run, out);
            } else {
                let id = self.id(run);
                push_varint(out, (u64::from(id) << 2) | (u64::from(space) << 1));
                space = false;
            }
        }
        if space {
            self.literal(" ", out);
        }
    }

    fn literal(&mut self, run: &str, out: &mut Vec<u8>) {
        push_varint(out, ((run.len() as u64) << 1) | 1);
        out.extend_from_slice(run.as_bytes());
    }

    /// The lexicon number of `run`, new if it has none yet.
    fn id(&mut self, run: &str) -> u32 {
        if let Some(&id) = self.ids.get(run) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(run.into(), id);
        if id > 0 {
            self.words.push('\n');
        }
        self.words.push_str(run);
        id
    }

    /// The lexicon, as the `lexicons` table keeps it.
    pub fn into_words(self) -> String {
        self.words
    }
}

/// Bytes copied at once when decoding: words and literals up to this long
/// (nearly all) are copied as one fixed-size block, not through a `memcpy`
/// call of their own length each.
const BLOCK: usize = 16;

/// A pack's lexicon, read for decoding.
#[derive(Debug)]
pub(crate) struct Lexicon {
    /// The words, each followed by its newline, then [`BLOCK`] bytes of
    /// padding: a block copied from any word's start stays inside.
    words: Vec<u8>,
    /// Where each word ends in `words`.
    ends: Vec<u32>,
}

impl Lexicon {
    /// The lexicon of `words` (from [`Coder::into_words`]).
    pub fn new(words: String) -> Self {
        let mut ends: Vec<u32> = words.match_indices('\n').map(|(i, _)| i as u32).collect();
        if !words.is_empty() {
            ends.push(words.len() as u32);
        }
        let mut words = words.into_bytes();
        words.resize(words.len() + BLOCK, 0);
        Lexicon { words, ends }
    }

    /// Pack row `pack`'s lexicon (empty if it has none: a pack without
    /// words).
    pub fn read(conn: &Connection, pack: i64) -> Result<Self> {
        let words: Option<String> = conn
            .prepare_cached("SELECT words FROM lexicons WHERE pack = ?1")?
            .query_row([pack], |r| r.get(0))
            .optional()?;
        Ok(Lexicon::new(words.unwrap_or_default()))
    }

    /// Where word `id` starts and ends in `words`.
    #[inline]
    fn word(&self, id: u64) -> Option<(usize, usize)> {
        let i = usize::try_from(id).ok()?;
        let end = *self.ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize + 1,
        };
        Some((start, end))
    }

    /// Appends the bytes `coded` stands for to `out`, unchecked as UTF-8
    /// (the caller checks once, over the whole line).
    fn decode_raw(&self, coded: &[u8], out: &mut Vec<u8>) -> Option<()> {
        let mut at = 0;
        while at < coded.len() {
            let v = next_varint(coded, &mut at)?;
            if v & 1 == 1 {
                let len = usize::try_from(v >> 1).ok()?;
                let end = at.checked_add(len)?;
                copy(coded, at, end, out)?;
                at = end;
            } else {
                if v & 2 != 0 {
                    out.push(b' ');
                }
                let (start, end) = self.word(v >> 2)?;
                copy(&self.words, start, end, out)?;
            }
        }
        Some(())
    }

    /// Replaces `out` with the JSON line `coded` stands for (its buffer is
    /// reused).
    pub fn decode_into(&self, coded: &[u8], out: &mut String) -> Result<()> {
        let mut bytes = std::mem::take(out).into_bytes();
        bytes.clear();
        bytes.reserve(coded.len() * 3);
        self.decode_raw(coded, &mut bytes).ok_or_else(corrupt)?;
        // Words are whole UTF-8; a literal cut inside a character is not.
        *out = String::from_utf8(bytes).map_err(|_| corrupt())?;
        Ok(())
    }

    /// The JSON line `coded` stands for.
    pub fn decode(&self, coded: &[u8]) -> Result<String> {
        let mut out = String::new();
        self.decode_into(coded, &mut out)?;
        Ok(out)
    }
}

/// Appends `from[start..end]` to `out`: one [`BLOCK`] copy, then cut to
/// length, when the block fits in `from`.
#[inline]
fn copy(from: &[u8], start: usize, end: usize, out: &mut Vec<u8>) -> Option<()> {
    let bytes = from.get(start..end)?;
    match from.get(start..start + BLOCK) {
        Some(block) if bytes.len() <= BLOCK => {
            let len = out.len() + bytes.len();
            out.extend_from_slice(block);
            out.truncate(len);
        }
        _ => out.extend_from_slice(bytes),
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text, not only JSON: spaces, digits, marks and newlines
        /// anywhere.
        #[test]
        fn any_lines_decode_to_themselves(
            lines in proptest::collection::vec("[ a-z0-9\n\"{}:,.\u{64e}\u{627}-\u{64a}éЖ🙂]{0,40}", 1..6)
        ) {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            round_trip(&lines);
        }
    }

    fn round_trip(lines: &[&str]) -> usize {
        let mut coder = Coder::default();
        let coded: Vec<Vec<u8>> = lines
            .iter()
            .map(|l| {
                let mut out = Vec::new();
                coder.code(l, &mut out);
                out
            })
            .collect();
        let lexicon = Lexicon::new(coder.into_words());
        for (line, coded) in lines.iter().zip(&coded) {
            assert_eq!(lexicon.decode(coded).unwrap(), *line);
        }
        coded.iter().map(Vec::len).sum()
    }

    #[test]
    fn every_line_decodes_to_itself_byte_for_byte() {
        round_trip(&[
            "",
            " ",
            "  leading and trailing  ",
            r#"{"type":"article","id":"a-1","title":"Free legal aid","body":"Ask  the\npolice\u00e9 \"x\""}"#,
            "مساعدة قانونية، والمساعدة بِه — كاُمْلُاِ",
            "Притулок для біженців: 24/7 ✓",
            "word",
            "1 2 3 4.5e-3 -7",
            "emoji 🙂 between words 🙂",
        ]);
    }

    #[test]
    fn repeated_words_take_a_byte_or_two() {
        let line = "the shelter opens at night and the shelter closes at dawn ".repeat(50);
        let coded = round_trip(&[&line]);
        assert!(coded * 4 < line.len(), "{coded} of {}", line.len());
    }

    #[test]
    fn corrupt_codes_are_an_error_not_a_panic() {
        let lexicon = Lexicon::new("one\ntwo".into());
        assert_eq!(lexicon.decode(&[0, 1 << 2 | 2]).unwrap(), "one two");
        for bad in [&[2 << 2][..], &[0x80], &[0xff; 11], &[7, b'a'], &[3, 0xff]] {
            assert!(lexicon.decode(bad).is_err(), "{bad:?}");
        }
        assert!(Lexicon::new(String::new()).decode(&[0]).is_err());
    }
}
