//! `waymark backup …`: backup files of the vault in the age format.

use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, Subcommand};
use serde::Serialize;
use waymark_core::backup::{
    self, BackupRecipients, Identity, ImportSummary, X25519Identity, X25519Recipient,
};
use waymark_core::vault::DocumentId;

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
}

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
    }
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
