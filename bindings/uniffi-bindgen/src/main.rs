//! `uniffi-bindgen`, pinned to the uniffi version of `waymark-ffi`.
//!
//! Generates Kotlin and Swift from the compiled library (library mode):
//! `cargo run -p uniffi-bindgen -- generate --library libwaymark_ffi.so --language kotlin --out-dir OUT`.
//! Run it on the unstripped library: the bindings are read from metadata
//! symbols that stripping removes.

fn main() {
    uniffi::uniffi_bindgen_main()
}
