//! `waymark-pack card`: the publisher card as a person hands it out. It
//! prints who the publisher is, the fingerprint phones will show (that of
//! the card's root, version 1, which phones keep showing across root
//! rotations: see `waymark_core::content` trust), and a QR code a phone
//! scans to trust the publisher.
//!
//! The QR code holds a [`TrustLink`], `waymark://trust?card=URL&fp=FP`,
//! not the card itself: a card is about 2.4 KB with ed25519 keys (1.7 KB
//! as compact JSON), a QR code near the largest version that cameras read
//! unreliably from paper, and 5.4 KB with RSA keys, more than any QR code
//! holds (2,953 bytes). The link is about 120 bytes: a version 6 or 7
//! code (41 or 45 modules). The phone downloads the card from the URL and
//! trusts it only if its fingerprint is the one in the link, so a card
//! swapped on the way (or on the server) is refused.

use std::path::{Path, PathBuf};

use qrcode::render::unicode::Dense1x2;
use qrcode::{Color, EcLevel, QrCode};
use serde::Serialize;
use waymark_core::content::{PublisherCard, TrustLink};
use waymark_core::tuf::{Root, fingerprint};

use crate::{Report, fail};

/// Pixels per module in the PNG: a version 6 code (41 modules and a
/// 4-module quiet zone each side) is then 490 pixels, 4 cm printed at
/// 300 dpi, which a phone reads from an arm's length.
const PNG_MODULE_PIXELS: usize = 10;

/// Light modules around the code, as the QR specification asks.
const QUIET_ZONE: usize = 4;

/// What `card --json` prints.
#[derive(Debug, Serialize)]
struct CardInfo {
    id: String,
    name: String,
    /// The repository URL phones sync from.
    url: Option<String>,
    /// The card's path and size.
    card_file: PathBuf,
    card_bytes: usize,
    /// The root version the card carries (the trust anchor).
    root_version: u64,
    /// The fingerprint phones show.
    fingerprint: String,
    /// What the QR code holds, when the card has a URL.
    link: Option<String>,
    qr_version: Option<i16>,
    qr_modules: Option<usize>,
    png: Option<PathBuf>,
}

/// Options of `waymark-pack card`.
pub struct CardOptions<'a> {
    /// Where the card is served, if not at the repository URL.
    pub card_url: Option<&'a str>,
    /// Write the QR code here as a PNG.
    pub png: Option<&'a Path>,
    /// Print JSON instead of text.
    pub json: bool,
    /// Draw the terminal code for a dark-on-light terminal.
    pub invert: bool,
}

/// Prints the card of the repository `repo` (see the module docs).
pub fn card(repo: &Path, options: &CardOptions<'_>) -> Result<(), Report> {
    let path = repo.join("publisher.json");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fail(format!(
                "{} has no publisher card (publisher.json): `waymark-pack publish --repo {} \
                 --url URL` writes it",
                repo.display(),
                repo.display()
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let card: PublisherCard = serde_json::from_slice(&bytes)
        .map_err(|e| Report::message(format!("{}: not a publisher card: {e}", path.display())))?;
    let root: Root = card.root.read("root")?;
    let shown = fingerprint(&root);
    let card_url = match (options.card_url, &card.url) {
        (Some(u), _) => Some(u.to_owned()),
        (None, Some(repo_url)) => {
            Some(format!("{}/publisher.json", repo_url.trim_end_matches('/')))
        }
        (None, None) => None,
    };
    let link = card_url
        .as_deref()
        .map(|u| TrustLink::new(u, &shown))
        .transpose()?;
    let code = link
        .as_ref()
        .map(|l| QrCode::with_error_correction_level(l.to_string(), EcLevel::M))
        .transpose()
        .map_err(|e| Report::message(format!("cannot make the QR code: {e}")))?;
    if let Some(png) = options.png {
        let Some(code) = &code else {
            return fail(no_url_message(repo));
        };
        write_png(code, png)?;
    }
    if options.json {
        let info = CardInfo {
            id: card.id,
            name: card.name,
            url: card.url,
            card_file: path,
            card_bytes: bytes.len(),
            root_version: root.version,
            fingerprint: shown,
            link: link.map(|l| l.to_string()),
            qr_version: code.as_ref().map(version_number),
            qr_modules: code.as_ref().map(QrCode::width),
            png: options.png.map(Path::to_path_buf),
        };
        outln!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    outln!("publisher    {} ({})", card.name, card.id);
    outln!(
        "sync URL     {}",
        card.url
            .as_deref()
            .unwrap_or("(none: phones need one to sync)")
    );
    outln!(
        "card file    {} ({} bytes, root version {}): hand it out, or host it for the QR code",
        path.display(),
        bytes.len(),
        root.version
    );
    outln!("fingerprint  {shown}");
    outln!("             phones show it two groups a line; compare it group by group:");
    for pair in shown.split('-').collect::<Vec<_>>().chunks(2) {
        outln!("             {}", pair.join("-"));
    }
    match (&link, &code) {
        (Some(link), Some(code)) => {
            outln!("QR code      {link}");
            outln!(
                "             (version {}, {} modules{})",
                version_number(code),
                code.width(),
                options
                    .png
                    .map(|p| format!("; PNG written to {}", p.display()))
                    .unwrap_or_default()
            );
            let (glyph, blank) = if options.invert {
                (Dense1x2::Dark, Dense1x2::Light)
            } else {
                // A terminal draws glyphs light on dark: light modules
                // are the glyphs (as `qrencode -t UTF8` draws them).
                (Dense1x2::Light, Dense1x2::Dark)
            };
            let drawn = code
                .render::<Dense1x2>()
                .dark_color(glyph)
                .light_color(blank)
                .quiet_zone(true)
                .build();
            outln!("{drawn}");
        }
        _ => outln!("QR code      none: {}", no_url_message(repo)),
    }
    Ok(())
}

fn no_url_message(repo: &Path) -> String {
    format!(
        "the card has no URL; run `waymark-pack publish --repo {} --url URL` (or give --card-url) \
         so phones know where to download it",
        repo.display()
    )
}

/// The version number (1 to 40) of a normal QR code.
fn version_number(code: &QrCode) -> i16 {
    match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    }
}

/// Writes `code` as an 8-bit greyscale PNG: black modules on white, with
/// the quiet zone, [`PNG_MODULE_PIXELS`] pixels a module.
fn write_png(code: &QrCode, file: &Path) -> Result<(), Report> {
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * PNG_MODULE_PIXELS;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * PNG_MODULE_PIXELS..(my + 1) * PNG_MODULE_PIXELS {
            pixels[y * side + mx * PNG_MODULE_PIXELS..y * side + (mx + 1) * PNG_MODULE_PIXELS]
                .fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(side).map_err(|_| Report::message("QR code too large"))?;
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| Report::message(format!("cannot write the PNG: {e}")))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| Report::message(format!("cannot write the PNG: {e}")))?;
    }
    std::fs::write(file, out)
        .map_err(|e| Report::message(format!("cannot write {}: {e}", file.display())))
}
