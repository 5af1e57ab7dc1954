//! `waymark-pack`: the NGO publisher tool. New packs from a template,
//! validation, a preview page of a pack as a phone shows it, keys, signed
//! TUF repositories, offline bundles, a local server, and pack inspection.
//!
//! Exit status 0 on success; otherwise non-zero and one line on stderr;
//! 141, silently, when stdout is a pipe whose reader has gone.

/// `println!` that never panics on a closed pipe (`waymark-pack validate
/// DIR | head`): see [`say`].
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::say(format_args!($($t)*))
    };
}

mod build;
mod card;
mod compress;
mod keys;
mod ledger;
mod parallel;
mod patch;
mod preview;
mod repo;
mod serve;
mod source;
mod template;
mod upload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use waymark_core::content::pack::PackReader;

/// Publish Waymark content packs: keys, signed repositories, bundles.
#[derive(Debug, Parser)]
#[command(name = "waymark-pack", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a pack's source directory; report every problem with file and line.
    Validate {
        /// The source directory (pack.toml, articles/, services/, countries/, routes/, alerts/).
        dir: PathBuf,
    },
    /// Make a new pack folder from a commented template that validates.
    New {
        /// The folder to make (it must not exist, or be empty).
        dir: PathBuf,
        /// The pack's languages, comma-separated BCP 47 codes; the first
        /// is the fallback.
        #[arg(long, value_delimiter = ',', required = true)]
        languages: Vec<String>,
    },
    /// Build one zstd-compressed pack file (the same source gives the same bytes).
    Build {
        /// The source directory.
        dir: PathBuf,
        /// The pack file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Threads to read the source and compress with (default: one per
        /// core). The pack's bytes are the same whatever the number.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
        threads: Option<u32>,
    },
    /// Make keys for the root, targets, snapshot and timestamp roles.
    ///
    /// Each role gets KEYDIR/ROLE.key (private, owner-only; securesystemslib's
    /// JSON layout) and KEYDIR/ROLE.pub (the public key, PEM).
    Keygen {
        /// Directory for the key files (created; existing keys are never overwritten).
        #[arg(long, value_name = "KEYDIR")]
        out: PathBuf,
        /// The key type: ed25519, ECDSA P-256 (as hardware tokens and
        /// cloud KMS sign) or RSA (3072 bits, RSASSA-PSS).
        #[arg(long = "type", value_enum, default_value = "ed25519")]
        kind: keys::KeyType,
        /// Make keys for these roles only (repeatable; default: all four),
        /// e.g. all but root when the root key lives on a hardware token.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// Encrypt the private keys with a passphrase (from
        /// WAYMARK_PACK_KEY_PASSPHRASE, else asked twice on the terminal):
        /// ROLE.key is then an encrypted PKCS#8 PEM (scrypt, AES-256-CBC),
        /// which `openssl pkey` also opens.
        #[arg(long)]
        encrypt: bool,
    },
    /// Add packs to a TUF repository (created if needed) and sign new metadata.
    #[command(after_long_help = KEYS_HELP)]
    Publish {
        /// Pack files built by `waymark-pack build`.
        #[arg(required = true, value_name = "PACKFILE")]
        packs: Vec<PathBuf>,
        /// The repository directory.
        #[arg(long, value_name = "REPODIR")]
        repo: PathBuf,
        #[command(flatten)]
        keys: KeyArgs,
        /// The URL phones will sync from (written into publisher.json).
        #[arg(long)]
        url: Option<String>,
        /// Publish patches to each new version from this many earlier
        /// versions (0: none), so phones download only what changed.
        #[arg(long, value_name = "K", default_value_t = repo::DEFAULT_PATCHES)]
        patches: usize,
        #[command(flatten)]
        expiries: ExpiryArgs,
        /// Then upload the repository to this bucket (see `waymark-pack
        /// upload --help`); the bucket is checked before anything is signed.
        #[arg(long, value_name = "s3://BUCKET/PREFIX")]
        to: Option<String>,
        #[command(flatten)]
        s3: upload::S3Options,
    },
    /// Re-sign what is about to expire, so phones keep syncing when
    /// nothing new is published: run it regularly (cron, a systemd timer,
    /// CI; see the README).
    ///
    /// The timestamp is re-signed every time; the snapshot, targets and
    /// root metadata when less than half their life (at most 30 days) is
    /// left, or when named with --renew. Only the keys it signs with are
    /// read: the timestamp key, the snapshot and targets keys when they
    /// are due, and the root key only to renew the root. It refuses,
    /// writing nothing, when a role has expired and its key is not at hand,
    /// and warns when one expires within 30 days and needs a key that is
    /// not at hand.
    #[command(after_long_help = KEYS_HELP)]
    Refresh {
        /// The repository directory.
        #[arg(long, value_name = "REPODIR")]
        repo: PathBuf,
        #[command(flatten)]
        keys: KeyArgs,
        /// Re-sign this role's metadata now, however long it still has
        /// (repeatable), e.g. `--renew root` with the root key at hand.
        #[arg(long, value_name = "ROLE")]
        renew: Vec<String>,
        #[command(flatten)]
        expiries: ExpiryArgs,
        /// Then upload the repository to this bucket (see `waymark-pack
        /// upload --help`); the bucket is checked before anything is signed.
        #[arg(long, value_name = "s3://BUCKET/PREFIX")]
        to: Option<String>,
        #[command(flatten)]
        s3: upload::S3Options,
    },
    /// Upload a repository to an S3-compatible bucket (AWS S3, MinIO,
    /// Cloudflare R2, Garage…), in the order that is safe for phones
    /// syncing meanwhile.
    ///
    /// Files named by their hash or version go first, with Cache-Control
    /// "public, max-age=31536000, immutable"; then the other files; then
    /// metadata/timestamp.json, last of all, with "public, max-age=60" (as
    /// every file whose bytes change under the same name). Objects the
    /// bucket already holds with the same bytes are skipped; nothing is
    /// ever deleted. It refuses, uploading nothing, when the bucket holds a
    /// newer repository than REPODIR (an older copy would stop phones).
    ///
    /// Credentials and region come from AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or
    /// AWS_DEFAULT_REGION), the endpoint from --endpoint or AWS_ENDPOINT_URL.
    /// Plain http is allowed only to 127.0.0.1/localhost, or with
    /// --allow-http.
    Upload {
        /// The repository directory.
        #[arg(long, value_name = "REPODIR")]
        repo: PathBuf,
        /// The bucket, and the folder in it phones sync from.
        #[arg(long, value_name = "s3://BUCKET/PREFIX")]
        to: String,
        #[command(flatten)]
        s3: upload::S3Options,
    },
    /// Rotate one role's key (root included): a new root signed by the old
    /// and new keys.
    #[command(after_long_help = KEYS_HELP)]
    RotateKey {
        /// root, targets, snapshot or timestamp.
        role: String,
        #[command(flatten)]
        keys: KeyArgs,
        /// The new key's type (default: the old key's). The new key is made
        /// in KEYDIR; the old one is moved into KEYDIR/retired/ (ROLE.vN.key,
        /// ROLE.vN.pub and a note), where nothing loads it.
        #[arg(long = "type", value_enum)]
        kind: Option<keys::KeyType>,
        /// Encrypt the new key with a passphrase (as keygen --encrypt);
        /// the default when the old key file is encrypted.
        #[arg(long)]
        encrypt: bool,
        /// The repository directory.
        #[arg(long, value_name = "REPODIR")]
        repo: PathBuf,
        #[command(flatten)]
        expiries: ExpiryArgs,
    },
    /// Serve a repository over HTTP (ETag, If-None-Match, Range).
    Serve {
        /// The repository directory.
        repo: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
    /// Preview a pack's source as a phone shows it: a local web page.
    #[command(long_about = preview::LONG_ABOUT)]
    Preview {
        /// The source directory (read again on every page load).
        dir: PathBuf,
        /// The language to show first (default: the pack's fallback).
        #[arg(long)]
        lang: Option<String>,
        /// The port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = preview::DEFAULT_PORT)]
        port: u16,
    },
    /// Print the publisher card to hand out: who the publisher is, the
    /// fingerprint phones will show, and a QR code phones scan to trust it.
    ///
    /// The fingerprint is that of the card's root (version 1, the
    /// publisher's first root): phones keep showing it after root key
    /// rotations, so it can go on posters and leaflets. The QR code holds
    /// waymark://trust?card=CARD-URL&fp=FINGERPRINT; a phone downloads the
    /// card from CARD-URL (by default the repository URL given to
    /// `publish --url`, plus /publisher.json) and trusts it only if its
    /// fingerprint is FINGERPRINT.
    Card {
        /// The repository directory (its publisher.json is the card).
        #[arg(long, value_name = "REPODIR")]
        repo: PathBuf,
        /// Also write the QR code as a PNG (black on white, 10 pixels a
        /// module, for printing).
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
        /// Where phones download the card, if not REPO-URL/publisher.json.
        #[arg(long, value_name = "URL")]
        card_url: Option<String>,
        /// Print JSON (id, name, url, card_file, card_bytes, root_version,
        /// fingerprint, link, qr_version, qr_modules, png).
        #[arg(long)]
        json: bool,
        /// Draw the terminal QR code for a dark-on-light terminal (the
        /// default suits light text on a dark background).
        #[arg(long)]
        invert: bool,
    },
    /// Show what a pack or bundle contains and, for a bundle, who signed it.
    Inspect {
        /// A pack file or a .wmbundle.
        file: PathBuf,
    },
}

/// Where each role's key is (see `waymark-pack publish --help`).
#[derive(Debug, clap::Args)]
struct KeyArgs {
    /// The key directory: ROLE.key (a private key file) or, for a key held
    /// elsewhere, ROLE.pub (its public key, PEM) for each role.
    #[arg(long, value_name = "KEYDIR")]
    keys: PathBuf,
    /// Use FILE as ROLE's key instead of KEYDIR/ROLE.key: a key file
    /// (securesystemslib's JSON layout) or a PEM private key (PKCS#8
    /// ed25519, ECDSA P-256 or RSA, encrypted or not; SEC1; PKCS#1); or, with
    /// --sign-command, the role's public key (PEM). Repeatable.
    #[arg(long = "key", value_name = "ROLE=FILE", value_parser = role_value::<PathBuf>)]
    key: Vec<(String, PathBuf)>,
    /// Sign ROLE's metadata by running CMD (through `sh -c`): it reads the
    /// bytes to sign on stdin and prints the signature, hex or base64, on
    /// stdout. The public key is --key ROLE=FILE or KEYDIR/ROLE.pub (PEM).
    /// Also the variable WAYMARK_PACK_SIGN_COMMAND_ and the role in capitals
    /// (e.g. WAYMARK_PACK_SIGN_COMMAND_ROOT). Repeatable.
    #[arg(long = "sign-command", value_name = "ROLE=CMD", value_parser = role_value::<String>)]
    sign_command: Vec<(String, String)>,
}

const KEYS_HELP: &str = "\
Keys: each role (root, targets, snapshot, timestamp) signs with, first match:
  1. a signing command (--sign-command ROLE=CMD or WAYMARK_PACK_SIGN_COMMAND_<ROLE>),
     with the public key in --key ROLE=FILE or KEYDIR/ROLE.pub (PEM);
  2. the private key in --key ROLE=FILE, else KEYDIR/ROLE.key (an encrypted one
     opens with WAYMARK_PACK_KEY_PASSPHRASE, else a prompt on the terminal);
  3. KEYDIR/ROLE.pub alone: the public key only, enough as long as nothing
     needs that role's signature (e.g. the root, kept offline, between rotations).
Only the roles a command signs for are read: publish and refresh never need
the root key unless they create the repository or renew the root.
Key types: ed25519, ECDSA P-256 (ecdsa-sha2-nistp256) and RSA (rsassa-pss-sha256,
2048 bits or more). Keys in KEYDIR/retired/ are never read.

A signing command reads the canonical JSON to sign on stdin and prints the
signature on stdout as hex or base64 (whitespace ignored; hex when it is only
hex digits); ECDSA signatures DER or the 64 bytes r||s, over SHA-256. Its
stderr is the terminal's (PIN prompts); WAYMARK_PACK_ROLE and
WAYMARK_PACK_KEYID are set for it. Every signature is verified against the
public key before anything is written. For example:
  --sign-command 'root=openssl dgst -sha256 -sign /media/usb/root.pem | base64 -w0'
  --sign-command 'root=pkcs11-tool --sign --mechanism ECDSA-SHA256 --id 01 -i /dev/stdin | base64 -w0'
";

/// `ROLE=VALUE`, ROLE one of the four.
fn role_value<T: From<String>>(arg: &str) -> Result<(String, T), String> {
    let Some((role, value)) = arg.split_once('=') else {
        return Err("expected ROLE=VALUE".into());
    };
    if !keys::ROLES.contains(&role) {
        return Err(format!(
            "unknown role '{role}': one of root, targets, snapshot, timestamp"
        ));
    }
    if value.trim().is_empty() {
        return Err(format!("nothing given for {role}"));
    }
    Ok((role.to_owned(), T::from(value.to_owned())))
}

impl KeyArgs {
    fn sources(self) -> keys::KeySources {
        keys::KeySources {
            dir: self.keys,
            files: self.key.into_iter().collect(),
            commands: self.sign_command.into_iter().collect(),
        }
    }
}

#[derive(Debug, clap::Args)]
struct ExpiryArgs {
    /// Days the root metadata stays valid.
    #[arg(long, default_value_t = 365)]
    root_expires_days: i64,
    /// Days the targets metadata stays valid.
    #[arg(long, default_value_t = 90)]
    targets_expires_days: i64,
    /// Days the snapshot metadata stays valid.
    #[arg(long, default_value_t = 30)]
    snapshot_expires_days: i64,
    /// Hours the timestamp stays valid (short: it proves freshness).
    #[arg(long, default_value_t = 24)]
    timestamp_expires_hours: i64,
    /// Days the timestamp inside offline bundles stays valid (at most the snapshot's).
    #[arg(long, default_value_t = 30)]
    bundle_expires_days: i64,
}

impl ExpiryArgs {
    fn get(&self) -> Result<repo::Expiries, Report> {
        let e = repo::Expiries {
            root_days: self.root_expires_days,
            targets_days: self.targets_expires_days,
            snapshot_days: self.snapshot_expires_days,
            timestamp_hours: self.timestamp_expires_hours,
            bundle_days: self.bundle_expires_days,
        };
        if e.root_days < 1
            || e.targets_days < 1
            || e.snapshot_days < 1
            || e.timestamp_hours < 1
            || e.bundle_days < 1
        {
            return fail("expiry periods must be at least 1");
        }
        Ok(e)
    }
}

/// A command's failure: one line, no secrets, worded by the renderer the
/// device CLI `waymark` shares.
pub use waymark_core::error::Report;

/// Shorthand for a failure with a message.
pub fn fail<T>(message: impl Into<String>) -> Result<T, Report> {
    Err(Report::message(message))
}

/// For a bundle: who signed it, checked against the bundle's own first
/// root (a phone checks against the root it trusts).
fn inspect_bundle(file: &std::path::Path) -> Result<Option<Vec<u8>>, Report> {
    use waymark_core::tuf::{Envelope, MetaList, Root, fingerprint};
    let mut pack = Vec::new();
    let Ok((info, set, _)) = waymark_core::content::read_bundle(file, &mut pack) else {
        return Ok(None);
    };
    outln!(
        "bundle      publisher {}, target {}",
        info.publisher,
        info.target
    );
    let Some(first) = set.roots.first() else {
        outln!(
            "signed by   (no root metadata in the bundle: check it on a phone that trusts the publisher)"
        );
        return Ok(Some(pack));
    };
    let newest: Root = Envelope::parse(set.roots.last().unwrap_or(first))?.read("root")?;
    outln!(
        "root        version {}, fingerprint {}",
        newest.version,
        fingerprint(&newest)
    );
    for (role, bytes) in [
        ("targets", &set.targets),
        ("snapshot", &set.snapshot),
        ("timestamp", &set.timestamp),
    ] {
        let env = Envelope::parse(bytes)?;
        let signers: Vec<String> = env
            .signatures
            .iter()
            .map(|s| s.keyid.chars().take(12).collect())
            .collect();
        let expires = env
            .read::<MetaList>(role)
            .map(|m| m.expires.to_string())
            .or_else(|_| {
                env.read::<waymark_core::tuf::Targets>(role)
                    .map(|t| t.expires.to_string())
            });
        outln!(
            "{role:<11} signed by {} · expires {}",
            signers.join(", "),
            expires.unwrap_or_else(|_| "?".into())
        );
    }
    // The same checks a phone makes, against the bundle's first root.
    let checked = if info.format == waymark_core::content::FORMAT_PACK_FILE {
        "the pack's hashes"
    } else {
        "the shared content's signed digest"
    };
    match waymark_core::content::verify_bundle(file, first, chrono::Utc::now()) {
        Ok(_) => outln!(
            "verified    signatures, expiry and {checked} check out against the bundle's root"
        ),
        Err(e) => outln!("NOT VALID   {e}"),
    }
    Ok(Some(pack))
}

fn inspect(file: &std::path::Path) -> Result<(), Report> {
    let bytes = match inspect_bundle(file)? {
        Some(pack) => pack,
        None => std::fs::read(file)?,
    };
    let mut reader = PackReader::new(&bytes[..])?;
    let m = reader.manifest().clone();
    outln!("pack        {} version {}", m.id, m.version);
    outln!("publisher   {} ({})", m.publisher.name, m.publisher.id);
    for (lang, t) in &m.title {
        outln!("title[{lang}]  {t}");
    }
    outln!("languages   {}", m.languages.join(", "));
    outln!("fallback    {}", m.fallback.join(" → "));
    outln!("built       {}", m.built);
    if m.sample {
        outln!("SAMPLE DATA: not for real use");
    }
    let mut counts = std::collections::BTreeMap::new();
    for e in &mut reader {
        let e = e?;
        let kind = match e {
            waymark_core::content::model::Entry::Article(_) => "articles",
            waymark_core::content::model::Entry::Service(_) => "services",
            waymark_core::content::model::Entry::Country(_) => "countries",
            waymark_core::content::model::Entry::Route(_) => "routes",
            waymark_core::content::model::Entry::Alert(_) => "alerts",
        };
        *counts.entry(kind).or_insert(0u64) += 1;
    }
    for (k, n) in counts {
        outln!("{k:<11} {n}");
    }
    outln!("bytes       {}", bytes.len());
    Ok(())
}

fn run(cli: Cli) -> Result<(), Report> {
    repo::init_clock()?;
    match cli.command {
        Command::Validate { dir } => build::validate(&dir, build::default_threads()).map(|s| {
            outln!("{}: no errors ({} entries)", dir.display(), s.entries.len());
        }),
        Command::Build { dir, out, threads } => build::build(&dir, &out, threads),
        Command::New { dir, languages } => template::new_pack(&dir, &languages),
        Command::Keygen {
            out,
            kind,
            roles,
            encrypt,
        } => keys::keygen(&out, kind, &roles, encrypt),
        Command::Publish {
            packs,
            repo,
            keys,
            url,
            patches,
            expiries,
            to,
            s3,
        } => upload::around(&repo, to.as_deref(), &s3, || {
            repo::Repo::new(&repo).publish(
                &packs,
                &keys.sources(),
                url.as_deref(),
                patches,
                expiries.get()?,
            )
        }),
        Command::RotateKey {
            role,
            keys,
            kind,
            encrypt,
            repo,
            expiries,
        } => repo::Repo::new(&repo).rotate_key(
            &role,
            &keys.sources(),
            kind,
            encrypt,
            expiries.get()?,
        ),
        Command::Refresh {
            repo,
            keys,
            renew,
            expiries,
            to,
            s3,
        } => upload::around(&repo, to.as_deref(), &s3, || {
            repo::Repo::new(&repo).refresh(&keys.sources(), expiries.get()?, &renew)
        }),
        Command::Upload { repo, to, s3 } => upload::around(&repo, Some(&to), &s3, || Ok(())),
        Command::Serve { repo, addr } => serve::serve(&repo, addr),
        Command::Inspect { file } => inspect(&file),
        Command::Preview { dir, lang, port } => preview::preview(&dir, lang, port),
        Command::Card {
            repo,
            png,
            card_url,
            json,
            invert,
        } => card::card(
            &repo,
            &card::CardOptions {
                card_url: card_url.as_deref(),
                png: png.as_deref(),
                json,
                invert,
            },
        ),
    }
}

/// Set by `preview`, which publishes to a throwaway repository on every
/// change: what `publish` says about it is noise there.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes one line to stdout. When the reader has gone (a closed pipe),
/// stops quietly with status 141, as a program killed by SIGPIPE would.
pub fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    if QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    if let Err(e) = writeln!(std::io::stdout().lock(), "{line}") {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(std::io::stderr(), "waymark-pack: cannot write: {e}");
            std::process::exit(1);
        }
        std::process::exit(141);
    }
}

fn main() -> ExitCode {
    use std::io::Write;
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) => {
            let _ = writeln!(std::io::stderr(), "waymark-pack: {}", report.line());
            ExitCode::FAILURE
        }
    }
}
