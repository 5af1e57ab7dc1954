//! `waymark-tuf-client`: Waymark's TUF client behind the command-line
//! protocol of the tuf-conformance test suite (its `CLIENT-CLI.md`), so the
//! same client that syncs packs on phones can be checked against the
//! suite and driven by end-to-end tests.
//!
//! ```text
//! waymark-tuf-client --metadata-dir DIR init TRUSTED_ROOT
//! waymark-tuf-client --metadata-dir DIR --metadata-url URL refresh
//! waymark-tuf-client --metadata-dir DIR --metadata-url URL \
//!     --target-name PATH [--target-name PATH]... \
//!     --target-base-url URL --target-dir DIR download
//! ```
//!
//! Trusted metadata is kept in DIR under non-versioned names (`root.json`,
//! `timestamp.json`, …). Downloaded artifacts are stored in the target
//! directory under their URL-escaped target path; one already there with
//! the signed length and hashes is not fetched again. Exit status 0 when
//! everything succeeded, 1 otherwise (with one line on stderr).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use waymark_core::error::Report;
use waymark_core::sync::{CancelToken, Http, HttpConfig, HttpRemote};
use waymark_core::tuf::{MetadataStore, SeenVersions, Updater, escape_role, target_url};
use waymark_core::{Error, Result};

/// A TUF client (specification 1.0.x) speaking the tuf-conformance
/// client-under-test protocol.
#[derive(Debug, Parser)]
#[command(name = "waymark-tuf-client", version)]
struct Cli {
    /// Where trusted metadata is kept.
    #[arg(long, value_name = "DIR")]
    metadata_dir: PathBuf,
    /// The repository's metadata URL.
    #[arg(long, value_name = "URL")]
    metadata_url: Option<String>,
    /// A target path to download (repeatable).
    #[arg(long = "target-name", value_name = "PATH")]
    target_names: Vec<String>,
    /// The repository's targets URL.
    #[arg(long, value_name = "URL")]
    target_base_url: Option<String>,
    /// Where downloaded targets are stored.
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// HTTP or SOCKS5 proxy URL.
    #[arg(long, value_name = "URL", env = "WAYMARK_PROXY")]
    proxy: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Trust this root.json (copied as is; no request is made).
    Init {
        /// The initial trusted root metadata file.
        trusted_root: PathBuf,
    },
    /// Update the trusted metadata from the repository.
    Refresh,
    /// Refresh, then download the named targets.
    Download,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("waymark-tuf-client: {}", Report::from(e).line());
            ExitCode::from(1)
        }
    }
}

fn required<'a, T: ?Sized>(value: Option<&'a T>, flag: &str) -> Result<&'a T> {
    value.ok_or_else(|| Error::InvalidInput(format!("{flag} is required for this command")))
}

fn run(cli: &Cli) -> Result<()> {
    if let Command::Init { trusted_root } = &cli.command {
        let bytes = std::fs::read(trusted_root)?;
        let mut store = DirStore::new(&cli.metadata_dir)?;
        MetadataStore::store(&mut store, "root", &bytes, None)?;
        return Ok(());
    }
    let metadata_url = required(cli.metadata_url.as_deref(), "--metadata-url")?;
    let http = Http::new(HttpConfig {
        retries: 1,
        backoff_base: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
        proxy: cli.proxy.clone(),
        ..HttpConfig::default()
    })?;
    let cancel = CancelToken::new();
    let mut store = DirStore::new(&cli.metadata_dir)?;
    let mut remote = HttpRemote::new(&http, &cancel, metadata_url);
    let mut updater = Updater::new(
        &mut remote,
        &mut store,
        chrono::Utc::now(),
        SeenVersions::default(),
    )?;
    updater.refresh()?;
    if matches!(cli.command, Command::Refresh) {
        return Ok(());
    }
    let base = required(cli.target_base_url.as_deref(), "--target-base-url")?;
    let dir = required(cli.target_dir.as_deref(), "--target-dir")?;
    if cli.target_names.is_empty() {
        return Err(Error::InvalidInput(
            "--target-name is required for download".into(),
        ));
    }
    std::fs::create_dir_all(dir)?;
    let consistent = updater.root().consistent_snapshot;
    for name in &cli.target_names {
        let file = updater
            .target(name)?
            .ok_or_else(|| Error::NotFound("target"))?;
        let dest = dir.join(escape_role(name));
        if let Ok(bytes) = std::fs::read(&dest)
            && file.check(&bytes).is_ok()
        {
            continue; // already here, with the signed hashes
        }
        let url = target_url(base, name, &file, consistent);
        download(&http, &cancel, &url, &dest, &file)?;
    }
    Ok(())
}

/// Downloads to a temporary file beside `dest`, checks it against the
/// signed length and hashes, then renames it into place.
fn download(
    http: &Http,
    cancel: &CancelToken,
    url: &str,
    dest: &Path,
    file: &waymark_core::tuf::TargetFile,
) -> Result<()> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(parent)
        .map_err(|e| Error::Io(std::io::Error::from(e.kind())))?;
    let mut validator = None;
    http.download(
        url,
        tmp.as_file_mut(),
        file.length,
        &mut validator,
        cancel,
        &mut |_| {},
    )?;
    let bytes = std::fs::read(tmp.path())?;
    file.check(&bytes)?;
    tmp.persist(dest)
        .map_err(|e| Error::Io(std::io::Error::from(e.error.kind())))?;
    Ok(())
}

/// A [`MetadataStore`] in a directory: `root.json`, `timestamp.json`, …
/// (role names escaped), each written atomically; ETags beside them as
/// `ROLE.etag`.
pub struct DirStore {
    dir: std::path::PathBuf,
}

impl DirStore {
    /// The store in `dir` (created if needed).
    pub fn new(dir: &std::path::Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(DirStore {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, role: &str, ext: &str) -> std::path::PathBuf {
        self.dir.join(format!("{}.{ext}", escape_role(role)))
    }

    fn write(&self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

fn read_optional(path: &std::path::Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl MetadataStore for DirStore {
    fn load(&self, role: &str) -> Result<Option<Vec<u8>>> {
        read_optional(&self.path(role, "json"))
    }

    fn etag(&self, role: &str) -> Result<Option<String>> {
        Ok(read_optional(&self.path(role, "etag"))?.and_then(|b| String::from_utf8(b).ok()))
    }

    fn store(&mut self, role: &str, bytes: &[u8], etag: Option<&str>) -> Result<()> {
        self.write(&self.path(role, "json"), bytes)?;
        let etag_path = self.path(role, "etag");
        match etag {
            Some(tag) => self.write(&etag_path, tag.as_bytes()),
            None => match std::fs::remove_file(&etag_path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
        }
    }
}
