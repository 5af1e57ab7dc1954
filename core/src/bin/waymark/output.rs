//! Human and JSON output.

use serde::Serialize;
use waymark_core::vault::{DocumentInfo, ExpiryReminder};

use crate::Report;

/// Prints `value` as pretty JSON on stdout.
pub fn json(value: &impl Serialize) -> Result<(), Report> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `90s`, `5 min`, `2 h`: as the error renderer words waits.
pub use waymark_core::error::human_duration;

/// `12 KB`, `3.4 MB`.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{} KB", b.div_ceil(1000)),
        b => format!("{:.1} MB", b as f64 / 1e6),
    }
}

/// One line per document: id, kind, country, expiry, size, title.
pub fn document_line(d: &DocumentInfo) -> String {
    let m = &d.metadata;
    format!(
        "{}  {:<20}  {:<2}  {:<10}  {:>8}  {}",
        d.id,
        m.kind,
        m.issuing_country
            .map(|c| c.to_string())
            .unwrap_or_else(|| "--".into()),
        m.expires_on
            .map(|e| e.to_string())
            .unwrap_or_else(|| "-".into()),
        human_size(d.size),
        m.title
    )
}

/// One line per reminder: when, then the document.
pub fn reminder_line(r: &ExpiryReminder) -> String {
    let when = match r.days_left {
        d if d < -1 => format!("EXPIRED {} days ago", -d),
        -1 => "EXPIRED yesterday".into(),
        0 => "expires TODAY".into(),
        1 => "expires tomorrow".into(),
        d => format!("expires in {d} days"),
    };
    format!(
        "{when:<20}  {}  {}  {:<20}  {}",
        r.expires_on, r.document.id, r.document.metadata.kind, r.document.metadata.title
    )
}

/// "3 services updated, 1 alert added, 2 articles removed" (with up to
/// five ids of each), or "no entries changed".
pub fn changes_line(c: &waymark_core::content::PackChanges) -> String {
    let mut parts = Vec::new();
    for k in &c.kinds {
        let plural = match k.kind.as_str() {
            "country" => "countries",
            "service" => "services",
            "article" => "articles",
            "route" => "routes",
            _ => "alerts",
        };
        for (n, what, ids) in [
            (k.added, "added", &k.added_ids),
            (k.changed, "updated", &k.changed_ids),
            (k.removed, "removed", &k.removed_ids),
        ] {
            if n == 0 {
                continue;
            }
            let noun = if n == 1 { k.kind.as_str() } else { plural };
            let more = if n > ids.len() as u64 { ", …" } else { "" };
            parts.push(format!("{n} {noun} {what} ({}{more})", ids.join(", ")));
        }
    }
    if parts.is_empty() {
        "no entries changed".to_owned()
    } else {
        parts.join(", ")
    }
}
