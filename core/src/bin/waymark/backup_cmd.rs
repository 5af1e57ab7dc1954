//! `waymark backup …`: backup files of the vault in the age format, and
//! the remote backup (S3 or WebDAV).

use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, Subcommand};
use serde::Serialize;
use std::io::IsTerminal;
use waymark_core::backup::{
    self, BackupRecipients, Identity, ImportSummary, X25519Identity, X25519Recipient,
};

use indicatif::{ProgressBar, ProgressStyle};
use waymark_core::backup::remote::{self, Location, RestoreSecret};
use waymark_core::clock::SystemClock;
use waymark_core::sync::{CancelToken, Http, HttpConfig};
use waymark_core::vault::{DocumentId, RecoveryCode, Vault, VaultOptions};

use crate::vault_cmd::unlocked;
use crate::{Report, fail, output, secrets};

/// The backup file's passphrase (not the vault's).
pub const BACKUP_PASSPHRASE: &str = "WAYMARK_BACKUP_PASSPHRASE";

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Write the vault's documents to one age file (age-encryption.org/v1).
    ///
    /// Encrypted to a backup passphrase (--passphrase: from
    /// WAYMARK_BACKUP_PASSPHRASE, else asked twice) or to one or more age
    /// public keys (--recipient age1…, a caseworker's or a relative's).
    /// Inside is a tar of each document and its metadata: `age -d FILE |
    /// tar x` reads it with no Waymark at all. The vault's own passphrase
    /// comes from WAYMARK_PASSPHRASE or a prompt.
    Export(ExportArgs),
    /// Import a backup file into the vault; documents it has already are
    /// skipped. All or nothing: a damaged or wrong-key file changes nothing.
    ///
    /// A passphrase backup's passphrase comes from WAYMARK_BACKUP_PASSPHRASE,
    /// else a prompt; a backup made to an age1 key needs --identity, the key
    /// file age-keygen wrote. Files written by `age -p` or `age -e -r` with
    /// a Waymark backup inside import too.
    Import(ImportArgs),
    /// Where the vault's remote backup lives: set it, show it, forget it.
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Back the vault up to its remote location now: only what changed is
    /// sent (nothing changed costs one small request). Everything stored is
    /// encrypted on this phone first; the storage sees no title, kind, date
    /// or count.
    Now(NowArgs),
    /// Restore a remote backup on this phone (a new phone: there must be no
    /// vault here yet). Opens with the vault's passphrase
    /// (WAYMARK_PASSPHRASE, else a prompt) or, with --recovery-code, its
    /// recovery code (WAYMARK_RECOVERY_CODE) and a new passphrase
    /// (WAYMARK_NEW_PASSPHRASE, else asked twice). Later backups continue
    /// the same one.
    Restore(RestoreArgs),
    /// Where the vault is backed up, when it last was, and whether
    /// something changed since.
    Status,
}

/// `waymark backup remote …`.
#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Set where the vault is backed up: s3://BUCKET/FOLDER with --endpoint
    /// and --access-key (the secret key from WAYMARK_S3_SECRET_KEY, else a
    /// prompt), or the https:// URL of a WebDAV folder (Nextcloud:
    /// https://HOST/remote.php/dav/files/USER/FOLDER) with --username (the
    /// password from WAYMARK_WEBDAV_PASSWORD, else a prompt). Kept
    /// encrypted in the vault.
    Set(SetArgs),
    /// Show where the vault is backed up (no secrets).
    Show,
    /// Forget the location (what is stored there stays).
    Forget,
}

/// Where a remote backup is, as typed.
#[derive(Debug, Args)]
pub struct LocationArgs {
    /// The S3 service's endpoint, e.g. https://s3.eu-central-1.amazonaws.com
    /// or an NGO's MinIO/Garage address.
    #[arg(long, value_name = "URL", env = "WAYMARK_S3_ENDPOINT")]
    endpoint: Option<String>,
    /// The S3 region (us-east-1 for services that have none).
    #[arg(long, default_value = "us-east-1", env = "WAYMARK_S3_REGION")]
    region: String,
    /// The S3 access key id (its secret from WAYMARK_S3_SECRET_KEY, else a
    /// prompt).
    #[arg(long, value_name = "KEY", env = "WAYMARK_S3_ACCESS_KEY")]
    access_key: Option<String>,
    /// The WebDAV user name (its password from WAYMARK_WEBDAV_PASSWORD,
    /// else a prompt).
    #[arg(long, value_name = "NAME", env = "WAYMARK_WEBDAV_USERNAME")]
    username: Option<String>,
}

/// `waymark backup remote set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// s3://BUCKET/FOLDER or https://…/FOLDER (WebDAV).
    url: String,
    #[command(flatten)]
    location: LocationArgs,
}

/// `waymark backup now`.
#[derive(Debug, Args)]
pub struct NowArgs {
    /// An HTTP or SOCKS5 proxy, e.g. socks5h://127.0.0.1:9050 for Orbot/Tor.
    #[arg(long, value_name = "URL", env = "WAYMARK_PROXY")]
    proxy: Option<String>,
}

/// `waymark backup restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup's location: s3://BUCKET/FOLDER or https://…/FOLDER.
    #[arg(long = "from", value_name = "URL")]
    from: String,
    #[command(flatten)]
    location: LocationArgs,
    /// Open it with the recovery code (WAYMARK_RECOVERY_CODE) and set a new
    /// passphrase (WAYMARK_NEW_PASSPHRASE), instead of the passphrase.
    #[arg(long)]
    recovery_code: bool,
    /// An HTTP or SOCKS5 proxy, e.g. socks5h://127.0.0.1:9050 for Orbot/Tor.
    #[arg(long, value_name = "URL", env = "WAYMARK_PROXY")]
    proxy: Option<String>,
}

/// The S3 secret key's variable.
pub const S3_SECRET_KEY: &str = "WAYMARK_S3_SECRET_KEY";
/// The WebDAV password's variable.
pub const WEBDAV_PASSWORD: &str = "WAYMARK_WEBDAV_PASSWORD";

/// `waymark backup export`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("to").required(true).multiple(true).args(["passphrase", "recipients"])))]
pub struct ExportArgs {
    /// Where to write the backup (created or replaced, atomically).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Encrypt to a backup passphrase.
    #[arg(long, conflicts_with = "recipients")]
    passphrase: bool,
    /// Encrypt to this age public key (repeat for several).
    #[arg(long = "recipient", value_name = "age1…")]
    recipients: Vec<String>,
    /// Only this document (repeat for several; default: every document).
    #[arg(long = "document", value_name = "ID")]
    documents: Vec<String>,
}

/// `waymark backup import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The backup file.
    file: PathBuf,
    /// An age identity file (AGE-SECRET-KEY-1…, from age-keygen), for a
    /// backup made to an age1 key.
    #[arg(long, value_name = "KEYFILE")]
    identity: Option<PathBuf>,
}

#[derive(Serialize)]
struct ExportView {
    documents: usize,
    content_bytes: u64,
}

#[derive(Serialize)]
struct ImportView<'a> {
    imported: &'a [DocumentId],
    skipped: &'a [DocumentId],
    kept_both: &'a [DocumentId],
}

/// Runs a backup command on the vault in `dir`.
pub fn run(cmd: BackupCommand, dir: &Path, json: bool) -> Result<(), Report> {
    match cmd {
        BackupCommand::Export(args) => export(args, dir, json),
        BackupCommand::Import(args) => import(args, dir, json),
        BackupCommand::Remote(cmd) => remote_cmd(cmd, dir, json),
        BackupCommand::Now(args) => now(args, dir, json),
        BackupCommand::Restore(args) => restore(args, dir, json),
        BackupCommand::Status => status(dir, json),
    }
}

/// The location typed, with its secret from the environment or a prompt.
fn location(url: &str, args: &LocationArgs) -> Result<Location, Report> {
    let url = url.trim();
    if url.starts_with("s3://") {
        let Some(endpoint) = &args.endpoint else {
            return fail("an s3:// location needs --endpoint (the S3 service's https:// address)");
        };
        let Some(access_key) = &args.access_key else {
            return fail("an s3:// location needs --access-key");
        };
        let secret = secrets::secret(S3_SECRET_KEY, "S3 secret key", false)?;
        Ok(Location::s3(
            url,
            endpoint,
            &args.region,
            access_key,
            &secret,
        )?)
    } else if url.starts_with("https://") || url.starts_with("http://") {
        let password = match &args.username {
            Some(_) => Some(secrets::secret(WEBDAV_PASSWORD, "WebDAV password", false)?),
            None => None,
        };
        Ok(Location::webdav(
            url,
            args.username.as_deref(),
            password.as_deref().map(String::as_str),
        )?)
    } else {
        fail("a backup location is s3://BUCKET/FOLDER or the https:// URL of a WebDAV folder")
    }
}

fn remote_cmd(cmd: RemoteCommand, dir: &Path, json: bool) -> Result<(), Report> {
    match cmd {
        RemoteCommand::Set(args) => {
            let location = location(&args.url, &args.location)?;
            let vault = unlocked(dir)?;
            let described = location.describe();
            remote::set_location(&vault, location)?;
            if json {
                output::json(&serde_json::json!({ "location": described }))
            } else {
                println!("Backups will go to {described}.");
                println!("Run `waymark backup now` to send the first one.");
                Ok(())
            }
        }
        RemoteCommand::Show => {
            let vault = unlocked(dir)?;
            let described = remote::location(&vault)?.map(|l| l.describe());
            if json {
                return output::json(&serde_json::json!({ "location": described }));
            }
            match described {
                Some(d) => println!("{d}"),
                None => println!("No backup location is set."),
            }
            Ok(())
        }
        RemoteCommand::Forget => {
            let vault = unlocked(dir)?;
            remote::forget_location(&vault)?;
            if !json {
                println!("Backup location forgotten (what is stored there stays).");
            }
            Ok(())
        }
    }
}

fn http(proxy: Option<String>) -> Result<Http, Report> {
    Ok(Http::new(HttpConfig {
        proxy,
        ..HttpConfig::default()
    })?)
}

fn progress_bar(json: bool) -> Option<ProgressBar> {
    (!json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:24} [{bar:30}] {bytes}/{total_bytes}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar
    })
}

fn now(args: NowArgs, dir: &Path, json: bool) -> Result<(), Report> {
    let vault = unlocked(dir)?;
    let http = http(args.proxy)?;
    let bar = progress_bar(json);
    let mut on_progress = |p: remote::Progress| {
        if let Some(bar) = &bar {
            bar.set_length(p.total_bytes);
            bar.set_position(p.bytes);
            bar.set_message(format!("{}/{} documents", p.documents, p.total_documents));
        }
    };
    let report = remote::backup_now(
        &vault,
        &http,
        &SystemClock,
        &CancelToken::new(),
        &mut on_progress,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = report?;
    if json {
        return output::json(&report);
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if report.unchanged {
        println!("Nothing changed since the last backup.");
    } else {
        println!(
            "Backed up: {} document{} sent, {} deletion{} recorded; the backup holds {} document{}.",
            report.uploaded,
            plural(report.uploaded),
            report.deleted,
            plural(report.deleted),
            report.stored_revisions,
            plural(report.stored_revisions)
        );
        if report.conflicts > 0 {
            println!(
                "{} document{} changed on two phones: both versions kept.",
                report.conflicts,
                plural(report.conflicts)
            );
        }
    }
    println!(
        "{} request{}, {} sent, {} received.",
        report.requests,
        plural(report.requests as usize),
        output::human_size(report.bytes_sent),
        output::human_size(report.bytes_received)
    );
    Ok(())
}

fn restore(args: RestoreArgs, dir: &Path, json: bool) -> Result<(), Report> {
    if Vault::exists(dir) {
        return fail(
            "this phone has a vault already: restore only into a new one (run `waymark backup now` to back this one up)",
        );
    }
    let location = location(&args.from, &args.location)?;
    let http = http(args.proxy)?;
    let passphrase;
    let code;
    let new_passphrase;
    let secret = if args.recovery_code {
        code = RecoveryCode::parse(&secrets::secret(
            secrets::RECOVERY_CODE,
            "Recovery code",
            false,
        )?)?;
        new_passphrase = secrets::secret(secrets::NEW_PASSPHRASE, "New passphrase", true)?;
        RestoreSecret::RecoveryCode {
            code: &code,
            new_passphrase: &new_passphrase,
        }
    } else {
        passphrase = secrets::passphrase()?;
        RestoreSecret::Passphrase(&passphrase)
    };
    let bar = progress_bar(json);
    let mut on_progress = |p: remote::Progress| {
        if let Some(bar) = &bar {
            bar.set_length(p.total_bytes);
            bar.set_position(p.bytes);
            bar.set_message(format!("{}/{} documents", p.documents, p.total_documents));
        }
    };
    let result = remote::restore(
        dir,
        location,
        &secret,
        &http,
        VaultOptions::default(),
        &CancelToken::new(),
        &mut on_progress,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let (_vault, report) = result?;
    if json {
        return output::json(&report);
    }
    println!(
        "Restored {} document{} ({} received). The vault opens with the same passphrase and recovery code{}.",
        report.documents,
        if report.documents == 1 { "" } else { "s" },
        output::human_size(report.bytes_received),
        if args.recovery_code {
            " (the passphrase is the new one)"
        } else {
            ""
        }
    );
    Ok(())
}

fn status(dir: &Path, json: bool) -> Result<(), Report> {
    let vault = unlocked(dir)?;
    let status = remote::status(&vault)?;
    if json {
        return output::json(&status);
    }
    match status {
        None => println!("No backup location is set (waymark backup remote set URL)."),
        Some(s) => {
            println!("Location: {}", s.location);
            match s.last_backup {
                Some(t) => println!(
                    "Last backup: {} UTC, {} document{}",
                    t.format("%Y-%m-%d %H:%M"),
                    s.stored_revisions,
                    if s.stored_revisions == 1 { "" } else { "s" }
                ),
                None => println!("Last backup: never"),
            }
            println!(
                "{}",
                if s.changed_since {
                    "Changed since: yes (run `waymark backup now`)"
                } else {
                    "Changed since: no"
                }
            );
        }
    }
    Ok(())
}

fn export(args: ExportArgs, dir: &Path, json: bool) -> Result<(), Report> {
    let ids = args
        .documents
        .iter()
        .map(|t| t.trim().parse::<DocumentId>())
        .collect::<Result<Vec<_>, _>>()?;
    let keys = args
        .recipients
        .iter()
        .map(|r| X25519Recipient::parse(r.trim()))
        .collect::<Result<Vec<_>, _>>()
        .or_else(|e| fail(e.to_string()))?;
    let vault = unlocked(dir)?;
    let (to, what) = if args.passphrase {
        let p = secrets::secret(BACKUP_PASSPHRASE, "Backup passphrase", true)?;
        (BackupRecipients::passphrase(&p), "a passphrase".to_owned())
    } else {
        let n = keys.len();
        (
            BackupRecipients::keys(&keys),
            format!("{n} age key{}", if n == 1 { "" } else { "s" }),
        )
    };
    let only = (!ids.is_empty()).then_some(ids.as_slice());
    let summary = backup::export_to_file(&vault, only, &to, &args.out)?;
    if json {
        output::json(&ExportView {
            documents: summary.documents,
            content_bytes: summary.content_bytes,
        })
    } else {
        println!(
            "Backup written: {} document{} ({}), encrypted to {what}.",
            summary.documents,
            if summary.documents == 1 { "" } else { "s" },
            output::human_size(summary.content_bytes)
        );
        println!("Keep it somewhere other than this phone; `waymark backup import` restores it.");
        Ok(())
    }
}

fn import(args: ImportArgs, dir: &Path, json: bool) -> Result<(), Report> {
    if !args.file.is_file() {
        return fail("the backup file does not exist or is not a file");
    }
    let identities = match &args.identity {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .or_else(|_| fail("the identity file cannot be read"))?;
            X25519Identity::parse_file(&text)
                .or_else(|e| fail(e.to_string()))?
                .into_iter()
                .map(Identity::X25519)
                .collect::<Vec<_>>()
        }
        None => Vec::new(),
    };
    let vault = unlocked(dir)?;
    let identities = if identities.is_empty() {
        vec![Identity::passphrase(&secrets::secret(
            BACKUP_PASSPHRASE,
            "Backup passphrase",
            false,
        )?)]
    } else {
        identities
    };
    let summary: ImportSummary = backup::import_file(&vault, &args.file, &identities)?;
    if json {
        output::json(&ImportView {
            imported: &summary.imported,
            skipped: &summary.skipped,
            kept_both: &summary.kept_both,
        })
    } else {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        println!(
            "Imported {} document{}; {} already in the vault (skipped).",
            summary.imported.len(),
            plural(summary.imported.len()),
            summary.skipped.len()
        );
        if !summary.kept_both.is_empty() {
            println!(
                "{} document{} differed from the vault's copy: both versions kept.",
                summary.kept_both.len(),
                plural(summary.kept_both.len())
            );
        }
        Ok(())
    }
}
