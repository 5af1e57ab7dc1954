//! `uniffi-bindgen-swift`, pinned like `uniffi-bindgen`: uniffi's Swift
//! generator with the options the generic CLI lacks, the C header and the
//! module map (`--headers --modulemap --xcframework --module-name
//! --modulemap-filename`). `scripts/swift-generate` runs it for the Swift
//! package and `scripts/ios-release` for the XCFramework.

fn main() {
    uniffi::uniffi_bindgen_swift()
}
