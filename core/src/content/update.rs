//! Updates applied in place: a patch from the version installed changes
//! only the entries it names, so an update that changes 1% of a pack
//! costs a few percent of installing it.
//!
//! A pack installed whole keeps its signed content digest
//! (`packs.content`). A patch whose header names that digest as its base
//! ([`super::patch::PatchBase::content`]) starts from exactly what is
//! installed: its operations are applied to the rows themselves, in one
//! transaction, and the new version's signed digest is kept in its turn.
//! Nothing else of the pack is read: the entries kept are not decoded,
//! and the result is not hashed. That rests on three checks made before:
//! the patch file's own signed hashes (TUF), the base's digest, and the
//! publisher's own application of the patch before publishing it
//! (`waymark-pack`). The whole content is checked against its signed
//! digest again whenever it is rebuilt: at an export (a shared pack), and
//! at an update this cannot apply, which a tenth of the pack removed
//! since it was last installed whole makes sure of.
//!
//! - **Entries removed** go from `entries`, with their text; a list of
//!   the index that held only them goes too, so a word only they had is
//!   no longer found or suggested. Other lists keep them, and queries
//!   skip them (`packs.removed`). Their pieces stay in the pack's lexicon
//!   until the pack is installed whole again (at a tenth removed, the
//!   next update rebuilds it); removing the pack removes all of it.
//! - **Entries added** take rows past every row a list may hold, are coded
//!   with the pack's model (pieces it lacks join its lexicon, as escapes,
//!   in `lexicon_added`), and are indexed as a new part, weighed by the
//!   pack's average length as installed, in `terms_added` (in `terms`,
//!   its rows would land on nearly every page of the table).
//! - **Their order**, which a patch's base and a shared pack follow, is
//!   `packs.entry_order`: runs of rows.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::changes::{Tracker, coded_hash};
use super::install::Prepared;
use super::lexicon::{Coder, Lexicon};
use super::model::Entry;
use super::order::{Rows, decode_ids, decode_runs, encode_ids, encode_runs, sort_rows};
use super::patch::{PatchReader, Step};
use super::postings::{IndexBuilder, RowSet, remove_from_lists};
use super::store::{ContentStore, InstalledPack};
use super::target::{ContentDigest, SignedPack};
use crate::error::{Error, Result};

/// Bytes of inserted lines held while the coder resumes.
const HELD: usize = 8 << 20;

/// What adds an inserted line with the coder: its row, its entry
/// prepared (the line not yet coded), its line.
type Add<'a> = dyn FnMut(&mut Coder, i64, Prepared, &str) -> Result<()> + 'a;

/// A pack's coder resuming on a thread of its own (reading a large
/// pack's lexicon into its table takes a few milliseconds), and the lines
/// inserted meanwhile, read and folded, held until it is ready.
struct Resuming<'scope> {
    thread: Option<std::thread::ScopedJoinHandle<'scope, Result<Coder>>>,
    /// The coder once ready, with its pieces then.
    ready: Option<(Coder, u32)>,
    held: Vec<(i64, Prepared, String)>,
    held_bytes: usize,
}

impl<'scope> Resuming<'scope> {
    fn new(thread: std::thread::ScopedJoinHandle<'scope, Result<Coder>>) -> Self {
        Resuming {
            thread: Some(thread),
            ready: None,
            held: Vec::new(),
            held_bytes: 0,
        }
    }

    /// Hands the line of row `row` to `add`, or holds it while the coder
    /// resumes (up to [`HELD`] bytes).
    fn add(&mut self, row: i64, p: Prepared, json: &str, add: &mut Add<'_>) -> Result<()> {
        if self.ready.is_none() {
            let resuming = self.thread.as_ref().is_some_and(|t| !t.is_finished());
            if resuming && self.held_bytes + json.len() <= HELD {
                self.held_bytes += json.len();
                self.held.push((row, p, json.to_owned()));
                return Ok(());
            }
            self.wait(add)?;
        }
        let (coder, _) = self.ready.as_mut().ok_or(Error::Integrity("coder"))?;
        add(coder, row, p, json)
    }

    /// Waits for the coder, and hands the lines held to `add`.
    fn wait(&mut self, add: &mut Add<'_>) -> Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let mut coder = thread
            .join()
            .unwrap_or_else(|_| Err(Error::Integrity("the lexicon could not be read")))?;
        let before = coder.pieces();
        for (row, p, json) in self.held.drain(..) {
            add(&mut coder, row, p, &json)?;
        }
        self.ready = Some((coder, before));
        Ok(())
    }

    /// The coder, every line handed to `add`, and its pieces before them.
    fn finish(mut self, add: &mut Add<'_>) -> Result<(Coder, u32)> {
        self.wait(add)?;
        self.ready.ok_or(Error::Integrity("coder"))
    }
}

/// What an installed pack keeps for updates in place.
struct Installed {
    row: i64,
    version: i64,
    content: Option<String>,
    avgdl: Option<f64>,
    next_part: Option<i64>,
    order: Option<Vec<u8>>,
    removed: Option<Vec<u8>>,
}

impl ContentStore {
    /// Applies the patch `reader` has begun (its header checked against
    /// `publisher` and `signed`) to the installed version in place, when
    /// the header names the installed version's signed digest as its base
    /// and the pack needs no rebuilding; else gives the reader back
    /// untouched, for the content to be rebuilt whole. `expected` is the
    /// new version's signed content digest.
    pub(crate) fn update_in_place<R: std::io::BufRead>(
        &self,
        publisher: &str,
        signed: &SignedPack,
        reader: PatchReader<R>,
        expected: &ContentDigest,
    ) -> Result<std::result::Result<InstalledPack, PatchReader<R>>> {
        let header = reader.header().clone();
        let Some(base) = &header.base.content else {
            return Ok(Err(reader));
        };
        let mut conn = self.own_connection()?;
        // Room for every page an update of a few percent changes (16 MB),
        // which SQLite would otherwise spill to the WAL mid-transaction,
        // read back, and write again at the commit.
        conn.execute_batch("PRAGMA cache_size = -16384;")?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(pack) = installed(&tx, publisher, &header.pack)? else {
            return Ok(Err(reader));
        };
        // All three are written by the install that writes `content`.
        let (Some(avgdl), Some(next_part), Some(runs)) = (pack.avgdl, pack.next_part, &pack.order)
        else {
            return Ok(Err(reader));
        };
        if u64::try_from(pack.version).ok() != Some(header.from)
            || pack.content.as_deref() != Some(base.stored().as_str())
        {
            return Ok(Err(reader));
        }
        let old_order = decode_runs(runs)?;
        let removed = pack.removed.as_deref().map(decode_ids).unwrap_or_default();
        if removed.len() * 10 >= old_order.len().max(1) {
            return Ok(Err(reader));
        }
        let manifest = reader.manifest().clone();
        signed.check(&manifest)?;
        // As a full update (install.rs): the pages freed are zeroed where
        // SQLite writes anyway, not all of them again.
        tx.execute_batch("PRAGMA secure_delete = FAST;")?;
        if old_order.len() as u64 != header.base.entries {
            return Err(Error::PatchMismatch(
                "the installed pack has another number of entries than the patch's base".into(),
            ));
        }
        // Rows past every row a list of this pack may hold.
        let mut next_row = tx
            .query_row("SELECT max(id) FROM entries", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?
            .unwrap_or(0)
            .max(removed.last().copied().unwrap_or(0))
            + 1;
        let (stored, installed_words) = Lexicon::read_row(&tx, pack.row)?;
        let mut index = IndexBuilder::extending(pack.row, next_part, avgdl);
        let mut changes = Tracker::update();
        let mut insert = tx.prepare(
            "INSERT INTO entries (id, pack, kind, entry_id, body, lat, lon)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let first_new = next_row;
        let mut order = Rows::default();
        let mut gone: Vec<i64> = Vec::new();
        let mut old = old_order.into_iter();
        let manifest_line = reader.manifest_line().to_owned();
        // The coder resumes over the installed lexicon on a second thread
        // while this one reads and folds the first lines inserted.
        let (coder, before) = std::thread::scope(|scope| -> Result<(Coder, u32)> {
            let mut coder = Resuming::new(scope.spawn(move || Coder::resume(stored)));
            let mut add = |coder: &mut Coder, row: i64, mut p: Prepared, json: &str| {
                coder.code(json, &mut p.coded);
                p.hash = coded_hash(&p.coded);
                insert.execute(params![
                    row, pack.row, p.kind, p.entry_id, p.coded, p.lat, p.lon
                ])?;
                index.add(&tx, row, &p.title, &p.body)?;
                changes.new_entry(p.kind, &p.entry_id, p.hash);
                Ok(())
            };
            reader.walk(&mut |step| {
                match step {
                    Step::Keep(n) => old.by_ref().take(n as usize).for_each(|r| order.push(r)),
                    Step::Drop(n) => gone.extend(old.by_ref().take(n as usize)),
                    Step::Insert(line) => {
                        let json = std::str::from_utf8(line).map_err(|_| {
                            Error::InvalidPatch("an inserted line is not UTF-8".into())
                        })?;
                        let p = Prepared::of(&Entry::from_json(json)?, None);
                        order.push(next_row);
                        coder.add(next_row, p, json, &mut add)?;
                        next_row += 1;
                    }
                }
                Ok(())
            })?;
            coder.finish(&mut add)
        })?;
        drop(insert);
        let (_, next_part) = index.finish(&tx)?;
        // The entries removed: told as changes, deleted, and taken out of
        // the short lists.
        sort_rows(&mut gone);
        {
            let mut read = tx.prepare("SELECT kind, entry_id, body FROM entries WHERE id = ?1")?;
            let mut delete = tx.prepare("DELETE FROM entries WHERE id = ?1")?;
            for &row in &gone {
                let mut rows = read.query([row])?;
                let r = rows.next()?.ok_or(Error::Integrity("entry order"))?;
                let text = |i| r.get_ref(i).map(|v| v.as_str().unwrap_or_default());
                changes.old_entry(text(0)?, text(1)?, coded_hash(r.get_ref(2)?.as_blob()?));
                drop(rows);
                delete.execute([row])?;
            }
        }
        if !gone.is_empty() {
            remove_from_lists(&tx, pack.row, &RowSet::new(&gone))?;
        }
        // An article with a translation removed or added, and others kept.
        let mut lone = changes.lone_articles();
        if !lone.is_empty() {
            crate::sort::sort_by(&mut lone, |a, b| a.cmp(b));
            let mut kept = tx.prepare(
                "SELECT DISTINCT entry_id FROM entries
                 WHERE pack = ?1 AND kind = 'article' AND id < ?2",
            )?;
            let mut rows = kept.query(params![pack.row, first_new])?;
            while let Some(r) = rows.next()? {
                let id = r.get_ref(0)?.as_str()?;
                if lone.binary_search_by(|l| l.as_str().cmp(id)).is_ok() {
                    changes.article_kept(id);
                }
            }
        }
        if coder.pieces() != before {
            // The pieces added, after the installed lexicon's.
            let row = coder.into_lexicon();
            // Only pieces of the lines just coded: UTF-8.
            let added = row
                .words
                .get(installed_words + 1..)
                .map(std::str::from_utf8)
                .transpose()
                .map_err(|_| Error::Integrity("lexicon"))?;
            tx.execute(
                "INSERT OR REPLACE INTO lexicon_added (pack, words) VALUES (?1, ?2)",
                params![pack.row, added],
            )?;
        }
        let mut all_removed = removed;
        all_removed.extend_from_slice(&gone);
        sort_rows(&mut all_removed);
        let installed_at = self.clock().now();
        tx.execute(
            "UPDATE packs SET version = ?2, manifest = ?3, installed_at = ?4, content = ?5,
                 next_part = ?6, entry_order = ?7, removed = ?8
             WHERE id = ?1",
            params![
                pack.row,
                i64::try_from(manifest.version)
                    .map_err(|_| Error::InvalidPack("version out of range".into()))?,
                manifest_line,
                installed_at.to_rfc3339(),
                expected.stored(),
                next_part,
                encode_runs(&order),
                (!all_removed.is_empty()).then(|| encode_ids(&all_removed)),
            ],
        )?;
        tx.commit()?;
        log::info!(
            target: "waymark::content",
            "pack {} version {} updated in place ({} entries, {} removed)",
            manifest.id,
            manifest.version,
            manifest.entries,
            gone.len()
        );
        Ok(Ok(InstalledPack {
            publisher: publisher.to_owned(),
            manifest,
            installed_at,
            changes: Some(changes.finish()),
        }))
    }
}

/// What pack `pack` of `publisher` keeps, if it is installed.
fn installed(tx: &Transaction<'_>, publisher: &str, pack: &str) -> Result<Option<Installed>> {
    Ok(tx
        .query_row(
            "SELECT id, version, content, avgdl, next_part, entry_order, removed
             FROM packs WHERE publisher = ?1 AND pack_id = ?2",
            params![publisher, pack],
            |r| {
                Ok(Installed {
                    row: r.get(0)?,
                    version: r.get(1)?,
                    content: r.get(2)?,
                    avgdl: r.get(3)?,
                    next_part: r.get(4)?,
                    order: r.get(5)?,
                    removed: r.get(6)?,
                })
            },
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::lexicon::LexiconRow;

    fn entry(n: usize) -> (Prepared, String) {
        let json = format!(
            r#"{{"type":"article","id":"a{n}","language":"en","title":"Shelter {n}","body":"Open at night {n}","countries":[],"topics":[],"verified":"2026-10-01"}}"#
        );
        (Prepared::of(&Entry::from_json(&json).unwrap(), None), json)
    }

    fn installed() -> LexiconRow {
        let mut coder = Coder::from_sample(["Shelter open at night"]);
        coder.code("Shelter open at night", &mut Vec::new());
        coder.into_lexicon()
    }

    /// Lines come while the coder resumes, some after: each is coded as
    /// the coder alone codes it, in the order read, with its own row.
    fn lines_in_order(held: usize) {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let mut added = Vec::new();
        std::thread::scope(|scope| {
            let stored = installed();
            let mut coder = Resuming::new(scope.spawn(move || {
                wait.recv().ok();
                Coder::resume(stored)
            }));
            let mut add = |coder: &mut Coder, row: i64, mut p: Prepared, json: &str| {
                coder.code(json, &mut p.coded);
                added.push((row, p.entry_id, p.coded));
                Ok(())
            };
            for n in 0..held {
                let (p, json) = entry(n);
                coder.add(n as i64 + 10, p, &json, &mut add).unwrap();
            }
            assert_eq!(coder.held.len(), held, "held while the coder resumes");
            release.send(()).unwrap();
            for n in held..6 {
                let (p, json) = entry(n);
                coder.add(n as i64 + 10, p, &json, &mut add).unwrap();
            }
            coder.finish(&mut add).unwrap();
        });
        let mut alone = Coder::resume(installed()).unwrap();
        assert_eq!(added.len(), 6);
        for (n, (row, id, coded)) in added.into_iter().enumerate() {
            let (_, json) = entry(n);
            let mut expected = Vec::new();
            alone.code(&json, &mut expected);
            assert_eq!((row, id, coded), (n as i64 + 10, format!("a{n}"), expected));
        }
    }

    #[test]
    fn lines_read_while_the_coder_resumes_are_coded_in_order_once_it_is_ready() {
        for held in [0, 1, 4, 6] {
            lines_in_order(held);
        }
    }

    #[test]
    fn a_coder_that_cannot_resume_fails_the_update() {
        std::thread::scope(|scope| {
            let bad = LexiconRow {
                words: b"one".to_vec(),
                model: Vec::new(),
            };
            let mut coder = Resuming::new(scope.spawn(move || Coder::resume(bad)));
            let mut add = |_: &mut Coder, _: i64, _: Prepared, _: &str| Ok(());
            let (p, json) = entry(0);
            let first = coder.add(1, p, &json, &mut add);
            let end = coder.finish(&mut add);
            assert!(
                first.is_err() || end.is_err(),
                "a corrupt lexicon is an error"
            );
        });
    }
}
