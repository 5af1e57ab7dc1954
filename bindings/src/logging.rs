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
        // Called under the read lock, so that once `set_log_sink` has
        // replaced a sink (it takes the write lock), that sink is never
        // called again; sinks on several threads still run at once.
        let sink = SINK.read().unwrap_or_else(|p| p.into_inner());
        if let Some(sink) = sink.as_ref() {
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
/// logging off again (the default). Cheap; it waits for lines being
/// delivered to the sink it replaces, which is never called after it
/// returns (so a sink must not call this).
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

    /// The sink is the process's: one test at a time changes it.
    static ONE_SINK_TEST: Mutex<()> = Mutex::new(());

    #[test]
    fn nothing_is_logged_without_a_sink_and_only_waymarks_own_lines_with_one() {
        let _one = ONE_SINK_TEST.lock().unwrap_or_else(|p| p.into_inner());
        set_log_sink(None, LogLevel::Trace);
        assert!(!log::log_enabled!(target: "waymark::vault", log::Level::Error));

        let lines = Arc::new(Mutex::new(Vec::new()));
        set_log_sink(Some(Box::new(Lines(Arc::clone(&lines)))), LogLevel::Info);
        log::info!(target: "waymark::test", "kept");
        log::debug!(target: "waymark::test", "above the level");
        log::warn!(target: "rusqlite", "another crate's");
        set_log_sink(None, LogLevel::Info);
        log::error!(target: "waymark::test", "after the sink went");

        // Other tests' vaults log at the same time: only this test's lines.
        let got: Vec<Line> = lines
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, target, _)| target == "waymark::test")
            .cloned()
            .collect();
        assert_eq!(
            got,
            [(
                LogLevel::Info,
                "waymark::test".to_owned(),
                "kept".to_owned()
            )]
        );
    }

    #[test]
    fn a_replaced_sink_is_never_called_once_set_log_sink_returns() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::mpsc;
        use std::time::Duration;

        /// Takes its time over this test's line.
        struct Slow {
            entered: Mutex<mpsc::Sender<()>>,
            finished: Arc<AtomicBool>,
        }
        impl LogSink for Slow {
            fn log(&self, _: LogLevel, target: String, _: String) -> crate::error::Result<()> {
                if target == "waymark::test::slow" {
                    let _ = self.entered.lock().unwrap().send(());
                    std::thread::sleep(Duration::from_millis(300));
                    self.finished.store(true, Ordering::SeqCst);
                }
                Ok(())
            }
        }

        let _one = ONE_SINK_TEST.lock().unwrap_or_else(|p| p.into_inner());
        let (entered, in_call) = mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let sink = Slow {
            entered: Mutex::new(entered),
            finished: Arc::clone(&finished),
        };
        set_log_sink(Some(Box::new(sink)), LogLevel::Info);
        let logging = std::thread::spawn(|| log::info!(target: "waymark::test::slow", "slow"));
        in_call.recv_timeout(Duration::from_secs(30)).unwrap();

        set_log_sink(None, LogLevel::Info);

        assert!(
            finished.load(Ordering::SeqCst),
            "set_log_sink returned while the sink it replaced was still being called"
        );
        logging.join().unwrap();
    }
}
