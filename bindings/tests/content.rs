//! The content store as the apps reach it: a signed bundle installed and
//! searched through the async calls, BCP 47 matching of translations, bad
//! numbers refused, and a sync's listener ending with the report.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use support::{Kept, block_on, temp_dir};
use waymark_core::content::synthetic::{SyntheticPublisher, pack};
use waymark_ffi::content::{NearbyRequest, SearchRequest};
use waymark_ffi::error::{Result, WaymarkError};
use waymark_ffi::http::{HttpBody, HttpError, HttpRequest, HttpResponse, HttpTransport};
use waymark_ffi::model::GeoPoint;
use waymark_ffi::sync::{Network, SyncCancellation, SyncEvent, SyncListener};
use waymark_ffi::{ContentStore, pick_translation};

fn translations(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pick(t: &HashMap<String, String>, languages: &[&str]) -> Option<String> {
    pick_translation(t.clone(), languages.iter().map(|l| l.to_string()).collect())
}

#[test]
fn pick_translation_finds_a_language_by_its_primary_subtag() {
    let t = translations(&[("en", "Clinic"), ("ar", "عيادة"), ("ti", "ክሊኒክ")]);
    assert_eq!(pick(&t, &["ar-EG", "en"]).as_deref(), Some("عيادة"));
    assert_eq!(pick(&t, &["TI-er"]).as_deref(), Some("ክሊኒክ"));
    assert_eq!(pick(&t, &["fa", "en"]).as_deref(), Some("Clinic"));
    // The exact tag before the bare language.
    let regional = translations(&[("ar", "عيادة"), ("ar-EG", "مستوصف")]);
    assert_eq!(pick(&regional, &["ar-EG"]).as_deref(), Some("مستوصف"));
    assert_eq!(pick(&regional, &["ar-SA"]).as_deref(), Some("عيادة"));
    // Something rather than nothing; nothing only when there is no text.
    assert_eq!(pick(&t, &["de"]).as_deref(), Some("عيادة"));
    assert_eq!(pick(&HashMap::new(), &["en"]), None);
}

fn open_store(
    dir: &tempfile::TempDir,
    transport: Option<Arc<dyn HttpTransport>>,
) -> Arc<ContentStore> {
    block_on(ContentStore::open(
        dir.path().to_string_lossy().into_owned(),
        transport,
    ))
    .unwrap()
}

/// A store with a synthetic publisher's signed pack installed from a
/// bundle, through the async calls.
fn store_with_pack(dir: &tempfile::TempDir) -> Arc<ContentStore> {
    let store = open_store(dir, None);
    let publisher = SyntheticPublisher::new("synthetic-ngo").unwrap();
    block_on(Arc::clone(&store).trust_publisher(publisher.card().unwrap(), None)).unwrap();
    let bundle = dir.path().join("pack.wmbundle");
    let bytes = pack("synthetic-ngo", "city", 1, 200, 7).unwrap();
    publisher
        .bundle(&bytes, "city", 1, std::fs::File::create(&bundle).unwrap())
        .unwrap();
    block_on(Arc::clone(&store).install_pack_from_file(bundle.to_string_lossy().into_owned()))
        .unwrap();
    store
}

#[test]
fn a_pack_installs_and_answers_through_the_async_calls() {
    let dir = temp_dir();
    let store = store_with_pack(&dir);
    let packs = block_on(Arc::clone(&store).packs()).unwrap();
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0].entries, 200);
    let results = block_on(Arc::clone(&store).search(SearchRequest {
        text: "legal".into(),
        language: Some("en-GB".into()),
        limit: 5,
    }))
    .unwrap();
    assert!(results.hits.len() <= 5);
    assert!(results.hits.iter().all(|h| h.provenance.pack == "city"));
    block_on(Arc::clone(&store).remove_pack("synthetic-ngo".into(), "city".into())).unwrap();
    assert!(block_on(Arc::clone(&store).packs()).unwrap().is_empty());
}

#[test]
fn installing_from_a_file_tells_what_changed() {
    let dir = temp_dir();
    let store = open_store(&dir, None);
    let publisher = SyntheticPublisher::new("synthetic-ngo").unwrap();
    block_on(Arc::clone(&store).trust_publisher(publisher.card().unwrap(), None)).unwrap();
    let install = |version: u64, seed: u64| {
        let bundle = dir.path().join(format!("pack-{version}.wmbundle"));
        let bytes = pack("synthetic-ngo", "city", version, 200, seed).unwrap();
        publisher
            .bundle(
                &bytes,
                "city",
                version,
                std::fs::File::create(&bundle).unwrap(),
            )
            .unwrap();
        block_on(Arc::clone(&store).install_pack_from_file(bundle.to_string_lossy().into_owned()))
            .unwrap()
            .changes
            .expect("an install tells its changes")
    };
    let first = install(1, 7);
    assert_eq!(first.kinds.iter().map(|k| k.added).sum::<i64>(), 200);
    assert!(first.kinds.iter().all(|k| k.changed == 0 && k.removed == 0));
    assert!(first.kinds.iter().any(|k| k.kind == "service"));
    // Version 2 of other content: entries changed, and each kind's ids are
    // at most five, in order.
    let second = install(2, 8);
    assert!(second.kinds.iter().map(|k| k.changed).sum::<i64>() > 0);
    for k in &second.kinds {
        assert!(
            k.changed_ids.len() <= 5 && k.changed_ids.is_sorted(),
            "{k:?}"
        );
    }
    let packs = block_on(Arc::clone(&store).packs()).unwrap();
    assert_eq!(packs[0].changes, None, "a listing tells no changes");
}

#[test]
fn negative_limits_are_refused() {
    let dir = temp_dir();
    let store = open_store(&dir, None);
    let e = block_on(Arc::clone(&store).search(SearchRequest {
        text: "x".into(),
        language: None,
        limit: -1,
    }))
    .unwrap_err();
    assert_eq!(
        e,
        WaymarkError::InvalidInput {
            reason: "the limit must not be negative".into()
        }
    );
    let e = block_on(Arc::clone(&store).nearby(NearbyRequest {
        point: GeoPoint { lat: 0.0, lon: 0.0 },
        radius_km: 1.0,
        category: None,
        open_now: false,
        speaks: None,
        free_only: false,
        language: None,
        limit: -5,
    }))
    .unwrap_err();
    assert!(matches!(e, WaymarkError::InvalidInput { .. }));
    let mut settings = store.sync_settings();
    settings.budget_bytes = Some(-1);
    assert!(store.set_sync_settings(settings).is_err());
    assert_eq!(store.sync_settings().budget_bytes, None, "nothing changed");
}

/// A server that has nothing: every GET is a 404.
struct Empty;

struct NoBody;

impl HttpBody for NoBody {
    fn read(&self, _: i32) -> std::result::Result<Vec<u8>, HttpError> {
        Ok(Vec::new())
    }
    fn release(&self) {}
}

impl HttpTransport for Empty {
    fn send(&self, _: HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
        Ok(HttpResponse {
            status: 404,
            headers: Vec::new(),
            body: Arc::new(NoBody),
        })
    }
}

struct Events(Arc<Kept<SyncEvent>>);

impl SyncListener for Events {
    fn on_event(&self, event: SyncEvent) -> Result<()> {
        self.0.push(event);
        Ok(())
    }
}

fn syncing_store(dir: &tempfile::TempDir) -> Arc<ContentStore> {
    let store = open_store(dir, Some(Arc::new(Empty)));
    let publisher = SyntheticPublisher::new("synthetic-ngo").unwrap();
    block_on(Arc::clone(&store).trust_publisher(
        publisher.card().unwrap(),
        Some(waymark_ffi::content::TrustOptions {
            id: None,
            name: None,
            url: Some("https://example.invalid/repo".into()),
            ..Default::default()
        }),
    ))
    .unwrap();
    store
}

#[test]
fn a_syncs_last_event_carries_its_report() {
    let dir = temp_dir();
    let store = syncing_store(&dir);
    let events = Arc::new(Kept::default());
    let report = block_on(Arc::clone(&store).sync(
        Network::Unmetered,
        Some(Box::new(Events(Arc::clone(&events)))),
        None,
    ))
    .unwrap();
    let events = events.all();
    assert!(
        matches!(events.first(), Some(SyncEvent::Checking { .. })),
        "{events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&SyncEvent::Finished {
            report: report.clone()
        })
    );
    assert_eq!(report.publishers.len(), 1);
}

#[test]
fn a_cancellation_stops_only_the_sync_it_was_given_to() {
    let dir = temp_dir();
    let store = syncing_store(&dir);
    let cancelled = SyncCancellation::new();
    cancelled.cancel();
    assert!(cancelled.is_cancelled());
    let result = block_on(Arc::clone(&store).sync(Network::Unmetered, None, Some(cancelled)));
    assert_eq!(result.unwrap_err(), WaymarkError::Cancelled);
    // Another sync on the same store is not cancelled by it.
    let other = SyncCancellation::new();
    assert!(block_on(Arc::clone(&store).plan_sync(Network::Unmetered, Some(other))).is_ok());
}

/// `pick_translation`, the sync settings and `cancel_sync` are documented as
/// cheap (memory only): their time is printed, not asserted.
#[test]
fn the_synchronous_content_calls_answer_from_memory() {
    let t = translations(&[
        ("en", "Clinic"),
        ("ar", "عيادة"),
        ("ti", "ክሊኒክ"),
        ("fa", "درمانگاه"),
    ]);
    let calls = 1000u32;
    let started = std::time::Instant::now();
    for _ in 0..calls {
        assert_eq!(pick(&t, &["ar-EG", "en"]).as_deref(), Some("عيادة"));
    }
    println!("pick_translation: {:?} per call", started.elapsed() / calls);
    let dir = temp_dir();
    let store = open_store(&dir, None);
    let started = std::time::Instant::now();
    for _ in 0..calls {
        let settings = store.sync_settings();
        store.set_sync_settings(settings).unwrap();
        store.cancel_sync();
    }
    println!(
        "sync_settings + set_sync_settings + cancel_sync: {:?} per round",
        started.elapsed() / calls
    );
    assert_eq!(store.sync_settings(), waymark_ffi::SyncSettings::default());
}

#[test]
fn a_scanned_trust_link_trusts_its_card_and_refuses_any_other() {
    let dir = temp_dir();
    let store = open_store(&dir, None);
    let publisher = SyntheticPublisher::new("synthetic-ngo").unwrap();
    let impostor = SyntheticPublisher::new("synthetic-ngo").unwrap();
    let card = publisher.card().unwrap();
    // The fingerprint the publisher prints: what another phone shows.
    let other_dir = temp_dir();
    let fingerprint = block_on(open_store(&other_dir, None).trust_publisher(card.clone(), None))
        .unwrap()
        .fingerprint;
    let link = waymark_ffi::parse_trust_link(format!(
        "waymark://trust?card=https://ngo.example/repo/publisher.json&fp={fingerprint}"
    ))
    .unwrap();
    assert_eq!(link.card_url, "https://ngo.example/repo/publisher.json");
    let expecting = || {
        Some(waymark_ffi::content::TrustOptions {
            expected_fingerprint: Some(link.fingerprint.clone()),
            ..Default::default()
        })
    };

    let refused =
        block_on(Arc::clone(&store).trust_publisher(impostor.card().unwrap(), expecting()));
    assert!(
        matches!(refused, Err(WaymarkError::InvalidInput { .. })),
        "{refused:?}"
    );
    assert!(
        block_on(Arc::clone(&store).trusted_publishers())
            .unwrap()
            .is_empty()
    );

    let trusted = block_on(Arc::clone(&store).trust_publisher(card, expecting())).unwrap();
    assert_eq!(trusted.fingerprint, fingerprint);
    assert_eq!(
        block_on(Arc::clone(&store).trusted_publishers()).unwrap(),
        vec![trusted]
    );

    assert!(matches!(
        waymark_ffi::parse_trust_link("https://ngo.example/repo/publisher.json".into()),
        Err(WaymarkError::InvalidInput { .. })
    ));
}
