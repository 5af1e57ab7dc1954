//! The keys each YAML file and front matter may hold, so that a misspelt
//! key (`valid_untill`) is an error with the nearest known key suggested,
//! not a field silently left out. Translation maps (language → text) are
//! left to the language checks.

use serde_json::Value;

use super::checks::did_you_mean;

/// What a YAML value may hold.
pub(super) enum Shape {
    /// A mapping with these keys, each with its own shape.
    Map(&'static [(&'static str, Shape)]),
    /// A list of values of one shape.
    List(&'static Shape),
    /// Anything (checked when parsed).
    Any,
}

use Shape::{Any, List, Map};

const POINT: Shape = Map(&[("lat", Any), ("lon", Any)]);
const PLACE: Shape = Map(&[("name", Any), ("country", Any), ("location", POINT)]);
const SEGMENT: Shape = Map(&[
    ("from", PLACE),
    ("to", PLACE),
    ("mode", Any),
    ("notes", Any),
    ("risks", Any),
    ("border_crossing", Any),
]);

/// An article's front matter.
pub(super) const FRONT_MATTER: Shape = Map(&[
    ("id", Any),
    ("title", Any),
    ("language", Any),
    ("countries", Any),
    ("topics", Any),
    ("verified", Any),
    ("expires", Any),
]);

/// `alerts/*.yaml`.
pub(super) const ALERT: Shape = Map(&[
    ("id", Any),
    ("severity", Any),
    ("title", Any),
    ("body", Any),
    ("area", Map(&[("countries", Any), ("bbox", Any)])),
    ("valid_from", Any),
    ("valid_until", Any),
    ("verified", Any),
]);

/// `routes/*.yaml`.
pub(super) const ROUTE: Shape = Map(&[
    ("id", Any),
    ("name", Any),
    ("segments", List(&SEGMENT)),
    ("verified", Any),
]);

/// `countries/*.yaml`.
pub(super) const COUNTRY: Shape = Map(&[
    ("code", Any),
    ("name", Any),
    (
        "emergency",
        List(&Map(&[("service", Any), ("number", Any)])),
    ),
    (
        "missions",
        List(&Map(&[
            ("kind", Any),
            ("of_country", Any),
            ("city", Any),
            ("address", Any),
            ("phone", Any),
            ("url", Any),
        ])),
    ),
    ("asylum", Any),
    ("rights", Any),
    ("links", List(&Map(&[("title", Any), ("url", Any)]))),
    ("verified", Any),
]);

/// Unknown keys in `v`: (key, message), in document order of discovery.
pub(super) fn unknown_keys(shape: &Shape, v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(shape, v, "", &mut out);
    out
}

fn walk(shape: &Shape, v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match (shape, v) {
        (Map(keys), Value::Object(m)) => {
            for (k, child) in m {
                match keys.iter().find(|(name, _)| name == k) {
                    Some((_, s)) => walk(s, child, &format!("{path}{k}."), out),
                    None => {
                        let known: Vec<&str> = keys.iter().map(|(n, _)| *n).collect();
                        let hint = did_you_mean(k, known.iter().copied());
                        let list = if hint.is_empty() {
                            format!("; known keys here: {}", known.join(", "))
                        } else {
                            String::new()
                        };
                        out.push((k.clone(), format!("unknown key '{path}{k}'{hint}{list}")));
                    }
                }
            }
        }
        (List(item), Value::Array(items)) => {
            for i in items {
                walk(item, i, path, out);
            }
        }
        _ => {}
    }
}

/// A YAML or TOML parse message made plainer: an unknown key gets the
/// nearest known one, a date says its format, a missing key says it is
/// required.
pub(super) fn explain(message: &str) -> String {
    const DATE_ERRORS: &[&str] = &[
        "premature end of input",
        "input contains invalid characters",
        "input is out of range",
        "trailing input",
        "input is not enough",
        "no possible date and time",
    ];
    if DATE_ERRORS.iter().any(|e| message.contains(e)) {
        return format!(
            "{message}: dates are written YYYY-MM-DD (e.g. 2026-11-30), alert times YYYY-MM-DDTHH:MM:SSZ (e.g. 2026-11-30T08:00:00Z)"
        );
    }
    if let Some(rest) = message.split("unknown field `").nth(1) {
        let field = rest.split('`').next().unwrap_or(rest);
        let known: Vec<&str> = rest
            .split("expected one of ")
            .nth(1)
            .map(|list| list.split(", ").map(|k| k.trim_matches('`')).collect())
            .unwrap_or_default();
        let hint = did_you_mean(field, known.iter().copied());
        let list = if hint.is_empty() && !known.is_empty() {
            format!("; known keys here: {}", known.join(", "))
        } else {
            String::new()
        };
        return format!("unknown key '{field}'{hint}{list}");
    }
    if let Some(rest) = message.split("missing field `").nth(1) {
        let field = rest.split('`').next().unwrap_or(rest);
        return format!("'{field}' is required but missing");
    }
    message.to_owned()
}
