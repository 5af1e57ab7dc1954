//! `waymark trust …`, `waymark pack …` and the content queries.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use waymark_core::content::model::{GeoPoint, Phone, Translations};
use waymark_core::content::{
    AlertFilter, ContentStore, NearbyQuery, SearchQuery, TrustLink, TrustRequest, pick,
};
use waymark_core::sync::{CancelToken, Http, HttpConfig, trust_from_link};
use waymark_core::types::CountryCode;

use crate::{Report, fail, output};

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Trust a publisher: a publisher card or root.json, as a file or as
    /// text, or the trust link in a publisher's QR code.
    ///
    /// The fingerprint shown is that of the root trusted now (for a card,
    /// the publisher's first root); it stays the same when the publisher
    /// rotates its root key.
    Add {
        /// A file path, the JSON itself, or a trust link
        /// (waymark://trust?card=URL&fp=FINGERPRINT, as `waymark-pack card`
        /// prints it): the card is downloaded from URL and trusted only if
        /// its fingerprint is FINGERPRINT.
        source: String,
        /// Trust the card only if its fingerprint is this one (as the
        /// publisher prints it; case, spaces and dashes do not matter).
        #[arg(long, value_name = "FINGERPRINT")]
        fingerprint: Option<String>,
        /// Publisher id (required for a bare root.json).
        #[arg(long)]
        id: Option<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Repository URL to sync from.
        #[arg(long)]
        url: Option<String>,
    },
    /// List the trusted publishers.
    List,
    /// Stop trusting a publisher and remove its packs.
    Remove {
        /// Publisher id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PackCommand {
    /// Install a pack bundle (verified offline against the trusted publisher).
    Install {
        /// A .wmbundle file.
        file: PathBuf,
    },
    /// List the installed packs.
    List,
    /// Remove an installed pack.
    Remove {
        /// Pack id.
        id: String,
        /// Publisher id (needed when two publishers have a pack of that id).
        #[arg(long)]
        publisher: Option<String>,
    },
    /// Write an installed pack with its publisher's signatures to one file
    /// that another phone installs with no server (`waymark pack install`).
    Export {
        /// Pack id.
        id: String,
        /// The bundle to write (.wmbundle).
        #[arg(long)]
        out: PathBuf,
        /// Publisher id (needed when two publishers have a pack of that id).
        #[arg(long)]
        publisher: Option<String>,
    },
}

/// `waymark search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for.
    query: String,
    /// Your language (BCP 47), shown first.
    #[arg(long)]
    lang: Option<String>,
    /// At most this many hits.
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

/// `waymark nearby`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct NearbyArgs {
    /// Latitude (WGS84).
    lat: f64,
    /// Longitude (WGS84).
    lon: f64,
    /// Search radius in km.
    #[arg(long, default_value_t = 5.0)]
    radius_km: f64,
    /// Only this category (legal, shelter, health, food, hotline…).
    #[arg(long)]
    category: Option<String>,
    /// Only services open now.
    #[arg(long)]
    open_now: bool,
    /// Only where this language is spoken.
    #[arg(long)]
    speaks: Option<String>,
    /// Only free services.
    #[arg(long)]
    free: bool,
    /// Language to show names in.
    #[arg(long)]
    lang: Option<String>,
}

/// `waymark country`.
#[derive(Debug, Args)]
pub struct CountryArgs {
    /// ISO 3166-1 alpha-2 code.
    code: String,
    /// Language to show.
    #[arg(long)]
    lang: Option<String>,
}

/// `waymark routes`.
#[derive(Debug, Args)]
pub struct RoutesArgs {
    /// A place the route passes through (start of its name, any language).
    place: String,
    /// Language to show.
    #[arg(long)]
    lang: Option<String>,
}

/// `waymark alerts`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct AlertsArgs {
    /// Alerts for this country.
    #[arg(long)]
    country: Option<String>,
    /// Alerts for this point: LAT,LON.
    #[arg(long, value_name = "LAT,LON")]
    near: Option<String>,
    /// Language to show.
    #[arg(long)]
    lang: Option<String>,
}

fn open(home: &Path) -> Result<ContentStore, Report> {
    Ok(ContentStore::open(&home.join("content"))?)
}

fn text<'a>(t: &'a Translations, lang: Option<&str>) -> &'a str {
    pick(t, lang, &["en".to_string()]).unwrap_or("")
}

/// A service's phone as a person reads it: the number (E.164, as the pack
/// has it) and what it is for, in the language asked for, if the pack says.
fn phone_line(phone: &Phone, lang: Option<&str>) -> String {
    match text(&phone.description, lang) {
        "" => format!("tel {}", phone.number),
        label => format!("tel {} ({label})", phone.number),
    }
}

fn provenance_line(p: &waymark_core::content::Provenance) -> String {
    format!(
        "{} · {} v{} · verified {} ({} days ago){}",
        p.publisher_name,
        p.pack,
        p.pack_version,
        p.verified,
        p.age_days,
        if p.sample { " · SAMPLE DATA" } else { "" }
    )
}

/// Runs `waymark trust …`.
pub fn trust(cmd: TrustCommand, home: &Path, json: bool) -> Result<(), Report> {
    let store = open(home)?;
    match cmd {
        TrustCommand::Add {
            source,
            fingerprint,
            id,
            name,
            url,
        } => {
            let trimmed = source.trim_start();
            let request = TrustRequest { id, name, url };
            let p = if trimmed.starts_with("waymark:") {
                let link = TrustLink::parse(trimmed)?;
                if fingerprint.is_some() {
                    return fail("a trust link carries its fingerprint: give no --fingerprint");
                }
                let http = Http::new(HttpConfig::default())?;
                trust_from_link(&store, &http, &link, &request, &CancelToken::new())?
            } else {
                let document = if trimmed.starts_with('{') {
                    source.into_bytes()
                } else {
                    std::fs::read(&source)
                        .map_err(|e| Report::message(format!("cannot read {source}: {e}")))?
                };
                match fingerprint {
                    Some(fp) => store.trust_publisher_expecting(&document, &request, &fp)?,
                    None => store.trust_publisher(&document, &request)?,
                }
            };
            if json {
                output::json(&p)?;
            } else {
                println!("Trusted {} ({})", p.name, p.id);
                println!("Fingerprint: {}", p.fingerprint);
                println!(
                    "Compare it with the one the publisher shows before relying on its packs."
                );
            }
        }
        TrustCommand::List => {
            let list = store.trusted_publishers()?;
            if json {
                output::json(&list)?;
            } else if list.is_empty() {
                println!("No trusted publishers.");
            } else {
                for p in list {
                    println!(
                        "{:<24} {}  root v{}  {}",
                        p.id, p.fingerprint, p.root_version, p.name
                    );
                }
            }
        }
        TrustCommand::Remove { id } => {
            let n = store.remove_publisher_trust(&id)?;
            println!("No longer trusting {id}; removed {n} pack(s).");
        }
    }
    Ok(())
}

/// Runs `waymark pack …`.
pub fn pack(cmd: PackCommand, home: &Path, json: bool) -> Result<(), Report> {
    let store = open(home)?;
    match cmd {
        PackCommand::Install { file } => {
            let p = store.install_bundle(&file)?;
            if json {
                output::json(&p)?;
            } else {
                println!(
                    "Installed {} version {} from {}{}",
                    p.manifest.id,
                    p.manifest.version,
                    p.manifest.publisher.name,
                    if p.manifest.sample {
                        " (SAMPLE DATA)"
                    } else {
                        ""
                    }
                );
                if let Some(changes) = &p.changes {
                    println!("{}", output::changes_line(changes));
                }
            }
        }
        PackCommand::List => {
            let packs = store.packs()?;
            if json {
                output::json(&packs)?;
            } else if packs.is_empty() {
                println!("No packs installed.");
            } else {
                for p in packs {
                    println!(
                        "{:<28} v{:<5} {:<20} {}{}",
                        p.manifest.id,
                        p.manifest.version,
                        p.publisher,
                        text(&p.manifest.title, None),
                        if p.manifest.sample { " (SAMPLE)" } else { "" }
                    );
                }
            }
        }
        PackCommand::Remove { id, publisher } => {
            let publisher = owner(&store, &id, publisher)?;
            store.remove_pack(&publisher, &id)?;
            println!("Removed {id}.");
        }
        PackCommand::Export { id, out, publisher } => {
            let publisher = owner(&store, &id, publisher)?;
            let e = store.export_pack(&publisher, &id, &out)?;
            if json {
                output::json(&e)?;
            } else {
                println!(
                    "Wrote {} version {} ({} bytes) to {}; another phone can install it until {}.",
                    e.pack,
                    e.version,
                    e.bytes,
                    out.display(),
                    e.valid_until.format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
    }
    Ok(())
}

/// The publisher of the installed pack `id`: `given`, or the only one.
fn owner(store: &ContentStore, id: &str, given: Option<String>) -> Result<String, Report> {
    if let Some(p) = given {
        return Ok(p);
    }
    let owners: Vec<String> = store
        .packs()?
        .into_iter()
        .filter(|p| p.manifest.id == id)
        .map(|p| p.publisher)
        .collect();
    match owners.as_slice() {
        [one] => Ok(one.clone()),
        [] => fail(format!("no pack '{id}' is installed")),
        _ => fail("several publishers have a pack of that id: add --publisher"),
    }
}

/// Runs `waymark search`.
pub fn search(args: SearchArgs, home: &Path, json: bool) -> Result<(), Report> {
    let store = open(home)?;
    let mut q = SearchQuery::new(args.query);
    q.language = args.lang;
    q.limit = args.limit;
    let results = store.search(&q)?;
    if json {
        return output::json(&results);
    }
    for (typed, used) in &results.corrections {
        println!("(showing results for \"{used}\" instead of \"{typed}\")");
    }
    if results.hits.is_empty() {
        println!("Nothing found.");
    }
    for h in results.hits {
        println!("{} [{}] {} ({})", h.title, h.kind, h.id, h.language);
        println!("    {}", h.snippet);
        println!("    {}", provenance_line(&h.provenance));
    }
    Ok(())
}

/// Runs `waymark nearby`.
pub fn nearby(args: NearbyArgs, home: &Path, json: bool) -> Result<(), Report> {
    let store = open(home)?;
    let mut q = NearbyQuery::new(
        GeoPoint {
            lat: args.lat,
            lon: args.lon,
        },
        args.radius_km,
    );
    q.category = args.category;
    q.open_now = args.open_now;
    q.speaks = args.speaks;
    q.free_only = args.free;
    q.language = args.lang;
    let found = store.nearby(&q)?;
    if json {
        return output::json(&found);
    }
    if found.is_empty() {
        println!("No services within {} km.", args.radius_km);
    }
    for s in found {
        let open = match s.open_now {
            Some(true) => "open now",
            Some(false) => "closed now",
            None => "hours unknown",
        };
        println!(
            "{:>6.2} km  {}  [{}]  {}",
            s.distance_km,
            s.name,
            s.service.categories.join(", "),
            open
        );
        for phone in &s.service.phones {
            println!("           {}", phone_line(phone, q.language.as_deref()));
        }
        println!("           {}", provenance_line(&s.provenance));
    }
    Ok(())
}

/// Runs `waymark country`.
pub fn country(args: CountryArgs, home: &Path, json: bool) -> Result<(), Report> {
    let store = open(home)?;
    let code: CountryCode = args.code.parse()?;
    let profiles = store.country(code)?;
    if json {
        return output::json(&profiles);
    }
    let Some(first) = profiles.first() else {
        return fail(format!("no installed pack has a profile of {code}"));
    };
    let lang = args.lang.as_deref();
    let c = &first.entry;
    println!("{} ({})", text(&c.name, lang), c.code);
    for e in &c.emergency {
        println!("  emergency ({}): {}", e.service, e.number);
    }
    if !c.asylum.is_empty() {
        println!("  asylum: {}", text(&c.asylum, lang));
    }
    if !c.rights.is_empty() {
        println!("  rights: {}", text(&c.rights, lang));
    }
    for m in &c.missions {
        println!(
            "  {} of {} in {}: {}",
            m.kind,
            m.of_country,
            m.city,
            m.phone.as_deref().unwrap_or("-")
        );
    }
    println!("  {}", provenance_line(&first.provenance));
    Ok(())
}

/// Runs `waymark routes`.
pub fn routes(args: RoutesArgs, home: &Path, json: bool) -> Result<(), Report> {
    let store = open(home)?;
    let found = store.routes(&args.place)?;
    if json {
        return output::json(&found);
    }
    if found.is_empty() {
        println!("No route through {}.", args.place);
    }
    let lang = args.lang.as_deref();
    for r in found {
        println!("{}", text(&r.entry.name, lang));
        for s in &r.entry.segments {
            println!(
                "  {} ({}) → {} ({}){}{}",
                text(&s.from.name, lang),
                s.from.country,
                text(&s.to.name, lang),
                s.to.country,
                s.mode
                    .as_deref()
                    .map(|m| format!(" by {m}"))
                    .unwrap_or_default(),
                if s.border_crossing {
                    " · border crossing"
                } else {
                    ""
                }
            );
            if !s.risks.is_empty() {
                println!("      risks: {}", text(&s.risks, lang));
            }
        }
        println!("  {}", provenance_line(&r.provenance));
    }
    Ok(())
}

/// Runs `waymark alerts`.
pub fn alerts(args: AlertsArgs, home: &Path, json: bool) -> Result<(), Report> {
    let store = open(home)?;
    let country = args.country.map(|c| c.parse::<CountryCode>()).transpose()?;
    let point = match args.near {
        Some(s) => {
            let parsed = s.split_once(',').and_then(|(a, b)| {
                Some(GeoPoint {
                    lat: a.trim().parse().ok()?,
                    lon: b.trim().parse().ok()?,
                })
            });
            Some(parsed.ok_or_else(|| Report::message("--near must be LAT,LON"))?)
        }
        None => None,
    };
    let found = store.alerts(&AlertFilter { country, point })?;
    if json {
        return output::json(&found);
    }
    if found.is_empty() {
        println!("No alerts in force.");
    }
    let lang = args.lang.as_deref();
    for a in found {
        let e = &a.entry;
        println!("{:?}: {}", e.severity, text(&e.title, lang));
        if !e.body.is_empty() {
            println!("    {}", text(&e.body, lang));
        }
        println!(
            "    in force since {}{}",
            e.valid_from.format("%Y-%m-%d"),
            e.valid_until
                .map(|u| format!(" until {}", u.format("%Y-%m-%d")))
                .unwrap_or_default()
        );
        println!("    {}", provenance_line(&a.provenance));
    }
    Ok(())
}
