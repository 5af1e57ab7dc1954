//! [`HttpRemote`]: a repository's metadata fetched over HTTP, the
//! [`Remote`] a sync's updater reads from.

use super::http::{CancelToken, Http};
use crate::error::Result;
use crate::tuf::{Fetched, Remote};

/// A repository's metadata on a server.
pub struct HttpRemote<'a> {
    http: &'a Http,
    cancel: &'a CancelToken,
    base: String,
}

impl<'a> HttpRemote<'a> {
    /// The metadata at `metadata_url` (the directory holding
    /// `timestamp.json`), fetched with `http` until `cancel` is cancelled.
    pub fn new(http: &'a Http, cancel: &'a CancelToken, metadata_url: &str) -> Self {
        HttpRemote {
            http,
            cancel,
            base: metadata_url.trim_end_matches('/').to_owned(),
        }
    }
}

impl Remote for HttpRemote<'_> {
    fn fetch(&mut self, name: &str, max: u64, etag: Option<&str>) -> Result<Fetched> {
        self.cancel.check()?;
        let url = format!("{}/{name}", self.base);
        self.http.fetch(&url, max, etag, self.cancel)
    }
}
