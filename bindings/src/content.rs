//! The phone's content: [`ContentStore`] with the trust store, installed
//! packs and the offline queries. Sync lives in [`crate::sync`].

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use waymark_core::content::{
    self as core, AlertFilter, NearbyQuery, SearchQuery, TrustRequest, choose_language,
};
use waymark_core::types::CountryCode;

use crate::error::{Result, WaymarkError};
use crate::http::HttpTransport;
use crate::model::{
    Alert, CountryProfile, ExportedPack, GeoPoint, InstalledPack, NearbyService, Route,
    SearchResults, Translations, TrustedPublisher,
};
use crate::num::unsigned_int;
use crate::sync::SyncSettings;
use crate::task::{InFlight, blocking};

/// A search request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SearchRequest {
    /// What the person typed. The last word matches as a prefix; case,
    /// diacritics and Arabic/Persian letter variants do not matter.
    pub text: String,
    /// The person's language (BCP 47), shown first when an entry has it.
    #[uniffi(default = None)]
    pub language: Option<String>,
    /// At most this many hits (not negative).
    #[uniffi(default = 20)]
    pub limit: i32,
}

/// Services near a point, with filters.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NearbyRequest {
    /// Where the person is. It never leaves the device.
    pub point: GeoPoint,
    /// How far to look, km.
    pub radius_km: f64,
    /// Only services in this category (`legal`, `shelter`, `health`…).
    #[uniffi(default = None)]
    pub category: Option<String>,
    /// Only services open now by their schedule (unknown hours excluded).
    #[uniffi(default = false)]
    pub open_now: bool,
    /// Only services where this language is spoken (BCP 47).
    #[uniffi(default = None)]
    pub speaks: Option<String>,
    /// Only services known to be free of charge.
    #[uniffi(default = false)]
    pub free_only: bool,
    /// Language to show names in (BCP 47).
    #[uniffi(default = None)]
    pub language: Option<String>,
    /// At most this many, nearest first (not negative).
    #[uniffi(default = 50)]
    pub limit: i32,
}

/// How to trust a publisher: overrides for what its card says, or, for a
/// bare TUF `root.json`, what it does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct TrustOptions {
    /// The publisher id (required for a bare root).
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// The display name.
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// The repository URL to sync from (`https://…`).
    #[uniffi(default = None)]
    pub url: Option<String>,
    /// Trust the card only if its fingerprint is this one (a
    /// [`TrustLink`]'s, from the publisher's QR code): another is refused
    /// (`InvalidInput`) and nothing is trusted.
    #[uniffi(default = None)]
    pub expected_fingerprint: Option<String>,
}

/// What a publisher's QR code holds (`waymark-pack card` draws it): where
/// its card is, and the fingerprint the card must have. Read one with
/// [`parse_trust_link`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TrustLink {
    /// Where to download the publisher card (`https://…`), with the app's
    /// HTTP stack.
    pub card_url: String,
    /// The fingerprint the card must have: pass it as the trust options'
    /// `expected_fingerprint` (`expectedFingerprint` in Kotlin and Swift)
    /// with the card downloaded.
    pub fingerprint: String,
}

/// Reads the text of a publisher's QR code,
/// `waymark://trust?card=<card URL>&fp=<fingerprint>`. To trust the
/// publisher: download the card from `card_url`, then call
/// [`ContentStore::trust_publisher`] with `expected_fingerprint` set to
/// `fingerprint`, which refuses any other card. Anything else scanned is
/// `InvalidInput`. Cheap (no I/O).
#[uniffi::export]
pub fn parse_trust_link(link: String) -> Result<TrustLink> {
    let link = core::TrustLink::parse(&link)?;
    Ok(TrustLink {
        card_url: link.card_url,
        fingerprint: link.fingerprint,
    })
}

/// The content on this phone: trusted publishers, installed packs, and
/// the offline queries over them. Every query result carries its
/// provenance (publisher, pack version, when it was last verified).
///
/// Safe to use from any thread. Every call that reads or writes the
/// database is `async` (Kotlin `suspend`, Swift `async`) and runs on a
/// Waymark worker thread: queries take milliseconds, but removing a pack
/// from a large store takes most of a second and the first query after
/// opening reads the index from flash.
#[derive(uniffi::Object)]
pub struct ContentStore {
    pub(crate) inner: Arc<core::ContentStore>,
    /// Data budget and proxy for sync (see [`SyncSettings`]).
    pub(crate) sync_settings: Mutex<SyncSettings>,
    /// The app's HTTP client for sync, if it gave one.
    pub(crate) transport: Option<Arc<dyn HttpTransport>>,
    /// Syncs and plans in flight, for `cancel_sync`.
    pub(crate) in_flight: InFlight,
}

impl std::fmt::Debug for ContentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentStore").finish_non_exhaustive()
    }
}

fn country(code: &str) -> Result<CountryCode> {
    Ok(CountryCode::from_str(code)?)
}

#[uniffi::export]
impl ContentStore {
    /// Opens (or creates) the content database in `dir`. `transport` is
    /// the app's HTTP client that sync goes through (the Kotlin and Swift
    /// packages ship one, and their `WaymarkHome` passes it); without one
    /// the store works offline and `sync`/`plan_sync` refuse with
    /// `InvalidInput`.
    #[uniffi::constructor(default(transport = None))]
    pub async fn open(dir: String, transport: Option<Arc<dyn HttpTransport>>) -> Result<Arc<Self>> {
        blocking(move || {
            Ok(Arc::new(ContentStore {
                inner: Arc::new(core::ContentStore::open(&PathBuf::from(dir))?),
                sync_settings: Mutex::new(SyncSettings::default()),
                transport,
                in_flight: InFlight::default(),
            }))
        })
        .await
    }

    // ----- trust -----------------------------------------------------------

    /// Trusts a publisher from its card (`publisher.json`) or a bare TUF
    /// `root.json` (then `options.id` is required). The root must be signed
    /// by its own keys and unexpired. Show the returned fingerprint so the
    /// person can compare it with the publisher's (it stays the same when
    /// the publisher later rotates its root key). Refuses an id already
    /// trusted, and a card whose fingerprint is not
    /// `options.expected_fingerprint` when that is given (`InvalidInput`).
    #[uniffi::method(default(options = None))]
    pub async fn trust_publisher(
        self: Arc<Self>,
        card: Vec<u8>,
        options: Option<TrustOptions>,
    ) -> Result<TrustedPublisher> {
        let o = options.unwrap_or_default();
        let request = TrustRequest {
            id: o.id,
            name: o.name,
            url: o.url,
        };
        blocking(move || {
            Ok(match o.expected_fingerprint {
                Some(fp) => self.inner.trust_publisher_expecting(&card, &request, &fp)?,
                None => self.inner.trust_publisher(&card, &request)?,
            }
            .into())
        })
        .await
    }

    /// The trusted publishers.
    pub async fn trusted_publishers(self: Arc<Self>) -> Result<Vec<TrustedPublisher>> {
        blocking(move || {
            Ok(self
                .inner
                .trusted_publishers()?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// Stops trusting a publisher and removes its packs; returns how many
    /// packs went.
    pub async fn remove_publisher(self: Arc<Self>, id: String) -> Result<i32> {
        blocking(move || {
            let removed = self.inner.remove_publisher_trust(&id)?;
            Ok(i32::try_from(removed).unwrap_or(i32::MAX))
        })
        .await
    }

    // ----- packs -----------------------------------------------------------

    /// Installs a pack from an offline bundle file (`.wmbundle`, shared
    /// from another phone or downloaded), after verifying it against the
    /// trusted root of the publisher it names. Refused with nothing
    /// changed (`Integrity`, `InvalidInput`, `NotFound` for an unknown
    /// publisher) if anything does not verify. The previous version stays
    /// searchable until the new one is in.
    pub async fn install_pack_from_file(self: Arc<Self>, path: String) -> Result<InstalledPack> {
        blocking(move || {
            self.inner
                .install_bundle(&PathBuf::from(path))
                .map(Into::into)
        })
        .await
    }

    /// Writes an installed pack with its publisher's signed metadata to the
    /// file `path`, for sharing phone to phone (Bluetooth, a memory card, a
    /// messenger): the other phone installs it with
    /// [`ContentStore::install_pack_from_file`], verifying it with no
    /// server. Refused, with nothing written: a pack not installed
    /// (`NotFound`), one whose publisher now signs a newer version, or
    /// metadata that has expired (sync first).
    pub async fn export_pack(
        self: Arc<Self>,
        publisher: String,
        pack_id: String,
        path: String,
    ) -> Result<ExportedPack> {
        blocking(move || {
            self.inner
                .export_pack(&publisher, &pack_id, &PathBuf::from(path))
                .map(Into::into)
        })
        .await
    }

    /// The installed packs, by publisher and id.
    pub async fn packs(self: Arc<Self>) -> Result<Vec<InstalledPack>> {
        blocking(move || Ok(self.inner.packs()?.into_iter().map(Into::into).collect())).await
    }

    /// Removes one pack and its entries (the full-text index is rewritten:
    /// most of a second on a large store).
    pub async fn remove_pack(self: Arc<Self>, publisher: String, pack_id: String) -> Result<()> {
        blocking(move || self.inner.remove_pack(&publisher, &pack_id)).await
    }

    // ----- queries ---------------------------------------------------------

    /// Full-text search over every installed pack, best first, with typo
    /// correction when nothing matches as typed.
    pub async fn search(self: Arc<Self>, request: SearchRequest) -> Result<SearchResults> {
        let query = SearchQuery {
            text: request.text,
            language: request.language,
            limit: unsigned_int("the limit", request.limit)? as usize,
        };
        blocking(move || Ok(self.inner.search(&query)?.into())).await
    }

    /// Services within a radius, nearest first.
    pub async fn nearby(self: Arc<Self>, request: NearbyRequest) -> Result<Vec<NearbyService>> {
        if !(request.radius_km.is_finite() && request.radius_km >= 0.0) {
            return Err(WaymarkError::invalid("the radius must be a distance in km"));
        }
        let query = NearbyQuery {
            category: request.category,
            open_now: request.open_now,
            speaks: request.speaks,
            free_only: request.free_only,
            language: request.language,
            limit: unsigned_int("the limit", request.limit)? as usize,
            ..NearbyQuery::new(request.point.into(), request.radius_km)
        };
        blocking(move || {
            Ok(self
                .inner
                .nearby(&query)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// A country's profiles (one per pack that has it), most recently
    /// verified first. `code`: ISO 3166-1 alpha-2.
    pub async fn country(self: Arc<Self>, code: String) -> Result<Vec<CountryProfile>> {
        let code = country(&code)?;
        blocking(move || {
            Ok(self
                .inner
                .country(code)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// Routes with a leg from or to a place whose name (in any language)
    /// starts with `place`.
    pub async fn routes(self: Arc<Self>, place: String) -> Result<Vec<Route>> {
        blocking(move || {
            Ok(self
                .inner
                .routes(&place)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// Alerts in force now, most severe first: for a country, for a point
    /// (matched against the alerts' bounding boxes), or all of them when
    /// both are `null`/`nil`. Expired alerts are never returned.
    #[uniffi::method(default(country_code = None, point = None))]
    pub async fn alerts(
        self: Arc<Self>,
        country_code: Option<String>,
        point: Option<GeoPoint>,
    ) -> Result<Vec<Alert>> {
        let filter = AlertFilter {
            country: country_code.as_deref().map(country).transpose()?,
            point: point.map(Into::into),
        };
        blocking(move || {
            Ok(self
                .inner
                .alerts(&filter)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }
}

/// The text of `translations` for a person who reads `languages` (BCP 47
/// tags, preferred first): pass the person's languages followed by the
/// pack's `fallback` ([`InstalledPack::fallback`]). Tags match as search
/// matches them: the same tag (any case), else the bare language (`ar-EG`
/// finds `ar`), else another variant of it (`ar-SA`); then the next
/// language; else any text (the smallest tag), so `null`/`nil` only when
/// there is none. Cheap (memory only: about 3 µs in the binding tests, a
/// debug build on a desktop core).
#[uniffi::export]
pub fn pick_translation(translations: Translations, languages: Vec<String>) -> Option<String> {
    let tag = choose_language(
        translations.keys().map(String::as_str),
        languages.iter().map(String::as_str),
    )?;
    translations.get(tag).cloned()
}
