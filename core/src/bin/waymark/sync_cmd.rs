//! `waymark sync`: bring every trusted publisher's packs up to date.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use waymark_core::content::ContentStore;
use waymark_core::sync::{
    CancelToken, Http, HttpConfig, Network, PublisherStatus, SyncEvent, SyncOptions, Syncer,
};

use crate::{Report, fail, output};

/// `waymark sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The network is paid by the byte: downloads larger than
    /// --large-download wait unless --allow-large.
    #[arg(long)]
    metered: bool,
    /// Spend at most this many bytes on packs in this sync; larger
    /// downloads wait.
    #[arg(long, value_name = "BYTES")]
    budget: Option<u64>,
    /// Let large downloads run on a metered network.
    #[arg(long)]
    allow_large: bool,
    /// What counts as large on a metered network, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    large_download: u64,
    /// Only update installed packs; do not install packs new to this device.
    #[arg(long)]
    installed_only: bool,
    /// Only say what would be downloaded (checks metadata, downloads no pack).
    #[arg(long)]
    plan: bool,
    /// An HTTP or SOCKS5 proxy, e.g. socks5h://127.0.0.1:9050 for Orbot/Tor.
    #[arg(long, value_name = "URL", env = "WAYMARK_PROXY")]
    proxy: Option<String>,
}

/// Runs `waymark sync`.
pub fn sync(args: SyncArgs, home: &Path, json: bool) -> Result<(), Report> {
    let store = ContentStore::open(&home.join("content"))?;
    let http = Http::new(HttpConfig {
        proxy: args.proxy.clone(),
        ..HttpConfig::default()
    })?;
    let options = SyncOptions {
        network: if args.metered {
            Network::Metered
        } else {
            Network::Unmetered
        },
        budget: args.budget,
        large_download: args.large_download,
        allow_large_on_metered: args.allow_large,
        install_new_packs: !args.installed_only,
    };
    if store.trusted_publishers()?.iter().all(|p| p.url.is_none()) {
        return fail(
            "no trusted publisher has a repository URL: add one with `waymark trust add CARD --url URL`",
        );
    }
    let cancel = CancelToken::new();
    if args.plan {
        let plan = Syncer::new(&store, &http).plan(&options, &cancel)?;
        if json {
            return output::json(&plan);
        }
        for p in &plan.publishers {
            match &p.error {
                Some(e) => println!("{}: cannot check: {e}", p.publisher),
                None if p.downloads.is_empty() => println!("{}: up to date", p.publisher),
                None => {
                    for d in &p.downloads {
                        println!(
                            "{}: {} v{} → v{} ({:?}, {})",
                            p.publisher,
                            d.pack,
                            d.installed_version.map_or("-".into(), |v| v.to_string()),
                            d.version,
                            d.kind,
                            output::human_size(d.bytes)
                        );
                    }
                }
            }
        }
        println!("In all: {}", output::human_size(plan.total_bytes));
        return Ok(());
    }
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:30} [{bar:30}] {bytes}/{total_bytes}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar
    });
    let failures = Mutex::new(0u32);
    let listener = |event: &SyncEvent| {
        if let SyncEvent::Failed { .. } = event {
            *failures.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        }
        if json {
            if let Ok(line) = serde_json::to_string(event) {
                println!("{line}");
            }
            return;
        }
        let line = describe(event);
        match (&bar, event) {
            (
                Some(bar),
                SyncEvent::Downloading {
                    pack,
                    received,
                    total,
                    ..
                },
            ) => {
                bar.set_message(pack.clone());
                bar.set_length(*total);
                bar.set_position(*received);
            }
            (Some(bar), _) => {
                if let Some(line) = line {
                    bar.println(line);
                }
            }
            (None, _) => {
                if let Some(line) = line {
                    println!("{line}");
                }
            }
        }
    };
    let report = Syncer::new(&store, &http).run(&options, &listener, &cancel)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if json {
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({"event": "report", "report": report}))?
        );
    } else {
        for p in &report.publishers {
            for u in &p.installed {
                println!(
                    "{}: {} v{}: {}",
                    p.publisher,
                    u.pack,
                    u.version,
                    output::changes_line(&u.changes)
                );
            }
        }
        println!("Received {} in all.", output::human_size(report.bytes()));
    }
    let failed = report
        .publishers
        .iter()
        .filter(|p| p.status == PublisherStatus::Failed)
        .count();
    if failed > 0 {
        return fail(format!(
            "{failed} of {} publishers could not be synced; the content already installed is unchanged",
            report.publishers.len()
        ));
    }
    Ok(())
}

/// One human line per event (none for byte counts).
fn describe(event: &SyncEvent) -> Option<String> {
    Some(match event {
        SyncEvent::Checking { publisher } => format!("{publisher}: checking"),
        SyncEvent::Downloading { .. } => return None,
        SyncEvent::Verifying { publisher, pack } => format!("{publisher}: verifying {pack}"),
        SyncEvent::Installing {
            publisher,
            pack,
            version,
        } => format!("{publisher}: installing {pack} v{version}"),
        SyncEvent::Waiting {
            publisher,
            pack,
            bytes,
            reason,
        } => format!(
            "{publisher}: {pack} ({}) waits: {}",
            output::human_size(*bytes),
            match reason {
                waymark_core::sync::WaitReason::Metered =>
                    "too large for a metered network (--allow-large to fetch it now)",
                waymark_core::sync::WaitReason::Budget => "beyond this sync's byte budget",
            }
        ),
        SyncEvent::Done {
            publisher,
            installed,
            bytes,
        } => format!(
            "{publisher}: done, {installed} pack(s) installed, {} received",
            output::human_size(*bytes)
        ),
        SyncEvent::Failed { publisher, reason } => format!("{publisher}: FAILED: {reason}"),
    })
}
