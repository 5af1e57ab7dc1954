//! Waymark's own full-text index: one row per word, pack and part in the
//! `terms` table, holding the entries that have the word and how much the
//! word weighs in each, and search's evaluation of a query over it.
//!
//! - **Postings.** A word's `list` is its entries in row-id order, each as
//!   the gap from the previous one (LEB128) and one byte of *impact*: the
//!   word's bm25 term-frequency part in that entry, `f·(k1+1) / (f +
//!   k1·(1−b+b·len/avgdl))` with `f` the word's count weighted by field
//!   (title 4×, body 1×) and `len` the entry's length in words, quantized
//!   to 1..=255 over its range (0, k1+1). The pack's average length is
//!   known when the list is written, so the impact is final then: a
//!   query multiplies it by the word's idf and adds, with no entry lengths
//!   to look up.
//! - **Heads.** A word in more than [`HEAD`] entries also has a `head`:
//!   its [`HEAD`] entries of highest impact, written as a list is (by row
//!   id, as gaps, each with its impact). A query of one
//!   word (or prefix) is answered from heads alone, however common the
//!   word, for any limit up to [`HEAD`].
//! - **Parts.** An install writes its words in parts of at most
//!   [`PART_BUDGET`] bytes held in memory, so its memory stays bounded
//!   whatever the pack's size; a word's rows across packs and parts hold
//!   disjoint sets of entries, and a query reads them all.
//! - **Queries.** Every word must match; the words before the last match
//!   whole, the last one as a prefix (search as you type), its entries the
//!   union of the words it begins, each scored by the best of them, with
//!   the idf of their summed counts. A query of several words starts from
//!   the word with the fewest entries and merges the others' lists against
//!   those candidates in one pass each.
//!
//! Ranking follows FTS5's bm25 (k1 = 1.2, b = 0.75, idf = ln((N−n+0.5) /
//! (n+0.5)), at least 1e-6), which this index replaced: it ranks the same
//! entries first with a fraction of the reading.

use super::words::{Word, WordMap};
use rusqlite::{Connection, Transaction, params};

use crate::error::{Error, Result};

/// The `terms` table and the long lists' `postings`. `terms` is without
/// rowid, so a word's rows are found by one seek of the primary key and a
/// prefix's by one range of it; its rows stay small (a list of up to
/// [`HEAD`] entries, or a head of [`HEAD`]), so ranges of words read few
/// pages. Longer lists are rows of `postings`, read only by queries of
/// several words.
pub(crate) const CREATE_TERMS: &str = "CREATE TABLE terms (
         term TEXT NOT NULL,
         pack INTEGER NOT NULL,       -- packs.id
         part INTEGER NOT NULL,       -- the install's part (see postings.rs)
         df INTEGER NOT NULL,         -- entries with the word
         head BLOB,                   -- the top 64 by impact, if df > 64
         list BLOB,                   -- the entries, if df <= 64
         postings INTEGER,            -- postings.id of the entries, if df > 64
         PRIMARY KEY (term, pack, part)
     ) WITHOUT ROWID;
     CREATE TABLE postings (
         id INTEGER PRIMARY KEY,
         list BLOB NOT NULL           -- entries by row id, with impacts
     );";

/// The parts updates applied in place wrote (see update.rs), rows as
/// `terms`' in a table of their own: a part's rows in `terms` would land
/// all over its tree (its key begins with the word), and an update of 1%
/// rewrote nearly every page of it. Queries read both.
pub(crate) const CREATE_TERMS_ADDED: &str = "CREATE TABLE terms_added (
         term TEXT NOT NULL,
         pack INTEGER NOT NULL,
         part INTEGER NOT NULL,
         df INTEGER NOT NULL,
         head BLOB,
         list BLOB,
         postings INTEGER,
         PRIMARY KEY (term, pack, part)
     ) WITHOUT ROWID;";

/// The tables of index rows: an install's, and updates' (see
/// [`CREATE_TERMS_ADDED`]).
const TERM_TABLES: [&str; 2] = ["terms", "terms_added"];

/// bm25's term-frequency saturation.
const K1: f64 = 1.2;
/// bm25's length normalization.
const B: f64 = 0.75;
/// A word in an entry's title counts this many times one in its body.
const TITLE_WEIGHT: u32 = 4;
/// Entries in a word's head (and the largest limit heads can answer).
pub(crate) const HEAD: usize = 64;
/// Bytes of postings an install holds in memory before it writes a part.
const PART_BUDGET: usize = 24 << 20;

/// The impact byte of a word counted `f` times (weighted) in an entry of
/// `len` words, in a pack whose entries average `avgdl` words.
fn impact(f: u32, len: u32, avgdl: f64) -> u8 {
    let f = f64::from(f);
    let norm = K1 * (1.0 - B + B * f64::from(len) / avgdl.max(1.0));
    let part = f * (K1 + 1.0) / (f + norm);
    // Rounded up, so that no match scores zero.
    (part / (K1 + 1.0) * 255.0).ceil().clamp(1.0, 255.0) as u8
}

/// The bm25 term-frequency part an impact byte stands for.
fn part_of(impact: u8) -> f64 {
    f64::from(impact) / 255.0 * (K1 + 1.0)
}

/// bm25's idf of a word in `n` of `total` entries.
fn idf(total: u64, n: u64) -> f64 {
    let (total, n) = (total.max(n) as f64, n as f64);
    ((total - n + 0.5) / (n + 0.5)).ln().max(1e-6)
}

pub(super) fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 number at `*at`, moving past it.
fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes
            .get(*at)
            .ok_or_else(|| Error::Integrity("search index"))?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
        shift += 7;
        if shift > 63 {
            return Err(Error::Integrity("search index"));
        }
    }
}

/// Reads a LEB128 number at `*at` (one or two bytes in place, the rare
/// longer ones through [`read_varint`]), or `None` if the bytes are bad.
#[inline]
pub(super) fn next_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let first = *bytes.get(*at)?;
    if first < 0x80 {
        *at += 1;
        return Some(u64::from(first));
    }
    // Two bytes: most gaps in a long list, most words of a lexicon.
    if let Some(&second) = bytes.get(*at + 1)
        && second < 0x80
    {
        *at += 2;
        return Some(u64::from(first & 0x7f) | (u64::from(second) << 7));
    }
    read_varint(bytes, at).ok()
}

/// Appends the `(entry, impact)` pairs of a `list` blob (row-id order) to
/// `out`.
fn read_list(list: &[u8], out: &mut Vec<(i64, u8)>) -> Result<()> {
    each_posting(list, |doc, impact| {
        out.push((doc, impact));
        true
    })
}

/// Calls `f` with each `(entry, impact)` pair of a `list` blob, in row-id
/// order, until it returns false; an integrity error if the blob is bad.
/// The one decoder of lists: a loop with the caller's step inlined, not
/// an iterator of `Result`s, which cost merging 1.6% more instructions
/// ("change al"; a copy of this loop inside the merge saved 4.7% more, at
/// no time that could be measured).
#[inline]
fn each_posting(list: &[u8], mut f: impl FnMut(i64, u8) -> bool) -> Result<()> {
    let bad = || Error::Integrity("search index");
    let (mut at, mut doc) = (0, 0i64);
    while at < list.len() {
        let gap = next_varint(list, &mut at).ok_or_else(bad)?;
        doc = doc.checked_add_unsigned(gap).ok_or_else(bad)?;
        let impact = *list.get(at).ok_or_else(bad)?;
        at += 1;
        if !f(doc, impact) {
            break;
        }
    }
    Ok(())
}

/// A set of entry row ids, as a bit for each from the first to the last:
/// one load from a few kilobytes tells whether an entry is in it.
#[derive(Debug, Default)]
pub(crate) struct RowSet {
    first: i64,
    bits: Vec<u64>,
}

impl RowSet {
    /// The set of `docs` (in row-id order).
    pub(crate) fn new(docs: &[i64]) -> Self {
        let first = docs.first().copied().unwrap_or(0);
        let span = docs.last().map_or(0, |&last| (last - first) as usize + 1);
        let mut bits = vec![0u64; span.div_ceil(64)];
        for &d in docs {
            let off = (d - first) as usize;
            bits[off / 64] |= 1 << (off % 64);
        }
        RowSet { first, bits }
    }

    /// True if `doc` is in the set.
    #[inline]
    pub(crate) fn has(&self, doc: i64) -> bool {
        let Ok(off) = usize::try_from(doc - self.first) else {
            return false;
        };
        self.bits
            .get(off / 64)
            .is_some_and(|w| w >> (off % 64) & 1 == 1)
    }
}

/// Per pack row, the entries an update applied in place removed that its
/// long lists still hold (see `update.rs`): a query skips them. Empty
/// for packs installed whole.
pub(crate) type Removed = [(i64, RowSet)];

/// The removed entries of pack row `pack`, if it has any.
fn removed_in(removed: &Removed, pack: i64) -> Option<&RowSet> {
    removed.iter().find(|(p, _)| *p == pack).map(|(_, s)| s)
}

/// Appends the `(entry, impact)` pairs of pack row `pack`'s `list` to
/// `out`, but the entries removed.
fn read_live(list: &[u8], pack: i64, removed: &Removed, out: &mut Vec<(i64, u8)>) -> Result<()> {
    match removed_in(removed, pack) {
        None => read_list(list, out),
        Some(gone) => each_posting(list, |doc, impact| {
            if !gone.has(doc) {
                out.push((doc, impact));
            }
            true
        }),
    }
}

/// The candidates of a query of several words, in row-id order, and the
/// set of them: most postings of a long list are no candidate, and the
/// set tells so at the cost of one load.
struct Candidates {
    docs: Vec<i64>,
    set: RowSet,
}

impl Candidates {
    fn new(docs: Vec<i64>) -> Self {
        let set = RowSet::new(&docs);
        Candidates { docs, set }
    }
}

/// Raises `best[c]` to the impact `list` (a list blob, row-id order) gives
/// candidate `c`, decoding only as far as the last candidate: the lists
/// of a common word or a short prefix are long, and most of their entries
/// are no candidate. A candidate's place is found, from the last one
/// found, by galloping: a prefix's hundreds of lists are each short
/// beside the candidates, and stepping through every candidate for each
/// list was most of a query of a word and a short prefix.
fn merge_list(
    list: &[u8],
    gone: Option<&RowSet>,
    candidates: &Candidates,
    best: &mut [u8],
) -> Result<()> {
    let docs = &candidates.docs;
    let Some(&last) = docs.last() else {
        return Ok(());
    };
    let mut c = 0;
    each_posting(list, |doc, impact| {
        if doc > last {
            return false;
        }
        if candidates.set.has(doc) && !gone.is_some_and(|g| g.has(doc)) {
            if docs[c] < doc {
                c = next_at_least(docs, c, doc);
            }
            best[c] = best[c].max(impact);
        }
        true
    })
}

/// The first place past `from` whose entry is `doc` or later, in `docs`
/// (row-id order, with `docs[from] < doc <= docs.last()`): by steps that
/// double, then by halving the last step.
#[inline]
fn next_at_least(docs: &[i64], from: usize, doc: i64) -> usize {
    let (mut below, mut step) = (from, 1);
    // `docs[below] < doc` throughout.
    while let Some(&d) = docs.get(below + step) {
        if d >= doc {
            break;
        }
        below += step;
        step *= 2;
    }
    let end = (below + step + 1).min(docs.len());
    below + 1 + docs[below + 1..end].partition_point(|&d| d < doc)
}

/// One word's postings while a part is being built: gaps written as
/// entries come, each entry's weighted count once the next entry (or the
/// end of the part) shows it complete.
#[derive(Debug, Default)]
struct Building {
    df: u32,
    last: i64,
    count: u32,
    bytes: Vec<u8>,
}

impl Building {
    /// Writes the weighted count of the entry in progress.
    fn close(&mut self) {
        if self.count > 0 {
            push_varint(&mut self.bytes, u64::from(self.count));
            self.count = 0;
        }
    }
}

/// Builds one pack's index rows as its entries are written, in parts of
/// bounded memory.
#[derive(Debug)]
pub(crate) struct IndexBuilder {
    pack: i64,
    words: WordMap<Building>,
    /// `(entry, length)` of this part's entries, in row-id order.
    lengths: Vec<(i64, u32)>,
    /// Postings bytes held.
    held: usize,
    part: i64,
    /// Entries and words of the whole pack so far, for the average length.
    pack_docs: u64,
    pack_words: u64,
    /// Bytes held before a part is written ([`PART_BUDGET`]).
    budget: usize,
    /// The pack's average length, when the entries added are a few more
    /// of an installed pack (see [`Self::extending`]).
    avgdl: Option<f64>,
}

impl IndexBuilder {
    /// A builder for pack row `pack`.
    pub fn new(pack: i64) -> Self {
        IndexBuilder {
            pack,
            words: WordMap::default(),
            lengths: Vec::new(),
            held: 0,
            part: 0,
            pack_docs: 0,
            pack_words: 0,
            budget: PART_BUDGET,
            avgdl: None,
        }
    }

    /// A builder of more entries of pack row `pack`, whose parts are
    /// numbered from `part` (past its last), with the pack's average
    /// length `avgdl` as it was installed: their impacts weigh as its
    /// other entries' do.
    pub fn extending(pack: i64, part: i64, avgdl: f64) -> Self {
        IndexBuilder {
            part,
            avgdl: Some(avgdl),
            ..IndexBuilder::new(pack)
        }
    }

    /// Adds entry row `doc` (greater than every entry added before) with
    /// its index row (from [`super::index::index_row`]: words separated by
    /// single spaces); writes a part when the memory budget is reached.
    pub fn add(&mut self, tx: &Transaction<'_>, doc: i64, title: &str, body: &str) -> Result<()> {
        let mut len = 0u32;
        for (text, weight) in [(title, TITLE_WEIGHT), (body, 1)] {
            for w in text.split(' ').filter(|w| !w.is_empty()) {
                len += 1;
                let b = self.words.or_default(w);
                if b.df == 0 || b.last != doc {
                    b.close();
                    let before = b.bytes.capacity();
                    let gap = if b.df == 0 { doc } else { doc - b.last };
                    push_varint(&mut b.bytes, gap as u64);
                    self.held += b.bytes.capacity() - before;
                    b.df += 1;
                    b.last = doc;
                }
                b.count += weight;
            }
        }
        self.lengths.push((doc, len));
        self.pack_docs += 1;
        self.pack_words += u64::from(len);
        // What the map itself holds, roughly, beside the lists.
        if self.held + self.words.len() * 64 >= self.budget {
            self.flush(tx)?;
        }
        Ok(())
    }

    /// Writes the part in progress, if any; the pack's average length,
    /// and the next part free.
    pub fn finish(mut self, tx: &Transaction<'_>) -> Result<(f64, i64)> {
        self.flush(tx)?;
        Ok((self.average(), self.part))
    }

    fn average(&self) -> f64 {
        self.avgdl
            .unwrap_or(self.pack_words as f64 / self.pack_docs.max(1) as f64)
    }

    fn flush(&mut self, tx: &Transaction<'_>) -> Result<()> {
        if self.lengths.is_empty() {
            return Ok(());
        }
        let avgdl = self.average();
        let first = self.lengths[0].0;
        let lengths = &self.lengths;
        // Rows of one install are consecutive: an entry's length is at its
        // offset from the first (searched for otherwise).
        let length = |doc: i64| -> u32 {
            let at = usize::try_from(doc - first).unwrap_or(usize::MAX);
            match lengths.get(at) {
                Some(&(d, len)) if d == doc => len,
                _ => lengths
                    .binary_search_by_key(&doc, |&(d, _)| d)
                    .map_or(1, |i| lengths[i].1),
            }
        };
        let mut words = self.words.drain();
        // In key order: each row lands after the one before in the tree.
        crate::sort::sort_by(&mut words, |a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        // An update's part (an average length given) in a table of its
        // own: see CREATE_TERMS_ADDED.
        let mut insert = tx.prepare_cached(if self.avgdl.is_some() {
            "INSERT INTO terms_added (term, pack, part, df, head, list, postings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        } else {
            "INSERT INTO terms (term, pack, part, df, head, list, postings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        })?;
        let mut insert_list = tx.prepare_cached("INSERT INTO postings (list) VALUES (?1)")?;
        // The lists are encoded on a thread of their own while this one
        // inserts them: two thirds of the work, and at the end of an
        // install (a pack of 100,000 entries is one part) the other
        // thread has nothing left to do.
        std::thread::scope(|scope| -> Result<()> {
            // Rows go in batches: one hand-over per row cost an update's
            // small part more than its encoding.
            let (send, receive) = std::sync::mpsc::sync_channel::<Result<Vec<TermRow>>>(4);
            let encoder = scope.spawn(move || {
                let mut batch = Vec::with_capacity(ROWS_PER_BATCH);
                for (term, b) in words {
                    match encode_term(term, b, &length, avgdl) {
                        Ok(row) => batch.push(row),
                        Err(e) => {
                            let _ = send.send(Err(e));
                            return;
                        }
                    }
                    if batch.len() == ROWS_PER_BATCH {
                        let full =
                            std::mem::replace(&mut batch, Vec::with_capacity(ROWS_PER_BATCH));
                        // The receiver is gone after an error of its own.
                        if send.send(Ok(full)).is_err() {
                            return;
                        }
                    }
                }
                let _ = send.send(Ok(batch));
            });
            for rows in receive {
                for row in rows? {
                    let (inline, postings) = if row.head.is_some() {
                        insert_list.execute([&row.list])?;
                        (None, Some(tx.last_insert_rowid()))
                    } else {
                        (Some(&row.list), None)
                    };
                    insert.execute(params![
                        row.term.as_str(),
                        self.pack,
                        self.part,
                        row.df,
                        row.head,
                        inline,
                        postings
                    ])?;
                }
            }
            // An encoder that failed without telling (a panic) must not
            // pass for a part that ended.
            encoder
                .join()
                .map_err(|_| Error::Io(std::io::Error::other("the index encoder failed")))
        })?;
        self.lengths.clear();
        self.held = 0;
        self.part += 1;
        Ok(())
    }
}

/// Encoded rows handed to the inserting thread at once.
const ROWS_PER_BATCH: usize = 256;

/// One word's row of a part, encoded.
struct TermRow {
    term: Word,
    df: u32,
    /// The [`HEAD`] highest impacts, when the list is longer.
    head: Option<Vec<u8>>,
    list: Vec<u8>,
}

/// `term`'s row: its postings `b` as a list of gaps and impacts, with
/// entries' lengths from `length` and the part's average `avgdl`.
fn encode_term(
    term: Word,
    mut b: Building,
    length: &impl Fn(i64) -> u32,
    avgdl: f64,
) -> Result<TermRow> {
    b.close();
    let mut list = Vec::with_capacity(b.bytes.len());
    // (255 - impact, entry) as one number: highest impact first.
    let mut top: Vec<u64> = Vec::new();
    let (mut at, mut doc) = (0, 0i64);
    while at < b.bytes.len() {
        let gap = read_varint(&b.bytes, &mut at)?;
        let count = read_varint(&b.bytes, &mut at)?;
        doc += gap as i64;
        let imp = impact(count as u32, length(doc), avgdl);
        push_varint(&mut list, gap);
        list.push(imp);
        if b.df as usize > HEAD {
            top.push((u64::from(255 - imp) << 56) | entry_bits(doc)?);
        }
    }
    let head = if top.is_empty() {
        None
    } else {
        top.select_nth_unstable(HEAD - 1);
        top.truncate(HEAD);
        // Written by entry, as gaps: smaller than whole row ids.
        for key in &mut top {
            *key = ((*key & ENTRY_MASK) << 8) | (255 - (*key >> 56));
        }
        top.sort_unstable();
        let mut head = Vec::with_capacity(2 * HEAD);
        let mut last = 0;
        for &key in &top {
            push_varint(&mut head, (key >> 8) - last);
            head.push((key & 0xff) as u8);
            last = key >> 8;
        }
        Some(head)
    };
    Ok(TermRow {
        term,
        df: b.df,
        head,
        list,
    })
}

/// Deletes pack row `pack`'s index rows.
pub(crate) fn delete_pack(tx: &Transaction<'_>, pack: i64) -> Result<()> {
    for table in TERM_TABLES {
        tx.execute(
            &format!(
                "DELETE FROM postings WHERE id IN
                     (SELECT postings FROM {table} WHERE pack = ?1 AND postings IS NOT NULL)"
            ),
            [pack],
        )?;
        tx.execute(&format!("DELETE FROM {table} WHERE pack = ?1"), [pack])?;
    }
    Ok(())
}

/// The short lists of pack row `pack` that hold only entries of `gone`,
/// as (table, word, part): once they go ([`delete_lists`]), a word only
/// those entries had leaves the index. Every short list is read (one pass
/// over `terms`: cheaper than finding each word of the entries); the
/// other lists keep them, and queries skip them ([`Removed`]): rewriting
/// every list they are in wrote a fifth more of an update of 1%.
///
/// `conn` may read the lists as last committed, beside the transaction
/// that deletes them: the lists an update adds hold only entries it adds.
pub(crate) fn lists_only_of(
    conn: &Connection,
    pack: i64,
    gone: &RowSet,
) -> Result<Vec<(&'static str, String, i64)>> {
    let mut only = Vec::new();
    for table in TERM_TABLES {
        let mut read = conn.prepare(&format!(
            "SELECT term, part, list FROM {table} WHERE pack = ?1 AND list IS NOT NULL"
        ))?;
        let mut rows = read.query([pack])?;
        while let Some(r) = rows.next()? {
            let mut live = false;
            each_posting(r.get_ref(2)?.as_blob()?, |doc, _| {
                live = !gone.has(doc);
                !live
            })?;
            if !live {
                only.push((table, r.get(0)?, r.get(1)?));
            }
        }
    }
    Ok(only)
}

/// Deletes `lists` (from [`lists_only_of`]) of pack row `pack`.
pub(crate) fn delete_lists(
    tx: &Transaction<'_>,
    pack: i64,
    lists: &[(&'static str, String, i64)],
) -> Result<()> {
    for table in TERM_TABLES {
        let mut delete = tx.prepare(&format!(
            "DELETE FROM {table} WHERE term = ?1 AND pack = ?2 AND part = ?3"
        ))?;
        for (_, term, part) in lists.iter().filter(|(t, _, _)| *t == table) {
            delete.execute(params![term, pack, part])?;
        }
    }
    Ok(())
}

/// The end of the range of words that begin with `prefix` (exclusive):
/// no folded word has a character above U+10FFFF.
fn prefix_end(prefix: &str) -> String {
    let mut end = String::with_capacity(prefix.len() + 4);
    end.push_str(prefix);
    end.push(char::MAX);
    end
}

/// True if any indexed word begins with `prefix`.
pub(crate) fn any_word_begins(conn: &Connection, prefix: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM terms WHERE term >= ?1 AND term < ?2
             UNION ALL SELECT 1 FROM terms_added WHERE term >= ?1 AND term < ?2 LIMIT 1",
        )?
        .exists(params![prefix, prefix_end(prefix)])?)
}

/// Every indexed word with the entries it is in (summed over packs), in
/// order: each table's in key order, merged.
pub(crate) fn vocabulary(conn: &Connection) -> Result<Vec<(Box<str>, u64)>> {
    let mut out: Vec<(Box<str>, u64)> = Vec::new();
    for table in TERM_TABLES {
        let mut stmt =
            conn.prepare_cached(&format!("SELECT term, sum(df) FROM {table} GROUP BY term"))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?.into_boxed_str(),
                r.get::<_, i64>(1)?.max(0) as u64,
            ))
        })?;
        let words: Vec<(Box<str>, u64)> = rows.collect::<rusqlite::Result<_>>()?;
        // The two in order, in one pass (a word in both, summed).
        let mut merged = Vec::with_capacity(out.len() + words.len());
        let mut theirs = words.into_iter().peekable();
        for (word, df) in out {
            while let Some(w) = theirs.next_if(|(w, _)| *w < word) {
                merged.push(w);
            }
            let more = theirs.next_if(|(w, _)| *w == word).map_or(0, |(_, n)| n);
            merged.push((word, df + more));
        }
        merged.extend(theirs);
        out = merged;
    }
    Ok(out)
}

/// A query word's rows: each row's `df`, and its list (or, for the last
/// word of a one-word query, its head where it has one), each with its
/// pack row.
struct WordRows {
    df: u64,
    lists: Vec<(i64, Vec<u8>)>,
    heads: Vec<(i64, Vec<u8>)>,
}

/// The rows of `word` (whole, or every word it begins if `prefix`);
/// `heads`: read heads instead of lists where there are some.
fn word_rows(conn: &Connection, word: &str, prefix: bool, heads: bool) -> Result<WordRows> {
    let mut out = WordRows {
        df: 0,
        lists: Vec::new(),
        heads: Vec::new(),
    };
    let end = if prefix {
        prefix_end(word)
    } else {
        // The word alone: [word, word + U+0000).
        format!("{word}\0")
    };
    // Long lists are read only where they are used.
    let sql = if heads {
        "SELECT df, head, list, pack FROM terms WHERE term >= ?1 AND term < ?2
         UNION ALL
         SELECT df, head, list, pack FROM terms_added WHERE term >= ?1 AND term < ?2"
    } else {
        "SELECT t.df, NULL, coalesce(t.list, p.list), t.pack FROM terms t
         LEFT JOIN postings p ON p.id = t.postings
         WHERE t.term >= ?1 AND t.term < ?2
         UNION ALL
         SELECT t.df, NULL, coalesce(t.list, p.list), t.pack FROM terms_added t
         LEFT JOIN postings p ON p.id = t.postings
         WHERE t.term >= ?1 AND t.term < ?2"
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params![word, end])?;
    while let Some(r) = rows.next()? {
        out.df += r.get::<_, i64>(0)?.max(0) as u64;
        let pack = r.get(3)?;
        if let Some(head) = r.get_ref(1)?.as_blob_or_null()? {
            out.heads.push((pack, head.to_vec()));
        } else if let Some(list) = r.get_ref(2)?.as_blob_or_null()? {
            out.lists.push((pack, list.to_vec()));
        }
    }
    Ok(out)
}

/// The best `limit` entries for the folded query `words` (the last one a
/// prefix), as `(entry row, score)`, best first (scores negative, as
/// FTS5's bm25: lower is better); `total`: the entries installed;
/// `removed`: entries the lists still hold that are gone.
pub(crate) fn top(
    conn: &Connection,
    words: &[String],
    total: u64,
    limit: usize,
    removed: &Removed,
) -> Result<Vec<(i64, f64)>> {
    let last = words.len() - 1;
    if words.len() == 1 && limit <= HEAD {
        return top_one(conn, &words[0], total, limit, removed);
    }
    let mut rows = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let r = word_rows(conn, w, i == last, false)?;
        if r.df == 0 {
            return Ok(Vec::new());
        }
        rows.push(r);
    }
    // Candidates from the word in the fewest entries: (entry, score).
    let driver = (0..rows.len()).min_by_key(|&i| rows[i].df).unwrap_or(0);
    let mut candidates: Vec<(i64, u8)> = Vec::new();
    for (pack, list) in &rows[driver].lists {
        read_live(list, *pack, removed, &mut candidates)?;
    }
    // Best impact per entry (a prefix's words may share entries).
    best_per_entry(&mut candidates)?;
    let weight = idf(total, rows[driver].df);
    let mut scored: Vec<(i64, f64)> = candidates
        .iter()
        .map(|&(doc, imp)| (doc, weight * part_of(imp)))
        .collect();
    drop(candidates);
    let mut best: Vec<u8> = Vec::new();
    for (i, word) in rows.iter().enumerate() {
        if i == driver || scored.is_empty() {
            continue;
        }
        best.clear();
        best.resize(scored.len(), 0);
        let candidates = Candidates::new(scored.iter().map(|&(doc, _)| doc).collect());
        // Each list against the candidates, both in row-id order.
        for (pack, list) in &word.lists {
            merge_list(list, removed_in(removed, *pack), &candidates, &mut best)?;
        }
        let weight = idf(total, word.df);
        let mut keep = best.iter();
        scored.retain_mut(|(_, score)| match keep.next() {
            Some(&imp) if imp > 0 => {
                *score += weight * part_of(imp);
                true
            }
            _ => false,
        });
    }
    Ok(best_first(scored, limit))
}

/// The best `limit` (at most [`HEAD`]) entries for one word typed (a
/// prefix), from heads: an entry's score is its best impact among the
/// words the prefix begins, times the idf of their summed counts, so the
/// best entries are the best of each word's head. A head is a list's
/// best entries, and so are the ones left of it when some are removed,
/// as long as `limit` are left; when fewer are, the whole lists are read.
fn top_one(
    conn: &Connection,
    word: &str,
    total: u64,
    limit: usize,
    removed: &Removed,
) -> Result<Vec<(i64, f64)>> {
    let mut rows = word_rows(conn, word, true, true)?;
    let mut pairs: Vec<(i64, u8)> = Vec::new();
    let mut short = false;
    for (pack, head) in &rows.heads {
        let before = pairs.len();
        read_live(head, *pack, removed, &mut pairs)?;
        short |= pairs.len() - before < limit;
    }
    if short {
        rows = word_rows(conn, word, true, false)?;
        pairs.clear();
    }
    for (pack, list) in &rows.lists {
        read_live(list, *pack, removed, &mut pairs)?;
    }
    let weight = idf(total, rows.df);
    let scored = highest_impacts(&pairs, limit)?
        .into_iter()
        .map(|(doc, imp)| (doc, weight * part_of(imp)))
        .collect();
    Ok(best_first(scored, limit))
}

/// The `limit` entries of highest impact among `pairs` (an entry's best
/// impact counts; equal impacts by row id), in row-id order. One score
/// weighs every pair of one word typed, so these are its best entries;
/// found by putting the pairs in 255 buckets by impact and sorting only
/// the buckets taken from, not all the pairs: the heads of a two-letter
/// prefix hold tens of thousands, and sorting them was most of the query.
fn highest_impacts(pairs: &[(i64, u8)], limit: usize) -> Result<Vec<(i64, u8)>> {
    // Where each bucket starts, highest impact first.
    let mut start = [0usize; 257];
    for &(_, imp) in pairs {
        start[usize::from(255 - imp) + 1] += 1;
    }
    for b in 0..256 {
        start[b + 1] += start[b];
    }
    let mut next = start;
    let mut sorted = vec![0u64; pairs.len()];
    for &(doc, imp) in pairs {
        let b = usize::from(255 - imp);
        sorted[next[b]] = entry_bits(doc)?;
        next[b] += 1;
    }
    // Taken so far, as `entry << 8 | impact` in row-id order: an entry
    // met again has a lower impact.
    let mut out: Vec<u64> = Vec::with_capacity(limit);
    for b in 0..256 {
        if out.len() >= limit {
            break;
        }
        let bucket = &mut sorted[start[b]..start[b + 1]];
        bucket.sort_unstable();
        for &doc in bucket.iter() {
            let at = out.partition_point(|&k| k >> 8 < doc);
            if out.get(at).is_none_or(|&k| k >> 8 != doc) {
                out.insert(at, (doc << 8) | (255 - b) as u64);
                if out.len() == limit {
                    break;
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|k| ((k >> 8) as i64, k as u8))
        .collect())
}

/// Entry row ids fit in 56 bits (a phone's rows count from 1), so an
/// entry and a byte sort together as one number: every sort here is one
/// sort of `u64`, compiled once (a sort of a type of its own costs the
/// native library about 3.5 KB).
const ENTRY_MASK: u64 = (1 << 56) - 1;

/// `doc` as the low 56 bits of a sort key.
fn entry_bits(doc: i64) -> Result<u64> {
    u64::try_from(doc)
        .ok()
        .filter(|&d| d <= ENTRY_MASK)
        .ok_or_else(|| Error::Integrity("search index"))
}

/// Sorts `pairs` by entry, keeping each entry once with its best impact.
fn best_per_entry(pairs: &mut Vec<(i64, u8)>) -> Result<()> {
    let mut keys = Vec::with_capacity(pairs.len());
    for &(doc, imp) in pairs.iter() {
        keys.push((entry_bits(doc)? << 8) | u64::from(255 - imp));
    }
    keys.sort_unstable();
    pairs.clear();
    for key in keys {
        let doc = (key >> 8) as i64;
        if pairs.last().is_none_or(|&(d, _)| d != doc) {
            pairs.push((doc, 255 - (key & 0xff) as u8));
        }
    }
    Ok(())
}

/// The `limit` highest scores, highest first (equal scores by row id),
/// negated as FTS5's bm25 is. `scored` is in row-id order; each is sorted
/// by one number, the score's `f32` bits (scores are positive, and
/// positive floats order as their bits) above its position.
fn best_first(scored: Vec<(i64, f64)>, limit: usize) -> Vec<(i64, f64)> {
    let mut keys: Vec<u64> = scored
        .iter()
        .enumerate()
        .map(|(i, &(_, s))| (u64::from(u32::MAX - (s as f32).to_bits()) << 32) | i as u64)
        .collect();
    if keys.len() > limit && limit > 0 {
        keys.select_nth_unstable(limit - 1);
    }
    keys.truncate(limit);
    keys.sort_unstable();
    keys.into_iter()
        .map(|k| {
            let (doc, score) = scored[(k & u64::from(u32::MAX)) as usize];
            (doc, -score)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impacts_rise_with_the_count_and_fall_with_the_length() {
        assert!(impact(2, 10, 10.0) > impact(1, 10, 10.0));
        assert!(impact(1, 5, 10.0) > impact(1, 20, 10.0));
        assert!(impact(TITLE_WEIGHT, 10, 10.0) > impact(1, 10, 10.0));
        // Never zero, never past the byte.
        assert_eq!(impact(1, u32::MAX, 1.0), 1);
        assert_eq!(impact(u32::MAX, 1, 10.0), 255);
    }

    #[test]
    fn varints_round_trip() {
        let mut out = Vec::new();
        for v in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            out.clear();
            push_varint(&mut out, v);
            out.push(0x7f);
            let mut at = 0;
            assert_eq!(read_varint(&out, &mut at).unwrap(), v);
            assert_eq!(at, out.len() - 1);
            let mut at = 0;
            assert_eq!(next_varint(&out, &mut at), Some(v));
            assert_eq!(at, out.len() - 1);
        }
        // Cut short, or longer than a u64: an integrity error, no panic.
        assert!(read_varint(&[0x80], &mut 0).is_err());
        assert!(read_varint(&[0xff; 11], &mut 0).is_err());
        assert_eq!(next_varint(&[0x80], &mut 0), None);
        assert_eq!(next_varint(&[0x80, 0x80], &mut 0), None);
        assert_eq!(next_varint(&[0xff; 11], &mut 0), None);
    }

    /// An in-memory index of `docs` (title, body) for pack 1, entries
    /// 1, 2, 3…, in parts of at most `budget` bytes.
    fn index(docs: &[(String, String)], budget: usize) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(CREATE_TERMS).unwrap();
        conn.execute_batch(CREATE_TERMS_ADDED).unwrap();
        let tx = conn.transaction().unwrap();
        let mut b = IndexBuilder::new(1);
        b.budget = budget;
        for (i, (title, body)) in docs.iter().enumerate() {
            b.add(&tx, i as i64 + 1, title, body).unwrap();
        }
        b.finish(&tx).unwrap();
        tx.commit().unwrap();
        conn
    }

    /// A corpus where "shelter" is common, in titles and bodies, with
    /// counts and lengths that vary from entry to entry.
    fn corpus(n: usize) -> Vec<(String, String)> {
        let mut x = 7u64;
        let mut next = move |m: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        (0..n)
            .map(|i| {
                let title = match next(10) {
                    0 => "night shelter".to_owned(),
                    1 => "shelters open".to_owned(),
                    _ => format!("notice {i}"),
                };
                let mut body: Vec<&str> = Vec::new();
                for _ in 0..3 + next(30) {
                    body.push(["the", "shelter", "beds", "open", "camp", "bus"][next(6) as usize]);
                }
                (title, body.join(" "))
            })
            .collect()
    }

    #[test]
    fn heads_rank_one_word_as_the_whole_lists_do() {
        let docs = corpus(3_000);
        let total = docs.len() as u64;
        let conn = index(&docs, PART_BUDGET);
        for word in ["shelter", "shel", "open", "beds", "b"] {
            let words = [word.to_owned()];
            let from_heads = top_one(&conn, word, total, 20, &[]).unwrap();
            // The same query through the whole lists (a limit past HEAD).
            let mut whole = top(&conn, &words, total, HEAD + 1, &[]).unwrap();
            whole.truncate(20);
            assert_eq!(from_heads.len(), 20, "{word}");
            assert_eq!(from_heads, whole, "{word}");
        }
    }

    #[test]
    fn an_index_written_in_parts_answers_as_one_written_whole() {
        let docs = corpus(2_000);
        let total = docs.len() as u64;
        let whole = index(&docs, PART_BUDGET);
        let parts = index(&docs, 4_096);
        let count = |c: &Connection| -> i64 {
            c.query_row("SELECT count(DISTINCT part) FROM terms", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count(&whole), 1);
        assert!(count(&parts) > 5, "{} parts", count(&parts));
        for query in [
            &["shelter"][..],
            &["open"],
            &["night", "shel"],
            &["beds", "camp"],
            &["bus", "o"],
        ] {
            let words: Vec<String> = query.iter().map(|w| w.to_string()).collect();
            let ids = |c: &Connection| -> Vec<i64> {
                top(c, &words, total, 10_000, &[])
                    .unwrap()
                    .into_iter()
                    .map(|(d, _)| d)
                    .collect()
            };
            // Every match, the same entries (ranks may differ a little:
            // each part's impacts use the average length so far).
            let (mut a, mut b) = (ids(&whole), ids(&parts));
            assert!(!a.is_empty(), "{query:?}");
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{query:?}");
        }
    }

    /// Several words, scored by reading every list whole: each entry with
    /// every word (the last as a prefix, its best impact among the words
    /// it begins) and the sum of idf times impact part, by row id.
    fn scored_whole(conn: &Connection, words: &[&str], total: u64) -> Vec<(i64, f64)> {
        let mut score: Option<std::collections::BTreeMap<i64, f64>> = None;
        for (i, w) in words.iter().enumerate() {
            let rows = word_rows(conn, w, i == words.len() - 1, false).unwrap();
            let mut best = std::collections::BTreeMap::<i64, u8>::new();
            for (_, list) in &rows.lists {
                let mut pairs = Vec::new();
                read_list(list, &mut pairs).unwrap();
                for (doc, imp) in pairs {
                    let b = best.entry(doc).or_default();
                    *b = (*b).max(imp);
                }
            }
            let weight = idf(total, rows.df);
            let this = best
                .into_iter()
                .map(|(doc, imp)| (doc, weight * part_of(imp)));
            score = Some(match score {
                None => this.collect(),
                Some(before) => this
                    .filter_map(|(doc, s)| Some((doc, before.get(&doc)? + s)))
                    .collect(),
            });
        }
        score.unwrap_or_default().into_iter().collect()
    }

    #[test]
    fn several_words_score_as_their_whole_lists_do() {
        let docs = corpus(3_000);
        let total = docs.len() as u64;
        // In parts, so that a prefix has many lists, each short.
        let conn = index(&docs, 2_048);
        for query in [
            &["night", "s"][..],
            &["shelters", "b"],
            &["notice", "o"],
            &["bus", "c"],
            &["the", "shelter", "be"],
            &["beds", "camp", "bus"],
        ] {
            let words: Vec<String> = query.iter().map(|w| w.to_string()).collect();
            let got = top(&conn, &words, total, 10_000, &[]).unwrap();
            // Best first (scores negated, as FTS5's; ranked as `f32`).
            let ranked = |s: f64| -s as f32;
            assert!(
                got.windows(2).all(|w| ranked(w[0].1) >= ranked(w[1].1)),
                "{query:?}"
            );
            let mut got: Vec<(i64, f64)> = got.into_iter().map(|(d, s)| (d, -s)).collect();
            got.sort_by_key(|&(doc, _)| doc);
            let want = scored_whole(&conn, query, total);
            assert!(!want.is_empty(), "{query:?}");
            assert_eq!(got.len(), want.len(), "{query:?}");
            for ((doc, score), (want_doc, want_score)) in got.iter().zip(&want) {
                assert_eq!(doc, want_doc, "{query:?}");
                assert!((score - want_score).abs() < 1e-9, "{query:?}");
            }
        }
    }

    #[test]
    fn every_word_must_match_and_the_last_as_a_prefix() {
        let docs = vec![
            ("night shelter".to_owned(), "beds for the night".to_owned()),
            (
                "bus timetable".to_owned(),
                "buses leave the camp".to_owned(),
            ),
            ("shelter".to_owned(), "open all day".to_owned()),
        ];
        let conn = index(&docs, PART_BUDGET);
        let ids = |q: &[&str]| -> Vec<i64> {
            let words: Vec<String> = q.iter().map(|w| w.to_string()).collect();
            let mut ids: Vec<i64> = top(&conn, &words, 3, 20, &[])
                .unwrap()
                .into_iter()
                .map(|(d, _)| d)
                .collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(ids(&["shelter", "ni"]), [1]);
        assert_eq!(ids(&["the", "bus"]), [2]);
        assert_eq!(ids(&["bus", "the"]), [2]);
        assert_eq!(ids(&["shelter"]), [1, 3]);
        assert!(ids(&["shelter", "bus"]).is_empty());
        assert!(
            ids(&["shelt", "night"]).is_empty(),
            "only the last word is a prefix"
        );
        assert!(ids(&["nothing"]).is_empty());
    }

    #[test]
    fn highest_impacts_count_an_entrys_best_and_break_ties_by_row() {
        // Entry 7 is in two words' heads: its best impact (200) counts.
        let pairs = [
            (9, 50),
            (7, 10),
            (3, 200),
            (7, 200),
            (5, 200),
            (1, 90),
            (2, 90),
        ];
        assert_eq!(
            highest_impacts(&pairs, 4).unwrap(),
            [(1, 90), (3, 200), (5, 200), (7, 200)]
        );
        assert_eq!(
            highest_impacts(&pairs, 3).unwrap(),
            [(3, 200), (5, 200), (7, 200)]
        );
        assert_eq!(highest_impacts(&pairs, 10).unwrap().len(), 6);
        assert!(highest_impacts(&pairs, 0).unwrap().is_empty());
    }

    #[test]
    fn the_best_come_first_and_equal_scores_keep_row_order() {
        let scored = vec![(5, 1.0), (3, 2.0), (9, 2.0), (1, 0.5)];
        assert_eq!(
            best_first(scored.clone(), 3),
            [(3, -2.0), (9, -2.0), (5, -1.0)]
        );
        assert_eq!(best_first(scored, 10).len(), 4);
    }

    #[test]
    fn the_vocabulary_counts_an_update_s_words_with_the_install_s() {
        let docs: Vec<(String, String)> = ["shelter clinic", "shelter water"]
            .iter()
            .map(|t| (t.to_string(), String::new()))
            .collect();
        let mut conn = index(&docs, PART_BUDGET);
        let tx = conn.transaction().unwrap();
        let mut added = IndexBuilder::extending(1, 1, 2.0);
        added.add(&tx, 3, "apple shelter", "").unwrap();
        added.add(&tx, 4, "zebra", "").unwrap();
        added.finish(&tx).unwrap();
        tx.commit().unwrap();
        let words: Vec<(String, u64)> = vocabulary(&conn)
            .unwrap()
            .into_iter()
            .map(|(w, n)| (w.into(), n))
            .collect();
        let expect = [
            ("apple", 1),
            ("clinic", 1),
            ("shelter", 3),
            ("water", 1),
            ("zebra", 1),
        ];
        assert_eq!(
            words,
            expect.map(|(w, n)| (w.to_string(), n)),
            "in order, a word of both tables once"
        );
    }
}
