//! What installing a pack's new version changed: per kind of entry, the
//! entries added, changed and removed, so that an app can say "3 services
//! updated" after a sync.
//!
//! Worked out inside the install's transaction, the same way for a full
//! pack, a patch and shared content: before the old version's rows go,
//! each entry's kind and id is kept with a 64-bit hash of its stored JSON
//! (an article's translations, which share an id, summed); the new
//! version's entries are hashed as they are parsed (on the install's
//! reading thread) and matched as they are written. An entry is changed
//! when its JSON differs, whatever the field. A first install reports
//! every entry as added, without the map.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde::Serialize;

/// How many ids of each kind and outcome a [`KindChanges`] lists.
pub const SAMPLE_IDS: usize = 5;

/// The kinds of entry, in the order reports list them.
const KINDS: [&str; 5] = ["service", "article", "country", "route", "alert"];

/// What one install changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PackChanges {
    /// One per kind with at least one change, in the order service,
    /// article, country, route, alert.
    pub kinds: Vec<KindChanges>,
}

impl PackChanges {
    /// Whether nothing was added, changed or removed.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }
}

/// The changes to one kind of entry. Articles count once per id, whatever
/// the number of their translations changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindChanges {
    /// `service`, `article`, `country`, `route` or `alert`.
    pub kind: String,
    /// Entries new in this version.
    pub added: u64,
    /// Entries in both versions whose content differs.
    pub changed: u64,
    /// Entries gone from this version.
    pub removed: u64,
    /// The first of the added ids in id order, at most [`SAMPLE_IDS`].
    pub added_ids: Vec<String>,
    /// The first of the changed ids, likewise.
    pub changed_ids: Vec<String>,
    /// The first of the removed ids, likewise.
    pub removed_ids: Vec<String>,
}

/// The hash an entry's stored JSON is compared by.
pub(crate) fn body_hash(json: &str) -> u64 {
    hash_of(json)
}

/// The hash an entry's coded line is compared by, where both versions
/// are coded by one pack's coder (an update in place): it codes equal
/// lines to equal bits, and unequal lines to unequal ones, so the old
/// lines need not be decoded.
pub(crate) fn coded_hash(coded: &[u8]) -> u64 {
    hash_of(coded)
}

fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

fn kind_index(kind: &str) -> usize {
    KINDS.iter().position(|k| *k == kind).unwrap_or(0)
}

/// An entry's hashes in the old and new versions (sums, for articles).
pub(crate) struct Sums {
    kind: u8,
    id: Box<str>,
    old: u64,
    new: u64,
    in_old: bool,
    in_new: bool,
}

/// The map key of an entry: a 64-bit hash of its kind and id, so that the
/// new version's entries are looked up without an allocation each (two
/// entries of 100,000 share a key with odds of about 1 in 10^9; they would
/// be told as one).
fn key(kind: u8, id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (kind, id).hash(&mut h);
    h.finish()
}

fn slot<'a>(map: &'a mut HashMap<u64, Sums>, kind: &str, id: &str) -> &'a mut Sums {
    let kind = kind_index(kind) as u8;
    map.entry(key(kind, id)).or_insert_with(|| Sums {
        kind,
        id: id.into(),
        old: 0,
        new: 0,
        in_old: false,
        in_new: false,
    })
}

/// Collects the changes during one install.
pub(crate) enum Tracker {
    /// No version was installed: everything is added (with the keys of the
    /// articles seen, so that an article counts once, not once per
    /// translation).
    First([(u64, Vec<String>); 5], HashSet<u64>),
    /// The entries of the version being replaced, then the new ones.
    Update(HashMap<u64, Sums>),
}

impl Tracker {
    /// For a first install.
    pub(crate) fn first() -> Tracker {
        Tracker::First(Default::default(), HashSet::new())
    }

    /// For an update: call [`Self::old_entry`] for each installed entry.
    pub(crate) fn update() -> Tracker {
        Tracker::Update(HashMap::new())
    }

    /// Whether the new entries' hashes are needed.
    pub(crate) fn needs_hashes(&self) -> bool {
        matches!(self, Tracker::Update(_))
    }

    /// An entry of the installed version.
    pub(crate) fn old_entry(&mut self, kind: &str, id: &str, hash: u64) {
        if let Tracker::Update(map) = self {
            let s = slot(map, kind, id);
            s.old = s.old.wrapping_add(hash);
            s.in_old = true;
        }
    }

    /// An entry of the new version.
    pub(crate) fn new_entry(&mut self, kind: &str, id: &str, hash: u64) {
        match self {
            Tracker::First(counts, articles) => {
                let k = kind_index(kind);
                if KINDS[k] == "article" && !articles.insert(key(k as u8, id)) {
                    return;
                }
                let (n, ids) = &mut counts[k];
                *n += 1;
                keep_first(ids, id);
            }
            Tracker::Update(map) => {
                let s = slot(map, kind, id);
                s.new = s.new.wrapping_add(hash);
                s.in_new = true;
            }
        }
    }

    /// The ids of the articles only one version has, of those seen: an
    /// update in place sees only the entries it removes and adds, and an
    /// article whose other translations it keeps was changed, not
    /// removed or added ([`Self::article_kept`]).
    pub(crate) fn lone_articles(&self) -> Vec<String> {
        let article = kind_index("article") as u8;
        match self {
            Tracker::Update(map) => map
                .values()
                .filter(|s| s.kind == article && s.in_old != s.in_new)
                .map(|s| s.id.to_string())
                .collect(),
            Tracker::First(..) => Vec::new(),
        }
    }

    /// Article `id` has translations in both versions that the update
    /// kept as they were.
    pub(crate) fn article_kept(&mut self, id: &str) {
        self.old_entry("article", id, 0);
        self.new_entry("article", id, 0);
    }

    /// The changes, per kind.
    pub(crate) fn finish(self) -> PackChanges {
        let mut per: [KindChanges; 5] = Default::default();
        match self {
            Tracker::First(counts, _) => {
                for (k, (n, ids)) in counts.into_iter().enumerate() {
                    per[k].added = n;
                    per[k].added_ids = ids;
                }
            }
            Tracker::Update(map) => {
                for s in map.into_values() {
                    let k = &mut per[usize::from(s.kind)];
                    let (count, ids) = match (s.in_old, s.in_new) {
                        (false, true) => (&mut k.added, &mut k.added_ids),
                        (true, false) => (&mut k.removed, &mut k.removed_ids),
                        (true, true) if s.old != s.new => (&mut k.changed, &mut k.changed_ids),
                        _ => continue,
                    };
                    *count += 1;
                    keep_first(ids, &s.id);
                }
            }
        }
        let mut kinds = Vec::new();
        for (k, mut c) in per.into_iter().enumerate() {
            if c.added + c.changed + c.removed > 0 {
                c.kind = KINDS[k].to_owned();
                kinds.push(c);
            }
        }
        PackChanges { kinds }
    }
}

/// Keeps in `ids` the [`SAMPLE_IDS`] smallest ids seen, in order, without
/// sorting all of them.
fn keep_first(ids: &mut Vec<String>, id: &str) {
    if ids.len() == SAMPLE_IDS && ids.last().is_some_and(|last| id >= last.as_str()) {
        return;
    }
    let at = ids.partition_point(|x| x.as_str() < id);
    if ids.get(at).is_some_and(|x| x == id) {
        return;
    }
    ids.insert(at, id.to_owned());
    ids.truncate(SAMPLE_IDS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_counts_once_whatever_its_translations_in_a_first_install_and_an_update() {
        let mut first = Tracker::first();
        for (kind, id) in [
            ("article", "asylum"),
            ("article", "asylum"),
            ("service", "s1"),
        ] {
            first.new_entry(kind, id, 0);
        }
        first.new_entry("article", "work", 0);
        let kinds = first.finish().kinds;
        assert_eq!((kinds[0].kind.as_str(), kinds[0].added), ("service", 1));
        assert_eq!((kinds[1].kind.as_str(), kinds[1].added), ("article", 2));
        assert_eq!(kinds[1].added_ids, ["asylum", "work"]);

        let mut update = Tracker::update();
        update.old_entry("article", "asylum", 1);
        update.old_entry("article", "asylum", 2);
        update.new_entry("article", "asylum", 1);
        update.new_entry("article", "asylum", 3);
        let kinds = update.finish().kinds;
        assert_eq!(
            (kinds[0].kind.as_str(), kinds[0].changed, kinds[0].added),
            ("article", 1, 0)
        );
    }

    #[test]
    fn keep_first_keeps_the_smallest_ids_in_order_once_each() {
        let mut ids = Vec::new();
        for id in ["g", "c", "a", "c", "z", "b", "f", "e", "d"] {
            keep_first(&mut ids, id);
        }
        assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    }
}
