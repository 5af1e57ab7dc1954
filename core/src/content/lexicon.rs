//! Entries stored coded: each entry's JSON line cut into *pieces*, and
//! each piece written as its Huffman code in its pack's *model*. Decoding
//! gives back the line byte for byte, so a patch's base, a shared pack and
//! the changes an update reports see the pack exactly as published.
//!
//! A pack's text is mostly words from a small vocabulary, each written
//! many times, in a Zipf-like distribution: the most common pieces take
//! three or four bits, the rare ones twenty, where a word takes five to
//! twenty bytes of UTF-8 (Arabic, Farsi and Ukrainian letters take two
//! each). The search corpus's 80 MB of JSON lines take 22.5 MB coded
//! (33.7 MB with a byte-aligned number per word, as schema 8 kept them).
//!
//! # Pieces
//!
//! The line is cut into runs of letters (words, as the index cuts text,
//! digits aside), runs of ASCII digits and runs of anything else (JSON's
//! punctuation, spaces). A single space before a word belongs to the
//! word's piece (`" shelter"`), so the space between two words costs
//! nothing of its own. Words and other runs are the *lexicon*'s pieces (a
//! pack repeats both); digits, mostly one of a kind (coordinates, ids),
//! are written as four bits each; a run that holds a newline (the
//! lexicon's separator) is written byte by byte.
//!
//! # The model
//!
//! A model needs every piece's frequency before the first line is coded,
//! and an install reads its pack once, as a stream. So the model is built
//! from a *sample*: the pack's first lines, up to [`SAMPLE_BYTES`]
//! (measured on the search corpus: 1,000 lines code the whole pack within
//! 5% of a model built from all its lines). Its symbols are the sample's
//! pieces and four more: *escape* (a piece not in the model: its number
//! past the model follows, Exp-Golomb), *digits* (their count follows,
//! then four bits each), *raw* (its length follows, then its bytes) and
//! *end* (of the line: the last byte's remaining bits are zero).
//!
//! Codes are canonical and at most [`MAX_LEN`] bits: pieces are numbered
//! by code length, then by first appearance, so the model is stored as
//! how many codes each length has (`lexicons.model`), and the lexicon's
//! first pieces are the model's, in that order (the four others as empty
//! lines), then the pieces that came after the sample, in the order they
//! first appeared. Bits are written most significant first.
//!
//! Decoding is most of the cost of reading an entry, and it is bound by
//! memory: a look-up table of [`PEEK`] bits finds nearly every code at
//! once, and each piece is one 16-byte slot ([`Slot`]), one cache line or
//! less read per piece.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Transaction, params};

use super::words::WordMap;

use super::normalize::is_word_char;
use super::postings::{next_varint, push_varint};
use crate::error::{Error, Result};

/// The `lexicons` table: each pack's pieces, separated by newlines (no
/// piece holds one), number 0 first, and the model they are coded with.
pub(crate) const CREATE_LEXICONS: &str = "CREATE TABLE lexicons (
         pack INTEGER PRIMARY KEY,    -- packs.id
         words TEXT NOT NULL,
         model BLOB NOT NULL          -- codes per length (see lexicon.rs)
     );";

/// Bytes of lines a model is built from: about 1,300 lines of the search
/// corpus, held in memory (with their index rows) until it is built.
pub(crate) const SAMPLE_BYTES: usize = 1 << 20;

/// The longest code, in bits.
const MAX_LEN: usize = 24;

/// Bits a decoder looks up at once: codes up to this long (nearly all of
/// those read) are found by one look-up, in a table of 2^PEEK numbers
/// (256 KB per pack read). With 11 bits, a third of the search corpus's
/// pieces took the slow way, and decoding was a quarter of a search.
const PEEK: usize = 16;

/// Exp-Golomb orders of the numbers after an escape, digits and raw.
const ESCAPE_K: u32 = 8;
const DIGITS_K: u32 = 2;
const RAW_K: u32 = 3;

/// The symbols that are not pieces, by their place in `Model::specials`.
const ESCAPE: usize = 0;
const DIGITS: usize = 1;
const RAW: usize = 2;
const END: usize = 3;
const SPECIALS: usize = 4;

fn corrupt() -> Error {
    Error::Integrity("stored entry")
}

/// A pack's lexicon as the `lexicons` table keeps it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LexiconRow {
    /// The pieces, separated by newlines: UTF-8 as written, and not
    /// checked as read (see [`Lexicon::from_parts`]; a resumed coder only
    /// compares their bytes).
    pub words: Vec<u8>,
    /// How many codes each length has, and the special symbols' numbers.
    pub model: Vec<u8>,
}

/// A pack's lexicon: its words, its model, and the pieces updates in
/// place added (`lexicon_added`, see update.rs).
const READ_LEXICON: &str = "SELECT l.words, l.model, a.words FROM lexicons l
     LEFT JOIN lexicon_added a ON a.pack = l.pack WHERE l.pack = ?1";

/// Writes pack row `pack`'s lexicon (from [`Coder::into_lexicon`]).
pub(crate) fn write_lexicon(tx: &Transaction<'_>, pack: i64, row: &LexiconRow) -> Result<()> {
    tx.execute(
        "INSERT INTO lexicons (pack, words, model) VALUES (?1, ?2, ?3)",
        params![
            pack,
            ToSqlOutput::Borrowed(ValueRef::Text(&row.words)),
            row.model
        ],
    )?;
    Ok(())
}

// ----- pieces ---------------------------------------------------------------

/// What a character is to the coder.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Part of a word (a letter or a mark: [`is_word_char`] but ASCII
    /// digits).
    Letter,
    /// An ASCII digit.
    Digit,
    /// Anything else (JSON's punctuation, spaces).
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

/// The run of one class that starts at byte `at` of `s`: its class, where
/// it ends, and whether it holds a newline (only a run of other
/// characters can).
#[inline]
fn run_at(s: &str, at: usize) -> (Class, usize, bool) {
    let bytes = s.as_bytes();
    let (class, first) = class_at(s, at);
    let mut end = at + first;
    let mut newline = bytes[at] == b'\n';
    while end < bytes.len() {
        let (next, len) = class_at(s, end);
        if next != class {
            break;
        }
        newline |= bytes[end] == b'\n';
        end += len;
    }
    (class, end, newline)
}

/// A piece of a line, as it is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    /// A word (with the single space before it, if any) or a run of other
    /// characters: a lexicon piece.
    Coded(&'a str),
    /// A run of ASCII digits.
    Digits(&'a str),
    /// A run of other characters that holds a newline.
    Raw(&'a str),
}

/// The pieces of `line`, in order.
fn pieces(line: &str) -> impl Iterator<Item = Piece<'_>> {
    let bytes = line.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        let (class, end, newline) = run_at(line, at);
        at = end;
        if end == start + 1 && bytes[start] == b' ' && at < bytes.len() {
            let (next, next_end, _) = run_at(line, at);
            if next == Class::Letter {
                at = next_end;
                return Some(Piece::Coded(&line[start..next_end]));
            }
        }
        let run = &line[start..end];
        Some(match class {
            Class::Digit => Piece::Digits(run),
            Class::Other if newline => Piece::Raw(run),
            _ => Piece::Coded(run),
        })
    })
}

// ----- building a model -----------------------------------------------------

/// Huffman code lengths for symbols of these weights (each below 2^40,
/// at most 2^24 symbols), none longer than `limit` (weights are halved
/// until none is: a sample's rarest pieces then share the longest codes).
/// Deterministic: ties go to the lower symbol, then to a leaf. Built with
/// two queues (the leaves sorted once, the inner nodes made in order of
/// weight), so the only sort is one of `u64`s (see postings.rs: each sort
/// of a type of its own costs the native library kilobytes).
fn code_lengths(weights: &[u64], limit: usize) -> Vec<u8> {
    const SYMBOL_BITS: u32 = 24;
    let n = weights.len();
    if n <= 1 {
        return vec![1; n];
    }
    let mut weights: Vec<u64> = weights.iter().map(|&w| w.max(1)).collect();
    loop {
        let mut leaves: Vec<u64> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| (w << SYMBOL_BITS) | i as u64)
            .collect();
        leaves.sort_unstable();
        // Leaves are 0..n, the inner nodes n.. in the order they are made:
        // a parent's number is above its children's.
        let mut parent = vec![0usize; 2 * n - 1];
        let mut inner: Vec<u64> = Vec::with_capacity(n - 1);
        let (mut leaf, mut next_inner) = (0, 0);
        for made in 0..n - 1 {
            let mut smallest = || -> (u64, usize) {
                let leaf_weight = leaves.get(leaf).map(|&k| k >> SYMBOL_BITS);
                match (leaf_weight, inner.get(next_inner)) {
                    (Some(w), Some(&i)) if w > i => {
                        next_inner += 1;
                        (i, n + next_inner - 1)
                    }
                    (Some(w), _) => {
                        leaf += 1;
                        (w, (leaves[leaf - 1] & ((1 << SYMBOL_BITS) - 1)) as usize)
                    }
                    (None, _) => {
                        next_inner += 1;
                        (inner[next_inner - 1], n + next_inner - 1)
                    }
                }
            };
            let (wa, a) = smallest();
            let (wb, b) = smallest();
            parent[a] = n + made;
            parent[b] = n + made;
            inner.push(wa + wb);
        }
        let mut depth = vec![0usize; 2 * n - 1];
        for i in (0..2 * n - 2).rev() {
            depth[i] = depth[parent[i]] + 1;
        }
        if depth[..n].iter().all(|&d| d <= limit) {
            return depth[..n].iter().map(|&d| d as u8).collect();
        }
        for w in &mut weights {
            *w = w.div_ceil(2);
        }
    }
}

/// Codes one pack's lines with a model built from its first ones, growing
/// its lexicon with the pieces the model does not have.
#[derive(Debug)]
pub(crate) struct Coder {
    /// Each piece's code: `code << 8 | length` for the model's pieces,
    /// `number << 8` for the others (an escape and their number), in one
    /// look-up.
    codes: WordMap<u64>,
    /// The code and its length of the escape, digits, raw and end symbols.
    specials: [(u32, u8); SPECIALS],
    /// Symbols in the model.
    symbols: u32,
    /// The next number past the model.
    next: u32,
    lexicon: LexiconRow,
    /// The pieces of an installed lexicon, when resumed over one.
    installed: Installed,
}

/// An installed lexicon's pieces, found by their hash: an open-addressing
/// table of numbers (plus one; 0 is empty), each checked against the
/// piece's bytes in the lexicon, and each number's code. A map of 187,000
/// pieces, each an allocation, took 60 ms to build and to free; this takes
/// a few.
#[derive(Debug, Default)]
struct Installed {
    table: Vec<u32>,
    /// Where each piece starts in the lexicon's words, and one past the
    /// last one's end.
    starts: Vec<u32>,
    codes: Vec<u64>,
}

impl Coder {
    /// A coder whose model is built from `sample` (the first lines it
    /// will code; any lines can follow).
    pub fn from_sample<'a>(sample: impl IntoIterator<Item = &'a str>) -> Self {
        // Every symbol's weight: the four special ones first, then the
        // pieces in the order they appear.
        let mut weights = vec![0u64; SPECIALS];
        // The map the coder keeps, with each piece's symbol for now (one
        // map type in the library, not two).
        let mut codes: WordMap<u64> = WordMap::default();
        let mut order: Vec<&'a str> = Vec::new();
        for line in sample {
            weights[END] += 1;
            for piece in pieces(line) {
                match piece {
                    Piece::Digits(_) => weights[DIGITS] += 1,
                    Piece::Raw(_) => weights[RAW] += 1,
                    Piece::Coded(p) => {
                        let symbol = match codes.get(p) {
                            Some(&symbol) => symbol,
                            None => {
                                order.push(p);
                                weights.push(0);
                                let symbol = (weights.len() - 1) as u64;
                                codes.insert(p, symbol);
                                symbol
                            }
                        };
                        weights[symbol as usize] += 1;
                    }
                }
            }
        }
        // Pieces the sample saw once stand for those it did not see: as
        // often as they came, new ones will come (Good and Turing's
        // estimate).
        weights[ESCAPE] = weights[SPECIALS..].iter().filter(|&&w| w == 1).count() as u64;
        let lengths = code_lengths(&weights, MAX_LEN);
        let max = lengths.iter().copied().max().unwrap_or(1);
        // Canonical order: by length, then by symbol.
        let lengths = &lengths;
        let canonical: Vec<usize> = (1..=max)
            .flat_map(|len| (0..lengths.len()).filter(move |&s| lengths[s] == len))
            .collect();
        let mut per_length = vec![0u32; usize::from(max) + 1];
        for &l in lengths {
            per_length[usize::from(l)] += 1;
        }
        let mut model = Vec::new();
        push_varint(&mut model, u64::from(max));
        for &count in &per_length[1..] {
            push_varint(&mut model, u64::from(count));
        }
        let mut specials = [(0u32, 0u8); SPECIALS];
        let mut numbers = [0u32; SPECIALS];
        let mut words = Vec::new();
        let (mut code, mut length) = (0u32, 0u8);
        for (id, &symbol) in canonical.iter().enumerate() {
            // The next code of its length, as a canonical code's decoder
            // counts them.
            if id > 0 {
                code += 1;
                words.push(b'\n');
            }
            code <<= lengths[symbol] - length;
            length = lengths[symbol];
            match symbol.checked_sub(SPECIALS) {
                Some(piece) => {
                    words.extend_from_slice(order[piece].as_bytes());
                    if let Some(c) = codes.get_mut(order[piece]) {
                        *c = (u64::from(code) << 8) | u64::from(length);
                    }
                }
                None => {
                    specials[symbol] = (code, length);
                    numbers[symbol] = id as u32;
                }
            }
        }
        for &n in &numbers {
            push_varint(&mut model, u64::from(n));
        }
        let symbols = canonical.len() as u32;
        Coder {
            codes,
            specials,
            symbols,
            next: symbols,
            lexicon: LexiconRow { words, model },
            installed: Installed::default(),
        }
    }

    /// A coder that goes on with an installed pack's model (`row`, its
    /// lexicon as stored): it codes a line the installed pack has to the
    /// bits installed. Pieces it does not have join the lexicon after the
    /// others, as escapes.
    pub fn resume(row: LexiconRow) -> Result<Coder> {
        let pieces = row.words.iter().filter(|&&b| b == b'\n').count() + 1;
        let d = Decoding::new(&row.model, pieces).ok_or_else(corrupt)?;
        let codes: WordMap<u64> = WordMap::default();
        let mut specials = [(0u32, 0u8); SPECIALS];
        let mut installed = Installed {
            table: vec![0; (pieces * 2).next_power_of_two()],
            starts: Vec::with_capacity(pieces + 1),
            codes: Vec::with_capacity(pieces),
        };
        let mask = installed.table.len() - 1;
        let (mut len, mut start) = (1, 0);
        for (id, piece) in row.words.split(|&b| b == b'\n').enumerate() {
            installed.starts.push(start as u32);
            start += piece.len() + 1;
            let id32 = id as u32;
            let code = if id32 < d.symbols {
                // Canonical: the codes of each length follow one another.
                while id32 >= d.first_symbol[len] + d.count[len] {
                    len += 1;
                }
                let code = d.first_code[len] + (id32 - d.first_symbol[len]);
                if let Some(k) = d.specials.iter().position(|&s| s == id32) {
                    specials[k] = (code, len as u8);
                }
                (u64::from(code) << 8) | len as u64
            } else {
                u64::from(id32) << 8
            };
            installed.codes.push(code);
            // The specials are empty lines, never looked up.
            if piece.is_empty() {
                continue;
            }
            let mut at = codes.hash_one(piece) as usize & mask;
            while installed.table[at] != 0 {
                at = (at + 1) & mask;
            }
            installed.table[at] = id32 + 1;
        }
        installed.starts.push(start as u32);
        let next = installed.codes.len() as u32;
        let symbols = d.symbols;
        Ok(Coder {
            codes,
            specials,
            symbols,
            next,
            lexicon: row,
            installed,
        })
    }

    /// The code of `piece` if the installed lexicon has it.
    fn installed_code(&self, piece: &str) -> Option<u64> {
        let i = &self.installed;
        if i.table.is_empty() {
            return None;
        }
        let mask = i.table.len() - 1;
        let mut at = self.codes.hash_one(piece.as_bytes()) as usize & mask;
        let words = &self.lexicon.words;
        loop {
            let id = (*i.table.get(at)? as usize).checked_sub(1)?;
            let (start, end) = (
                *i.starts.get(id)? as usize,
                *i.starts.get(id + 1)? as usize - 1,
            );
            if words.get(start..end) == Some(piece.as_bytes()) {
                return i.codes.get(id).copied();
            }
            at = (at + 1) & mask;
        }
    }

    /// The pieces of the lexicon so far.
    pub fn pieces(&self) -> u32 {
        self.next
    }

    /// Appends the coded form of `line` to `out`.
    pub fn code(&mut self, line: &str, out: &mut Vec<u8>) {
        let mut bits = BitWriter::new(out);
        for piece in pieces(line) {
            match piece {
                Piece::Coded(p) => match self
                    .codes
                    .get(p)
                    .copied()
                    .or_else(|| self.installed_code(p))
                {
                    Some(code) if code & 0xff != 0 => bits.put((code >> 8) as u32, code as u8),
                    Some(escaped) => self.escape(&mut bits, (escaped >> 8) as u32),
                    None => {
                        let id = self.next;
                        self.next += 1;
                        self.codes.insert(p, u64::from(id) << 8);
                        self.lexicon.words.push(b'\n');
                        self.lexicon.words.extend_from_slice(p.as_bytes());
                        self.escape(&mut bits, id);
                    }
                },
                Piece::Digits(d) => {
                    self.special(&mut bits, DIGITS);
                    bits.exp_golomb(d.len() as u64 - 1, DIGITS_K);
                    for b in d.bytes() {
                        bits.put(u32::from(b - b'0'), 4);
                    }
                }
                Piece::Raw(r) => {
                    self.special(&mut bits, RAW);
                    bits.exp_golomb(r.len() as u64 - 1, RAW_K);
                    for b in r.bytes() {
                        bits.put(u32::from(b), 8);
                    }
                }
            }
        }
        self.special(&mut bits, END);
        bits.finish();
    }

    fn special(&self, bits: &mut BitWriter<'_>, which: usize) {
        let (code, len) = self.specials[which];
        bits.put(code, len);
    }

    fn escape(&self, bits: &mut BitWriter<'_>, id: u32) {
        self.special(bits, ESCAPE);
        bits.exp_golomb(u64::from(id - self.symbols), ESCAPE_K);
    }

    /// The lexicon and model, as the `lexicons` table keeps them.
    pub fn into_lexicon(self) -> LexiconRow {
        self.lexicon
    }
}

/// Where a [`StreamCoder`] hands each coded line with its item (an error
/// stops the stream).
pub(crate) type Emit<'a, T> = dyn FnMut(T, Vec<u8>) -> Result<()> + 'a;

/// Codes a stream of lines: holds the first ones, with an item each,
/// until they make a sample ([`SAMPLE_BYTES`]), then codes them and every
/// line after at once, handing each coded line with its item to `emit`,
/// in order. (Only the items are generic: the lines' part is compiled
/// once, [`Lines`].)
#[derive(Debug)]
pub(crate) struct StreamCoder<T> {
    items: Vec<T>,
    lines: Lines,
    coded: Vec<Vec<u8>>,
}

impl<T> StreamCoder<T> {
    pub fn new() -> Self {
        StreamCoder {
            items: Vec::new(),
            lines: Lines::default(),
            coded: Vec::new(),
        }
    }

    /// Codes `line` and hands it with `item` to `emit`, now or once the
    /// sample is complete.
    pub fn push(&mut self, item: T, line: &str, emit: &mut Emit<'_, T>) -> Result<()> {
        self.items.push(item);
        self.lines.push(line, &mut self.coded);
        self.emit(emit)
    }

    /// Hands the lines coded so far to `emit` with their items.
    fn emit(&mut self, emit: &mut Emit<'_, T>) -> Result<()> {
        let items = self.items.drain(..self.coded.len());
        for (item, coded) in items.zip(self.coded.drain(..)) {
            emit(item, coded)?;
        }
        Ok(())
    }

    /// Codes the lines still held (a stream shorter than a sample); the
    /// lexicon.
    pub fn finish(mut self, emit: &mut Emit<'_, T>) -> Result<LexiconRow> {
        let lexicon = self.lines.finish(&mut self.coded);
        self.emit(emit)?;
        Ok(lexicon)
    }
}

/// The lines of a [`StreamCoder`]: held until they make a sample, then
/// coded.
#[derive(Debug, Default)]
struct Lines {
    held: Vec<String>,
    bytes: usize,
    coder: Option<Coder>,
}

impl Lines {
    /// Appends to `coded` the lines this one completes: none while the
    /// sample is incomplete, every line held when this one completes it,
    /// this one alone after.
    fn push(&mut self, line: &str, coded: &mut Vec<Vec<u8>>) {
        if let Some(coder) = &mut self.coder {
            let mut out = Vec::with_capacity(line.len() / 3);
            coder.code(line, &mut out);
            coded.push(out);
            return;
        }
        self.bytes += line.len();
        self.held.push(line.to_owned());
        if self.bytes >= SAMPLE_BYTES {
            self.start(coded);
        }
    }

    /// Builds the model from the lines held and codes them into `coded`.
    fn start(&mut self, coded: &mut Vec<Vec<u8>>) {
        let held = std::mem::take(&mut self.held);
        let mut coder = Coder::from_sample(held.iter().map(String::as_str));
        for line in &held {
            let mut out = Vec::with_capacity(line.len() / 3);
            coder.code(line, &mut out);
            coded.push(out);
        }
        self.coder = Some(coder);
    }

    /// Codes the lines still held into `coded`; the lexicon.
    fn finish(&mut self, coded: &mut Vec<Vec<u8>>) -> LexiconRow {
        if self.coder.is_none() {
            self.start(coded);
        }
        self.coder
            .take()
            .map(Coder::into_lexicon)
            .unwrap_or_default()
    }
}

// ----- bits -----------------------------------------------------------------

/// Writes bits, most significant first, to the end of a byte vector.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    held: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            held: 0,
        }
    }

    /// Writes the `len` (at most 32) low bits of `value`.
    #[inline]
    fn put(&mut self, value: u32, len: u8) {
        self.acc = (self.acc << len) | u64::from(value);
        self.held += u32::from(len);
        while self.held >= 8 {
            self.held -= 8;
            self.out.push((self.acc >> self.held) as u8);
        }
    }

    /// Writes `v` in Exp-Golomb code of order `k`: as many zeros as
    /// `v + 2^k` has bits past `k + 1`, then `v + 2^k`.
    fn exp_golomb(&mut self, v: u64, k: u32) {
        let w = v + (1 << k);
        let bits = 64 - w.leading_zeros();
        for _ in 0..(bits - 1 - k) {
            self.put(0, 1);
        }
        if bits > 32 {
            self.put((w >> 32) as u32, (bits - 32) as u8);
            self.put(w as u32, 32);
        } else {
            self.put(w as u32, bits as u8);
        }
    }

    /// Writes the last bits, padded with zeros to a byte.
    fn finish(self) {
        if self.held > 0 {
            self.out.push((self.acc << (8 - self.held)) as u8);
        }
    }
}

/// Reads bits, most significant first; past the end, every read fails.
struct BitReader<'a> {
    bytes: &'a [u8],
    /// Bits read.
    at: usize,
}

impl<'a> BitReader<'a> {
    /// The next `n` (at most 32) bits, without reading them (zeros past
    /// the end).
    #[inline]
    fn peek(&self, n: usize) -> u32 {
        let byte = self.at / 8;
        let word = match self.bytes.get(byte..byte + 8) {
            Some(b) => u64::from_be_bytes(b.try_into().unwrap_or_default()),
            None => {
                let mut b = [0u8; 8];
                let rest = self.bytes.get(byte..).unwrap_or_default();
                b[..rest.len()].copy_from_slice(rest);
                u64::from_be_bytes(b)
            }
        };
        // At most 7 + 32 bits of the word are used.
        ((word << (self.at % 8)) >> (64 - n)) as u32
    }

    /// Moves past `n` bits, if there are as many.
    #[inline]
    fn skip(&mut self, n: usize) -> Option<()> {
        self.at += n;
        (self.at <= self.bytes.len() * 8).then_some(())
    }

    /// Reads `n` (at most 32) bits.
    #[inline]
    fn read(&mut self, n: usize) -> Option<u32> {
        let v = self.peek(n);
        self.skip(n)?;
        Some(v)
    }

    /// Reads a number in Exp-Golomb code of order `k` (at most 2^32).
    fn exp_golomb(&mut self, k: u32) -> Option<u64> {
        let zeros = self.peek(32).leading_zeros() as usize;
        if zeros == 32 {
            return None;
        }
        // The zeros and the leading one, then `zeros + k` bits.
        self.skip(zeros + 1)?;
        let rest = zeros + k as usize;
        let low = if rest > 32 {
            (u64::from(self.read(rest - 32)?) << 32) | u64::from(self.read(32)?)
        } else if rest > 0 {
            u64::from(self.read(rest)?)
        } else {
            0
        };
        Some(((1u64 << rest) | low) - (1 << k))
    }
}

// ----- decoding -------------------------------------------------------------

/// A piece as a decoder keeps it: up to [`SLOT`]` - 1` bytes in place,
/// their count in the last byte; a longer piece's place in
/// `Lexicon::long` and length (two little-endian `u32`s), then
/// [`LONG`] in the last byte. One cache line or less per piece decoded,
/// and one fixed-size copy.
type Slot = [u8; SLOT];
const SLOT: usize = 16;
const LONG: u8 = 0xff;

/// A canonical Huffman code's decoding tables.
#[derive(Debug)]
struct Decoding {
    /// By the next [`PEEK`] bits: the symbol whose code they begin with
    /// and its length (`symbol << 5 | length`), or 0 when the code is
    /// longer.
    fast: Vec<u32>,
    max: usize,
    /// By length: how many codes, the first code, its symbol.
    count: [u32; MAX_LEN + 1],
    first_code: [u32; MAX_LEN + 1],
    first_symbol: [u32; MAX_LEN + 1],
    /// Symbols in the model.
    symbols: u32,
    specials: [u32; SPECIALS],
}

impl Decoding {
    /// The tables of a stored model, checked: codes that cannot all exist
    /// are corrupt.
    fn new(model: &[u8], pieces: usize) -> Option<Self> {
        let mut at = 0;
        let max = usize::try_from(next_varint(model, &mut at)?).ok()?;
        if max == 0 || max > MAX_LEN {
            return None;
        }
        let mut d = Decoding {
            fast: vec![0; 1 << PEEK],
            max,
            count: [0; MAX_LEN + 1],
            first_code: [0; MAX_LEN + 1],
            first_symbol: [0; MAX_LEN + 1],
            symbols: 0,
            specials: [0; SPECIALS],
        };
        let mut code = 0u64;
        for len in 1..=max {
            let count = u32::try_from(next_varint(model, &mut at)?).ok()?;
            code <<= 1;
            d.count[len] = count;
            d.first_code[len] = u32::try_from(code).ok()?;
            d.first_symbol[len] = d.symbols;
            d.symbols = d.symbols.checked_add(count)?;
            code += u64::from(count);
            // More codes of this length than there are left: not a code.
            if code > 1 << len {
                return None;
            }
            if len <= PEEK {
                for k in 0..count {
                    let symbol = d.first_symbol[len] + k;
                    let from = ((d.first_code[len] + k) as usize) << (PEEK - len);
                    let entry = (symbol << 5) | len as u32;
                    d.fast[from..from + (1 << (PEEK - len))].fill(entry);
                }
            }
        }
        for s in &mut d.specials {
            *s = u32::try_from(next_varint(model, &mut at)?).ok()?;
            if *s >= d.symbols {
                return None;
            }
        }
        (at == model.len() && d.symbols as usize <= pieces).then_some(d)
    }

    /// The next symbol's number.
    #[inline]
    fn symbol(&self, bits: &mut BitReader<'_>) -> Option<u32> {
        let entry = self.fast[bits.peek(PEEK) as usize];
        if entry != 0 {
            bits.skip((entry & 31) as usize)?;
            return Some(entry >> 5);
        }
        let next = bits.peek(self.max);
        for len in PEEK + 1..=self.max {
            let code = next >> (self.max - len);
            let offset = code.wrapping_sub(self.first_code[len]);
            if offset < self.count[len] {
                bits.skip(len)?;
                return Some(self.first_symbol[len] + offset);
            }
        }
        None
    }
}

/// A pack's lexicon and model, read for decoding.
#[derive(Debug)]
pub(crate) struct Lexicon {
    /// Each piece, by number.
    slots: Vec<Slot>,
    /// The pieces too long for their slot.
    long: Vec<u8>,
    decoding: Decoding,
}

impl Lexicon {
    /// The lexicon a coder wrote ([`Coder::into_lexicon`]), or an
    /// integrity error if it is not one.
    #[cfg(test)]
    pub fn new(row: LexiconRow) -> Result<Self> {
        Lexicon::from_parts(&row.words, None, &row.model)
    }

    /// The lexicon of `words` (the pieces, newline-separated) and `model`.
    /// The words are not checked as UTF-8 here: every decoded line is
    /// (see [`Self::decode_into`]), and checking 2.7 MB of words, then
    /// splitting them by characters, was most of opening a large pack's
    /// lexicon, which the first search of a session waits for.
    fn from_parts(words: &[u8], added: Option<&[u8]>, model: &[u8]) -> Result<Self> {
        let mut long = Vec::new();
        let slots: Vec<Slot> = words
            .split(|&b| b == b'\n')
            .chain(added.into_iter().flat_map(|a| a.split(|&b| b == b'\n')))
            .map(|bytes| {
                let mut slot = [0u8; SLOT];
                if bytes.len() < SLOT {
                    slot[..bytes.len()].copy_from_slice(bytes);
                    slot[SLOT - 1] = bytes.len() as u8;
                } else {
                    slot[..4].copy_from_slice(&(long.len() as u32).to_le_bytes());
                    slot[4..8].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
                    slot[SLOT - 1] = LONG;
                    long.extend_from_slice(bytes);
                }
                slot
            })
            .collect();
        let decoding = Decoding::new(model, slots.len()).ok_or_else(corrupt)?;
        Ok(Lexicon {
            slots,
            long,
            decoding,
        })
    }

    /// Pack row `pack`'s lexicon as stored, the pieces updates in place
    /// added (`lexicon_added`) after the others; and the length of the
    /// others.
    pub fn read_row(conn: &Connection, pack: i64) -> Result<(LexiconRow, usize)> {
        Ok(conn.query_row(READ_LEXICON, [pack], |r| {
            let mut words = r.get_ref(0)?.as_bytes()?.to_vec();
            let installed = words.len();
            if let Some(added) = r.get_ref(2)?.as_bytes_or_null()? {
                words.push(b'\n');
                words.extend_from_slice(added);
            }
            let model = r.get(1)?;
            Ok((LexiconRow { words, model }, installed))
        })?)
    }

    /// Pack row `pack`'s lexicon.
    pub fn read(conn: &Connection, pack: i64) -> Result<Self> {
        let mut stmt = conn.prepare_cached(READ_LEXICON)?;
        let mut rows = stmt.query([pack])?;
        let row = rows.next()?.ok_or_else(corrupt)?;
        Lexicon::from_parts(
            row.get_ref(0)?.as_bytes()?,
            row.get_ref(2)?.as_bytes_or_null()?,
            row.get_ref(1)?.as_bytes()?,
        )
    }

    /// Appends piece `id` to `out`.
    #[inline]
    fn piece(&self, id: u64, out: &mut Vec<u8>) -> Option<()> {
        let slot = self.slots.get(usize::try_from(id).ok()?)?;
        let len = slot[SLOT - 1];
        if len == LONG {
            let at =
                |i: usize| u32::from_le_bytes([slot[i], slot[i + 1], slot[i + 2], slot[i + 3]]);
            let start = at(0) as usize;
            out.extend_from_slice(self.long.get(start..start.checked_add(at(4) as usize)?)?);
        } else {
            // The whole slot, then cut: one fixed-size copy.
            let end = out.len() + usize::from(len);
            out.extend_from_slice(slot);
            out.truncate(end);
        }
        Some(())
    }

    /// Appends the bytes `coded` stands for to `out`, unchecked as UTF-8
    /// (the caller checks once, over the whole line).
    fn decode_raw(&self, coded: &[u8], out: &mut Vec<u8>) -> Option<()> {
        decode_with(&self.decoding, coded, out, |id, out| self.piece(id, out))
    }

    /// Replaces `out` with the JSON line `coded` stands for (its buffer is
    /// reused).
    pub fn decode_into(&self, coded: &[u8], out: &mut String) -> Result<()> {
        line_into(out, coded, |coded, bytes| self.decode_raw(coded, bytes))
    }

    /// The JSON line `coded` stands for.
    pub fn decode(&self, coded: &[u8]) -> Result<String> {
        let mut out = String::new();
        self.decode_into(coded, &mut out)?;
        Ok(out)
    }
}

/// Replaces `out` with the line `decode` writes of `coded`, checked as
/// UTF-8 whole.
fn line_into(
    out: &mut String,
    coded: &[u8],
    decode: impl FnOnce(&[u8], &mut Vec<u8>) -> Option<()>,
) -> Result<()> {
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    bytes.reserve(coded.len() * 4);
    decode(coded, &mut bytes).ok_or_else(corrupt)?;
    // Neither the pieces (read unchecked) nor raw bytes need be UTF-8
    // alone: the line is checked whole.
    *out = String::from_utf8(bytes).map_err(|_| corrupt())?;
    Ok(())
}

/// Appends the bytes `coded` stands for to `out` in the code `d`, each
/// piece's bytes written by `piece`.
#[inline]
fn decode_with(
    d: &Decoding,
    coded: &[u8],
    out: &mut Vec<u8>,
    piece: impl Fn(u64, &mut Vec<u8>) -> Option<()>,
) -> Option<()> {
    let mut bits = BitReader {
        bytes: coded,
        at: 0,
    };
    loop {
        let symbol = d.symbol(&mut bits)?;
        let id = if symbol == d.specials[ESCAPE] {
            u64::from(d.symbols).checked_add(bits.exp_golomb(ESCAPE_K)?)?
        } else if symbol == d.specials[DIGITS] {
            for _ in 0..=bits.exp_golomb(DIGITS_K)? {
                let digit = bits.read(4)?;
                if digit > 9 {
                    return None;
                }
                out.push(b'0' + digit as u8);
            }
            continue;
        } else if symbol == d.specials[RAW] {
            for _ in 0..=bits.exp_golomb(RAW_K)? {
                out.push(bits.read(8)? as u8);
            }
            continue;
        } else if symbol == d.specials[END] {
            // Only the last byte's padding may follow, all zeros.
            let rest = coded.len() * 8 - bits.at;
            return (rest == 0 || (rest < 8 && bits.peek(rest) == 0)).then_some(());
        } else {
            u64::from(symbol)
        };
        piece(id, out)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text, not only JSON: spaces, digits, marks and newlines
        /// anywhere; lines past the sample use pieces it never saw.
        #[test]
        fn any_lines_decode_to_themselves(
            lines in proptest::collection::vec("[ a-z0-9\n\"{}:,.\u{64e}\u{627}-\u{64a}éЖ🙂]{0,40}", 1..6),
            sampled in 0usize..6,
        ) {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            round_trip(&lines, sampled.min(lines.len()));
        }

        /// Bytes that are no coded line decode to an error or to some
        /// line, never to a panic, whatever the model.
        #[test]
        fn any_bytes_decode_without_a_panic(
            sample in proptest::collection::vec("[ a-z0-9\n\"{}:,.\u{627}-\u{64a}]{0,30}", 0..4),
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let coder = Coder::from_sample(sample.iter().map(String::as_str));
            let lexicon = Lexicon::new(coder.into_lexicon()).unwrap();
            let _ = lexicon.decode(&bytes);
        }

        /// Code lengths make a prefix code no longer than the limit,
        /// whatever the weights.
        #[test]
        fn code_lengths_are_a_prefix_code_within_the_limit(
            weights in proptest::collection::vec(1u64..1_000_000, 1..300),
            limit in 9usize..=MAX_LEN,
        ) {
            let lengths = code_lengths(&weights, limit);
            prop_assert!(lengths.iter().all(|&l| l >= 1 && usize::from(l) <= limit));
            // Kraft: the codes fit.
            let kraft: f64 = lengths.iter().map(|&l| 0.5f64.powi(i32::from(l))).sum();
            prop_assert!(kraft <= 1.0 + 1e-12, "{kraft}");
        }
    }

    /// Codes `lines` with a model from the first `sampled`, checks that
    /// each decodes to itself, and gives the bytes coded.
    fn round_trip(lines: &[&str], sampled: usize) -> usize {
        let mut coder = Coder::from_sample(lines[..sampled].iter().copied());
        let coded: Vec<Vec<u8>> = lines
            .iter()
            .map(|l| {
                let mut out = Vec::new();
                coder.code(l, &mut out);
                out
            })
            .collect();
        let lexicon = Lexicon::new(coder.into_lexicon()).unwrap();
        for (line, coded) in lines.iter().zip(&coded) {
            assert_eq!(lexicon.decode(coded).unwrap(), *line);
        }
        coded.iter().map(Vec::len).sum()
    }

    const LINES: [&str; 9] = [
        "",
        " ",
        "  leading and trailing  ",
        r#"{"type":"article","id":"a-1","title":"Free legal aid","body":"Ask  the\npolice\u00e9 \"x\""}"#,
        "مساعدة قانونية، والمساعدة بِه — كاُمْلُاِ",
        "Притулок для біженців: 24/7 ✓",
        "word",
        "1 2 3 4.5e-3 -7 0123456789 99999999999999999999999999999999999",
        "emoji 🙂 between words 🙂\nand a newline",
    ];

    #[test]
    fn every_line_decodes_to_itself_byte_for_byte() {
        // With all of them sampled, with none, and with some.
        for sampled in [LINES.len(), 0, 4] {
            round_trip(&LINES, sampled);
        }
    }

    #[test]
    fn a_single_space_belongs_to_the_word_after_it() {
        let line = "a  b c 7 d";
        let cut: Vec<Piece<'_>> = pieces(line).collect();
        assert_eq!(
            cut,
            [
                Piece::Coded("a"),
                Piece::Coded("  "),
                Piece::Coded("b"),
                Piece::Coded(" c"),
                Piece::Coded(" "),
                Piece::Digits("7"),
                Piece::Coded(" d"),
            ]
        );
    }

    #[test]
    fn common_words_take_a_few_bits() {
        let line = "the shelter opens at night and the shelter closes at dawn ".repeat(50);
        let coded = round_trip(&[&line], 1);
        // 550 pieces of ten kinds: three or four bits each, where a word
        // and its space take 42 on average.
        assert!(coded * 12 < line.len(), "{coded} of {}", line.len());
    }

    #[test]
    fn lines_the_sample_never_saw_are_coded_with_escapes() {
        let sample = ["the shelter opens at night"; 20];
        let mut coder = Coder::from_sample(sample);
        let mut out = Vec::new();
        coder.code("Притулок відкритий вночі, the shelter", &mut out);
        let row = coder.into_lexicon();
        // The new pieces come after the model's, in the order they came.
        assert!(
            row.words
                .ends_with("\nПритулок\n відкритий\n вночі\n, ".as_bytes()),
            "{:?}",
            String::from_utf8_lossy(&row.words)
        );
        let lexicon = Lexicon::new(row).unwrap();
        assert_eq!(
            lexicon.decode(&out).unwrap(),
            "Притулок відкритий вночі, the shelter"
        );
    }

    #[test]
    fn a_resumed_coder_codes_as_the_installed_one_and_adds_only_new_pieces() {
        let sample = ["the shelter opens at night", "the clinic opens at 9"];
        let mut first = Coder::from_sample(sample);
        let (mut old, mut escaped) = (Vec::new(), Vec::new());
        first.code("the clinic opens at night", &mut old);
        first.code("the shelter, again", &mut escaped);
        let row = first.into_lexicon();
        let installed = row.words.clone();
        let lexicon = Lexicon::new(row.clone()).unwrap();
        let mut resumed = Coder::resume(row).unwrap();
        let before = resumed.pieces();
        // Installed lines code again to the same bits (an update in place
        // compares them so): the model's pieces and the escapes alike are
        // found, none added.
        for (coded, text) in [
            (&old, "the clinic opens at night"),
            (&escaped, "the shelter, again"),
        ] {
            assert_eq!(lexicon.decode(coded).unwrap(), text);
            let mut again = Vec::new();
            resumed.code(text, &mut again);
            assert_eq!(&again, coded);
        }
        assert_eq!(resumed.pieces(), before);
        // A new piece joins after the installed ones, once.
        let mut new = Vec::new();
        resumed.code("the shelter moved", &mut new);
        resumed.code("the clinic moved", &mut Vec::new());
        assert_eq!(resumed.pieces(), before + 1);
        let grown = resumed.into_lexicon();
        assert_eq!(grown.words, [&installed[..], b"\n moved"].concat());
        assert_eq!(
            Lexicon::new(grown).unwrap().decode(&new).unwrap(),
            "the shelter moved"
        );
    }

    #[test]
    fn corrupt_codes_and_models_are_an_error_not_a_panic() {
        let mut coder = Coder::from_sample(["one two"]);
        let mut good = Vec::new();
        coder.code("one two", &mut good);
        let row = coder.into_lexicon();
        let lexicon = Lexicon::new(row.clone()).unwrap();
        assert_eq!(lexicon.decode(&good).unwrap(), "one two");
        // Cut short, extended, every byte flipped: an error or another
        // line, never a panic.
        assert!(lexicon.decode(&[]).is_err());
        let mut longer = good.clone();
        longer.push(0xff);
        assert!(lexicon.decode(&longer).is_err());
        for i in 0..good.len() {
            for flip in [1u8, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] ^= flip;
                let _ = lexicon.decode(&bad);
            }
        }
        for bad in [&[0xff; 11][..], &[0x00; 40], &[0xaa; 3]] {
            let _ = lexicon.decode(bad);
        }
        // Models that cannot be codes: too many codes of a length, a
        // length past the limit, a special symbol out of range, bytes
        // left over, more symbols than pieces.
        for model in [
            vec![1, 3, 0, 1, 2, 0],
            vec![25],
            vec![3, 0, 2, 4, 9, 1, 2, 3],
            [row.model.clone(), vec![0]].concat(),
            vec![],
        ] {
            let row = LexiconRow {
                words: row.words.clone(),
                model,
            };
            assert!(Lexicon::new(row).is_err());
        }
        let too_few = LexiconRow {
            words: "one".into(),
            model: row.model,
        };
        assert!(Lexicon::new(too_few).is_err());
    }
}
