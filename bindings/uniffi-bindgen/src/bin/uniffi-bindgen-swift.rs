//! `uniffi-bindgen-swift`, pinned like `uniffi-bindgen`: uniffi's Swift
//! generator with the options the generic CLI lacks, the C header and the
//! module map (`--headers --modulemap --xcframework --module-name
//! --modulemap-filename`). `scripts/swift-test` runs it for the Swift
//! package and `scripts/ios-release` for the XCFramework.
//!
//! Like `uniffi-bindgen generate --language swift`, it then rewrites the
//! Swift it wrote so that error cases are lowerCamelCase
//! (`WaymarkError.locked`): see [`waymark_uniffi_bindgen::swift_errors`].

fn main() {
    // Exits on failure; returns once the files are written.
    uniffi::uniffi_bindgen_swift();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(dir) = waymark_uniffi_bindgen::swift_sources_dir(&args)
        && let Err(e) = waymark_uniffi_bindgen::rewrite_swift(&dir)
    {
        eprintln!("rewriting the generated Swift: {e}");
        std::process::exit(1);
    }
}
