//! The remote backup's index (sealed inside the head object) and how a
//! phone merges its vault into it.
//!
//! A document's *revision* is its id and its last change (the vault's
//! `updated_at`, in milliseconds): two phones that change the same document
//! make two revisions. The index lists live revisions (stored, restorable)
//! and tombstones (a revision deleted on purpose). Each phone remembers its
//! *base*: the revision of each of its documents at its last backup, so it
//! can tell "I changed or deleted this" from "another phone added this".
//!
//! The rules ([`merge`]), for each document id:
//! - a revision the phone holds and the index has live: nothing to do;
//! - the phone changed the document since its base, and the base is live:
//!   the new revision replaces the base (another phone's revisions of the
//!   same id stay: a conflict keeps both);
//! - the phone holds a revision the index does not know, new or changed
//!   since its base: it is added, beside any other live revision of the id;
//! - the phone holds its base revision unchanged, and the index no longer
//!   lists it live: another phone deleted or replaced it since, and that
//!   stands;
//! - the phone deleted the document since its base: the base revision
//!   becomes a tombstone (another phone's newer revisions stay);
//! - revisions of documents the phone never had are left as they are.
//!
//! Nothing one phone holds at its backup is ever dropped by another's,
//! except by a deletion or a replacement of that very revision made on a
//! phone that held it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A document id as the index writes it (32 hex digits).
pub type IdHex = String;

/// One revision of a document in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// The document id, 32 hex digits.
    pub id: IdHex,
    /// Its last change, milliseconds since 1970 (UTC).
    pub updated_ms: i64,
    /// The stored object's plaintext length (metadata and content).
    #[serde(default)]
    pub length: u64,
    /// How many chunk objects hold it (names derived from the id, the
    /// revision and the chunk's number).
    #[serde(default)]
    pub chunks: u32,
    /// A tombstone: deleted on purpose; no chunks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl Revision {
    /// The revision's identity.
    pub fn key(&self) -> (&str, i64) {
        (&self.id, self.updated_ms)
    }
}

/// The index: every revision, live or deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// The format's name.
    pub format: String,
    /// The format's version.
    pub version: u32,
    /// Every revision, sorted by id then time.
    pub revisions: Vec<Revision>,
}

/// The index format's name.
pub const INDEX_FORMAT: &str = "waymark-remote-backup-index";
/// The index format's version this code writes and reads.
pub const INDEX_VERSION: u32 = 1;

impl Index {
    /// An empty index.
    pub fn new() -> Self {
        Index {
            format: INDEX_FORMAT.to_owned(),
            version: INDEX_VERSION,
            revisions: Vec::new(),
        }
    }

    /// The live revisions.
    pub fn live(&self) -> impl Iterator<Item = &Revision> {
        self.revisions.iter().filter(|r| !r.deleted)
    }
}

/// What the phone holds: document id → revision (last change, ms).
pub type Holdings = BTreeMap<IdHex, i64>;

/// What [`merge`] decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The index to write (chunks and lengths of new revisions still to be
    /// filled in by the upload).
    pub index: Index,
    /// Revisions to upload (id, last change), in the index with no chunks
    /// yet.
    pub upload: Vec<(IdHex, i64)>,
    /// Live revisions the new index no longer lists live (replaced or
    /// deleted): their chunks can go once the index is written.
    pub dropped: Vec<Revision>,
    /// Revisions turned into tombstones by this phone.
    pub deleted: usize,
    /// Ids with more than one live revision after the merge (conflicts
    /// kept both ways).
    pub conflicts: usize,
}

/// Merges what the phone holds (`local`, with `base`, its holdings at its
/// last backup) into the index `remote`. See the module documentation.
pub fn merge(remote: &Index, local: &Holdings, base: &Holdings) -> Plan {
    let mut out: Vec<Revision> = Vec::new();
    let mut dropped = Vec::new();
    let mut upload = Vec::new();
    let mut deleted = 0;
    let ids: BTreeSet<&str> = remote
        .revisions
        .iter()
        .map(|r| r.id.as_str())
        .chain(local.keys().map(String::as_str))
        .chain(base.keys().map(String::as_str))
        .collect();
    for id in ids {
        let mut revisions: Vec<Revision> = remote
            .revisions
            .iter()
            .filter(|r| r.id == id)
            .cloned()
            .collect();
        let held = local.get(id).copied();
        let based = base.get(id).copied();
        let is_live =
            |revs: &[Revision], t: i64| revs.iter().any(|r| !r.deleted && r.updated_ms == t);
        match held {
            Some(now) if is_live(&revisions, now) => {}
            Some(now) => {
                if based == Some(now) {
                    // Unchanged here since this phone's last backup, which
                    // stored it; it is no longer live, so another phone
                    // deleted or replaced it since: that stands.
                } else {
                    if let Some(b) = based.filter(|&b| b != now)
                        && let Some(pos) = revisions
                            .iter()
                            .position(|r| !r.deleted && r.updated_ms == b)
                    {
                        dropped.push(revisions.remove(pos));
                    }
                    revisions.push(Revision {
                        id: id.to_owned(),
                        updated_ms: now,
                        length: 0,
                        chunks: 0,
                        deleted: false,
                    });
                    upload.push((id.to_owned(), now));
                }
            }
            None => {
                if let Some(b) = based
                    && let Some(pos) = revisions
                        .iter()
                        .position(|r| !r.deleted && r.updated_ms == b)
                {
                    let gone = revisions.remove(pos);
                    revisions.push(Revision {
                        id: gone.id.clone(),
                        updated_ms: gone.updated_ms,
                        length: 0,
                        chunks: 0,
                        deleted: true,
                    });
                    dropped.push(gone);
                    deleted += 1;
                }
            }
        }
        out.extend(revisions);
    }
    crate::sort::sort_by(&mut out, |a, b| {
        a.key().cmp(&b.key()).then(a.deleted.cmp(&b.deleted))
    });
    out.dedup_by(|a, b| a.key() == b.key());
    let mut live_per_id: BTreeMap<&str, usize> = BTreeMap::new();
    for r in out.iter().filter(|r| !r.deleted) {
        *live_per_id.entry(&r.id).or_default() += 1;
    }
    let conflicts = live_per_id.values().filter(|&&n| n > 1).count();
    Plan {
        index: Index {
            format: INDEX_FORMAT.to_owned(),
            version: INDEX_VERSION,
            revisions: out,
        },
        upload,
        dropped,
        deleted,
        conflicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn holdings(pairs: &[(&str, i64)]) -> Holdings {
        pairs.iter().map(|(id, t)| ((*id).to_owned(), *t)).collect()
    }

    /// Applies a plan as a successful backup would: uploads get chunks.
    fn apply(plan: Plan) -> Index {
        let mut index = plan.index;
        for r in &mut index.revisions {
            if !r.deleted && r.chunks == 0 {
                r.chunks = 1;
            }
        }
        index
    }

    #[test]
    fn a_first_backup_uploads_everything_and_a_second_nothing() {
        let local = holdings(&[("a", 1), ("b", 2)]);
        let plan = merge(&Index::new(), &local, &Holdings::new());
        assert_eq!(plan.upload.len(), 2);
        let index = apply(plan);
        let again = merge(&index, &local, &local);
        assert!(again.upload.is_empty() && again.dropped.is_empty());
        assert_eq!(again.index, index);
    }

    #[test]
    fn an_edit_replaces_its_base_and_a_concurrent_edit_is_kept_beside() {
        let start = holdings(&[("a", 1)]);
        let index = apply(merge(&Index::new(), &start, &Holdings::new()));
        // Phone one edits a (revision 2) and backs up.
        let one = holdings(&[("a", 2)]);
        let plan = merge(&index, &one, &start);
        assert_eq!(plan.dropped.len(), 1);
        let index = apply(plan);
        // Phone two edited a too (revision 3), from the same base.
        let two = holdings(&[("a", 3)]);
        let plan = merge(&index, &two, &start);
        assert_eq!(plan.conflicts, 1);
        let index = apply(plan);
        let live: Vec<i64> = index.live().map(|r| r.updated_ms).collect();
        assert_eq!(live, vec![2, 3]);
    }

    #[test]
    fn a_deletion_becomes_a_tombstone_that_an_unchanged_copy_does_not_undo() {
        let start = holdings(&[("a", 1), ("b", 1)]);
        let index = apply(merge(&Index::new(), &start, &Holdings::new()));
        let one = holdings(&[("b", 1)]);
        let plan = merge(&index, &one, &start);
        assert_eq!(plan.deleted, 1);
        let index = apply(plan);
        // Phone two still holds a, unchanged: a stays deleted.
        let plan = merge(&index, &start, &start);
        assert!(plan.upload.is_empty());
        assert_eq!(plan.index.live().count(), 1);
        // But an edit of a on phone two brings it back.
        let plan = merge(&index, &holdings(&[("a", 5), ("b", 1)]), &start);
        assert_eq!(plan.upload, vec![("a".to_owned(), 5)]);
    }

    /// One step of two phones sharing one backup.
    #[derive(Debug, Clone)]
    enum Step {
        Add(usize),
        Edit(usize, usize),
        Delete(usize, usize),
        Backup(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0..2usize).prop_map(Step::Add),
            (0..2usize, 0..8usize).prop_map(|(p, i)| Step::Edit(p, i)),
            (0..2usize, 0..8usize).prop_map(|(p, i)| Step::Delete(p, i)),
            (0..2usize).prop_map(Step::Backup),
        ]
    }

    proptest! {
        /// Two phones start from the same restored vault, change, delete
        /// and back up in any order; after both back up once more, every
        /// revision either phone holds is live in the index unless that
        /// very revision was deleted on purpose, and nothing live was
        /// invented.
        #[test]
        fn two_phones_merge_without_losing_a_document(steps in prop::collection::vec(step(), 0..40)) {
            let start = holdings(&[("d0", 1), ("d1", 1), ("d2", 1)]);
            let mut index = apply(merge(&Index::new(), &start, &Holdings::new()));
            let mut phones = [start.clone(), start.clone()];
            let mut bases = [start.clone(), start.clone()];
            let mut clock = 10i64;
            let mut next_id = 3;
            let mut ever: BTreeSet<(String, i64)> = start.iter().map(|(k, v)| (k.clone(), *v)).collect();
            let mut deleted: BTreeSet<(String, i64)> = BTreeSet::new();
            // Revisions a phone replaced by editing them.
            let mut replaced: BTreeSet<(String, i64)> = BTreeSet::new();
            let all = steps.iter().cloned().chain([Step::Backup(0), Step::Backup(1), Step::Backup(0)]);
            for s in all {
                clock += 1;
                match s {
                    Step::Add(p) => {
                        let id = format!("d{next_id}");
                        next_id += 1;
                        phones[p].insert(id.clone(), clock);
                        ever.insert((id, clock));
                    }
                    Step::Edit(p, i) => {
                        if let Some(id) = phones[p].keys().nth(i % phones[p].len().max(1)).cloned() {
                            let old = phones[p].insert(id.clone(), clock).unwrap();
                            replaced.insert((id.clone(), old));
                            ever.insert((id, clock));
                        }
                    }
                    Step::Delete(p, i) => {
                        if let Some(id) = phones[p].keys().nth(i % phones[p].len().max(1)).cloned() {
                            let t = phones[p].remove(&id).unwrap();
                            deleted.insert((id, t));
                        }
                    }
                    Step::Backup(p) => {
                        index = apply(merge(&index, &phones[p], &bases[p]));
                        bases[p] = phones[p].clone();
                    }
                }
            }
            for phone in &phones {
                for (id, t) in phone {
                    let live = index.live().any(|r| r.id == *id && r.updated_ms == *t);
                    let key = (id.clone(), *t);
                    prop_assert!(live || deleted.contains(&key) || replaced.contains(&key),
                        "{id}@{t} held by a phone is neither live nor deleted or replaced on purpose");
                }
            }
            for r in index.live() {
                let key = (r.id.clone(), r.updated_ms);
                prop_assert!(ever.contains(&key), "invented {:?}", r);
                // A revision live at the end is one a phone still holds
                // (each phone backed up last): nothing deleted or replaced
                // everywhere comes back.
                prop_assert!(phones.iter().any(|p| p.get(&r.id) == Some(&r.updated_ms)),
                    "{:?} is live but no phone holds it", r);
            }
            // Every revision a phone made and still holds, that no other
            // phone replaced or deleted, is live: no edit is lost.
            for phone in &phones {
                for (id, t) in phone {
                    let key = (id.clone(), *t);
                    if !deleted.contains(&key) && !replaced.contains(&key) {
                        prop_assert!(index.live().any(|r| r.key() == (id.as_str(), *t)), "{id}@{t} lost");
                    }
                }
            }
            // The index lists each revision once.
            let keys: BTreeSet<(&str, i64)> = index.revisions.iter().map(|r| r.key()).collect();
            prop_assert_eq!(keys.len(), index.revisions.len());
        }
    }
}
