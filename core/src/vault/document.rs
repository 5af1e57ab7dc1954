//! Document metadata: what a person records about each paper they keep.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::CountryCode;

/// A document's identifier: 16 random bytes, shown as 32 hex digits. Random
/// so that ids reveal nothing (not even the order documents were added in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId(pub(crate) [u8; 16]);

impl DocumentId {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for DocumentId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid("a document id is 32 hexadecimal digits");
        // from_str_radix alone would accept "+f" as a byte.
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(DocumentId(out))
    }
}

impl Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The hex form [`Serialize`] writes (backup manifests carry ids).
impl<'de> Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom("a document id is 32 hex digits"))
    }
}

/// What kind of paper a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// A passport.
    Passport,
    /// A visa.
    Visa,
    /// A residence permit (or asylum seeker's permit).
    ResidencePermit,
    /// A national identity card.
    NationalId,
    /// A birth certificate.
    BirthCertificate,
    /// A marriage certificate.
    MarriageCertificate,
    /// A medical record, prescription or vaccination card.
    Medical,
    /// A diploma, transcript or other education record.
    Education,
    /// A ticket for travel.
    TravelTicket,
    /// Anything else.
    Other,
}

impl DocumentKind {
    /// Every kind, in display order.
    pub const ALL: [DocumentKind; 10] = [
        DocumentKind::Passport,
        DocumentKind::Visa,
        DocumentKind::ResidencePermit,
        DocumentKind::NationalId,
        DocumentKind::BirthCertificate,
        DocumentKind::MarriageCertificate,
        DocumentKind::Medical,
        DocumentKind::Education,
        DocumentKind::TravelTicket,
        DocumentKind::Other,
    ];

    /// The stable name used in the CLI and in JSON (`residence-permit`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Passport => "passport",
            DocumentKind::Visa => "visa",
            DocumentKind::ResidencePermit => "residence-permit",
            DocumentKind::NationalId => "national-id",
            DocumentKind::BirthCertificate => "birth-certificate",
            DocumentKind::MarriageCertificate => "marriage-certificate",
            DocumentKind::Medical => "medical",
            DocumentKind::Education => "education",
            DocumentKind::TravelTicket => "travel-ticket",
            DocumentKind::Other => "other",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for DocumentKind {
    type Err = Error;
    /// Accepts the stable names, case-insensitively, with `_` or ` ` for `-`.
    fn from_str(s: &str) -> Result<Self> {
        let norm = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == norm)
            .ok_or_else(|| {
                let names: Vec<&str> = DocumentKind::ALL.iter().map(|k| k.as_str()).collect();
                Error::invalid(format!(
                    "unknown document kind; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// What the person says about a document. Everything here is encrypted at
/// rest together; none of it is ever logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMetadata {
    /// What kind of paper this is.
    pub kind: DocumentKind,
    /// A title the person chose ("My passport").
    pub title: String,
    /// Issuing country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuing_country: Option<CountryCode>,
    /// Document number as printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The holder's name as printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    /// Date of issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<NaiveDate>,
    /// Date of expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    /// Free notes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Tags for the person's own grouping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// MIME type of the content (`image/jpeg`, `application/pdf`).
    pub mime_type: String,
}

/// Longest title, number, holder name or tag, in characters.
const MAX_SHORT_TEXT: usize = 200;
/// Longest notes, in characters.
const MAX_NOTES: usize = 10_000;
/// Most tags on one document.
const MAX_TAGS: usize = 32;

impl DocumentMetadata {
    /// Metadata with a kind and title; the rest empty and the MIME type
    /// `application/octet-stream`.
    pub fn new(kind: DocumentKind, title: impl Into<String>) -> Self {
        DocumentMetadata {
            kind,
            title: title.into(),
            issuing_country: None,
            number: None,
            holder_name: None,
            issued_on: None,
            expires_on: None,
            notes: String::new(),
            tags: Vec::new(),
            mime_type: "application/octet-stream".into(),
        }
    }

    /// Checks every field; the error names the field, never its value.
    pub fn validate(&self) -> Result<()> {
        let short = |name: &str, v: &str| -> Result<()> {
            if v.chars().count() > MAX_SHORT_TEXT {
                return Err(Error::invalid(format!(
                    "{name} is longer than {MAX_SHORT_TEXT} characters"
                )));
            }
            if v.chars().any(char::is_control) {
                return Err(Error::invalid(format!(
                    "{name} contains control characters"
                )));
            }
            Ok(())
        };
        if self.title.trim().is_empty() {
            return Err(Error::invalid("title is empty"));
        }
        short("title", &self.title)?;
        if let Some(n) = &self.number {
            short("document number", n)?;
        }
        if let Some(h) = &self.holder_name {
            short("holder name", h)?;
        }
        if self.notes.chars().count() > MAX_NOTES {
            return Err(Error::invalid(format!(
                "notes are longer than {MAX_NOTES} characters"
            )));
        }
        if self.tags.len() > MAX_TAGS {
            return Err(Error::invalid(format!("more than {MAX_TAGS} tags")));
        }
        for t in &self.tags {
            if t.trim().is_empty() {
                return Err(Error::invalid("a tag is empty"));
            }
            short("a tag", t)?;
        }
        if let (Some(i), Some(e)) = (self.issued_on, self.expires_on)
            && e < i
        {
            return Err(Error::invalid("expiry date is before issue date"));
        }
        let m = &self.mime_type;
        if !m.is_ascii()
            || m.len() > 127
            || m.split('/').count() != 2
            || m.contains(char::is_whitespace)
        {
            return Err(Error::invalid("MIME type must look like type/subtype"));
        }
        Ok(())
    }
}

/// A stored document as listed: metadata plus what the vault knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentInfo {
    /// The id to get, update or delete it with.
    pub id: DocumentId,
    /// The person's metadata.
    #[serde(flatten)]
    pub metadata: DocumentMetadata,
    /// Content size in bytes.
    pub size: u64,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it or its metadata last changed.
    pub updated_at: DateTime<Utc>,
}

/// A document whose expiry is near or past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiryReminder {
    /// The document.
    pub document: DocumentInfo,
    /// Its expiry date.
    pub expires_on: NaiveDate,
    /// Days from today to expiry: negative once expired, 0 on the last day.
    pub days_left: i64,
    /// True once the expiry date has passed.
    pub expired: bool,
}

/// MIME type guessed from a file name, for documents added from files.
pub fn mime_from_extension(path: &std::path::Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "gif" => "image/gif",
        "tif" | "tiff" => "image/tiff",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_their_names_and_friendly_spellings() {
        for k in DocumentKind::ALL {
            assert_eq!(k.as_str().parse::<DocumentKind>().unwrap(), k);
        }
        assert_eq!(
            "Residence_Permit".parse::<DocumentKind>().unwrap(),
            DocumentKind::ResidencePermit
        );
        let err = "passprt".parse::<DocumentKind>().unwrap_err().to_string();
        assert!(err.contains("passport, visa"), "{err}");
    }

    #[test]
    fn ids_round_trip_through_text() {
        let id = DocumentId([0xab; 16]);
        assert_eq!(id.to_string().parse::<DocumentId>().unwrap(), id);
        assert!("xyz".parse::<DocumentId>().is_err());
        assert!("+f".repeat(16).parse::<DocumentId>().is_err());
        assert!("é".repeat(16).parse::<DocumentId>().is_err());
    }

    #[test]
    fn validation_names_the_field_not_the_value() {
        let mut m = DocumentMetadata::new(DocumentKind::Passport, "P");
        m.holder_name = Some("Secret Name\u{7}".into());
        let err = m.validate().unwrap_err().to_string();
        assert!(err.contains("holder name"), "{err}");
        assert!(!err.contains("Secret"), "{err}");
        m.holder_name = None;
        m.issued_on = NaiveDate::from_ymd_opt(2020, 1, 2);
        m.expires_on = NaiveDate::from_ymd_opt(2019, 1, 2);
        assert!(m.validate().is_err());
    }
}
