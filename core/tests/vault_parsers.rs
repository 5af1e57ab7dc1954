//! Property tests for every parser of bytes or text that may be untrusted
//! or mistyped: recovery codes, envelopes, stream headers, ids and codes.

use proptest::prelude::*;
use waymark_core::types::CountryCode;
use waymark_core::vault::crypto::{self, SecretKey, StreamHeader};
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
    fn arbitrary_bytes_never_open_as_an_envelope(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let key = SecretKey::random().unwrap();
        prop_assert!(crypto::open(&key, b"aad", &bytes, "test").is_err());
    }

    #[test]
    fn envelopes_round_trip_any_plaintext(
        plain in prop::collection::vec(any::<u8>(), 0..2000),
        aad in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let key = SecretKey::random().unwrap();
        let sealed = crypto::seal(&key, &aad, &plain).unwrap();
        prop_assert_eq!(&crypto::open(&key, &aad, &sealed, "test").unwrap()[..], &plain[..]);
    }

    #[test]
    fn stream_headers_parse_only_their_own_shape(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        let parsed = StreamHeader::from_bytes(&bytes);
        prop_assert_eq!(parsed.is_ok(), bytes.len() == 20 && bytes[0] == 1);
        if let Ok(h) = parsed {
            prop_assert_eq!(h.to_bytes(), bytes);
        }
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
