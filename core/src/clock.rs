//! Wall-clock time, injectable so that expiry, staleness and unlock delays
//! can be tested without waiting.

use std::fmt::Debug;
use std::sync::Mutex;

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
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved; for tests and demos.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(start))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A manual clock's local time is its UTC time, so tests do not depend
    /// on the machine's time zone.
    fn local_now(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }
}
