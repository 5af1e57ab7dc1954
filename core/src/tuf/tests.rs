//! The TUF client against small repositories built in memory: the checks
//! the specification asks of a client and python-tuf makes.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use ed25519_dalek::SigningKey;

use super::*;
use crate::error::{Error, Untrusted};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn keys_of(keys: &[&SigningKey]) -> (BTreeMap<String, Key>, Vec<String>) {
    let entries: BTreeMap<String, Key> = keys
        .iter()
        .map(|k| {
            let key = Key::ed25519(&k.verifying_key());
            (key.id().unwrap(), key)
        })
        .collect();
    let ids = entries.keys().cloned().collect();
    (entries, ids)
}

fn sign(signed: &impl serde::Serialize, keys: &[&SigningKey]) -> Vec<u8> {
    Envelope::sign(signed, keys).unwrap().to_bytes().unwrap()
}

/// Files a remote serves, by name, counting requests.
#[derive(Default)]
struct MapRemote {
    files: HashMap<String, Vec<u8>>,
    requests: Cell<usize>,
    /// Answer "not modified" to every timestamp request.
    frozen: bool,
}

impl Remote for MapRemote {
    fn fetch(&mut self, name: &str, _max: u64, _etag: Option<&str>) -> crate::Result<Fetched> {
        self.requests.set(self.requests.get() + 1);
        if self.frozen && name == "timestamp.json" {
            return Ok(Fetched::NotModified);
        }
        Ok(match self.files.get(name) {
            Some(b) => Fetched::Body {
                bytes: b.clone(),
                etag: None,
            },
            None => Fetched::NotFound,
        })
    }
}

/// A repository: one key per top-level role, not consistent snapshots.
struct Repo {
    root: SigningKey,
    targets: SigningKey,
    snapshot: SigningKey,
    timestamp: SigningKey,
    expires: DateTime<Utc>,
}

impl Repo {
    fn new() -> Self {
        Repo {
            root: key(1),
            targets: key(2),
            snapshot: key(3),
            timestamp: key(4),
            expires: now() + Duration::days(30),
        }
    }

    fn root(&self, signers: &[&SigningKey]) -> Vec<u8> {
        let mut keys = BTreeMap::new();
        let mut roles = BTreeMap::new();
        for (name, k) in [
            ("root", &self.root),
            ("targets", &self.targets),
            ("snapshot", &self.snapshot),
            ("timestamp", &self.timestamp),
        ] {
            let (entries, keyids) = keys_of(&[k]);
            keys.extend(entries);
            roles.insert(
                name.to_string(),
                RoleKeys {
                    keyids,
                    threshold: 1,
                },
            );
        }
        sign(
            &Root {
                kind: "root".into(),
                spec_version: SPEC_VERSION.into(),
                version: 1,
                expires: self.expires,
                consistent_snapshot: false,
                keys,
                roles,
            },
            signers,
        )
    }

    fn targets(
        &self,
        version: u64,
        files: &[(&str, &[u8])],
        delegations: Option<Delegations>,
        signer: &SigningKey,
    ) -> Vec<u8> {
        sign(
            &Targets {
                kind: "targets".into(),
                spec_version: SPEC_VERSION.into(),
                version,
                expires: self.expires,
                targets: files
                    .iter()
                    .map(|(p, b)| (p.to_string(), TargetFile::describe(b)))
                    .collect(),
                delegations,
            },
            &[signer],
        )
    }

    fn list(
        &self,
        kind: &str,
        version: u64,
        expires: DateTime<Utc>,
        files: &[(&str, &[u8])],
    ) -> Vec<u8> {
        let signer = if kind == "snapshot" {
            &self.snapshot
        } else {
            &self.timestamp
        };
        sign(
            &MetaList {
                kind: kind.into(),
                spec_version: SPEC_VERSION.into(),
                version,
                expires,
                meta: files
                    .iter()
                    .map(|(n, b)| (n.to_string(), MetaFile::describe(1, b)))
                    .collect(),
            },
            &[signer],
        )
    }

    /// A remote serving root 1 and `targets`-role files (name, bytes), with
    /// a snapshot listing them all at version 1 and a timestamp of
    /// version `ts_version` expiring at `ts_expires`.
    fn remote(
        &self,
        roles: &[(&str, Vec<u8>)],
        ts_version: u64,
        ts_expires: DateTime<Utc>,
    ) -> MapRemote {
        let listed: Vec<(String, &[u8])> = roles
            .iter()
            .map(|(n, b)| (format!("{n}.json"), &b[..]))
            .collect();
        let listed: Vec<(&str, &[u8])> = listed.iter().map(|(n, b)| (n.as_str(), *b)).collect();
        let snapshot = self.list("snapshot", 1, self.expires, &listed);
        let mut timestamp: MetaList = Envelope::parse(&self.list(
            "timestamp",
            ts_version,
            ts_expires,
            &[("snapshot.json", &snapshot)],
        ))
        .unwrap()
        .read("timestamp")
        .unwrap();
        timestamp.version = ts_version;
        let timestamp = sign(&timestamp, &[&self.timestamp]);
        let mut files: HashMap<String, Vec<u8>> = roles
            .iter()
            .map(|(n, b)| (format!("{n}.json"), b.clone()))
            .collect();
        files.insert("snapshot.json".into(), snapshot);
        files.insert("timestamp.json".into(), timestamp);
        MapRemote {
            files,
            ..MapRemote::default()
        }
    }
}

fn delegate(name: &str, keys: &[&SigningKey], paths: &[&str]) -> Delegations {
    let (entries, keyids) = keys_of(keys);
    Delegations {
        keys: entries,
        roles: Some(vec![DelegatedRole {
            name: name.into(),
            keyids,
            threshold: 1,
            terminating: false,
            paths: Some(paths.iter().map(|p| p.to_string()).collect()),
            path_hash_prefixes: None,
        }]),
        succinct_roles: None,
    }
}

fn untrusted<T: std::fmt::Debug>(r: crate::Result<T>) -> Untrusted {
    match r {
        Err(Error::Untrusted(u)) => u,
        other => panic!("expected Untrusted, got {other:?}"),
    }
}

#[test]
fn an_initial_root_not_signed_by_its_own_root_keys_is_refused_before_any_request() {
    let repo = Repo::new();
    let mut remote = repo.remote(
        &[("targets", repo.targets(1, &[], None, &repo.targets))],
        1,
        repo.expires,
    );
    // Signed by the targets key, not the root key.
    let mut store = Overlay::with_root(&repo.root(&[&repo.targets]));
    let made = Updater::new(&mut remote, &mut store, now(), SeenVersions::default());
    assert!(
        matches!(untrusted(made.map(|_| ())), Untrusted::Signatures { .. }),
        "a root its own keys did not sign"
    );
    assert_eq!(remote.requests.get(), 0, "nothing was asked of the remote");
    // Signed properly, it works.
    let mut store = Overlay::with_root(&repo.root(&[&repo.root]));
    Updater::new(&mut remote, &mut store, now(), SeenVersions::default())
        .unwrap()
        .refresh()
        .unwrap();
}

#[test]
fn a_delegation_to_a_top_level_role_name_is_refused() {
    let repo = Repo::new();
    let partner = key(9);
    for reserved in ["root", "timestamp", "snapshot", "targets"] {
        let top = repo.targets(
            1,
            &[],
            Some(delegate(reserved, &[&partner], &["packs/*"])),
            &repo.targets,
        );
        let mut remote = repo.remote(&[("targets", top)], 1, repo.expires);
        let mut store = Overlay::with_root(&repo.root(&[&repo.root]));
        let mut up = Updater::new(&mut remote, &mut store, now(), SeenVersions::default()).unwrap();
        let reason = untrusted(up.refresh());
        assert!(
            matches!(&reason, Untrusted::ReservedRoleName { role, .. } if role == reserved),
            "{reserved}: {reason}"
        );
        // Nothing was kept under the reserved name.
        assert!(store.load("targets").unwrap().is_none(), "{reserved}");
    }
}

#[test]
fn a_role_reached_through_a_second_delegator_is_verified_against_that_delegators_keys() {
    // "a" and "b" both delegate to "shared", each with its own key for it;
    // "shared" is signed with a's key only, and lists a file under b's paths
    // too. Found through a, it verified; reached through b, it must be
    // verified again, against b's key, and fail.
    let repo = Repo::new();
    let (ka, kb, shared_a, shared_b) = (key(11), key(12), key(13), key(14));
    let shared = repo.targets(1, &[("a/x", b"x"), ("b/evil", b"evil")], None, &shared_a);
    let a = repo.targets(
        1,
        &[],
        Some(delegate("shared", &[&shared_a], &["a/*"])),
        &ka,
    );
    let b = repo.targets(
        1,
        &[],
        Some(delegate("shared", &[&shared_b], &["b/*"])),
        &kb,
    );
    let (entries, _) = keys_of(&[&ka, &kb]);
    let ids = |k: &SigningKey| Key::ed25519(&k.verifying_key()).id().unwrap();
    let top = repo.targets(
        1,
        &[],
        Some(Delegations {
            keys: entries,
            roles: Some(vec![
                DelegatedRole {
                    name: "a".into(),
                    keyids: vec![ids(&ka)],
                    threshold: 1,
                    terminating: false,
                    paths: Some(vec!["a/*".into()]),
                    path_hash_prefixes: None,
                },
                DelegatedRole {
                    name: "b".into(),
                    keyids: vec![ids(&kb)],
                    threshold: 1,
                    terminating: false,
                    paths: Some(vec!["b/*".into()]),
                    path_hash_prefixes: None,
                },
            ]),
            succinct_roles: None,
        }),
        &repo.targets,
    );
    let mut remote = repo.remote(
        &[("targets", top), ("a", a), ("b", b), ("shared", shared)],
        1,
        repo.expires,
    );
    let mut store = Overlay::with_root(&repo.root(&[&repo.root]));
    let mut up = Updater::new(&mut remote, &mut store, now(), SeenVersions::default()).unwrap();
    up.refresh().unwrap();
    assert!(up.target("a/x").unwrap().is_some());
    let reason = untrusted(up.target("b/evil"));
    assert!(matches!(reason, Untrusted::Signatures { .. }), "{reason}");
}

#[test]
fn a_bundles_longer_lived_timestamp_does_not_extend_what_a_network_sync_accepts() {
    let repo = Repo::new();
    let top = repo.targets(1, &[], None, &repo.targets);
    let root = repo.root(&[&repo.root]);
    // The online timestamp lives a day; the publisher's offline one (the
    // same version, re-signed) 30 days. A phone installs a bundle carrying
    // the offline one.
    let online_expiry = now() + Duration::days(1);
    let mut offline = repo.remote(&[("targets", top.clone())], 5, now() + Duration::days(30));
    let mut store = Overlay::with_root(&root);
    Updater::new(&mut offline, &mut store, now(), SeenVersions::default())
        .unwrap()
        .accept_reissued_timestamps()
        .refresh()
        .unwrap();
    // Two days later, a network sync against a server that replays the
    // online timestamp (expired) or answers "not modified": refused.
    let later = now() + Duration::days(2);
    let mut replay = repo.remote(&[("targets", top.clone())], 5, online_expiry);
    let mut up = Updater::new(&mut replay, &mut store, later, SeenVersions::default()).unwrap();
    let reason = untrusted(up.refresh());
    assert!(
        matches!(&reason, Untrusted::Expired { role } if role == "timestamp"),
        "{reason}"
    );
    let mut frozen = repo.remote(&[("targets", top)], 5, online_expiry);
    frozen.frozen = true;
    let mut up = Updater::new(&mut frozen, &mut store, later, SeenVersions::default()).unwrap();
    let reason = untrusted(up.refresh());
    assert!(matches!(reason, Untrusted::UnaskedNotModified), "{reason}");
}
