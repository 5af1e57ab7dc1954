//! Where secrets come from: an environment variable, else a prompt without
//! echo on the terminal. Never from command-line arguments.

use std::io::IsTerminal;

use zeroize::Zeroizing;

use crate::{Report, fail};

/// The current passphrase.
pub const PASSPHRASE: &str = "WAYMARK_PASSPHRASE";
/// A new passphrase (`passwd`, `recover`).
pub const NEW_PASSPHRASE: &str = "WAYMARK_NEW_PASSPHRASE";
/// The duress passphrase (`duress`).
pub const DURESS_PASSPHRASE: &str = "WAYMARK_DURESS_PASSPHRASE";
/// The recovery code (`recover`).
pub const RECOVERY_CODE: &str = "WAYMARK_RECOVERY_CODE";

/// Reads `var`, else prompts with `prompt`; with `confirm`, a prompt asks
/// twice and the answers must match. An empty variable counts as unset (no
/// passphrase is empty, and trying one would cost a counted attempt).
pub fn secret(var: &str, prompt: &str, confirm: bool) -> Result<Zeroizing<String>, Report> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => return Ok(Zeroizing::new(value)),
        Ok(_) => {}
        Err(std::env::VarError::NotUnicode(_)) => {
            return fail(format!("{var} is not valid UTF-8"));
        }
        Err(std::env::VarError::NotPresent) => {}
    }
    if !std::io::stdin().is_terminal() {
        return fail(format!("set {var} or run in a terminal to be asked"));
    }
    let first = Zeroizing::new(rpassword::prompt_password(format!("{prompt}: "))?);
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password(format!("{prompt} (again): "))?);
        if *first != *again {
            return fail("the two entries differ; nothing was changed");
        }
    }
    Ok(first)
}

/// The current passphrase.
pub fn passphrase() -> Result<Zeroizing<String>, Report> {
    secret(PASSPHRASE, "Passphrase", false)
}
