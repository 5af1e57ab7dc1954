//! Numbers across the boundary: the apps see signed types only (Kotlin
//! `Int`/`Long`, Swift `Int32`/`Int64`), never `UInt`/`ULong`, which
//! Kotlin code cannot use as freely and Java cannot use at all. Counts and
//! sizes from the core are converted (saturating, never reached in
//! practice); numbers from the app are checked, a negative one refused
//! with `InvalidInput` before anything changes.

use crate::error::{Result, WaymarkError};

/// A count or size from the core as the apps hold it.
pub(crate) fn long(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A small count from the core as the apps hold it.
pub(crate) fn int(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// An app's number that must not be negative (`what` names it in the
/// error).
pub(crate) fn unsigned_long(what: &str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| negative(what))
}

/// An app's small number that must not be negative.
pub(crate) fn unsigned_int(what: &str, v: i32) -> Result<u32> {
    u32::try_from(v).map_err(|_| negative(what))
}

fn negative(what: &str) -> WaymarkError {
    WaymarkError::invalid(format!("{what} must not be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_number_from_the_app_is_refused_naming_it() {
        assert_eq!(unsigned_int("the limit", 20), Ok(20));
        let e = unsigned_int("the limit", -1).unwrap_err();
        assert_eq!(e, WaymarkError::invalid("the limit must not be negative"));
        assert!(unsigned_long("the budget", -5).is_err());
        assert_eq!(unsigned_long("the budget", 0), Ok(0));
    }

    #[test]
    fn numbers_beyond_the_signed_range_saturate() {
        assert_eq!(long(u64::MAX), i64::MAX);
        assert_eq!(int(u32::MAX), i32::MAX);
        assert_eq!(long(42), 42);
    }
}
