//! How the command-line tools show a failure: [`render`] words an
//! [`Error`] for a person at a terminal, and [`Report`] is a command's
//! failure (an [`Error`], or a tool's own message), printed as one line
//! after the tool's name (`waymark: …`, `waymark-pack: …`).

use std::fmt;
use std::time::Duration;

use super::Error;

/// The message a command-line tool prints for `error`: its text, worded
/// for a terminal where that helps (failed attempts and the wait before
/// the next, the command that creates a vault, that nothing changed).
pub fn render(error: &Error) -> String {
    match error {
        Error::WrongPassphrase {
            failed_attempts,
            retry_after,
        } => {
            let attempts = match failed_attempts {
                1 => "1 failed attempt".to_owned(),
                n => format!("{n} failed attempts in a row"),
            };
            if retry_after.is_zero() {
                format!("wrong passphrase ({attempts})")
            } else {
                format!(
                    "wrong passphrase ({attempts}; wait {} before the next)",
                    human_duration(*retry_after)
                )
            }
        }
        Error::Throttled { retry_after } => format!(
            "too many failed attempts: wait {} before trying again",
            human_duration(*retry_after)
        ),
        Error::NoVault => "no vault here: create one with `waymark vault init`".into(),
        Error::VaultExists => "a vault already exists here; nothing was changed".into(),
        other if other.is_storage_full() => {
            "the storage is full: nothing was changed; free some space and try again".into()
        }
        other if other.is_storage_failure() => {
            // An fsync that failed during a commit leaves its outcome
            // unknown (the change may appear at the next open): no
            // "nothing was changed" here.
            "the storage failed (an input/output error): what was saved before is intact, \
             the last change may not be; try again, and free some space if it goes on"
                .into()
        }
        other => other.to_string(),
    }
}

/// A duration as a person reads it: `90s`, `5 min`, `2 h` (rounded up).
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 120 {
        format!("{s}s")
    } else if s < 2 * 3600 {
        format!("{} min", s.div_ceil(60))
    } else {
        format!("{} h", s.div_ceil(3600))
    }
}

/// A command's failure, as `waymark` and `waymark-pack` report it: an
/// [`Error`] of the core (shown with [`render`]), or a message of the tool
/// itself. Displays as the message; [`Report::line`] is what the tool
/// prints after its name. Like every error, free of personal data.
#[derive(Debug)]
pub enum Report {
    /// An error of the core (I/O and JSON errors become one too).
    Error(Error),
    /// The tool's own words.
    Message(String),
}

impl Report {
    /// A failure with the tool's own message.
    pub fn message(message: impl Into<String>) -> Self {
        Report::Message(message.into())
    }

    /// The message on one line, whatever it held (line breaks become
    /// spaces): what the tool prints after `name: `.
    pub fn line(&self) -> String {
        self.to_string().replace(['\n', '\r'], " ")
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Error(e) => f.write_str(&render(e)),
            Report::Message(m) => f.write_str(m),
        }
    }
}

impl From<Error> for Report {
    fn from(e: Error) -> Self {
        Report::Error(e)
    }
}

impl From<std::io::Error> for Report {
    fn from(e: std::io::Error) -> Self {
        Report::Error(Error::Io(e))
    }
}

impl From<serde_json::Error> for Report {
    fn from(e: serde_json::Error) -> Self {
        Report::Error(Error::Json(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_and_waits_are_worded_for_a_person() {
        let wrong = |failed_attempts, secs| {
            render(&Error::WrongPassphrase {
                failed_attempts,
                retry_after: Duration::from_secs(secs),
            })
        };
        assert_eq!(wrong(1, 0), "wrong passphrase (1 failed attempt)");
        assert_eq!(
            wrong(4, 30),
            "wrong passphrase (4 failed attempts in a row; wait 30s before the next)"
        );
        assert_eq!(
            render(&Error::Throttled {
                retry_after: Duration::from_secs(600)
            }),
            "too many failed attempts: wait 10 min before trying again"
        );
    }

    #[test]
    fn a_failing_disk_reads_the_same_whichever_layer_saw_it() {
        let said = "the storage failed (an input/output error): what was saved before is intact, \
                    the last change may not be; try again, and free some space if it goes on";
        let eio = std::io::Error::from_raw_os_error(5);
        assert_eq!(render(&Error::Io(eio)), said);
        let sqlite = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_FSYNC),
            None,
        );
        assert_eq!(render(&Error::Sqlite(sqlite)), said);
        let other = std::io::Error::from_raw_os_error(13); // EACCES
        assert_ne!(render(&Error::Io(other)), said);
    }

    #[test]
    fn a_full_disk_reads_the_same_whichever_layer_saw_it() {
        let said = "the storage is full: nothing was changed; free some space and try again";
        assert_eq!(render(&Error::StorageFull), said);
        let io = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(render(&Error::Io(io)), said);
        assert_ne!(render(&Error::Io(std::io::Error::other("x"))), said);
    }

    #[test]
    fn a_report_is_one_line_and_io_reads_as_before() {
        let io = std::io::Error::other("disk\nfailed");
        let report = Report::from(io);
        assert_eq!(report.to_string(), "i/o: disk\nfailed");
        assert_eq!(report.line(), "i/o: disk failed");
        assert_eq!(Report::message("no such pack").line(), "no such pack");
    }
}
