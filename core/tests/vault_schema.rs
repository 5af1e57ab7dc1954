//! A vault database upgraded from every earlier schema version has the
//! schema of a fresh one (issue 20 §5): the same tables, indexes and
//! columns in `sqlite_schema`, and the same `user_version`.
//!
//! Version 1 is a real vault written by the code of its time
//! (`tests/fixtures/vault-v1/`, see its README); versions 2 and 3 are their
//! CREATE statements taken verbatim from `core/src/vault/schema.rs` at the
//! last commit of each (`tests/fixtures/vault-schema/`). The CREATE text is
//! compared without its `--` comments and with runs of white space made one
//! space: comments written beside a column have been reworded over time,
//! and are not schema.

mod common;

use std::path::Path;

use rusqlite::Connection;
use waymark_core::vault::{Vault, VaultOptions};

/// `(type, name, table, CREATE text normalised)`, sorted, and the version.
type Schema = (Vec<(String, String, String, Option<String>)>, u32);

fn normalise(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split_once("--").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

fn schema_of(db: &Path) -> Schema {
    let conn = Connection::open(db).unwrap();
    let objects = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, Option<String>>(3)?.map(|s| normalise(&s)),
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let version = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    (objects, version)
}

fn fresh() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    let clock = common::clock();
    let (vault, _) = common::new_vault(dir.path(), &clock);
    drop(vault);
    schema_of(&dir.path().join("vault/vault.db"))
}

/// Opens (and so upgrades) the vault in `dir`, then compares.
fn upgrade_and_compare(dir: &Path, from: u32) {
    let before = schema_of(&dir.join("vault.db"));
    assert_eq!(before.1, from, "the fixture is at the version it claims");
    drop(Vault::open(dir, VaultOptions::for_tests()).expect("the old vault opens"));
    let upgraded = schema_of(&dir.join("vault.db"));
    let fresh = fresh();
    assert_eq!(upgraded.1, fresh.1, "upgraded to the current version");
    for (o, u) in fresh.0.iter().zip(&upgraded.0) {
        assert_eq!(o, u, "from version {from}");
    }
    assert_eq!(upgraded.0, fresh.0, "from version {from}: the same objects");
}

fn from_sql(sql: &str, version: u32) {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("vault.db")).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    upgrade_and_compare(dir.path(), version);
}

#[test]
fn a_vault_from_version_1_upgrades_to_the_fresh_schema() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vault-v1/vault");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture.join("vault.db"), dir.path().join("vault.db")).unwrap();
    upgrade_and_compare(dir.path(), 1);
}

#[test]
fn a_vault_from_version_2_upgrades_to_the_fresh_schema() {
    from_sql(include_str!("fixtures/vault-schema/v2.sql"), 2);
}

#[test]
fn a_vault_from_version_3_upgrades_to_the_fresh_schema() {
    from_sql(include_str!("fixtures/vault-schema/v3.sql"), 3);
}

#[test]
fn comments_are_not_schema_but_everything_else_is() {
    assert_eq!(
        normalise("CREATE TABLE t (\n  a INTEGER, -- one\n  b BLOB   -- two\n)"),
        normalise("CREATE TABLE t (a INTEGER,\n b BLOB)")
    );
    assert_ne!(
        normalise("CREATE TABLE t (a INTEGER, b BLOB)"),
        normalise("CREATE TABLE t (a INTEGER, b TEXT)")
    );
}
