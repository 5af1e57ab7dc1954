//! Swift error cases in lowerCamelCase.
//!
//! uniffi 0.32 writes the cases of an error enum in UpperCamelCase
//! (`WaymarkError.Locked`), unlike every other enum (`Network.metered`)
//! and unlike Swift's own errors (`CocoaError.fileNoSuchFile`); it has no
//! setting for it (mozilla/uniffi-rs#2262, open). This rewrites the
//! generated Swift: in each `enum E: Swift.Error` and its
//! `FfiConverterTypeE`, every case `V` becomes `v` (keywords in
//! backticks). Nothing else in the file names those cases. The rewrite is
//! deterministic, so `scripts/swift-test --check-generated` still compares
//! like with like.

/// Swift keywords a case name may collide with once lowered.
const KEYWORDS: &[&str] = &[
    "associatedtype",
    "class",
    "default",
    "deinit",
    "enum",
    "extension",
    "fileprivate",
    "func",
    "import",
    "init",
    "inout",
    "internal",
    "let",
    "open",
    "operator",
    "private",
    "protocol",
    "public",
    "repeat",
    "return",
    "static",
    "struct",
    "subscript",
    "switch",
    "typealias",
    "var",
    "where",
    "while",
];

/// `source` with every error enum's cases in lowerCamelCase.
pub fn lower_camel_error_cases(source: &str) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = line
            .strip_prefix("enum ")
            .and_then(|rest| rest.split_once(": Swift.Error"))
            .map(|(name, _)| name.trim())
        else {
            continue;
        };
        let enum_block = block(&lines, start);
        let cases: Vec<&str> = lines[enum_block.clone()]
            .iter()
            .filter_map(|l| l.strip_prefix("    case "))
            .map(|rest| {
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("")
            })
            .filter(|c| c.starts_with(|c: char| c.is_ascii_uppercase()))
            .collect();
        let converter = format!("public struct FfiConverterType{name}: ");
        let converter_block = lines
            .iter()
            .position(|l| l.starts_with(&converter))
            .map(|at| block(&lines, at));
        for range in std::iter::once(enum_block).chain(converter_block) {
            for i in range {
                for case in &cases {
                    out[i] = rename(&out[i], case);
                }
            }
        }
    }
    let mut joined = out.join("\n");
    if source.ends_with('\n') {
        joined.push('\n');
    }
    joined
}

/// The lines from `start` to the first `}` in column 0 after it.
fn block(lines: &[&str], start: usize) -> std::ops::Range<usize> {
    let end = lines[start..]
        .iter()
        .position(|l| l.starts_with('}'))
        .map_or(lines.len(), |n| start + n + 1);
    start..end
}

/// `line` with the case `case_name` renamed where it is declared (`case V`)
/// or used (`.V`).
fn rename(line: &str, case_name: &str) -> String {
    let lowered = lower_first(case_name);
    let quoted = if KEYWORDS.contains(&lowered.as_str()) {
        format!("`{lowered}`")
    } else {
        lowered
    };
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = find_token(rest, case_name) {
        out.push_str(&rest[..at]);
        out.push_str(&quoted);
        rest = &rest[at + case_name.len()..];
    }
    out.push_str(rest);
    out
}

/// Where `name` occurs in `s` as a whole word right after `.` or `case `.
fn find_token(s: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = s[from..].find(name) {
        let at = from + found;
        let before = &s[..at];
        let after = s[at + name.len()..].chars().next();
        let whole = !after.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if whole && (before.ends_with('.') || before.trim() == "case" && before.ends_with(" ")) {
            return Some(at);
        }
        from = at + name.len();
    }
    None
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = "\
public
enum WaymarkError: Swift.Error, Equatable {
    case Locked
    case WrongPassphrase(
        attempts: Int32
    )
    case Internal(
        reason: String
    )
}

public struct FfiConverterTypeWaymarkError: FfiConverterRustBuffer {
    static func read() -> WaymarkError {
        case 1: return .Locked
        case 2: return .WrongPassphrase(
        case 3: return .Internal(
    }
    static func write(_ value: WaymarkError) {
        case .Locked:
        case let .WrongPassphrase(attempts):
        case let .Internal(reason):
    }
}

public enum Network {
    case Locked
}
let network: Network = .Locked
";

    #[test]
    fn error_cases_are_lowered_where_declared_and_used_and_nowhere_else() {
        let swift = lower_camel_error_cases(GENERATED);
        assert!(swift.contains("    case locked\n"));
        assert!(swift.contains("    case wrongPassphrase(\n"));
        assert!(swift.contains("    case `internal`(\n"));
        assert!(swift.contains("case 1: return .locked\n"));
        assert!(swift.contains("case 3: return .`internal`(\n"));
        assert!(swift.contains("case let .wrongPassphrase(attempts):"));
        assert!(swift.contains("case .locked:"));
        assert!(
            swift.contains("struct FfiConverterTypeWaymarkError"),
            "type names stay"
        );
        // Another enum and its uses are left alone.
        assert!(swift.contains(
            "public enum Network {\n    case Locked\n}\nlet network: Network = .Locked\n"
        ));
    }

    #[test]
    fn the_rewrite_is_stable() {
        let once = lower_camel_error_cases(GENERATED);
        assert_eq!(lower_camel_error_cases(&once), once);
    }
}
