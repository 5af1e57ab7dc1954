//! `waymark`: the headless device CLI over `waymark-core`: the vault, the
//! trust store, content packs and the queries over them.
//!
//! Exit status 0 on success; otherwise non-zero with exactly one human line
//! on stderr (`waymark: …`). Results go to stdout; `--json` makes listings
//! machine-readable. Secrets come from environment variables or a prompt
//! without echo, never from arguments (which other users can see in `ps`).

mod content_cmd;
mod demo;
mod output;
mod secrets;
mod vault_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Waymark on the command line: a person's encrypted documents, offline.
#[derive(Debug, Parser)]
#[command(name = "waymark", version, about, long_about = None)]
struct Cli {
    /// Where Waymark keeps its data (default: $WAYMARK_HOME, else
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
    /// Run the end-to-end demo in a temporary directory.
    Demo(demo::DemoArgs),
}

/// The failure of a command: one line for the person, no personal data.
pub struct Failure(pub String);

impl From<waymark_core::Error> for Failure {
    fn from(e: waymark_core::Error) -> Self {
        use waymark_core::Error;
        Failure(match e {
            Error::WrongPassphrase {
                failed_attempts,
                retry_after,
            } if retry_after.is_zero() => {
                format!("wrong passphrase ({failed_attempts} failed attempts in a row)")
            }
            Error::WrongPassphrase {
                failed_attempts,
                retry_after,
            } => format!(
                "wrong passphrase ({failed_attempts} failed attempts in a row; wait {} before the next)",
                output::human_duration(retry_after)
            ),
            Error::Throttled { retry_after } => format!(
                "too many failed attempts: wait {} before trying again",
                output::human_duration(retry_after)
            ),
            Error::NoVault => "no vault here: create one with `waymark vault init`".into(),
            Error::VaultExists => "a vault already exists here; nothing was changed".into(),
            other => other.to_string(),
        })
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure(format!("i/o: {e}"))
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure(format!("json: {e}"))
    }
}

/// Shorthand for a failure with a message.
pub fn fail<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure(message.into()))
}

/// Resolves the home directory: `--home`, `$WAYMARK_HOME`, then the XDG
/// data directory.
fn home_dir(flag: Option<PathBuf>) -> Result<PathBuf, Failure> {
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

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Vault(cmd) => {
            let home = home_dir(cli.home)?;
            vault_cmd::run(*cmd, &home.join("vault"), cli.json)
        }
        Command::Trust(cmd) => content_cmd::trust(cmd, &home_dir(cli.home)?, cli.json),
        Command::Pack(cmd) => content_cmd::pack(cmd, &home_dir(cli.home)?, cli.json),
        Command::Search(args) => content_cmd::search(args, &home_dir(cli.home)?, cli.json),
        Command::Nearby(args) => content_cmd::nearby(args, &home_dir(cli.home)?, cli.json),
        Command::Country(args) => content_cmd::country(args, &home_dir(cli.home)?, cli.json),
        Command::Routes(args) => content_cmd::routes(args, &home_dir(cli.home)?, cli.json),
        Command::Alerts(args) => content_cmd::alerts(args, &home_dir(cli.home)?, cli.json),
        Command::Demo(args) => demo::run(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            // One line, whatever the message held.
            let line = message.replace(['\n', '\r'], " ");
            eprintln!("waymark: {line}");
            ExitCode::FAILURE
        }
    }
}
