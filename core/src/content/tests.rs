//! Installing packs and searching them (the install path is crate-private
//! until signature verification lands; these tests drive it directly).

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};

use super::model::*;
use super::pack::write_pack;
use super::*;
use crate::Error;
use crate::clock::ManualClock;

fn tr(pairs: &[(&str, &str)]) -> Translations {
    pairs
        .iter()
        .map(|(l, t)| (l.to_string(), t.to_string()))
        .collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn manifest(publisher: &str, id: &str, version: u64) -> PackManifest {
    PackManifest {
        format: PACK_FORMAT,
        id: id.into(),
        version,
        publisher: Publisher {
            id: publisher.into(),
            name: format!("{publisher} (sample)"),
        },
        title: tr(&[("en", "Sample pack")]),
        languages: vec![
            "ti".into(),
            "ar".into(),
            "fr".into(),
            "es".into(),
            "en".into(),
        ],
        fallback: vec!["ti".into(), "am".into(), "en".into()],
        sample: true,
        built: date(2026, 11, 1),
        entries: 0,
        time_zones: Default::default(),
    }
}

fn article(id: &str, lang: &str, title: &str, body: &str) -> Entry {
    Entry::Article(Article {
        id: id.into(),
        language: lang.into(),
        title: title.into(),
        body: body.into(),
        countries: vec![],
        topics: vec![],
        verified: date(2026, 10, 1),
        expires: None,
    })
}

fn entries() -> Vec<Entry> {
    vec![
        article(
            "legal-aid",
            "ar",
            "مُسَاعَدَةٌ قَانُونِيَّةٌ مَجَّانِيَّةٌ",
            "يُمْكِنُكَ طَلَبُ اللُّجُوءِ فِي أَيِّ مَرْكَزِ شُرْطَةٍ.",
        ),
        article(
            "legal-aid",
            "en",
            "Free legal aid",
            "You can ask for asylum at any police station.",
        ),
        article("legal-aid", "ti", "ነጻ ሕጋዊ ሓገዝ", "ዑቕባ ክትሓትት ትኽእል ኢኻ።"),
        article(
            "health",
            "fr",
            "Santé et hôpitaux",
            "Les réfugiés ont droit aux soins d'urgence à l'hôpital.",
        ),
        article(
            "health",
            "es",
            "Salud para niños",
            "Los niños refugiados reciben atención médica gratuita.",
        ),
        article(
            "english-only",
            "en",
            "Bus timetables",
            "Buses leave the camp every morning.",
        ),
        Entry::Service(Service {
            id: "svc-1".into(),
            organization: Some("Example Legal Aid (sample)".into()),
            name: tr(&[("en", "Legal clinic Athens"), ("ar", "عيادة قانونية أثينا")]),
            description: tr(&[("en", "Asylum interviews, appeals")]),
            categories: vec!["legal".into()],
            location: Some(GeoPoint {
                lat: 37.98,
                lon: 23.73,
            }),
            address: None,
            country: Some("GR".parse().unwrap()),
            phones: vec![],
            email: None,
            url: None,
            languages: vec!["ar".into(), "en".into()],
            free: Some(true),
            schedule: vec![],
            time_zone: None,
            verified: date(2026, 9, 1),
        }),
    ]
}

fn store() -> (tempfile::TempDir, ContentStore) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
    ));
    let store = ContentStore::open_with_clock(dir.path(), clock).unwrap();
    (dir, store)
}

fn install(
    store: &ContentStore,
    publisher: &str,
    m: &PackManifest,
    e: &[Entry],
) -> crate::Result<InstalledPack> {
    let mut bytes = Vec::new();
    write_pack(m, e, &mut bytes).unwrap();
    store.install_verified(publisher, &signed_as(&bytes), &bytes[..])
}

fn ids(store: &ContentStore, q: SearchQuery) -> Vec<(String, String)> {
    store
        .search(&q)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| (h.id, h.language))
        .collect()
}

#[test]
fn arabic_with_and_without_diacritics_finds_the_same_entries() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    let with = ids(&s, SearchQuery::new("مُسَاعَدَة قَانُونِيَّة").language("ar"));
    let without = ids(&s, SearchQuery::new("مساعده قانونيه").language("ar"));
    assert_eq!(with, vec![("legal-aid".to_string(), "ar".to_string())]);
    assert_eq!(with, without);
    // Hamza-on-alef and the plain alef fold together.
    assert_eq!(
        ids(&s, SearchQuery::new("اللجوء")),
        ids(&s, SearchQuery::new("اللُّجُوءِ"))
    );
    assert!(!ids(&s, SearchQuery::new("اللجوء")).is_empty());
}

#[test]
fn tigrinya_is_found_in_ethiopic_script() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    assert_eq!(
        ids(&s, SearchQuery::new("ሓገዝ").language("ti")),
        vec![("legal-aid".to_string(), "ti".to_string())]
    );
}

#[test]
fn french_and_spanish_accents_are_optional() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    assert_eq!(
        ids(&s, SearchQuery::new("refugies hopital")),
        ids(&s, SearchQuery::new("réfugiés hôpital"))
    );
    assert_eq!(ids(&s, SearchQuery::new("refugies hopital"))[0].0, "health");
    assert_eq!(
        ids(&s, SearchQuery::new("NINOS")),
        vec![("health".to_string(), "es".to_string())]
    );
}

#[test]
fn words_match_as_prefixes_while_typing() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    assert_eq!(ids(&s, SearchQuery::new("timeta"))[0].0, "english-only");
    assert_eq!(ids(&s, SearchQuery::new("legal cli"))[0].0, "svc-1");
}

#[test]
fn an_entry_is_shown_in_the_preferred_language_then_along_the_fallback_chain() {
    let (_d, s) = store();
    let mut shelter = entries().pop().unwrap();
    if let Entry::Service(svc) = &mut shelter {
        svc.id = "shelter".into();
        svc.name = tr(&[
            ("en", "Caritas shelter"),
            ("am", "Caritas መጠለያ"),
            ("fr", "Caritas abri"),
        ]);
        svc.description = Translations::new();
    }
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &[shelter]).unwrap();
    let lang_for = |lang: &str| {
        ids(&s, SearchQuery::new("caritas").language(lang))[0]
            .1
            .clone()
    };
    assert_eq!(lang_for("fr"), "fr", "the person's language first");
    assert_eq!(lang_for("ti"), "am", "no Tigrinya: the chain ti → am → en");
    assert_eq!(
        lang_for("de"),
        "am",
        "a language outside the chain: the chain's first"
    );
    // Only rows that match count: the English article is shown in English
    // to a Tigrinya reader searching an English word.
    install(&s, "pub-b", &manifest("pub-b", "p", 1), &entries()[..3]).unwrap();
    assert_eq!(
        ids(&s, SearchQuery::new("station").language("ti")),
        vec![("legal-aid".to_string(), "en".to_string())]
    );
}

#[test]
fn hits_carry_a_snippet_and_their_provenance() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 7), &entries()).unwrap();
    let hit = &s.search(&SearchQuery::new("police")).unwrap().hits[0];
    assert_eq!(hit.title, "Free legal aid");
    assert!(hit.snippet.contains("police station"), "{}", hit.snippet);
    let (a, b) = hit.highlights[0];
    assert_eq!(&hit.snippet[a..b], "police");
    let p = &hit.provenance;
    assert_eq!(
        (p.publisher.as_str(), p.pack.as_str(), p.pack_version),
        ("pub-a", "p", 7)
    );
    assert_eq!(p.verified, date(2026, 10, 1));
    assert_eq!(p.age_days, 52);
    assert!(p.sample);
}

#[test]
fn provenance_follows_each_install_and_removal_between_searches() {
    let (_d, s) = store();
    let version = |s: &ContentStore| -> Vec<u64> {
        s.search(&SearchQuery::new("police"))
            .unwrap()
            .hits
            .iter()
            .map(|h| h.provenance.pack_version)
            .collect()
    };
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    assert_eq!(version(&s), [1]);
    // Installs commit on a connection of their own; search sees each one.
    install(&s, "pub-a", &manifest("pub-a", "p", 2), &entries()).unwrap();
    assert_eq!(version(&s), [2]);
    s.remove_pack("pub-a", "p").unwrap();
    assert!(version(&s).is_empty());
    // A new pack may take the removed one's row id: it is not mistaken
    // for it.
    install(&s, "pub-b", &manifest("pub-b", "q", 9), &entries()).unwrap();
    let hit = &s.search(&SearchQuery::new("police")).unwrap().hits[0];
    assert_eq!(
        (
            hit.provenance.publisher.as_str(),
            hit.provenance.pack.as_str(),
            hit.provenance.pack_version
        ),
        ("pub-b", "q", 9)
    );
}

#[test]
fn any_limit_is_taken_and_the_largest_means_every_match() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    let all = |limit: usize| {
        let mut q = SearchQuery::new("legal");
        q.limit = limit;
        s.search(&q).unwrap().hits.len()
    };
    let every = all(usize::MAX);
    assert!(every >= 2, "{every}");
    assert_eq!(all(1), 1);
    assert_eq!(all(1000), every);
}

#[test]
fn a_typo_is_corrected_to_the_nearest_indexed_word() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    let r = s.search(&SearchQuery::new("timetbles")).unwrap();
    assert_eq!(
        r.corrections,
        vec![("timetbles".to_string(), "timetables".to_string())]
    );
    assert_eq!(r.hits[0].id, "english-only");
    assert!(
        s.search(&SearchQuery::new("zzzzqqq"))
            .unwrap()
            .hits
            .is_empty()
    );
}

#[test]
fn packs_of_two_publishers_live_side_by_side_and_leave_one_by_one() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    let other = vec![article(
        "b-1",
        "en",
        "Bus to the border",
        "Timetables of the border bus.",
    )];
    install(&s, "pub-b", &manifest("pub-b", "p", 1), &other).unwrap();
    assert_eq!(s.packs().unwrap().len(), 2);
    assert_eq!(ids(&s, SearchQuery::new("timetables")).len(), 2);

    s.remove_pack("pub-a", "p").unwrap();
    assert_eq!(
        ids(&s, SearchQuery::new("timetables")),
        vec![("b-1".to_string(), "en".to_string())]
    );
    assert!(ids(&s, SearchQuery::new("asylum")).is_empty());
    assert!(matches!(
        s.remove_pack("pub-a", "p"),
        Err(Error::NotFound(_))
    ));
    assert_eq!(s.remove_publisher("pub-b").unwrap(), 1);
    assert!(s.packs().unwrap().is_empty());
}

#[test]
fn an_older_or_equal_version_is_refused_and_the_installed_one_stays() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 5), &entries()).unwrap();
    let newer_but_empty = manifest("pub-a", "p", 5);
    assert!(matches!(
        install(&s, "pub-a", &newer_but_empty, &[]),
        Err(Error::Rollback {
            offered: 5,
            installed: 5
        })
    ));
    assert!(matches!(
        install(&s, "pub-a", &manifest("pub-a", "p", 4), &[]),
        Err(Error::Rollback { .. })
    ));
    assert!(!ids(&s, SearchQuery::new("asylum")).is_empty());
    // A newer version replaces the old entries entirely.
    install(&s, "pub-a", &manifest("pub-a", "p", 6), &entries()[5..6]).unwrap();
    assert!(ids(&s, SearchQuery::new("asylum")).is_empty());
    assert_eq!(ids(&s, SearchQuery::new("timetables")).len(), 1);
}

#[test]
fn a_damaged_pack_changes_nothing() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    let mut bytes = Vec::new();
    write_pack(&manifest("pub-a", "p", 2), &entries(), &mut bytes).unwrap();
    // Cut short. (Altered bytes are caught before this layer, by the hash
    // the signed metadata gives for the pack file.)
    assert!(
        s.install_verified(
            "pub-a",
            &signed_as(&bytes[..bytes.len() / 2]),
            &bytes[..bytes.len() / 2]
        )
        .is_err()
    );
    assert!(
        s.install_verified(
            "pub-a",
            &signed_as(&bytes[..bytes.len() - 1]),
            &bytes[..bytes.len() - 1]
        )
        .is_err()
    );
    assert!(
        s.install_verified("pub-a", &signed_as(&b"not a pack"[..]), &b"not a pack"[..])
            .is_err()
    );
    // A pack naming another publisher than the one that signed it.
    assert!(matches!(
        install(&s, "pub-b", &manifest("pub-a", "q", 1), &entries()),
        Err(Error::InvalidPack(_))
    ));
    let packs = s.packs().unwrap();
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0].manifest.version, 1);
    assert_eq!(ids(&s, SearchQuery::new("police")).len(), 1);
}

// ----- nearby, country, routes, alerts -----------------------------------

fn service(id: &str, lat: f64, lon: f64, f: impl FnOnce(&mut Service)) -> Entry {
    let mut s = Service {
        id: id.into(),
        organization: None,
        name: tr(&[("en", id)]),
        description: Translations::new(),
        categories: vec!["legal".into()],
        location: Some(GeoPoint { lat, lon }),
        address: None,
        country: None,
        phones: vec![],
        email: None,
        url: None,
        languages: vec!["en".into()],
        free: None,
        schedule: vec![],
        time_zone: None,
        verified: date(2026, 11, 1),
    };
    f(&mut s);
    Entry::Service(s)
}

fn nearby_ids(s: &ContentStore, q: &NearbyQuery) -> Vec<String> {
    s.nearby(q)
        .unwrap()
        .into_iter()
        .map(|n| n.service.id)
        .collect()
}

#[test]
fn nearby_services_come_nearest_first_and_each_filter_narrows() {
    use chrono::{NaiveTime, Weekday};
    let (_d, s) = store(); // Sunday 2026-11-22, 12:00 UTC
    let athens = GeoPoint {
        lat: 37.9838,
        lon: 23.7275,
    };
    let hours = |days: Vec<Weekday>, o: u32, c: u32| OpeningHours {
        days,
        opens: NaiveTime::from_hms_opt(o, 0, 0).unwrap(),
        closes: NaiveTime::from_hms_opt(c, 0, 0).unwrap(),
    };
    let every_day = vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    let pack = vec![
        service("far-2km", 37.9838 + 0.018, 23.7275, |s| s.free = Some(true)),
        service("near-300m", 37.9838 + 0.0027, 23.7275, |s| {
            s.categories = vec!["shelter".into()];
            s.schedule = vec![hours(every_day.clone(), 0, 23)];
        }),
        service("mid-1km", 37.9838, 23.7275 + 0.0114, |s| {
            s.languages = vec!["ar".into(), "fa".into()];
            s.schedule = vec![hours(vec![Weekday::Mon], 9, 17)];
            s.free = Some(true);
        }),
        service("other-city", 40.64, 22.94, |_| {}),
        service("hotline", 0.0, 0.0, |s| s.location = None),
    ];
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &pack).unwrap();

    let q = NearbyQuery::new(athens, 5.0);
    assert_eq!(nearby_ids(&s, &q), ["near-300m", "mid-1km", "far-2km"]);
    let found = s.nearby(&q).unwrap();
    assert!(
        (found[0].distance_km - 0.30).abs() < 0.01,
        "{}",
        found[0].distance_km
    );
    assert!(
        (found[2].distance_km - 2.0).abs() < 0.02,
        "{}",
        found[2].distance_km
    );

    let within = |km: f64| nearby_ids(&s, &NearbyQuery::new(athens, km));
    assert_eq!(within(1.5), ["near-300m", "mid-1km"]);
    assert_eq!(within(400.0).len(), 4, "Thessaloniki is ~300 km away");

    let mut q = NearbyQuery::new(athens, 5.0);
    q.category = Some("shelter".into());
    assert_eq!(nearby_ids(&s, &q), ["near-300m"]);
    let mut q = NearbyQuery::new(athens, 5.0);
    q.speaks = Some("fa-IR".into());
    assert_eq!(nearby_ids(&s, &q), ["mid-1km"]);
    let mut q = NearbyQuery::new(athens, 5.0);
    q.free_only = true;
    assert_eq!(nearby_ids(&s, &q), ["mid-1km", "far-2km"]);
    let mut q = NearbyQuery::new(athens, 5.0);
    q.open_now = true;
    assert_eq!(
        nearby_ids(&s, &q),
        ["near-300m"],
        "open daily; the other only on Mondays; hours unknown excluded"
    );

    assert!(matches!(
        s.nearby(&NearbyQuery::new(
            GeoPoint {
                lat: 91.0,
                lon: 0.0
            },
            1.0
        )),
        Err(Error::InvalidInput(_))
    ));
}

/// A store whose manual clock the test moves, with one pack of services
/// whose hours are in their own time zones: Tunis (UTC+1 all year), Rome
/// (summer time from 2027-03-28 01:00 UTC), one night shelter in Tunis and
/// one service with no zone (as in packs built before time zones).
fn zoned_store() -> (tempfile::TempDir, Arc<ManualClock>, ContentStore) {
    use chrono::{NaiveTime, Weekday};
    let dir = tempfile::tempdir().unwrap();
    // Friday 2027-03-26, 08:30 UTC.
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2027, 3, 26, 8, 30, 0).unwrap(),
    ));
    let store = ContentStore::open_with_clock(dir.path(), clock.clone()).unwrap();
    let t = |h: u32| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let every_day = vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    let nine_to_five = vec![OpeningHours {
        days: every_day,
        opens: t(9),
        closes: t(17),
    }];
    let zoned = |id: &str, zone: Option<&str>, hours: &[OpeningHours]| {
        service(id, 36.8, 10.18, |s| {
            s.schedule = hours.to_vec();
            s.time_zone = zone.map(str::to_owned);
        })
    };
    let night = [OpeningHours {
        days: vec![Weekday::Fri],
        opens: t(22),
        closes: t(6),
    }];
    let mut m = manifest("pub-a", "zones", 1);
    m.time_zones.insert("Africa/Tunis".into(), "3600".into());
    // 2026-10-25 01:00 UTC to winter time, 2027-03-28 01:00 UTC to summer
    // time, 2027-10-31 01:00 UTC back.
    m.time_zones.insert(
        "Europe/Rome".into(),
        "7200 1792890000 3600 1806195600 7200 1824944400 3600".into(),
    );
    let pack = vec![
        zoned("tunis-office", Some("Africa/Tunis"), &nine_to_five),
        zoned("rome-office", Some("Europe/Rome"), &nine_to_five),
        zoned("tunis-night", Some("Africa/Tunis"), &night),
        zoned("no-zone", None, &nine_to_five),
        zoned("unknown-zone", Some("Mars/Olympus"), &nine_to_five),
    ];
    install(&store, "pub-a", &m, &pack).unwrap();
    (dir, clock, store)
}

fn open_at(s: &ContentStore) -> Vec<(String, Option<bool>)> {
    let mut found: Vec<_> = s
        .nearby(&NearbyQuery::new(
            GeoPoint {
                lat: 36.8,
                lon: 10.18,
            },
            1.0,
        ))
        .unwrap()
        .into_iter()
        .map(|n| (n.service.id, n.open_now))
        .collect();
    found.sort();
    found
}

fn is_open_now(s: &ContentStore, id: &str) -> Option<bool> {
    open_at(s).into_iter().find(|(i, _)| i == id).unwrap().1
}

#[test]
fn open_now_is_the_services_own_time_not_the_phones() {
    let (_d, clock, s) = zoned_store();
    // 08:30 UTC is 09:30 in Tunis: open, though the phone (a manual
    // clock's local time is UTC) reads 08:30.
    assert_eq!(is_open_now(&s, "tunis-office"), Some(true));
    // A service with no zone, or a zone its pack has no table for, is read
    // in the phone's time: 08:30, before opening.
    assert_eq!(is_open_now(&s, "no-zone"), Some(false));
    assert_eq!(is_open_now(&s, "unknown-zone"), Some(false));
    let mut q = NearbyQuery::new(
        GeoPoint {
            lat: 36.8,
            lon: 10.18,
        },
        1.0,
    );
    q.open_now = true;
    assert!(nearby_ids(&s, &q).contains(&"tunis-office".to_string()));
    assert!(!nearby_ids(&s, &q).contains(&"no-zone".to_string()));

    // 07:30 UTC is 08:30 in Tunis: closed.
    clock.advance(chrono::Duration::hours(-1));
    assert_eq!(is_open_now(&s, "tunis-office"), Some(false));
}

#[test]
fn open_now_follows_summer_time_across_the_change() {
    let (_d, clock, s) = zoned_store();
    // Saturday 2027-03-27 07:30 UTC: 08:30 in Rome (UTC+1), closed.
    clock.advance(chrono::Duration::hours(23));
    assert_eq!(is_open_now(&s, "rome-office"), Some(false));
    // Sunday 2027-03-28 07:30 UTC: summer time began at 01:00 UTC, so it is
    // 09:30 in Rome (UTC+2): open. Tunis has no summer time: 08:30, closed.
    clock.advance(chrono::Duration::hours(24));
    assert_eq!(is_open_now(&s, "rome-office"), Some(true));
    assert_eq!(is_open_now(&s, "tunis-office"), Some(false));
    // Sunday 16:30 UTC is 18:30 in Rome: closed; 17:30 in Tunis: closed.
    clock.advance(chrono::Duration::hours(9));
    assert_eq!(is_open_now(&s, "rome-office"), Some(false));
}

#[test]
fn open_now_past_midnight_counts_in_the_services_own_day() {
    let (_d, clock, s) = zoned_store();
    // The night shelter opens Friday 22:00 to Saturday 06:00 Tunis time.
    // Friday 20:30 UTC is 21:30 in Tunis: not yet.
    clock.advance(chrono::Duration::hours(12));
    assert_eq!(is_open_now(&s, "tunis-night"), Some(false));
    // Friday 21:30 UTC is 22:30: open.
    clock.advance(chrono::Duration::hours(1));
    assert_eq!(is_open_now(&s, "tunis-night"), Some(true));
    // Friday 23:30 UTC is already Saturday 00:30 in Tunis: still open.
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(is_open_now(&s, "tunis-night"), Some(true));
    // Saturday 04:30 UTC is 05:30: open; 05:30 UTC is 06:30: closed.
    clock.advance(chrono::Duration::hours(5));
    assert_eq!(is_open_now(&s, "tunis-night"), Some(true));
    clock.advance(chrono::Duration::hours(1));
    assert_eq!(is_open_now(&s, "tunis-night"), Some(false));
}

#[test]
fn a_zone_table_gives_the_offset_in_force_before_between_and_after_its_changes() {
    let rome = ZoneOffsets {
        offset: 3600,
        changes: vec![(1_806_195_600, 7200), (1_824_944_400, 3600)],
    };
    let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap();
    assert_eq!(
        rome.offset_at(at(0)),
        3600,
        "before the table: its first offset"
    );
    assert_eq!(rome.offset_at(at(1_806_195_599)), 3600);
    assert_eq!(
        rome.offset_at(at(1_806_195_600)),
        7200,
        "a change applies from its moment"
    );
    assert_eq!(rome.offset_at(at(1_824_944_400)), 3600);
    assert_eq!(
        rome.offset_at(at(4_000_000_000)),
        3600,
        "after the table: its last offset"
    );
    let local = rome.local_time(at(1_806_195_600)).unwrap();
    assert_eq!(ZoneOffsets::parse(&rome.to_string()), Some(rome.clone()));
    assert_eq!(rome.to_string(), "3600 1806195600 7200 1824944400 3600");
    assert_eq!(
        ZoneOffsets::parse("3600 1806195600"),
        None,
        "a change needs its offset"
    );
    assert_eq!(ZoneOffsets::parse("one hour"), None);
    assert_eq!(local.to_string(), "2027-03-28 03:00:00");
    let broken = ZoneOffsets {
        offset: 200_000,
        changes: vec![],
    };
    assert_eq!(
        broken.local_time(at(0)),
        None,
        "beyond ±24 h: no zone has it"
    );
}

#[test]
fn an_update_tells_changes_per_kind_and_an_article_once_whatever_its_translations() {
    let (_d, s) = store();
    let alert = |id: &str, title: &str| {
        Entry::Alert(Alert {
            id: id.into(),
            severity: Severity::Warning,
            title: tr(&[("en", title)]),
            body: Translations::new(),
            area: Area {
                countries: vec![],
                bbox: None,
            },
            valid_from: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            valid_until: None,
            verified: date(2026, 11, 1),
        })
    };
    let article = |lang: &str, body: &str| {
        Entry::Article(Article {
            id: "asylum".into(),
            language: lang.into(),
            title: format!("Asylum ({lang})"),
            body: body.into(),
            countries: vec![],
            topics: vec![],
            verified: date(2026, 11, 1),
            expires: None,
        })
    };
    let v1 = vec![
        article("en", "Ask at the police."),
        article("ar", "اسأل في مركز الشرطة."),
        service("a", 37.9, 23.7, |_| {}),
        service("b", 37.9, 23.7, |_| {}),
        service("c", 37.9, 23.7, |_| {}),
        alert("strike", "Ferry strike"),
    ];
    let v2 = vec![
        article("en", "Ask at the police."),
        article("ar", "اسأل في أقرب مركز للشرطة."),
        service("a", 37.9, 23.7, |s| {
            s.phones = vec![Phone {
                number: "+302100000000".into(),
                description: Translations::new(),
            }]
        }),
        service("c", 37.9, 23.7, |_| {}),
        service("d", 37.9, 23.7, |_| {}),
        service("e", 37.9, 23.7, |_| {}),
        alert("strike", "Ferry strike"),
    ];
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &v1).unwrap();
    let changes = install(&s, "pub-a", &manifest("pub-a", "p", 2), &v2)
        .unwrap()
        .changes
        .unwrap();
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        changes.kinds,
        [
            KindChanges {
                kind: "service".into(),
                added: 2,
                changed: 1,
                removed: 1,
                added_ids: ids(&["d", "e"]),
                changed_ids: ids(&["a"]),
                removed_ids: ids(&["b"]),
            },
            KindChanges {
                kind: "article".into(),
                changed: 1,
                changed_ids: ids(&["asylum"]),
                ..Default::default()
            },
        ],
        "the unchanged alert is not listed"
    );
    // The same content again, as version 3: nothing changed.
    let same = install(&s, "pub-a", &manifest("pub-a", "p", 3), &v2)
        .unwrap()
        .changes
        .unwrap();
    assert!(same.is_empty(), "{same:?}");
}

#[test]
fn opening_hours_past_midnight_count_on_both_days() {
    use chrono::{NaiveTime, Weekday};
    let t = |h: u32| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let night = [OpeningHours {
        days: vec![Weekday::Fri],
        opens: t(22),
        closes: t(6),
    }];
    assert_eq!(is_open(&night, Weekday::Fri, t(23)), Some(true));
    assert_eq!(is_open(&night, Weekday::Sat, t(5)), Some(true));
    assert_eq!(is_open(&night, Weekday::Sat, t(7)), Some(false));
    assert_eq!(is_open(&night, Weekday::Fri, t(5)), Some(false));
    assert_eq!(is_open(&[], Weekday::Fri, t(5)), None);
}

#[test]
fn alerts_in_force_only_and_by_country_or_point() {
    let (_d, s) = store(); // now: 2026-11-22 12:00 UTC
    let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
    let alert =
        |id: &str, sev: Severity, from, until, countries: &[&str], bbox: Option<[f64; 4]>| {
            Entry::Alert(Alert {
                id: id.into(),
                severity: sev,
                title: tr(&[("en", id)]),
                body: Translations::new(),
                area: Area {
                    countries: countries.iter().map(|c| c.parse().unwrap()).collect(),
                    bbox,
                },
                valid_from: from,
                valid_until: until,
                verified: date(2026, 11, 20),
            })
        };
    let pack = vec![
        alert(
            "expired",
            Severity::Danger,
            at(2026, 10, 1),
            Some(at(2026, 11, 1)),
            &["GR"],
            None,
        ),
        alert(
            "future",
            Severity::Danger,
            at(2026, 12, 1),
            None,
            &["GR"],
            None,
        ),
        alert(
            "border-closed",
            Severity::Danger,
            at(2026, 11, 20),
            Some(at(2026, 12, 20)),
            &["MK"],
            Some([20.4, 40.8, 23.1, 42.4]),
        ),
        alert(
            "strike",
            Severity::Info,
            at(2026, 11, 21),
            None,
            &["GR"],
            None,
        ),
    ];
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &pack).unwrap();
    let ids = |f: AlertFilter| -> Vec<String> {
        s.alerts(&f)
            .unwrap()
            .into_iter()
            .map(|a| a.entry.id)
            .collect()
    };
    assert_eq!(
        ids(AlertFilter::default()),
        ["border-closed", "strike"],
        "most severe first; expired and future absent"
    );
    let gr = AlertFilter {
        country: Some("GR".parse().unwrap()),
        point: None,
    };
    assert_eq!(ids(gr), ["strike"]);
    let skopje = AlertFilter {
        country: None,
        point: Some(GeoPoint {
            lat: 41.99,
            lon: 21.43,
        }),
    };
    assert_eq!(ids(skopje), ["border-closed"]);
}

#[test]
fn country_profiles_and_routes_through_a_place() {
    let (_d, s) = store();
    let place = |name: &[(&str, &str)], cc: &str| Place {
        name: tr(name),
        country: cc.parse().unwrap(),
        location: None,
    };
    let pack = vec![
        Entry::Country(CountryProfile {
            code: "GR".parse().unwrap(),
            name: tr(&[("en", "Greece"), ("ar", "اليونان")]),
            emergency: vec![EmergencyNumber {
                service: "general".into(),
                number: "112".into(),
            }],
            missions: vec![],
            asylum: Translations::new(),
            rights: Translations::new(),
            links: vec![],
            verified: date(2026, 10, 1),
        }),
        Entry::Route(Route {
            id: "r1".into(),
            name: tr(&[("en", "Athens to Thessaloniki")]),
            segments: vec![Segment {
                from: place(&[("en", "Athens"), ("ar", "أثينا")], "GR"),
                to: place(&[("en", "Thessaloniki")], "GR"),
                mode: Some("train".into()),
                notes: Translations::new(),
                risks: Translations::new(),
                border_crossing: false,
            }],
            verified: date(2026, 9, 1),
        }),
    ];
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &pack).unwrap();
    let gr = s.country("GR".parse().unwrap()).unwrap();
    assert_eq!(gr.len(), 1);
    assert_eq!(gr[0].entry.emergency[0].number, "112");
    assert_eq!(gr[0].provenance.pack, "p");
    assert!(s.country("DE".parse().unwrap()).unwrap().is_empty());
    assert_eq!(s.routes("thessal").unwrap().len(), 1);
    assert_eq!(
        s.routes("اثينا").unwrap().len(),
        1,
        "Arabic name, hamza folded"
    );
    assert!(s.routes("Skopje").unwrap().is_empty());
}

#[cfg(feature = "synthetic")]
#[test]
fn the_old_version_stays_searchable_until_the_new_one_is_entirely_in() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    let before = ids(&s, SearchQuery::new("police"));
    assert_eq!(before, vec![("legal-aid".to_string(), "en".to_string())]);
    let big = super::synthetic::pack("pub-a", "p", 2, 5_000, 7).unwrap();
    let mut seen = Vec::new();
    std::thread::scope(|scope| {
        let installing =
            scope.spawn(|| s.install_verified("pub-a", &signed_as(&big[..]), &big[..]));
        while !installing.is_finished() {
            seen.push(ids(&s, SearchQuery::new("police")));
        }
        installing.join().unwrap().unwrap();
    });
    let after = ids(&s, SearchQuery::new("police"));
    assert!(
        !after.is_empty() && !after.contains(&before[0]),
        "the new version replaced the old"
    );
    // Every search during the install saw the old version, or (after the
    // commit, before the thread ended) the whole new one: never a mix.
    assert!(
        seen.iter().filter(|r| **r == before).count() > 0,
        "searches ran while installing"
    );
    for r in &seen {
        assert!(
            *r == before || *r == after,
            "a partial state was visible: {r:?}"
        );
    }
}

#[test]
fn a_common_word_ranks_title_matches_first_from_heads_and_from_whole_lists() {
    let (_d, s) = store();
    // Thousands of entries carry "shelter" in their body; a few in their
    // title.
    let mut many: Vec<Entry> = (0..2_100)
        .map(|i| {
            article(
                &format!("body-{i}"),
                "en",
                &format!("Notice {i}"),
                "Winter shelter opening times and other news for the week.",
            )
        })
        .collect();
    // A word in nearly every entry has no weight in bm25: the others make
    // "shelter" a word of some entries only, as in a real directory.
    many.extend((0..3_000).map(|i| {
        article(
            &format!("other-{i}"),
            "en",
            "Bus timetables",
            "Buses leave the camp every morning.",
        )
    }));
    for i in 0..25 {
        many.push(article(
            &format!("title-{i}"),
            "en",
            &format!("Night shelter {i}"),
            "Beds for the night.",
        ));
    }
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &many).unwrap();
    let hits = ids(&s, SearchQuery::new("shelter"));
    assert_eq!(hits.len(), 20);
    assert!(
        hits.iter().all(|(id, _)| id.starts_with("title-")),
        "{hits:?}"
    );
    // Fewer title matches than wanted: every match is ranked, titles first.
    let mut q = SearchQuery::new("shelter");
    q.limit = 40;
    let hits = ids(&s, q);
    assert_eq!(hits.len(), 40);
    assert!(
        hits[..25].iter().all(|(id, _)| id.starts_with("title-")),
        "{hits:?}"
    );
    assert!(hits[25..].iter().all(|(id, _)| id.starts_with("body-")));
    // More than a head holds: ranked from the whole lists, the same way.
    let mut q = SearchQuery::new("shel");
    q.limit = 500;
    let hits = ids(&s, q);
    assert_eq!(hits.len(), 500);
    assert!(hits[..25].iter().all(|(id, _)| id.starts_with("title-")));
    assert!(hits[25..].iter().all(|(id, _)| id.starts_with("body-")));
    // Two words: every entry with both, titles first.
    let hits = ids(&s, SearchQuery::new("shelter night"));
    assert_eq!(hits.len(), 20);
    assert!(hits.iter().all(|(id, _)| id.starts_with("title-")));
    assert_eq!(ids(&s, SearchQuery::new("beds")).len(), 20);
    // The words go with their pack.
    install(&s, "pub-b", &manifest("pub-b", "q", 1), &entries()).unwrap();
    s.remove_pack("pub-a", "p").unwrap();
    assert!(
        ids(&s, SearchQuery::new("shelter"))
            .iter()
            .all(|(id, _)| !id.starts_with("title-") && !id.starts_with("body-"))
    );
}

#[test]
fn a_version_1_database_is_reindexed_and_keeps_its_packs() {
    let dir = tempfile::tempdir().unwrap();
    // The content database as version 1 left it: one index row per entry
    // and language, display text in search_docs, prefix indexes.
    {
        let conn = rusqlite::Connection::open(dir.path().join("content.db")).unwrap();
        let e = &entries()[1];
        conn.execute_batch(
            "CREATE TABLE publishers (id TEXT PRIMARY KEY, name TEXT NOT NULL, root TEXT NOT NULL,
                 seen TEXT NOT NULL, url TEXT, added_at TEXT NOT NULL);
             CREATE TABLE packs (id INTEGER PRIMARY KEY, publisher TEXT NOT NULL,
                 pack_id TEXT NOT NULL, version INTEGER NOT NULL, manifest TEXT NOT NULL,
                 installed_at TEXT NOT NULL, UNIQUE (publisher, pack_id));
             CREATE TABLE entries (id INTEGER PRIMARY KEY,
                 pack INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
                 kind TEXT NOT NULL, entry_id TEXT NOT NULL, verified TEXT NOT NULL,
                 body TEXT NOT NULL, lat REAL, lon REAL);
             CREATE TABLE search_docs (id INTEGER PRIMARY KEY,
                 entry INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
                 lang TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL);
             CREATE VIRTUAL TABLE search USING fts5(title, body, content = '',
                 contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0',
                 prefix = '2 3');
             PRAGMA user_version = 1;",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO packs VALUES (1, 'pub-a', 'p', 3, ?1, '2026-11-01T00:00:00+00:00')",
            [serde_json::to_string(&manifest("pub-a", "p", 3)).unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO entries VALUES (1, 1, 'article', 'legal-aid', '2026-10-01', ?1, NULL, NULL)",
            [serde_json::to_string(e).unwrap()],
        )
        .unwrap();
    }
    let s = ContentStore::open(dir.path()).unwrap();
    assert_eq!(s.packs().unwrap()[0].manifest.version, 3);
    let hits = s.search(&SearchQuery::new("police")).unwrap().hits;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].id.as_str(), hits[0].title.as_str()),
        ("legal-aid", "Free legal aid")
    );
}

/// Turns the entries of the content database `conn` back into version
/// 6's form (JSON text, no lexicons, no columns of version 10's packs), for tests that make an older
/// version's database from a fresh one.
pub(super) fn entries_as_version_6(conn: &rusqlite::Connection) {
    let packs: Vec<i64> = conn
        .prepare("SELECT id FROM packs")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for pack in packs {
        let lexicon = super::lexicon::Lexicon::read(conn, pack).unwrap();
        let rows: Vec<(i64, Vec<u8>)> = conn
            .prepare("SELECT id, body FROM entries WHERE pack = ?1")
            .unwrap()
            .query_map([pack], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for (id, coded) in rows {
            conn.execute(
                "UPDATE entries SET body = ?2 WHERE id = ?1",
                rusqlite::params![id, lexicon.decode(&coded).unwrap()],
            )
            .unwrap();
        }
    }
    conn.execute_batch(
        "DROP TABLE lexicons; DROP TABLE lexicon_added; DROP TABLE terms_added;
         ALTER TABLE packs DROP COLUMN content; ALTER TABLE packs DROP COLUMN avgdl;
         ALTER TABLE packs DROP COLUMN next_part; ALTER TABLE packs DROP COLUMN entry_order;
         ALTER TABLE packs DROP COLUMN removed;",
    )
    .unwrap();
}

/// The SQL that created the table or index `name`.
fn schema_sql(s: &ContentStore, name: &str) -> String {
    s.conn()
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .unwrap()
}

/// Whether SQLite plans to find a country by code, with the query the
/// store runs, through the partial index of the listed kinds.
fn kind_query_uses_the_kind_index(s: &ContentStore) -> bool {
    let conn = s.conn();
    let plan: Vec<String> = conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN {}",
            super::queries::ENTRIES_OF_KIND
        ))
        .unwrap()
        .query_map(rusqlite::params!["country", "GR"], |r| r.get(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    plan.iter().any(|step| step.contains("entries_kind"))
}

#[test]
fn a_version_5_kind_index_becomes_partial_and_profiles_are_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let country = Entry::Country(CountryProfile {
        code: "GR".parse().unwrap(),
        name: tr(&[("en", "Greece")]),
        emergency: vec![],
        missions: vec![],
        asylum: Translations::new(),
        rights: Translations::new(),
        links: vec![],
        verified: date(2026, 10, 1),
    });
    let mut pack = entries();
    pack.push(country);
    {
        let s = ContentStore::open(dir.path()).unwrap();
        install(&s, "pub-a", &manifest("pub-a", "p", 1), &pack).unwrap();
        assert!(kind_query_uses_the_kind_index(&s));
    }
    // The index as version 5 left it: every entry, whatever its kind.
    {
        let conn = rusqlite::Connection::open(dir.path().join("content.db")).unwrap();
        entries_as_version_6(&conn);
        conn.execute_batch(
            "DROP INDEX entries_kind;
             CREATE INDEX entries_kind ON entries(kind, entry_id);
             PRAGMA user_version = 5;",
        )
        .unwrap();
    }
    let s = ContentStore::open(dir.path()).unwrap();
    let sql = schema_sql(&s, "entries_kind");
    assert!(sql.contains("WHERE (kind = 'alert' OR"), "{sql}");
    assert!(kind_query_uses_the_kind_index(&s));
    let gr = s.country("GR".parse().unwrap()).unwrap();
    assert_eq!(gr.len(), 1);
    assert_eq!(gr[0].provenance.pack, "p");
    assert_eq!(ids(&s, SearchQuery::new("police")).len(), 1);
}

#[test]
fn entries_parse_alike_whether_or_not_their_type_comes_first() {
    for entry in entries() {
        let json = serde_json::to_string(&entry).unwrap();
        assert!(json.starts_with("{\"type\":"), "{json}");
        assert_eq!(Entry::from_json(&json).unwrap(), entry);
        // The same object with its tag last takes the general path.
        let mut value: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&json).unwrap();
        let kind = value.remove("type").unwrap();
        let mut reordered = serde_json::to_string(&value).unwrap();
        reordered.pop();
        reordered.push_str(&format!(",\"type\":{kind}}}"));
        assert_eq!(Entry::from_json(&reordered).unwrap(), entry);
    }
    assert!(Entry::from_json(r#"{"type":"spaceship","id":"x"}"#).is_err());
    assert!(Entry::from_json(r#"{"type":"service"}"#).is_err());
}

#[test]
fn an_entry_that_is_not_utf8_is_refused_and_changes_nothing() {
    let (_d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    let before = ids(&s, SearchQuery::new("police"));
    let mut packed = Vec::new();
    write_pack(&manifest("pub-a", "p", 2), &entries(), &mut packed).unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut ruzstd::decoding::StreamingDecoder::new(&packed[..]).unwrap(),
        &mut plain,
    )
    .unwrap();
    // A byte that is never UTF-8 inside the second entry's first string.
    let second = plain
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0;
    let quote = second + 1 + plain[second + 1..].iter().position(|b| *b == b':').unwrap() + 2;
    plain.insert(quote, 0xFF);
    let mut pack = Vec::new();
    ruzstd::encoding::compress(
        &plain[..],
        &mut pack,
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let err = s
        .install_verified("pub-a", &signed_as(&pack[..]), &pack[..])
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidPack(m) if m == "entry 2 is not UTF-8"),
        "{err:?}"
    );
    assert_eq!(s.packs().unwrap()[0].manifest.version, 1);
    assert_eq!(ids(&s, SearchQuery::new("police")), before);
}

/// Installs a second pack with a word of its own, removes it with
/// `remove`, and checks that the word is nowhere in the database files.
fn removal_leaves_no_trace(remove: impl FnOnce(&ContentStore)) {
    let (d, s) = store();
    install(&s, "pub-a", &manifest("pub-a", "p", 1), &entries()).unwrap();
    let marker = "zanzibarquokka";
    let mut other = entries();
    if let Entry::Article(a) = &mut other[1] {
        a.body = format!("{} {marker} {marker}", a.body);
    }
    install(&s, "pub-b", &manifest("pub-b", "q", 1), &other).unwrap();
    assert_eq!(ids(&s, SearchQuery::new(marker)).len(), 1);
    remove(&s);
    assert!(ids(&s, SearchQuery::new(marker)).is_empty());
    assert!(
        !ids(&s, SearchQuery::new("police")).is_empty(),
        "the other pack stays"
    );
    s.conn()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    for f in std::fs::read_dir(d.path()).unwrap() {
        let path = f.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{} still holds a removed pack's word",
            path.display()
        );
    }
}

#[test]
fn a_removed_pack_leaves_none_of_its_words_in_the_database_files() {
    removal_leaves_no_trace(|s| s.remove_pack("pub-b", "q").unwrap());
    removal_leaves_no_trace(|s| assert_eq!(s.remove_publisher("pub-b").unwrap(), 1));
}

/// What a signed target would say of `pack` (its own manifest, or a name
/// no pack has when it has none), for the tests that install packs
/// directly.
pub(super) fn signed_as(pack: &[u8]) -> target::SignedPack {
    match pack::PackReader::new(pack) {
        Ok(r) => target::SignedPack {
            target: format!("packs/{}.wmpack", r.manifest().id),
            id: r.manifest().id.clone(),
            version: Some(r.manifest().version),
            publisher: Some(r.manifest().publisher.id.clone()),
            content: Some(target::ContentDigest::of(&{
                let mut content = Vec::new();
                std::io::Read::read_to_end(&mut pack::decompress(pack).unwrap(), &mut content)
                    .unwrap();
                content
            })),
        },
        Err(_) => target::SignedPack {
            target: "packs/unreadable.wmpack".into(),
            id: "unreadable".into(),
            version: None,
            publisher: None,
            content: None,
        },
    }
}
