//! Installing a verified pack into the content database: a pack file, a
//! pack's content rebuilt by a patch or shared by another phone. One
//! transaction on a connection of its own: readers keep seeing the
//! previous version (WAL snapshot isolation) until the new one is entirely
//! in, and a failure or a killed process leaves the previous one. Reading,
//! parsing and coding run on a second thread while this one writes; each
//! entry's index row is folded on whichever thread is ahead ([`Queue`]).

use std::io::{BufReader, Read};

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::changes::{Tracker, body_hash};
use super::index::index_row;
use super::lexicon::{Lexicon, LexiconRow, StreamCoder, write_lexicon};
use super::model::Entry;
use super::order::{Rows, encode_runs, entry_rows, over_pack_rows};
use super::pack::{PackReader, decompress};
use super::patch::PatchReader;
use super::postings::IndexBuilder;
use super::store::{ContentStore, InstalledPack, delete_pack_rows, kind_name};
use super::target::{ContentDigest, SignedPack, checked_content};
use crate::error::{ContentOrigin, Error, Result, Untrusted};

/// Size of the buffer a patch is read through.
const BUFFER: usize = 64 * 1024;

impl ContentStore {
    /// Installs a pack whose signature and metadata have been verified for
    /// `publisher`, as the target `signed` describes. Callers MUST have
    /// verified its bytes: this checks that the pack is the one its signed
    /// target states (id, version, publisher), that it names that
    /// publisher, that it is newer than the installed version, and that it
    /// parses. The previous version stays searchable until the new one is
    /// entirely in.
    pub(crate) fn install_verified(
        &self,
        publisher: &str,
        signed: &SignedPack,
        source: impl Read + Send,
    ) -> Result<InstalledPack> {
        self.install_from(publisher, signed, PackReader::new(source)?)
    }

    /// Installs what `reader` reads (a pack file, or a pack's content
    /// rebuilt by a patch), under the same contract as
    /// [`Self::install_verified`].
    pub(crate) fn install_from<R: Read + Send>(
        &self,
        publisher: &str,
        signed: &SignedPack,
        reader: PackReader<R>,
    ) -> Result<InstalledPack> {
        let manifest = reader.manifest().clone();
        signed.check(&manifest)?;
        if manifest.publisher.id != publisher {
            return Err(Error::InvalidPack(format!(
                "the pack names publisher '{}' but was signed by '{publisher}'",
                manifest.publisher.id
            )));
        }
        let mut conn = self.own_connection()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = i64::try_from(manifest.version)
            .map_err(|_| Error::InvalidPack("version out of range".into()))?;
        let installed = installed_row(&tx, publisher, &manifest.id)?;
        let mut changes = Tracker::first();
        if let Some((old, installed)) = installed {
            if version <= installed {
                return Err(Error::Rollback {
                    offered: manifest.version,
                    installed: installed as u64,
                });
            }
            // What the new version changes is told against the old one's
            // entries, read before they go.
            changes = Tracker::update();
            {
                let lexicon = Lexicon::read(&tx, old)?;
                let mut line = String::new();
                over_pack_rows(
                    &tx,
                    old,
                    "SELECT kind, entry_id, body FROM entries
                     WHERE pack = ?1 AND id >= ?2 AND id < ?3",
                    |r| {
                        let text = |i| r.get_ref(i).map(|v| v.as_str().unwrap_or_default());
                        line.clear();
                        lexicon.decode_into(r.get_ref(2)?.as_blob()?, &mut line)?;
                        changes.old_entry(text(0)?, text(1)?, body_hash(&line));
                        Ok(())
                    },
                )?;
            }
            // The old version's rows go without zeroing the pages they
            // free (`FAST`: only where SQLite writes anyway): the pack stays
            // installed, its new version fills those pages in this same
            // transaction, and zeroing them first wrote a fifth more of an
            // update (426 MB instead of 347 MB for 100,000 entries). This
            // connection is the install's own: removing a pack, on the
            // store's connection, still zeroes what it frees.
            tx.execute_batch("PRAGMA secure_delete = FAST;")?;
            delete_pack_rows(&tx, old)?;
        }
        let installed_at = self.clock().now();
        tx.execute(
            "INSERT INTO packs (publisher, pack_id, version, manifest, installed_at, content)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                publisher,
                manifest.id,
                version,
                reader.manifest_json(),
                installed_at.to_rfc3339(),
                signed.content.as_ref().map(ContentDigest::stored),
            ],
        )?;
        let pack_row = tx.last_insert_rowid();
        // Two stages on two threads: this one writes to SQLite while the
        // other decompresses, parses and codes the next batch; each entry
        // is folded by whichever is ahead (Queue). A failure on either
        // side stops both and rolls the transaction back.
        let queue = Queue::default();
        std::thread::scope(|scope| -> Result<()> {
            let (send, receive) = std::sync::mpsc::sync_channel::<Result<Vec<Prepared>>>(4);
            let hashes = changes.needs_hashes();
            let queue = &queue;
            let reader = scope.spawn(move || prepare_entries(reader, hashes, send, Some(queue)));
            let written = write_entries(&tx, pack_row, receive, &mut changes, Some(queue));
            // The reader stops at once when the receiver is gone.
            let lexicon = reader
                .join()
                .unwrap_or_else(|_| Err(Error::InvalidPack("the pack reader failed".into())))?;
            let ((avgdl, next_part), rows) = written?;
            tx.execute(
                "UPDATE packs SET avgdl = ?2, next_part = ?3, entry_order = ?4 WHERE id = ?1",
                params![pack_row, avgdl, next_part, encode_runs(&rows)],
            )?;
            write_lexicon(&tx, pack_row, &lexicon)
        })?;
        tx.commit()?;
        // The pack's id and version only: which publishers a person trusts
        // is theirs.
        log::info!(
            target: "waymark::content",
            "pack {} version {} installed ({} entries)",
            manifest.id,
            manifest.version,
            manifest.entries
        );
        Ok(InstalledPack {
            publisher: publisher.to_owned(),
            manifest,
            installed_at,
            changes: Some(changes.finish()),
        })
    }

    /// The install's writing stage alone, for the content benchmark: the
    /// pack's rows are all parsed and folded first (not timed), then
    /// written and committed as an install writes them. The time it
    /// returns is the floor of an install on this machine, whatever the
    /// parsing stage does. The store must not have the pack yet.
    #[cfg(feature = "synthetic")]
    #[doc(hidden)]
    pub fn write_alone(&self, publisher: &str, pack: &[u8]) -> Result<std::time::Duration> {
        let reader = PackReader::new(pack)?;
        let batches = (reader.manifest().entries as usize).div_ceil(BATCH) + 1;
        let (send, receive) = std::sync::mpsc::sync_channel(batches);
        let lexicon = prepare_entries(reader, false, send, None)?;
        let mut conn = self.own_connection()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO packs (publisher, pack_id, version, manifest, installed_at)
             VALUES (?1, 'write-alone', 1, '{}', '')",
            [publisher],
        )?;
        let pack_row = tx.last_insert_rowid();
        let t = std::time::Instant::now();
        write_entries(&tx, pack_row, receive, &mut Tracker::first(), None)?;
        write_lexicon(&tx, pack_row, &lexicon)?;
        tx.commit()?;
        Ok(t.elapsed())
    }

    /// Updates an installed pack with a patch whose bytes have been verified
    /// for `publisher` (the patch file, zstd-compressed, as its signed
    /// target describes it). `expected` is the new version's content digest
    /// from the pack target's signed metadata ([`super::target::PackTargetCustom::content`]).
    ///
    /// The patch is applied to the installed entries into a temporary file
    /// in the store's directory (memory stays bounded whatever the pack's
    /// size), the result's length and SHA-256 are checked against
    /// `expected`, and it is installed like a full pack: in one transaction,
    /// the previous version searchable until the new one is entirely in.
    ///
    /// [`Error::PatchMismatch`] when the patch does not start from what is
    /// installed (another version, no version, other entries): fetch the
    /// full pack instead. Any error leaves the installed pack as it was.
    pub(crate) fn install_patch_verified(
        &self,
        publisher: &str,
        signed: &SignedPack,
        patch: impl Read,
        expected: &ContentDigest,
    ) -> Result<InstalledPack> {
        let decoder = decompress(patch)
            .map_err(|e| Error::InvalidPatch(format!("not a zstd-compressed patch: {e}")))?;
        let mut reader = PatchReader::new(BufReader::with_capacity(BUFFER, decoder))?;
        let header = reader.header().clone();
        if header.publisher != publisher {
            return Err(Error::InvalidPatch(format!(
                "the patch names publisher '{}' but was signed by '{publisher}'",
                header.publisher
            )));
        }
        // The patch must rebuild the pack its signed target names; the
        // rebuilt manifest is checked again before it installs.
        if header.pack != signed.id || signed.version.is_some_and(|v| v != header.to) {
            return Err(Untrusted::NotThePackSigned {
                target: signed.target.clone(),
                what: "patch",
                signed: format!(
                    "{} version {}",
                    signed.id,
                    signed.version.unwrap_or(header.to)
                ),
                found: format!("{} version {}", header.pack, header.to),
            }
            .into());
        }
        // Applied to the rows, where the header names what is installed.
        reader = match self.update_in_place(publisher, signed, reader, expected)? {
            Ok(installed) => return Ok(installed),
            Err(reader) => reader,
        };
        // Else the content is rebuilt whole, and checked.
        // tempfile's errors name the path; ours never do (see crate::error).
        let file = tempfile::tempfile_in(self.dir())
            .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
        let file = checked_content(file, expected, ContentOrigin::Updated, |content| {
            // A connection of its own, in a read transaction: the entries
            // and the version read are one snapshot, and searches on the
            // store's connection go on meanwhile.
            let mut conn = self.own_connection()?;
            let tx = conn.transaction()?;
            let installed = installed_row(&tx, publisher, &header.pack)?;
            let Some((pack_row, version)) = installed else {
                return Err(Error::PatchMismatch("the pack is not installed".into()));
            };
            if u64::try_from(version).ok() != Some(header.from) {
                return Err(Error::PatchMismatch(format!(
                    "the patch updates version {}, version {version} is installed",
                    header.from
                )));
            }
            let lexicon = Lexicon::read(&tx, pack_row)?;
            let mut body = tx.prepare("SELECT body FROM entries WHERE id = ?1")?;
            let lines = entry_rows(&tx, pack_row)?.into_iter().map(|row| {
                let coded: Vec<u8> = body.query_row([row], |r| r.get(0))?;
                lexicon.decode(&coded)
            });
            reader.apply(lines, content)?;
            Ok(())
        })?;
        // The same reader type as the other installs, so the native library
        // holds one copy of the install code, not two (the extra buffer
        // costs nothing: PackReader reads past it in large chunks).
        self.install_from(publisher, signed, PackReader::plain(BufReader::new(file))?)
    }
}

/// Entries per batch handed from the reading thread to the writing one.
const BATCH: usize = 256;

/// An entry ready to be written: its row and its index row.
pub(super) struct Prepared {
    pub(super) kind: &'static str,
    pub(super) entry_id: String,
    /// The JSON line, coded (see lexicon.rs).
    pub(super) coded: Vec<u8>,
    pub(super) lat: Option<f64>,
    pub(super) lon: Option<f64>,
    pub(super) title: String,
    pub(super) body: String,
    /// The entry, when its index row is left to the writer to fold
    /// ([`Self::fold`]).
    unfolded: Option<Box<Entry>>,
    /// The JSON's [`body_hash`], when an update needs it (else 0).
    pub(super) hash: u64,
}

impl Prepared {
    /// `entry` parsed, its index row folded, its line not yet coded;
    /// `hash`, its JSON's [`body_hash`] when wanted.
    pub(super) fn of(entry: &Entry, hash: Option<u64>) -> Self {
        let (title, body) = index_row(entry);
        Prepared {
            title,
            body,
            ..Self::row(entry, hash)
        }
    }

    /// As [`Self::of`], the index row left to fold ([`Self::fold`], on
    /// the writing thread).
    fn unfolded(entry: Entry, hash: Option<u64>) -> Self {
        let row = Self::row(&entry, hash);
        Prepared {
            unfolded: Some(Box::new(entry)),
            ..row
        }
    }

    /// `entry`'s row, without its index row.
    fn row(entry: &Entry, hash: Option<u64>) -> Self {
        let (lat, lon) = match entry {
            Entry::Service(s) => s.location.map(|p| (p.lat, p.lon)).unzip(),
            _ => (None, None),
        };
        Prepared {
            kind: kind_name(entry),
            entry_id: entry.id().to_owned(),
            hash: hash.unwrap_or(0),
            coded: Vec::new(),
            lat,
            lon,
            title: String::new(),
            body: String::new(),
            unfolded: None,
        }
    }

    /// Folds the index row, if it was left to fold.
    fn fold(&mut self) {
        if let Some(entry) = self.unfolded.take() {
            (self.title, self.body) = index_row(&entry);
        }
    }
}

/// Batches the reading thread has sent and the writing one not yet
/// received (the last, short one is not counted). When the writer has
/// fewer than [`Queue::LOW`] waiting, the reader holds the install up, and
/// it leaves each entry's fold to the writer ([`Prepared::fold`]). The
/// fold is a third of the reader's work and can be done on either side;
/// the coding and the writing cannot. Each thread then works about as
/// long as the other, whichever is the faster on the phone.
#[derive(Debug, Default)]
struct Queue(std::sync::atomic::AtomicIsize);

impl Queue {
    /// Below this many batches waiting, the reader leaves folding.
    const LOW: isize = 2;

    fn sent(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn received(&self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn writer_waits(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed) < Self::LOW
    }
}

/// Reads, parses and codes entries in batches, and folds them unless the
/// writer waits ([`Queue`]; always, without one), until the pack ends,
/// an entry is bad (sent as the last item), or the writer hangs up; the
/// pack's lexicon.
fn prepare_entries<R: Read>(
    mut reader: PackReader<R>,
    hashes: bool,
    send: std::sync::mpsc::SyncSender<Result<Vec<Prepared>>>,
    queue: Option<&Queue>,
) -> Result<LexiconRow> {
    let mut coder = StreamCoder::new();
    let mut batch = Vec::with_capacity(BATCH);
    // An error when the writer has hung up (it has its own to tell).
    let mut emit = |mut p: Prepared, coded: Vec<u8>| -> Result<()> {
        p.coded = coded;
        batch.push(p);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            send.send(Ok(full))
                .map_err(|_| Error::InvalidPack("the writer stopped".into()))?;
            if let Some(queue) = queue {
                queue.sent();
            }
        }
        Ok(())
    };
    while let Some(next) = reader.next_with_json() {
        let (entry, json) = match next {
            Ok(n) => n,
            Err(e) => {
                let _ = send.send(Err(e));
                return Ok(LexiconRow::default());
            }
        };
        let hash = hashes.then(|| body_hash(json));
        let prepared = match queue {
            Some(queue) if queue.writer_waits() => Prepared::unfolded(entry, hash),
            _ => Prepared::of(&entry, hash),
        };
        if coder.push(prepared, json, &mut emit).is_err() {
            return Ok(LexiconRow::default());
        }
    }
    let Ok(lexicon) = coder.finish(&mut emit) else {
        return Ok(LexiconRow::default());
    };
    if !batch.is_empty() {
        let _ = send.send(Ok(batch));
    }
    Ok(lexicon)
}

/// Writes the prepared entries of pack row `pack` and their index rows
/// (see postings.rs); the average length and next part of the index, and
/// the rows written, in order.
fn write_entries(
    tx: &Transaction<'_>,
    pack: i64,
    receive: std::sync::mpsc::Receiver<Result<Vec<Prepared>>>,
    changes: &mut Tracker,
    queue: Option<&Queue>,
) -> Result<((f64, i64), Rows)> {
    let mut insert_entry = tx.prepare(
        "INSERT INTO entries (pack, kind, entry_id, body, lat, lon)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut index = IndexBuilder::new(pack);
    let mut rows = Rows::default();
    for batch in receive {
        if let Some(queue) = queue {
            queue.received();
        }
        for mut p in batch? {
            p.fold();
            insert_entry.execute(params![pack, p.kind, p.entry_id, p.coded, p.lat, p.lon])?;
            let row = tx.last_insert_rowid();
            rows.push(row);
            index.add(tx, row, &p.title, &p.body)?;
            changes.new_entry(p.kind, &p.entry_id, p.hash);
        }
    }
    Ok((index.finish(tx)?, rows))
}

/// The row id and version of `publisher`'s pack `pack`, if installed.
fn installed_row(tx: &Transaction<'_>, publisher: &str, pack: &str) -> Result<Option<(i64, i64)>> {
    Ok(tx
        .query_row(
            "SELECT id, version FROM packs WHERE publisher = ?1 AND pack_id = ?2",
            params![publisher, pack],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

#[cfg(all(test, feature = "synthetic"))]
mod tests {
    use super::*;

    #[test]
    fn an_entry_folded_by_the_writer_has_the_index_row_the_reader_folds() {
        let pack = super::super::synthetic::pack("pub-a", "p", 1, 300, 11).unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for entry in PackReader::new(&pack[..]).unwrap() {
            let entry = entry.unwrap();
            let folded = Prepared::of(&entry, Some(7));
            let mut later = Prepared::unfolded(entry, Some(7));
            assert!(later.title.is_empty() && later.body.is_empty());
            later.fold();
            assert!(later.unfolded.is_none());
            assert!(!folded.title.is_empty());
            assert_eq!((later.title, later.body), (folded.title, folded.body));
            assert_eq!((later.kind, later.entry_id), (folded.kind, folded.entry_id));
            assert_eq!(
                (later.lat, later.lon, later.hash),
                (folded.lat, folded.lon, 7)
            );
            kinds.insert(folded.kind);
        }
        assert!(kinds.len() >= 3, "entries of several kinds: {kinds:?}");
    }
}
