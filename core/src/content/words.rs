//! A map keyed by words (index terms, lexicon pieces), the short ones held
//! inline.
//!
//! An install looks up every piece of every line (the coder: 162 per line
//! of the benchmark's corpus, in a map of some 190,000 pieces) and every
//! word of every entry (the index builder): tens of millions of look-ups
//! for 100,000 entries. Keyed by `Box<str>`,
//! each look-up that finds its key compares it behind a pointer, a cache
//! miss of its own: a profile of an install put a fifth of its CPU in
//! `memcmp`. Nearly all words are at most 15 bytes, so those are kept as
//! 16 bytes in the table itself, and only longer ones behind a pointer.

use foldhash::HashMap as FastMap;
use std::hash::{BuildHasher, Hash, Hasher};

/// The longest key held inline, in bytes.
const INLINE: usize = 15;

/// A key of at most [`INLINE`] bytes: its bytes, zeros after them, and its
/// length in the last byte (so "a" and "a\0" differ), as two numbers
/// (little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Short {
    low: u64,
    high: u64,
}

impl Short {
    /// Made with loads of the word's bytes, no copy through memory: a copy
    /// of a variable length, then read back as numbers, stalled each
    /// look-up.
    fn of(word: &str) -> Option<Short> {
        let b = word.as_bytes();
        let n = b.len();
        if n > INLINE {
            return None;
        }
        let load4 = |at: usize| {
            b.get(at..at + 4).map_or(0, |w| {
                u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            })
        };
        let load8 = |at: usize| {
            b.get(at..at + 8).map_or(0, |w| {
                u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])
            })
        };
        let (low, high) = match n {
            // The last 8 bytes, shifted down past those the first 8 hold.
            9.. => (load8(0), load8(n - 8) >> (8 * (16 - n))),
            8 => (load8(0), 0),
            // Two loads of 4 that overlap (or meet): the same bytes in
            // the same places.
            4.. => (load4(0) | (load4(n - 4) << (8 * (n - 4))), 0),
            _ => (b.iter().rev().fold(0, |k, &x| (k << 8) | u64::from(x)), 0),
        };
        Some(Short {
            low,
            high: high | ((n as u64) << 56),
        })
    }

    fn bytes(self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.low.to_le_bytes());
        key[8..].copy_from_slice(&self.high.to_le_bytes());
        key
    }
}

impl Hash for Short {
    // One write of the whole key, not a slice's length and its bytes.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(u128::from(self.low) | (u128::from(self.high) << 64));
    }
}

/// A key taken out of a [`WordMap`].
pub(crate) enum Word {
    Short([u8; 16]),
    Long(Box<str>),
}

impl Word {
    /// The word's bytes: their order is the words' order as strings.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Word::Short(key) => &key[..usize::from(key[INLINE])],
            Word::Long(word) => word.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // The bytes of a whole `str`, copied.
            Word::Short(_) => std::str::from_utf8(self.as_bytes()).expect("a key made of a str"),
            Word::Long(word) => word,
        }
    }
}

/// A hash map from words to `V`. foldhash: fast, and seeded per process,
/// so crafted words cannot force collisions.
#[derive(Debug)]
pub(crate) struct WordMap<V> {
    short: FastMap<Short, V>,
    long: FastMap<Box<str>, V>,
}

impl<V> Default for WordMap<V> {
    fn default() -> Self {
        WordMap {
            short: FastMap::default(),
            long: FastMap::default(),
        }
    }
}

impl<V> WordMap<V> {
    pub fn get(&self, word: &str) -> Option<&V> {
        match Short::of(word) {
            Some(key) => self.short.get(&key),
            None => self.long.get(word),
        }
    }

    pub fn get_mut(&mut self, word: &str) -> Option<&mut V> {
        match Short::of(word) {
            Some(key) => self.short.get_mut(&key),
            None => self.long.get_mut(word),
        }
    }

    pub fn insert(&mut self, word: &str, value: V) {
        match Short::of(word) {
            Some(key) => self.short.insert(key, value),
            None => self.long.insert(word.into(), value),
        };
    }

    /// `word`'s value, a default one added if it had none.
    pub fn or_default(&mut self, word: &str) -> &mut V
    where
        V: Default,
    {
        match Short::of(word) {
            Some(key) => self.short.entry(key).or_default(),
            // Allocates only for a word not yet held.
            None => {
                if !self.long.contains_key(word) {
                    self.long.insert(word.into(), V::default());
                }
                self.long.get_mut(word).expect("just inserted")
            }
        }
    }

    pub fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// Every word and its value, in no order; the map is left empty.
    pub fn drain(&mut self) -> Vec<(Word, V)> {
        let mut all = Vec::with_capacity(self.len());
        all.extend(self.short.drain().map(|(k, v)| (Word::Short(k.bytes()), v)));
        all.extend(self.long.drain().map(|(k, v)| (Word::Long(k), v)));
        all
    }

    /// A hash of `word`, with this map's seed, for tables of the caller's.
    pub fn hash_one(&self, word: &[u8]) -> u64 {
        self.long.hasher().hash_one(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_key_is_its_bytes_then_its_length() {
        let text = "abcdefghijklmnopé";
        for n in 0..=INLINE {
            let word = &text[..n];
            let bytes = Short::of(word).expect("short").bytes();
            assert_eq!(&bytes[..n], word.as_bytes(), "{n}");
            assert!(bytes[n..INLINE].iter().all(|&b| b == 0), "{n}");
            assert_eq!(usize::from(bytes[INLINE]), n);
        }
        assert!(Short::of(&text[..16]).is_none());
        // Multi-byte characters at every offset.
        let arabic = "دارٌ في";
        for (n, _) in arabic.char_indices().chain([(arabic.len(), ' ')]) {
            let bytes = Short::of(&arabic[..n]).expect("short").bytes();
            assert_eq!(&bytes[..n], &arabic.as_bytes()[..n]);
        }
    }

    #[test]
    fn short_and_long_keys_survive_insert_look_up_and_drain() {
        let words = [
            "",
            "a",
            "a\0",
            "ab",
            "fünfzehn bytes.", // 16 bytes: behind a pointer
            "fifteen bytes..", // 15 bytes: the longest inline
            "دار",
            "a word longer than fifteen bytes",
        ];
        let mut map = WordMap::default();
        for (i, w) in words.iter().enumerate() {
            map.insert(w, i);
        }
        assert_eq!(map.len(), words.len());
        for (i, w) in words.iter().enumerate() {
            assert_eq!(map.get(w), Some(&i), "{w:?}");
        }
        assert_eq!(map.get("fifteen bytes."), None);
        assert_eq!(map.get("a word longer than fifteen byte"), None);
        *map.or_default("ab") += 10;
        *map.or_default("new") += 1;
        *map.or_default("another word longer than fifteen") += 2;
        assert_eq!(map.get("ab"), Some(&13));
        assert_eq!(map.get_mut("new").copied(), Some(1));
        let mut drained: Vec<(String, usize)> = map
            .drain()
            .into_iter()
            .map(|(w, v)| {
                assert_eq!(w.as_str().as_bytes(), w.as_bytes());
                (w.as_str().to_owned(), v)
            })
            .collect();
        assert_eq!(map.len(), 0);
        drained.sort();
        let mut expected: Vec<(String, usize)> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.to_string(), if *w == "ab" { 13 } else { i }))
            .chain([
                ("new".to_owned(), 1),
                ("another word longer than fifteen".to_owned(), 2),
            ])
            .collect();
        expected.sort();
        assert_eq!(drained, expected);
    }
}
