//! The fault server, spoken to by a raw HTTP/1.1 client over a plain
//! `TcpStream`: what a good static host does, each fault, the byte counters
//! and the request log, and a clean stop.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use waymark_e2e::fault_server::etag;
use waymark_e2e::{Fault, FaultRule, FaultServer};

/// How long the client waits on a read before the test fails.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A raw HTTP/1.1 client on one connection that counts the bytes it writes
/// and reads.
struct Client {
    stream: TcpStream,
    /// Read and not yet consumed.
    buf: Vec<u8>,
    sent: u64,
    received: u64,
}

/// A response: status, headers, and the body read so far.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn length(&self) -> Option<usize> {
        self.header("content-length").map(|v| v.parse().unwrap())
    }
}

impl Client {
    fn connect(server: &FaultServer) -> Client {
        let stream = TcpStream::connect(server.addr()).unwrap();
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        Client {
            stream,
            buf: Vec::new(),
            sent: 0,
            received: 0,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
        self.sent += bytes.len() as u64;
    }

    /// Reads what the socket has; 0 at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.received += n as u64;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Sends a request with a `Host` header and `headers`.
    fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)]) {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        self.write(request.as_bytes());
    }

    /// Reads a status line and headers.
    fn head(&mut self) -> Reply {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(used) = response.parse(&self.buf).unwrap() {
                let reply = Reply {
                    status: response.code.unwrap(),
                    headers: response
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_owned(),
                                String::from_utf8(h.value.to_vec()).unwrap(),
                            )
                        })
                        .collect(),
                    body: Vec::new(),
                };
                self.buf.drain(..used);
                return reply;
            }
            assert!(self.fill().unwrap() > 0, "closed before a whole head");
        }
    }

    /// Reads up to `n` body bytes; fewer if the server closes first.
    fn body(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n && self.fill().unwrap() > 0 {}
        let n = n.min(self.buf.len());
        self.buf.drain(..n).collect()
    }

    /// Whether the server has closed the connection (nothing more to read).
    fn closed(&mut self) -> bool {
        self.buf.is_empty() && self.fill().is_ok_and(|n| n == 0)
    }

    /// Reads a whole response to a request with `method`.
    fn reply(&mut self, method: &str) -> Reply {
        let mut reply = self.head();
        if method != "HEAD" && reply.status != 304 {
            let length = reply.length().expect("a Content-Length");
            reply.body = self.body(length);
            assert_eq!(reply.body.len(), length, "body cut short");
        }
        reply
    }

    fn get(&mut self, target: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", target, headers);
        self.reply("GET")
    }
}

/// A served directory with a few files, inside a directory that also holds
/// a secret the server must never give out.
struct Site {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
}

/// 1000 bytes that differ from one position to the next.
fn pack_bytes() -> Vec<u8> {
    (0..1000u32).map(|i| (i * 7 % 251) as u8).collect()
}

const TIMESTAMP: &[u8] = b"{\"signed\":{\"_type\":\"timestamp\",\"version\":3}}";

fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), b"not for clients").unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("targets")).unwrap();
    std::fs::write(root.join("timestamp.json"), TIMESTAMP).unwrap();
    std::fs::write(root.join("targets/a.pack"), pack_bytes()).unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
    Site { _dir: dir, root }
}

fn serve(site: &Site) -> FaultServer {
    FaultServer::start(&site.root).unwrap()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The names of this process's threads (Linux only).
fn thread_names() -> Vec<String> {
    let mut names = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let comm = task.unwrap().path().join("comm");
        if let Ok(name) = std::fs::read_to_string(comm) {
            names.push(name.trim_end().to_owned());
        }
    }
    names
}

fn server_threads(port: u16) -> usize {
    let name = format!("fault-srv-{port}");
    thread_names().iter().filter(|n| **n == name).count()
}

// ---- a good static host ----

#[test]
fn a_file_is_served_whole_with_a_strong_etag_and_its_length() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    let reply = client.get("/targets/a.pack", &[]);

    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, pack_bytes());
    assert_eq!(reply.length(), Some(1000));
    let tag = reply.header("etag").unwrap();
    assert_eq!(tag, etag(&pack_bytes()));
    assert!(tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"));
    assert_eq!(reply.header("accept-ranges"), Some("bytes"));
}

#[test]
fn response_headers_stay_lean() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    let reply = client.get("/timestamp.json", &[]);

    let names: Vec<_> = reply.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Content-Length", "ETag", "Accept-Ranges"]);
    let head_bytes = client.received as usize - TIMESTAMP.len();
    assert!(head_bytes < 120, "{head_bytes} bytes of head");
}

#[test]
fn an_unchanged_file_costs_a_304_with_no_body_and_under_2_kb() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);
    let tag = client
        .get("/timestamp.json", &[])
        .header("etag")
        .unwrap()
        .to_owned();
    server.reset_counters();

    // Headers like a real HTTP client's, on the kept-alive connection.
    let reply = client.get(
        "/timestamp.json",
        &[
            ("User-Agent", "waymark/0.1"),
            ("Accept", "*/*"),
            ("Accept-Encoding", "identity"),
            ("If-None-Match", &tag),
        ],
    );

    assert_eq!(reply.status, 304);
    assert_eq!(reply.header("etag"), Some(tag.as_str()));
    assert_eq!(reply.header("content-length"), None);
    let on_the_wire = server.bytes_sent() + server.bytes_received();
    assert!(on_the_wire <= 2048, "{on_the_wire} bytes");
    // No body followed: the next answer on the connection parses.
    assert_eq!(client.get("/timestamp.json", &[]).status, 200);
}

#[test]
fn if_none_match_with_another_tag_gets_the_file() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    let reply = client.get("/timestamp.json", &[("If-None-Match", "\"0123\"")]);

    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, TIMESTAMP);
}

#[test]
fn ranges_get_206_with_content_range() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);
    let pack = pack_bytes();

    for (range, start, end) in [
        ("bytes=10-19", 10, 19),
        ("bytes=990-", 990, 999),
        ("bytes=995-5000", 995, 999),
        ("bytes=-4", 996, 999),
    ] {
        let reply = client.get("/targets/a.pack", &[("Range", range)]);
        assert_eq!(reply.status, 206, "{range}");
        assert_eq!(
            reply.header("content-range"),
            Some(format!("bytes {start}-{end}/1000").as_str())
        );
        assert_eq!(reply.length(), Some(end - start + 1));
        assert_eq!(reply.body, pack[start..=end]);
        assert_eq!(reply.header("etag"), Some(etag(&pack).as_str()));
    }
}

#[test]
fn if_range_with_the_current_etag_gets_the_range_and_with_another_the_whole_file() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);
    let tag = etag(&pack_bytes());

    let resumed = client.get(
        "/targets/a.pack",
        &[("Range", "bytes=500-"), ("If-Range", &tag)],
    );
    let changed = client.get(
        "/targets/a.pack",
        &[("Range", "bytes=500-"), ("If-Range", "\"an-old-tag\"")],
    );

    assert_eq!(resumed.status, 206);
    assert_eq!(resumed.body, pack_bytes()[500..]);
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body, pack_bytes());
}

#[test]
fn a_range_past_the_end_gets_416() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    let past = client.get("/targets/a.pack", &[("Range", "bytes=1000-")]);
    let empty = client.get("/empty", &[("Range", "bytes=0-")]);

    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some("bytes */1000"));
    assert_eq!(past.length(), Some(0));
    assert_eq!(empty.status, 416);
    assert_eq!(empty.header("content-range"), Some("bytes */0"));
}

#[test]
fn head_gets_the_headers_of_a_get_and_no_body() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    client.send("HEAD", "/targets/a.pack", &[]);
    let head = client.reply("HEAD");
    let get = client.get("/targets/a.pack", &[]);

    assert_eq!(head.status, 200);
    assert_eq!(head.headers, get.headers);
    assert_eq!(get.body, pack_bytes());
}

#[test]
fn missing_files_and_directories_are_404_and_no_listing() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    for target in ["/nope.json", "/targets", "/targets/", "/"] {
        let reply = client.get(target, &[]);
        assert_eq!(reply.status, 404, "{target}");
        assert!(!String::from_utf8_lossy(&reply.body).contains("a.pack"));
    }
}

#[test]
fn paths_that_climb_out_of_the_root_are_refused() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    for target in [
        "/../secret",
        "/targets/../../secret",
        "/%2e%2e/secret",
        "/targets/%2E%2E/%2e%2e/secret",
    ] {
        let reply = client.get(target, &[]);
        assert_eq!(reply.status, 400, "{target}");
        assert!(!String::from_utf8_lossy(&reply.body).contains("not for clients"));
    }
}

#[test]
fn methods_other_than_get_and_head_get_405() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    client.send("POST", "/timestamp.json", &[("Content-Length", "3")]);
    client.write(b"abc");
    let reply = client.reply("POST");

    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    // The request body was read past: the connection still works.
    assert_eq!(client.get("/timestamp.json", &[]).status, 200);
}

#[test]
fn a_query_string_does_not_change_the_file_served() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    let reply = client.get("/timestamp.json?cache=bust", &[]);

    assert_eq!(reply.body, TIMESTAMP);
}

#[test]
fn pipelined_requests_on_one_connection_are_answered_in_order() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    client.write(
        b"GET /timestamp.json HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /nope HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /targets/a.pack HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );

    assert_eq!(client.reply("GET").body, TIMESTAMP);
    assert_eq!(client.reply("GET").status, 404);
    assert_eq!(client.reply("GET").body, pack_bytes());
    assert!(client.closed(), "Connection: close is honoured");
}

#[test]
fn an_http_1_0_request_gets_its_answer_and_the_connection_closes() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    client.write(b"GET /timestamp.json HTTP/1.0\r\n\r\n");

    assert_eq!(client.reply("GET").body, TIMESTAMP);
    assert!(client.closed());
}

#[test]
fn garbage_gets_400_and_a_closed_connection() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    client.write(b"\x16\x03\x01 this is not HTTP\r\n\r\n");

    assert_eq!(client.head().status, 400);
    client.body(1024);
    assert!(client.closed());
    assert!(server.requests().is_empty());
}

// ---- faults ----

#[test]
fn drop_after_sends_the_full_length_then_n_bytes_then_closes() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on("/targets/a.pack", Fault::DropAfter(300)));
    let mut client = Client::connect(&server);

    client.send("GET", "/targets/a.pack", &[]);
    let head = client.head();
    let body = client.body(1000);

    assert_eq!(head.status, 200);
    assert_eq!(head.length(), Some(1000));
    assert_eq!(body, pack_bytes()[..300]);
    assert!(client.closed());
}

#[test]
fn drop_after_applies_to_a_resumed_range_too() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on("/targets/a.pack", Fault::DropAfter(100)));
    let mut client = Client::connect(&server);

    client.send("GET", "/targets/a.pack", &[("Range", "bytes=300-")]);
    let head = client.head();
    let body = client.body(700);

    assert_eq!(head.status, 206);
    assert_eq!(head.length(), Some(700));
    assert_eq!(body, pack_bytes()[300..400]);
    assert!(client.closed());
}

#[test]
fn truncate_serves_a_prefix_as_the_whole_file() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on("/targets/a.pack", Fault::Truncate(10)));
    let mut client = Client::connect(&server);

    let reply = client.get("/targets/a.pack", &[]);

    assert_eq!(reply.status, 200);
    assert_eq!(reply.length(), Some(10));
    assert_eq!(reply.body, pack_bytes()[..10]);
    assert_eq!(
        reply.header("etag"),
        Some(etag(&pack_bytes()[..10]).as_str())
    );
    // The connection is still good: it was a complete (if wrong) answer.
    assert_eq!(client.get("/timestamp.json", &[]).status, 200);
}

#[test]
fn trickle_sends_the_body_slowly_in_small_chunks() {
    let site = site();
    let server = serve(&site);
    let delay = Duration::from_millis(150);
    server.add_fault(FaultRule::on(
        "/timestamp.json",
        Fault::Trickle {
            bytes_per_chunk: 12,
            delay,
        },
    ));
    let mut client = Client::connect(&server);
    let started = Instant::now();

    client.send("GET", "/timestamp.json", &[]);
    let head = client.head();
    let head_after = started.elapsed();
    let body = client.body(TIMESTAMP.len());

    // The head comes at once; each of the 4 chunks (44 bytes) waits its
    // delay.
    assert!(head_after < delay, "head after {head_after:?}");
    assert!(started.elapsed() >= delay * 4, "{:?}", started.elapsed());
    assert_eq!(head.length(), Some(TIMESTAMP.len()));
    assert_eq!(body, TIMESTAMP);
}

#[test]
fn trickle_stops_when_the_client_hangs_up() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on(
        "/targets/a.pack",
        Fault::Trickle {
            bytes_per_chunk: 1,
            delay: Duration::from_millis(5),
        },
    ));
    let mut client = Client::connect(&server);
    client.send("GET", "/targets/a.pack", &[]);
    client.head();
    client.body(3);
    let port = server.addr().port();
    let before = server_threads(port);

    drop(client);

    // The connection's thread ends well before the 5 s the body would take.
    wait_until("the trickle to end", || server_threads(port) == before - 1);
    assert!(server.bytes_sent() < 1000, "the whole body went out");
}

#[test]
fn stopping_the_server_cuts_a_trickle_short() {
    let site = site();
    let mut server = serve(&site);
    server.add_fault(FaultRule::everywhere(Fault::Trickle {
        bytes_per_chunk: 1,
        delay: Duration::from_secs(60),
    }));
    let mut client = Client::connect(&server);
    client.send("GET", "/targets/a.pack", &[]);
    client.head();

    let started = Instant::now();
    server.stop();

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(client.closed());
}

#[test]
fn oversize_appends_bytes_and_a_matching_length() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on("/timestamp.json", Fault::Oversize(5)));
    let mut client = Client::connect(&server);

    let reply = client.get("/timestamp.json", &[]);

    let mut want = TIMESTAMP.to_vec();
    want.extend_from_slice(b"     ");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.length(), Some(TIMESTAMP.len() + 5));
    assert_eq!(reply.body, want);
}

#[test]
fn endless_streams_with_no_length_until_the_client_hangs_up() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on("/timestamp.json", Fault::Endless));
    let mut client = Client::connect(&server);
    let port = server.addr().port();

    client.send("GET", "/timestamp.json", &[]);
    let head = client.head();
    let threads_before = server_threads(port);
    let body = client.body(4 << 20);

    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), None);
    assert_eq!(head.header("connection"), Some("close"));
    assert_eq!(body.len(), 4 << 20, "4 MiB and still coming");
    assert_eq!(&body[..TIMESTAMP.len()], TIMESTAMP);
    assert!(body[TIMESTAMP.len()..].iter().all(|&b| b == b' '));

    drop(client);
    wait_until("the endless body to stop", || {
        server_threads(port) == threads_before - 1
    });
}

#[test]
fn stopping_the_server_ends_an_endless_body_nobody_reads() {
    let site = site();
    let mut server = serve(&site);
    server.add_fault(FaultRule::on("/timestamp.json", Fault::Endless));
    let mut client = Client::connect(&server);
    client.send("GET", "/timestamp.json", &[]);
    // The server fills the socket buffers and blocks in a write.
    wait_until("the buffers to fill", || server.bytes_sent() > 64 * 1024);
    std::thread::sleep(Duration::from_millis(50));

    let started = Instant::now();
    server.stop();

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn status_faults_answer_the_code_with_retry_after_when_given() {
    let site = site();
    let server = serve(&site);
    server.add_fault(
        FaultRule::on(
            "/timestamp.json",
            Fault::Status {
                code: 503,
                retry_after: Some(7),
            },
        )
        .times(1),
    );
    server.add_fault(
        FaultRule::on(
            "/timestamp.json",
            Fault::Status {
                code: 429,
                retry_after: Some(30),
            },
        )
        .times(1),
    );
    server.add_fault(
        FaultRule::on(
            "/timestamp.json",
            Fault::Status {
                code: 500,
                retry_after: None,
            },
        )
        .times(1),
    );
    let mut client = Client::connect(&server);

    let unavailable = client.get("/timestamp.json", &[]);
    let too_many = client.get("/timestamp.json", &[]);
    let error = client.get("/timestamp.json", &[]);

    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.header("retry-after"), Some("7"));
    assert_eq!(unavailable.body, b"503 Service Unavailable\n");
    assert_eq!(too_many.status, 429);
    assert_eq!(too_many.header("retry-after"), Some("30"));
    assert_eq!(error.status, 500);
    assert_eq!(error.header("retry-after"), None);
    assert_eq!(error.length(), Some(error.body.len()));
    assert_eq!(client.get("/timestamp.json", &[]).status, 200);
}

#[test]
fn replace_serves_other_bytes_with_their_own_etag() {
    let site = site();
    let server = serve(&site);
    let old = b"{\"signed\":{\"_type\":\"timestamp\",\"version\":2}}".to_vec();
    server.add_fault(FaultRule::on(
        "/timestamp.json",
        Fault::Replace(old.clone()),
    ));
    let mut client = Client::connect(&server);

    let reply = client.get("/timestamp.json", &[("If-None-Match", &etag(TIMESTAMP))]);
    let again = client.get("/timestamp.json", &[("If-None-Match", &etag(&old))]);
    let range = client.get("/timestamp.json", &[("Range", "bytes=0-9")]);
    let nowhere = client.get("/no/such/file", &[]);

    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, old);
    assert_eq!(reply.header("etag"), Some(etag(&old).as_str()));
    assert_eq!(again.status, 304);
    assert_eq!(range.body, old[..10]);
    assert_eq!(nowhere.status, 404, "the rule is for one path only");
}

#[test]
fn hang_reads_the_request_and_sends_nothing() {
    let site = site();
    let mut server = serve(&site);
    server.add_fault(FaultRule::on("/timestamp.json", Fault::Hang));
    let mut client = Client::connect(&server);
    client
        .stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();

    client.send("GET", "/timestamp.json", &[]);
    let read = client.fill();

    let err = read.expect_err("nothing arrives");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    assert_eq!(client.received, 0);
    let log = server.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].fault, Some(Fault::Hang));
    // Other connections are served meanwhile.
    assert_eq!(
        Client::connect(&server).get("/targets/a.pack", &[]).status,
        200
    );

    let started = Instant::now();
    server.stop();
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn not_found_answers_404_for_a_file_that_exists() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on("/timestamp.json", Fault::NotFound));
    let mut client = Client::connect(&server);

    assert_eq!(client.get("/timestamp.json", &[]).status, 404);
    assert_eq!(client.get("/targets/a.pack", &[]).status, 200);
}

#[test]
fn a_rule_for_every_path_applies_to_any_path() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::everywhere(Fault::Truncate(2)));
    let mut client = Client::connect(&server);

    assert_eq!(client.get("/timestamp.json", &[]).body, TIMESTAMP[..2]);
    assert_eq!(client.get("/targets/a.pack", &[]).body, pack_bytes()[..2]);
    assert_eq!(client.get("/nope", &[]).status, 404);
}

#[test]
fn a_fault_for_n_requests_reverts_to_normal_after_them() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on("/timestamp.json", Fault::NotFound).times(2));
    let mut client = Client::connect(&server);

    let statuses: Vec<u16> = (0..4)
        .map(|_| client.get("/timestamp.json", &[]).status)
        .collect();

    assert_eq!(statuses, [404, 404, 200, 200]);
    let faults: Vec<_> = server.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(
        faults,
        [Some(Fault::NotFound), Some(Fault::NotFound), None, None]
    );
}

#[test]
fn faults_can_be_set_and_cleared_between_requests() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    assert_eq!(client.get("/timestamp.json", &[]).status, 200);
    server.add_fault(FaultRule::on("/timestamp.json", Fault::NotFound));
    assert_eq!(client.get("/timestamp.json", &[]).status, 404);
    assert_eq!(client.get("/timestamp.json", &[]).status, 404);
    server.clear_faults();
    assert_eq!(client.get("/timestamp.json", &[]).status, 200);
}

#[test]
fn a_dropped_download_resumes_with_a_range_once_the_fault_is_used_up() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::on("/targets/a.pack", Fault::DropAfter(400)).times(1));

    let mut first = Client::connect(&server);
    first.send("GET", "/targets/a.pack", &[]);
    let tag = first.head().header("etag").unwrap().to_owned();
    let mut got = first.body(1000);
    assert!(first.closed());
    let mut second = Client::connect(&server);
    let rest = second.get(
        "/targets/a.pack",
        &[
            ("Range", &format!("bytes={}-", got.len())),
            ("If-Range", &tag),
        ],
    );
    got.extend_from_slice(&rest.body);

    assert_eq!(rest.status, 206);
    assert_eq!(got, pack_bytes());
}

// ---- counters and the log ----

#[test]
fn counters_match_the_bytes_the_client_exchanged() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);
    server.add_fault(FaultRule::on(
        "/nope",
        Fault::Status {
            code: 503,
            retry_after: Some(1),
        },
    ));

    client.get("/timestamp.json", &[("User-Agent", "waymark/0.1")]);
    client.get("/targets/a.pack", &[("Range", "bytes=100-199")]);
    client.get("/nope", &[]);
    client.send("HEAD", "/targets/a.pack", &[]);
    client.reply("HEAD");
    let tag = etag(TIMESTAMP);
    client.get("/timestamp.json", &[("If-None-Match", &tag)]);

    assert_eq!(server.bytes_received(), client.sent);
    assert_eq!(server.bytes_sent(), client.received);
    assert_eq!(server.connections(), 1);
}

#[test]
fn counters_count_a_dropped_body_as_far_as_it_went() {
    let site = site();
    let server = serve(&site);
    server.add_fault(FaultRule::everywhere(Fault::DropAfter(123)));
    let mut client = Client::connect(&server);

    client.send("GET", "/targets/a.pack", &[]);
    client.head();
    client.body(1000);
    assert!(client.closed());

    assert_eq!(server.bytes_sent(), client.received);
    assert_eq!(server.bytes_received(), client.sent);
}

#[test]
fn reset_counters_zeroes_the_counts_and_empties_the_log() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);
    client.get("/timestamp.json", &[]);
    assert!(server.bytes_sent() > 0 && server.bytes_received() > 0);

    server.reset_counters();

    assert_eq!((server.bytes_sent(), server.bytes_received()), (0, 0));
    assert_eq!(server.connections(), 0);
    assert!(server.requests().is_empty());
    let before = client.received;
    client.get("/timestamp.json", &[]);
    assert_eq!(server.bytes_sent(), client.received - before);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn the_log_holds_method_target_headers_and_status_of_each_request() {
    let site = site();
    let server = serve(&site);
    let mut client = Client::connect(&server);

    client.get(
        "/timestamp.json",
        &[("User-Agent", "waymark/0.1"), ("If-None-Match", "\"x\"")],
    );
    client.get("/targets/a.pack?v=2", &[("Range", "bytes=0-1")]);
    client.send("HEAD", "/nope", &[("Cookie", "id=1")]);
    client.reply("HEAD");

    let log = server.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].target, "/timestamp.json");
    assert_eq!(
        log[0].headers,
        [
            ("Host".to_owned(), "127.0.0.1".to_owned()),
            ("User-Agent".to_owned(), "waymark/0.1".to_owned()),
            ("If-None-Match".to_owned(), "\"x\"".to_owned()),
        ]
    );
    assert_eq!(log[0].header("user-agent"), Some("waymark/0.1"));
    assert_eq!(log[0].header("cookie"), None);
    assert_eq!(log[0].query(), None);
    assert_eq!(log[0].status, Some(200));
    assert_eq!(log[1].target, "/targets/a.pack?v=2");
    assert_eq!(log[1].path(), "/targets/a.pack");
    assert_eq!(log[1].query(), Some("v=2"));
    assert_eq!(log[1].header("range"), Some("bytes=0-1"));
    assert_eq!(log[1].status, Some(206));
    assert_eq!(log[2].method, "HEAD");
    assert_eq!(log[2].header("COOKIE"), Some("id=1"));
    assert_eq!(log[2].status, Some(404));
    assert_eq!(server.requests_for("/targets/a.pack").len(), 1);
    assert_eq!(server.requests_for("/timestamp.json").len(), 1);
    assert!(server.requests_for("/other").is_empty());
}

// ---- stopping ----

#[test]
fn stop_frees_the_port_and_refuses_new_connections() {
    let site = site();
    let mut server = serve(&site);
    let addr = server.addr();
    let mut idle = Client::connect(&server);
    idle.get("/timestamp.json", &[]);

    server.stop();

    assert!(idle.closed(), "kept-alive connections are closed");
    assert!(TcpStream::connect(addr).is_err());
    TcpListener::bind(addr).expect("the port is free again");
    server.stop();
}

#[test]
fn stop_leaves_no_server_thread_behind() {
    let site = site();
    let mut server = serve(&site);
    let port = server.addr().port();
    server.add_fault(FaultRule::on("/timestamp.json", Fault::Hang));
    let mut hung = Client::connect(&server);
    hung.send("GET", "/timestamp.json", &[]);
    let mut idle = Client::connect(&server);
    idle.get("/targets/a.pack", &[]);
    wait_until("both connections served", || server.requests().len() == 2);
    // The accept thread and one per connection.
    assert_eq!(server_threads(port), 3);

    server.stop();

    // Joined threads may linger in /proc for an instant after they exit.
    wait_until("no server thread", || server_threads(port) == 0);
}

#[test]
fn dropping_the_server_stops_it() {
    let site = site();
    let server = serve(&site);
    let addr = server.addr();
    let mut client = Client::connect(&server);
    client.get("/timestamp.json", &[]);

    drop(server);

    wait_until("no server thread", || server_threads(addr.port()) == 0);
    assert!(client.closed());
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn start_refuses_a_root_that_is_not_a_directory() {
    let site = site();

    assert!(FaultServer::start(site.root.join("timestamp.json")).is_err());
    assert!(FaultServer::start(Path::new("/no/such/dir")).is_err());
}

#[test]
fn url_names_the_loopback_address_and_port() {
    let site = site();
    let server = serve(&site);

    assert_eq!(
        server.url(),
        format!("http://127.0.0.1:{}", server.addr().port())
    );
}
