//! The preview page: the phone-side store's answers, and the source's
//! problems, turned into what the template shows. Every string from the
//! pack reaches the HTML through the template's escaping.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use askama::Template;
use waymark_core::content::model::{Entry, GeoPoint, Severity, Translations};
use waymark_core::content::{
    AlertFilter, ContentStore, NearbyQuery, Provenance, SearchQuery, choose_language,
};
use waymark_core::types::CountryCode;

use super::Loaded;
use super::texts::{Texts, direction, texts};
use crate::source::Problem;

/// Days since the publisher verified an entry after which the apps mark
/// it OLD (the Android demo's `STALE_DAYS`).
const STALE_DAYS: i64 = 180;

/// The radius of the services list unless the page asks for another:
/// wide, so that an author sees every service of a regional pack at first.
const DEFAULT_RADIUS_KM: f64 = 1000.0;

/// At most this many services on the list (a phone asks for fewer).
const MAX_SERVICES: usize = 500;

/// What the page's form asked for.
#[derive(Debug, Default)]
pub struct Params {
    lang: Option<String>,
    q: String,
    lat: String,
    lon: String,
    km: String,
    category: String,
    country: String,
    place: String,
}

impl Params {
    /// From a URL's query string.
    pub fn parse(query: &str) -> Self {
        let mut p = Params::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let v = v.trim().to_owned();
            match &*k {
                "lang" if !v.is_empty() => p.lang = Some(v),
                "q" => p.q = v,
                "lat" => p.lat = v,
                "lon" => p.lon = v,
                "km" => p.km = v,
                "category" => p.category = v,
                "country" => p.country = v,
                "place" => p.place = v,
                _ => {}
            }
        }
        p
    }
}

/// Text in the language it is in.
pub struct Txt {
    pub text: String,
    pub lang: String,
    pub dir: &'static str,
}

impl Txt {
    fn pick(t: &Translations, lang: &str, fallback: &[String]) -> Option<Txt> {
        let tag = choose_language(
            t.keys().map(String::as_str),
            std::iter::once(lang).chain(fallback.iter().map(String::as_str)),
        )?;
        Some(Txt {
            text: t[tag].clone(),
            lang: tag.to_owned(),
            dir: direction(tag),
        })
    }
}

/// One problem as the page shows it.
pub struct ProblemView {
    pub place: String,
    pub message: String,
}

impl From<&Problem> for ProblemView {
    fn from(p: &Problem) -> Self {
        let mut place = p.file.display().to_string();
        if let Some(l) = p.line {
            place.push_str(&format!(":{l}"));
        }
        if let Some(c) = &p.column {
            place.push_str(&format!(" [{c}]"));
        }
        ProblemView {
            place,
            message: p.message.clone(),
        }
    }
}

/// The line under every entry ("publisher · v3 · verified 12 days ago"),
/// and its marks.
pub struct Marks {
    pub publisher: String,
    pub version: String,
    pub verified: String,
    pub sample: bool,
    pub stale: bool,
}

impl Marks {
    fn of(p: &Provenance, t: &Texts) -> Self {
        Marks {
            publisher: p.publisher_name.clone(),
            version: t.version.replace("{n}", &p.pack_version.to_string()),
            verified: t.verified_ago.replace("{n}", &p.age_days.to_string()),
            sample: p.sample,
            stale: p.age_days > STALE_DAYS,
        }
    }
}

pub struct LangLink {
    pub tag: String,
    pub href: String,
    pub current: bool,
}

pub struct HitView {
    pub kind: String,
    pub lang: String,
    pub dir: &'static str,
    pub title: String,
    /// The snippet, in runs: (text, matched).
    pub snippet: Vec<(String, bool)>,
    pub marks: Marks,
    pub warnings: Vec<ProblemView>,
}

pub struct PhoneView {
    pub number: String,
    pub description: Option<Txt>,
}

pub struct ServiceView {
    pub name: Txt,
    pub distance: String,
    pub open_now: Option<bool>,
    pub free: bool,
    pub categories: String,
    pub description: Option<Txt>,
    pub address: Option<String>,
    pub phones: Vec<PhoneView>,
    pub url: Option<String>,
    pub email: Option<String>,
    pub speaks: String,
    pub marks: Marks,
    pub warnings: Vec<ProblemView>,
}

pub struct CountryView {
    pub name: Option<Txt>,
    pub emergency: Vec<(String, String)>,
    pub asylum: Option<Txt>,
    pub rights: Option<Txt>,
    /// (title, URL when it is http(s)).
    pub links: Vec<(Option<Txt>, String, bool)>,
    pub marks: Marks,
    pub warnings: Vec<ProblemView>,
}

pub struct SegmentView {
    pub from: String,
    pub to: String,
    pub mode: String,
    pub border: bool,
    pub notes: Option<Txt>,
    pub risks: Option<Txt>,
}

pub struct RouteView {
    pub name: Option<Txt>,
    pub segments: Vec<SegmentView>,
    pub marks: Marks,
    pub warnings: Vec<ProblemView>,
}

pub struct AlertView {
    pub severity: &'static str,
    pub class: &'static str,
    pub title: Option<Txt>,
    pub body: Option<Txt>,
    pub until: String,
    pub marks: Marks,
    pub warnings: Vec<ProblemView>,
}

#[derive(Template)]
#[template(path = "preview.html")]
pub struct Page<'a> {
    pub lang: String,
    pub dir: &'static str,
    pub t: &'static Texts,
    pub title: String,
    pub source_dir: String,
    pub publisher: String,
    pub version: String,
    pub sample: bool,
    pub languages: Vec<LangLink>,
    pub errors: Vec<ProblemView>,
    pub warnings: Vec<ProblemView>,
    pub install_error: Option<String>,
    pub coverage: Option<String>,
    pub built: bool,
    pub q: &'a str,
    pub hits: Vec<HitView>,
    pub corrections: String,
    pub lat: String,
    pub lon: String,
    pub km: String,
    pub point_error: Option<String>,
    pub categories: Vec<(String, bool)>,
    pub services: Vec<ServiceView>,
    pub countries: Vec<(String, String, bool)>,
    pub country: Option<CountryView>,
    pub place: String,
    pub routes: Vec<RouteView>,
    pub alerts: Vec<AlertView>,
    pub alerts_not_in_force: usize,
    pub query_error: Option<String>,
}

/// A link to this page with `lang` set and nothing else.
fn lang_href(lang: &str) -> String {
    format!(
        "/?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("lang", lang)
            .finish()
    )
}

/// Where each entry of the source came from, by what the store calls it.
struct Origins {
    by_key: BTreeMap<(String, String, String), (PathBuf, Option<u64>)>,
    /// "latitude L, longitude L" of each service, as check_point words
    /// it: a location warning is in location.csv, not on the service's row.
    points: BTreeMap<String, String>,
}

impl Origins {
    fn new(loaded: &Loaded) -> Self {
        let mut by_key = BTreeMap::new();
        let mut points = BTreeMap::new();
        if let Some(src) = &loaded.checked.source {
            for (e, o) in src.entries.iter().zip(&src.origins) {
                let (kind, id, lang) = match e {
                    Entry::Article(a) => ("article", a.id.clone(), a.language.clone()),
                    Entry::Service(s) => {
                        if let Some(p) = s.location {
                            points.insert(
                                s.id.clone(),
                                format!("latitude {}, longitude {}", p.lat, p.lon),
                            );
                        }
                        ("service", s.id.clone(), String::new())
                    }
                    Entry::Country(c) => ("country", c.code.to_string(), String::new()),
                    Entry::Route(r) => ("route", r.id.clone(), String::new()),
                    Entry::Alert(a) => ("alert", a.id.clone(), String::new()),
                };
                by_key.insert((kind.to_owned(), id, lang), o.clone());
            }
        }
        Origins { by_key, points }
    }

    /// The warnings that concern one entry: on its own row (or anywhere in
    /// its file, for a file that holds one entry), or about its location.
    fn warnings(&self, problems: &[Problem], kind: &str, id: &str, lang: &str) -> Vec<ProblemView> {
        let lang = if kind == "article" { lang } else { "" };
        let origin = self
            .by_key
            .get(&(kind.to_owned(), id.to_owned(), lang.to_owned()));
        let point = if kind == "service" {
            self.points.get(id)
        } else {
            None
        };
        problems
            .iter()
            .filter(|p| p.warning)
            .filter(|p| {
                let here = origin.is_some_and(|(file, line)| {
                    p.file == *file && (p.line == *line || one_entry_per_file(file))
                });
                let at_point = point.is_some_and(|pt| {
                    p.message.starts_with(pt.as_str())
                        && p.message[pt.len()..].starts_with([' ', ':'])
                });
                here || at_point
            })
            .map(ProblemView::from)
            .collect()
    }
}

/// Markdown articles and YAML files hold one entry each.
fn one_entry_per_file(file: &Path) -> bool {
    matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("md" | "yaml" | "yml")
    )
}

/// The snippet in runs, the matched byte ranges marked.
fn runs(snippet: &str, highlights: &[(usize, usize)]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    for &(a, b) in highlights {
        let (Some(before), Some(hit)) = (snippet.get(at..a), snippet.get(a..b)) else {
            continue;
        };
        if !before.is_empty() {
            out.push((before.to_owned(), false));
        }
        out.push((hit.to_owned(), true));
        at = b;
    }
    if let Some(rest) = snippet.get(at..)
        && !rest.is_empty()
    {
        out.push((rest.to_owned(), false));
    }
    out
}

fn distance(km: f64) -> String {
    if km < 10.0 {
        format!("{km:.1} km")
    } else {
        format!("{km:.0} km")
    }
}

/// A URL the page may link to: only the web's own schemes.
fn web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The page for one load of the source.
pub fn render(
    dir: &Path,
    default_lang: Option<&str>,
    params: &Params,
    loaded: &Loaded,
) -> Result<String, askama::Error> {
    let problems = &loaded.checked.problems;
    let manifest = loaded.checked.source.as_ref().map(|s| &s.manifest);
    let fallback: Vec<String> = manifest.map(|m| m.fallback.clone()).unwrap_or_default();
    let lang = params
        .lang
        .clone()
        .or(default_lang.map(str::to_owned))
        .or_else(|| fallback.first().cloned())
        .unwrap_or_else(|| "en".into());
    let t = texts(&lang);
    let mut page = Page {
        dir: direction(&lang),
        t,
        title: manifest
            .and_then(|m| Txt::pick(&m.title, &lang, &fallback))
            .map_or_else(
                || {
                    dir.file_name()
                        .unwrap_or(dir.as_os_str())
                        .to_string_lossy()
                        .into_owned()
                },
                |x| x.text,
            ),
        source_dir: dir.display().to_string(),
        publisher: manifest.map_or_else(String::new, |m| m.publisher.name.clone()),
        version: manifest.map_or_else(String::new, |m| m.version.to_string()),
        sample: manifest.is_some_and(|m| m.sample),
        languages: manifest
            .map(|m| {
                m.languages
                    .iter()
                    .map(|tag| LangLink {
                        tag: tag.clone(),
                        href: lang_href(tag),
                        current: *tag == lang,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        errors: problems
            .iter()
            .filter(|p| !p.warning)
            .map(ProblemView::from)
            .collect(),
        warnings: problems
            .iter()
            .filter(|p| p.warning)
            .map(ProblemView::from)
            .collect(),
        install_error: loaded.install_error.clone(),
        coverage: loaded.checked.coverage.clone(),
        built: loaded.store.is_some(),
        q: &params.q,
        hits: Vec::new(),
        corrections: String::new(),
        lat: params.lat.clone(),
        lon: params.lon.clone(),
        km: params.km.clone(),
        point_error: None,
        categories: Vec::new(),
        services: Vec::new(),
        countries: Vec::new(),
        country: None,
        place: params.place.clone(),
        routes: Vec::new(),
        alerts: Vec::new(),
        alerts_not_in_force: 0,
        query_error: None,
        lang: lang.clone(),
    };
    if let (Some(store), Some(src)) = (&loaded.store, &loaded.checked.source) {
        let origins = Origins::new(loaded);
        if let Err(e) = fill(&mut page, store, src, &origins, problems, &fallback, params) {
            page.query_error = Some(e.to_string());
        }
    }
    page.render()
}

/// The phone's answers: search, nearby, country, routes, alerts.
fn fill(
    page: &mut Page<'_>,
    store: &ContentStore,
    src: &crate::source::Source,
    origins: &Origins,
    problems: &[Problem],
    fallback: &[String],
    params: &Params,
) -> waymark_core::error::Result<()> {
    let (lang, t) = (page.lang.clone(), page.t);

    if !page.q.is_empty() {
        let results = store.search(&SearchQuery::new(page.q).language(lang.clone()))?;
        page.corrections = results
            .corrections
            .iter()
            .map(|(a, b)| format!("{a} → {b}"))
            .collect::<Vec<_>>()
            .join(", ");
        page.hits = results
            .hits
            .iter()
            .map(|h| HitView {
                kind: h.kind.clone(),
                lang: h.language.clone(),
                dir: direction(&h.language),
                title: h.title.clone(),
                snippet: runs(&h.snippet, &h.highlights),
                marks: Marks::of(&h.provenance, t),
                warnings: origins.warnings(problems, &h.kind, &h.id, &h.language),
            })
            .collect();
    }

    // Services: from the point asked for, else the first service's in the
    // source (its first row).
    let first = src
        .entries
        .iter()
        .zip(&src.origins)
        .filter_map(|(e, origin)| match e {
            Entry::Service(s) => s.location.map(|p| (origin, p)),
            _ => None,
        })
        .min_by(|a, b| a.0.cmp(b.0))
        .map(|(_, p)| p);
    let mut categories: Vec<String> = src
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Service(s) => Some(s.categories.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    categories.sort();
    categories.dedup();
    page.categories = categories
        .into_iter()
        .map(|c| {
            let on = c == params.category;
            (c, on)
        })
        .collect();
    let point = match (page.lat.parse::<f64>(), page.lon.parse::<f64>()) {
        (Ok(lat), Ok(lon)) => Some(GeoPoint { lat, lon }),
        _ if page.lat.is_empty() && page.lon.is_empty() => first,
        _ => {
            page.point_error =
                Some("latitude and longitude are numbers, e.g. 37.98 and 23.73".into());
            None
        }
    };
    let km = if page.km.is_empty() {
        DEFAULT_RADIUS_KM
    } else {
        page.km.parse().unwrap_or(f64::NAN)
    };
    if let Some(p) = point {
        if page.lat.is_empty() {
            page.lat = format!("{}", p.lat);
            page.lon = format!("{}", p.lon);
        }
        if page.km.is_empty() {
            page.km = format!("{DEFAULT_RADIUS_KM}");
        }
        let mut q = NearbyQuery::new(p, km);
        q.language = Some(lang.clone());
        q.limit = MAX_SERVICES;
        q.category = Some(params.category.clone()).filter(|c| !c.is_empty());
        match store.nearby(&q) {
            Ok(found) => {
                page.services = found
                    .into_iter()
                    .map(|n| {
                        let s = &n.service;
                        ServiceView {
                            name: Txt::pick(&s.name, &lang, fallback).unwrap_or(Txt {
                                text: n.name.clone(),
                                lang: lang.clone(),
                                dir: direction(&lang),
                            }),
                            distance: distance(n.distance_km),
                            open_now: n.open_now,
                            free: s.free == Some(true),
                            categories: s.categories.join(", "),
                            description: Txt::pick(&s.description, &lang, fallback),
                            address: s.address.clone(),
                            phones: s
                                .phones
                                .iter()
                                .map(|ph| PhoneView {
                                    number: ph.number.clone(),
                                    description: Txt::pick(&ph.description, &lang, fallback),
                                })
                                .collect(),
                            url: s.url.clone().filter(|u| web_url(u)),
                            email: s.email.clone(),
                            speaks: s.languages.join(", "),
                            marks: Marks::of(&n.provenance, t),
                            warnings: origins.warnings(problems, "service", &s.id, ""),
                        }
                    })
                    .collect();
            }
            Err(e) => page.point_error = Some(e.to_string()),
        }
    }

    // Country: the one asked for, else the first.
    let codes: Vec<CountryCode> = src
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Country(c) => Some(c.code),
            _ => None,
        })
        .collect();
    let chosen = codes
        .iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(&params.country))
        .or(codes.first())
        .copied();
    for code in &codes {
        let name = store
            .country(*code)?
            .first()
            .and_then(|c| Txt::pick(&c.entry.name, &lang, fallback))
            .map_or_else(|| code.to_string(), |x| x.text);
        page.countries
            .push((code.to_string(), name, Some(*code) == chosen));
    }
    if let Some(code) = chosen
        && let Some(c) = store.country(code)?.into_iter().next()
    {
        let e = &c.entry;
        page.country = Some(CountryView {
            name: Txt::pick(&e.name, &lang, fallback),
            emergency: e
                .emergency
                .iter()
                .map(|n| (n.service.clone(), n.number.clone()))
                .collect(),
            asylum: Txt::pick(&e.asylum, &lang, fallback),
            rights: Txt::pick(&e.rights, &lang, fallback),
            links: e
                .links
                .iter()
                .map(|l| {
                    (
                        Txt::pick(&l.title, &lang, fallback),
                        l.url.clone(),
                        web_url(&l.url),
                    )
                })
                .collect(),
            marks: Marks::of(&c.provenance, t),
            warnings: origins.warnings(problems, "country", code.as_str(), ""),
        });
    }

    // Routes through a place: the one asked for, else the first route's start.
    if page.place.is_empty()
        && let Some(name) = src.entries.iter().find_map(|e| match e {
            Entry::Route(r) => r
                .segments
                .first()
                .and_then(|s| Txt::pick(&s.from.name, &lang, fallback)),
            _ => None,
        })
    {
        page.place = name.text;
    }
    if !page.place.is_empty() {
        let name_of =
            |t: &Translations| Txt::pick(t, &lang, fallback).map_or_else(String::new, |x| x.text);
        page.routes = store
            .routes(&page.place)?
            .into_iter()
            .map(|r| RouteView {
                name: Txt::pick(&r.entry.name, &lang, fallback),
                segments: r
                    .entry
                    .segments
                    .iter()
                    .map(|s| SegmentView {
                        from: name_of(&s.from.name),
                        to: name_of(&s.to.name),
                        mode: s.mode.clone().unwrap_or_default(),
                        border: s.border_crossing,
                        notes: Txt::pick(&s.notes, &lang, fallback),
                        risks: Txt::pick(&s.risks, &lang, fallback),
                    })
                    .collect(),
                marks: Marks::of(&r.provenance, t),
                warnings: origins.warnings(problems, "route", &r.entry.id, ""),
            })
            .collect();
    }

    // Alerts in force now, as a phone lists them.
    let in_force = store.alerts(&AlertFilter::default())?;
    let total = src
        .entries
        .iter()
        .filter(|e| matches!(e, Entry::Alert(_)))
        .count();
    page.alerts_not_in_force = total.saturating_sub(in_force.len());
    page.alerts = in_force
        .into_iter()
        .map(|a| {
            let (severity, class) = match a.entry.severity {
                Severity::Info => (t.severity[0], "info"),
                Severity::Warning => (t.severity[1], "warning"),
                Severity::Danger => (t.severity[2], "danger"),
            };
            AlertView {
                severity,
                class,
                title: Txt::pick(&a.entry.title, &lang, fallback),
                body: Txt::pick(&a.entry.body, &lang, fallback),
                until: a
                    .entry
                    .valid_until
                    .map_or_else(|| "—".into(), |u| format!("→ {}", u.format("%Y-%m-%d"))),
                marks: Marks::of(&a.provenance, t),
                warnings: origins.warnings(problems, "alert", &a.entry.id, ""),
            }
        })
        .collect();
    Ok(())
}
