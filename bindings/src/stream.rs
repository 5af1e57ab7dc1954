//! Bytes streamed across the boundary in chunks: a document's content in
//! ([`DocumentSource`]) and out ([`DocumentSink`]), an HTTP body in
//! ([`crate::HttpBody`]). The app's side is a foreign trait called once per
//! chunk on Waymark's worker thread; this side adapts it to
//! `std::io::Read`/`Write`, so the core streams it as it streams a file:
//! neither a whole document nor a plaintext temporary file ever exists.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use waymark_core::sync::CancelToken;

use crate::error::{Result, WaymarkError};

/// Largest chunk asked of the app at once.
const MAX_CHUNK: usize = 1 << 20;

/// A document's content as the app feeds it: an Android `InputStream` (a
/// file, a `content://` URI from the document picker, the camera), an iOS
/// `InputStream`, `FileHandle` or sequence of `Data`. The Kotlin and Swift
/// packages adapt those; implement it directly for anything else.
///
/// Called on a Waymark worker thread, in order, until it returns no bytes.
/// It MUST NOT call the vault it feeds (the vault is busy with this call).
/// Throw any error to stop: nothing is stored, and the call fails with that
/// error (a `WaymarkError` as thrown, anything else as `Internal`).
#[uniffi::export(callback_interface)]
pub trait DocumentSource: Send + Sync {
    /// Up to `max_len` more bytes (at least one, blocking until some are
    /// available), or none at the end.
    fn read(&self, max_len: i32) -> Result<Vec<u8>>;
}

/// Receives a document's content, chunk after chunk (64 KiB each but the
/// last), each authenticated before it is handed over: an Android
/// `OutputStream`, an iOS `FileHandle` or `AsyncThrowingStream`.
///
/// Called on a Waymark worker thread, in order; it MUST NOT call the vault.
/// If the call fails after some chunks (a chunk altered on disk, the app's
/// own error), what was received is an authentic prefix that the app MUST
/// discard. Throw any error to stop reading.
#[uniffi::export(callback_interface)]
pub trait DocumentSink: Send + Sync {
    /// The next chunk of the content.
    fn write(&self, chunk: Vec<u8>) -> Result<()>;
}

/// The first error an app's callback raised during a core call. That
/// error, not the I/O error the core saw, becomes the call's error.
#[derive(Clone, Default)]
pub(crate) struct CallbackFailure(Arc<Mutex<Option<WaymarkError>>>);

impl CallbackFailure {
    /// Keeps `e` (the first one only) and returns what to tell the core.
    pub(crate) fn record(&self, e: WaymarkError) -> io::Error {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(e);
        io::Error::other("an app callback failed")
    }

    /// The call's result: the app's own error if one stopped it.
    pub(crate) fn or<T>(&self, result: Result<T, waymark_core::Error>) -> Result<T> {
        result.map_err(|e| {
            let kept = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
            kept.unwrap_or_else(|| e.into())
        })
    }
}

/// Pulls chunks from a foreign `read(max)` as a `Read`.
pub(crate) struct Pull {
    next: Box<dyn FnMut(usize) -> io::Result<Vec<u8>> + Send>,
    /// Bytes received beyond what a read asked for (a source that returns
    /// more than `max`).
    pending: Vec<u8>,
    at: usize,
    done: bool,
}

impl Pull {
    pub(crate) fn new(next: impl FnMut(usize) -> io::Result<Vec<u8>> + Send + 'static) -> Self {
        Pull {
            next: Box::new(next),
            pending: Vec::new(),
            at: 0,
            done: false,
        }
    }
}

impl Read for Pull {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.at >= self.pending.len() {
            if self.done {
                return Ok(0);
            }
            self.pending = (self.next)(buf.len().min(MAX_CHUNK))?;
            self.at = 0;
            if self.pending.is_empty() {
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// `source` as a `Read` that stops when `cancel` trips, keeping the app's
/// error in `failure`.
pub(crate) fn source_reader(
    source: Box<dyn DocumentSource>,
    cancel: CancelToken,
    failure: CallbackFailure,
) -> Pull {
    Pull::new(move |max| {
        if cancel.is_cancelled() {
            return Err(failure.record(WaymarkError::Cancelled));
        }
        source
            .read(i32::try_from(max).unwrap_or(i32::MAX))
            .map_err(|e| failure.record(e))
    })
}

/// `sink` as a `Write` that stops when `cancel` trips, keeping the app's
/// error in `failure`.
pub(crate) struct SinkWriter {
    pub(crate) sink: Box<dyn DocumentSink>,
    pub(crate) cancel: CancelToken,
    pub(crate) failure: CallbackFailure,
}

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(self.failure.record(WaymarkError::Cancelled));
        }
        self.sink
            .write(buf.to_vec())
            .map_err(|e| self.failure.record(e))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_reads_in_order_even_when_chunks_exceed_the_buffer() {
        let mut chunks = vec![b"hello ".to_vec(), b"world, and more".to_vec()].into_iter();
        let mut pull = Pull::new(move |_| Ok(chunks.next().unwrap_or_default()));
        let mut out = Vec::new();
        let mut buf = [0u8; 4];
        loop {
            let n = pull.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, b"hello world, and more");
    }

    #[test]
    fn the_apps_error_becomes_the_calls_error() {
        struct Failing;
        impl DocumentSource for Failing {
            fn read(&self, _: i32) -> Result<Vec<u8>> {
                Err(WaymarkError::invalid("the picker's file went away"))
            }
        }
        let failure = CallbackFailure::default();
        let mut reader = source_reader(Box::new(Failing), CancelToken::new(), failure.clone());
        let io = reader.read(&mut [0u8; 8]).unwrap_err();
        let result: Result<()> = failure.or(Err(io.into()));
        assert_eq!(
            result,
            Err(WaymarkError::invalid("the picker's file went away"))
        );
    }

    #[test]
    fn a_cancelled_read_asks_the_app_for_nothing_more() {
        struct Endless;
        impl DocumentSource for Endless {
            fn read(&self, max: i32) -> Result<Vec<u8>> {
                Ok(vec![7; max as usize])
            }
        }
        let cancel = CancelToken::new();
        let failure = CallbackFailure::default();
        let mut reader = source_reader(Box::new(Endless), cancel.clone(), failure.clone());
        assert_eq!(reader.read(&mut [0u8; 8]).unwrap(), 8);
        cancel.cancel();
        let io = reader.read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(
            failure.or::<()>(Err(io.into())),
            Err(WaymarkError::Cancelled)
        );
    }
}
