//! Property tests for every parser of bytes or text that may be untrusted
//! or mistyped: recovery codes, ids and codes. Those of envelopes and stream
//! headers are in `src/vault/crypto.rs` (`parser_tests`), beside the private
//! code they test.

use proptest::prelude::*;
use waymark_core::types::CountryCode;
use waymark_core::vault::{DocumentId, DocumentKind, RecoveryCode};

proptest! {
    #[test]
    fn recovery_code_parsing_never_panics(text in "\\PC{0,64}") {
        let _ = RecoveryCode::parse(&text);
    }

    #[test]
    fn a_code_survives_how_people_type_it(
        lower in any::<bool>(),
        sep in prop::sample::select(vec!["-", " ", "", "  ", " - "]),
    ) {
        let code = RecoveryCode::generate().unwrap();
        let printed = code.to_string();
        let mut typed = printed.split('-').collect::<Vec<_>>().join(sep);
        if lower {
            typed = typed.to_lowercase();
        }
        prop_assert_eq!(RecoveryCode::parse(&typed).unwrap().to_string(), printed);
    }

    #[test]
    fn ids_kinds_and_countries_parse_without_panicking(text in "\\PC{0,40}") {
        if let Ok(id) = text.parse::<DocumentId>() {
            prop_assert_eq!(id.to_string(), text.to_lowercase());
        }
        let _ = text.parse::<DocumentKind>();
        if let Ok(c) = text.parse::<CountryCode>() {
            prop_assert_eq!(c.as_str().len(), 2);
        }
    }
}
