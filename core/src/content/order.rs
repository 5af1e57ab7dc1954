//! The order of a pack's entries, and sets of its rows, as the `packs`
//! table keeps them: an install writes its entries' rows as one run, and
//! an update applied in place (update.rs) keeps the order its patch gives
//! (`packs.entry_order`) and the rows it removed (`packs.removed`). A
//! patch's base and a shared pack follow the order ([`entry_rows`]).

use rusqlite::OptionalExtension;

use super::postings::{next_varint, push_varint};
use crate::error::{Error, Result};

/// The rows of pack row `pack`'s entries, in pack order.
pub(crate) fn entry_rows(tx: &rusqlite::Connection, pack: i64) -> Result<Vec<i64>> {
    match stored_order(tx, pack)? {
        Some(runs) => decode_runs(&runs),
        None => rows_of(tx, pack),
    }
}

/// Pack row `pack`'s `entry_order`, if it has one (packs installed since
/// content schema 10).
fn stored_order(conn: &rusqlite::Connection, pack: i64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT entry_order FROM packs WHERE id = ?1", [pack], |r| {
            r.get(0)
        })
        .optional()?
        .flatten())
}

/// The rows of pack row `pack`'s entries, in row order.
fn rows_of(tx: &rusqlite::Connection, pack: i64) -> Result<Vec<i64>> {
    Ok(tx
        .prepare("SELECT id FROM entries WHERE pack = ?1 ORDER BY id")?
        .query_map([pack], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Sorts rows, as one sort of `u64` (every sort of a type of its own
/// costs the native library about 3.5 KB; rows are positive).
pub(crate) fn sort_rows(rows: &mut [i64]) {
    let mut keys: Vec<u64> = rows.iter().map(|&r| r as u64).collect();
    keys.sort_unstable();
    for (r, k) in rows.iter_mut().zip(keys) {
        *r = k as i64;
    }
}

/// Rows in ascending order, as the gaps between them (LEB128).
pub(crate) fn encode_ids(ids: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 2);
    let mut last = 0;
    for &id in ids {
        push_varint(&mut out, (id - last) as u64);
        last = id;
    }
    out
}

/// The rows [`encode_ids`] wrote.
pub(crate) fn decode_ids(bytes: &[u8]) -> Vec<i64> {
    let mut out = Vec::new();
    let (mut at, mut last) = (0, 0i64);
    while let Some(gap) = next_varint(bytes, &mut at) {
        last = last.wrapping_add(gap as i64);
        out.push(last);
    }
    out
}

/// Rows in pack order, as runs of consecutive rows (an install's rows
/// are one run), gathered as they come.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    /// Each run's first row and length.
    runs: Vec<(i64, u64)>,
}

impl Rows {
    /// Appends `row`.
    pub(crate) fn push(&mut self, row: i64) {
        match self.runs.last_mut() {
            Some((start, len)) if *start + *len as i64 == row => *len += 1,
            _ => self.runs.push((row, 1)),
        }
    }
}

/// `rows` as `packs.entry_order` keeps them: each run as the step from
/// the end of the run before (zigzag LEB128) and its length.
pub(crate) fn encode_runs(rows: &Rows) -> Vec<u8> {
    let mut out = Vec::new();
    let mut end = 0i64;
    for &(start, len) in &rows.runs {
        let step = start - end;
        push_varint(&mut out, ((step << 1) ^ (step >> 63)) as u64);
        push_varint(&mut out, len);
        end = start + len as i64;
    }
    out
}

/// The rows [`encode_runs`] wrote.
pub(crate) fn decode_runs(bytes: &[u8]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for (start, end) in decode_ranges(bytes)? {
        out.extend(start..end);
    }
    Ok(out)
}

/// The runs [`encode_runs`] wrote, each as its first row and one past
/// its last.
fn decode_ranges(bytes: &[u8]) -> Result<Vec<(i64, i64)>> {
    let bad = || Error::Integrity("entry order");
    let mut out = Vec::new();
    let (mut at, mut end) = (0, 0i64);
    while at < bytes.len() {
        let zigzag = next_varint(bytes, &mut at).ok_or_else(bad)?;
        let len = next_varint(bytes, &mut at).ok_or_else(bad)?;
        let start = end.wrapping_add(((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64));
        end = start.checked_add(len as i64).ok_or_else(bad)?;
        out.push((start, end));
    }
    Ok(out)
}

/// Runs `sql` over the rows of pack row `pack`'s entries, found by its
/// entry order: the entries have no index by pack (each update of 1% of
/// a pack's entries rewrote nearly every page of one). `sql` takes the
/// pack as `?1` and a range of rows as `?2` (first) and `?3` (one past
/// the last), and checks the pack too (`pack = ?1 AND id >= ?2 AND id <
/// ?3`): a pack installed before packs kept their order (schema 10) has
/// none, and it runs once over every row, `?2` and `?3` spanning all.
/// `row` is handed each row `sql` gives.
pub(crate) fn over_pack_rows(
    conn: &rusqlite::Connection,
    pack: i64,
    sql: &str,
    mut row: impl FnMut(&rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    let ranges = match stored_order(conn, pack)? {
        Some(runs) => decode_ranges(&runs)?,
        None => vec![(i64::MIN, i64::MAX)],
    };
    let mut stmt = conn.prepare(sql)?;
    for (start, end) in ranges {
        let mut rows = stmt.query(rusqlite::params![pack, start, end])?;
        while let Some(r) = rows.next()? {
            row(r)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(rows: &[i64]) -> Vec<u8> {
        let mut r = Rows::default();
        rows.iter().for_each(|&row| r.push(row));
        encode_runs(&r)
    }

    #[test]
    fn orders_and_sets_of_rows_round_trip() {
        assert_eq!(
            runs(&[7, 8, 9, 10]).len(),
            2,
            "an install's rows are one run"
        );
        for rows in [
            vec![5, 6, 7, 1, 2, 100, 3],
            vec![10, 9, 8, 7],
            vec![1, 2, 4, 3, 200_000, 200_001, 5],
            vec![],
        ] {
            assert_eq!(decode_runs(&runs(&rows)).unwrap(), rows);
        }
        // 1% of 100,000 rows moved: about 2,000 runs.
        let mut rows: Vec<i64> = (1..=100_000).collect();
        for i in (0..100_000).step_by(100) {
            rows[i] += 200_000;
        }
        assert!(runs(&rows).len() < 12_000);
        let ids = [3, 4, 300, 70_000];
        assert_eq!(decode_ids(&encode_ids(&ids)), ids);
        assert!(decode_runs(&[0x80]).is_err(), "a cut number is refused");
    }
}
