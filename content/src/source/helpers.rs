//! Small checks and parsing helpers shared by the format readers: ids,
//! language tags, finding files, and YAML error lines.

use std::path::{Path, PathBuf};

/// A BCP 47 tag, loosely: a 2-3 letter language and optional subtags.
pub(super) fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

pub(super) fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
        })
}

/// Files ending in `.ext` under `dir` (recursively), sorted; none if `dir`
/// cannot be read.
pub(super) fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_with_ext(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Line of a YAML error, from its message (`… line N …`).
pub(super) fn yaml_line(e: &serde_saphyr::Error) -> Option<u64> {
    let text = e.to_string();
    let idx = text.find("line ")?;
    text[idx + 5..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The first line of an error message.
pub(super) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// A message for a file that cannot be read, plain about encodings.
pub(super) fn read_error(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::InvalidData {
        "the file is not UTF-8 text: open it and save it as UTF-8 (in a spreadsheet: CSV UTF-8)"
            .to_owned()
    } else {
        format!("cannot read: {e}")
    }
}

/// The 1-based lines where CSV records start. The `csv` crate's own line
/// count lags by one after a CRLF line end (what spreadsheets write), so
/// lines are counted from each record's byte offset in the file, going
/// forward from the last record asked about (records come in order).
pub(super) struct CsvLines {
    bytes: Vec<u8>,
    at: usize,
    line: u64,
}

impl CsvLines {
    /// Counts lines in the file at `path` (none if it cannot be read).
    pub(super) fn of(path: &Path) -> CsvLines {
        CsvLines {
            bytes: std::fs::read(path).unwrap_or_default(),
            at: 0,
            line: 1,
        }
    }

    /// The line where the record at `pos` starts.
    pub(super) fn line(&mut self, pos: &csv::Position) -> u64 {
        let mut to = (pos.byte() as usize).min(self.bytes.len());
        if self.bytes.get(to) == Some(&b'\n') {
            to += 1;
        }
        if to < self.at {
            (self.at, self.line) = (0, 1);
        }
        self.line += self.bytes[self.at..to]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.at = to;
        self.line
    }
}
