//! A content database of every earlier schema version, opened with
//! `ContentStore::open` (which upgrades it), ends with exactly the schema
//! of a fresh one, and keeps what it held.
//!
//! Each version's database is built from a fixture in
//! tests/fixtures/content-schema/: that version's CREATE statements as its
//! code had them (copied from git history; each file's header says from
//! which commits), a trusted publisher and a small installed pack in the
//! format of the time. The schema is compared as SQLite keeps it: every
//! object's type, name and table, and the text of its CREATE statement,
//! exactly (whitespace and comments included): an upgrade that leaves a
//! different text than `create` writes (an ALTER TABLE where `create` has
//! the column in its CREATE TABLE, an index condition, a tokenizer option)
//! is a real difference between an upgraded and a fresh database, and is
//! caught as one.

use std::path::Path;

use rusqlite::Connection;
use waymark_core::content::{ContentStore, SearchQuery};

/// The content database's file in a store's directory (`DB_FILE` in the
/// store, which does not export it).
const DB_FILE: &str = "content.db";

/// The fingerprint of the fixtures' publisher's root keys.
const FINGERPRINT: &str = "F5D2-0F28-8B82-E5D3-63E1-5331-FA05-8327";

/// What SQLite keeps of a database's schema.
#[derive(Debug, PartialEq)]
struct Schema {
    /// `(type, name, tbl_name, sql)` of every table, index, view and
    /// trigger, SQLite's automatic indexes included.
    objects: Vec<(String, String, String, Option<String>)>,
    /// `PRAGMA user_version`: the schema version storage.rs records.
    user_version: u32,
}

/// The schema of the content database in `dir` (no store open on it).
fn schema_in(dir: &Path) -> Schema {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    let objects = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let user_version = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    Schema {
        objects,
        user_version,
    }
}

/// The schema of a store opened on an empty directory.
fn fresh_schema() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    drop(ContentStore::open(dir.path()).unwrap());
    schema_in(dir.path())
}

/// Where two schemas' objects differ, one line each, for the failure
/// message.
fn differences(upgraded: &Schema, fresh: &Schema) -> Vec<String> {
    let name = |o: &(String, String, String, Option<String>)| (o.0.clone(), o.1.clone());
    let mut out = Vec::new();
    for o in &fresh.objects {
        match upgraded.objects.iter().find(|u| name(u) == name(o)) {
            None => out.push(format!("only a fresh database has {} {}", o.0, o.1)),
            Some(u) if u != o => out.push(format!(
                "{} {} differs:\n  upgraded: {:?} on {}\n  fresh:    {:?} on {}",
                o.0, o.1, u.3, u.2, o.3, o.2
            )),
            Some(_) => {}
        }
    }
    for u in &upgraded.objects {
        if !fresh.objects.iter().any(|o| name(o) == name(u)) {
            out.push(format!(
                "only the upgraded database has {} {}: {:?}",
                u.0, u.1, u.3
            ));
        }
    }
    out
}

/// Builds the database a fixture describes, upgrades it with
/// `ContentStore::open`, and checks that its data survived and that its
/// schema is a fresh one's.
fn upgrade_and_compare(fixture: &str, version: u32) {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(fixture).unwrap();
        let at: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(at, version, "the fixture is at the version it claims");
    }
    let store = ContentStore::open(dir.path())
        .unwrap_or_else(|e| panic!("the upgrade from version {version} fails: {e}"));
    the_data_survived(&store);
    drop(store);
    the_root_history_starts_with_the_trusted_root(dir.path());

    let upgraded = schema_in(dir.path());
    let fresh = fresh_schema();
    let differences = differences(&upgraded, &fresh);
    assert!(
        differences.is_empty(),
        "a database upgraded from version {version} differs from a fresh one:\n{}",
        differences.join("\n")
    );
    assert_eq!(upgraded.user_version, fresh.user_version);
    assert_eq!(upgraded, fresh);
}

/// The fixture's publisher is still trusted, its pack still installed,
/// and every entry can be found, by search and (a country) by kind.
fn the_data_survived(store: &ContentStore) {
    let publishers = store.trusted_publishers().unwrap();
    assert_eq!(publishers.len(), 1, "{publishers:?}");
    let p = &publishers[0];
    assert_eq!(
        (
            p.id.as_str(),
            p.name.as_str(),
            p.root_version,
            p.url.as_deref()
        ),
        (
            "fixture-ngo",
            "Fixture NGO (test data)",
            1,
            Some("https://example.org/waymark")
        )
    );
    assert_eq!(p.fingerprint, FINGERPRINT);

    let packs = store.packs().unwrap();
    assert_eq!(packs.len(), 1, "{packs:?}");
    assert_eq!(packs[0].publisher, "fixture-ngo");
    assert_eq!(
        (packs[0].manifest.id.as_str(), packs[0].manifest.version),
        ("fixture-minimal", 3)
    );

    // A word of each entry (the expired alert aside), in each script.
    for (query, kind, id) in [
        ("greece", "country", "GR"),
        ("transport strike", "alert", "strike"),
        ("thessaloniki", "route", "athens-thessaloniki"),
        ("police station", "article", "asylum"),
        ("شرطة", "article", "asylum"),
        ("helpline", "service", "svc-hotline"),
        ("interviews", "service", "svc-legal"),
        ("ሕጋዊ", "service", "svc-legal"),
    ] {
        let hits = store.search(&SearchQuery::new(query)).unwrap().hits;
        assert!(
            hits.iter().any(|h| h.kind == kind && h.id == id),
            "'{query}' finds {kind} {id}: {:?}",
            hits.iter().map(|h| (&h.kind, &h.id)).collect::<Vec<_>>()
        );
    }
    let greece = store.country("GR".parse().unwrap()).unwrap();
    assert_eq!(greece.len(), 1);
    assert_eq!(greece[0].provenance.pack, "fixture-minimal");
}

/// The trusted root is the first of the publisher's root history (which
/// the upgrade to version 4 starts for older databases).
fn the_root_history_starts_with_the_trusted_root(dir: &Path) {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    let roots: Vec<(String, i64, bool)> = conn
        .prepare(
            "SELECT r.publisher, r.version, r.body = CAST(p.root AS BLOB)
             FROM tuf_roots r JOIN publishers p ON p.id = r.publisher",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(roots, [("fixture-ngo".to_owned(), 1, true)]);
}

mod a_database_upgraded_from_every_earlier_version_has_the_schema_of_a_fresh_one {
    use super::upgrade_and_compare;

    #[test]
    fn from_version_1() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v1.sql"), 1);
    }

    #[test]
    fn from_version_2() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v2.sql"), 2);
    }

    /// Version 2 as b317486..b34ed05 wrote it, without `frequent_terms`
    /// (7842e99 added the table to version 2 without a new version).
    #[test]
    fn from_version_2_before_frequent_terms() {
        upgrade_and_compare(
            include_str!("fixtures/content-schema/v2-before-frequent-terms.sql"),
            2,
        );
    }

    #[test]
    fn from_version_3() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v3.sql"), 3);
    }

    #[test]
    fn from_version_4() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v4.sql"), 4);
    }

    #[test]
    fn from_version_5() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v5.sql"), 5);
    }

    /// The last version with FTS5: its `search` table and frequent words
    /// go, and the index is rebuilt from the entries.
    #[test]
    fn from_version_6() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v6.sql"), 6);
    }

    #[test]
    fn from_version_7() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v7.sql"), 7);
    }

    /// The last version whose entries are word-coded without a model:
    /// every entry is recoded.
    #[test]
    fn from_version_8() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v8.sql"), 8);
    }

    /// Before packs kept what updates in place need: the pack installed
    /// then has none of it, and is still found.
    #[test]
    fn from_version_9() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v9.sql"), 9);
    }

    /// Before a pack's entries were found by its entry order: the pack
    /// (upgraded from version 9) has none, and is still found, updated
    /// and removed.
    #[test]
    fn from_version_10() {
        upgrade_and_compare(include_str!("fixtures/content-schema/v10.sql"), 10);
    }
}
