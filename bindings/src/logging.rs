//! Logging, opt-in: the app installs a [`LogSink`] (Android `Log`, iOS
//! `os.Logger`, a file for a bug report) with [`set_log_sink`]; until it
//! does, Waymark logs nothing and formats nothing.
//!
//! The core logs outcomes through the `log` facade: unlocks (success, a
//! wrong passphrase and the count, an attempt refused during a delay, a
//! wipe after failures), pack installs (the pack's id, version and entry
//! count) and refusals (their category), and each sync's summary. No line
//! carries a passphrase, a document's title or content, a path, a URL or
//! a publisher's id or name: which publishers a person trusts is theirs.
//! Only Waymark's own records (targets `waymark…`) reach the sink, never a
//! dependency's.

use std::sync::{Arc, Once, RwLock};

/// How much a log line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed (a sync as a whole).
    Error,
    /// An outcome worth a look: a refused pack, a wrong passphrase.
    Warn,
    /// An outcome: unlocked, a pack installed, a sync done.
    Info,
    /// Detail for debugging.
    Debug,
    /// Finest detail.
    Trace,
}

impl LogLevel {
    fn filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Error => log::LevelFilter::Error,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Trace => log::LevelFilter::Trace,
        }
    }
}

impl From<log::Level> for LogLevel {
    fn from(l: log::Level) -> Self {
        match l {
            log::Level::Error => LogLevel::Error,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Info => LogLevel::Info,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Trace => LogLevel::Trace,
        }
    }
}

/// Where Waymark's log lines go; the app implements it.
///
/// Called on whichever thread logged (often a Waymark worker), possibly
/// several at once: return quickly, and never call Waymark from it. An
/// exception thrown here is ignored.
#[uniffi::export(callback_interface)]
pub trait LogSink: Send + Sync {
    /// One line: its level, the part of Waymark it comes from
    /// (`waymark::vault`, `waymark::content`, `waymark::sync`) and the
    /// message.
    fn log(&self, level: LogLevel, target: String, message: String) -> crate::error::Result<()>;
}

/// The sink installed, if any.
static SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);

/// Forwards the `log` facade's records to the app's sink.
struct Bridge;

static BRIDGE: Bridge = Bridge;

impl log::Log for Bridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("waymark")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let sink = SINK.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(sink) = sink {
            let _ = sink.log(
                record.level().into(),
                record.target().to_owned(),
                record.args().to_string(),
            );
        }
    }

    fn flush(&self) {}
}

/// Installs `sink` to receive Waymark's log lines up to `max_level`
/// (`Info` for the outcomes), replacing any sink before; `null`/`nil` turns
/// logging off again (the default). Cheap.
///
/// ```kotlin
/// setLogSink(object : LogSink {
///     override fun log(level: LogLevel, target: String, message: String) {
///         Log.println(priorityOf(level), "Waymark", message)
///     }
/// }, LogLevel.INFO)
/// ```
#[uniffi::export]
pub fn set_log_sink(sink: Option<Box<dyn LogSink>>, max_level: LogLevel) {
    static INSTALL: Once = Once::new();
    // The facade allows one logger per process, for good: the bridge.
    INSTALL.call_once(|| {
        let _ = log::set_logger(&BRIDGE);
    });
    let level = match &sink {
        Some(_) => max_level.filter(),
        None => log::LevelFilter::Off,
    };
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = sink.map(Arc::from);
    log::set_max_level(level);
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    type Line = (LogLevel, String, String);

    /// A sink keeping its lines where the test can see them.
    struct Lines(Arc<Mutex<Vec<Line>>>);

    impl LogSink for Lines {
        fn log(
            &self,
            level: LogLevel,
            target: String,
            message: String,
        ) -> crate::error::Result<()> {
            self.0.lock().unwrap().push((level, target, message));
            Ok(())
        }
    }

    #[test]
    fn nothing_is_logged_without_a_sink_and_only_waymarks_own_lines_with_one() {
        set_log_sink(None, LogLevel::Trace);
        assert!(!log::log_enabled!(target: "waymark::vault", log::Level::Error));

        let lines = Arc::new(Mutex::new(Vec::new()));
        set_log_sink(Some(Box::new(Lines(Arc::clone(&lines)))), LogLevel::Info);
        log::info!(target: "waymark::test", "kept");
        log::debug!(target: "waymark::test", "above the level");
        log::warn!(target: "rusqlite", "another crate's");
        set_log_sink(None, LogLevel::Info);
        log::error!(target: "waymark::test", "after the sink went");

        let got = lines.lock().unwrap().clone();
        assert_eq!(
            got,
            [(
                LogLevel::Info,
                "waymark::test".to_owned(),
                "kept".to_owned()
            )]
        );
    }
}
