//! The publisher's TUF repository (specification 1.0): root, targets,
//! snapshot and timestamp metadata in canonical JSON, signed with each
//! role's key (ed25519 or ECDSA P-256; see [`crate::keys`]),
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
//! is not there yet.

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

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
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

    /// Writes `bytes` to `path` atomically.
    fn write(path: &Path, bytes: &[u8]) -> Result<(), Report> {
        let parent = path.parent().expect("repository paths have a parent");
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

    fn write_meta(&self, name: &str, env: &Envelope) -> Result<Vec<u8>, Report> {
        let bytes = env.to_bytes()?;
        Self::write(&self.meta(name), &bytes)?;
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

    /// Fails unless `keys` are the keys the newest root names.
    fn check_keys(root: &Root, keys: &RoleKeys) -> Result<(), Report> {
        for role in keys::ROLES {
            let id = keys.get(role).id().to_owned();
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
        let root = Self::root_meta(1, keys, now() + Duration::days(exp.root_days))?;
        let env = sign(&root, &[keys.get("root")])?;
        self.write_meta("1.root.json", &env)?;
        self.write_meta("root.json", &env)?;
        Ok(root)
    }

    /// Signs and writes new targets, snapshot and timestamp metadata.
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
            expires: now() + Duration::days(exp.targets_days),
            targets,
            delegations: None,
        };
        let t_bytes = self.write_meta(
            &format!("{t_version}.targets.json"),
            &sign(&targets, &[keys.get("targets")])?,
        )?;

        let ts_version = self.version_of("timestamp.json", "timestamp")? + 1;
        let s_version = ts_version;
        let snapshot = MetaList {
            kind: "snapshot".into(),
            spec_version: SPEC_VERSION.into(),
            version: s_version,
            expires: now() + Duration::days(exp.snapshot_days),
            meta: [("targets.json".to_string(), meta_file(t_version, &t_bytes))].into(),
        };
        let s_bytes = self.write_meta(
            &format!("{s_version}.snapshot.json"),
            &sign(&snapshot, &[keys.get("snapshot")])?,
        )?;

        let timestamp = MetaList {
            kind: "timestamp".into(),
            spec_version: SPEC_VERSION.into(),
            version: ts_version,
            expires: now() + Duration::hours(exp.timestamp_hours),
            meta: [("snapshot.json".to_string(), meta_file(s_version, &s_bytes))].into(),
        };
        self.write_meta(
            "timestamp.json",
            &sign(&timestamp, &[keys.get("timestamp")])?,
        )?;
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
            Self::write(&self.target_file(&path, &file), &bytes)?;
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
        let keys = RoleKeys::load(sources)?;
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
        self.ensure_root(&keys, exp)?;
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
            Self::write(&self.target_file(&path, &file), bytes)?;
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
            Self::write(&self.history_file(id), &serde_json::to_vec_pretty(history)?)?;
        }
        self.write_card(&publisher.id, &publisher.name, url)?;
        self.write_bundles(&publisher.id, &keys, exp)?;
        for (m, from) in done {
            if from.is_empty() {
                println!("published {} version {}", m.id, m.version);
            } else {
                println!(
                    "published {} version {}, with patches from version {}",
                    m.id,
                    m.version,
                    from.join(", ")
                );
            }
        }
        Ok(())
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
        let new_key = Private::generate(kind.unwrap_or(old_keys.get(role).kind()))?;
        let version = root.version + 1;
        let dir = &sources.dir;
        let mut retired = Vec::new();
        for (path, suffix) in [(key_path(dir, role), "key"), (pub_path(dir, role), "pub")] {
            if path.exists() {
                let to = dir.join(format!("{role}.{suffix}.{}", root.version));
                std::fs::rename(&path, &to)?;
                retired.push((path, to));
            }
        }
        if let Err(e) = keys::write_key(dir, role, &new_key) {
            for (path, to) in &retired {
                let _ = std::fs::remove_file(path);
                let _ = std::fs::rename(to, path);
            }
            return Err(e);
        }
        let path = key_path(dir, role);
        let new_signer = Signer::with_key(role, new_key, &path.display().to_string())?;
        let keys = RoleKeys::load_replacing(sources, role, new_signer)?;
        let new_root = Self::root_meta(version, &keys, now() + Duration::days(exp.root_days))?;
        let signers: Vec<&Signer> = if role == "root" {
            vec![old_keys.get("root"), keys.get("root")]
        } else {
            vec![keys.get("root")]
        };
        let env = sign(&new_root, &signers)?;
        self.write_meta(&format!("{version}.root.json"), &env)?;
        self.write_meta("root.json", &env)?;
        if role != "root" {
            let targets = self.targets()?.map(|t| t.targets).unwrap_or_default();
            self.commit_targets(&keys, targets, exp)?;
        }
        if let Some(card) = self.card()? {
            self.write_bundles(&card.id, &keys, exp)?;
        }
        let id = keys.get(role).id();
        println!("{role} key rotated: root version {version}, new key {id}");
        match retired.first() {
            Some((_, to)) => println!("the old key is kept as {}", to.display()),
            None => println!("the old key was not in {}", dir.display()),
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
        Self::write(
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
        Self::write(&self.meta("offline-timestamp.json"), &ts)?;
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
            Self::write(&out, &bytes)?;
        }
        Ok(())
    }
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
