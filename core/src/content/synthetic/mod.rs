//! Large synthetic multilingual packs, for benchmarks and load tests
//! (feature `synthetic`; never in the mobile build).
//!
//! Deterministic for a seed. Two generators:
//!
//! - [`entries`]/[`pack`]: texts drawn from small vocabularies in English,
//!   Arabic (some words with tashkeel), Tigrinya, French and Farsi, with
//!   made-up rarer words; services are scattered around a few cities; a
//!   few alerts and country profiles complete the mix.
//! - [`corpus_entries`]/[`corpus_pack`] and [`corpus_queries`]: the search
//!   benchmark's corpus, real words in English, French, Spanish, Arabic,
//!   Farsi and Ukrainian, and the queries typed into it (`corpus.rs`).
//!
//! Everything is labelled as sample data.

mod corpus;

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use ed25519_dalek::SigningKey;

use super::bundle::{BundleInfo, write_bundle};
use super::card::PublisherCard;
use super::model::*;
use super::pack::write_pack;
use super::patch::{BaseHasher, PATCH_FORMAT, PatchBase, PatchHeader, PatchWriter};
use super::target::{ContentDigest, PackTargetCustom, SignedPack};
use crate::error::Result;

use crate::tuf::{
    Envelope, Key, MetaFile, MetaList, MetadataSet, RoleKeys, Root, SPEC_VERSION, TargetFile,
    Targets,
};
pub use corpus::{CORPUS_LANGS, CorpusQuery, QueryKind, corpus_entries, corpus_queries, unaccent};

const EN: &[&str] = &[
    "asylum",
    "shelter",
    "clinic",
    "legal",
    "aid",
    "hotline",
    "women",
    "children",
    "food",
    "water",
    "doctor",
    "lawyer",
    "appeal",
    "interview",
    "registration",
    "camp",
    "border",
    "ferry",
    "bus",
    "train",
    "police",
    "station",
    "family",
    "reunification",
    "school",
    "work",
    "permit",
    "residence",
    "vaccination",
    "pharmacy",
    "translation",
    "interpreter",
    "counselling",
    "safe",
    "night",
    "winter",
    "clothes",
    "blanket",
    "phone",
    "charging",
    "wifi",
    "cash",
    "card",
    "office",
    "hours",
    "free",
    "urgent",
    "emergency",
    "rights",
    "help",
];
const AR: &[&str] = &[
    "لجوء",
    "مَأْوَى",
    "عيادة",
    "قانونية",
    "مُسَاعَدَة",
    "خط",
    "نساء",
    "أطفال",
    "طعام",
    "ماء",
    "طبيب",
    "محامي",
    "استئناف",
    "مقابلة",
    "تسجيل",
    "مخيم",
    "الحدود",
    "عبّارة",
    "حافلة",
    "قطار",
    "الشرطة",
    "مركز",
    "عائلة",
    "لمّ",
    "مدرسة",
    "عمل",
    "تصريح",
    "إقامة",
    "تطعيم",
    "صيدلية",
    "ترجمة",
    "مترجم",
    "استشارة",
    "آمن",
    "ليل",
    "شتاء",
    "ملابس",
    "بطانية",
    "هاتف",
    "شحن",
    "إنترنت",
    "نقود",
    "بطاقة",
    "مكتب",
    "ساعات",
    "مجاني",
    "عاجل",
    "طوارئ",
    "حقوق",
    "مساعدة",
];
const TI: &[&str] = &[
    "ዑቕባ",
    "መጠለያ",
    "ክሊኒክ",
    "ሕጋዊ",
    "ሓገዝ",
    "ተሌፎን",
    "ደቂ",
    "ኣንስቲ",
    "መግቢ",
    "ማይ",
    "ሓኪም",
    "ጠበቓ",
    "ይግባይ",
    "ቃለ",
    "ምዝገባ",
    "መዓስከር",
    "ዶብ",
    "መርከብ",
    "ኣውቶቡስ",
    "ባቡር",
    "ፖሊስ",
    "ጣቢያ",
    "ስድራ",
    "ቤት",
    "ትምህርቲ",
    "ስራሕ",
    "ፍቓድ",
    "መንበሪ",
    "ክታበት",
    "ፋርማሲ",
    "ትርጉም",
    "ተርጓሚ",
    "ምኽሪ",
    "ውሑስ",
    "ለይቲ",
    "ክረምቲ",
];
const FR: &[&str] = &[
    "asile",
    "hébergement",
    "clinique",
    "juridique",
    "aide",
    "numéro",
    "femmes",
    "enfants",
    "nourriture",
    "eau",
    "médecin",
    "avocat",
    "recours",
    "entretien",
    "enregistrement",
    "camp",
    "frontière",
    "bateau",
    "bus",
    "train",
    "police",
    "commissariat",
    "famille",
    "réunification",
    "école",
    "travail",
    "permis",
    "séjour",
    "vaccin",
    "pharmacie",
    "traduction",
    "interprète",
    "écoute",
    "sûr",
    "nuit",
    "hiver",
    "vêtements",
    "couverture",
];
const FA: &[&str] = &[
    "پناهندگی",
    "سرپناه",
    "کلینیک",
    "حقوقی",
    "کمک",
    "تلفن",
    "زنان",
    "کودکان",
    "غذا",
    "آب",
    "پزشک",
    "وکیل",
    "تجدیدنظر",
    "مصاحبه",
    "ثبت‌نام",
    "اردوگاه",
    "مرز",
    "کشتی",
    "اتوبوس",
    "قطار",
    "پلیس",
    "ایستگاه",
    "خانواده",
    "مدرسه",
    "کار",
    "مجوز",
    "اقامت",
    "واکسن",
    "داروخانه",
    "ترجمه",
    "مترجم",
    "مشاوره",
    "امن",
    "شب",
    "زمستان",
];
const LANGS: [(&str, &[&str]); 5] = [("en", EN), ("ar", AR), ("ti", TI), ("fr", FR), ("fa", FA)];
const CITIES: [(f64, f64); 6] = [
    (37.98, 23.73),
    (40.64, 22.94),
    (41.90, 12.50),
    (45.46, 9.19),
    (40.42, -3.70),
    (39.11, 26.55),
];
const CATEGORIES: [&str; 8] = [
    "legal",
    "shelter",
    "health",
    "food",
    "hotline",
    "education",
    "women",
    "children",
];

/// Words per language.
const VOCABULARY: usize = 20_000;
/// The most frequent ranks, taken by function words.
const STOPWORD_RANKS: usize = 100;
/// Prefixes that make rarer words out of the base vocabularies.
const SYLLABLES: [&str; 40] = [
    "ka", "lo", "mi", "re", "tu", "sa", "ne", "po", "di", "fa", "go", "hu", "ja", "ke", "li", "mo",
    "nu", "pe", "ri", "so", "ta", "ve", "wi", "xo", "ya", "zu", "ba", "ce", "da", "el", "fi", "ga",
    "ho", "ik", "jo", "ku", "la", "ma", "na", "ob",
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// `n` words with a Zipf-like distribution (P(rank k) ∝ 1/k) over a
    /// vocabulary of [`VOCABULARY`] words. As in real text, the most
    /// frequent ranks are function words ([`STOPWORD_RANKS`] of them, drawn
    /// as short filler tokens nobody searches for); the base content words
    /// follow, and rarer words made by prefixing a syllable fill the tail.
    fn words(&mut self, base: &[&str], n: usize) -> String {
        (0..n)
            .map(|_| {
                let k = (VOCABULARY as f64).powf(self.unit()) as usize - 1;
                if k < STOPWORD_RANKS {
                    format!("x{k}")
                } else if k - STOPWORD_RANKS < base.len() {
                    base[k - STOPWORD_RANKS].to_owned()
                } else {
                    let j = k - STOPWORD_RANKS;
                    let syllable = SYLLABLES[(j / base.len()) % SYLLABLES.len()];
                    format!("{syllable}{}", base[j % base.len()])
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The manifest of a synthetic pack.
pub fn manifest(publisher: &str, id: &str, version: u64) -> PackManifest {
    PackManifest {
        format: PACK_FORMAT,
        id: id.into(),
        version,
        publisher: Publisher {
            id: publisher.into(),
            name: "Synthetic publisher (sample data)".into(),
        },
        title: [(
            "en".to_string(),
            "Synthetic benchmark pack (sample data)".to_string(),
        )]
        .into(),
        languages: LANGS.iter().map(|(l, _)| l.to_string()).collect(),
        fallback: vec!["en".into()],
        sample: true,
        built: NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date"),
        entries: 0,
        time_zones: Default::default(),
    }
}

/// `n` entries: about 70% services, 25% articles, the rest alerts, routes
/// and country profiles.
pub fn entries(n: usize, seed: u64) -> Vec<Entry> {
    let mut rng = Rng(seed | 1);
    let verified = NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date");
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let roll = rng.below(100);
        let entry = if roll < 70 {
            let (lat, lon) = CITIES[rng.below(CITIES.len())];
            let mut name = Translations::new();
            let mut description = Translations::new();
            for (lang, vocab) in LANGS {
                if lang == "en" || rng.below(3) == 0 {
                    name.insert(lang.into(), rng.words(vocab, 3));
                    description.insert(lang.into(), rng.words(vocab, 12));
                }
            }
            let all_days = vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ];
            Entry::Service(Service {
                id: format!("svc-{i}"),
                organization: Some(format!("Sample organisation {}", i % 500)),
                name,
                description,
                categories: vec![CATEGORIES[rng.below(CATEGORIES.len())].into()],
                location: Some(GeoPoint {
                    lat: lat + (rng.unit() - 0.5) * 0.2,
                    lon: lon + (rng.unit() - 0.5) * 0.2,
                }),
                address: None,
                country: None,
                phones: vec![],
                email: None,
                url: None,
                languages: vec![LANGS[rng.below(LANGS.len())].0.into()],
                free: Some(rng.below(2) == 0),
                schedule: vec![OpeningHours {
                    days: all_days,
                    opens: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
                    closes: NaiveTime::from_hms_opt(17, 0, 0).expect("valid time"),
                }],
                time_zone: None,
                verified,
            })
        } else if roll < 95 {
            let (lang, vocab) = LANGS[rng.below(LANGS.len())];
            Entry::Article(Article {
                id: format!("art-{i}"),
                language: lang.into(),
                title: rng.words(vocab, 5),
                body: rng.words(vocab, 80),
                countries: vec![],
                topics: vec![],
                verified,
                expires: None,
            })
        } else {
            let mut title = Translations::new();
            for (lang, vocab) in LANGS {
                title.insert(lang.into(), rng.words(vocab, 4));
            }
            let from = Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("valid time");
            Entry::Alert(Alert {
                id: format!("alert-{i}"),
                severity: Severity::Warning,
                title,
                body: Translations::new(),
                area: Area {
                    countries: vec!["GR".parse().expect("valid code")],
                    bbox: None,
                },
                valid_from: from,
                valid_until: Some(from + Duration::days(3650)),
                verified,
            })
        };
        out.push(entry);
    }
    out
}

/// A synthetic pack file.
pub fn pack(publisher: &str, id: &str, version: u64, n: usize, seed: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_pack(
        &manifest(publisher, id, version),
        &entries(n, seed),
        &mut out,
    )?;
    Ok(out)
}

/// A pack of the search benchmark's corpus ([`corpus_entries`]), in its
/// six languages.
pub fn corpus_pack(
    publisher: &str,
    id: &str,
    version: u64,
    n: usize,
    seed: u64,
) -> Result<Vec<u8>> {
    let mut manifest = manifest(publisher, id, version);
    manifest.languages = CORPUS_LANGS.iter().map(|l| l.to_string()).collect();
    let mut out = Vec::new();
    write_pack(&manifest, &corpus_entries(n, seed), &mut out)?;
    Ok(out)
}

/// A throwaway publisher that signs bundles (one key for every role).
pub struct SyntheticPublisher {
    id: String,
    key: SigningKey,
    root: Vec<u8>,
}

impl SyntheticPublisher {
    /// A new publisher with a fresh key.
    pub fn new(id: &str) -> Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|_| crate::Error::Random)?;
        let key = SigningKey::from_bytes(&seed);
        let k = Key::ed25519(&key.verifying_key());
        let kid = k.id()?;
        let roles = ["root", "targets", "snapshot", "timestamp"]
            .into_iter()
            .map(|r| {
                (
                    r.to_string(),
                    RoleKeys {
                        keyids: vec![kid.clone()],
                        threshold: 1,
                    },
                )
            })
            .collect();
        let root = Root {
            kind: "root".into(),
            spec_version: SPEC_VERSION.into(),
            version: 1,
            expires: Utc::now() + Duration::days(365),
            consistent_snapshot: true,
            keys: BTreeMap::from([(kid, k)]),
            roles,
        };
        let root = Envelope::sign(&root, &[&key])?.to_bytes()?;
        Ok(SyntheticPublisher {
            id: id.into(),
            key,
            root,
        })
    }

    /// The card a phone trusts.
    pub fn card(&self) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec(&PublisherCard {
            waymark_publisher: 1,
            id: self.id.clone(),
            name: "Synthetic publisher (sample data)".into(),
            url: None,
            root: Envelope::parse(&self.root)?,
        })?)
    }

    /// A signed bundle of `pack` at metadata version `version`.
    pub fn bundle(
        &self,
        pack: &[u8],
        pack_id: &str,
        version: u64,
        out: impl std::io::Write,
    ) -> Result<()> {
        let expires = Utc::now() + Duration::days(7);
        let target = format!("packs/{pack_id}.wmpack");
        // As waymark-pack describes a pack: its id, version, publisher and
        // content digest.
        let manifest = super::pack::PackReader::new(pack)?.manifest().clone();
        let mut described = TargetFile::describe(pack);
        described.custom = Some(
            PackTargetCustom {
                pack: manifest.id,
                version: manifest.version,
                publisher: manifest.publisher.id,
                content: Some(ContentDigest::of(&decompressed(pack)?)),
                patches: BTreeMap::new(),
            }
            .to_custom(),
        );
        let targets = Envelope::sign(
            &Targets {
                kind: "targets".into(),
                spec_version: SPEC_VERSION.into(),
                version,
                expires,
                targets: BTreeMap::from([(target.clone(), described)]),
                delegations: None,
            },
            &[&self.key],
        )?
        .to_bytes()?;
        let list = |kind: &str, name: &str, bytes: &[u8]| -> Result<Vec<u8>> {
            let described = TargetFile::describe(bytes);
            Envelope::sign(
                &MetaList {
                    kind: kind.into(),
                    spec_version: SPEC_VERSION.into(),
                    version,
                    expires,
                    meta: BTreeMap::from([(
                        name.to_string(),
                        MetaFile {
                            version,
                            length: Some(described.length),
                            hashes: Some(described.hashes),
                        },
                    )]),
                },
                &[&self.key],
            )?
            .to_bytes()
        };
        let snapshot = list("snapshot", "targets.json", &targets)?;
        let timestamp = list("timestamp", "snapshot.json", &snapshot)?;
        let set = MetadataSet {
            roots: vec![],
            timestamp,
            snapshot,
            targets,
        };
        let info = BundleInfo {
            format: 1,
            publisher: self.id.clone(),
            target,
        };
        write_bundle(out, &info, &set, pack)
    }
}

/// A pack file's content (its JSON Lines).
fn decompressed(pack: &[u8]) -> Result<Vec<u8>> {
    let mut content = Vec::new();
    std::io::Read::read_to_end(
        &mut super::pack::decompress(pack)
            .map_err(|e| crate::Error::InvalidPack(format!("not zstd: {e}")))?,
        &mut content,
    )?;
    Ok(content)
}

/// The patch from `old` to `new`, two pack files whose entries are the
/// same in number and order (each line kept, or replaced), as
/// `waymark-pack` writes it (naming the old content's digest), compressed.
pub fn patch_between(old: &[u8], new: &[u8]) -> Result<Vec<u8>> {
    let (old_content, new_content) = (decompressed(old)?, decompressed(new)?);
    let lines = |c: &[u8]| -> Vec<Vec<u8>> {
        c.strip_suffix(b"\n")
            .unwrap_or(c)
            .split(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    };
    let (old_lines, new_lines) = (lines(&old_content), lines(&new_content));
    let manifest = |c: &[u8]| -> Result<PackManifest> {
        Ok(super::pack::PackReader::plain(c)?.manifest().clone())
    };
    let (from, to) = (manifest(&old_content)?, manifest(&new_content)?);
    let mut base = BaseHasher::new();
    old_lines[1..].iter().for_each(|l| base.add(l));
    let header = PatchHeader {
        waymark_patch: PATCH_FORMAT,
        pack: to.id.clone(),
        publisher: to.publisher.id.clone(),
        from: from.version,
        to: to.version,
        base: PatchBase {
            content: Some(ContentDigest::of(&old_content)),
            ..base.finish()
        },
    };
    let mut w = PatchWriter::new(Vec::new(), &header, &new_lines[0])?;
    for (a, b) in old_lines[1..].iter().zip(&new_lines[1..]) {
        if a == b {
            w.copy(1)?;
        } else {
            w.skip(1)?;
            w.insert(&[b])?;
        }
    }
    let plain = w.finish()?;
    let mut out = Vec::new();
    ruzstd::encoding::compress(
        &plain[..],
        &mut out,
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    Ok(out)
}

/// The digest of a pack file's content, as its target would sign it.
pub fn content_digest(pack: &[u8]) -> Result<ContentDigest> {
    Ok(ContentDigest::of(&decompressed(pack)?))
}

impl super::ContentStore {
    /// Applies `patch` (from [`patch_between`]) as sync does once it has
    /// verified the patch file, whose pack target signs the pack and
    /// version the patch names and the content digest `expected`: for
    /// the content benchmark.
    #[doc(hidden)]
    pub fn install_patch_as_signed(
        &self,
        publisher: &str,
        patch: &[u8],
        expected: &ContentDigest,
    ) -> Result<super::InstalledPack> {
        let plain = std::io::BufReader::new(
            super::pack::decompress(patch)
                .map_err(|e| crate::Error::InvalidPatch(format!("not zstd: {e}")))?,
        );
        let header = super::patch::PatchReader::new(plain)?.header().clone();
        let signed = SignedPack {
            target: format!("packs/{}.wmpack", header.pack),
            id: header.pack,
            version: Some(header.to),
            publisher: Some(header.publisher),
            content: Some(expected.clone()),
        };
        self.install_patch_verified(publisher, &signed, patch, expected)
    }
}

/// CPU time (user and system) this process has used so far, its threads
/// included, in seconds (Linux; 0 elsewhere): for the benchmarks.
pub fn cpu_seconds() -> f64 {
    // utime and stime are fields 14 and 15.
    proc_stat_seconds(11)
}

/// CPU time (user and system) of this process's children that have been
/// waited for, in seconds (Linux; 0 elsewhere): for the benchmarks.
pub fn children_cpu_seconds() -> f64 {
    // cutime and cstime are fields 16 and 17.
    proc_stat_seconds(13)
}

/// Two fields of `/proc/self/stat` from field `i` + 3 on (clock ticks,
/// 100 per second on Linux), summed, in seconds.
fn proc_stat_seconds(i: usize) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(i) + ticks(i + 1)) / 100.0
}
