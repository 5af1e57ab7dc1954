//! `waymark-pack new`: a commented template pack that validates and
//! builds, made only where nothing would be overwritten.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_new_pack_in_three_languages_validates_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("my-pack");
    let made = run(&["new", pack.to_str().unwrap(), "--languages", "en,ar,fr"]);
    assert!(made.status.success(), "{}", text(&made));
    for lang in ["en", "ar", "fr"] {
        assert!(
            pack.join(format!("articles/example/welcome.{lang}.md"))
                .exists()
        );
    }
    let toml = std::fs::read_to_string(pack.join("pack.toml")).unwrap();
    assert!(
        toml.contains("id = \"my-pack\"") && toml.contains("# "),
        "{toml}"
    );

    let checked = run(&["validate", pack.to_str().unwrap()]);
    let report = text(&checked);
    assert!(checked.status.success(), "{report}");
    assert!(!report.contains("warning"), "{report}");
    assert!(report.contains("no errors (7 entries)"), "{report}");
    let out = dir.path().join("my.wmpack");
    let built = run(&[
        "build",
        pack.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(built.status.success(), "{}", text(&built));
}

#[test]
fn new_refuses_a_folder_that_is_not_empty_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("taken");
    std::fs::create_dir(&pack).unwrap();
    std::fs::write(pack.join("notes.txt"), "mine").unwrap();
    let out = run(&["new", pack.to_str().unwrap(), "--languages", "en"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("not empty"), "{}", text(&out));
    let names: Vec<_> = std::fs::read_dir(&pack).unwrap().collect();
    assert_eq!(names.len(), 1);
    assert_eq!(
        std::fs::read_to_string(pack.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing left beside it"
    );
}

#[test]
fn new_refuses_a_language_name_and_suggests_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("p");
    let out = run(&["new", pack.to_str().unwrap(), "--languages", "en,arabic"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("use the code 'ar'"), "{}", text(&out));
    assert!(!Path::new(&pack).exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
