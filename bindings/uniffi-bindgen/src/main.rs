//! `uniffi-bindgen`, pinned to the uniffi version of `waymark-ffi`.
//!
//! Generates Kotlin and Swift from the compiled library (library mode):
//! `cargo run -p uniffi-bindgen -- generate --library libwaymark_ffi.so --language kotlin --out-dir OUT`.
//! Run it on the unstripped library: the bindings are read from metadata
//! symbols that stripping removes.
//!
//! Swift output is then rewritten so that error cases read as Swift's do
//! (`WaymarkError.locked`, not `.Locked`): see
//! [`waymark_uniffi_bindgen::swift_errors`].

use std::path::PathBuf;

use waymark_uniffi_bindgen::rewrite_swift;

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
