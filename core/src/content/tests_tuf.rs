//! Installing signed pack bundles: every refusal leaves everything as it was.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ed25519_dalek::SigningKey;

use super::model::*;
use super::pack::write_pack;
use super::*;
use crate::Error;
use crate::clock::{Clock, ManualClock};
use crate::tuf::*;

fn key() -> SigningKey {
    {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        SigningKey::from_bytes(&seed)
    }
}

/// A publisher's repository, built in memory.
struct Repo {
    root_keys: Vec<SigningKey>,
    targets_key: SigningKey,
    snapshot_key: SigningKey,
    timestamp_key: SigningKey,
    roots: Vec<Vec<u8>>,
    now: DateTime<Utc>,
}

fn role(keys: &[&SigningKey], threshold: u32) -> (RoleKeys, Vec<(String, Key)>) {
    let entries: Vec<(String, Key)> = keys
        .iter()
        .map(|k| {
            let key = Key::ed25519(&k.verifying_key());
            (key.id().unwrap(), key)
        })
        .collect();
    (
        RoleKeys {
            keyids: entries.iter().map(|(id, _)| id.clone()).collect(),
            threshold,
        },
        entries,
    )
}

impl Repo {
    fn new(now: DateTime<Utc>) -> Self {
        let mut repo = Repo {
            root_keys: vec![key()],
            targets_key: key(),
            snapshot_key: key(),
            timestamp_key: key(),
            roots: Vec::new(),
            now,
        };
        let root = repo.root_meta(1);
        let signer = repo.root_keys[0].clone();
        repo.roots.push(
            Envelope::sign(&root, &[&signer])
                .unwrap()
                .to_bytes()
                .unwrap(),
        );
        repo
    }

    fn root_meta(&self, version: u64) -> Root {
        let mut keys = BTreeMap::new();
        let mut roles = BTreeMap::new();
        let root_refs: Vec<&SigningKey> = self.root_keys.iter().collect();
        for (name, ks) in [
            ("root", root_refs),
            ("targets", vec![&self.targets_key]),
            ("snapshot", vec![&self.snapshot_key]),
            ("timestamp", vec![&self.timestamp_key]),
        ] {
            let (r, entries) = role(&ks, 1);
            keys.extend(entries);
            roles.insert(name.to_string(), r);
        }
        Root {
            kind: "root".into(),
            spec_version: SPEC_VERSION.into(),
            version,
            expires: self.now + Duration::days(365),
            consistent_snapshot: true,
            keys,
            roles,
        }
    }

    /// Rotates the root key and the targets key: root N+1 signed by the old
    /// and the new root keys.
    fn rotate(&mut self) {
        let old_root = self.root_keys[0].clone();
        self.root_keys = vec![key()];
        self.targets_key = key();
        let version = self.roots.len() as u64 + 1;
        let root = self.root_meta(version);
        let new_root = self.root_keys[0].clone();
        self.roots.push(
            Envelope::sign(&root, &[&old_root, &new_root])
                .unwrap()
                .to_bytes()
                .unwrap(),
        );
    }

    fn card(&self, id: &str) -> Vec<u8> {
        serde_json::to_vec(&PublisherCard {
            waymark_publisher: 1,
            id: id.into(),
            name: "Sample publisher".into(),
            url: None,
            root: Envelope::parse(&self.roots[0]).unwrap(),
        })
        .unwrap()
    }

    fn metadata(
        &self,
        pack: &[u8],
        target: &str,
        version: u64,
        expires: DateTime<Utc>,
        targets_signer: &SigningKey,
    ) -> MetadataSet {
        self.metadata_describing(
            TargetFile::describe(pack),
            target,
            version,
            expires,
            targets_signer,
        )
    }

    /// As [`Self::metadata`], the target described by `file`.
    fn metadata_describing(
        &self,
        file: TargetFile,
        target: &str,
        version: u64,
        expires: DateTime<Utc>,
        targets_signer: &SigningKey,
    ) -> MetadataSet {
        let mut files = BTreeMap::new();
        files.insert(target.to_string(), file);
        let targets = Envelope::sign(
            &Targets {
                kind: "targets".into(),
                spec_version: SPEC_VERSION.into(),
                version,
                expires,
                targets: files,
                delegations: None,
            },
            &[targets_signer],
        )
        .unwrap()
        .to_bytes()
        .unwrap();
        let list = |kind: &str, name: &str, v: u64, bytes: &[u8], k: &SigningKey| {
            let mut meta = BTreeMap::new();
            let mut hashes = BTreeMap::new();
            hashes.insert(
                "sha256".to_string(),
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)),
            );
            meta.insert(
                name.to_string(),
                MetaFile {
                    version: v,
                    length: Some(bytes.len() as u64),
                    hashes: Some(hashes),
                },
            );
            Envelope::sign(
                &MetaList {
                    kind: kind.into(),
                    spec_version: SPEC_VERSION.into(),
                    version: v,
                    expires,
                    meta,
                },
                &[k],
            )
            .unwrap()
            .to_bytes()
            .unwrap()
        };
        let snapshot = list(
            "snapshot",
            "targets.json",
            version,
            &targets,
            &self.snapshot_key,
        );
        let timestamp = list(
            "timestamp",
            "snapshot.json",
            version,
            &snapshot,
            &self.timestamp_key,
        );
        MetadataSet {
            roots: self.roots[1..].to_vec(),
            timestamp,
            snapshot,
            targets,
        }
    }
}

fn pack_bytes(publisher: &str, version: u64) -> Vec<u8> {
    let manifest = PackManifest {
        format: PACK_FORMAT,
        id: "p".into(),
        version,
        publisher: Publisher {
            id: publisher.into(),
            name: "Sample publisher".into(),
        },
        title: Translations::new(),
        languages: vec!["en".into()],
        fallback: vec!["en".into()],
        sample: true,
        built: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        entries: 0,
        time_zones: Default::default(),
    };
    let entry = Entry::Article(Article {
        id: format!("a{version}"),
        language: "en".into(),
        title: format!("Shelter guide version {version}"),
        body: "Where to sleep tonight.".into(),
        countries: vec![],
        topics: vec![],
        verified: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        expires: None,
    });
    let mut out = Vec::new();
    write_pack(&manifest, &[entry], &mut out).unwrap();
    out
}

struct Phone {
    dir: tempfile::TempDir,
    store: ContentStore,
    clock: Arc<ManualClock>,
}

fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
    ));
    let store = ContentStore::open_with_clock(&dir.path().join("content"), clock.clone()).unwrap();
    Phone { dir, store, clock }
}

impl Phone {
    fn bundle(&self, name: &str, publisher: &str, set: &MetadataSet, pack: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        let info = BundleInfo {
            format: 1,
            publisher: publisher.into(),
            target: "packs/p.wmpack".into(),
        };
        write_bundle(std::fs::File::create(&path).unwrap(), &info, set, pack).unwrap();
        path
    }

    fn titles(&self) -> Vec<String> {
        self.store
            .search(&SearchQuery::new("shelter"))
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.title)
            .collect()
    }
}

fn untrusted<T: std::fmt::Debug>(r: crate::Result<T>, what: &str) -> String {
    match r {
        Err(Error::Untrusted(reason)) => reason.to_string(),
        other => panic!("{what}: expected Untrusted, got {other:?}"),
    }
}

const PUB: &str = "sample-ngo";

#[test]
fn a_target_described_by_sha512_alone_is_checked_against_it() {
    let p = phone();
    let repo = Repo::new(p.clock.now());
    p.store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    let pack = pack_bytes(PUB, 1);
    let sha512_only = |bytes: &[u8]| {
        let mut file = TargetFile::describe(bytes);
        file.hashes = BTreeMap::from([(
            "sha512".to_string(),
            hex::encode(<sha2::Sha512 as sha2::Digest>::digest(bytes)),
        )]);
        file
    };
    let expires = p.clock.now() + Duration::days(7);
    let signed_for = |bytes: &[u8]| {
        repo.metadata_describing(
            sha512_only(bytes),
            "packs/p.wmpack",
            1,
            expires,
            &repo.targets_key,
        )
    };
    // Signed for other bytes of the same length: only the SHA-512 differs.
    let mut other = pack.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    let bundle = p.bundle("wrong.wmbundle", PUB, &signed_for(&other), &pack);
    assert_eq!(
        untrusted(p.store.install_bundle(&bundle), "a SHA-512 that differs"),
        crate::error::Untrusted::HashMismatch {
            algo: "sha512".into()
        }
        .to_string()
    );
    assert!(p.store.packs().unwrap().is_empty());
    let bundle = p.bundle("right.wmbundle", PUB, &signed_for(&pack), &pack);
    p.store.install_bundle(&bundle).unwrap();
    assert_eq!(p.titles().len(), 1);
}

#[test]
fn a_signed_bundle_installs_offline_and_shows_its_fingerprint() {
    let p = phone();
    let repo = Repo::new(p.clock.now());
    let trusted = p
        .store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    assert_eq!(trusted.id, PUB);
    assert_eq!(trusted.fingerprint.len(), 39);
    assert_eq!(p.store.trusted_publishers().unwrap(), vec![trusted]);

    let pack = pack_bytes(PUB, 1);
    let set = repo.metadata(
        &pack,
        "packs/p.wmpack",
        1,
        p.clock.now() + Duration::days(7),
        &repo.targets_key,
    );
    let installed = p
        .store
        .install_bundle(&p.bundle("b1.tar", PUB, &set, &pack))
        .unwrap();
    assert_eq!(installed.manifest.version, 1);
    assert_eq!(p.titles(), ["Shelter guide version 1"]);
}

#[test]
fn each_bad_bundle_is_refused_and_changes_nothing() {
    let p = phone();
    let repo = Repo::new(p.clock.now());
    p.store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    let week = p.clock.now() + Duration::days(7);
    let v2 = pack_bytes(PUB, 2);
    let good = repo.metadata(&v2, "packs/p.wmpack", 2, week, &repo.targets_key);
    p.store
        .install_bundle(&p.bundle("ok.tar", PUB, &good, &v2))
        .unwrap();
    let before = p.titles();

    // Unknown publisher.
    let reason = untrusted(
        p.store
            .install_bundle(&p.bundle("u.tar", "someone-else", &good, &v2)),
        "unknown",
    );
    assert!(reason.contains("unknown publisher"), "{reason}");

    // Signed by a key that is not the targets key.
    let v3 = pack_bytes(PUB, 3);
    let forged = repo.metadata(&v3, "packs/p.wmpack", 3, week, &key());
    let reason = untrusted(
        p.store
            .install_bundle(&p.bundle("f.tar", PUB, &forged, &v3)),
        "bad signature",
    );
    assert!(reason.contains("valid signatures"), "{reason}");

    // Tampered pack bytes.
    let set3 = repo.metadata(&v3, "packs/p.wmpack", 3, week, &repo.targets_key);
    let mut tampered = v3.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let reason = untrusted(
        p.store
            .install_bundle(&p.bundle("t.tar", PUB, &set3, &tampered)),
        "tampered",
    );
    assert!(reason.contains("hash"), "{reason}");

    // Expired metadata.
    let expired = repo.metadata(
        &v3,
        "packs/p.wmpack",
        3,
        p.clock.now() - Duration::hours(1),
        &repo.targets_key,
    );
    let reason = untrusted(
        p.store
            .install_bundle(&p.bundle("e.tar", PUB, &expired, &v3)),
        "expired",
    );
    assert!(reason.contains("expired"), "{reason}");

    // Older metadata than already seen (rollback), with the older pack.
    let v1 = pack_bytes(PUB, 1);
    let old = repo.metadata(&v1, "packs/p.wmpack", 1, week, &repo.targets_key);
    let reason = untrusted(
        p.store.install_bundle(&p.bundle("o.tar", PUB, &old, &v1)),
        "rollback",
    );
    assert!(reason.contains("rollback"), "{reason}");

    // Newer metadata but an older pack version.
    let newer_meta_old_pack = repo.metadata(&v1, "packs/p.wmpack", 4, week, &repo.targets_key);
    assert!(matches!(
        p.store
            .install_bundle(&p.bundle("op.tar", PUB, &newer_meta_old_pack, &v1)),
        Err(Error::Rollback {
            offered: 1,
            installed: 2
        })
    ));

    assert_eq!(p.titles(), before);
    assert_eq!(p.store.packs().unwrap()[0].manifest.version, 2);
}

#[test]
fn after_key_rotation_new_signatures_install_and_revoked_ones_do_not() {
    let p = phone();
    let mut repo = Repo::new(p.clock.now());
    p.store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    let old_targets = repo.targets_key.clone();
    repo.rotate();
    let week = p.clock.now() + Duration::days(7);

    let v1 = pack_bytes(PUB, 1);
    let revoked = repo.metadata(&v1, "packs/p.wmpack", 1, week, &old_targets);
    untrusted(
        p.store
            .install_bundle(&p.bundle("r.tar", PUB, &revoked, &v1)),
        "revoked key",
    );

    let fresh = repo.metadata(&v1, "packs/p.wmpack", 1, week, &repo.targets_key);
    p.store
        .install_bundle(&p.bundle("n.tar", PUB, &fresh, &v1))
        .unwrap();
    assert_eq!(
        p.store.trusted_publishers().unwrap()[0].root_version,
        2,
        "the new root is now trusted"
    );
}

/// The fingerprint of root `version` (1-based) of `repo`.
fn root_fingerprint(repo: &Repo, version: usize) -> String {
    fingerprint(
        &Envelope::parse(&repo.roots[version - 1])
            .unwrap()
            .read::<Root>("root")
            .unwrap(),
    )
}

#[test]
fn the_fingerprint_shown_is_the_cards_first_root_and_survives_root_rotations() {
    let p = phone();
    let mut repo = Repo::new(p.clock.now());
    let card_fingerprint = root_fingerprint(&repo, 1);
    let trusted = p
        .store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    assert_eq!(trusted.fingerprint, card_fingerprint);

    repo.rotate();
    repo.rotate();
    assert_ne!(
        root_fingerprint(&repo, 3),
        card_fingerprint,
        "new root keys"
    );
    let v1 = pack_bytes(PUB, 1);
    let week = p.clock.now() + Duration::days(7);
    let set = repo.metadata(&v1, "packs/p.wmpack", 1, week, &repo.targets_key);
    p.store
        .install_bundle(&p.bundle("b.tar", PUB, &set, &v1))
        .unwrap();

    let shown = &p.store.trusted_publishers().unwrap()[0];
    assert_eq!(shown.root_version, 3, "the rotated roots are trusted");
    assert_eq!(
        shown.fingerprint, card_fingerprint,
        "the anchor's, unchanged"
    );
}

#[test]
fn a_phone_that_trusted_a_bare_later_root_shows_that_roots_fingerprint_after_rotations() {
    let p = phone();
    let mut repo = Repo::new(p.clock.now());
    repo.rotate();
    let request = TrustRequest {
        id: Some(PUB.into()),
        ..TrustRequest::default()
    };
    p.store.trust_publisher(&repo.roots[1], &request).unwrap();
    repo.rotate();
    let v1 = pack_bytes(PUB, 1);
    let week = p.clock.now() + Duration::days(7);
    let set = repo.metadata(&v1, "packs/p.wmpack", 1, week, &repo.targets_key);
    p.store
        .install_bundle(&p.bundle("b.tar", PUB, &set, &v1))
        .unwrap();

    let shown = &p.store.trusted_publishers().unwrap()[0];
    assert_eq!(shown.root_version, 3);
    assert_eq!(shown.fingerprint, root_fingerprint(&repo, 2));
}

#[test]
fn a_card_is_trusted_only_with_the_fingerprint_expected() {
    let p = phone();
    let repo = Repo::new(p.clock.now());
    let other = Repo::new(p.clock.now());
    let expected = root_fingerprint(&repo, 1);

    let refused = p
        .store
        .trust_publisher_expecting(&other.card(PUB), &TrustRequest::default(), &expected)
        .unwrap_err();
    assert!(matches!(refused, Error::InvalidInput(_)), "{refused:?}");
    assert!(
        refused.to_string().contains("not the publisher's card"),
        "{refused}"
    );
    assert!(
        p.store.trusted_publishers().unwrap().is_empty(),
        "nothing trusted"
    );

    // As a person might type it: lower case, spaces for dashes.
    let typed = expected.to_ascii_lowercase().replace('-', " ");
    let trusted = p
        .store
        .trust_publisher_expecting(&repo.card(PUB), &TrustRequest::default(), &typed)
        .unwrap();
    assert_eq!(trusted.fingerprint, expected);
    assert_eq!(p.store.trusted_publishers().unwrap(), vec![trusted]);
}

#[test]
fn a_root_chain_with_a_gap_is_refused() {
    let p = phone();
    let mut repo = Repo::new(p.clock.now());
    p.store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    repo.rotate();
    repo.rotate();
    let v1 = pack_bytes(PUB, 1);
    let mut set = repo.metadata(
        &v1,
        "packs/p.wmpack",
        1,
        p.clock.now() + Duration::days(7),
        &repo.targets_key,
    );
    set.roots.remove(0); // only root 3: version 2 is missing
    let reason = untrusted(
        p.store.install_bundle(&p.bundle("g.tar", PUB, &set, &v1)),
        "gap",
    );
    assert!(reason.contains("gap"), "{reason}");
    assert!(p.store.packs().unwrap().is_empty());
}

#[test]
fn removing_a_publisher_removes_its_packs() {
    let p = phone();
    let repo = Repo::new(p.clock.now());
    p.store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    assert!(
        p.store
            .trust_publisher(&repo.card(PUB), &TrustRequest::default())
            .is_err(),
        "already trusted"
    );
    let v1 = pack_bytes(PUB, 1);
    let set = repo.metadata(
        &v1,
        "packs/p.wmpack",
        1,
        p.clock.now() + Duration::days(7),
        &repo.targets_key,
    );
    p.store
        .install_bundle(&p.bundle("b.tar", PUB, &set, &v1))
        .unwrap();
    assert!(matches!(
        p.store.remove_publisher_trust("nobody"),
        Err(Error::NotFound("publisher"))
    ));
    assert_eq!(
        p.store.packs().unwrap().len(),
        1,
        "an unknown id changes nothing"
    );
    assert_eq!(p.store.remove_publisher_trust(PUB).unwrap(), 1);
    assert!(p.store.packs().unwrap().is_empty());
    assert!(p.store.trusted_publishers().unwrap().is_empty());
    // Its trusted metadata went with it.
    let left: i64 = p
        .store
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM tuf_roots) + (SELECT count(*) FROM tuf_metadata)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn every_root_trusted_is_kept_for_sharing_and_a_version_3_database_starts_its_history() {
    let p = phone();
    let mut repo = Repo::new(p.clock.now());
    p.store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    repo.rotate();
    let v1 = pack_bytes(PUB, 1);
    let set = repo.metadata(
        &v1,
        "packs/p.wmpack",
        1,
        p.clock.now() + Duration::days(7),
        &repo.targets_key,
    );
    p.store
        .install_bundle(&p.bundle("b.tar", PUB, &set, &v1))
        .unwrap();
    let versions = |s: &ContentStore| -> Vec<u64> {
        super::metadata::PublisherMetadata::new(s, PUB)
            .roots()
            .unwrap()
            .into_iter()
            .map(|(v, _)| v)
            .collect()
    };
    assert_eq!(versions(&p.store), [1, 2], "the whole chain");

    // The same database as version 3 left it: no root history.
    let path = p.dir.path().join("content");
    drop(p.store);
    {
        let conn = rusqlite::Connection::open(path.join("content.db")).unwrap();
        super::tests::entries_as_version_6(&conn);
        conn.execute_batch(
            "DROP TABLE tuf_roots;
             ALTER TABLE publishers DROP COLUMN offline_timestamp;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let store = ContentStore::open_with_clock(&path, p.clock.clone()).unwrap();
    assert_eq!(versions(&store), [2], "the root trusted now starts it");
    assert_eq!(
        store.trusted_publishers().unwrap()[0].fingerprint,
        root_fingerprint(&repo, 2),
        "and is the anchor shown"
    );
    assert_eq!(store.packs().unwrap().len(), 1, "nothing installed is lost");
}

/// Signs `signed` with `key` as metadata bytes.
fn signed_bytes(signed: &impl serde::Serialize, key: &SigningKey) -> Vec<u8> {
    Envelope::sign(signed, &[key]).unwrap().to_bytes().unwrap()
}

/// A snapshot or timestamp listing `files` (name, version, bytes).
fn meta_list(
    kind: &str,
    version: u64,
    expires: DateTime<Utc>,
    files: &[(&str, u64, &[u8])],
) -> MetaList {
    MetaList {
        kind: kind.into(),
        spec_version: SPEC_VERSION.into(),
        version,
        expires,
        meta: files
            .iter()
            .map(|(name, v, bytes)| (name.to_string(), MetaFile::describe(*v, bytes)))
            .collect(),
    }
}

/// A bundle (format 1) carrying a delegated role's metadata too.
fn bundle_with_delegation(
    path: &std::path::Path,
    target: &str,
    top: [&[u8]; 3],
    delegated: (&str, &[u8]),
    pack: &[u8],
) {
    let mut tar = tar::Builder::new(std::fs::File::create(path).unwrap());
    let info = BundleInfo {
        format: FORMAT_PACK_FILE,
        publisher: PUB.into(),
        target: target.into(),
    };
    let files: Vec<(String, Vec<u8>)> = vec![
        ("bundle.json".into(), serde_json::to_vec(&info).unwrap()),
        ("metadata/timestamp.json".into(), top[0].to_vec()),
        ("metadata/snapshot.json".into(), top[1].to_vec()),
        ("metadata/targets.json".into(), top[2].to_vec()),
        (
            format!("metadata/delegated/{}.json", delegated.0),
            delegated.1.to_vec(),
        ),
        (format!("targets/{target}"), pack.to_vec()),
    ];
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, &bytes[..]).unwrap();
    }
    tar.finish().unwrap();
}

#[test]
fn a_delegated_signer_cannot_install_a_pack_under_another_packs_id_or_version() {
    // The publisher delegates packs/partner-*.wmpack to a partner; the
    // partner signs packs/partner-news.wmpack, whose manifest says it is
    // the publisher's own pack "p", version 99.
    let p = phone();
    let repo = Repo::new(p.clock.now());
    p.store
        .trust_publisher(&repo.card(PUB), &TrustRequest::default())
        .unwrap();
    let expires = p.clock.now() + Duration::days(7);
    let real = pack_bytes(PUB, 1);
    let set = repo.metadata(&real, "packs/p.wmpack", 1, expires, &repo.targets_key);
    p.store
        .install_bundle(&p.bundle("real.tar", PUB, &set, &real))
        .unwrap();

    let partner = key();
    let forged = pack_bytes(PUB, 99);
    let partner_targets = signed_bytes(
        &Targets {
            kind: "targets".into(),
            spec_version: SPEC_VERSION.into(),
            version: 1,
            expires,
            targets: [(
                "packs/partner-news.wmpack".to_string(),
                TargetFile::describe(&forged),
            )]
            .into(),
            delegations: None,
        },
        &partner,
    );
    let (partner_keys, partner_entries) = role(&[&partner], 1);
    let top_targets = signed_bytes(
        &Targets {
            kind: "targets".into(),
            spec_version: SPEC_VERSION.into(),
            version: 2,
            expires,
            targets: [("packs/p.wmpack".to_string(), TargetFile::describe(&real))].into(),
            delegations: Some(Delegations {
                keys: partner_entries.into_iter().collect(),
                roles: Some(vec![DelegatedRole {
                    name: "partner".into(),
                    keyids: partner_keys.keyids,
                    threshold: 1,
                    terminating: false,
                    paths: Some(vec!["packs/partner-*.wmpack".into()]),
                    path_hash_prefixes: None,
                }]),
                succinct_roles: None,
            }),
        },
        &repo.targets_key,
    );
    let snapshot = signed_bytes(
        &meta_list(
            "snapshot",
            2,
            expires,
            &[
                ("targets.json", 2, &top_targets),
                ("partner.json", 1, &partner_targets),
            ],
        ),
        &repo.snapshot_key,
    );
    let timestamp = signed_bytes(
        &meta_list("timestamp", 2, expires, &[("snapshot.json", 2, &snapshot)]),
        &repo.timestamp_key,
    );
    let path = p.dir.path().join("forged.tar");
    bundle_with_delegation(
        &path,
        "packs/partner-news.wmpack",
        [&timestamp, &snapshot, &top_targets],
        ("partner", &partner_targets),
        &forged,
    );
    let reason = untrusted(p.store.install_bundle(&path), "the partner's forgery");
    assert!(reason.contains("says pack id 'p'"), "{reason}");
    assert!(reason.contains("partner-news"), "{reason}");
    // Nothing changed: the real pack is still version 1, and its next
    // version is not refused as a rollback.
    assert_eq!(p.store.packs().unwrap()[0].manifest.version, 1);
    assert_eq!(p.titles(), ["Shelter guide version 1"]);
    let next = pack_bytes(PUB, 2);
    let set = repo.metadata(&next, "packs/p.wmpack", 3, expires, &repo.targets_key);
    p.store
        .install_bundle(&p.bundle("next.tar", PUB, &set, &next))
        .unwrap();
    assert_eq!(p.titles(), ["Shelter guide version 2"]);
}
