//! Real servers for tests, started on 127.0.0.1 and stopped on drop:
//! moto's S3 API server and wsgidav (WebDAV), both from PyPI, which
//! `scripts/test` installs into `TARGET/moto` and `TARGET/wsgidav` (or
//! `WAYMARK_MOTO_SERVER` / `WAYMARK_WSGIDAV`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| {
            if t.is_absolute() {
                t
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(t)
            }
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A port that was free a moment ago, below Linux's and macOS's ephemeral
/// ranges (32768 and 49152 up), so that no outgoing connection of a test
/// running alongside can take it before the server binds it.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    loop {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        let port = 20_000 + (hasher.finish() % 12_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Starts the server `command(port)` makes on a free port and waits until
/// it listens. A server that exits first (its port was taken meanwhile)
/// is started again on another port, up to five times.
pub fn spawn_listening(what: &str, mut command: impl FnMut(u16) -> Command) -> Server {
    for _ in 0..5 {
        let port = free_port();
        let child = command(port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {what}: {e}"));
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if server.child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(Instant::now() < deadline, "{what} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!("{what} exited five times before listening")
}

/// A server process, stopped on drop.
pub struct Server {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto's S3 server, with `bucket` made.
pub fn moto(bucket: &str) -> Server {
    let exe = std::env::var_os("WAYMARK_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("moto/bin/moto_server"));
    assert!(
        exe.is_file(),
        "moto's S3 server is not at {}: run scripts/test once, or set WAYMARK_MOTO_SERVER",
        exe.display()
    );
    let server = spawn_listening("moto_server", |port| {
        let mut command = Command::new(&exe);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        command
    });
    let port = server.port;
    let status = raw_request(
        port,
        &format!(
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(
        status.starts_with("HTTP/1.1 200"),
        "making the bucket: {status}"
    );
    server
}

/// wsgidav serving `root`, with user `alice` (password `s3cret`).
pub fn wsgidav(root: &Path) -> Server {
    let exe = std::env::var_os("WAYMARK_WSGIDAV")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("wsgidav/bin/wsgidav"));
    assert!(
        exe.is_file(),
        "wsgidav is not at {}: run scripts/test once, or set WAYMARK_WSGIDAV",
        exe.display()
    );
    let config = root.with_extension("yaml");
    spawn_listening("wsgidav", |port| {
        std::fs::write(
            &config,
            format!(
                "host: 127.0.0.1\nport: {port}\nserver: cheroot\nprovider_mapping:\n  \"/\": {}\n\
                 http_authenticator:\n  domain_controller: null\n  accept_basic: true\n  accept_digest: false\n  default_to_digest: false\n\
                 simple_dc:\n  user_mapping:\n    \"*\":\n      alice:\n        password: \"s3cret\"\n\
                 verbose: 0\nlogging:\n  enable: false\n",
                root.display()
            ),
        )
        .unwrap();
        let mut command = Command::new(&exe);
        command.arg("--config").arg(&config);
        command
    })
}

pub fn raw_request(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// `tests/wire/wire.py` in front of a server on `upstream`: it records every
/// request as it arrived (and, with `socks`, runs a SOCKS5 proxy that relays
/// `sync.waymark.invalid` to the server). `tests/wire/check.py` holds the
/// rules the record must satisfy (issue 20 §4).
pub struct Wire {
    _server: Server,
    /// The recording relay's port (plain HTTP to the server).
    pub http: u16,
    /// The SOCKS5 proxy's port, if asked for.
    pub socks: Option<u16>,
    log: PathBuf,
    dir: tempfile::TempDir,
}

fn wire_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests/wire")
        .join(name)
}

impl Wire {
    pub fn start(upstream: u16, socks: bool) -> Wire {
        Wire::launch(upstream, socks.then_some("sync.waymark.invalid"))
    }

    /// With the SOCKS5 proxy relaying the host name `name` to the server.
    pub fn start_mapping(upstream: u16, name: &str) -> Wire {
        Wire::launch(upstream, Some(name))
    }

    fn launch(upstream: u16, socks: Option<&str>) -> Wire {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("wire.jsonl");
        let mut command = Command::new("python3");
        command
            .arg(wire_script("wire.py"))
            .arg("--upstream")
            .arg(format!("127.0.0.1:{upstream}"))
            .arg("--log")
            .arg(&log);
        if let Some(name) = socks {
            command.args(["--socks", "--map", name]);
        }
        // Its stdin is a pipe held by this process: it ends when we do.
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs tests/wire/wire.py");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let port = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|p| p.parse::<u16>().ok())
        };
        let http = port("http=").unwrap_or_else(|| panic!("wire.py said {line:?}"));
        let socks = port("socks=");
        Wire {
            _server: Server { child, port: http },
            http,
            socks,
            log,
            dir,
        }
    }

    /// How many events it has recorded so far (a mark for [`Wire::part`]).
    pub fn mark(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// The events recorded between each pair of marks, in a log file of
    /// their own.
    pub fn part(&self, ranges: &[(usize, usize)], name: &str) -> PathBuf {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let mut out = String::new();
        for &(from, to) in ranges {
            for line in &lines[from..to] {
                out += line;
                out.push('\n');
            }
        }
        let path = self.dir.path().join(name);
        std::fs::write(&path, out).unwrap();
        path
    }

    /// Every event recorded so far.
    pub fn everything(&self) -> PathBuf {
        self.log.clone()
    }
}

/// Runs `tests/wire/check.py` on `log` with `args` (`--kind sync`,
/// `--same-as OTHER`, `--socks`…). Returns its summary if every rule held;
/// panics with each violation otherwise.
pub fn check_wire(log: &Path, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(wire_script("check.py"))
        .arg(log)
        .args(args)
        .output()
        .expect("python3 runs tests/wire/check.py");
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        out.status.success(),
        "the wire check failed:\n{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    said
}
