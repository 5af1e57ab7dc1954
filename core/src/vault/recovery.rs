//! The recovery code: shown once when a vault is created, it opens the vault
//! when the passphrase is forgotten.
//!
//! A code is 128 random bits followed by a 32-bit checksum (the first four
//! bytes of their SHA-256), written in Crockford's base32 as eight groups of
//! four characters, e.g. `7KQ2-9XWM-…`. Crockford's alphabet has no I, L, O
//! or U, reading is case-insensitive and forgives `I`/`L` for `1` and `O` for
//! `0`, and the checksum catches a mistyped character before any key is
//! derived. 128 bits cannot be guessed, so the code needs no slow KDF and no
//! attempt counter: HKDF turns it into the key that unwraps the data key.

use base32::Alphabet::Crockford;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::crypto::{SecretKey, derive_key, random_bytes};
use super::labels::RECOVERY_SLOT_KEY_INFO;
use crate::error::{Error, Result};

const SECRET_LEN: usize = 16;
const CHECK_LEN: usize = 4;
const GROUP: usize = 4;
/// Characters in a code, without separators.
const CODE_CHARS: usize = (SECRET_LEN + CHECK_LEN) * 8 / 5;

/// A recovery code. Printable with `Display`; zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryCode {
    secret: [u8; SECRET_LEN],
}

impl RecoveryCode {
    /// A fresh random code.
    pub fn generate() -> Result<Self> {
        Ok(RecoveryCode {
            secret: random_bytes()?,
        })
    }

    /// Parses a code as a person would type it: any case, with or without
    /// dashes or spaces.
    ///
    /// ```
    /// # use waymark_core::vault::RecoveryCode;
    /// let code = RecoveryCode::generate().unwrap();
    /// let typed = code.to_string().to_lowercase().replace('-', " ");
    /// assert_eq!(RecoveryCode::parse(&typed).unwrap().to_string(), code.to_string());
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let compact: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect(),
        );
        if compact.chars().count() != CODE_CHARS {
            return Err(Error::MalformedRecoveryCode("it must have 32 characters"));
        }
        // Crockford's decoding: any case, `I`/`L` read as `1`, `O` as `0`.
        let raw = Zeroizing::new(base32::decode(Crockford, &compact).ok_or(
            Error::MalformedRecoveryCode("it contains a character that is not allowed"),
        )?);
        let (secret, check) = raw.split_at(SECRET_LEN);
        if check != checksum(secret) {
            return Err(Error::MalformedRecoveryCode("a character is mistyped"));
        }
        Ok(RecoveryCode {
            secret: secret.try_into().expect("split at SECRET_LEN"),
        })
    }

    /// The key that wraps the data key in the recovery slot.
    pub(crate) fn wrapping_key(&self) -> SecretKey {
        derive_key(&self.secret, RECOVERY_SLOT_KEY_INFO)
    }
}

fn checksum(secret: &[u8]) -> [u8; CHECK_LEN] {
    let digest = Sha256::digest(secret);
    let mut out = [0u8; CHECK_LEN];
    out.copy_from_slice(&digest[..CHECK_LEN]);
    out
}

impl std::fmt::Display for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut raw = Zeroizing::new([0u8; SECRET_LEN + CHECK_LEN]);
        raw[..SECRET_LEN].copy_from_slice(&self.secret);
        raw[SECRET_LEN..].copy_from_slice(&checksum(&self.secret));
        let text = Zeroizing::new(base32::encode(Crockford, raw.as_ref()));
        for (i, group) in text.as_bytes().chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(std::str::from_utf8(group).expect("base32 is ASCII"))?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_prints_as_eight_groups_and_parses_back() {
        let code = RecoveryCode::generate().unwrap();
        let text = code.to_string();
        assert_eq!(text.len(), 8 * 4 + 7, "{text}");
        assert_eq!(text.split('-').count(), 8);
        let back = RecoveryCode::parse(&text).unwrap();
        assert_eq!(back.secret, code.secret);
    }

    #[test]
    fn confusable_letters_are_read_as_digits() {
        let code = RecoveryCode::generate().unwrap();
        let text = code.to_string().replace('0', "o").replace('1', "l");
        assert_eq!(RecoveryCode::parse(&text).unwrap().secret, code.secret);
    }

    #[test]
    fn a_single_typo_is_caught_by_the_checksum() {
        let code = RecoveryCode::generate().unwrap().to_string();
        let mut chars: Vec<char> = code.chars().collect();
        chars[0] = if chars[0] == 'Z' { 'Y' } else { 'Z' };
        let typo: String = chars.into_iter().collect();
        assert!(matches!(
            RecoveryCode::parse(&typo),
            Err(Error::MalformedRecoveryCode(_))
        ));
        assert!(RecoveryCode::parse("ABCD-EFGH").is_err());
        let with_u = format!("U{}", &code[1..]);
        assert!(
            RecoveryCode::parse(&with_u).is_err(),
            "U is not in the alphabet"
        );
    }
}
