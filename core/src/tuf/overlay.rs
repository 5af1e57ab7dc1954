//! A [`MetadataStore`] layered over another that writes nowhere until
//! told, so what an updater trusted is kept only once the caller's own
//! step (installing a pack) succeeded.

use std::collections::BTreeMap;

use super::updater::MetadataStore;
use crate::error::Result;

/// Metadata stores that write nowhere until told: an updater checking an
/// offline bundle works on one, and what it trusted is kept only once the
/// pack is installed (a refused bundle changes nothing).
pub struct Overlay<'b> {
    base: Option<&'b dyn MetadataStore>,
    pending: BTreeMap<String, (Vec<u8>, Option<String>)>,
    /// Every root stored, in order: each version of the chain is kept.
    roots: Vec<Vec<u8>>,
}

impl<'b> Overlay<'b> {
    /// Reads fall through to `base`.
    pub fn over(base: &'b dyn MetadataStore) -> Self {
        Overlay {
            base: Some(base),
            pending: BTreeMap::new(),
            roots: Vec::new(),
        }
    }

    /// Holds only `root`: everything else the updater sees comes from the
    /// remote and is verified afresh.
    pub fn with_root(root: &[u8]) -> Self {
        let mut overlay = Overlay {
            base: None,
            pending: BTreeMap::new(),
            roots: Vec::new(),
        };
        overlay.pending.insert("root".into(), (root.to_vec(), None));
        overlay
    }

    /// Writes what was stored here to `target`, roots in the order they
    /// were trusted.
    pub fn commit(self, target: &mut dyn MetadataStore) -> Result<()> {
        for root in &self.roots {
            target.store("root", root, None)?;
        }
        for (role, (bytes, etag)) in &self.pending {
            if role != "root" {
                target.store(role, bytes, etag.as_deref())?;
            }
        }
        Ok(())
    }
}

impl MetadataStore for Overlay<'_> {
    fn load(&self, role: &str) -> Result<Option<Vec<u8>>> {
        match (self.pending.get(role), self.base) {
            (Some((bytes, _)), _) => Ok(Some(bytes.clone())),
            (None, Some(base)) => base.load(role),
            (None, None) => Ok(None),
        }
    }

    fn etag(&self, role: &str) -> Result<Option<String>> {
        match (self.pending.get(role), self.base) {
            (Some((_, etag)), _) => Ok(etag.clone()),
            (None, Some(base)) => base.etag(role),
            (None, None) => Ok(None),
        }
    }

    fn store(&mut self, role: &str, bytes: &[u8], etag: Option<&str>) -> Result<()> {
        if role == "root" {
            self.roots.push(bytes.to_vec());
        }
        self.pending
            .insert(role.to_owned(), (bytes.to_vec(), etag.map(str::to_owned)));
        Ok(())
    }
}
