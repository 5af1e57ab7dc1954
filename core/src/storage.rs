//! SQLite storage shared by every part of the core: one way to open a
//! database, one place for pragmas, and versioned migrations.
//!
//! A [`Schema`] has a name, an end version and one [`Schema::upgrade_from`]
//! step per migration. [`open_database`] runs the missing steps inside a
//! single transaction, so a database is either at its old version or at the
//! new one, never in between, even if the process is killed.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, Transaction};

use crate::error::{Error, Result};

/// A database schema and its migrations.
pub trait Schema {
    /// A name for messages (e.g. `"vault"`).
    const NAME: &'static str;
    /// The version a fresh database ends at.
    const END_VERSION: u32;

    /// Creates the latest schema in an empty database.
    fn create(&self, tx: &Transaction<'_>) -> Result<()>;

    /// Upgrades from `version` to `version + 1`.
    fn upgrade_from(&self, tx: &Transaction<'_>, version: u32) -> Result<()>;
}

/// Whether [`open_database`] may create a missing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the file and the schema if the file does not exist.
    CreateIfMissing,
    /// Fail with [`Error::NoVault`]-style errors if the file does not exist.
    MustExist,
}

/// Files SQLite keeps beside a database.
pub(crate) const SIDE_FILE_SUFFIXES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Creates `dir` (and any missing parent) readable by its owner only (0700
/// on Unix), and makes an existing `dir` so.
pub(crate) fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    set_mode(dir, 0o700)
}

/// Options that create a file readable and writable by its owner only
/// (0600 on Unix); an existing file keeps its mode (see [`make_private`]).
pub(crate) fn private_file() -> std::fs::OpenOptions {
    #[allow(unused_mut)]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Makes an existing file readable and writable by its owner only; a
/// missing file is fine.
pub(crate) fn make_private(path: &Path) -> std::io::Result<()> {
    match set_mode(path, 0o600) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    if current != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(path: &Path, _mode: u32) -> std::io::Result<()> {
    std::fs::metadata(path).map(drop)
}

/// The database file and the files SQLite keeps beside it.
fn database_files(path: &Path) -> Vec<std::path::PathBuf> {
    let mut paths = vec![path.to_path_buf()];
    for suffix in SIDE_FILE_SUFFIXES {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        paths.push(p.into());
    }
    paths
}

/// Opens (and if needed creates or upgrades) the database at `path`.
///
/// The database and the files SQLite keeps beside it (WAL, shared memory,
/// journal) are readable and writable by the owner only: a new database
/// file is created so before SQLite opens it (SQLite gives its side files
/// the database file's mode), and the modes of existing ones are fixed.
///
/// Pragmas set here for every database:
/// - `journal_mode=WAL` and `synchronous=FULL`: a committed transaction
///   survives a power cut, an uncommitted one leaves no trace;
/// - `secure_delete=ON`: deleted rows are overwritten, not left in free pages;
/// - `temp_store=MEMORY`: SQLite writes no temporary files beside ours;
/// - `foreign_keys=ON`.
pub fn open_database<S: Schema>(path: &Path, schema: &S, mode: OpenMode) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if mode == OpenMode::CreateIfMissing {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
        // An empty file is a new database to SQLite; creating it here gives
        // it (and so its side files) the owner-only mode.
        match private_file().write(true).create_new(true).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = ON;
         PRAGMA journal_size_limit = 1048576;",
    )?;
    migrate(&mut conn, schema)?;
    for file in database_files(path) {
        make_private(&file)?;
    }
    Ok(conn)
}

fn migrate<S: Schema>(conn: &mut Connection, schema: &S) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        schema.create(&tx)?;
    } else if version > S::END_VERSION {
        return Err(Error::UnsupportedFormat(format!(
            "{} database version {version} is newer than this Waymark ({})",
            S::NAME,
            S::END_VERSION
        )));
    } else {
        for v in version..S::END_VERSION {
            schema.upgrade_from(&tx, v)?;
        }
    }
    if version != S::END_VERSION {
        tx.pragma_update(None, "user_version", S::END_VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

/// How long a connection waits for another one's lock before `SQLITE_BUSY`.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long [`checkpoint_truncate`] keeps trying to empty the WAL while
/// another connection holds it.
const CHECKPOINT_PATIENCE: Duration = Duration::from_secs(2);
/// The pause between two of its attempts.
const CHECKPOINT_RETRY: Duration = Duration::from_millis(50);

/// Moves every committed page from the WAL into the database file and empties
/// the WAL, so that no older copy of a page survives in it.
///
/// A reader in another connection (or process) that still reads an older
/// snapshot keeps the WAL from being emptied; SQLite then reports the
/// checkpoint busy rather than failing. This retries for a short, bounded
/// time (2 s), then fails with `SQLITE_BUSY` and a
/// message saying that the old pages are not yet erased: a caller never
/// reports data gone while a copy of it remains in the log.
pub fn checkpoint_truncate(conn: &Connection) -> Result<()> {
    let deadline = Instant::now() + CHECKPOINT_PATIENCE;
    // Short waits inside SQLite, so the deadline is kept.
    conn.busy_timeout(CHECKPOINT_RETRY)?;
    let result = loop {
        match checkpoint_attempt(conn) {
            Ok(true) => break Ok(()),
            Ok(false) if Instant::now() < deadline => std::thread::sleep(CHECKPOINT_RETRY),
            Ok(false) => break Err(not_erased()),
            Err(e) => break Err(e),
        }
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    result
}

/// One attempt at [`checkpoint_truncate`] that does not wait for other
/// connections: `Ok(false)` if one kept the WAL from being emptied.
pub fn try_checkpoint_truncate(conn: &Connection) -> Result<bool> {
    conn.busy_timeout(Duration::ZERO)?;
    let result = checkpoint_attempt(conn);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    result
}

fn checkpoint_attempt(conn: &Connection) -> Result<bool> {
    let outcome = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    });
    match outcome {
        // busy = 0 and every frame of the log checkpointed (both -1 when the
        // database is not in WAL mode: there is no log).
        Ok((busy, log, checkpointed)) => Ok(busy == 0 && log == checkpointed),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

fn not_erased() -> Error {
    Error::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some(
            "the change is committed, but older copies of the changed data are not yet erased \
             from the database log: another connection is still reading it"
                .into(),
        ),
    ))
}

/// Parses JSON kept in a TEXT column.
///
/// `serde_json::from_str` would give the same result, but it has its own
/// reader type, so every type read both from a column and from a file
/// (pack manifests) had its parser twice in the native library; reading the
/// text's bytes goes through the one reader `from_slice` uses everywhere
/// else (17 KB smaller).
pub(crate) fn json_from_text<T: serde::de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl Schema for Two {
        const NAME: &'static str = "test";
        const END_VERSION: u32 = 2;
        fn create(&self, tx: &Transaction<'_>) -> Result<()> {
            tx.execute_batch("CREATE TABLE t (a INTEGER, b TEXT);")?;
            Ok(())
        }
        fn upgrade_from(&self, tx: &Transaction<'_>, version: u32) -> Result<()> {
            assert_eq!(version, 1, "only the 1 -> 2 step exists");
            tx.execute_batch("ALTER TABLE t ADD COLUMN b TEXT;")?;
            Ok(())
        }
    }

    struct One;
    impl Schema for One {
        const NAME: &'static str = "test";
        const END_VERSION: u32 = 1;
        fn create(&self, tx: &Transaction<'_>) -> Result<()> {
            tx.execute_batch("CREATE TABLE t (a INTEGER);")?;
            Ok(())
        }
        fn upgrade_from(&self, _: &Transaction<'_>, _: u32) -> Result<()> {
            unreachable!("version 1 is the first")
        }
    }

    #[test]
    fn an_old_database_is_upgraded_in_place_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let c = open_database(&path, &One, OpenMode::CreateIfMissing).unwrap();
        c.execute("INSERT INTO t (a) VALUES (7)", []).unwrap();
        drop(c);
        let c = open_database(&path, &Two, OpenMode::MustExist).unwrap();
        let (a, b): (i64, Option<String>) = c
            .query_row("SELECT a, b FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((a, b), (7, None));
        let v: u32 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 2);
    }

    #[test]
    fn a_newer_database_is_refused_not_downgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        drop(open_database(&path, &Two, OpenMode::CreateIfMissing).unwrap());
        let err = open_database(&path, &One, OpenMode::MustExist).unwrap_err();
        assert!(matches!(err, Error::UnsupportedFormat(_)), "{err}");
        let c = Connection::open(&path).unwrap();
        let v: u32 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 2, "the newer database is left as it was");
    }

    #[test]
    fn a_checkpoint_held_up_by_a_reader_is_reported_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let c = open_database(&path, &One, OpenMode::CreateIfMissing).unwrap();
        c.execute("INSERT INTO t (a) VALUES (1)", []).unwrap();
        let reader = open_database(&path, &One, OpenMode::MustExist).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        c.execute("DELETE FROM t", []).unwrap();

        assert!(!try_checkpoint_truncate(&c).unwrap());
        let err = checkpoint_truncate(&c).unwrap_err();
        assert!(err.to_string().contains("not yet erased"), "{err}");

        reader.execute_batch("COMMIT").unwrap();
        checkpoint_truncate(&c).unwrap();
        let wal = std::fs::metadata(dir.path().join("db-wal")).unwrap().len();
        assert_eq!(wal, 0);
    }

    #[test]
    fn must_exist_does_not_create_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        assert!(open_database(&path, &One, OpenMode::MustExist).is_err());
        assert!(!path.exists());
    }
}
