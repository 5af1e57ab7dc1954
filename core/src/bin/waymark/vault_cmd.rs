//! `waymark vault …`: the document vault.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde::Serialize;
use waymark_core::types::CountryCode;
use waymark_core::vault::{
    DocumentId, DocumentKind, DocumentMetadata, KdfParams, RecoveryCode, Vault, VaultOptions,
    wipe_dir,
};

use crate::secrets::{self, DURESS_PASSPHRASE, NEW_PASSPHRASE, RECOVERY_CODE};
use crate::{Report, fail, output};

/// Sets the Argon2id memory of a new vault, in KiB: for tests and slow
/// machines only; lowering it lowers the protection of the passphrase.
const KDF_MEMORY_VAR: &str = "WAYMARK_KDF_MEMORY_KIB";
/// Sets the Argon2id passes of a new vault (see [`KDF_MEMORY_VAR`]).
const KDF_ITERATIONS_VAR: &str = "WAYMARK_KDF_ITERATIONS";

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create a vault and print its recovery code (once).
    ///
    /// The passphrase comes from WAYMARK_PASSPHRASE, else it is asked twice.
    /// The key derivation is Argon2id, 64 MiB, 3 passes. WAYMARK_KDF_MEMORY_KIB
    /// and WAYMARK_KDF_ITERATIONS override it, for tests and slow machines;
    /// lowering them lowers protection. Only `init` reads them: a vault keeps
    /// the parameters it was created with.
    Init,
    /// Add a document from a file; prints its id.
    Add(AddArgs),
    /// List the documents.
    List,
    /// Show one document's details.
    Show {
        /// The document id.
        id: String,
    },
    /// Write a document's content to a file.
    Get {
        /// The document id.
        id: String,
        /// Where to write it (created or replaced, atomically).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Change a document's details; only the given fields change.
    Update(UpdateArgs),
    /// Delete a document.
    Delete {
        /// The document id.
        id: String,
    },
    /// Documents expiring within DAYS days, and those already expired.
    Expiring {
        /// How many days ahead to look.
        #[arg(long, value_name = "DAYS")]
        within: u32,
    },
    /// Change the passphrase (the new one from WAYMARK_NEW_PASSPHRASE or a prompt).
    Passwd,
    /// Regain access with the recovery code (WAYMARK_RECOVERY_CODE) and set a
    /// new passphrase (WAYMARK_NEW_PASSPHRASE).
    Recover,
    /// Make a new recovery code; the old one stops working.
    RecoveryCode,
    /// Set the duress passphrase (from WAYMARK_DURESS_PASSPHRASE or a
    /// prompt), which opens an empty decoy vault.
    Duress {
        /// Unlocking with the duress passphrase also destroys the real vault.
        #[arg(long)]
        destroy_real: bool,
    },
    /// Show or change the settings.
    Settings {
        /// Lock after this many seconds without use.
        #[arg(long, value_name = "SECS")]
        auto_lock: Option<u64>,
        /// Wipe the vault after N failed passphrase attempts in a row.
        #[arg(long, value_name = "N", conflicts_with = "no_wipe")]
        wipe_after: Option<u32>,
        /// Never wipe after failed attempts.
        #[arg(long)]
        no_wipe: bool,
    },
    /// Destroy the vault: keys first, then files. Needs no passphrase.
    Wipe {
        /// Confirm: without it nothing happens.
        #[arg(long)]
        yes: bool,
    },
}

/// Metadata flags shared by `add` and `update` (besides kind and title).
#[derive(Debug, Args)]
pub struct MetadataArgs {
    /// Issuing country, ISO 3166-1 alpha-2 (e.g. DE).
    #[arg(long)]
    country: Option<String>,
    /// Document number.
    #[arg(long)]
    number: Option<String>,
    /// Holder's name as printed.
    #[arg(long)]
    holder: Option<String>,
    /// Date of issue, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    issued: Option<String>,
    /// Date of expiry, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    expires: Option<String>,
    /// Notes.
    #[arg(long)]
    notes: Option<String>,
    /// A tag (repeat for several).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// MIME type (default: guessed from the file name).
    #[arg(long)]
    mime: Option<String>,
}

/// `waymark vault add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The file to add (a scan or photo).
    file: PathBuf,
    /// Kind: passport, visa, residence-permit, national-id, birth-certificate,
    /// marriage-certificate, medical, education, travel-ticket, other.
    #[arg(long)]
    kind: String,
    /// A title of your choosing.
    #[arg(long)]
    title: String,
    #[command(flatten)]
    metadata: MetadataArgs,
}

/// `waymark vault update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The document id.
    id: String,
    /// Kind: passport, visa, residence-permit, national-id, birth-certificate,
    /// marriage-certificate, medical, education, travel-ticket, other.
    #[arg(long)]
    kind: Option<String>,
    /// A new title.
    #[arg(long)]
    title: Option<String>,
    #[command(flatten)]
    metadata: MetadataArgs,
}

fn kind(text: &str) -> Result<DocumentKind, Report> {
    Ok(text.parse::<DocumentKind>()?)
}

fn date(flag: &str, value: &str) -> Result<NaiveDate, Report> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| fail(format!("--{flag} must be a date as YYYY-MM-DD")))
}

impl MetadataArgs {
    /// True when no flag was given.
    fn is_empty(&self) -> bool {
        self.country.is_none()
            && self.number.is_none()
            && self.holder.is_none()
            && self.issued.is_none()
            && self.expires.is_none()
            && self.notes.is_none()
            && self.tags.is_empty()
            && self.mime.is_none()
    }

    /// Applies the given flags to `m`.
    fn apply(self, m: &mut DocumentMetadata) -> Result<(), Report> {
        if let Some(c) = self.country {
            m.issuing_country = Some(c.parse::<CountryCode>()?);
        }
        if let Some(n) = self.number {
            m.number = Some(n);
        }
        if let Some(h) = self.holder {
            m.holder_name = Some(h);
        }
        if let Some(d) = self.issued {
            m.issued_on = Some(date("issued", &d)?);
        }
        if let Some(d) = self.expires {
            m.expires_on = Some(date("expires", &d)?);
        }
        if let Some(n) = self.notes {
            m.notes = n;
        }
        if !self.tags.is_empty() {
            m.tags = self.tags;
        }
        if let Some(mime) = self.mime {
            m.mime_type = mime;
        }
        Ok(())
    }
}

/// Options for a new vault: the defaults, with the KDF variables applied.
fn options() -> Result<VaultOptions, Report> {
    let mut options = VaultOptions::default();
    let var = |name: &str| -> Result<Option<u32>, Report> {
        match std::env::var(name) {
            Ok(v) if v.trim().is_empty() => Ok(None),
            Ok(v) => v
                .trim()
                .parse()
                .map(Some)
                .or_else(|_| fail(format!("{name} must be a whole number"))),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => fail(format!("{name} is not valid UTF-8")),
        }
    };
    if let Some(m) = var(KDF_MEMORY_VAR)? {
        options.kdf.memory_kib = m;
    }
    if let Some(t) = var(KDF_ITERATIONS_VAR)? {
        options.kdf.iterations = t;
    }
    if options.kdf.validate().is_err() {
        return fail(format!(
            "{KDF_MEMORY_VAR} must be 8 to 1048576 and {KDF_ITERATIONS_VAR} 1 to 64"
        ));
    }
    Ok(options)
}

/// `64 MiB × 3` or `64 KiB × 1`.
fn kdf_text(kdf: &KdfParams) -> String {
    let memory = if kdf.memory_kib.is_multiple_of(1024) {
        format!("{} MiB", kdf.memory_kib / 1024)
    } else {
        format!("{} KiB", kdf.memory_kib)
    };
    format!("{memory} × {}", kdf.iterations)
}

/// Opens and unlocks the vault with the passphrase.
pub fn unlocked(dir: &Path) -> Result<Vault, Report> {
    let vault = Vault::open(dir, VaultOptions::default())?;
    vault.unlock(&secrets::passphrase()?)?;
    Ok(vault)
}

fn id(text: &str) -> Result<DocumentId, Report> {
    Ok(text.trim().parse::<DocumentId>()?)
}

fn print_recovery_code(code: &RecoveryCode) {
    println!("Recovery code (shown once; write it down and keep it apart from the phone):");
    println!();
    println!("    {code}");
    println!();
    println!("It opens the vault if the passphrase is forgotten.");
}

#[derive(Serialize)]
struct SettingsView {
    auto_lock_secs: u64,
    wipe_after_failures: Option<u32>,
    kdf: KdfParams,
}

/// Runs a vault command on the vault in `dir`.
pub fn run(cmd: VaultCommand, dir: &Path, json: bool) -> Result<(), Report> {
    match cmd {
        VaultCommand::Init => {
            let options = options()?;
            // Refuse before asking for a passphrase (create checks again).
            if Vault::exists(dir) {
                return Err(waymark_core::Error::VaultExists.into());
            }
            let passphrase = secrets::secret(secrets::PASSPHRASE, "New passphrase", true)?;
            let (_vault, code) = Vault::create(dir, &passphrase, options.clone())?;
            if options.kdf != KdfParams::DEFAULT {
                eprintln!(
                    "waymark: note: key derivation set to Argon2id {} by {KDF_MEMORY_VAR}/{KDF_ITERATIONS_VAR} (default {})",
                    kdf_text(&options.kdf),
                    kdf_text(&KdfParams::DEFAULT)
                );
            }
            if !options.kdf.at_least(&KdfParams::MINIMUM) {
                eprintln!(
                    "waymark: note: below the minimum of {}, the vault is marked as made with insecure test parameters",
                    kdf_text(&KdfParams::MINIMUM)
                );
            }
            print_recovery_code(&code);
        }
        VaultCommand::Add(args) => {
            let mut metadata = DocumentMetadata::new(kind(&args.kind)?, args.title);
            args.metadata.apply(&mut metadata)?;
            metadata.validate()?;
            if !args.file.is_file() {
                return fail("the file to add does not exist or is not a file");
            }
            let vault = unlocked(dir)?;
            println!("{}", vault.add_document_file(metadata, &args.file)?);
        }
        VaultCommand::List => {
            let docs = unlocked(dir)?.list_documents()?;
            if json {
                output::json(&docs)?;
            } else if docs.is_empty() {
                println!("No documents.");
            } else {
                for d in &docs {
                    println!("{}", output::document_line(d));
                }
            }
        }
        VaultCommand::Show { id: text } => {
            let doc = unlocked(dir)?.document(&id(&text)?)?;
            if json {
                output::json(&doc)?;
            } else {
                let m = &doc.metadata;
                let opt =
                    |v: Option<String>| v.filter(|v| !v.is_empty()).unwrap_or_else(|| "-".into());
                println!("id        {}", doc.id);
                println!("kind      {}", m.kind);
                println!("title     {}", m.title);
                println!(
                    "country   {}",
                    opt(m.issuing_country.map(|c| c.to_string()))
                );
                println!("number    {}", opt(m.number.clone()));
                println!("holder    {}", opt(m.holder_name.clone()));
                println!("issued    {}", opt(m.issued_on.map(|d| d.to_string())));
                println!("expires   {}", opt(m.expires_on.map(|d| d.to_string())));
                println!("tags      {}", opt(Some(m.tags.join(", "))));
                println!("notes     {}", opt(Some(m.notes.clone())));
                println!("type      {}", m.mime_type);
                println!("size      {}", output::human_size(doc.size));
                println!("added     {}", doc.created_at.format("%Y-%m-%d %H:%M UTC"));
                println!("changed   {}", doc.updated_at.format("%Y-%m-%d %H:%M UTC"));
            }
        }
        VaultCommand::Get { id: text, out } => {
            let id = id(&text)?;
            let parent = match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            if !parent.is_dir() {
                return fail("the directory for --out does not exist");
            }
            if out.is_dir() {
                return fail("--out names a directory; give a file name");
            }
            let size = unlocked(dir)?.export_document(&id, &out)?;
            println!("Wrote {} to {}", output::human_size(size), out.display());
        }
        VaultCommand::Update(args) => {
            let id = id(&args.id)?;
            if args.kind.is_none() && args.title.is_none() && args.metadata.is_empty() {
                return fail("nothing to change: give at least one field, e.g. --title");
            }
            let kind = args.kind.as_deref().map(kind).transpose()?;
            let vault = unlocked(dir)?;
            let mut metadata = vault.document(&id)?.metadata;
            if let Some(k) = kind {
                metadata.kind = k;
            }
            if let Some(t) = args.title {
                metadata.title = t;
            }
            args.metadata.apply(&mut metadata)?;
            vault.update_metadata(&id, metadata)?;
            println!("Updated.");
        }
        VaultCommand::Delete { id: text } => {
            let id = id(&text)?;
            unlocked(dir)?.delete_document(&id)?;
            println!("Deleted.");
        }
        VaultCommand::Expiring { within } => {
            let reminders = unlocked(dir)?.expiry_reminders(within)?;
            if json {
                output::json(&reminders)?;
            } else if reminders.is_empty() {
                println!("Nothing expires within {within} days.");
            } else {
                for r in &reminders {
                    println!("{}", output::reminder_line(r));
                }
            }
        }
        VaultCommand::Passwd => {
            let vault = Vault::open(dir, VaultOptions::default())?;
            let current = secrets::passphrase()?;
            let new = secrets::secret(NEW_PASSPHRASE, "New passphrase", true)?;
            vault.unlock(&current)?;
            vault.change_passphrase(&current, &new)?;
            println!("Passphrase changed.");
        }
        VaultCommand::Recover => {
            let vault = Vault::open(dir, VaultOptions::default())?;
            let code =
                RecoveryCode::parse(&secrets::secret(RECOVERY_CODE, "Recovery code", false)?)?;
            let new = secrets::secret(NEW_PASSPHRASE, "New passphrase", true)?;
            vault.unlock_with_recovery_code(&code, &new)?;
            println!("Access restored; the new passphrase is set. The recovery code still works.");
        }
        VaultCommand::RecoveryCode => {
            let code = unlocked(dir)?.regenerate_recovery_code()?;
            print_recovery_code(&code);
            println!("The previous recovery code no longer works.");
        }
        VaultCommand::Duress { destroy_real } => {
            let vault = unlocked(dir)?;
            let duress = secrets::secret(DURESS_PASSPHRASE, "Duress passphrase", true)?;
            vault.set_duress_passphrase(&duress, destroy_real)?;
            println!("Duress passphrase set: it opens an empty decoy vault.");
            if destroy_real {
                println!("Unlocking with it also destroys this vault, for good.");
            }
        }
        VaultCommand::Settings {
            auto_lock,
            wipe_after,
            no_wipe,
        } => {
            let vault = unlocked(dir)?;
            if let Some(secs) = auto_lock {
                vault.set_auto_lock(Duration::from_secs(secs))?;
            }
            if wipe_after.is_some() || no_wipe {
                vault.set_wipe_after_failures(wipe_after)?;
            }
            let s = vault.settings()?;
            let view = SettingsView {
                auto_lock_secs: s.auto_lock.as_secs(),
                wipe_after_failures: s.wipe_after_failures,
                kdf: vault.kdf_params(),
            };
            if json {
                output::json(&view)?;
            } else {
                println!(
                    "auto-lock after     {}",
                    output::human_duration(s.auto_lock)
                );
                println!(
                    "wipe after          {}",
                    s.wipe_after_failures
                        .map(|n| format!("{n} failed attempts"))
                        .unwrap_or_else(|| "never".into())
                );
                println!("key derivation      Argon2id {}", kdf_text(&view.kdf));
            }
        }
        VaultCommand::Wipe { yes } => {
            if !yes {
                return fail(
                    "wipe destroys the vault for good: add --yes to confirm (nothing was changed)",
                );
            }
            // A panic button: it always runs (and so also finishes a wipe
            // that was interrupted), and succeeds when nothing is left.
            let existed = Vault::exists(dir);
            wipe_dir(dir)?;
            println!(
                "{}",
                if existed {
                    "Vault wiped."
                } else {
                    "No vault here; nothing left to wipe."
                }
            );
        }
    }
    Ok(())
}
