//! One connection: read requests, pick the fault, answer, count every byte.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;

use super::fault::Fault;
use super::http::{self, Head, Parsed, Resolved, Response};
use super::{RequestRecord, Shared, lock};

/// Bytes handed to the socket per write: bounds how far ahead of the wire
/// the sent counter can run while a write is in flight.
const WRITE_CHUNK: usize = 64 * 1024;
/// A request body (on GET or HEAD) larger than this closes the connection.
const MAX_BODY: u64 = 1024 * 1024;
/// What [`Fault::Oversize`] and [`Fault::Endless`] append: spaces keep JSON
/// parseable, so only a length check catches them.
const FILLER: u8 = b' ';

/// Serves requests on `stream` until the client or the server closes it.
pub(super) fn serve(stream: TcpStream, shared: &Shared) {
    // Trickled chunks and small answers go out at once.
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        stream,
        shared,
        buf: Vec::new(),
    };
    while !shared.stopping() {
        match conn.next_request() {
            Ok(Some(head)) => {
                if conn.answer(&head) == Next::Close {
                    break;
                }
            }
            Ok(None) => break,
            Err(status) => {
                let refusal = Response::error(status);
                let _ = conn
                    .send(&refusal.head())
                    .and_then(|()| conn.send(&refusal.body));
                break;
            }
        }
    }
    let _ = conn.stream.shutdown(Shutdown::Write);
}

/// Whether the connection serves another request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    KeepOpen,
    Close,
}

struct Conn<'a> {
    stream: TcpStream,
    shared: &'a Shared,
    /// Bytes read and not yet parsed (pipelined requests).
    buf: Vec<u8>,
}

/// The file's bytes as served under `fault`: cut by [`Fault::Truncate`],
/// padded by [`Fault::Oversize`], otherwise as they are.
fn reshaped(mut content: Vec<u8>, fault: Option<&Fault>) -> Vec<u8> {
    match fault {
        Some(Fault::Truncate(n)) => {
            content.truncate(usize::try_from(*n).unwrap_or(usize::MAX));
        }
        Some(Fault::Oversize(extra)) => {
            let extra = usize::try_from(*extra).expect("an oversize that fits in memory");
            content.resize(content.len() + extra, FILLER);
        }
        _ => {}
    }
    content
}

/// How a response's body goes out.
enum Delivery {
    Whole,
    DropAfter(u64),
    Trickle {
        bytes_per_chunk: usize,
        delay: std::time::Duration,
    },
}

impl Conn<'_> {
    /// The next request head, with any body it announces read and dropped.
    /// `Ok(None)`: the client closed (or the server stopped). `Err(status)`:
    /// not a request we can frame; answer `status` and close.
    fn next_request(&mut self) -> Result<Option<Head>, u16> {
        let head = loop {
            if !self.buf.is_empty() {
                match Head::parse(&self.buf) {
                    Parsed::Complete(head, used) => {
                        self.buf.drain(..used);
                        break head;
                    }
                    Parsed::Partial => {}
                    Parsed::Invalid(status) => return Err(status),
                }
            }
            if !self.fill().is_ok_and(|n| n > 0) {
                return Ok(None);
            }
        };
        if head.header("transfer-encoding").is_some() {
            return Err(501);
        }
        let body = match head
            .header("content-length")
            .map(|v| v.trim().parse::<u64>())
        {
            None => 0,
            Some(Ok(n)) if n <= MAX_BODY => n,
            Some(Ok(_)) => return Err(413),
            Some(Err(_)) => return Err(400),
        };
        while (self.buf.len() as u64) < body {
            if !self.fill().is_ok_and(|n| n > 0) {
                return Ok(None);
            }
        }
        self.buf.drain(..body as usize);
        Ok(Some(head))
    }

    /// Reads what the socket has into `buf`, counting it.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 8192];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.shared.received.fetch_add(n as u64, Ordering::SeqCst);
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes all of `bytes`, counting what the socket takes. The count is
    /// raised before each write and lowered by what was not taken, so it is
    /// exact by the time the client can have read the bytes.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let chunk = &rest[..rest.len().min(WRITE_CHUNK)];
            self.shared
                .sent
                .fetch_add(chunk.len() as u64, Ordering::SeqCst);
            let written = self.stream.write(chunk);
            let taken = *written.as_ref().unwrap_or(&0);
            self.uncount(chunk.len() - taken);
            match written {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Takes back bytes counted as sent that the socket did not take. A
    /// reset may have come in between: the count stops at zero.
    fn uncount(&self, bytes: usize) {
        if bytes > 0 {
            let _ = self
                .shared
                .sent
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |sent| {
                    Some(sent.saturating_sub(bytes as u64))
                });
        }
    }

    /// Answers one request, faults included.
    fn answer(&mut self, head: &Head) -> Next {
        let after = if head.wants_close() {
            Next::Close
        } else {
            Next::KeepOpen
        };
        if head.method != "GET" && head.method != "HEAD" {
            let mut refusal = Response::error(405);
            refusal.headers.push(("Allow", "GET, HEAD".into()));
            return self.respond(head, None, refusal, Delivery::Whole, after);
        }
        let fault = lock(&self.shared.rules).take(head.path());
        let response = match &fault {
            Some(Fault::Hang) => {
                self.log(head, None, fault);
                self.hang();
                return Next::Close;
            }
            Some(Fault::Status { code, retry_after }) => {
                let mut response = Response::error(*code);
                if let Some(secs) = retry_after {
                    response.headers.push(("Retry-After", secs.to_string()));
                }
                response
            }
            Some(Fault::NotFound) => Response::error(404),
            Some(Fault::Replace(bytes)) => http::static_answer(head, bytes.clone()),
            _ => match self.file(head) {
                Err(status) => Response::error(status),
                Ok(content) if fault == Some(Fault::Endless) => {
                    self.endless(head, content);
                    return Next::Close;
                }
                Ok(content) => http::static_answer(head, reshaped(content, fault.as_ref())),
            },
        };
        let delivery = match &fault {
            Some(Fault::DropAfter(n)) => Delivery::DropAfter(*n),
            Some(Fault::Trickle {
                bytes_per_chunk,
                delay,
            }) => Delivery::Trickle {
                bytes_per_chunk: (*bytes_per_chunk).max(1),
                delay: *delay,
            },
            _ => Delivery::Whole,
        };
        self.respond(head, fault, response, delivery, after)
    }

    /// The bytes of the file the request names, or the status to answer.
    fn file(&self, head: &Head) -> Result<Vec<u8>, u16> {
        match http::resolve(&self.shared.root, &head.target) {
            Resolved::File(path) => std::fs::read(path).map_err(|_| 404),
            Resolved::Missing => Err(404),
            Resolved::Refused => Err(400),
        }
    }

    /// Logs the request, then sends the answer (no body for HEAD).
    fn respond(
        &mut self,
        head: &Head,
        fault: Option<Fault>,
        response: Response,
        delivery: Delivery,
        after: Next,
    ) -> Next {
        self.log(head, Some(response.status), fault);
        if self.send(&response.head()).is_err() {
            return Next::Close;
        }
        let body = if head.method == "HEAD" {
            &[][..]
        } else {
            &response.body[..]
        };
        let sent = match delivery {
            Delivery::Whole => self.send(body),
            Delivery::DropAfter(n) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX).min(body.len());
                let _ = self.send(&body[..n]);
                return Next::Close;
            }
            Delivery::Trickle {
                bytes_per_chunk,
                delay,
            } => self.trickle(body, bytes_per_chunk, delay),
        };
        if sent.is_err() { Next::Close } else { after }
    }

    /// Sends `body` in chunks, pausing before each; stops when the client
    /// hangs up or the server stops.
    fn trickle(
        &mut self,
        body: &[u8],
        bytes_per_chunk: usize,
        delay: std::time::Duration,
    ) -> io::Result<()> {
        for chunk in body.chunks(bytes_per_chunk) {
            if !self.shared.pause(delay) {
                return Err(io::ErrorKind::ConnectionAborted.into());
            }
            self.send(chunk)?;
        }
        Ok(())
    }

    /// [`Fault::Endless`]: 200 with no length, the file, then spaces until
    /// the client hangs up or the server stops.
    fn endless(&mut self, head: &Head, content: Vec<u8>) {
        self.log(head, Some(200), Some(Fault::Endless));
        let start = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
        if self.send(start).is_err() || head.method == "HEAD" || self.send(&content).is_err() {
            return;
        }
        let filler = [FILLER; WRITE_CHUNK];
        while !self.shared.stopping() && self.send(&filler).is_ok() {}
    }

    /// Reads and drops whatever the client sends until it hangs up or the
    /// server stops (which shuts the socket down, ending the read).
    fn hang(&mut self) {
        while self.fill().is_ok_and(|n| n > 0) {
            self.buf.clear();
        }
    }

    fn log(&self, head: &Head, status: Option<u16>, fault: Option<Fault>) {
        lock(&self.shared.log).push(RequestRecord {
            method: head.method.clone(),
            target: head.target.clone(),
            headers: head.headers.clone(),
            status,
            fault,
        });
    }
}
