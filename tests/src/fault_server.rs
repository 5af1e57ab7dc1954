//! A static HTTP/1.1 server on 127.0.0.1 that misbehaves on command.
//!
//! [`FaultServer`] serves the files under a directory the way a good static
//! host or CDN does: GET and HEAD, keep-alive, a strong ETag (the quoted hex
//! of the first 16 bytes of the content's SHA-256, see [`etag`]), 304 for a
//! matching `If-None-Match`, 206 for `Range: bytes=a-b`, `bytes=a-` and
//! `bytes=-n` (honouring `If-Range`), 416 for a range past the end, 404 for
//! anything that is not a file (no directory listings), 400 for paths that
//! try to climb out (`..`). Responses carry only the headers a client needs
//! (`Content-Length`, `ETag`, `Accept-Ranges` or `Content-Range`; a 304
//! has only its `ETag`), so a "nothing changed" round trip costs a few
//! hundred bytes.
//!
//! Tests then tell it to misbehave with [`FaultRule`]s ([`Fault`]s on one
//! path or on all, for the next N requests or until cleared), and read what
//! went over the wire: [`bytes_sent`](FaultServer::bytes_sent),
//! [`bytes_received`](FaultServer::bytes_received), and the
//! [`requests`](FaultServer::requests) with all their headers.
//!
//! Each connection has its own thread; [`stop`](FaultServer::stop) (or
//! dropping the server) closes the listening socket and every connection,
//! wakes any trickle or hang, and joins every thread before it returns.
//!
//! Files are read whole for each request: this is a test server.
//!
//! ```
//! use std::io::{Read, Write};
//! use waymark_e2e::{Fault, FaultRule, FaultServer};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("timestamp.json"), b"{}")?;
//! let server = FaultServer::start(dir.path())?;
//! server.add_fault(FaultRule::on("/timestamp.json", Fault::NotFound).times(1));
//!
//! let get = |server: &FaultServer| -> std::io::Result<String> {
//!     let mut conn = std::net::TcpStream::connect(server.addr())?;
//!     conn.write_all(b"GET /timestamp.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//!     let mut answer = String::new();
//!     conn.read_to_string(&mut answer)?;
//!     Ok(answer)
//! };
//! assert!(get(&server)?.starts_with("HTTP/1.1 404 "));
//! assert!(get(&server)?.starts_with("HTTP/1.1 200 "));
//! assert_eq!(server.requests_for("/timestamp.json").len(), 2);
//! # Ok::<(), std::io::Error>(())
//! ```

mod conn;
mod fault;
mod http;

use std::collections::HashMap;
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub use fault::{Fault, FaultRule};
pub use http::etag;

/// A static HTTP/1.1 server on `127.0.0.1` that misbehaves on command. See
/// the [module documentation](self).
///
/// Every method takes `&self` except [`stop`](FaultServer::stop), so a test
/// may share the server with the threads of the client under test and
/// change faults while requests are in flight.
#[derive(Debug)]
pub struct FaultServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

/// One request the server read, and what it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// The method, as sent (`"GET"`, `"HEAD"`, …).
    pub method: String,
    /// The request target as sent: the path and any query string
    /// (`"/targets/x.pack?v=2"`).
    pub target: String,
    /// Every request header, in the order sent, with the names as sent;
    /// values that are not UTF-8 are decoded lossily.
    pub headers: Vec<(String, String)>,
    /// The status sent, or `None` when nothing was ([`Fault::Hang`]).
    pub status: Option<u16>,
    /// The fault that applied to this request, if any.
    pub fault: Option<Fault>,
}

impl RequestRecord {
    /// The path of the target, without the query string.
    pub fn path(&self) -> &str {
        http::path_of(&self.target)
    }

    /// The query string (after the `?`), if the target has one.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The first value of a request header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        http::header(&self.headers, name)
    }
}

impl FaultServer {
    /// Starts serving the files under `root` on `127.0.0.1` at a free port,
    /// with no faults.
    ///
    /// # Errors
    ///
    /// When `root` is not a directory, or no socket or thread can be had.
    pub fn start(root: impl Into<PathBuf>) -> std::io::Result<FaultServer> {
        let root = root.into().canonicalize()?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the root to serve is not a directory",
            ));
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            root,
            thread_name: format!("fault-srv-{}", addr.port()),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            rules: Mutex::new(fault::Rules::default()),
            stopping: AtomicBool::new(false),
            life: Mutex::new(Life::default()),
            wake: Condvar::new(),
        });
        let accept = thread::Builder::new()
            .name(shared.thread_name.clone())
            .spawn({
                let shared = Arc::clone(&shared);
                move || accept_loop(&listener, &shared)
            })?;
        Ok(FaultServer {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`, with no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server: closes the listening socket (the port is free when
    /// this returns) and every open connection, cuts short any trickle,
    /// hang or endless body, and joins all the server's threads. Calling it
    /// again does nothing; dropping the server calls it.
    pub fn stop(&mut self) {
        let Some(accept) = self.accept.take() else {
            return;
        };
        {
            let life = lock(&self.shared.life);
            // Under the lock, so no connection is admitted after the sweep
            // and no pause misses the wake-up.
            self.shared.stopping.store(true, Ordering::SeqCst);
            for stream in life.open.values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        self.shared.wake.notify_all();
        // The accept thread is blocked in accept(); a connection wakes it.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        let _ = accept.join();
        let threads = std::mem::take(&mut lock(&self.shared.life).threads);
        for thread in threads {
            let _ = thread.join();
        }
    }

    /// Bytes read from clients since the start or the last
    /// [`reset_counters`](FaultServer::reset_counters): request lines,
    /// headers and bodies, everything read off the sockets.
    pub fn bytes_received(&self) -> u64 {
        self.shared.received.load(Ordering::SeqCst)
    }

    /// Bytes sent to clients since the start or the last
    /// [`reset_counters`](FaultServer::reset_counters): status lines,
    /// headers and bodies, everything the sockets accepted. Exact once the
    /// client has read a whole response; with a client that hangs up
    /// mid-body it may count bytes that were in the kernel's buffers.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.sent.load(Ordering::SeqCst)
    }

    /// Connections accepted since the start or the last
    /// [`reset_counters`](FaultServer::reset_counters): fewer connections
    /// than requests shows a client reusing them.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Zeroes the byte and connection counters and empties the request log,
    /// to measure the next phase of a test on its own.
    pub fn reset_counters(&self) {
        let mut log = lock(&self.shared.log);
        self.shared.sent.store(0, Ordering::SeqCst);
        self.shared.received.store(0, Ordering::SeqCst);
        self.shared.connections.store(0, Ordering::SeqCst);
        log.clear();
    }

    /// Every request read since the start or the last
    /// [`reset_counters`](FaultServer::reset_counters), in the order they
    /// were read. A request is logged before its answer is sent. Bytes that
    /// did not parse as a request are counted but not logged.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).clone()
    }

    /// The logged requests whose path (without query string) is `path`.
    pub fn requests_for(&self, path: &str) -> Vec<RequestRecord> {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.path() == path)
            .cloned()
            .collect()
    }

    /// Adds a fault rule. A request takes the first rule, in the order
    /// added, that matches its path; a rule limited with
    /// [`FaultRule::times`] is gone once used up, so rules added for the
    /// same path play in sequence (e.g. 503 once, then a drop once, then
    /// normal). A rule with no limit shadows the rules after it.
    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.shared.rules).add(rule);
    }

    /// Removes every fault rule: from the next request on, the server
    /// behaves.
    pub fn clear_faults(&self) {
        lock(&self.shared.rules).clear();
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the server's threads share.
#[derive(Debug)]
struct Shared {
    /// The served directory, canonical.
    root: PathBuf,
    /// `fault-srv-PORT` (at most 15 bytes, so Linux keeps it whole).
    thread_name: String,
    sent: AtomicU64,
    received: AtomicU64,
    connections: AtomicU64,
    log: Mutex<Vec<RequestRecord>>,
    rules: Mutex<fault::Rules>,
    /// Set once, under `life`'s lock, when the server stops.
    stopping: AtomicBool,
    life: Mutex<Life>,
    /// Notified when the server stops; pauses wait on it.
    wake: Condvar,
}

/// The open connections and the threads serving them.
#[derive(Debug, Default)]
struct Life {
    next_id: u64,
    /// A handle on each open connection, to shut it down on stop.
    open: HashMap<u64, TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Waits `delay`, or less if the server stops; `false` if it did.
    fn pause(&self, delay: Duration) -> bool {
        let life = lock(&self.life);
        let _unused = self
            .wake
            .wait_timeout_while(life, delay, |_| !self.stopping())
            .unwrap_or_else(PoisonError::into_inner);
        !self.stopping()
    }

    /// Registers a new connection and starts its thread, unless stopping.
    fn admit(self: &Arc<Self>, stream: TcpStream) {
        let mut life = lock(&self.life);
        if self.stopping() {
            return;
        }
        life.threads.retain(|t| !t.is_finished());
        let Ok(handle) = stream.try_clone() else {
            return;
        };
        self.connections.fetch_add(1, Ordering::SeqCst);
        let id = life.next_id;
        life.next_id += 1;
        life.open.insert(id, handle);
        let shared = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name(self.thread_name.clone())
            .spawn(move || {
                conn::serve(stream, &shared);
                // The registry's handle keeps the socket open: drop it too.
                lock(&shared.life).open.remove(&id);
            });
        match spawned {
            Ok(thread) => life.threads.push(thread),
            Err(_) => drop(life.open.remove(&id)),
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping() {
            return;
        }
        match stream {
            Ok(stream) => shared.admit(stream),
            // Out of descriptors or the like: wait instead of spinning.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Locks, ignoring poisoning: a panicking connection thread leaves the
/// counters and logs as usable as they were.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
