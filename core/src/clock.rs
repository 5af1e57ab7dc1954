//! Wall-clock time, injectable so that expiry, staleness and unlock delays
//! can be tested without waiting; and monotonic time, which no one can set,
//! for measuring how long has really passed (unlock delays).

use std::fmt::Debug;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Duration, Local, NaiveDate, NaiveDateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date on the person's calendar (the device's local time zone).
    fn today(&self) -> NaiveDate {
        self.local_now().date()
    }

    /// The wall-clock time in the device's time zone.
    fn local_now(&self) -> NaiveDateTime {
        self.now().with_timezone(&Local).naive_local()
    }

    /// Time elapsed since a fixed point in this process's life, from a
    /// monotonic source: it never goes backwards and setting the wall clock
    /// does not move it. Only differences between two readings mean
    /// anything. The default is the operating system's monotonic clock.
    fn monotonic(&self) -> std::time::Duration {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved; for tests and demos. Its wall
/// clock and its monotonic clock move together with [`ManualClock::advance`]
/// (time passing), apart with [`ManualClock::set_wall_clock_by`] (someone
/// setting the phone's time).
#[derive(Debug)]
pub struct ManualClock(Mutex<ManualTime>);

#[derive(Debug)]
struct ManualTime {
    wall: DateTime<Utc>,
    monotonic: std::time::Duration,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(ManualTime {
            wall: start,
            monotonic: std::time::Duration::ZERO,
        }))
    }

    fn time(&self) -> std::sync::MutexGuard<'_, ManualTime> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lets time pass: the wall clock and the monotonic clock move forward
    /// by `by`. A negative duration sets the wall clock back and leaves the
    /// monotonic clock where it is (it never goes back).
    pub fn advance(&self, by: Duration) {
        let mut t = self.time();
        t.wall += by;
        if let Ok(forward) = by.to_std() {
            t.monotonic += forward;
        }
    }

    /// Moves the wall clock only (forward or back), as someone changing the
    /// phone's date and time does; no time passes.
    pub fn set_wall_clock_by(&self, by: Duration) {
        self.time().wall += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.time().wall
    }

    /// A manual clock's local time is its UTC time, so tests do not depend
    /// on the machine's time zone.
    fn local_now(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    fn monotonic(&self) -> std::time::Duration {
        self.time().monotonic
    }
}
