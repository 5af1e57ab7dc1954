//! The vault's records as the apps see them, and their conversion to and
//! from the core's types.
//!
//! Dates the person enters (issue, expiry) are ISO 8601 calendar dates as
//! text (`2027-03-01`): they have no time zone, so a timestamp type would
//! invent one. Moments the vault records (added, changed) are timestamps.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use waymark_core::vault as core;

use crate::error::{Result, WaymarkError};
use crate::num::{int, long, unsigned_int};

/// What kind of paper a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
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

impl From<DocumentKind> for core::DocumentKind {
    fn from(k: DocumentKind) -> Self {
        match k {
            DocumentKind::Passport => core::DocumentKind::Passport,
            DocumentKind::Visa => core::DocumentKind::Visa,
            DocumentKind::ResidencePermit => core::DocumentKind::ResidencePermit,
            DocumentKind::NationalId => core::DocumentKind::NationalId,
            DocumentKind::BirthCertificate => core::DocumentKind::BirthCertificate,
            DocumentKind::MarriageCertificate => core::DocumentKind::MarriageCertificate,
            DocumentKind::Medical => core::DocumentKind::Medical,
            DocumentKind::Education => core::DocumentKind::Education,
            DocumentKind::TravelTicket => core::DocumentKind::TravelTicket,
            DocumentKind::Other => core::DocumentKind::Other,
        }
    }
}

impl From<core::DocumentKind> for DocumentKind {
    fn from(k: core::DocumentKind) -> Self {
        match k {
            core::DocumentKind::Passport => DocumentKind::Passport,
            core::DocumentKind::Visa => DocumentKind::Visa,
            core::DocumentKind::ResidencePermit => DocumentKind::ResidencePermit,
            core::DocumentKind::NationalId => DocumentKind::NationalId,
            core::DocumentKind::BirthCertificate => DocumentKind::BirthCertificate,
            core::DocumentKind::MarriageCertificate => DocumentKind::MarriageCertificate,
            core::DocumentKind::Medical => DocumentKind::Medical,
            core::DocumentKind::Education => DocumentKind::Education,
            core::DocumentKind::TravelTicket => DocumentKind::TravelTicket,
            core::DocumentKind::Other => DocumentKind::Other,
        }
    }
}

/// What the person records about a document. All of it is encrypted at
/// rest; none of it ever appears in an error.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DocumentMetadata {
    /// What kind of paper this is.
    pub kind: DocumentKind,
    /// A title the person chose ("My passport"); not empty.
    pub title: String,
    /// Issuing country, ISO 3166-1 alpha-2 (`ER`).
    #[uniffi(default = None)]
    pub issuing_country: Option<String>,
    /// Document number as printed.
    #[uniffi(default = None)]
    pub number: Option<String>,
    /// The holder's name as printed.
    #[uniffi(default = None)]
    pub holder_name: Option<String>,
    /// Date of issue, ISO 8601 (`2022-03-01`).
    #[uniffi(default = None)]
    pub issued_on: Option<String>,
    /// Date of expiry, ISO 8601 (`2032-02-28`).
    #[uniffi(default = None)]
    pub expires_on: Option<String>,
    /// Free notes.
    #[uniffi(default = "")]
    pub notes: String,
    /// Tags for the person's own grouping.
    #[uniffi(default = [])]
    pub tags: Vec<String>,
    /// MIME type of the content (`image/jpeg`, `application/pdf`). When
    /// adding from a file, `application/octet-stream` is replaced by a type
    /// guessed from the file's extension.
    #[uniffi(default = "application/octet-stream")]
    pub mime_type: String,
}

fn parse_date(field: &str, text: &Option<String>) -> Result<Option<NaiveDate>> {
    text.as_deref()
        .map(|t| {
            NaiveDate::from_str(t.trim()).map_err(|_| {
                WaymarkError::invalid(format!("{field} must be a date like 2027-03-01"))
            })
        })
        .transpose()
}

impl TryFrom<DocumentMetadata> for core::DocumentMetadata {
    type Error = WaymarkError;

    fn try_from(m: DocumentMetadata) -> Result<Self> {
        Ok(core::DocumentMetadata {
            kind: m.kind.into(),
            issuing_country: m
                .issuing_country
                .as_deref()
                .map(waymark_core::types::CountryCode::from_str)
                .transpose()?,
            issued_on: parse_date("issue date", &m.issued_on)?,
            expires_on: parse_date("expiry date", &m.expires_on)?,
            title: m.title,
            number: m.number,
            holder_name: m.holder_name,
            notes: m.notes,
            tags: m.tags,
            mime_type: m.mime_type,
        })
    }
}

impl From<core::DocumentMetadata> for DocumentMetadata {
    fn from(m: core::DocumentMetadata) -> Self {
        DocumentMetadata {
            kind: m.kind.into(),
            title: m.title,
            issuing_country: m.issuing_country.map(|c| c.to_string()),
            number: m.number,
            holder_name: m.holder_name,
            issued_on: m.issued_on.map(|d| d.to_string()),
            expires_on: m.expires_on.map(|d| d.to_string()),
            notes: m.notes,
            tags: m.tags,
            mime_type: m.mime_type,
        }
    }
}

/// A stored document as listed: its metadata and what the vault knows.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DocumentInfo {
    /// The id to read, update or delete it with (32 hexadecimal digits).
    pub id: String,
    /// The person's metadata.
    pub metadata: DocumentMetadata,
    /// Content size in bytes.
    pub size: i64,
    /// When it was added.
    pub created_at: SystemTime,
    /// When it or its metadata last changed.
    pub updated_at: SystemTime,
}

impl From<core::DocumentInfo> for DocumentInfo {
    fn from(d: core::DocumentInfo) -> Self {
        DocumentInfo {
            id: d.id.to_string(),
            metadata: d.metadata.into(),
            size: long(d.size),
            created_at: d.created_at.into(),
            updated_at: d.updated_at.into(),
        }
    }
}

/// A document whose expiry is near or past.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExpiryReminder {
    /// The document.
    pub document: DocumentInfo,
    /// Its expiry date, ISO 8601.
    pub expires_on: String,
    /// Days from today to expiry: negative once expired, 0 on the last day.
    pub days_left: i64,
    /// True once the expiry date has passed.
    pub expired: bool,
}

impl From<core::ExpiryReminder> for ExpiryReminder {
    fn from(r: core::ExpiryReminder) -> Self {
        ExpiryReminder {
            document: r.document.into(),
            expires_on: r.expires_on.to_string(),
            days_left: r.days_left,
            expired: r.expired,
        }
    }
}

/// Argon2id parameters for a new vault. The default (`null`/`nil`) is the
/// tuned setting for phones (64 MiB, 3 passes); lighter settings exist for
/// tests only and MUST NOT be used for a real vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct KdfParams {
    /// Memory in KiB (8 to 1,048,576).
    pub memory_kib: i32,
    /// Passes over the memory (1 to 64).
    pub iterations: i32,
    /// Lanes (1 to 16).
    pub parallelism: i32,
}

/// Negative numbers are refused here; the core checks the ranges.
impl TryFrom<KdfParams> for core::KdfParams {
    type Error = WaymarkError;

    fn try_from(k: KdfParams) -> Result<Self> {
        Ok(core::KdfParams {
            memory_kib: unsigned_int("the KDF memory", k.memory_kib)?,
            iterations: unsigned_int("the KDF iterations", k.iterations)?,
            parallelism: unsigned_int("the KDF parallelism", k.parallelism)?,
        })
    }
}

impl From<core::KdfParams> for KdfParams {
    fn from(k: core::KdfParams) -> Self {
        KdfParams {
            memory_kib: int(k.memory_kib),
            iterations: int(k.iterations),
            parallelism: int(k.parallelism),
        }
    }
}

/// The person's vault settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct VaultSettings {
    /// The vault locks after this long without use.
    pub auto_lock: Duration,
    /// The vault wipes itself after this many failed attempts in a row
    /// (`null`/`nil`: never).
    pub wipe_after_failures: Option<i32>,
}

impl From<core::VaultSettings> for VaultSettings {
    fn from(s: core::VaultSettings) -> Self {
        VaultSettings {
            auto_lock: s.auto_lock,
            wipe_after_failures: s.wipe_after_failures.map(int),
        }
    }
}

/// Parses a document id as the apps hold it.
pub(crate) fn document_id(id: &str) -> Result<core::DocumentId> {
    Ok(id.parse()?)
}
