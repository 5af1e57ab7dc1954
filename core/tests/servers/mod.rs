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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
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
    let port = free_port();
    let child = Command::new(&exe)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    wait_for(port, "moto_server");
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
    let port = free_port();
    let config = root.with_extension("yaml");
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
    let child = Command::new(&exe)
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    wait_for(port, "wsgidav");
    server
}

pub fn raw_request(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}
