//! The `waymark` CLI as a person or a script runs it: real processes, real
//! files, exit codes and the one-line errors on stderr.
#![cfg(feature = "cli")]

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

    /// `waymark --home HOME args…` with the passphrase and cheap KDF
    /// settings in its environment, plus `env`.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waymark"));
        cmd.arg("--home").arg(self.path()).args(args);
        cmd.env_remove("WAYMARK_HOME")
            .env("WAYMARK_PASSPHRASE", PASS)
            .env("WAYMARK_KDF_MEMORY_KIB", "64")
            .env("WAYMARK_KDF_ITERATIONS", "1");
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

    /// Runs and asserts failure with exactly one stderr line; returns it.
    fn err(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env);
        assert!(!out.status.success(), "{args:?} should have failed");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
        stderr
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
}

#[test]
fn init_prints_a_recovery_code_once_and_refuses_a_second_vault() {
    let home = Home::new();
    let code = home.init();
    assert_eq!(code.split('-').count(), 8);
    let line = home.err(&["vault", "init"], &[]);
    assert!(line.starts_with("waymark: "), "{line}");
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
    home.err(&["vault", "list"], &[]);
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
    let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
        .arg("--home")
        .arg(home.path())
        .args(["vault", "list"])
        .env_remove("WAYMARK_PASSPHRASE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("WAYMARK_PASSPHRASE"));
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
                phones: vec![],
                email: None,
                url: None,
                languages: vec!["ar".into()],
                free: Some(true),
                schedule: vec![],
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
