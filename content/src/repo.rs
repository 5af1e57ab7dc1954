//! The publisher's TUF repository (specification 1.0): root, targets,
//! snapshot and timestamp metadata in canonical JSON, signed with each
//! role's key (ed25519, ECDSA P-256 or RSA; see [`crate::keys`]),
//! consistent snapshots so a CDN can cache every file but `timestamp.json`
//! forever.
//!
//! ```text
//! REPODIR/metadata/N.root.json, root.json (newest), N.targets.json,
//!                  N.snapshot.json, timestamp.json
//! REPODIR/targets/packs/<sha256>.<pack-id>.wmpack
//! REPODIR/targets/patches/<pack-id>/<sha256>.<from>-<to>.wmpatch
//! REPODIR/publisher.json                 the card phones trust
//! REPODIR/bundles/<pack-id>.wmbundle     offline bundles (pack + metadata)
//! REPODIR/metadata/offline-timestamp.json the bundles' longer-lived timestamp
//! REPODIR/history/<pack-id>.json         every version published, and its file
//! ```
//!
//! Each new version of a pack comes with patches from the last few
//! versions published (`--patches K`), so a phone downloads what changed.
//! Old pack files stay under `targets/` (consistent snapshots never remove
//! a file a cached snapshot may name), and `history/` remembers which file
//! holds which version. Patch targets to an older version are dropped from
//! the targets metadata when a newer version is published.
//!
//! Files are written to a temporary name and renamed, targets first and
//! `timestamp.json` last, so a client never sees metadata naming a file that
//! is not there yet. Every piece of metadata a command writes is signed
//! before the first is written, so a key that fails to sign writes nothing.
//!
//! Metadata expires (see [`Expiries`] for the defaults), so
//! [`Repo::refresh`] re-signs what is close to expiry when nothing new is
//! published: the timestamp every time, the others within
//! [`Expiries::margin`]. `publish` and `refresh` load the online keys only;
//! the root key signs only to create the repository, rotate a key, or renew
//! the root. Before writing, they check the key directory's ledger
//! ([`crate::ledger`]) and refuse a repository restored from an older copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use waymark_core::content::model::PackManifest;
use waymark_core::content::pack::PackReader;
use waymark_core::content::target::{ContentDigest, PackTargetCustom, PatchTargetCustom};
use waymark_core::content::{BundleInfo, PublisherCard, write_bundle};
use waymark_core::tuf::{
    Envelope, MetaFile, MetaList, MetadataSet, RoleKeys as TufRole, Root, SPEC_VERSION, TargetFile,
    Targets, consistent_target_path,
};

use crate::keys::{self, KeySources, KeyType, Private, RoleKeys, Signer, key_path, pub_path, sign};
use crate::ledger::{self, Versions};
use crate::patch::{Content, decompress, make_patch};
use crate::{Report, fail};

/// How many earlier versions of a pack get a patch to a new version,
/// unless `--patches` says otherwise.
pub const DEFAULT_PATCHES: usize = 3;

/// The versions of one pack published so far (`history/<pack-id>.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct History {
    pack: String,
    versions: Vec<Published>,
}

/// One published version of a pack and the file that holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Published {
    version: u64,
    /// The pack file, under `targets/`.
    file: String,
    length: u64,
    sha256: String,
}

/// How long each role's metadata stays valid.
#[derive(Debug, Clone, Copy)]
pub struct Expiries {
    /// Root, days.
    pub root_days: i64,
    /// Targets, days.
    pub targets_days: i64,
    /// Snapshot, days.
    pub snapshot_days: i64,
    /// Timestamp, hours (short: it is what proves freshness).
    pub timestamp_hours: i64,
    /// The timestamp inside offline bundles, days. Bundles travel by SD
    /// card and messaging apps for weeks, so they carry their own timestamp
    /// (same version, same key) that lives longer; never beyond the
    /// snapshot it names. A phone shows every entry's age either way.
    pub bundle_days: i64,
}

impl Default for Expiries {
    fn default() -> Self {
        Expiries {
            root_days: 365,
            targets_days: 90,
            snapshot_days: 30,
            timestamp_hours: 24,
            bundle_days: 30,
        }
    }
}

impl Expiries {
    /// How long `role`'s metadata stays valid when signed.
    pub fn period(&self, role: &str) -> Duration {
        match role {
            "root" => Duration::days(self.root_days),
            "targets" => Duration::days(self.targets_days),
            "snapshot" => Duration::days(self.snapshot_days),
            _ => Duration::hours(self.timestamp_hours),
        }
    }

    /// `role`'s metadata is re-signed once less than this is left: half
    /// its life, and at most [`RENEW_WITHIN_DAYS`] days. (The timestamp
    /// is re-signed every time.)
    pub fn margin(&self, role: &str) -> Duration {
        (self.period(role) / 2).min(Duration::days(RENEW_WITHIN_DAYS))
    }
}

/// At most this many days before it expires, a role's metadata is
/// re-signed by `refresh` (see [`Expiries::margin`]).
pub const RENEW_WITHIN_DAYS: i64 = 30;

/// `publish` and `refresh` warn when a role's metadata expires within this
/// many days and needs a key that is not at hand.
pub const WARN_WITHIN_DAYS: i64 = 30;

/// The environment variable that sets the time `waymark-pack` signs at
/// (RFC 3339), for tests and rehearsals ("what happens in 40 days?").
pub const NOW_VARIABLE: &str = "WAYMARK_PACK_NOW";

static CLOCK: std::sync::OnceLock<Option<DateTime<Utc>>> = std::sync::OnceLock::new();

/// Reads [`NOW_VARIABLE`] once; fails with a clear message when it is set
/// but is not an RFC 3339 time. Says on stderr that the clock is set.
pub fn init_clock() -> Result<(), Report> {
    let set = match std::env::var(NOW_VARIABLE) {
        Ok(text) if !text.trim().is_empty() => {
            let at = DateTime::parse_from_rfc3339(text.trim()).map_err(|_| {
                Report::message(format!(
                    "{NOW_VARIABLE} is not an RFC 3339 time (e.g. 2027-01-31T12:00:00Z)"
                ))
            })?;
            let at = at.with_timezone(&Utc).trunc_subsecs(0);
            eprintln!("note: signing as if it were {at} ({NOW_VARIABLE})");
            Some(at)
        }
        _ => None,
    };
    let _ = CLOCK.set(set);
    Ok(())
}

/// The time metadata is signed at: the system clock, or [`NOW_VARIABLE`].
pub fn now() -> DateTime<Utc> {
    CLOCK
        .get()
        .copied()
        .flatten()
        .unwrap_or_else(|| Utc::now().trunc_subsecs(0))
}

/// What a repository publishes now: its top-level metadata.
struct Current {
    root: Root,
    timestamp: MetaList,
    snapshot: MetaList,
    snapshot_bytes: Vec<u8>,
    targets: Targets,
    targets_bytes: Vec<u8>,
}

impl Current {
    fn expires(&self, role: &str) -> DateTime<Utc> {
        match role {
            "root" => self.root.expires,
            "targets" => self.targets.expires,
            "snapshot" => self.snapshot.expires,
            _ => self.timestamp.expires,
        }
    }
}

/// "in 3 days", "in 5 hours", or "3 days ago".
fn from_now(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = at - now;
    let (n, unit) = if d.num_days().abs() >= 2 {
        (d.num_days(), "days")
    } else {
        (d.num_hours(), "hours")
    };
    if d > Duration::zero() {
        format!("in {n} {unit}")
    } else {
        format!("{} {unit} ago", -n)
    }
}

/// A repository on disk.
pub struct Repo {
    dir: PathBuf,
}

impl Repo {
    /// The repository in `dir`.
    pub fn new(dir: &Path) -> Self {
        Repo {
            dir: dir.to_path_buf(),
        }
    }

    fn meta(&self, name: &str) -> PathBuf {
        self.dir.join("metadata").join(name)
    }

    fn read(&self, name: &str) -> Result<Option<Envelope>, Report> {
        match std::fs::read(self.meta(name)) {
            Ok(bytes) => Ok(Some(Envelope::parse(&bytes)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn write_meta(&self, name: &str, env: &Envelope) -> Result<Vec<u8>, Report> {
        let bytes = env.to_bytes()?;
        write_atomic(&self.meta(name), &bytes)?;
        Ok(bytes)
    }

    /// The newest root, if the repository exists.
    pub fn root(&self) -> Result<Option<Root>, Report> {
        Ok(match self.read("root.json")? {
            Some(env) => Some(env.read("root")?),
            None => None,
        })
    }

    /// The current targets metadata, if any.
    fn targets(&self) -> Result<Option<Targets>, Report> {
        let Some(ts) = self.read("timestamp.json")? else {
            return Ok(None);
        };
        let ts: MetaList = ts.read("timestamp")?;
        let snap_v = ts
            .meta
            .get("snapshot.json")
            .map(|m| m.version)
            .unwrap_or_default();
        let Some(snap) = self.read(&format!("{snap_v}.snapshot.json"))? else {
            return fail("the repository's timestamp names a snapshot that is missing");
        };
        let snap: MetaList = snap.read("snapshot")?;
        let t_v = snap
            .meta
            .get("targets.json")
            .map(|m| m.version)
            .unwrap_or_default();
        match self.read(&format!("{t_v}.targets.json"))? {
            Some(t) => Ok(Some(t.read("targets")?)),
            None => fail("the repository's snapshot names targets metadata that is missing"),
        }
    }

    fn version_of(&self, name: &str, kind: &str) -> Result<u64, Report> {
        Ok(match self.read(name)? {
            Some(env) => env.read::<MetaList>(kind)?.version,
            None => 0,
        })
    }

    fn root_meta(version: u64, keys: &RoleKeys, expires: DateTime<Utc>) -> Result<Root, Report> {
        let mut all = BTreeMap::new();
        let mut roles = BTreeMap::new();
        for role in keys::ROLES {
            let signer = keys.get(role);
            let id = signer.id().to_owned();
            all.insert(id.clone(), signer.key().clone());
            roles.insert(
                role.to_string(),
                TufRole {
                    keyids: vec![id],
                    threshold: 1,
                },
            );
        }
        Ok(Root {
            kind: "root".into(),
            spec_version: SPEC_VERSION.into(),
            version,
            expires,
            consistent_snapshot: true,
            keys: all,
            roles,
        })
    }

    /// Fails unless the keys loaded in `keys` are the keys the newest root
    /// names.
    fn check_keys(root: &Root, keys: &RoleKeys) -> Result<(), Report> {
        for role in keys::ROLES {
            let Some(signer) = keys.find(role) else {
                continue;
            };
            let id = signer.id().to_owned();
            if !root.roles.get(role).is_some_and(|r| r.keyids.contains(&id)) {
                return fail(format!(
                    "the {role} key in the key directory is not the repository's {role} key"
                ));
            }
        }
        Ok(())
    }

    /// Creates the repository's first root if there is none.
    fn ensure_root(&self, keys: &RoleKeys, exp: Expiries) -> Result<Root, Report> {
        if let Some(root) = self.root()? {
            Self::check_keys(&root, keys)?;
            return Ok(root);
        }
        // (A root named by its public key alone fails to sign below, and
        // says so.)
        if keys.find("root").is_none() {
            return fail(format!(
                "creating the repository in {} needs the root key's signature: give its \
                 private key (KEYDIR/root.key or --key root=FILE) or a signing command \
                 (--sign-command root=CMD)",
                self.dir.display()
            ));
        }
        let root = Self::root_meta(1, keys, now() + Duration::days(exp.root_days))?;
        let env = sign(&root, &[keys.get("root")])?;
        self.write_meta("1.root.json", &env)?;
        self.write_meta("root.json", &env)?;
        Ok(root)
    }

    /// What the repository publishes now; `None` when there is no
    /// repository.
    fn current(&self) -> Result<Option<Current>, Report> {
        let Some(root) = self.root()? else {
            return Ok(None);
        };
        let Some(ts) = self.read("timestamp.json")? else {
            return Ok(None);
        };
        let timestamp: MetaList = ts.read("timestamp")?;
        let Some(s_v) = timestamp.meta.get("snapshot.json").map(|m| m.version) else {
            return fail("the repository's timestamp names no snapshot");
        };
        let snapshot_bytes = match std::fs::read(self.meta(&format!("{s_v}.snapshot.json"))) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return fail("the repository's timestamp names a snapshot that is missing");
            }
            Err(e) => return Err(e.into()),
        };
        let snapshot: MetaList = Envelope::parse(&snapshot_bytes)?.read("snapshot")?;
        let Some(t_v) = snapshot.meta.get("targets.json").map(|m| m.version) else {
            return fail("the repository's snapshot names no targets metadata");
        };
        let targets_bytes = match std::fs::read(self.meta(&format!("{t_v}.targets.json"))) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return fail("the repository's snapshot names targets metadata that is missing");
            }
            Err(e) => return Err(e.into()),
        };
        let targets: Targets = Envelope::parse(&targets_bytes)?.read("targets")?;
        Ok(Some(Current {
            root,
            timestamp,
            snapshot,
            snapshot_bytes,
            targets,
            targets_bytes,
        }))
    }

    /// The repository's id (see [`ledger`]) and the versions it holds now.
    fn versions(&self) -> Result<Option<(String, Versions)>, Report> {
        let Some(cur) = self.current()? else {
            return Ok(None);
        };
        let first = std::fs::read(self.meta("1.root.json"))?;
        Ok(Some((
            ledger::repository_id(&first),
            Versions {
                root: cur.root.version,
                targets: cur.targets.version,
                snapshot: cur.snapshot.version,
                timestamp: cur.timestamp.version,
            },
        )))
    }

    /// Refuses a repository older than what the keys last wrote to it.
    fn refuse_older_copy(&self, sources: &KeySources) -> Result<(), Report> {
        match self.versions()? {
            Some((id, versions)) => ledger::check(&sources.dir, &id, versions, &self.dir),
            None => Ok(()),
        }
    }

    /// Records the versions the repository holds now in the key
    /// directory's ledger.
    fn record_versions(&self, sources: &KeySources) -> Result<(), Report> {
        if let Some((id, versions)) = self.versions()? {
            ledger::record(&sources.dir, &id, versions, now());
        }
        Ok(())
    }

    /// Signs and writes new targets, snapshot and timestamp metadata: all
    /// three are signed before any is written.
    fn commit_targets(
        &self,
        keys: &RoleKeys,
        targets: BTreeMap<String, TargetFile>,
        exp: Expiries,
    ) -> Result<(), Report> {
        let t_version = self.targets()?.map_or(0, |t| t.version) + 1;
        let targets = Targets {
            kind: "targets".into(),
            spec_version: SPEC_VERSION.into(),
            version: t_version,
            expires: now() + exp.period("targets"),
            targets,
            delegations: None,
        };
        let t_bytes = sign(&targets, &[keys.get("targets")])?.to_bytes()?;
        let ts_version = self.version_of("timestamp.json", "timestamp")? + 1;
        let (s_version, s_bytes) = Self::sign_snapshot(keys, ts_version, t_version, &t_bytes, exp)?;
        let ts_bytes = Self::sign_timestamp(keys, ts_version, s_version, &s_bytes, exp)?;
        write_atomic(&self.meta(&format!("{t_version}.targets.json")), &t_bytes)?;
        write_atomic(&self.meta(&format!("{s_version}.snapshot.json")), &s_bytes)?;
        write_atomic(&self.meta("timestamp.json"), &ts_bytes)?;
        Ok(())
    }

    /// A signed snapshot, version `version`, naming targets version
    /// `t_version` (`t_bytes`).
    fn sign_snapshot(
        keys: &RoleKeys,
        version: u64,
        t_version: u64,
        t_bytes: &[u8],
        exp: Expiries,
    ) -> Result<(u64, Vec<u8>), Report> {
        let snapshot = MetaList {
            kind: "snapshot".into(),
            spec_version: SPEC_VERSION.into(),
            version,
            expires: now() + exp.period("snapshot"),
            meta: [("targets.json".to_string(), meta_file(t_version, t_bytes))].into(),
        };
        Ok((
            version,
            sign(&snapshot, &[keys.get("snapshot")])?.to_bytes()?,
        ))
    }

    /// A signed timestamp, version `version`, naming snapshot version
    /// `s_version` (`s_bytes`).
    fn sign_timestamp(
        keys: &RoleKeys,
        version: u64,
        s_version: u64,
        s_bytes: &[u8],
        exp: Expiries,
    ) -> Result<Vec<u8>, Report> {
        let timestamp = MetaList {
            kind: "timestamp".into(),
            spec_version: SPEC_VERSION.into(),
            version,
            expires: now() + exp.period("timestamp"),
            meta: [("snapshot.json".to_string(), meta_file(s_version, s_bytes))].into(),
        };
        Ok(sign(&timestamp, &[keys.get("timestamp")])?.to_bytes()?)
    }

    /// The current root re-signed as the next version with the same keys,
    /// living `exp.root_days` from now.
    fn sign_renewed_root(
        root: &Root,
        keys: &RoleKeys,
        exp: Expiries,
    ) -> Result<(u64, Vec<u8>), Report> {
        let mut renewed = root.clone();
        renewed.version = root.version + 1;
        renewed.expires = now() + exp.period("root");
        Ok((
            renewed.version,
            sign(&renewed, &[keys.get("root")])?.to_bytes()?,
        ))
    }

    /// Fails when `role` has expired and this run cannot re-sign it:
    /// phones would refuse the repository whatever else is written.
    fn refuse_expired(
        role: &str,
        expires: DateTime<Utc>,
        renewing: bool,
        root: &Root,
        sources: &KeySources,
    ) -> Result<(), Report> {
        if renewing || expires > now() {
            return Ok(());
        }
        fail(format!(
            "the {role} metadata expired on {expires} and phones refuse the repository until it \
             is re-signed, which needs {}; nothing was written",
            key_needed(role, root, sources)
        ))
    }

    /// Re-signs what is about to expire, with the keys at hand: the
    /// timestamp every time; the snapshot, targets and root metadata when
    /// less than [`Expiries::margin`] is left (or when named in `renew`).
    /// The root key is needed only to renew the root. Refuses, writing
    /// nothing, when a role has expired and its key is not at hand.
    pub fn refresh(
        &self,
        sources: &KeySources,
        exp: Expiries,
        renew: &[String],
    ) -> Result<(), Report> {
        for role in renew {
            if !keys::ROLES.contains(&role.as_str()) {
                return fail(format!(
                    "unknown role '{role}': one of root, targets, snapshot, timestamp"
                ));
            }
        }
        let Some(cur) = self.current()? else {
            return fail(format!(
                "no repository in {}: publish a pack first",
                self.dir.display()
            ));
        };
        let at = now();
        let asked = |role: &str| renew.iter().any(|r| r == role);
        let due = |role: &str| asked(role) || cur.expires(role) - at < exp.margin(role);
        let mut keys = RoleKeys::load_roles(sources, &["timestamp"])?;
        for role in ["root", "targets", "snapshot"] {
            if due(role) {
                keys.add_if_present(sources, role)?;
            }
        }
        // Targets re-signed means a new snapshot too.
        if due("targets") {
            keys.add_if_present(sources, "snapshot")?;
        }
        Self::check_keys(&cur.root, &keys)?;
        self.refuse_older_copy(sources)?;
        let renew_root = due("root") && keys.can_sign("root");
        let renew_targets = due("targets") && keys.can_sign("targets") && keys.can_sign("snapshot");
        let renew_snapshot = (due("snapshot") || renew_targets) && keys.can_sign("snapshot");
        for role in renew {
            let can = match role.as_str() {
                "root" => renew_root,
                "targets" => renew_targets,
                "snapshot" => renew_snapshot,
                _ => true,
            };
            if !can {
                let needs = if role == "targets" && !keys.can_sign("snapshot") {
                    key_needed("snapshot", &cur.root, sources)
                } else {
                    key_needed(role, &cur.root, sources)
                };
                return fail(format!(
                    "cannot renew the {role} metadata: that needs {needs}; nothing was written"
                ));
            }
        }
        for (role, renewing) in [
            ("root", renew_root),
            ("targets", renew_targets),
            ("snapshot", renew_snapshot),
        ] {
            Self::refuse_expired(role, cur.expires(role), renewing, &cur.root, sources)?;
        }

        // Sign everything, then write: a failed signature writes nothing.
        let root = if renew_root {
            Some(Self::sign_renewed_root(&cur.root, &keys, exp)?)
        } else {
            None
        };
        let targets = if renew_targets {
            let mut t = cur.targets.clone();
            t.version += 1;
            t.expires = at + exp.period("targets");
            Some((t.version, sign(&t, &[keys.get("targets")])?.to_bytes()?))
        } else {
            None
        };
        let ts_version = cur.timestamp.version + 1;
        let snapshot = if renew_snapshot {
            let (t_version, t_bytes) = match &targets {
                Some((v, b)) => (*v, &b[..]),
                None => (cur.targets.version, &cur.targets_bytes[..]),
            };
            Some(Self::sign_snapshot(
                &keys, ts_version, t_version, t_bytes, exp,
            )?)
        } else {
            None
        };
        let (s_version, s_bytes) = match &snapshot {
            Some((v, b)) => (*v, &b[..]),
            None => (cur.snapshot.version, &cur.snapshot_bytes[..]),
        };
        let ts_bytes = Self::sign_timestamp(&keys, ts_version, s_version, s_bytes, exp)?;

        if let Some((v, bytes)) = &root {
            write_atomic(&self.meta(&format!("{v}.root.json")), bytes)?;
            write_atomic(&self.meta("root.json"), bytes)?;
        }
        if let Some((v, bytes)) = &targets {
            write_atomic(&self.meta(&format!("{v}.targets.json")), bytes)?;
        }
        if let Some((v, bytes)) = &snapshot {
            write_atomic(&self.meta(&format!("{v}.snapshot.json")), bytes)?;
        }
        write_atomic(&self.meta("timestamp.json"), &ts_bytes)?;
        if let Some(card) = self.card()? {
            self.write_bundles(&card.id, &keys, exp)?;
        }
        self.record_versions(sources)?;

        let mut renewed: Vec<String> = Vec::new();
        if let Some((v, _)) = &root {
            renewed.push(format!("root version {v}"));
        }
        if let Some((v, _)) = &targets {
            renewed.push(format!("targets version {v}"));
        }
        if let Some((v, _)) = &snapshot {
            renewed.push(format!("snapshot version {v}"));
        }
        renewed.push(format!("timestamp version {ts_version}"));
        outln!(
            "refreshed {}; phones can sync until {} unless refreshed again",
            renewed.join(", "),
            at + exp.period("timestamp"),
        );
        self.warn_expiring(sources)
    }

    /// Warns (stderr) about every role whose metadata expires within
    /// [`WARN_WITHIN_DAYS`] days and whose renewal needs a key that is not
    /// at hand, naming that key.
    fn warn_expiring(&self, sources: &KeySources) -> Result<(), Report> {
        keys::warn_stray_retired(&sources.dir);
        let Some(cur) = self.current()? else {
            return Ok(());
        };
        let at = now();
        for role in ["root", "targets", "snapshot"] {
            let expires = cur.expires(role);
            if expires - at >= Duration::days(WARN_WITHIN_DAYS) {
                continue;
            }
            // The online roles renew themselves at the next refresh when
            // their keys are here; the root's renewal always needs a person.
            if role != "root" && sources.has_private(role) {
                continue;
            }
            let command = format!(
                "waymark-pack refresh --repo {} --keys {} --renew {role}",
                self.dir.display(),
                sources.dir.display()
            );
            eprintln!(
                "warning: the {role} metadata expires on {expires} ({}); phones refuse the \
                 repository after that. Renewing it needs {}: `{command}` with that key at hand.",
                from_now(expires, at),
                key_needed(role, &cur.root, sources),
            );
        }
        Ok(())
    }

    /// The file a target is stored in (consistent snapshot: hash-prefixed).
    fn target_file(&self, path: &str, file: &TargetFile) -> PathBuf {
        self.dir.join("targets").join(stored_name(path, file))
    }

    fn history_file(&self, pack: &str) -> PathBuf {
        self.dir.join("history").join(format!("{pack}.json"))
    }

    /// The versions of `pack` published so far, oldest first. A repository
    /// published before histories were kept starts from its current target.
    fn history(&self, pack: &str, current: Option<&TargetFile>) -> Result<History, Report> {
        let mut history = match std::fs::read(self.history_file(pack)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Report::message(format!("history/{pack}.json: {e}")))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => History {
                pack: pack.to_owned(),
                versions: Vec::new(),
            },
            Err(e) => return Err(e.into()),
        };
        if let Some(file) = current
            && let Some(version) = published_version(file)
            && !history.versions.iter().any(|v| v.version == version)
        {
            history.versions.push(Published {
                version,
                file: stored_name(&pack_target(pack), file),
                length: file.length,
                sha256: file.hashes.get("sha256").cloned().unwrap_or_default(),
            });
        }
        history.versions.sort_by_key(|v| v.version);
        Ok(history)
    }

    /// The content of a published version, if its file is still the one
    /// published.
    fn published_content(&self, old: &Published) -> Result<Vec<u8>, Report> {
        let bytes = match std::fs::read(self.dir.join("targets").join(&old.file)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return fail("its pack file is no longer in the repository");
            }
            Err(e) => return Err(e.into()),
        };
        let published = TargetFile {
            length: old.length,
            hashes: [("sha256".to_owned(), old.sha256.clone())].into(),
            custom: None,
        };
        if published.check(&bytes).is_err() {
            return fail("its pack file is not the one published");
        }
        decompress(&bytes)
    }

    /// Writes patches to `new` from the last `count` versions in
    /// `history`, as targets; returns their paths by the version they
    /// start from. A version that cannot have a patch (its file gone, say)
    /// is skipped with a note: phones behind it download the full pack.
    fn write_patches(
        &self,
        new: &Content<'_>,
        history: &History,
        count: usize,
        targets: &mut BTreeMap<String, TargetFile>,
    ) -> Result<BTreeMap<u64, String>, Report> {
        let m = &new.manifest;
        let mut patches = BTreeMap::new();
        let earlier = history
            .versions
            .iter()
            .rev()
            .filter(|v| v.version < m.version);
        for old in earlier.take(count) {
            let made = self.published_content(old).and_then(|content| {
                let old_content = Content::split(&content)?;
                make_patch(&old_content, new)
            });
            let bytes = match made {
                Ok(b) => b,
                Err(why) => {
                    eprintln!(
                        "note: no patch from {} version {}: {why}",
                        m.id, old.version
                    );
                    continue;
                }
            };
            let path = format!("patches/{}/{}-{}.wmpatch", m.id, old.version, m.version);
            let mut file = TargetFile::describe(&bytes);
            file.custom = Some(
                PatchTargetCustom {
                    patch: m.id.clone(),
                    from: old.version,
                    to: m.version,
                }
                .to_custom(),
            );
            write_atomic(&self.target_file(&path, &file), &bytes)?;
            targets.insert(path.clone(), file);
            patches.insert(old.version, path);
        }
        Ok(patches)
    }

    /// Publishes packs: adds them as targets, with patches from the last
    /// `patches` versions of each, and signs new metadata.
    pub fn publish(
        &self,
        packs: &[PathBuf],
        sources: &KeySources,
        url: Option<&str>,
        patches: usize,
        exp: Expiries,
    ) -> Result<(), Report> {
        // The online keys; the root key only to create the repository or
        // to renew a root about to expire, and only if it is at hand.
        let mut keys = RoleKeys::load_roles(sources, &["targets", "snapshot", "timestamp"])?;
        let existing = self.root()?;
        let root_due = existing
            .as_ref()
            .is_none_or(|r| r.expires - now() < exp.margin("root"));
        if root_due {
            keys.add_if_present(sources, "root")?;
        }
        if let Some(root) = &existing {
            Self::check_keys(root, &keys)?;
            self.refuse_older_copy(sources)?;
            let renewing = keys.can_sign("root");
            Self::refuse_expired("root", root.expires, renewing, root, sources)?;
        }
        let mut manifests: Vec<(PackManifest, Vec<u8>)> = Vec::new();
        for p in packs {
            let bytes =
                std::fs::read(p).map_err(|e| Report::message(format!("{}: {e}", p.display())))?;
            let manifest = PackReader::new(&bytes[..])
                .map_err(|e| Report::message(format!("{}: {e}", p.display())))?
                .manifest()
                .clone();
            manifests.push((manifest, bytes));
        }
        let Some(publisher) = manifests.first().map(|(m, _)| m.publisher.clone()) else {
            return fail("name at least one pack file");
        };
        if manifests
            .iter()
            .any(|(m, _)| m.publisher.id != publisher.id)
        {
            return fail("one repository is one publisher: these packs name different publishers");
        }
        let renewed_root = match &existing {
            Some(root) if root_due && keys.can_sign("root") => {
                Some(Self::sign_renewed_root(root, &keys, exp)?)
            }
            _ => None,
        };
        self.ensure_root(&keys, exp)?;
        if let Some((v, bytes)) = &renewed_root {
            write_atomic(&self.meta(&format!("{v}.root.json")), bytes)?;
            write_atomic(&self.meta("root.json"), bytes)?;
            outln!("renewed the root: version {v}");
        }
        let mut targets = self.targets()?.map(|t| t.targets).unwrap_or_default();
        let mut histories: BTreeMap<String, History> = BTreeMap::new();
        let mut done = Vec::new();
        for (m, bytes) in &manifests {
            let path = pack_target(&m.id);
            if let Some(old) = targets.get(&path).and_then(published_version)
                && m.version <= old
            {
                return fail(format!(
                    "pack {} version {} is not newer than the published version {old}",
                    m.id, m.version
                ));
            }
            let content = decompress(bytes)?;
            let new = Content::split(&content)?;
            let history = match histories.remove(&m.id) {
                Some(h) => h,
                None => self.history(&m.id, targets.get(&path))?,
            };
            // Patches lead to the newest version only.
            let prefix = format!("patches/{}/", m.id);
            targets.retain(|p, _| !p.starts_with(&prefix));
            let patches = self.write_patches(&new, &history, patches, &mut targets)?;
            let mut file = TargetFile::describe(bytes);
            let from: Vec<String> = patches.keys().map(u64::to_string).collect();
            file.custom = Some(
                PackTargetCustom {
                    pack: m.id.clone(),
                    version: m.version,
                    publisher: m.publisher.id.clone(),
                    content: Some(ContentDigest::of(&content)),
                    patches,
                }
                .to_custom(),
            );
            write_atomic(&self.target_file(&path, &file), bytes)?;
            let mut history = history;
            history.versions.push(Published {
                version: m.version,
                file: stored_name(&path, &file),
                length: file.length,
                sha256: file.hashes["sha256"].clone(),
            });
            histories.insert(m.id.clone(), history);
            targets.insert(path, file);
            done.push((m, from));
        }
        self.commit_targets(&keys, targets, exp)?;
        // After the metadata: a history never names a version that was not
        // published. (A history lost here is rebuilt in part from the
        // targets metadata next time.)
        for (id, history) in &histories {
            write_atomic(&self.history_file(id), &serde_json::to_vec_pretty(history)?)?;
        }
        self.write_card(&publisher.id, &publisher.name, url)?;
        self.write_bundles(&publisher.id, &keys, exp)?;
        self.record_versions(sources)?;
        for (m, from) in done {
            if from.is_empty() {
                outln!("published {} version {}", m.id, m.version);
            } else {
                outln!(
                    "published {} version {}, with patches from version {}",
                    m.id,
                    m.version,
                    from.join(", ")
                );
            }
        }
        outln!(
            "phones can sync until {}: run `waymark-pack refresh` before then, and regularly \
             (see the README)",
            now() + exp.period("timestamp")
        );
        self.warn_expiring(sources)
    }

    /// Rotates a role's key: a new root (signed by the old and the new root
    /// keys) names the new key, and the role's metadata is re-signed. The
    /// new key is made in the key directory, of type `kind` (by default,
    /// the old key's).
    pub fn rotate_key(
        &self,
        role: &str,
        sources: &KeySources,
        kind: Option<KeyType>,
        encrypt: bool,
        exp: Expiries,
    ) -> Result<(), Report> {
        if !keys::ROLES.contains(&role) {
            return fail(format!(
                "unknown role '{role}': one of root, targets, snapshot, timestamp"
            ));
        }
        let old_keys = RoleKeys::load(sources)?;
        let Some(root) = self.root()? else {
            return fail("no repository here: publish a pack first");
        };
        Self::check_keys(&root, &old_keys)?;
        self.refuse_older_copy(sources)?;
        let new_key = Private::generate(kind.unwrap_or(old_keys.get(role).kind()))?;
        let version = root.version + 1;
        let dir = &sources.dir;
        let secret = if encrypt || keys::is_encrypted(&key_path(dir, role)) {
            Some(keys::passphrase(&format!("the new {role} key"), true)?)
        } else {
            None
        };
        let retired_dir = keys::retired_dir(dir);
        let retired_name =
            |suffix: &str| retired_dir.join(format!("{role}.v{}.{suffix}", root.version));
        for suffix in ["key", "pub", "txt"] {
            if retired_name(suffix).exists() {
                return fail(format!(
                    "{} exists; retired keys are never overwritten",
                    retired_name(suffix).display()
                ));
            }
        }
        std::fs::create_dir_all(&retired_dir)?;
        let mut retired = Vec::new();
        for (path, suffix) in [(key_path(dir, role), "key"), (pub_path(dir, role), "pub")] {
            if path.exists() {
                let to = retired_name(suffix);
                std::fs::rename(&path, &to)?;
                retired.push((path, to));
            }
        }
        let undo = |new_written: bool| {
            if new_written {
                let _ = std::fs::remove_file(key_path(dir, role));
                let _ = std::fs::remove_file(pub_path(dir, role));
            }
            for (path, to) in &retired {
                let _ = std::fs::remove_file(path);
                let _ = std::fs::rename(to, path);
            }
        };
        if let Err(e) = keys::write_key(dir, role, &new_key, secret.as_deref().map(String::as_str))
        {
            undo(false);
            return Err(e);
        }
        // Everything that can fail before the repository is written: on
        // failure the key directory is put back as it was.
        let path = key_path(dir, role);
        let prepared = (|| -> Result<_, Report> {
            let new_signer = Signer::with_key(role, new_key, &path.display().to_string())?;
            let (keys, old_signer) = old_keys.replacing(role, new_signer);
            let new_root = Self::root_meta(version, &keys, now() + exp.period("root"))?;
            let signers: Vec<&Signer> = if role == "root" {
                vec![&old_signer, keys.get("root")]
            } else {
                vec![keys.get("root")]
            };
            let env = sign(&new_root, &signers)?;
            Ok((keys, old_signer, env))
        })();
        let (keys, old_signer, env) = match prepared {
            Ok(done) => done,
            Err(e) => {
                undo(true);
                return Err(e);
            }
        };
        self.write_meta(&format!("{version}.root.json"), &env)?;
        self.write_meta("root.json", &env)?;
        if role != "root" {
            let targets = self.targets()?.map(|t| t.targets).unwrap_or_default();
            self.commit_targets(&keys, targets, exp)?;
        }
        if let Some(card) = self.card()? {
            self.write_bundles(&card.id, &keys, exp)?;
        }
        self.record_versions(sources)?;
        let id = keys.get(role).id();
        outln!("{role} key rotated: root version {version}, new key {id}");
        if retired.is_empty() {
            outln!("the old key was not in {}", dir.display());
        } else {
            let note = format!(
                "This {role} key (key id {old_id}) was rotated out on {date}: root version \
                 {version} names a new {role} key ({id}).\n\
                 waymark-pack never loads keys from this directory, and the repository no \
                 longer trusts this one. Keep it only as long as your records need it \
                 (offline, like a live root key), then destroy it.\n",
                old_id = old_signer.id(),
                date = now(),
            );
            let _ = std::fs::write(retired_name("txt"), note);
            for (_, to) in &retired {
                outln!("the old key is retired to {}", to.display());
            }
        }
        Ok(())
    }

    fn card(&self) -> Result<Option<PublisherCard>, Report> {
        match std::fs::read(self.dir.join("publisher.json")) {
            Ok(b) => Ok(Some(serde_json::from_slice(&b)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the publisher card (with root version 1: phones follow the
    /// rotation chain from there).
    fn write_card(&self, id: &str, name: &str, url: Option<&str>) -> Result<(), Report> {
        let Some(root) = self.read("1.root.json")? else {
            return fail("the repository has no 1.root.json");
        };
        let url = match url {
            Some(u) => Some(u.to_owned()),
            None => self.card()?.and_then(|c| c.url),
        };
        let card = PublisherCard {
            waymark_publisher: 1,
            id: id.into(),
            name: name.into(),
            url,
            root,
        };
        write_atomic(
            &self.dir.join("publisher.json"),
            &serde_json::to_vec_pretty(&card)?,
        )
    }

    /// Writes an offline bundle for every current target.
    fn write_bundles(&self, publisher: &str, keys: &RoleKeys, exp: Expiries) -> Result<(), Report> {
        let Some(targets) = self.targets()? else {
            return Ok(());
        };
        let root = self.root()?.map_or(1, |r| r.version);
        let roots = (1..=root)
            .map(|v| std::fs::read(self.meta(&format!("{v}.root.json"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ts = Envelope::parse(&std::fs::read(self.meta("timestamp.json"))?)?
            .read::<MetaList>("timestamp")?;
        let s_v = ts.meta["snapshot.json"].version;
        let snapshot = std::fs::read(self.meta(&format!("{s_v}.snapshot.json")))?;
        let snapshot_expires = Envelope::parse(&snapshot)?
            .read::<MetaList>("snapshot")?
            .expires;
        ts.expires = (now() + Duration::days(exp.bundle_days)).min(snapshot_expires);
        let ts = sign(&ts, &[keys.get("timestamp")])?.to_bytes()?;
        // Beside timestamp.json, for phones that share packs they installed
        // (they fetch it when the timestamp changes).
        write_atomic(&self.meta("offline-timestamp.json"), &ts)?;
        let targets_bytes = std::fs::read(self.meta(&format!("{}.targets.json", targets.version)))?;
        let set = MetadataSet {
            roots,
            timestamp: ts,
            snapshot,
            targets: targets_bytes,
        };
        for (path, file) in &targets.targets {
            let Some(name) = path
                .strip_prefix("packs/")
                .and_then(|n| n.strip_suffix(".wmpack"))
            else {
                continue;
            };
            let pack = std::fs::read(self.target_file(path, file))?;
            let out = self.dir.join("bundles").join(format!("{name}.wmbundle"));
            std::fs::create_dir_all(out.parent().expect("bundles dir"))?;
            let mut bytes = Vec::new();
            write_bundle(
                &mut bytes,
                &BundleInfo {
                    format: 1,
                    publisher: publisher.into(),
                    target: path.clone(),
                },
                &set,
                &pack,
            )?;
            write_atomic(&out, &bytes)?;
        }
        Ok(())
    }
}

/// Which key renewing `role` needs, and where `waymark-pack` looks for it.
fn key_needed(role: &str, root: &Root, sources: &KeySources) -> String {
    let id: String = root
        .roles
        .get(role)
        .and_then(|r| r.keyids.first())
        .map(|id| id.chars().take(16).collect())
        .unwrap_or_else(|| "?".into());
    format!(
        "the {role} key (key id {id}…): its private key in {} or --key {role}=FILE, or a \
         signing command (--sign-command {role}=CMD or {})",
        key_path(&sources.dir, role).display(),
        keys::command_variable(role)
    )
}

fn meta_file(version: u64, bytes: &[u8]) -> MetaFile {
    MetaFile::describe(version, bytes)
}

fn published_version(file: &TargetFile) -> Option<u64> {
    PackTargetCustom::of(file).map(|c| c.version)
}

/// The target path of a pack.
fn pack_target(pack: &str) -> String {
    format!("packs/{pack}.wmpack")
}

/// Where a target is stored under `targets/` (consistent snapshot: its
/// name prefixed by its SHA-256).
fn stored_name(path: &str, file: &TargetFile) -> String {
    consistent_target_path(path, file)
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced,
/// then renamed over it (its directory made if missing).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Report> {
    let parent = path.parent().expect("written paths have a parent");
    std::fs::create_dir_all(parent)?;
    let tmp = parent.join(format!(
        ".{}.tmp",
        path.file_name().expect("a file name").to_string_lossy()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
