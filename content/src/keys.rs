//! Signing keys: one per TUF role.
//!
//! Where a role's key comes from, first match:
//!
//! 1. a signing command (`--sign-command ROLE=CMD`, or the environment
//!    variable `WAYMARK_PACK_SIGN_COMMAND_<ROLE>`), with the role's public
//!    key in `--key ROLE=FILE` or `KEYDIR/ROLE.pub` (PEM): for a key on a
//!    hardware token or in a cloud KMS, which `waymark-pack` never sees;
//! 2. `--key ROLE=FILE`, else `KEYDIR/ROLE.key`: a private key file;
//! 3. `KEYDIR/ROLE.pub` alone: the public key only. The repository can name
//!    the key, and nothing needs its signature until, say, the root is
//!    re-signed: then `waymark-pack` asks for the private key or a command.
//!
//! Key types: ed25519, ECDSA P-256 (`ecdsa-sha2-nistp256`) and RSA
//! (`rsassa-pss-sha256`, 2048 bits or more), the three python-tuf signs
//! with and the Waymark app verifies.
//!
//! A private key file is either securesystemslib's JSON layout (`keytype`,
//! `scheme`, `keyval.public`, `keyval.private`: hex for ed25519, PKCS#8 PEM
//! for ECDSA and RSA), as `keygen` writes it, so keys move between
//! `waymark-pack` and python-tuf tooling; or a PEM private key: PKCS#8
//! (`BEGIN PRIVATE KEY`: any of the three), SEC1 (`BEGIN EC PRIVATE KEY`)
//! or PKCS#1 (`BEGIN RSA PRIVATE KEY`), or an encrypted PKCS#8 PEM (below).
//! Private keys and passphrases are never printed.
//!
//! A signing command runs through the shell (`sh -c`), reads the exact
//! bytes to sign (canonical JSON) on its standard input and prints the
//! signature on its standard output, as hex or as base64 (whitespace
//! ignored; read as hex when it is nothing but hex digits). ECDSA
//! signatures may be DER (as OpenSSL prints them) or the 64 bytes r‖s (as
//! PKCS#11 tokens return them). Its standard error goes to the terminal (for PIN prompts and messages), and it finds
//! `WAYMARK_PACK_ROLE` and `WAYMARK_PACK_KEYID` in its environment. Every
//! signature, from a command or not, is verified against the role's public
//! key before anything is written.
//!
//! A private key file may be passphrase-encrypted (`keygen --encrypt`): an
//! encrypted PKCS#8 PEM (`BEGIN ENCRYPTED PRIVATE KEY`; PBES2, scrypt,
//! AES-256-CBC, as OpenSSL reads it). The passphrase comes from
//! `WAYMARK_PACK_KEY_PASSPHRASE`, else a prompt on the terminal; a key is
//! opened only when its role must sign.
//!
//! A rotated-out key is moved into `KEYDIR/retired/` (`ROLE.vN.key`,
//! `ROLE.vN.pub`, and a note `ROLE.vN.txt`; N = the last root version that
//! named it), where nothing loads it as a live key.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use serde::{Deserialize, Serialize};
use waymark_core::tuf::{Envelope, Key, SignatureEntry, canonical_json};

use crate::{Report, fail};

/// The four top-level roles.
pub const ROLES: [&str; 4] = ["root", "targets", "snapshot", "timestamp"];

/// The environment variable naming `role`'s signing command.
pub fn command_variable(role: &str) -> String {
    format!("WAYMARK_PACK_SIGN_COMMAND_{}", role.to_ascii_uppercase())
}

/// The size of the RSA keys `keygen` makes, as securesystemslib's.
const RSA_BITS: usize = 3072;

/// The salt length of the RSA-PSS signatures `waymark-pack` makes: the
/// digest's, as securesystemslib signs.
const RSA_PSS_SALT: usize = 32;

/// The kinds of key `keygen` and `rotate-key` make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyType {
    /// Ed25519 (scheme `ed25519`).
    Ed25519,
    /// ECDSA on P-256 with SHA-256 (scheme `ecdsa-sha2-nistp256`), as
    /// hardware tokens and cloud KMS sign.
    Ecdsa,
    /// RSA, 3072 bits, RSASSA-PSS with SHA-256 (scheme
    /// `rsassa-pss-sha256`), as securesystemslib makes them.
    Rsa,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    keytype: String,
    scheme: String,
    keyval: KeyVal,
}

#[derive(Serialize, Deserialize)]
struct KeyVal {
    public: String,
    private: String,
}

/// A private key `waymark-pack` holds.
pub enum Private {
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// ECDSA P-256.
    Ecdsa(p256::ecdsa::SigningKey),
    /// RSA (RSASSA-PSS).
    Rsa(Box<rsa::PrivateKey>),
}

impl Private {
    /// A fresh key from the operating system's random generator.
    pub fn generate(kind: KeyType) -> Result<Self, Report> {
        let random = |e: &dyn std::fmt::Display| {
            Report::message(format!("the system's random generator failed: {e}"))
        };
        Ok(match kind {
            KeyType::Ed25519 => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| random(&e))?;
                Private::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
            }
            KeyType::Ecdsa => {
                let mut seed = [0u8; 32];
                // A random 32-byte string is a valid scalar but for about
                // 2^-32 of them (0 or above the group order): draw again.
                loop {
                    getrandom::fill(&mut seed).map_err(|e| random(&e))?;
                    if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&seed) {
                        break Private::Ecdsa(key);
                    }
                }
            }
            KeyType::Rsa => Private::Rsa(Box::new(
                rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS).map_err(|e| random(&e))?,
            )),
        })
    }

    /// Its type.
    #[cfg(test)]
    fn kind(&self) -> KeyType {
        match self {
            Private::Ed25519(_) => KeyType::Ed25519,
            Private::Ecdsa(_) => KeyType::Ecdsa,
            Private::Rsa(_) => KeyType::Rsa,
        }
    }

    /// Its public key, as TUF describes it.
    pub fn public(&self) -> Result<Key, Report> {
        Ok(match self {
            Private::Ed25519(k) => Key::ed25519(&k.verifying_key()),
            Private::Ecdsa(k) => Key::ecdsa_p256(&pem_public(k.verifying_key())?),
            Private::Rsa(k) => Key::rsa_pss_sha256(&pem_public(&k.to_public_key())?),
        })
    }

    /// The raw signature of `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Report> {
        use p256::ecdsa::signature::Signer;
        use rsa::signature::{RandomizedSigner, SignatureEncoding};
        Ok(match self {
            Private::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            Private::Ecdsa(k) => {
                // RFC 6979 (deterministic), DER as securesystemslib writes.
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Private::Rsa(k) => {
                let signer = rsa::pss::SigningKey::<sha2::Sha256>::new_with_salt_len(
                    (**k).clone(),
                    RSA_PSS_SALT,
                );
                signer
                    .try_sign_with_rng(&mut getrandom::SysRng, message)
                    .map_err(|e| Report::message(format!("RSA signing failed: {e}")))?
                    .to_vec()
            }
        })
    }

    /// securesystemslib's JSON key file.
    fn to_file(&self) -> Result<KeyFile, Report> {
        let public = self.public()?;
        let private = match self {
            Private::Ed25519(k) => hex::encode(k.to_bytes()),
            Private::Ecdsa(k) => pem_private(&p256::SecretKey::from(k))?,
            Private::Rsa(k) => pem_private(&**k)?,
        };
        Ok(KeyFile {
            keytype: public.keytype,
            scheme: public.scheme,
            keyval: KeyVal {
                public: public.keyval.public,
                private,
            },
        })
    }

    /// The key as an encrypted PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`):
    /// PBES2, scrypt and AES-256-CBC, as `openssl pkey` reads it.
    fn to_encrypted_pem(&self, passphrase: &str) -> Result<String, Report> {
        use pkcs8::EncodePrivateKey as _;
        let lf = pkcs8::LineEnding::LF;
        let pem = match self {
            Private::Ed25519(k) => k.to_pkcs8_encrypted_pem(passphrase, lf),
            Private::Ecdsa(k) => p256::SecretKey::from(k).to_pkcs8_encrypted_pem(passphrase, lf),
            Private::Rsa(k) => (**k).to_pkcs8_encrypted_pem(passphrase, lf),
        }
        .map_err(|e| Report::message(format!("cannot encrypt a private key: {e}")))?;
        Ok(pem.to_string())
    }

    /// An encrypted PKCS#8 PEM, opened with the passphrase `ask` gives.
    fn from_encrypted_pem(
        pem: &str,
        ask: &mut dyn FnMut() -> Result<Passphrase, Report>,
    ) -> Result<Self, String> {
        let (_, doc) = pkcs8::SecretDocument::from_pem(pem)
            .map_err(|_| "not a valid encrypted PEM private key".to_string())?;
        let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(doc.as_bytes())
            .map_err(|_| "not a valid encrypted PKCS#8 private key".to_string())?;
        let passphrase = ask().map_err(|e| e.line())?;
        let plain = info
            .decrypt(passphrase.as_bytes())
            .map_err(|_| "wrong passphrase (or the file is damaged)".to_string())?;
        let der = plain.as_bytes();
        if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            Ok(Private::Ed25519(k))
        } else if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
            Ok(Private::Ecdsa(k.into()))
        } else if let Ok(k) = rsa::PrivateKey::from_pkcs8_der(der) {
            Ok(Private::Rsa(Box::new(k)))
        } else {
            Err("not an ed25519, ECDSA P-256 or RSA private key (PKCS#8)".into())
        }
    }

    /// A PEM private key: PKCS#8 (encrypted or not) or SEC1.
    fn from_pem(
        pem: &str,
        ask: &mut dyn FnMut() -> Result<Passphrase, Report>,
    ) -> Result<Self, String> {
        let label = pem
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("-----BEGIN "))
            .and_then(|l| l.strip_suffix("-----"))
            .unwrap_or("");
        match label {
            "PRIVATE KEY" => {
                if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
                    Ok(Private::Ed25519(k))
                } else if let Ok(k) = p256::SecretKey::from_pkcs8_pem(pem) {
                    Ok(Private::Ecdsa(k.into()))
                } else if let Ok(k) = rsa::PrivateKey::from_pkcs8_pem(pem) {
                    Ok(Private::Rsa(Box::new(k)))
                } else {
                    Err("not an ed25519, ECDSA P-256 or RSA private key (PKCS#8)".into())
                }
            }
            "EC PRIVATE KEY" => p256::SecretKey::from_pem(pem)
                .map(|k| Private::Ecdsa(k.into()))
                .map_err(|_| "not an ECDSA P-256 private key".into()),
            "RSA PRIVATE KEY" => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                rsa::PrivateKey::from_pkcs1_pem(pem)
                    .map(|k| Private::Rsa(Box::new(k)))
                    .map_err(|_| "not an RSA private key (PKCS#1)".into())
            }
            "ENCRYPTED PRIVATE KEY" => Self::from_encrypted_pem(pem, ask),
            "PUBLIC KEY" => Err("holds only a public key".into()),
            _ => Err("not a PEM private key".into()),
        }
    }
}

fn pem_public(key: &impl EncodePublicKey) -> Result<String, Report> {
    key.to_public_key_pem(p256::pkcs8::LineEnding::LF)
        .map_err(|e| Report::message(format!("cannot encode a public key: {e}")))
}

fn pem_private(key: &impl EncodePrivateKey) -> Result<String, Report> {
    Ok(key
        .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
        .map_err(|e| Report::message(format!("cannot encode a private key: {e}")))?
        .to_string())
}

/// The TUF key of a PEM public key (SubjectPublicKeyInfo: ed25519, ECDSA
/// P-256 or RSA), re-encoded the way `waymark-pack` writes keys, so that
/// its key id does not depend on how the file was laid out.
pub fn read_public_pem(pem: &str) -> Result<Key, String> {
    if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
        return Ok(Key::ed25519(&k));
    }
    if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
        return pem_public(&k)
            .map(|p| Key::ecdsa_p256(&p))
            .map_err(|e| e.line());
    }
    if let Ok(k) = rsa::PublicKey::from_public_key_pem(pem) {
        return pem_public(&k)
            .map(|p| Key::rsa_pss_sha256(&p))
            .map_err(|e| e.line());
    }
    Err("not a PEM public key of type ed25519, ECDSA P-256 or RSA".into())
}

/// The key file of a role.
pub fn key_path(dir: &Path, role: &str) -> PathBuf {
    dir.join(format!("{role}.key"))
}

/// The public key file of a role (PEM).
pub fn pub_path(dir: &Path, role: &str) -> PathBuf {
    dir.join(format!("{role}.pub"))
}

/// Writes a file only its owner can read. Refuses to overwrite.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Report> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Report::message(format!(
                "{} exists; keys are never overwritten",
                path.display()
            ))
        } else {
            e.into()
        }
    })?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Writes a role's key file (owner-only) and its public key beside it
/// (`ROLE.pub`, PEM). Refuses to overwrite either. With a passphrase, the
/// key file is an encrypted PKCS#8 PEM instead of securesystemslib's JSON
/// layout.
pub fn write_key(
    dir: &Path,
    role: &str,
    key: &Private,
    passphrase: Option<&str>,
) -> Result<(), Report> {
    let pub_file = pub_path(dir, role);
    if pub_file.exists() {
        return fail(format!(
            "{} exists; keys are never overwritten",
            pub_file.display()
        ));
    }
    let bytes = match passphrase {
        Some(p) => key.to_encrypted_pem(p)?.into_bytes(),
        None => serde_json::to_vec_pretty(&key.to_file()?)?,
    };
    write_new(&key_path(dir, role), &bytes, 0o600)?;
    let public = match key {
        Private::Ed25519(k) => pem_public(&k.verifying_key())?,
        _ => key.public()?.keyval.public,
    };
    write_new(&pub_file, public.as_bytes(), 0o644)
}

/// The environment variable holding the passphrase of encrypted key
/// files; without it, `waymark-pack` asks on the terminal.
pub const PASSPHRASE_VARIABLE: &str = "WAYMARK_PACK_KEY_PASSPHRASE";

/// A passphrase, wiped from memory when dropped.
pub type Passphrase = zeroize::Zeroizing<String>;

/// The passphrase for `what`: [`PASSPHRASE_VARIABLE`], else asked on the
/// terminal (twice when `confirm`, for a new key).
pub fn passphrase(what: &str, confirm: bool) -> Result<Passphrase, Report> {
    if let Ok(p) = std::env::var(PASSPHRASE_VARIABLE)
        && !p.is_empty()
    {
        return Ok(Passphrase::new(p));
    }
    let no_terminal = |e: std::io::Error| {
        Report::message(format!(
            "{what} needs a passphrase and none can be asked for ({e}): set {PASSPHRASE_VARIABLE}"
        ))
    };
    let first = Passphrase::new(
        rpassword::prompt_password(format!("Passphrase for {what}: ")).map_err(no_terminal)?,
    );
    if first.is_empty() {
        return fail("an empty passphrase protects nothing");
    }
    if confirm {
        let again = Passphrase::new(
            rpassword::prompt_password("The same passphrase again: ").map_err(no_terminal)?,
        );
        if *again != *first {
            return fail("the two passphrases differ");
        }
    }
    Ok(first)
}

/// Reads a private key file: securesystemslib's JSON layout or PEM,
/// asking for the passphrase of an encrypted one.
pub fn read_key(path: &Path) -> Result<Private, Report> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Report::message(format!("cannot read key {}: {e}", path.display())))?;
    let bad = |why: &str| Report::message(format!("{}: {why}", path.display()));
    let what = format!("the key {}", path.display());
    let mut ask = || passphrase(&what, false);
    if text.trim_start().starts_with("-----BEGIN") {
        let key = Private::from_pem(&text, &mut ask).map_err(|why| bad(&why))?;
        return supported(key, path);
    }
    let file: KeyFile = serde_json::from_str(&text).map_err(|_| {
        bad("neither a key file (securesystemslib's JSON layout) nor a PEM private key")
    })?;
    let key = match file.keytype.as_str() {
        "ed25519" => {
            let private: [u8; 32] = hex::decode(&file.keyval.private)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| bad("the private key is not 32 hex bytes"))?;
            Private::Ed25519(ed25519_dalek::SigningKey::from_bytes(&private))
        }
        "ecdsa" | "ecdsa-sha2-nistp256" | "rsa" => {
            let key = Private::from_pem(&file.keyval.private, &mut ask).map_err(|why| bad(&why))?;
            if key.public()?.keytype != file.keytype.replace("ecdsa-sha2-nistp256", "ecdsa") {
                return Err(bad(&format!(
                    "the private key is not an {} key",
                    file.keytype
                )));
            }
            key
        }
        other => return Err(bad(&format!("unsupported key type '{other}'"))),
    };
    let public = key.public()?;
    if public.scheme != file.scheme {
        return Err(bad(&format!(
            "scheme '{}' is not supported for {} keys (use '{}')",
            file.scheme, file.keytype, public.scheme
        )));
    }
    let same = if file.keytype == "ed25519" {
        public.keyval.public == file.keyval.public.to_ascii_lowercase()
    } else {
        read_public_pem(&file.keyval.public).is_ok_and(|k| k.keyval == public.keyval)
    };
    if !same {
        return Err(bad("the public key does not match the private key"));
    }
    supported(key, path)
}

/// Fails for a key the phones would not accept.
fn supported(key: Private, path: &Path) -> Result<Private, Report> {
    if !key.public()?.is_supported() {
        return fail(format!(
            "{}: Waymark cannot verify this key",
            path.display()
        ));
    }
    Ok(key)
}

/// How a role's metadata gets signed.
enum Signing {
    /// With a private key `waymark-pack` read.
    Key(Box<Private>),
    /// By running a command.
    Command(String),
    /// Not possible: only the public key is at hand.
    PublicOnly,
}

/// A role's key: its public part, and how to sign with it.
pub struct Signer {
    role: String,
    key: Key,
    id: String,
    signing: Signing,
    /// Where it came from, for messages.
    source: String,
}

impl Signer {
    /// A signer with a private key.
    pub fn with_key(role: &str, private: Private, source: &str) -> Result<Self, Report> {
        let key = private.public()?;
        Ok(Signer {
            role: role.into(),
            id: key.id()?,
            key,
            signing: Signing::Key(Box::new(private)),
            source: source.into(),
        })
    }

    /// The TUF public key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether it can sign (a private key or a signing command), not only
    /// name the key.
    pub fn can_sign(&self) -> bool {
        !matches!(self.signing, Signing::PublicOnly)
    }

    /// Its key type.
    pub fn kind(&self) -> KeyType {
        match self.key.keytype.as_str() {
            "ed25519" => KeyType::Ed25519,
            "rsa" => KeyType::Rsa,
            _ => KeyType::Ecdsa,
        }
    }

    /// The signature of `message` (raw bytes), checked against the public
    /// key.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Report> {
        let signature = match &self.signing {
            Signing::Key(private) => private.sign(message)?,
            Signing::Command(command) => self.run(command, message)?,
            Signing::PublicOnly => {
                return fail(format!(
                    "the {role} metadata must be signed, and {source} holds only the {role} \
                     public key: give the private key (--key {role}=FILE) or a signing \
                     command (--sign-command {role}=CMD or {var})",
                    role = self.role,
                    source = self.source,
                    var = command_variable(&self.role),
                ));
            }
        };
        if !self.key.verify(message, &signature) {
            return fail(format!(
                "the {} signature made with {} does not verify with the {} public key {}",
                self.role, self.source, self.role, self.id
            ));
        }
        Ok(signature)
    }

    /// Runs a signing command: `message` on its stdin, the signature (hex
    /// or base64) on its stdout.
    fn run(&self, command: &str, message: &[u8]) -> Result<Vec<u8>, Report> {
        let what = format!("the {} signing command", self.role);
        let mut child = shell(command)
            .env("WAYMARK_PACK_ROLE", &self.role)
            .env("WAYMARK_PACK_KEYID", &self.id)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Report::message(format!("{what} could not start: {e}")))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = message.to_vec();
        // Written from a thread, so that a command that prints before it
        // has read everything cannot deadlock with us.
        let writer = std::thread::spawn(move || {
            let written = stdin.write_all(&input);
            drop(stdin);
            written
        });
        let mut output = Vec::new();
        child
            .stdout
            .take()
            .expect("stdout is piped")
            .read_to_end(&mut output)?;
        let status = child.wait()?;
        let written = writer.join().expect("the writer thread does not panic");
        if !status.success() {
            return fail(format!("{what} failed ({status})"));
        }
        if let Err(e) = written {
            return fail(format!("{what} did not read what it was to sign: {e}"));
        }
        let signature = decode_signature(&output).ok_or_else(|| {
            Report::message(format!(
                "{what} printed no signature in hex or base64 on its standard output"
            ))
        })?;
        Ok(self.normalise(signature))
    }

    /// An ECDSA signature as 64 bytes r‖s (PKCS#11's format) becomes DER,
    /// TUF's.
    fn normalise(&self, signature: Vec<u8>) -> Vec<u8> {
        if self.kind() == KeyType::Ecdsa
            && signature.len() == 64
            && p256::ecdsa::Signature::from_der(&signature).is_err()
            && let Ok(fixed) = p256::ecdsa::Signature::from_slice(&signature)
        {
            return fixed.to_der().as_bytes().to_vec();
        }
        signature
    }
}

fn shell(command: &str) -> Command {
    #[cfg(windows)]
    {
        let mut c = Command::new("cmd");
        c.arg("/C").arg(command);
        c
    }
    #[cfg(not(windows))]
    {
        let mut c = Command::new("sh");
        c.arg("-c").arg(command);
        c
    }
}

/// A signature printed as hex or base64 (standard alphabet, padding
/// optional), whitespace ignored. Hex when it is nothing but hex digits.
pub fn decode_signature(output: &[u8]) -> Option<Vec<u8>> {
    let text: Vec<u8> = output
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if text.is_empty() {
        return None;
    }
    if text.iter().all(u8::is_ascii_hexdigit) {
        return hex::decode(&text).ok();
    }
    use base64ct::{Base64, Base64Unpadded, Encoding as _};
    let text = std::str::from_utf8(&text).ok()?;
    Base64::decode_vec(text)
        .or_else(|_| Base64Unpadded::decode_vec(text))
        .ok()
}

/// Signs `signed` (its canonical JSON) with each signer.
pub fn sign(signed: &impl Serialize, signers: &[&Signer]) -> Result<Envelope, Report> {
    let signed = serde_json::to_value(signed)?;
    let message = canonical_json(&signed)?;
    let mut signatures = Vec::new();
    for signer in signers {
        signatures.push(SignatureEntry {
            keyid: signer.id.clone(),
            sig: hex::encode(signer.sign(&message)?),
        });
    }
    Ok(Envelope { signatures, signed })
}

/// Where the roles' keys are: the key directory, and the files and
/// commands given for single roles.
#[derive(Debug, Default, Clone)]
pub struct KeySources {
    /// The key directory.
    pub dir: PathBuf,
    /// `--key ROLE=FILE`.
    pub files: BTreeMap<String, PathBuf>,
    /// `--sign-command ROLE=CMD`.
    pub commands: BTreeMap<String, String>,
}

impl KeySources {
    /// `role`'s signing command: `--sign-command`, else the environment.
    fn command(&self, role: &str) -> Option<String> {
        self.commands.get(role).cloned().or_else(|| {
            std::env::var(command_variable(role))
                .ok()
                .filter(|c| !c.trim().is_empty())
        })
    }

    /// Whether anything names `role`'s key: a signing command, `--key
    /// ROLE=FILE`, `KEYDIR/ROLE.key` or `KEYDIR/ROLE.pub`.
    pub fn has(&self, role: &str) -> bool {
        self.command(role).is_some()
            || self.files.contains_key(role)
            || key_path(&self.dir, role).exists()
            || pub_path(&self.dir, role).exists()
    }

    /// Whether `role` can sign without asking for anything else: a
    /// signing command, `--key ROLE=FILE` or `KEYDIR/ROLE.key` (the file
    /// itself is read only when it is used).
    pub fn has_private(&self, role: &str) -> bool {
        self.command(role).is_some()
            || self.files.contains_key(role)
            || key_path(&self.dir, role).exists()
    }

    /// `role`'s signer.
    pub fn signer(&self, role: &str) -> Result<Signer, Report> {
        let given = self.files.get(role);
        let key_file = key_path(&self.dir, role);
        let pub_file = pub_path(&self.dir, role);
        let public_signer = |file: &Path, signing: Signing| -> Result<Signer, Report> {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Report::message(format!("cannot read key {}: {e}", file.display())))?;
            let key = read_public_pem(&text)
                .map_err(|why| Report::message(format!("{}: {why}", file.display())))?;
            if !key.is_supported() {
                return fail(format!(
                    "{}: Waymark cannot verify this key",
                    file.display()
                ));
            }
            Ok(Signer {
                role: role.into(),
                id: key.id()?,
                key,
                signing,
                source: file.display().to_string(),
            })
        };
        if let Some(command) = self.command(role) {
            let file = given.unwrap_or(&pub_file);
            if !file.exists() {
                return fail(format!(
                    "the {role} key is signed by a command: give its public key (PEM) as \
                     --key {role}=FILE or {}",
                    pub_file.display()
                ));
            }
            let mut signer = public_signer(file, Signing::Command(command))?;
            signer.source = format!("the {role} signing command");
            return Ok(signer);
        }
        let file = match given {
            Some(f) => f.clone(),
            None if !key_file.exists() && pub_file.exists() => {
                return public_signer(&pub_file, Signing::PublicOnly);
            }
            None => key_file,
        };
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Report::message(format!("cannot read key {}: {e}", file.display())))?;
        if text.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") {
            return public_signer(&file, Signing::PublicOnly);
        }
        Signer::with_key(role, read_key(&file)?, &file.display().to_string())
    }
}

/// The keys of the roles a command needs (all four, or only the online
/// ones: publishing and refreshing never need the root key).
pub struct RoleKeys {
    signers: BTreeMap<String, Signer>,
}

impl RoleKeys {
    /// Finds the four keys.
    pub fn load(sources: &KeySources) -> Result<Self, Report> {
        Self::load_roles(sources, &ROLES)
    }

    /// Finds the keys of `roles` only.
    pub fn load_roles(sources: &KeySources, roles: &[&str]) -> Result<Self, Report> {
        let mut signers = BTreeMap::new();
        for role in roles {
            signers.insert(role.to_string(), sources.signer(role)?);
        }
        Ok(RoleKeys { signers })
    }

    /// Adds `role`'s key if anything names it; `Ok(false)` when nothing
    /// does (a root key kept offline, say).
    pub fn add_if_present(&mut self, sources: &KeySources, role: &str) -> Result<bool, Report> {
        if self.signers.contains_key(role) {
            return Ok(true);
        }
        if !sources.has(role) {
            return Ok(false);
        }
        self.signers.insert(role.to_string(), sources.signer(role)?);
        Ok(true)
    }

    /// The key of a role.
    ///
    /// # Panics
    ///
    /// If the role's key was not loaded: callers load every role they
    /// sign for before writing anything.
    pub fn get(&self, role: &str) -> &Signer {
        self.signers
            .get(role)
            .unwrap_or_else(|| panic!("the {role} key was not loaded"))
    }

    /// The key of a role, if it was loaded.
    pub fn find(&self, role: &str) -> Option<&Signer> {
        self.signers.get(role)
    }

    /// Whether `role`'s key was loaded and can sign.
    pub fn can_sign(&self, role: &str) -> bool {
        self.find(role).is_some_and(Signer::can_sign)
    }

    /// The same keys with `role`'s replaced by `signer`, and the one it
    /// replaced.
    ///
    /// # Panics
    ///
    /// If `role`'s key was not loaded.
    pub fn replacing(mut self, role: &str, signer: Signer) -> (Self, Signer) {
        let old = self
            .signers
            .insert(role.to_string(), signer)
            .unwrap_or_else(|| panic!("the {role} key was not loaded"));
        (self, old)
    }
}

/// `waymark-pack keygen --out KEYDIR [--type T] [--role ROLE]...`: makes
/// the keys (all four roles unless some are named).
pub fn keygen(dir: &Path, kind: KeyType, roles: &[String], encrypt: bool) -> Result<(), Report> {
    let roles: Vec<&str> = if roles.is_empty() {
        ROLES.to_vec()
    } else {
        for role in roles {
            if !ROLES.contains(&role.as_str()) {
                return fail(format!(
                    "unknown role '{role}': one of root, targets, snapshot, timestamp"
                ));
            }
        }
        ROLES
            .into_iter()
            .filter(|r| roles.iter().any(|x| x == r))
            .collect()
    };
    std::fs::create_dir_all(dir)?;
    for role in &roles {
        for path in [key_path(dir, role), pub_path(dir, role)] {
            if path.exists() {
                return fail(format!(
                    "{} exists; keys are never overwritten (use rotate-key)",
                    path.display()
                ));
            }
        }
    }
    let secret = if encrypt {
        Some(passphrase("the new keys", true)?)
    } else {
        None
    };
    for role in roles {
        let key = Private::generate(kind)?;
        write_key(dir, role, &key, secret.as_deref().map(String::as_str))?;
        outln!("{role:<10} {}", key.public()?.id()?);
    }
    outln!(
        "Private keys written to {} (owner-only{}), public keys beside them (.pub). \
         Keep the root key offline: publish and refresh never need it.",
        dir.display(),
        if encrypt {
            ", encrypted with the passphrase"
        } else {
            ""
        }
    );
    Ok(())
}

/// Whether a key file is passphrase-encrypted.
pub fn is_encrypted(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
}

/// Where rotated-out keys go: never read as live keys.
pub fn retired_dir(dir: &Path) -> PathBuf {
    dir.join("retired")
}

/// Warns about rotated-out keys left beside the live ones (`ROLE.key.N`,
/// `ROLE.pub.N`, as earlier versions kept them).
pub fn warn_stray_retired(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let stray = ROLES.iter().any(|role| {
            ["key", "pub"].iter().any(|suffix| {
                name.strip_prefix(&format!("{role}.{suffix}."))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        });
        if stray {
            eprintln!(
                "warning: {} is a rotated-out key left beside the live ones: move it into {} \
                 (waymark-pack never uses it), or destroy it",
                dir.join(&name).display(),
                retired_dir(dir).display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_output_is_read_as_hex_or_base64() {
        assert_eq!(decode_signature(b"0a0B ff\n"), Some(vec![10, 11, 255]));
        assert_eq!(decode_signature(b"AQID\n"), Some(vec![1, 2, 3]));
        assert_eq!(decode_signature(b"AQI=\n"), Some(vec![1, 2]));
        assert_eq!(decode_signature(b"AQI"), Some(vec![1, 2]));
        assert_eq!(decode_signature(b"\n  \n"), None);
        assert_eq!(decode_signature(b"not a signature!"), None);
    }

    #[test]
    fn key_files_round_trip_for_each_type() {
        let dir = tempfile::tempdir().unwrap();
        for (role, kind) in [
            ("root", KeyType::Ecdsa),
            ("targets", KeyType::Ed25519),
            ("snapshot", KeyType::Rsa),
        ] {
            let key = Private::generate(kind).unwrap();
            write_key(dir.path(), role, &key, None).unwrap();
            let read = read_key(&key_path(dir.path(), role)).unwrap();
            assert_eq!(read.kind(), kind);
            assert_eq!(read.public().unwrap(), key.public().unwrap());
            let public = std::fs::read_to_string(pub_path(dir.path(), role)).unwrap();
            assert_eq!(read_public_pem(&public).unwrap(), key.public().unwrap());
            let signer = Signer::with_key(role, read, "test").unwrap();
            signer.sign(b"message").unwrap();
        }
    }
}
