//! A recovery code as a person types it: any text. Parsed or refused with
//! a clear error, never a panic; a code that parses prints back to a code
//! that parses to the same key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_core::vault::RecoveryCode;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(code) = RecoveryCode::parse(&text) {
        let printed = code.to_string();
        let again = RecoveryCode::parse(&printed).expect("a printed code parses");
        assert_eq!(again.to_string(), printed);
    }
});
