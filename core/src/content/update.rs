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
use super::lexicon::{Coder, Lexicon, LexiconRow};
use super::model::Entry;
use super::order::{
    Rows, decode_ids, decode_runs, encode_ids, encode_runs, over_pack_rows, sort_rows,
};
use super::patch::{PatchReader, Step};
use super::postings::{IndexBuilder, RowSet, delete_lists, lists_only_of};
use super::store::{ContentStore, InstalledPack};
use super::target::{ContentDigest, SignedPack};
use crate::error::{Error, Result};

/// Inserted lines handed to the coding thread and not yet coded, at
/// most (about 2 MB of a typical pack's lines).
const LINES_AHEAD: usize = 1024;

/// What writes an inserted entry, coded: its row, the entry.
type Write<'a> = dyn FnMut(i64, Prepared) -> Result<()> + 'a;

/// A pack's coder on a thread of its own: it resumes over the installed
/// lexicon (a few milliseconds for a large pack), then codes each line
/// inserted, in order, while this thread reads and folds the next ones
/// and writes those coded.
struct CodingThread<'scope> {
    lines: std::sync::mpsc::SyncSender<(i64, Prepared, String)>,
    coded: std::sync::mpsc::Receiver<(i64, Prepared)>,
    /// The coder, with its pieces before the lines inserted.
    thread: std::thread::ScopedJoinHandle<'scope, Result<(Coder, u32)>>,
}

impl<'scope> CodingThread<'scope> {
    /// A thread that resumes the coder of `stored` (an installed pack's
    /// lexicon).
    fn spawn<'env>(scope: &'scope std::thread::Scope<'scope, 'env>, stored: LexiconRow) -> Self {
        let (lines, to_code) =
            std::sync::mpsc::sync_channel::<(i64, Prepared, String)>(LINES_AHEAD);
        let (send, coded) = std::sync::mpsc::channel();
        let thread = scope.spawn(move || {
            let mut coder = Coder::resume(stored)?;
            let before = coder.pieces();
            for (row, mut p, json) in to_code {
                coder.code(&json, &mut p.coded);
                p.hash = coded_hash(&p.coded);
                if send.send((row, p)).is_err() {
                    break;
                }
            }
            Ok((coder, before))
        });
        CodingThread {
            lines,
            coded,
            thread,
        }
    }

    /// Hands the line `json` of row `row` to the coder, and the entries
    /// coded so far to `write`.
    fn add(&mut self, row: i64, p: Prepared, json: &str, write: &mut Write<'_>) -> Result<()> {
        // Gone only if the coder could not resume: `finish` tells why.
        if self.lines.send((row, p, json.to_owned())).is_err() {
            return Ok(());
        }
        while let Ok((row, p)) = self.coded.try_recv() {
            write(row, p)?;
        }
        Ok(())
    }

    /// Hands the entries left to `write`, in order; the coder and its
    /// pieces before the lines inserted.
    fn finish(self, write: &mut Write<'_>) -> Result<(Coder, u32)> {
        drop(self.lines);
        for (row, p) in self.coded {
            write(row, p)?;
        }
        self.thread
            .join()
            .unwrap_or_else(|_| Err(Error::Integrity("the lexicon could not be read")))
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
        let mut order = Rows::default();
        let mut gone: Vec<i64> = Vec::new();
        let mut old = old_order.into_iter();
        let manifest_line = reader.manifest_line().to_owned();
        // The coder resumes over the installed lexicon, then codes, on a
        // second thread while this one reads, folds and writes.
        let (coder, before) = std::thread::scope(|scope| -> Result<(Coder, u32)> {
            let mut coder = CodingThread::spawn(scope, stored);
            let mut write = |row: i64, p: Prepared| {
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
                        coder.add(next_row, p, json, &mut write)?;
                        next_row += 1;
                    }
                }
                Ok(())
            })?;
            coder.finish(&mut write)
        })?;
        drop(insert);
        // The entries removed: told as changes, deleted, and taken out of
        // the short lists. Those lists are found on a connection of their
        // own (`lists_only_of`) while this one writes the new part and
        // deletes the entries.
        sort_rows(&mut gone);
        let gone_set = RowSet::new(&gone);
        let finder = match gone.is_empty() {
            true => None,
            false => Some(self.reading_connection()?),
        };
        let (next_part, lists) = std::thread::scope(|scope| -> Result<_> {
            let finding =
                finder.map(|conn| scope.spawn(move || lists_only_of(&conn, pack.row, &gone_set)));
            let (_, next_part) = index.finish(&tx)?;
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
            let lists = match finding {
                Some(thread) => thread
                    .join()
                    .unwrap_or_else(|_| Err(Error::Integrity("index lists")))?,
                None => Vec::new(),
            };
            Ok((next_part, lists))
        })?;
        delete_lists(&tx, pack.row, &lists)?;
        // An article with a translation removed or added, and others kept.
        let mut lone = changes.lone_articles();
        if !lone.is_empty() {
            crate::sort::sort_by(&mut lone, |a, b| a.cmp(b));
            // The rows of the order stored, not yet this update's: every
            // entry kept (those removed are gone already).
            over_pack_rows(
                &tx,
                pack.row,
                "SELECT entry_id FROM entries
                 WHERE pack = ?1 AND id >= ?2 AND id < ?3 AND kind = 'article'",
                |r| {
                    let id = r.get_ref(0)?.as_str()?;
                    if lone.binary_search_by(|l| l.as_str().cmp(id)).is_ok() {
                        changes.article_kept(id);
                    }
                    Ok(())
                },
            )?;
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

    #[test]
    fn lines_are_coded_in_order_as_the_coder_alone_codes_them() {
        let mut written = Vec::new();
        let (_, before) = std::thread::scope(|scope| {
            let mut coder = CodingThread::spawn(scope, installed());
            let mut write = |row: i64, p: Prepared| {
                written.push((row, p.entry_id, p.coded, p.hash));
                Ok(())
            };
            // More lines than are handed ahead: this thread writes some
            // while the coder codes others.
            for n in 0..LINES_AHEAD + 300 {
                let (p, json) = entry(n);
                coder.add(n as i64 + 10, p, &json, &mut write).unwrap();
            }
            coder.finish(&mut write).unwrap()
        });
        let mut alone = Coder::resume(installed()).unwrap();
        assert_eq!(before, alone.pieces());
        assert_eq!(written.len(), LINES_AHEAD + 300);
        for (n, (row, id, coded, hash)) in written.into_iter().enumerate() {
            let (_, json) = entry(n);
            let mut expected = Vec::new();
            alone.code(&json, &mut expected);
            assert_eq!(hash, coded_hash(&expected));
            assert_eq!((row, id, coded), (n as i64 + 10, format!("a{n}"), expected));
        }
    }

    #[test]
    fn a_coder_that_cannot_resume_fails_the_update() {
        let bad = LexiconRow {
            words: b"one".to_vec(),
            model: Vec::new(),
        };
        let mut written = 0;
        let end = std::thread::scope(|scope| {
            let mut coder = CodingThread::spawn(scope, bad);
            let mut write = |_: i64, _: Prepared| {
                written += 1;
                Ok(())
            };
            for n in 0..3 {
                let (p, json) = entry(n);
                coder.add(n as i64, p, &json, &mut write).unwrap();
            }
            coder.finish(&mut write).map(|_| ())
        });
        assert!(matches!(end, Err(Error::Integrity(_))), "{end:?}");
        assert_eq!(written, 0);
    }
}
