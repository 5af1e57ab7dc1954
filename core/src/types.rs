//! Value types shared by the vault, content and the publisher tool: the
//! standard codes Waymark's formats use (ISO 3166-1 country codes).
//! Dates are `chrono` types (ISO 8601 on the wire), languages BCP 47 tags
//! held as text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An ISO 3166-1 alpha-2 country code, upper case (`DE`, `ER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("two ASCII letters")
    }
}

impl FromStr for CountryCode {
    type Err = Error;
    /// Accepts two ASCII letters in either case. Whether the code is assigned
    /// is not checked, so that a new or user-assigned code (`XK`) still works.
    fn from_str(s: &str) -> Result<Self> {
        let b = s.trim().as_bytes();
        if b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic) {
            Ok(CountryCode([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
            ]))
        } else {
            Err(Error::invalid(
                "a country is two letters (ISO 3166-1 alpha-2, e.g. DE)",
            ))
        }
    }
}

impl TryFrom<String> for CountryCode {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_letters_upper_cased() {
        assert_eq!("de".parse::<CountryCode>().unwrap().as_str(), "DE");
        assert!("DEU".parse::<CountryCode>().is_err());
        assert!("D1".parse::<CountryCode>().is_err());
    }
}
