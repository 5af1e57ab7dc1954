//! `uniffi-bindgen`, pinned to the uniffi version of `waymark-ffi`.
//!
//! Generates Kotlin and Swift from the compiled library (library mode):
//! `cargo run -p uniffi-bindgen -- generate --library libwaymark_ffi.so --language kotlin --out-dir OUT`.
//! Run it on the unstripped library: the bindings are read from metadata
//! symbols that stripping removes.
//!
//! Swift output is then rewritten so that error cases read as Swift's do
//! (`WaymarkError.locked`, not `.Locked`): see [`swift_errors`].

mod swift_errors;

use std::path::PathBuf;

fn main() {
    uniffi::uniffi_bindgen_main();
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str, short: &str| {
        args.iter()
            .position(|a| a == flag || a == short)
            .and_then(|i| args.get(i + 1))
    };
    let swift = args.iter().any(|a| a == "generate")
        && args
            .windows(2)
            .any(|w| (w[0] == "--language" || w[0] == "-l") && w[1] == "swift");
    if let (true, Some(out)) = (swift, value("--out-dir", "-o"))
        && let Err(e) = rewrite_swift(&PathBuf::from(out))
    {
        eprintln!("rewriting the generated Swift: {e}");
        std::process::exit(1);
    }
}

/// Applies [`swift_errors::lower_camel_error_cases`] to every `.swift`
/// file in `dir`.
fn rewrite_swift(dir: &std::path::Path) -> std::io::Result<()> {
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
