//! Sync over loopback, bytes on the wire (counted by the server: requests
//! and responses) and wall time, for the four cases that cost a person
//! money: nothing changed, 1% of entries changed (a patch), the full pack,
//! and a download cut at 50% then resumed.
//!
//! `scripts/bench-sync` builds the binaries it needs and runs it; the pack
//! size is `WAYMARK_BENCH_ENTRIES` entries (default 20,000).

use std::time::{Duration, Instant};

use waymark_core::sync::{Http, HttpConfig, PublisherStatus};
use waymark_e2e::fixture::{Phone, Publisher, test_config};
use waymark_e2e::{Fault, FaultRule, FaultServer};

const PACK: &str = "synthetic";
const RUNS: usize = 5;

struct Case {
    name: &'static str,
    wire: Vec<u64>,
    time: Vec<Duration>,
}

impl Case {
    fn new(name: &'static str) -> Self {
        Case {
            name,
            wire: Vec::new(),
            time: Vec::new(),
        }
    }

    fn print(&mut self, pack_bytes: u64) {
        self.time.sort();
        self.wire.sort();
        let wire = self.wire[self.wire.len() / 2];
        println!(
            "{:<28} {:>12} B {:>8.2}% of the pack   median {:>8.1} ms   min {:>8.1} ms",
            self.name,
            wire,
            wire as f64 * 100.0 / pack_bytes as f64,
            self.time[self.time.len() / 2].as_secs_f64() * 1e3,
            self.time[0].as_secs_f64() * 1e3,
        );
    }
}

fn http(retries: u32) -> Http {
    Http::new(HttpConfig {
        retries,
        ..test_config()
    })
    .expect("http client")
}

fn main() {
    let entries: usize = std::env::var("WAYMARK_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let publisher = Publisher::new("synthetic-ngo");
    publisher.publish(&publisher.pack(PACK, 1, entries, None), &[]);
    let server = FaultServer::start(publisher.repo()).expect("server");
    let (path, pack_bytes) = publisher.pack_file(PACK);
    println!("sync over loopback: {entries}-entry pack, {pack_bytes} bytes, {RUNS} runs each");

    let (mut nothing, mut full, mut resumed, mut patch) = (
        Case::new("nothing changed"),
        Case::new("full pack"),
        Case::new("cut at 50%, resumed"),
        Case::new("1% changed (patch)"),
    );
    let mut phones = Vec::new();
    for _ in 0..RUNS {
        // Full download on a fresh phone.
        let phone = Phone::new();
        phone.trust(&publisher, &server.url());
        server.reset_counters();
        let t = Instant::now();
        let report = phone.sync(&http(3)).0.expect("sync");
        full.time.push(t.elapsed());
        assert_eq!(report.publishers[0].status, PublisherStatus::Updated);
        full.wire
            .push(server.bytes_sent() + server.bytes_received());

        // Nothing changed.
        server.reset_counters();
        let t = Instant::now();
        let report = phone.sync(&http(3)).0.expect("sync");
        nothing.time.push(t.elapsed());
        assert_eq!(report.publishers[0].status, PublisherStatus::UpToDate);
        nothing
            .wire
            .push(server.bytes_sent() + server.bytes_received());
        phones.push(phone);

        // Cut at 50%, then resumed: both syncs count.
        let phone = Phone::new();
        phone.trust(&publisher, &server.url());
        server.add_fault(FaultRule::on(&path, Fault::DropAfter(pack_bytes / 2)).times(1));
        server.reset_counters();
        let t = Instant::now();
        let _ = phone.sync(&http(0));
        let report = phone.sync(&http(0)).0.expect("sync");
        resumed.time.push(t.elapsed());
        assert_eq!(report.publishers[0].status, PublisherStatus::Updated);
        resumed
            .wire
            .push(server.bytes_sent() + server.bytes_received());
        server.clear_faults();
    }

    // Version 2 changes 1% of the entries; each phone that has version 1
    // takes the patch.
    publisher.publish(&publisher.pack(PACK, 2, entries, Some(100)), &[]);
    for phone in &phones {
        server.reset_counters();
        let t = Instant::now();
        let report = phone.sync(&http(3)).0.expect("sync");
        patch.time.push(t.elapsed());
        assert_eq!(report.publishers[0].status, PublisherStatus::Updated);
        assert_eq!(phone.version(PACK), Some(2));
        patch
            .wire
            .push(server.bytes_sent() + server.bytes_received());
    }

    for case in [&mut nothing, &mut patch, &mut full, &mut resumed] {
        case.print(pack_bytes);
    }
}
