//! What the two binaries share: the rewrite of uniffi's generated Swift.
//!
//! `uniffi-bindgen generate --language swift` and `uniffi-bindgen-swift
//! --swift-sources` both write Swift that uniffi 0.32 gives UpperCamelCase
//! error cases; each binary then runs [`rewrite_swift`] over its output
//! directory, so the committed Swift is the same whichever generated it.

pub mod swift_errors;

use std::path::{Path, PathBuf};

/// The options of `uniffi-bindgen-swift` (uniffi 0.32.2, `cli/swift.rs`)
/// that take a value: the word after them is not a positional argument.
const SWIFT_VALUE_OPTIONS: &[&str] = &[
    "--module-name",
    "--modulemap-filename",
    "--link-frameworks",
    "--config",
    "-c",
];

/// Applies [`swift_errors::lower_camel_error_cases`] to every `.swift`
/// file in `dir`.
pub fn rewrite_swift(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "swift") {
            let source = std::fs::read_to_string(&path)?;
            let rewritten = swift_errors::lower_camel_error_cases(&source);
            if rewritten != source {
                std::fs::write(&path, rewritten)?;
            }
        }
    }
    Ok(())
}

/// Where `uniffi-bindgen-swift`, called with `args` (without the program
/// name), wrote Swift sources: its second positional argument, when
/// `--swift-sources` was given; `None` when it wrote none.
pub fn swift_sources_dir(args: &[String]) -> Option<PathBuf> {
    let mut positional = Vec::new();
    let mut swift_sources = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            positional.extend(rest.by_ref());
            break;
        }
        if arg == "--swift-sources" {
            swift_sources = true;
        } else if SWIFT_VALUE_OPTIONS.contains(&arg.as_str()) {
            rest.next();
        } else if !arg.starts_with('-') {
            positional.push(arg);
        }
    }
    positional
        .get(1)
        .filter(|_| swift_sources)
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_output_directory_is_the_second_positional_argument() {
        // As scripts/swift-test and scripts/ios-release call it.
        let line = "--swift-sources --headers --modulemap --xcframework \
            --module-name WaymarkFFI --modulemap-filename module.modulemap \
            --config bindings/swift/uniffi-swift.toml libwaymark_ffi.a out";
        assert_eq!(swift_sources_dir(&args(line)), Some(PathBuf::from("out")));
        let options_last = "lib.so out --config c.toml --swift-sources -c d.toml";
        assert_eq!(
            swift_sources_dir(&args(options_last)),
            Some(PathBuf::from("out"))
        );
    }

    #[test]
    fn nothing_is_rewritten_without_swift_sources() {
        let line = "--headers --modulemap --module-name WaymarkFFI lib.so out";
        assert_eq!(swift_sources_dir(&args(line)), None);
    }
}
