//! `waymark demo`: the end-to-end demo on embedded defaults, in a temporary
//! directory. One function per step, so later parts (content packs, sync)
//! add steps without touching these.

use std::path::{Path, PathBuf};

use chrono::{Duration, Local};
use clap::Args;
use waymark_core::Error;
use waymark_core::types::CountryCode;
use waymark_core::vault::{
    DocumentId, DocumentKind, DocumentMetadata, KdfParams, Vault, VaultOptions,
};

use crate::{Report, fail, output};

/// The demo's passphrase (it is a demo).
const PASSPHRASE: &str = "demo passphrase, not a real one";
/// A small sample "scan": clearly labelled sample data, no real person.
const SAMPLE_SCAN: &[u8] = b"%SAMPLE%\nWaymark demo: this stands for a passport scan.\nSAMPLE DATA - NOT A REAL DOCUMENT\n";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the temporary directory and print where it is.
    #[arg(long)]
    keep: bool,
}

fn step(n: u32, title: &str) {
    println!();
    println!("{n}. {title}");
}

/// Runs every step in order.
pub fn run(args: DemoArgs) -> Result<(), Report> {
    let tmp = tempfile::Builder::new().prefix("waymark-demo-").tempdir()?;
    let vault_dir = tmp.path().join("vault");
    println!("Waymark demo — everything happens in a temporary directory.");

    let vault = create_vault(&vault_dir)?;
    let passport = store_documents(&vault)?;
    list_documents(&vault)?;
    show_reminders(&vault)?;
    lock_and_refuse(&vault, &passport)?;
    unlock_and_read(&vault, &passport)?;

    println!();
    if args.keep {
        let kept: PathBuf = tmp.keep();
        println!("Kept the demo data in {}", kept.display());
    } else {
        println!("Done; the temporary directory is removed.");
    }
    Ok(())
}

fn create_vault(dir: &Path) -> Result<Vault, Report> {
    step(1, "Create a vault");
    // Lighter than a real vault's 64 MiB × 3 so the demo starts at once.
    let options = VaultOptions {
        kdf: KdfParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        },
        ..VaultOptions::default()
    };
    let (vault, code) = Vault::create(dir, PASSPHRASE, options)?;
    println!("   Argon2id 19 MiB × 2 (the demo's lighter setting; real vaults use 64 MiB × 3).");
    println!("   Recovery code, shown once: {code}");
    Ok(vault)
}

fn store_documents(vault: &Vault) -> Result<DocumentId, Report> {
    step(2, "Store documents (sample data)");
    let today = Local::now().date_naive();
    let mut passport = DocumentMetadata::new(DocumentKind::Passport, "Passport (SAMPLE)");
    passport.issuing_country = Some("ER".parse::<CountryCode>()?);
    passport.number = Some("X0000000".into());
    passport.holder_name = Some("SAMPLE, Amina".into());
    passport.issued_on = Some(today - Duration::days(5 * 365));
    passport.expires_on = Some(today + Duration::days(60));
    passport.mime_type = "text/plain".into();
    let passport_id = vault.add_document_bytes(passport, SAMPLE_SCAN)?;
    println!("   stored the passport scan as {passport_id}");

    let mut permit =
        DocumentMetadata::new(DocumentKind::ResidencePermit, "Residence permit (SAMPLE)");
    permit.issuing_country = Some("DE".parse::<CountryCode>()?);
    permit.expires_on = Some(today - Duration::days(12));
    let permit_id = vault.add_document_bytes(permit, b"SAMPLE DATA - residence permit")?;
    println!("   stored an expired residence permit as {permit_id}");
    Ok(passport_id)
}

fn list_documents(vault: &Vault) -> Result<(), Report> {
    step(3, "List the vault");
    for d in vault.list_documents()? {
        println!("   {}", output::document_line(&d));
    }
    Ok(())
}

fn show_reminders(vault: &Vault) -> Result<(), Report> {
    step(4, "Expiry reminders for the next 90 days");
    for r in vault.expiry_reminders(90)? {
        println!("   {}", output::reminder_line(&r));
    }
    Ok(())
}

fn lock_and_refuse(vault: &Vault, id: &DocumentId) -> Result<(), Report> {
    step(
        5,
        "Lock, then try to read and to unlock with a wrong passphrase",
    );
    vault.lock();
    match vault.read_document_bytes(id) {
        Err(Error::Locked) => {
            println!("   reading while locked: refused (the keys are gone from memory)")
        }
        other => return fail(format!("the locked vault answered {other:?}")),
    }
    match vault.unlock("a wrong guess") {
        Err(e @ Error::WrongPassphrase { .. }) => {
            println!(
                "   wrong passphrase: refused — {}",
                waymark_core::error::render(&e)
            )
        }
        other => return fail(format!("a wrong passphrase was not refused: {other:?}")),
    }
    Ok(())
}

fn unlock_and_read(vault: &Vault, id: &DocumentId) -> Result<(), Report> {
    step(6, "Unlock with the right passphrase and read the scan back");
    vault.unlock(PASSPHRASE)?;
    let bytes = vault.read_document_bytes(id)?;
    if &bytes[..] != SAMPLE_SCAN {
        return fail("the scan read back differs");
    }
    println!(
        "   read {} bytes, identical to what was stored",
        bytes.len()
    );
    Ok(())
}
