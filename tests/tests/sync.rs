//! End to end: `waymark-pack` publishes, the fault server serves (and
//! misbehaves on command), a phone syncs with `waymark-core`. For every
//! fault: the right rejection or recovery, a clear error, and the installed
//! content unchanged and still searchable.

use std::time::Duration;

use waymark_core::Error;
use waymark_core::sync::{
    CancelToken, DownloadKind, Http, HttpConfig, Network, PublisherStatus, SyncEvent, SyncListener,
    SyncOptions, Syncer, WaitReason,
};
use waymark_e2e::fixture::{Phone, Publisher, Recorder, test_config, test_http};
use waymark_e2e::{Fault, FaultRule, FaultServer};

const PACK: &str = "synthetic";
const QUERY: &str = "legal";

/// A publisher with version 1 of a 2,000-entry pack, served; a phone that
/// trusts it and has synced version 1.
fn installed() -> (Publisher, FaultServer, Phone) {
    let publisher = Publisher::new("synthetic-ngo");
    let v1 = publisher.pack(PACK, 1, 2000, None);
    publisher.publish(&v1, &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let phone = Phone::new();
    phone.trust(&publisher, &server.url());
    let (report, _) = phone.sync(&test_http());
    let report = report.unwrap();
    assert_eq!(report.publishers[0].status, PublisherStatus::Updated);
    assert_eq!(phone.version(PACK), Some(1));
    assert!(phone.hits(QUERY) > 0);
    (publisher, server, phone)
}

/// Publishes version 2 (1% of entries changed).
fn publish_v2(publisher: &Publisher) {
    let v2 = publisher.pack(PACK, 2, 2000, Some(100));
    publisher.publish(&v2, &[]);
}

/// The one publisher's failure reason.
fn failure(report: waymark_core::Result<waymark_core::sync::SyncReport>) -> String {
    let report = report.expect("sync reports per publisher");
    let p = &report.publishers[0];
    assert_eq!(p.status, PublisherStatus::Failed, "{p:?}");
    p.error.clone().expect("a reason")
}

/// Content unchanged and searchable.
fn unchanged(phone: &Phone, version: u64, hits: usize) {
    assert_eq!(phone.version(PACK), Some(version));
    assert_eq!(phone.hits(QUERY), hits);
}

#[test]
fn nothing_changed_costs_under_2_kb_and_requests_carry_nothing_identifying() {
    let (_publisher, server, phone) = installed();
    server.reset_counters();
    let (report, events) = phone.sync(&test_http());
    let report = report.unwrap();
    assert_eq!(report.publishers[0].status, PublisherStatus::UpToDate);
    let wire = server.bytes_sent() + server.bytes_received();
    println!("nothing-changed sync: {wire} bytes on the wire");
    assert!(wire <= 2048, "{wire} bytes on the wire");
    let ts = server.requests_for("/metadata/timestamp.json");
    assert_eq!(ts.len(), 1);
    assert!(ts[0].header("if-none-match").is_some());
    assert!(matches!(events.first(), Some(SyncEvent::Checking { .. })));
    assert!(matches!(
        events.last(),
        Some(SyncEvent::Done { installed: 0, .. })
    ));
    for r in server.requests() {
        assert_eq!(r.header("user-agent"), Some("Waymark"));
        assert!(r.header("cookie").is_none());
        assert!(r.header("referer").is_none());
        assert!(r.query().is_none(), "{}", r.path());
    }
}

#[test]
fn a_one_percent_update_arrives_as_a_patch_under_5_percent_of_the_pack() {
    let (publisher, server, phone) = installed();
    publish_v2(&publisher);
    let (_, full_len) = publisher.pack_file(PACK);
    server.reset_counters();
    let (report, events) = phone.sync(&test_http());
    let report = report.unwrap();
    let update = &report.publishers[0].installed[0];
    assert_eq!(update.kind, DownloadKind::Patch);
    assert_eq!(phone.version(PACK), Some(2));
    // Applied in place: the pack keeps the rows the patch removed that
    // its index's long lists still hold.
    let removed: Option<Vec<u8>> = rusqlite::Connection::open(phone.content_db())
        .unwrap()
        .query_row("SELECT removed FROM packs", [], |r| r.get(0))
        .unwrap();
    assert!(removed.is_some(), "the patch was applied in place");
    let wire = server.bytes_sent() + server.bytes_received();
    println!(
        "1% update: {wire} bytes on the wire for a {full_len}-byte pack ({:.2}%)",
        wire as f64 * 100.0 / full_len as f64
    );
    assert!(wire * 20 <= full_len, "{wire} of {full_len}");
    assert!(phone.hits(QUERY) > 0);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SyncEvent::Verifying { .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SyncEvent::Installing { version: 2, .. }))
    );
}

#[test]
fn a_full_download_costs_about_the_pack() {
    let publisher = Publisher::new("synthetic-ngo");
    publisher.publish(&publisher.pack(PACK, 1, 2000, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let phone = Phone::new();
    phone.trust(&publisher, &server.url());
    let (report, events) = phone.sync(&test_http());
    let report = report.unwrap();
    let (_, len) = publisher.pack_file(PACK);
    let wire = server.bytes_sent();
    println!("full download: {wire} bytes sent for a {len}-byte pack");
    assert_eq!(report.publishers[0].installed[0].kind, DownloadKind::Full);
    assert!(wire >= len && wire <= len + 16 * 1024, "{wire} for {len}");
    // Progress climbs to the whole pack.
    let last = events
        .iter()
        .filter_map(|e| match e {
            SyncEvent::Downloading {
                received, total, ..
            } => Some((*received, *total)),
            _ => None,
        })
        .next_back()
        .unwrap();
    assert_eq!(last, (len, len));
}

#[test]
fn a_download_cut_at_half_resumes_and_costs_under_105_percent() {
    let publisher = Publisher::new("synthetic-ngo");
    publisher.publish(&publisher.pack(PACK, 1, 2000, None), &[]);
    let server = FaultServer::start(publisher.repo()).unwrap();
    let phone = Phone::new();
    phone.trust(&publisher, &server.url());
    let (path, len) = publisher.pack_file(PACK);
    server.add_fault(FaultRule::on(&path, Fault::DropAfter(len / 2)).times(1));
    // No retries: the first sync fails, the second resumes.
    let http = Http::new(HttpConfig {
        retries: 0,
        ..test_config()
    })
    .unwrap();
    let reason = failure(phone.sync(&http).0);
    assert!(reason.contains("network"), "{reason}");
    assert_eq!(phone.version(PACK), None);
    let (report, _) = phone.sync(&http);
    report.unwrap();
    assert_eq!(phone.version(PACK), Some(1));
    let pack_requests = server.requests_for(&path);
    assert_eq!(pack_requests.len(), 2);
    assert_eq!(
        pack_requests[1].header("range"),
        Some(format!("bytes={}-", len / 2).as_str())
    );
    assert!(pack_requests[1].header("if-range").is_some());
    let body_bytes = server.bytes_sent();
    println!("cut at 50% and resumed: {body_bytes} bytes sent for {len}");
    assert!(
        body_bytes * 100 <= len * 105 + 100 * 4096,
        "{body_bytes} for {len}"
    );
}

#[test]
fn cancelling_mid_download_keeps_the_old_content_and_the_next_sync_resumes() {
    let (publisher, server, phone) = installed();
    let hits = phone.hits(QUERY);
    // A full pack (no patch from version 1 offered with --patches 0).
    let v2 = publisher.pack(PACK, 2, 2000, Some(100));
    publisher.publish(&v2, &["--patches", "0"]);
    let (path, len) = publisher.pack_file(PACK);
    server.add_fault(FaultRule::on(
        &path,
        Fault::Trickle {
            bytes_per_chunk: 4096,
            delay: Duration::from_millis(20),
        },
    ));
    let cancel = CancelToken::new();
    let recorder = Recorder::default();
    let listener = |e: &SyncEvent| {
        if let SyncEvent::Downloading { received, .. } = e
            && *received > len / 3
        {
            cancel.cancel();
        }
        recorder.on_event(e);
    };
    let result =
        Syncer::new(&phone.store, &test_http()).run(&SyncOptions::default(), &listener, &cancel);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    unchanged(&phone, 1, hits);
    server.clear_faults();
    let (report, _) = phone.sync(&test_http());
    report.unwrap();
    assert_eq!(phone.version(PACK), Some(2));
    let requests = server.requests_for(&path);
    let resumed = requests.last().unwrap();
    assert!(resumed.header("range").is_some(), "the second sync resumes");
}

#[test]
fn transient_errors_are_retried_honouring_retry_after() {
    let (publisher, server, phone) = installed();
    publish_v2(&publisher);
    server.reset_counters();
    server.add_fault(
        FaultRule::on(
            "/metadata/timestamp.json",
            Fault::Status {
                code: 500,
                retry_after: None,
            },
        )
        .times(1),
    );
    server.add_fault(
        FaultRule::on(
            "/metadata/timestamp.json",
            Fault::Status {
                code: 503,
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    server.add_fault(
        FaultRule::on(
            "/metadata/timestamp.json",
            Fault::Status {
                code: 429,
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    let started = std::time::Instant::now();
    let (report, _) = phone.sync(&test_http());
    report.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After honoured"
    );
    assert_eq!(phone.version(PACK), Some(2));
    let statuses: Vec<_> = server
        .requests_for("/metadata/timestamp.json")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(429), Some(200)]);
}

#[test]
fn a_long_retry_after_ends_the_attempt_and_changes_nothing() {
    let (publisher, server, phone) = installed();
    let hits = phone.hits(QUERY);
    publish_v2(&publisher);
    server.add_fault(FaultRule::on(
        "/metadata/timestamp.json",
        Fault::Status {
            code: 429,
            retry_after: Some(3600),
        },
    ));
    let reason = failure(phone.sync(&test_http()).0);
    assert!(reason.contains("try again in 3600s"), "{reason}");
    unchanged(&phone, 1, hits);
}

#[test]
fn each_attack_is_refused_and_the_content_stays() {
    let (publisher, server, phone) = installed();
    let hits = phone.hits(QUERY);
    let old_snapshot = publisher.current("snapshot");
    publish_v2(&publisher);
    let ts_v = 2; // the second publish
    let http = Http::new(HttpConfig {
        retries: 1,
        slow_grace: Duration::from_millis(500),
        min_speed: 50_000,
        ..test_config()
    })
    .unwrap();
    let options = SyncOptions::default();
    let check = |fault: FaultRule, expect: &str| {
        server.clear_faults();
        server.add_fault(fault);
        let reason = failure(Syncer::new(&phone.store, &http).run(
            &options,
            &waymark_core::sync::no_listener(),
            &CancelToken::new(),
        ));
        assert!(
            reason.to_lowercase().contains(expect),
            "expected '{expect}' in: {reason}"
        );
        unchanged(&phone, 1, hits);
    };
    // Endless data on the timestamp.
    check(
        FaultRule::on("/metadata/timestamp.json", Fault::Endless),
        "more than",
    );
    // Slow retrieval.
    check(
        FaultRule::on(
            "/metadata/timestamp.json",
            Fault::Trickle {
                bytes_per_chunk: 8,
                delay: Duration::from_millis(100),
            },
        ),
        "too slow",
    );
    // A snapshot that does not match the timestamp (mix-and-match).
    check(
        FaultRule::on(
            format!("/metadata/{ts_v}.snapshot.json"),
            Fault::Replace(old_snapshot.clone()),
        ),
        "the snapshot metadata's length differs from the signed length",
    );
    // A snapshot longer than the timestamp says.
    check(
        FaultRule::on(
            format!("/metadata/{ts_v}.snapshot.json"),
            Fault::Oversize(10),
        ),
        &format!("{ts_v}.snapshot.json: the server offers more than"),
    );
    // Targets metadata longer than the snapshot says.
    check(
        FaultRule::on("/metadata/2.targets.json", Fault::Oversize(10)),
        "2.targets.json: the server offers more than",
    );
    // Expired metadata (freeze): the phone's clock is two days ahead.
    server.clear_faults();
    phone.advance(chrono::Duration::days(2));
    let reason = failure(phone.sync(&test_http()).0);
    assert!(reason.contains("expired"), "{reason}");
    unchanged(&phone, 1, hits);
}

#[test]
fn a_rolled_back_timestamp_is_refused() {
    let (publisher, server, phone) = installed();
    let old_timestamp = publisher.metadata("timestamp.json");
    publish_v2(&publisher);
    let (report, _) = phone.sync(&test_http());
    report.unwrap();
    assert_eq!(phone.version(PACK), Some(2));
    let hits = phone.hits(QUERY);
    server.add_fault(FaultRule::on(
        "/metadata/timestamp.json",
        Fault::Replace(old_timestamp),
    ));
    let reason = failure(phone.sync(&test_http()).0);
    assert!(reason.contains("rollback"), "{reason}");
    unchanged(&phone, 2, hits);
}

#[test]
fn a_pack_whose_bytes_differ_from_the_signed_hash_is_refused() {
    let (publisher, server, phone) = installed();
    let hits = phone.hits(QUERY);
    let v2 = publisher.pack(PACK, 2, 2000, Some(100));
    publisher.publish(&v2, &["--patches", "0"]);
    let (path, len) = publisher.pack_file(PACK);
    server.add_fault(FaultRule::on(
        &path,
        Fault::Replace(vec![b'x'; len as usize]),
    ));
    let reason = failure(phone.sync(&test_http()).0);
    assert!(reason.contains("hash"), "{reason}");
    unchanged(&phone, 1, hits);
    // Nothing of the bad file is kept for a resume.
    server.clear_faults();
    phone.sync(&test_http()).0.unwrap();
    assert_eq!(phone.version(PACK), Some(2));
}

#[test]
fn a_truncated_or_oversized_pack_is_refused() {
    let (publisher, server, phone) = installed();
    let hits = phone.hits(QUERY);
    let v2 = publisher.pack(PACK, 2, 2000, Some(100));
    publisher.publish(&v2, &["--patches", "0"]);
    let (path, len) = publisher.pack_file(PACK);
    server.add_fault(FaultRule::on(&path, Fault::Truncate(len / 3)));
    let reason = failure(phone.sync(&test_http()).0);
    assert!(
        reason.contains("network") || reason.contains("length"),
        "{reason}"
    );
    unchanged(&phone, 1, hits);
    server.clear_faults();
    server.add_fault(FaultRule::on(&path, Fault::Oversize(1000)));
    let reason = failure(phone.sync(&test_http()).0);
    assert!(reason.contains("longer than its signed length"), "{reason}");
    unchanged(&phone, 1, hits);
}

#[test]
fn key_rotation_is_followed_and_a_chain_with_a_gap_is_refused() {
    let (publisher, server, phone) = installed();
    let hits = phone.hits(QUERY);
    publisher.rotate("timestamp");
    publisher.rotate("root");
    // Root 3 served where root 2 should be: the chain has a gap.
    server.add_fault(FaultRule::on(
        "/metadata/2.root.json",
        Fault::Replace(publisher.metadata("3.root.json")),
    ));
    let reason = failure(phone.sync(&test_http()).0);
    assert!(reason.contains("root version 2"), "{reason}");
    unchanged(&phone, 1, hits);
    // The honest chain is followed: root 3 trusted, new timestamp key used.
    server.clear_faults();
    publish_v2(&publisher);
    phone.sync(&test_http()).0.unwrap();
    assert_eq!(phone.version(PACK), Some(2));
    let root = phone
        .store
        .trusted_publishers()
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
        .root_version;
    assert_eq!(root, 3);
}

#[test]
fn one_publisher_failing_does_not_stop_the_others() {
    let (_a, server_a, phone) = installed();
    let b = Publisher::new("second-ngo");
    b.publish(&b.pack("other", 1, 50, None), &[]);
    let server_b = FaultServer::start(b.repo()).unwrap();
    phone.trust(&b, &server_b.url());
    server_a.add_fault(FaultRule::everywhere(Fault::Status {
        code: 500,
        retry_after: None,
    }));
    let (report, events) = phone.sync(&test_http());
    let report = report.unwrap();
    let status: Vec<_> = report
        .publishers
        .iter()
        .map(|p| (p.publisher.as_str(), p.status))
        .collect();
    assert!(status.contains(&("synthetic-ngo", PublisherStatus::Failed)));
    assert!(status.contains(&("second-ngo", PublisherStatus::Updated)));
    assert!(events.iter().any(|e| matches!(e, SyncEvent::Failed { .. })));
    assert_eq!(phone.version("other"), Some(1));
    assert_eq!(phone.version(PACK), Some(1));
}

#[test]
fn the_plan_tells_the_bytes_and_budgets_and_metered_networks_wait() {
    let (publisher, server, phone) = installed();
    let v2 = publisher.pack(PACK, 2, 2000, Some(100));
    publisher.publish(&v2, &["--patches", "0"]);
    let (path, len) = publisher.pack_file(PACK);
    let plan = Syncer::new(&phone.store, &test_http())
        .plan(&SyncOptions::default(), &CancelToken::new())
        .unwrap();
    assert_eq!(plan.total_bytes, len);
    assert_eq!(plan.publishers[0].downloads[0].kind, DownloadKind::Full);
    assert!(
        server.requests_for(&path).is_empty(),
        "planning downloads no pack"
    );
    // A budget below the pack: it waits.
    let options = SyncOptions {
        budget: Some(len - 1),
        ..SyncOptions::default()
    };
    let (report, events) = phone.sync_with(&test_http(), &options, &CancelToken::new());
    let report = report.unwrap();
    assert_eq!(report.publishers[0].status, PublisherStatus::Partial);
    assert!(events.iter().any(|e| matches!(
        e,
        SyncEvent::Waiting {
            reason: WaitReason::Budget,
            ..
        }
    )));
    // Metered with a small "large" threshold: it waits, unless allowed.
    let metered = SyncOptions {
        network: Network::Metered,
        large_download: 1000,
        ..SyncOptions::default()
    };
    let (report, _) = phone.sync_with(&test_http(), &metered, &CancelToken::new());
    assert_eq!(report.unwrap().publishers[0].waiting.len(), 1);
    assert!(server.requests_for(&path).is_empty());
    assert_eq!(phone.version(PACK), Some(1));
    let allowed = SyncOptions {
        allow_large_on_metered: true,
        ..metered
    };
    phone
        .sync_with(&test_http(), &allowed, &CancelToken::new())
        .0
        .unwrap();
    assert_eq!(phone.version(PACK), Some(2));
}
