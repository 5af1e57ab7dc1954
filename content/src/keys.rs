//! Signing keys: one ed25519 key per TUF role, each in its own file in the
//! key directory, readable only by its owner.
//!
//! A key file is securesystemslib's JSON layout (`keytype`, `scheme`,
//! `keyval.public`, `keyval.private`, hex), so keys can move between
//! `waymark-pack` and python-tuf tooling. Private keys are never printed.
//! A rotated-out key is kept as `ROLE.key.N` (N = the root version that
//! revoked it) so that it can still sign the transition.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use waymark_core::tuf::Key;

use crate::{Report, fail};

/// The four top-level roles.
pub const ROLES: [&str; 4] = ["root", "targets", "snapshot", "timestamp"];

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

/// The key file of a role.
pub fn key_path(dir: &Path, role: &str) -> PathBuf {
    dir.join(format!("{role}.key"))
}

/// A fresh key from the operating system's random generator.
pub fn generate() -> Result<SigningKey, Report> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| Report::message(format!("the system's random generator failed: {e}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes a key file that only its owner can read. Refuses to overwrite.
pub fn write_key(path: &Path, key: &SigningKey) -> Result<(), Report> {
    let file = KeyFile {
        keytype: "ed25519".into(),
        scheme: "ed25519".into(),
        keyval: KeyVal {
            public: hex::encode(key.verifying_key().to_bytes()),
            private: hex::encode(key.to_bytes()),
        },
    };
    let bytes = serde_json::to_vec_pretty(&file)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
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
    std::io::Write::write_all(&mut f, &bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Reads a key file.
pub fn read_key(path: &Path) -> Result<SigningKey, Report> {
    let bytes = std::fs::read(path)
        .map_err(|e| Report::message(format!("cannot read key {}: {e}", path.display())))?;
    let file: KeyFile = serde_json::from_slice(&bytes)
        .map_err(|_| Report::message(format!("{} is not a key file", path.display())))?;
    if file.keytype != "ed25519" {
        return fail(format!(
            "{}: only ed25519 keys are supported",
            path.display()
        ));
    }
    let private: [u8; 32] = hex::decode(&file.keyval.private)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            Report::message(format!(
                "{}: the private key is not 32 hex bytes",
                path.display()
            ))
        })?;
    let key = SigningKey::from_bytes(&private);
    if hex::encode(key.verifying_key().to_bytes()) != file.keyval.public.to_ascii_lowercase() {
        return fail(format!(
            "{}: the public key does not match the private key",
            path.display()
        ));
    }
    Ok(key)
}

/// The keys of the four roles.
pub struct RoleKeys {
    /// Signs root metadata.
    pub root: SigningKey,
    /// Signs targets metadata.
    pub targets: SigningKey,
    /// Signs snapshot metadata.
    pub snapshot: SigningKey,
    /// Signs timestamp metadata.
    pub timestamp: SigningKey,
}

impl RoleKeys {
    /// Reads the four keys from `dir`.
    pub fn load(dir: &Path) -> Result<Self, Report> {
        Ok(RoleKeys {
            root: read_key(&key_path(dir, "root"))?,
            targets: read_key(&key_path(dir, "targets"))?,
            snapshot: read_key(&key_path(dir, "snapshot"))?,
            timestamp: read_key(&key_path(dir, "timestamp"))?,
        })
    }

    /// The key of a role.
    pub fn get(&self, role: &str) -> &SigningKey {
        match role {
            "root" => &self.root,
            "targets" => &self.targets,
            "snapshot" => &self.snapshot,
            _ => &self.timestamp,
        }
    }
}

/// The TUF key id and public key of a signing key.
pub fn public(key: &SigningKey) -> Result<(String, Key), Report> {
    let k = Key::ed25519(&key.verifying_key());
    Ok((k.id()?, k))
}

/// `waymark-pack keygen --out KEYDIR`: makes the four keys.
pub fn keygen(dir: &Path) -> Result<(), Report> {
    std::fs::create_dir_all(dir)?;
    for role in ROLES {
        if key_path(dir, role).exists() {
            return fail(format!(
                "{} exists; keys are never overwritten (use rotate-key)",
                key_path(dir, role).display()
            ));
        }
    }
    for role in ROLES {
        let key = generate()?;
        write_key(&key_path(dir, role), &key)?;
        let (id, _) = public(&key)?;
        println!("{role:<10} {id}");
    }
    println!(
        "Private keys written to {} (owner-only). Keep the root key offline.",
        dir.display()
    );
    Ok(())
}
