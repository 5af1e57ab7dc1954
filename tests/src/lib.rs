//! Test support for Waymark's end-to-end tests (`tests/tests/*.rs`).
//!
//! - [`fault_server`]: a static HTTP/1.1 server on 127.0.0.1 that behaves
//!   like a good CDN (strong ETags, 304s, ranges) and misbehaves on command
//!   (dropped connections, truncated, oversized, endless or trickled bodies,
//!   error statuses, replaced files, hangs), and counts every byte and logs
//!   every request it sees.
//! - [`fixture`]: publishers (the real `waymark-pack` binary) and phones
//!   (`waymark-core` content stores with a clock of their own).
//!
//! Nothing here runs in the apps; it exists so the sync client is tested
//! against a real server over real sockets.

#![warn(missing_docs)]

pub mod fault_server;
pub mod fixture;

pub use fault_server::{Fault, FaultRule, FaultServer, RequestRecord};
