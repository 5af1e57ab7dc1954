//! The TUF client workflow (specification 1.0.x, section 5).
//!
//! [`Updater::refresh`] brings a repository's trusted metadata up to date:
//! the root rotation chain (5.3), timestamp (5.4), snapshot (5.5) and
//! top-level targets (5.6); [`Updater::target`] looks a target up through
//! delegations (5.6.7: pre-order depth-first, terminating delegations,
//! path patterns, hash prefixes and hash bins). Every file is fetched with
//! an upper bound on its length, verified before it is stored, and stored
//! under its non-versioned name (`root.json`, `timestamp.json`, …) in a
//! [`MetadataStore`].
//!
//! Files come from a [`Remote`]: a server (sync's `HttpRemote`), or an
//! offline bundle, so a pack received by Bluetooth passes exactly the checks a
//! sync does.
//!
//! Metadata trusted earlier is the reference for rollback checks even when
//! it has expired; expiry is checked against one reference time taken when
//! the updater is made (freeze attacks). New metadata that fails a final
//! check (expired, or not the version its parent names) is never stored.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::digest::{Digests, check_hashes};
use super::metadata::{
    Envelope, Key, MetaFile, MetaList, RoleKeys, Root, SeenVersions, TargetFile, Targets,
};
use crate::error::{Error, MetadataRollback, Result, Untrusted};

/// Where a repository's trusted metadata is kept, by role name (`root`,
/// `timestamp`, `snapshot`, `targets`, or a delegated role's name).
pub trait MetadataStore {
    /// The trusted metadata of `role`, as received.
    fn load(&self, role: &str) -> Result<Option<Vec<u8>>>;
    /// The ETag `role`'s metadata came with.
    fn etag(&self, role: &str) -> Result<Option<String>>;
    /// Keeps `bytes` as the trusted metadata of `role`.
    fn store(&mut self, role: &str, bytes: &[u8], etag: Option<&str>) -> Result<()>;
}

/// A small file fetched into memory.
#[derive(Debug)]
pub enum Fetched {
    /// The server has it: its bytes and its ETag.
    Body {
        /// The file.
        bytes: Vec<u8>,
        /// Its entity tag, to ask next time whether it changed.
        etag: Option<String>,
    },
    /// It has not changed since the ETag given (HTTP 304).
    NotModified,
    /// The server does not have it (HTTP 404 or 403).
    NotFound,
}

/// Where a repository's metadata files come from.
pub trait Remote {
    /// Metadata file `name` (`timestamp.json`, `3.snapshot.json`, …): at
    /// most `max` bytes, conditional on `etag` when one is given.
    fn fetch(&mut self, name: &str, max: u64, etag: Option<&str>) -> Result<Fetched>;
}

/// Upper bounds on what is fetched.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest root metadata file.
    pub root: u64,
    /// Longest timestamp metadata file.
    pub timestamp: u64,
    /// Longest snapshot metadata file (when the timestamp gives no length).
    pub snapshot: u64,
    /// Longest targets metadata file (when the snapshot gives no length).
    pub targets: u64,
    /// Most root versions followed in one refresh.
    pub max_root_rotations: u64,
    /// Most targets roles visited to look one target up.
    pub max_delegations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            root: 512_000,
            timestamp: 16_384,
            snapshot: 2_000_000,
            targets: 5_000_000,
            max_root_rotations: 256,
            max_delegations: 32,
        }
    }
}

/// What a refresh found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// The timestamp had not changed (HTTP 304, or the same version).
    pub unchanged: bool,
    /// Root versions newly trusted.
    pub root_updates: u64,
    /// The versions now trusted.
    pub seen: SeenVersions,
}

/// Characters kept as they are in role names in URLs and file names
/// (Python's `urllib.parse.quote(name, "")`).
const ROLE_NAME: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A role name as it appears in file names and URLs.
pub fn escape_role(role: &str) -> String {
    utf8_percent_encode(role, ROLE_NAME).to_string()
}

/// One repository's client.
pub struct Updater<'a> {
    remote: &'a mut dyn Remote,
    store: &'a mut dyn MetadataStore,
    now: DateTime<Utc>,
    limits: Limits,
    floor: SeenVersions,
    root: Root,
    timestamp: Option<MetaList>,
    snapshot: Option<MetaList>,
    targets: HashMap<String, Targets>,
    /// The envelope each targets role in `targets` was read from: a role
    /// reached again (through another delegator) is verified again against
    /// the keys that delegator lists.
    envelopes: HashMap<String, Envelope>,
    fetched: u64,
    reissued_timestamps: bool,
}

impl<'a> Updater<'a> {
    /// An updater for the repository whose metadata `remote` serves,
    /// starting from the root trusted in `store`. `now` is the reference
    /// time for expiry; `floor` the versions seen by other means (offline
    /// bundles), below which nothing is accepted.
    pub fn new(
        remote: &'a mut dyn Remote,
        store: &'a mut dyn MetadataStore,
        now: DateTime<Utc>,
        floor: SeenVersions,
    ) -> Result<Self> {
        let bytes = store.load("root")?.ok_or(Untrusted::NoTrustedRoot)?;
        let envelope = Envelope::parse(&bytes)?;
        let root: Root = envelope.read("root")?;
        // The trusted root must be signed by a threshold of its own root
        // keys before anything is asked of the remote (spec 5.2).
        envelope.verify(&root, "root")?;
        Ok(Updater {
            remote,
            store,
            now,
            limits: Limits::default(),
            floor,
            root,
            timestamp: None,
            snapshot: None,
            targets: HashMap::new(),
            envelopes: HashMap::new(),
            fetched: 0,
            reissued_timestamps: false,
        })
    }

    /// Changes the length limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Accepts a timestamp of the trusted version that lives longer than
    /// the trusted one (same snapshot, same keys): an offline bundle
    /// carries the publisher's re-signed, longer-lived timestamp, which a
    /// phone that synced the short-lived one must be able to take. A sync
    /// keeps the trusted one, as the specification's reference client does.
    pub fn accept_reissued_timestamps(mut self) -> Self {
        self.reissued_timestamps = true;
        self
    }

    /// Bytes of metadata received so far (bodies).
    pub fn fetched(&self) -> u64 {
        self.fetched
    }

    /// The trusted root.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// Refreshes root, timestamp, snapshot and top-level targets.
    pub fn refresh(&mut self) -> Result<Refreshed> {
        let root_updates = self.update_root()?;
        let unchanged = self.update_timestamp()?;
        self.update_snapshot()?;
        self.top_targets()?;
        Ok(Refreshed {
            unchanged: unchanged && root_updates == 0,
            root_updates,
            seen: self.seen(),
        })
    }

    /// The publisher's offline timestamp (`offline-timestamp.json` beside
    /// `timestamp.json`, written by `waymark-pack publish`): the trusted
    /// timestamp re-signed to live longer, for bundles that travel for
    /// weeks. `None` when the repository has none, or one that is not the
    /// trusted timestamp's version, or not validly signed, or expired.
    /// Call after [`Updater::refresh`].
    pub fn offline_timestamp(&mut self) -> Result<Option<Vec<u8>>> {
        let Some(trusted) = &self.timestamp else {
            return Ok(None);
        };
        let version = trusted.version;
        let snapshot = trusted.meta.get("snapshot.json").map(|m| m.version);
        let bytes = match self.get("offline-timestamp.json", self.limits.timestamp, None) {
            Ok(Fetched::Body { bytes, .. }) => bytes,
            Ok(_) => return Ok(None),
            Err(Error::Cancelled) => return Err(Error::Cancelled),
            Err(_) => return Ok(None),
        };
        let keys = self.root.keys.clone();
        let role = self.root_role("timestamp")?;
        let Ok(env) = Envelope::parse(&bytes) else {
            return Ok(None);
        };
        if env.verify_with(&keys, &role, "timestamp").is_err() {
            return Ok(None);
        }
        let Ok(offline) = env.read::<MetaList>("timestamp") else {
            return Ok(None);
        };
        let fits = offline.version == version
            && offline.meta.get("snapshot.json").map(|m| m.version) == snapshot
            && offline.expires > self.now;
        Ok(fits.then_some(bytes))
    }

    /// The versions trusted now.
    pub fn seen(&self) -> SeenVersions {
        SeenVersions {
            timestamp: self.timestamp.as_ref().map_or(0, |t| t.version),
            snapshot: self.snapshot.as_ref().map_or(0, |s| s.version),
            targets: self.targets.get("targets").map_or(0, |t| t.version),
        }
    }

    /// The trusted top-level targets (after [`Updater::refresh`]).
    pub fn top_targets(&mut self) -> Result<&Targets> {
        let keys = self.root.keys.clone();
        let role =
            self.root
                .roles
                .get("targets")
                .cloned()
                .ok_or_else(|| Untrusted::MissingRole {
                    role: "targets".into(),
                })?;
        self.load_targets("targets", &keys, &role)?;
        Ok(&self.targets["targets"])
    }

    /// Looks `path` up: the top-level targets first, then the delegated
    /// roles trusted for it, depth first in priority order, stopping at a
    /// terminating delegation. `None` when no role lists it.
    pub fn target(&mut self, path: &str) -> Result<Option<TargetFile>> {
        self.top_targets()?;
        let mut to_visit: Vec<(String, Option<String>)> = vec![("targets".into(), None)];
        let mut visited: HashSet<String> = HashSet::new();
        while let Some((role, parent)) = to_visit.pop() {
            if visited.len() >= self.limits.max_delegations {
                break;
            }
            if !visited.insert(role.clone()) {
                continue;
            }
            if let Some(parent) = parent {
                let (keys, role_keys) = self.delegated_keys(&parent, &role)?;
                self.load_targets(&role, &keys, &role_keys)?;
            }
            let targets = &self.targets[&role];
            if let Some(file) = targets.targets.get(path) {
                return Ok(Some(file.clone()));
            }
            let Some(delegations) = &targets.delegations else {
                continue;
            };
            let mut children: Vec<(String, Option<String>)> = Vec::new();
            if let Some(roles) = &delegations.roles {
                for child in roles {
                    if child.matches(path) {
                        children.push((child.name.clone(), Some(role.clone())));
                        if child.terminating {
                            to_visit.clear();
                            break;
                        }
                    }
                }
            } else if let Some(bins) = &delegations.succinct_roles
                && let Some(bin) = bins.role_for(path)
            {
                children.push((bin, Some(role.clone())));
                to_visit.clear();
            }
            children.reverse();
            to_visit.extend(children);
        }
        Ok(None)
    }

    /// The keys a delegator lists for a delegated role.
    fn delegated_keys(
        &self,
        parent: &str,
        role: &str,
    ) -> Result<(BTreeMap<String, Key>, RoleKeys)> {
        let delegations =
            self.targets[parent]
                .delegations
                .as_ref()
                .ok_or_else(|| Untrusted::NoDelegations {
                    parent: parent.into(),
                })?;
        let role_keys = if let Some(roles) = &delegations.roles {
            roles.iter().find(|r| r.name == role).map(|r| RoleKeys {
                keyids: r.keyids.clone(),
                threshold: r.threshold,
            })
        } else {
            delegations
                .succinct_roles
                .as_ref()
                .filter(|b| b.is_bin(role))
                .map(|b| RoleKeys {
                    keyids: b.keyids.clone(),
                    threshold: b.threshold,
                })
        }
        .ok_or_else(|| Untrusted::NotDelegated {
            parent: parent.into(),
            role: role.into(),
        })?;
        Ok((delegations.keys.clone(), role_keys))
    }

    /// Fetches `name` from the remote; errors name the file.
    fn get(&mut self, name: &str, max: u64, etag: Option<&str>) -> Result<Fetched> {
        let fetched = self.remote.fetch(name, max, etag).map_err(|e| match e {
            Error::Untrusted(reason) => Error::Untrusted(Untrusted::InFile {
                file: name.into(),
                reason: Box::new(reason),
            }),
            Error::Network(m) => Error::Network(format!("{name}: {m}")),
            other => other,
        })?;
        if let Fetched::Body { bytes, .. } = &fetched {
            self.fetched += bytes.len() as u64;
        }
        Ok(fetched)
    }

    /// 5.3: follows the root rotation chain, each version signed by a
    /// threshold of the previous root's keys and of its own.
    fn update_root(&mut self) -> Result<u64> {
        let mut updates = 0;
        while updates < self.limits.max_root_rotations {
            let next = self.root.version + 1;
            let bytes = match self.get(&format!("{next}.root.json"), self.limits.root, None)? {
                Fetched::Body { bytes, .. } => bytes,
                Fetched::NotFound | Fetched::NotModified => break,
            };
            let env = Envelope::parse(&bytes)?;
            let new: Root = env.read("root")?;
            env.verify(&self.root, "root")
                .map_err(|e| in_root_version(next, e))?;
            if new.version != next {
                return Err(Untrusted::RootVersionMismatch {
                    expected: next,
                    found: new.version,
                }
                .into());
            }
            env.verify(&new, "root")
                .map_err(|e| in_root_version(next, e))?;
            if role_keys_changed(&self.root, &new, "timestamp")
                || role_keys_changed(&self.root, &new, "snapshot")
            {
                // 5.3.11: metadata signed by rotated-out keys no longer
                // bounds what is accepted (recovery from a fast-forward).
                self.floor.timestamp = 0;
                self.floor.snapshot = 0;
            }
            self.store.store("root", &bytes, None)?;
            self.root = new;
            updates += 1;
        }
        if self.root.expires <= self.now {
            return Err(expired("root"));
        }
        Ok(updates)
    }

    /// Verifies stored metadata of a role; `None` when absent or no longer
    /// valid under the current keys.
    fn local<T: serde::de::DeserializeOwned>(
        &self,
        role: &str,
        kind: &str,
        keys: &BTreeMap<String, Key>,
        role_keys: &RoleKeys,
    ) -> Result<Option<T>> {
        Ok(self
            .local_with_envelope(role, kind, keys, role_keys)?
            .map(|(t, _)| t))
    }

    /// [`Self::local`], with the envelope it was read from.
    fn local_with_envelope<T: serde::de::DeserializeOwned>(
        &self,
        role: &str,
        kind: &str,
        keys: &BTreeMap<String, Key>,
        role_keys: &RoleKeys,
    ) -> Result<Option<(T, Envelope)>> {
        let Some(bytes) = self.store.load(role)? else {
            return Ok(None);
        };
        let Ok(env) = Envelope::parse(&bytes) else {
            return Ok(None);
        };
        if env.verify_with(keys, role_keys, role).is_err() {
            return Ok(None);
        }
        Ok(env.read(kind).ok().map(|t| (t, env)))
    }

    fn root_role(&self, role: &str) -> Result<RoleKeys> {
        self.root
            .roles
            .get(role)
            .cloned()
            .ok_or_else(|| Untrusted::MissingRole { role: role.into() }.into())
    }

    /// 5.4: the timestamp, conditional on the trusted one's ETag. Returns
    /// whether it is unchanged.
    fn update_timestamp(&mut self) -> Result<bool> {
        let keys = self.root.keys.clone();
        let role = self.root_role("timestamp")?;
        let trusted: Option<MetaList> = self.local("timestamp", "timestamp", &keys, &role)?;
        let etag = match &trusted {
            Some(_) => self.store.etag("timestamp")?,
            None => None,
        };
        let fetched = self.get("timestamp.json", self.limits.timestamp, etag.as_deref())?;
        let unchanged = match fetched {
            Fetched::NotFound => {
                return Err(Error::Network(
                    "the repository has no timestamp.json".into(),
                ));
            }
            // A 304 answers only a conditional request; the trusted
            // timestamp may be a bundle's longer-lived one, which must not
            // stand in for what the server has now.
            Fetched::NotModified if etag.is_none() => {
                return Err(Untrusted::UnaskedNotModified.into());
            }
            Fetched::NotModified => {
                self.timestamp = trusted;
                true
            }
            Fetched::Body { bytes, etag } => {
                let env = Envelope::parse(&bytes)?;
                env.verify_with(&keys, &role, "timestamp")?;
                let new: MetaList = env.read("timestamp")?;
                let snapshot_version =
                    |t: &MetaList| t.meta.get("snapshot.json").map(|m| m.version);
                if snapshot_version(&new).is_none() {
                    return Err(Untrusted::NoSnapshotListed.into());
                }
                let mut same = false;
                if let Some(old) = &trusted {
                    if new.version < old.version {
                        return Err(rollback(MetadataRollback::BelowTrusted {
                            role: "timestamp".into(),
                            offered: new.version,
                            trusted: old.version,
                        }));
                    }
                    same = new.version == old.version;
                    if snapshot_version(&new) < snapshot_version(old) {
                        return Err(rollback(MetadataRollback::OlderSnapshot));
                    }
                }
                if new.version < self.floor.timestamp {
                    return Err(rollback(MetadataRollback::BelowSeen {
                        role: "timestamp".into(),
                        offered: new.version,
                        seen: self.floor.timestamp,
                    }));
                }
                let reissued = self.reissued_timestamps
                    && trusted.as_ref().is_some_and(|old| {
                        new.expires > old.expires && snapshot_version(&new) == snapshot_version(old)
                    });
                if same && !reissued {
                    // The same version: keep the trusted one; remember the
                    // ETag when the bytes are the same. What the server
                    // serves must itself be fresh: the trusted one may be a
                    // bundle's re-signed, longer-lived timestamp, which
                    // must not extend what a network sync accepts (a frozen
                    // or replayed timestamp fails at its own expiry).
                    if new.expires <= self.now {
                        return Err(expired("timestamp"));
                    }
                    if self.store.load("timestamp")?.as_deref() == Some(&bytes[..]) {
                        self.store.store("timestamp", &bytes, etag.as_deref())?;
                    }
                    self.timestamp = trusted;
                } else {
                    if new.expires <= self.now {
                        return Err(expired("timestamp"));
                    }
                    self.store.store("timestamp", &bytes, etag.as_deref())?;
                    self.timestamp = Some(new);
                }
                same
            }
        };
        let ts = self.timestamp.as_ref().ok_or_else(|| {
            Untrusted::Other("the server says nothing changed, but no timestamp is trusted".into())
        })?;
        if ts.expires <= self.now {
            return Err(expired("timestamp"));
        }
        Ok(unchanged)
    }

    /// 5.5: the snapshot the timestamp names.
    fn update_snapshot(&mut self) -> Result<()> {
        let meta = self
            .timestamp
            .as_ref()
            .expect("timestamp before snapshot")
            .meta["snapshot.json"]
            .clone();
        let keys = self.root.keys.clone();
        let role = self.root_role("snapshot")?;
        let trusted: Option<MetaList> = self.local("snapshot", "snapshot", &keys, &role)?;
        if let Some(t) = &trusted
            && t.version == meta.version
            && t.expires > self.now
        {
            self.snapshot = trusted;
            return Ok(());
        }
        let name = if self.root.consistent_snapshot {
            format!("{}.snapshot.json", meta.version)
        } else {
            "snapshot.json".into()
        };
        let bytes = self.fetch_listed(&name, "snapshot", &meta, self.limits.snapshot)?;
        let env = Envelope::parse(&bytes)?;
        env.verify_with(&keys, &role, "snapshot")?;
        let new: MetaList = env.read("snapshot")?;
        if let Some(old) = &trusted {
            for (file, info) in &old.meta {
                match new.meta.get(file) {
                    None => {
                        return Err(rollback(MetadataRollback::Dropped { file: file.clone() }));
                    }
                    Some(n) if n.version < info.version => {
                        return Err(rollback(MetadataRollback::FileBelowTrusted {
                            file: file.clone(),
                            offered: n.version,
                            trusted: info.version,
                        }));
                    }
                    Some(_) => {}
                }
            }
        }
        if new.version < self.floor.snapshot {
            return Err(rollback(MetadataRollback::BelowSeen {
                role: "snapshot".into(),
                offered: new.version,
                seen: self.floor.snapshot,
            }));
        }
        if new.version != meta.version {
            return Err(Untrusted::MixAndMatch {
                role: "snapshot".into(),
                version: new.version,
                expected: meta.version,
            }
            .into());
        }
        if new.expires <= self.now {
            return Err(expired("snapshot"));
        }
        self.store.store("snapshot", &bytes, None)?;
        self.snapshot = Some(new);
        Ok(())
    }

    /// Fetches a metadata file its parent lists, checking its length and
    /// hashes when the parent gives them.
    fn fetch_listed(
        &mut self,
        name: &str,
        role: &str,
        meta: &MetaFile,
        max: u64,
    ) -> Result<Vec<u8>> {
        let max = meta.length.unwrap_or(max);
        let bytes = match self.get(name, max, None)? {
            Fetched::Body { bytes, .. } => bytes,
            _ => {
                return Err(Error::Network(format!(
                    "the repository has no {role} metadata version {}",
                    meta.version
                )));
            }
        };
        if meta.length.is_some_and(|len| bytes.len() as u64 != len) {
            return Err(Untrusted::MetadataLength { role: role.into() }.into());
        }
        if let Some(hashes) = &meta.hashes {
            check_hashes(hashes, &Digests::of(&bytes)).map_err(|reason| {
                Untrusted::MetadataHashes {
                    role: role.into(),
                    reason: Box::new(reason),
                }
            })?;
        }
        Ok(bytes)
    }

    /// 5.6: a targets role's metadata (top-level or delegated), as the
    /// snapshot names it.
    fn load_targets(
        &mut self,
        role: &str,
        keys: &BTreeMap<String, Key>,
        role_keys: &RoleKeys,
    ) -> Result<()> {
        if let Some(env) = self.envelopes.get(role) {
            env.verify_with(keys, role_keys, role)?;
            return Ok(());
        }
        let snapshot = self.snapshot.as_ref().expect("snapshot before targets");
        if snapshot.expires <= self.now {
            return Err(expired("snapshot"));
        }
        let meta = snapshot
            .meta
            .get(&format!("{role}.json"))
            .cloned()
            .ok_or_else(|| Untrusted::NotListed { role: role.into() })?;
        if let Some((t, env)) =
            self.local_with_envelope::<Targets>(role, "targets", keys, role_keys)?
            && t.version == meta.version
            && t.expires > self.now
        {
            check_delegated_names(role, &t)?;
            self.envelopes.insert(role.to_owned(), env);
            self.targets.insert(role.to_owned(), t);
            return Ok(());
        }
        let escaped = escape_role(role);
        let name = if self.root.consistent_snapshot {
            format!("{}.{escaped}.json", meta.version)
        } else {
            format!("{escaped}.json")
        };
        let bytes = self.fetch_listed(&name, role, &meta, self.limits.targets)?;
        let env = Envelope::parse(&bytes)?;
        env.verify_with(keys, role_keys, role)?;
        let new: Targets = env.read("targets")?;
        check_delegated_names(role, &new)?;
        if role == "targets" && new.version < self.floor.targets {
            return Err(rollback(MetadataRollback::BelowSeen {
                role: "targets".into(),
                offered: new.version,
                seen: self.floor.targets,
            }));
        }
        if new.version != meta.version {
            return Err(Untrusted::MixAndMatch {
                role: role.into(),
                version: new.version,
                expected: meta.version,
            }
            .into());
        }
        if new.expires <= self.now {
            return Err(expired(role));
        }
        self.store.store(role, &bytes, None)?;
        self.envelopes.insert(role.to_owned(), env);
        self.targets.insert(role.to_owned(), new);
        Ok(())
    }
}

/// The names of the top-level roles, which no delegation may use: their
/// metadata is kept under the same names.
const TOP_LEVEL_ROLES: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

/// Refuses targets metadata that delegates to a top-level role's name (as
/// python-tuf does).
fn check_delegated_names(role: &str, targets: &Targets) -> Result<()> {
    let names = targets
        .delegations
        .iter()
        .flat_map(|d| d.roles.iter().flatten())
        .map(|r| r.name.as_str());
    for name in names {
        if TOP_LEVEL_ROLES.contains(&name) {
            return Err(Untrusted::ReservedRoleName {
                parent: role.into(),
                role: name.into(),
            }
            .into());
        }
    }
    Ok(())
}

fn expired(role: &str) -> Error {
    Untrusted::Expired { role: role.into() }.into()
}

fn rollback(kind: MetadataRollback) -> Error {
    Untrusted::Rollback(kind).into()
}

/// A new root version's failed check, naming the version.
fn in_root_version(version: u64, e: Error) -> Error {
    match e {
        Error::Untrusted(reason) => Untrusted::RootVersion {
            version,
            reason: Box::new(reason),
        },
        // Canonical JSON of what was received failed: as it always read.
        other => Untrusted::Other(format!("root version {version}: {other}")),
    }
    .into()
}

fn role_keys_changed(old: &Root, new: &Root, role: &str) -> bool {
    old.roles.get(role).map(|r| &r.keyids) != new.roles.get(role).map(|r| &r.keyids)
}

/// The URL of a target file: with consistent snapshots, its file name is
/// prefixed with one of its hashes (sha256 when listed).
pub fn target_url(base: &str, path: &str, file: &TargetFile, consistent: bool) -> String {
    let base = base.trim_end_matches('/');
    if !consistent {
        return format!("{base}/{path}");
    }
    format!("{base}/{}", consistent_target_path(path, file))
}

/// Where a repository with consistent snapshots keeps the target at
/// `path`: its file name prefixed with one of its hashes (sha256 when
/// listed), `packs/<hash>.p.wmpack`.
pub fn consistent_target_path(path: &str, file: &TargetFile) -> String {
    let hash = file
        .hashes
        .get("sha256")
        .or_else(|| file.hashes.values().next())
        .map(String::as_str)
        .unwrap_or_default();
    match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{hash}.{name}"),
        None => format!("{hash}.{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_escaped_like_python() {
        assert_eq!(escape_role("targets"), "targets");
        assert_eq!(escape_role("a/b c"), "a%2Fb%20c");
        assert_eq!(escape_role("bins-0f.x~"), "bins-0f.x~");
    }

    #[test]
    fn consistent_target_urls_carry_the_hash() {
        let file = TargetFile::describe(b"x");
        let hash = &file.hashes["sha256"];
        assert_eq!(
            target_url("http://h/targets/", "packs/a.wmpack", &file, true),
            format!("http://h/targets/packs/{hash}.a.wmpack")
        );
        assert_eq!(
            target_url("http://h/targets", "a.txt", &file, false),
            "http://h/targets/a.txt"
        );
    }
}
