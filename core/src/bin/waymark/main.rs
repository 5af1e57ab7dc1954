//! `waymark`: the headless device CLI over `waymark-core`: the vault, the
//! trust store, content packs and the queries over them.
//!
//! Exit status 0 on success; otherwise non-zero with exactly one human line
//! on stderr (`waymark: …`). Results go to stdout; `--json` makes listings
//! machine-readable. Secrets come from environment variables or a prompt
//! without echo, never from arguments (which other users can see in `ps`).

mod backup_cmd;
mod content_cmd;
mod demo;
mod output;
mod secrets;
mod sync_cmd;
mod vault_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Waymark on the command line: a person's encrypted documents and offline
/// content, on this device.
///
/// Secrets come from environment variables (WAYMARK_PASSPHRASE,
/// WAYMARK_NEW_PASSPHRASE, WAYMARK_DURESS_PASSPHRASE, WAYMARK_RECOVERY_CODE,
/// WAYMARK_BACKUP_PASSPHRASE, WAYMARK_S3_SECRET_KEY,
/// WAYMARK_WEBDAV_PASSWORD) or from a prompt without echo; never from
/// arguments.
#[derive(Debug, Parser)]
#[command(name = "waymark", version)]
struct Cli {
    /// Where Waymark keeps its data; the vault is in DIR/vault (default:
    /// $WAYMARK_HOME, else $XDG_DATA_HOME/waymark, else
    /// ~/.local/share/waymark).
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,

    /// Machine-readable output (JSON) for commands that list things.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The document vault.
    #[command(subcommand)]
    Vault(Box<vault_cmd::VaultCommand>),
    /// Backups of the vault: age files (export, import) and the remote
    /// backup to S3 or WebDAV (remote set, now, restore, status).
    #[command(subcommand)]
    Backup(backup_cmd::BackupCommand),
    /// Publishers whose packs this device accepts.
    #[command(subcommand)]
    Trust(content_cmd::TrustCommand),
    /// Installed content packs.
    #[command(subcommand)]
    Pack(content_cmd::PackCommand),
    /// Search every installed pack.
    Search(content_cmd::SearchArgs),
    /// Services near a point, nearest first.
    Nearby(content_cmd::NearbyArgs),
    /// A country's profile: emergency numbers, asylum, rights, missions.
    Country(content_cmd::CountryArgs),
    /// Routes through a place, with their legs and risks.
    Routes(content_cmd::RoutesArgs),
    /// Alerts in force now.
    Alerts(content_cmd::AlertsArgs),
    /// Update every trusted publisher's packs from its repository.
    Sync(sync_cmd::SyncArgs),
    /// Run the end-to-end demo in a temporary directory.
    Demo(demo::DemoArgs),
}

/// The failure of a command: one line for the person, no personal data,
/// worded by the renderer `waymark-pack` shares.
pub use waymark_core::error::Report;

/// Shorthand for a failure with a message.
pub fn fail<T>(message: impl Into<String>) -> Result<T, Report> {
    Err(Report::message(message))
}

/// Resolves the home directory: `--home`, `$WAYMARK_HOME`, then the XDG
/// data directory.
fn home_dir(flag: Option<PathBuf>) -> Result<PathBuf, Report> {
    if let Some(dir) = flag {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os("WAYMARK_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(data).join("waymark"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local/share/waymark")),
        None => fail("no home directory: pass --home DIR or set WAYMARK_HOME"),
    }
}

fn run(cli: Cli) -> Result<(), Report> {
    match cli.command {
        Command::Vault(cmd) => {
            let home = home_dir(cli.home)?;
            vault_cmd::run(*cmd, &home.join("vault"), cli.json)
        }
        Command::Backup(cmd) => {
            let home = home_dir(cli.home)?;
            backup_cmd::run(cmd, &home.join("vault"), cli.json)
        }
        Command::Trust(cmd) => content_cmd::trust(cmd, &home_dir(cli.home)?, cli.json),
        Command::Pack(cmd) => content_cmd::pack(cmd, &home_dir(cli.home)?, cli.json),
        Command::Search(args) => content_cmd::search(args, &home_dir(cli.home)?, cli.json),
        Command::Nearby(args) => content_cmd::nearby(args, &home_dir(cli.home)?, cli.json),
        Command::Country(args) => content_cmd::country(args, &home_dir(cli.home)?, cli.json),
        Command::Routes(args) => content_cmd::routes(args, &home_dir(cli.home)?, cli.json),
        Command::Alerts(args) => content_cmd::alerts(args, &home_dir(cli.home)?, cli.json),
        Command::Sync(args) => sync_cmd::sync(args, &home_dir(cli.home)?, cli.json),
        Command::Demo(args) => demo::run(args),
    }
}

/// Clap's error as one line: its message (and tip), then the usage.
fn usage_error_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let mut message = String::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u.to_owned());
        } else if line.starts_with("For more information") {
            continue;
        } else if usage.is_none() {
            let line = line.strip_prefix("error: ").unwrap_or(line);
            if !message.is_empty() {
                message.push_str(if message.ends_with(':') { " " } else { "; " });
            }
            message.push_str(line);
        }
    }
    match usage {
        Some(u) => format!("{message}; usage: {u}"),
        None => format!("{message} (try --help)"),
    }
}

/// Keeps the one-line contract even if something panics: one line saying
/// where (never the panic's message, which could hold data). A closed
/// stdout (`waymark vault list | head -1`) is not worth a word.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if payload.contains("failed printing to stdout") {
            return;
        }
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("waymark: internal error{place}; please report it");
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version, and the help shown for a bare `waymark vault`.
        Err(e)
            if !e.use_stderr()
                || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            e.exit()
        }
        Err(e) => {
            eprintln!("waymark: {}", usage_error_line(&e));
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) => {
            // One line, whatever the message held.
            eprintln!("waymark: {}", report.line());
            ExitCode::FAILURE
        }
    }
}
