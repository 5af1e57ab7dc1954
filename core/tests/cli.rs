//! The `waymark` CLI as a person or a script runs it: real processes, real
//! files, exit codes and the one-line errors on stderr.
#![cfg(feature = "cli")]

mod servers;

use std::path::{Path, PathBuf};

use std::process::{Command, Output};

const PASS: &str = "cli test passphrase";

/// A home directory and a way to run `waymark` in it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `waymark --home HOME args…` with cheap KDF settings and no secrets in
    /// its environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waymark"));
        cmd.arg("--home").arg(self.path()).args(args);
        for var in [
            "WAYMARK_HOME",
            "WAYMARK_PASSPHRASE",
            "WAYMARK_NEW_PASSPHRASE",
            "WAYMARK_DURESS_PASSPHRASE",
            "WAYMARK_RECOVERY_CODE",
            "WAYMARK_BACKUP_PASSPHRASE",
            "WAYMARK_S3_ENDPOINT",
            "WAYMARK_S3_REGION",
            "WAYMARK_S3_ACCESS_KEY",
            "WAYMARK_S3_SECRET_KEY",
            "WAYMARK_WEBDAV_USERNAME",
            "WAYMARK_WEBDAV_PASSWORD",
            "WAYMARK_PROXY",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("WAYMARK_KDF_MEMORY_KIB", "64")
            .env("WAYMARK_KDF_ITERATIONS", "1")
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// [`Home::command`] with the passphrase, plus `env`.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.env("WAYMARK_PASSPHRASE", PASS);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and asserts failure with exit status 1 and exactly one stderr
    /// line, `waymark: …`; returns it.
    fn err(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        self.err_with_status(args, env, 1)
    }

    /// Like [`Home::err`], with the exit status expected.
    fn err_with_status(&self, args: &[&str], env: &[(&str, &str)], status: i32) -> String {
        let out = self.run(args, env);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {out:?}");
        one_line(&out)
    }

    /// `vault init`; returns the recovery code.
    fn init(&self) -> String {
        let out = self.ok(&["vault", "init"], &[]);
        out.split_whitespace()
            .find(|w| w.len() == 39 && w.matches('-').count() == 7)
            .unwrap_or_else(|| panic!("no recovery code in {out:?}"))
            .to_owned()
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// `vault add`; returns the id.
    fn add(&self, name: &str, bytes: &[u8], extra: &[&str]) -> String {
        let f = self.file(name, bytes);
        let mut args = vec!["vault", "add", f.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.ok(&args, &[]).trim().to_owned()
    }

    fn list_json(&self, env: &[(&str, &str)]) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.ok(&["vault", "list", "--json"], env)).unwrap()
    }

    fn show_json(&self, id: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["vault", "show", id, "--json"], &[])).unwrap()
    }
}

/// The single `waymark: …` line on stderr of a failed run.
fn one_line(out: &Output) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(stderr.starts_with("waymark: "), "{stderr:?}");
    stderr
}

#[test]
fn init_prints_a_recovery_code_once_and_refuses_a_second_vault() {
    let home = Home::new();
    let code = home.init();
    assert_eq!(code.split('-').count(), 8);
    let line = home.err(&["vault", "init"], &[]);
    assert!(line.contains("already exists"), "{line}");
    assert!(
        home.list_json(&[]).is_empty(),
        "the first vault still opens"
    );
}

#[test]
fn add_list_and_get_round_trip_a_document() {
    let home = Home::new();
    home.init();
    let content: Vec<u8> = (0..150_000u32).map(|i| (i % 241) as u8).collect();
    let id = home.add(
        "scan.jpg",
        &content,
        &[
            "--kind",
            "passport",
            "--title",
            "My passport",
            "--country",
            "er",
            "--expires",
            "2030-01-31",
        ],
    );
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));

    let docs = home.list_json(&[]);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], id.as_str());
    assert_eq!(docs[0]["title"], "My passport");
    assert_eq!(docs[0]["kind"], "passport");
    assert_eq!(docs[0]["issuing_country"], "ER");
    assert_eq!(docs[0]["mime_type"], "image/jpeg");
    assert!(home.ok(&["vault", "list"], &[]).contains("My passport"));

    let out = home.path().join("copy.jpg");
    home.ok(&["vault", "get", &id, "--out", out.to_str().unwrap()], &[]);
    assert_eq!(std::fs::read(&out).unwrap(), content);
}

#[test]
fn a_wrong_passphrase_fails_with_one_line_that_does_not_echo_it() {
    let home = Home::new();
    home.init();
    home.add("a.pdf", b"x", &["--kind", "visa", "--title", "Visa"]);
    let line = home.err(
        &["vault", "list"],
        &[("WAYMARK_PASSPHRASE", "my-secret-guess")],
    );
    assert!(line.contains("wrong passphrase"), "{line}");
    assert!(!line.contains("my-secret-guess"), "{line}");
    assert_eq!(home.list_json(&[]).len(), 1, "still intact");
}

#[test]
fn expiring_lists_expired_and_soon_expiring_soonest_first() {
    let home = Home::new();
    home.init();
    let today = chrono::Local::now().date_naive();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    home.add(
        "a",
        b"a",
        &[
            "--kind",
            "visa",
            "--title",
            "In 20 days",
            "--expires",
            &day(20),
        ],
    );
    home.add(
        "b",
        b"b",
        &[
            "--kind",
            "visa",
            "--title",
            "In a year",
            "--expires",
            &day(365),
        ],
    );
    home.add(
        "c",
        b"c",
        &[
            "--kind",
            "visa",
            "--title",
            "Expired",
            "--expires",
            &day(-3),
        ],
    );
    let out = home.ok(&["vault", "expiring", "--within", "30", "--json"], &[]);
    let reminders: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let titles: Vec<&str> = reminders
        .iter()
        .map(|r| r["document"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Expired", "In 20 days"]);
    assert_eq!(reminders[0]["expired"], true);
    assert_eq!(reminders[1]["days_left"], 20);
    let human = home.ok(&["vault", "expiring", "--within", "30"], &[]);
    assert!(human.contains("EXPIRED 3 days ago"), "{human}");
}

#[test]
fn passwd_replaces_the_passphrase() {
    let home = Home::new();
    home.init();
    home.add("a", b"a", &["--kind", "other", "--title", "A"]);
    home.ok(
        &["vault", "passwd"],
        &[("WAYMARK_NEW_PASSPHRASE", "the new one")],
    );
    let line = home.err(&["vault", "list"], &[]);
    assert!(line.contains("wrong passphrase"), "{line}");
    assert_eq!(
        home.list_json(&[("WAYMARK_PASSPHRASE", "the new one")])
            .len(),
        1
    );
}

#[test]
fn recover_restores_access_with_the_code() {
    let home = Home::new();
    let code = home.init();
    home.add("a", b"a", &["--kind", "other", "--title", "A"]);
    let bad = home.err(
        &["vault", "recover"],
        &[
            ("WAYMARK_RECOVERY_CODE", "1234-5678"),
            ("WAYMARK_NEW_PASSPHRASE", "after recovery"),
        ],
    );
    assert!(bad.contains("recovery code"), "{bad}");
    home.ok(
        &["vault", "recover"],
        &[
            ("WAYMARK_RECOVERY_CODE", &code.to_lowercase()),
            ("WAYMARK_NEW_PASSPHRASE", "after recovery"),
        ],
    );
    assert_eq!(
        home.list_json(&[("WAYMARK_PASSPHRASE", "after recovery")])
            .len(),
        1
    );
}

#[test]
fn the_duress_passphrase_shows_the_decoy_and_can_destroy_the_real_vault() {
    let home = Home::new();
    home.init();
    home.add("a", b"a", &["--kind", "passport", "--title", "Real"]);
    home.ok(
        &["vault", "duress"],
        &[("WAYMARK_DURESS_PASSPHRASE", "duress words")],
    );
    assert!(
        home.list_json(&[("WAYMARK_PASSPHRASE", "duress words")])
            .is_empty()
    );
    assert_eq!(home.list_json(&[]).len(), 1);

    home.ok(
        &["vault", "duress", "--destroy-real"],
        &[("WAYMARK_DURESS_PASSPHRASE", "duress words")],
    );
    assert!(
        home.list_json(&[("WAYMARK_PASSPHRASE", "duress words")])
            .is_empty()
    );
    let line = home.err(&["vault", "list"], &[]);
    assert!(line.contains("wrong passphrase"), "{line}");
}

#[test]
fn wipe_needs_yes_and_then_leaves_no_vault() {
    let home = Home::new();
    home.init();
    home.add("a", b"a", &["--kind", "other", "--title", "A"]);
    let line = home.err(&["vault", "wipe"], &[]);
    assert!(line.contains("--yes"), "{line}");
    assert_eq!(home.list_json(&[]).len(), 1, "nothing changed");
    home.ok(&["vault", "wipe", "--yes"], &[("WAYMARK_PASSPHRASE", "")]);
    // Again: a panic button never fails, and leaves nothing behind.
    home.ok(&["vault", "wipe", "--yes"], &[]);
    let line = home.err(&["vault", "list"], &[]);
    assert!(line.contains("no vault"), "{line}");
}

#[test]
fn an_unknown_kind_is_refused_with_the_valid_ones_and_nothing_is_stored() {
    let home = Home::new();
    home.init();
    let f = home.file("a", b"a");
    let line = home.err(
        &[
            "vault",
            "add",
            f.to_str().unwrap(),
            "--kind",
            "passprt",
            "--title",
            "A",
        ],
        &[],
    );
    assert!(line.contains("residence-permit"), "{line}");
    let line = home.err(
        &[
            "vault",
            "add",
            f.to_str().unwrap(),
            "--kind",
            "visa",
            "--title",
            "A",
            "--expires",
            "31/01/2030",
        ],
        &[],
    );
    assert!(
        line.contains("--expires") && line.contains("YYYY-MM-DD"),
        "{line}"
    );
    assert!(home.list_json(&[]).is_empty());
}

#[test]
fn without_a_passphrase_and_a_terminal_it_fails_instead_of_hanging() {
    let home = Home::new();
    home.init();
    let out = home.command(&["vault", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(one_line(&out).contains("WAYMARK_PASSPHRASE"));
}

#[test]
fn usage_errors_are_one_line_with_exit_status_2() {
    let home = Home::new();
    home.init();
    let f = home.file("a", b"a");
    let line = home.err_with_status(&["vault", "list", "--jsn"], &[], 2);
    assert!(line.contains("--jsn") && line.contains("--json"), "{line}");
    let line = home.err_with_status(
        &["vault", "add", f.to_str().unwrap(), "--title", "A"],
        &[],
        2,
    );
    assert!(line.contains("--kind"), "{line}");
    let line = home.err_with_status(&["vault", "expiring"], &[], 2);
    assert!(line.contains("--within"), "{line}");
    let line = home.err_with_status(
        &["vault", "settings", "--wipe-after", "5", "--no-wipe"],
        &[],
        2,
    );
    assert!(line.contains("--no-wipe"), "{line}");
    assert!(home.list_json(&[]).is_empty());
}

#[test]
fn update_changes_only_the_given_fields_and_show_reports_them() {
    let home = Home::new();
    home.init();
    let id = home.add(
        "p.pdf",
        b"p",
        &[
            "--kind",
            "passport",
            "--title",
            "Old title",
            "--holder",
            "Holder Name",
            "--number",
            "N123",
            "--tag",
            "family",
        ],
    );
    home.ok(
        &[
            "vault",
            "update",
            &id,
            "--title",
            "New title",
            "--expires",
            "2031-05-01",
        ],
        &[],
    );
    let doc = home.show_json(&id);
    assert_eq!(doc["title"], "New title");
    assert_eq!(doc["expires_on"], "2031-05-01");
    assert_eq!(doc["kind"], "passport");
    assert_eq!(doc["holder_name"], "Holder Name");
    assert_eq!(doc["number"], "N123");
    assert_eq!(doc["tags"], serde_json::json!(["family"]));
    assert_eq!(doc["mime_type"], "application/pdf");
    let human = home.ok(&["vault", "show", &id], &[]);
    assert!(
        human.contains("New title") && human.contains("2031-05-01"),
        "{human}"
    );

    let line = home.err(&["vault", "update", &id], &[]);
    assert!(line.contains("nothing to change"), "{line}");
    let line = home.err(&["vault", "update", &id, "--issued", "2031-13-01"], &[]);
    assert!(
        line.contains("--issued") && line.contains("YYYY-MM-DD"),
        "{line}"
    );
    assert_eq!(home.show_json(&id)["title"], "New title", "unchanged");
}

#[test]
fn delete_removes_a_document_and_unknown_ids_are_not_found() {
    let home = Home::new();
    home.init();
    let keep = home.add("a", b"a", &["--kind", "visa", "--title", "Keep"]);
    let gone = home.add("b", b"b", &["--kind", "visa", "--title", "Gone"]);
    home.ok(&["vault", "delete", &gone], &[]);
    let docs = home.list_json(&[]);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], keep.as_str());
    let line = home.err(&["vault", "show", &gone], &[]);
    assert!(line.contains("not found"), "{line}");
    let line = home.err(&["vault", "delete", "not-an-id"], &[]);
    assert!(line.contains("32 hexadecimal digits"), "{line}");
}

#[test]
fn errors_name_the_field_never_its_value_nor_a_path() {
    let home = Home::new();
    home.init();
    let f = home.file("a", b"a");
    let line = home.err(
        &[
            "vault",
            "add",
            f.to_str().unwrap(),
            "--kind",
            "passport",
            "--title",
            "T",
            "--holder",
            "Secret\u{7}Name",
        ],
        &[],
    );
    assert!(line.contains("holder name"), "{line}");
    assert!(!line.contains("Secret"), "{line}");

    let id = home.add("b", b"b", &["--kind", "visa", "--title", "V"]);
    let out = home.path().join("no-such-dir").join("copy");
    let line = home.err(&["vault", "get", &id, "--out", out.to_str().unwrap()], &[]);
    assert!(line.contains("--out"), "{line}");
    assert!(!line.contains("no-such-dir"), "{line}");
    assert!(home.list_json(&[]).len() == 1);
}

#[test]
fn repeated_wrong_passphrases_are_throttled() {
    let home = Home::new();
    home.init();
    let wrong = [("WAYMARK_PASSPHRASE", "not it")];
    for n in 1..=3 {
        let line = home.err(&["vault", "list"], &wrong);
        assert!(line.contains("wrong passphrase"), "{line}");
        assert!(!line.contains("wait"), "attempt {n} is free: {line}");
    }
    let line = home.err(&["vault", "list"], &wrong);
    assert!(
        line.contains("4 failed attempts") && line.contains("wait 30s"),
        "{line}"
    );
    let line = home.err(&["vault", "list"], &[]);
    assert!(line.contains("too many failed attempts"), "{line}");
}

#[test]
fn a_regenerated_recovery_code_replaces_the_old_one() {
    let home = Home::new();
    let old = home.init();
    let out = home.ok(&["vault", "recovery-code"], &[]);
    assert!(out.contains("no longer works"), "{out}");
    let new = out
        .split_whitespace()
        .find(|w| w.len() == 39 && w.matches('-').count() == 7)
        .unwrap_or_else(|| panic!("no recovery code in {out:?}"));
    assert_ne!(new, old);
    let recover = |code: &str| {
        home.run(
            &["vault", "recover"],
            &[
                ("WAYMARK_RECOVERY_CODE", code),
                ("WAYMARK_NEW_PASSPHRASE", "recovered"),
            ],
        )
    };
    let line = one_line(&recover(&old));
    assert!(line.contains("does not open this vault"), "{line}");
    assert!(recover(new).status.success());
    assert!(
        home.list_json(&[("WAYMARK_PASSPHRASE", "recovered")])
            .is_empty()
    );
}

#[test]
fn settings_show_and_change_auto_lock_and_wipe_after_failures() {
    let home = Home::new();
    home.init();
    let settings = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["vault", "settings", "--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&home.ok(&all, &[])).unwrap()
    };
    let s = settings(&[]);
    assert_eq!(s["auto_lock_secs"], 300);
    assert_eq!(s["wipe_after_failures"], serde_json::Value::Null);
    assert_eq!(
        s["kdf"]["memory_kib"], 64,
        "init honoured WAYMARK_KDF_MEMORY_KIB"
    );
    let s = settings(&["--auto-lock", "60", "--wipe-after", "5"]);
    assert_eq!(s["auto_lock_secs"], 60);
    assert_eq!(s["wipe_after_failures"], 5);
    assert_eq!(
        settings(&["--no-wipe"])["wipe_after_failures"],
        serde_json::Value::Null
    );
    let line = home.err(&["vault", "settings", "--wipe-after", "1"], &[]);
    assert!(line.contains("at least 3"), "{line}");
    assert!(home.ok(&["vault", "settings"], &[]).contains("60s"));
}

#[test]
fn out_of_range_kdf_settings_are_refused_before_anything_is_created() {
    let home = Home::new();
    let line = home.err(&["vault", "init"], &[("WAYMARK_KDF_MEMORY_KIB", "1")]);
    assert!(line.contains("WAYMARK_KDF_MEMORY_KIB"), "{line}");
    let line = home.err(&["vault", "list"], &[]);
    assert!(line.contains("no vault"), "{line}");
}

#[test]
fn the_demo_runs_end_to_end() {
    let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("wrong passphrase: refused"), "{stdout}");
    assert!(stdout.contains("EXPIRED 12 days ago"), "{stdout}");
    assert!(stdout.contains("expires in 60 days"), "{stdout}");
    assert!(stdout.contains("identical to what was stored"), "{stdout}");
}

// ----- trust, packs and queries ------------------------------------------

#[cfg(feature = "synthetic")]
mod content {
    use super::Home;
    use chrono::NaiveDate;
    use waymark_core::content::model::*;
    use waymark_core::content::pack::write_pack;
    use waymark_core::content::synthetic::{SyntheticPublisher, manifest};

    fn tr(pairs: &[(&str, &str)]) -> Translations {
        pairs
            .iter()
            .map(|(l, t)| (l.to_string(), t.to_string()))
            .collect()
    }

    /// A signed bundle with an Arabic article and a service in Athens.
    fn bundle(home: &Home, publisher: &SyntheticPublisher, version: u64) -> std::path::PathBuf {
        let verified = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let entries = vec![
            Entry::Article(Article {
                id: "police".into(),
                language: "ar".into(),
                title: "مَرْكَزُ الشُّرْطَة".into(),
                body: "يمكنك طلب اللجوء في مركز الشرطة.".into(),
                countries: vec![],
                topics: vec![],
                verified,
                expires: None,
            }),
            Entry::Service(Service {
                id: "clinic".into(),
                organization: None,
                name: tr(&[("en", "Legal clinic (example)")]),
                description: Default::default(),
                categories: vec!["legal".into()],
                location: Some(GeoPoint {
                    lat: 37.98,
                    lon: 23.73,
                }),
                address: None,
                country: None,
                phones: vec![
                    Phone {
                        number: "+302100000000".into(),
                        description: tr(&[("en", "legal advice"), ("ar", "استشارة قانونية")]),
                    },
                    Phone {
                        number: "+306900000000".into(),
                        description: Default::default(),
                    },
                ],
                email: None,
                url: None,
                languages: vec!["ar".into()],
                // Version 2 changes the service.
                free: Some(version == 1),
                schedule: vec![],
                time_zone: None,
                verified,
            }),
        ];
        let mut pack = Vec::new();
        write_pack(
            &manifest("cli-ngo", "cli-pack", version),
            &entries,
            &mut pack,
        )
        .unwrap();
        let path = home.path().join(format!("cli-pack-{version}.wmbundle"));
        publisher
            .bundle(
                &pack,
                "cli-pack",
                version,
                std::fs::File::create(&path).unwrap(),
            )
            .unwrap();
        path
    }

    #[test]
    fn trust_install_search_nearby_and_remove_from_the_command_line() {
        let home = Home::new();
        let publisher = SyntheticPublisher::new("cli-ngo").unwrap();
        let card = home.file("card.json", &publisher.card().unwrap());
        let b1 = bundle(&home, &publisher, 1);

        // An unknown publisher's bundle is refused.
        let line = home.err(&["pack", "install", b1.to_str().unwrap()], &[]);
        assert!(line.contains("unknown publisher"), "{line}");

        let out = home.ok(&["trust", "add", card.to_str().unwrap()], &[]);
        assert!(out.contains("Fingerprint: "), "{out}");
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&home.ok(&["trust", "list", "--json"], &[])).unwrap();
        assert_eq!(list[0]["id"], "cli-ngo");

        home.ok(&["pack", "install", b1.to_str().unwrap()], &[]);
        let again = home.err(&["pack", "install", b1.to_str().unwrap()], &[]);
        assert!(
            again.contains("not newer") || again.contains("rollback"),
            "{again}"
        );

        let hits: serde_json::Value = serde_json::from_str(
            &home.ok(&["search", "مركز الشرطه", "--lang", "ar", "--json"], &[]),
        )
        .unwrap();
        assert_eq!(hits["hits"][0]["id"], "police");
        assert_eq!(hits["hits"][0]["provenance"]["publisher"], "cli-ngo");

        let near: Vec<serde_json::Value> = serde_json::from_str(&home.ok(
            &[
                "nearby",
                "37.99",
                "23.73",
                "--radius-km",
                "3",
                "--speaks",
                "ar",
                "--json",
            ],
            &[],
        ))
        .unwrap();
        assert_eq!(near.len(), 1);
        assert_eq!(near[0]["service"]["id"], "clinic");
        // The human output shows every phone, E.164 with its label in the
        // language asked for.
        let human = home.ok(&["nearby", "37.99", "23.73", "--lang", "ar"], &[]);
        assert!(human.contains("Legal clinic (example)"), "{human}");
        assert!(
            human.contains("tel +302100000000 (استشارة قانونية)"),
            "{human}"
        );
        assert!(human.contains("tel +306900000000\n"), "{human}");
        let human = home.ok(&["nearby", "37.99", "23.73"], &[]);
        assert!(
            human.contains("tel +302100000000 (legal advice)"),
            "{human}"
        );
        // Installing version 2 tells what changed, in words and in JSON.
        let b2 = bundle(&home, &publisher, 2);
        let out = home.ok(&["pack", "install", b2.to_str().unwrap()], &[]);
        assert!(out.contains("1 service updated (clinic)"), "{out}");
        let b3 = bundle(&home, &publisher, 3);
        let out: serde_json::Value = serde_json::from_str(
            &home.ok(&["pack", "install", b3.to_str().unwrap(), "--json"], &[]),
        )
        .unwrap();
        assert_eq!(out["changes"]["kinds"], serde_json::json!([]), "{out}");
        let far: Vec<serde_json::Value> =
            serde_json::from_str(&home.ok(&["nearby", "-33.9", "18.4", "--json"], &[])).unwrap();
        assert!(
            far.is_empty(),
            "negative coordinates parse, and nothing is near Cape Town"
        );

        let line = home.err(&["country", "GRC"], &[]);
        assert!(line.contains("two letters"), "{line}");

        home.ok(&["pack", "remove", "cli-pack"], &[]);
        let packs: Vec<serde_json::Value> =
            serde_json::from_str(&home.ok(&["pack", "list", "--json"], &[])).unwrap();
        assert!(packs.is_empty());
        home.ok(&["trust", "remove", "cli-ngo"], &[]);
        assert!(
            home.ok(&["trust", "list"], &[])
                .contains("No trusted publishers")
        );
    }
}

#[test]
fn backup_export_needs_a_passphrase_or_a_recipient_and_refuses_a_bad_key() {
    let home = Home::new();
    home.init();
    let out = home.path().join("b.age");
    let out = out.to_str().unwrap();
    let line = home.err_with_status(&["backup", "export", "--out", out], &[], 2);
    assert!(
        line.contains("--passphrase") && line.contains("--recipient"),
        "{line}"
    );
    let line = home.err_with_status(
        &[
            "backup",
            "export",
            "--out",
            out,
            "--passphrase",
            "--recipient",
            "age1x",
        ],
        &[],
        2,
    );
    assert!(line.contains("cannot be used with"), "{line}");
    let line = home.err(
        &[
            "backup",
            "export",
            "--out",
            out,
            "--recipient",
            "age1notakey",
        ],
        &[],
    );
    assert!(line.contains("age recipient"), "{line}");
    // No prompt without a terminal: the backup passphrase must come from the environment.
    let line = home.err(&["backup", "export", "--out", out, "--passphrase"], &[]);
    assert!(line.contains("WAYMARK_BACKUP_PASSPHRASE"), "{line}");
    assert!(!home.path().join("b.age").exists());
}

#[test]
fn backup_round_trips_through_the_cli_and_a_second_import_skips() {
    let (a, b) = (Home::new(), Home::new());
    a.init();
    b.init();
    let scan = a.path().join("scan.jpg");
    std::fs::write(&scan, b"scan bytes").unwrap();
    let id = a.ok(
        &[
            "vault",
            "add",
            scan.to_str().unwrap(),
            "--kind",
            "passport",
            "--title",
            "P",
        ],
        &[],
    );
    let file = a.path().join("b.age");
    let env = [("WAYMARK_BACKUP_PASSPHRASE", "backup words")];
    let out = a.ok(
        &[
            "backup",
            "export",
            "--out",
            file.to_str().unwrap(),
            "--passphrase",
        ],
        &env,
    );
    assert!(out.contains("1 document"), "{out}");
    let first = b.ok(&["backup", "import", file.to_str().unwrap()], &env);
    assert!(first.contains("Imported 1 document; 0 already"), "{first}");
    let second = b.ok(&["backup", "import", file.to_str().unwrap()], &env);
    assert!(
        second.contains("Imported 0 documents; 1 already"),
        "{second}"
    );
    let copy = b.path().join("copy.jpg");
    b.ok(
        &["vault", "get", id.trim(), "--out", copy.to_str().unwrap()],
        &[],
    );
    assert_eq!(std::fs::read(copy).unwrap(), b"scan bytes");
    let line = b.err(
        &["backup", "import", file.to_str().unwrap()],
        &[("WAYMARK_BACKUP_PASSPHRASE", "not the words")],
    );
    assert!(line.contains("does not open"), "{line}");
}

#[test]
fn remote_backup_set_now_status_and_restore_on_a_new_phone_with_the_recovery_code() {
    let served = tempfile::tempdir().unwrap();
    let root = served.path().join("dav");
    std::fs::create_dir(&root).unwrap();
    let dav = servers::wsgidav(&root);
    let url = format!("http://127.0.0.1:{}/people/amal/waymark", dav.port);
    let password = [("WAYMARK_WEBDAV_PASSWORD", "s3cret")];

    let phone = Home::new();
    let code = phone.init();
    let id = phone.add(
        "scan.jpg",
        b"REMOTE-CLI-MARKER scan",
        &["--kind", "passport", "--title", "Passport"],
    );
    // No password in the environment and no terminal: a clear error, nothing set.
    let line = phone.err(
        &["backup", "remote", "set", &url, "--username", "alice"],
        &[],
    );
    assert!(line.contains("WAYMARK_WEBDAV_PASSWORD"), "{line}");
    assert!(
        phone
            .ok(&["backup", "status"], &[])
            .contains("No backup location")
    );
    // Not a location at all.
    let line = phone.err(&["backup", "remote", "set", "ftp://example.org/x"], &[]);
    assert!(line.contains("s3://"), "{line}");

    let said = phone.ok(
        &["backup", "remote", "set", &url, "--username", "alice"],
        &password,
    );
    assert!(
        said.contains("people/amal/waymark") && !said.contains("s3cret"),
        "{said}"
    );
    assert!(
        phone
            .ok(&["backup", "status"], &[])
            .contains("Last backup: never")
    );

    let report: serde_json::Value =
        serde_json::from_str(&phone.ok(&["backup", "now", "--json"], &[])).unwrap();
    assert_eq!(report["uploaded"], 1, "{report}");
    assert_eq!(report["stored_revisions"], 1);
    let again = phone.ok(&["backup", "now"], &[]);
    assert!(
        again.contains("Nothing changed") && again.contains("1 request"),
        "{again}"
    );
    let status = phone.ok(&["backup", "status"], &[]);
    assert!(
        status.contains("Changed since: no") && status.contains("1 document"),
        "{status}"
    );

    // The server holds no plaintext.
    for f in files_below(&root) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(18).any(|w| w == b"REMOTE-CLI-MARKER "),
            "{f:?}"
        );
    }

    // A new phone: a wrong code fails with one line and leaves no vault;
    // the right one restores, with a new passphrase.
    let new_phone = Home::new();
    let restore = [
        "backup",
        "restore",
        "--from",
        &url,
        "--username",
        "alice",
        "--recovery-code",
    ];
    let bad = new_phone.err(
        &restore,
        &[
            password[0],
            ("WAYMARK_RECOVERY_CODE", "AAAA-BBBB"),
            ("WAYMARK_NEW_PASSPHRASE", "new phone words"),
        ],
    );
    assert!(bad.contains("recovery code"), "{bad}");
    let said = new_phone.ok(
        &restore,
        &[
            password[0],
            ("WAYMARK_RECOVERY_CODE", &code),
            ("WAYMARK_NEW_PASSPHRASE", "new phone words"),
        ],
    );
    assert!(said.contains("Restored 1 document"), "{said}");
    let docs = new_phone.list_json(&[("WAYMARK_PASSPHRASE", "new phone words")]);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], id.as_str());
    let out = new_phone.path().join("copy.jpg");
    new_phone.ok(
        &["vault", "get", &id, "--out", out.to_str().unwrap()],
        &[("WAYMARK_PASSPHRASE", "new phone words")],
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"REMOTE-CLI-MARKER scan");
    // A second restore into a phone with a vault is refused.
    let line = new_phone.err(&restore, &[password[0], ("WAYMARK_RECOVERY_CODE", &code)]);
    assert!(line.contains("has a vault already"), "{line}");
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push(p);
        }
    }
    out
}
