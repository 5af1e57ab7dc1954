//! The fault server spoken to by reqwest (hyper underneath, like the sync
//! client): its answers parse, connections are reused, and each kind of
//! fault reaches the client as the error it should be.

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::{CONTENT_LENGTH, ETAG, IF_NONE_MATCH, IF_RANGE, RANGE, RETRY_AFTER};
use waymark_e2e::{Fault, FaultRule, FaultServer};

const USER_AGENT: &str = "waymark/0.1";

/// 3000 bytes that differ from one position to the next.
fn pack_bytes() -> Vec<u8> {
    (0..3000u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn served() -> (tempfile::TempDir, FaultServer) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("timestamp.json"), b"{\"version\":3}").unwrap();
    std::fs::write(dir.path().join("a.pack"), pack_bytes()).unwrap();
    let server = FaultServer::start(dir.path()).unwrap();
    (dir, server)
}

/// A client builder with the crypto provider Waymark uses (the workspace
/// builds reqwest without a default one).
fn builder() -> reqwest::blocking::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
}

fn client() -> Client {
    builder()
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[test]
fn one_kept_alive_connection_serves_every_request() {
    let (_dir, server) = served();
    let client = client();

    for _ in 0..5 {
        let reply = client
            .get(format!("{}/a.pack", server.url()))
            .send()
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        assert_eq!(reply.bytes().unwrap(), pack_bytes());
    }

    assert_eq!(server.requests().len(), 5);
    assert_eq!(server.connections(), 1);
}

#[test]
fn an_unchanged_check_is_a_304_under_2_kb_with_no_cookie_or_query() {
    let (_dir, server) = served();
    let client = client();
    let url = format!("{}/timestamp.json", server.url());
    let tag = client.get(&url).send().unwrap().headers()[ETAG].clone();
    server.reset_counters();

    let reply = client.get(&url).header(IF_NONE_MATCH, tag).send().unwrap();

    assert_eq!(reply.status(), StatusCode::NOT_MODIFIED);
    assert!(reply.bytes().unwrap().is_empty());
    let on_the_wire = server.bytes_sent() + server.bytes_received();
    assert!(on_the_wire <= 2048, "{on_the_wire} bytes");
    let log = server.requests();
    assert_eq!(log[0].header("user-agent"), Some(USER_AGENT));
    assert_eq!(log[0].header("cookie"), None);
    assert_eq!(log[0].query(), None);
}

#[test]
fn a_download_dropped_mid_body_is_an_error_and_resumes_with_a_range() {
    let (_dir, server) = served();
    server.add_fault(FaultRule::on("/a.pack", Fault::DropAfter(1000)).times(1));
    let client = client();
    let url = format!("{}/a.pack", server.url());

    let mut first = client.get(&url).send().unwrap();
    assert_eq!(first.content_length(), Some(3000));
    let tag = first.headers()[ETAG].clone();
    let mut got = Vec::new();
    let cut = first.read_to_end(&mut got);
    assert!(cut.is_err(), "a short body is an error");
    assert_eq!(got, pack_bytes()[..got.len()]);

    let rest = client
        .get(&url)
        .header(RANGE, format!("bytes={}-", got.len()))
        .header(IF_RANGE, tag)
        .send()
        .unwrap();
    assert_eq!(rest.status(), StatusCode::PARTIAL_CONTENT);
    got.extend_from_slice(&rest.bytes().unwrap());

    assert_eq!(got, pack_bytes());
}

#[test]
fn a_hang_is_a_timeout() {
    let (_dir, server) = served();
    server.add_fault(FaultRule::on("/timestamp.json", Fault::Hang));
    let client = builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let err = client
        .get(format!("{}/timestamp.json", server.url()))
        .send()
        .unwrap_err();

    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn a_trickle_runs_into_the_client_timeout() {
    let (_dir, server) = served();
    server.add_fault(FaultRule::everywhere(Fault::Trickle {
        bytes_per_chunk: 100,
        delay: Duration::from_millis(100),
    }));
    let client = builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();

    let reply = client
        .get(format!("{}/a.pack", server.url()))
        .send()
        .unwrap();
    let err = reply.bytes().unwrap_err();

    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn endless_data_has_no_length_and_keeps_coming() {
    let (_dir, server) = served();
    server.add_fault(FaultRule::on("/a.pack", Fault::Endless));
    let client = client();

    let reply = client
        .get(format!("{}/a.pack", server.url()))
        .send()
        .unwrap();
    assert_eq!(reply.headers().get(CONTENT_LENGTH), None);
    let mut limited = reply.take(1 << 20);
    let mut got = Vec::new();
    limited.read_to_end(&mut got).unwrap();

    assert_eq!(got.len(), 1 << 20);
}

#[test]
fn a_503_with_retry_after_then_the_file() {
    let (_dir, server) = served();
    server.add_fault(
        FaultRule::on(
            "/timestamp.json",
            Fault::Status {
                code: 503,
                retry_after: Some(2),
            },
        )
        .times(1),
    );
    let client = client();
    let url = format!("{}/timestamp.json", server.url());

    let busy = client.get(&url).send().unwrap();
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()[RETRY_AFTER], "2");
    busy.bytes().unwrap();
    let then = client.get(&url).send().unwrap();

    assert_eq!(then.status(), StatusCode::OK);
    assert_eq!(
        server.connections(),
        1,
        "an error answer keeps the connection"
    );
}
