//! `waymark-pack preview`: a real server on 127.0.0.1, asked over HTTP as
//! a browser would. (The page in a real browser, Chromium, is
//! `scripts/preview-test`.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

#[allow(dead_code)]
mod common;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal")
}

/// A running `waymark-pack preview`, stopped on drop.
struct Preview {
    child: Child,
    /// host:port
    addr: String,
}

impl Preview {
    /// Previews `dir`; its temporary files go under `tmp`, which the
    /// test removes (the server is killed, so it cannot).
    fn start(dir: &Path, tmp: &Path, extra: &[&str], now: Option<&str>) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waymark-pack"));
        cmd.arg("preview")
            .arg(dir)
            .args(["--port", "0"])
            .args(extra)
            .env("TMPDIR", tmp)
            .env_remove("WAYMARK_PACK_NOW")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(now) = now {
            cmd.env("WAYMARK_PACK_NOW", now);
        }
        let mut child = cmd.spawn().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while !line.contains("http://") {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "no address");
        }
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        Preview { child, addr }
    }

    /// GET `path_and_query`: (status, headers, body).
    fn get(&self, path_and_query: &str) -> (u16, String, String) {
        self.get_as(&self.addr, path_and_query)
    }

    /// GET with `host` in the Host header.
    fn get_as(&self, host: &str, path_and_query: &str) -> (u16, String, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "GET {path_and_query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        // The server sends the whole page at once, chunked or not; a chunked
        // body's size lines do not matter to what the tests look for.
        (status, head.to_ascii_lowercase(), body.to_owned())
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` with `from` replaced by `to`, which must be there.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// A copy of the fixture in `dir/src`, and `dir/tmp` for the server.
fn copy_of_fixture() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    common::copy_dir(&fixture(), &src);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    (dir, src, tmp)
}

#[test]
fn the_page_shows_the_pack_in_the_language_asked_for_right_to_left_for_arabic() {
    let (_dir, src, tmp) = copy_of_fixture();
    let preview = Preview::start(&src, &tmp, &["--lang", "ar"], None);
    assert!(preview.addr.starts_with("127.0.0.1:"), "{}", preview.addr);

    let (status, head, body) = preview.get("/");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(body.contains(r#"<html lang="ar" dir="rtl">"#), "{body}");
    assert!(body.contains("حزمة تجريبية"), "the title in Arabic");
    // The SAMPLE mark, as the phone words it, and the services from the
    // first one's point with distances and E.164 numbers.
    assert!(body.contains("عيّنة: ليست معلومات حقيقية"));
    assert!(body.contains("0.0 km"), "{body}");
    assert!(body.contains(r#"href="tel:+30"#), "{body}");
    // The language switcher offers every language of the pack.
    for tag in ["en", "ar", "ti"] {
        assert!(body.contains(&format!(r#"href="/?lang={tag}""#)), "{tag}");
    }

    let (_, _, en) = preview.get("/?lang=en");
    assert!(en.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(en.contains("Minimal fixture pack"));
    assert!(en.contains("Greece"), "the country profile");
    assert!(en.contains("112"), "its emergency number");

    // A search in Arabic: the phone library's hits, each in its own
    // language and direction, even on an English page.
    let q = "/?lang=en&q=%D8%B9%D9%8A%D8%A7%D8%AF%D8%A9"; // عيادة
    let (_, _, found) = preview.get(q);
    assert!(
        found.contains(r#"<li class="card hit" lang="ar" dir="rtl">"#),
        "{found}"
    );
    assert!(found.contains("<h3>عيادة قانونية</h3>"), "{found}");
}

#[test]
fn pack_text_cannot_inject_html_or_script() {
    let (_dir, src, tmp) = copy_of_fixture();
    let services = src.join("services/service.csv");
    edit(
        &services,
        "Legal clinic (example)",
        r#"<script>alert(1)</script> clinic"#,
    );
    edit(
        &services,
        "Asylum interviews and appeals",
        // One CSV cell: quoted, its quote doubled.
        r#""""><img src=x onerror=alert(2)>""#,
    );
    edit(
        &src.join("countries/GR.yaml"),
        "name: {en: Greece,",
        "links: [{title: {en: Rights}, url: \"javascript:alert(3)\"}]\nname: {en: Greece,",
    );
    let preview = Preview::start(&src, &tmp, &[], None);
    let (status, head, body) = preview.get("/?lang=en&q=clinic");
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("<img"), "{body}");
    // askama writes the escapes as numeric character references.
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62; clinic"),
        "{body}"
    );
    assert!(
        body.contains("&#34;&#62;&#60;img src=x onerror=alert(2)&#62;"),
        "{body}"
    );
    // A link that is not http(s) is shown as text, never followed.
    assert!(!body.contains(r#"href="javascript"#), "{body}");
    assert!(body.contains("javascript:alert(3)"), "{body}");
    // And the browser is told to run no script at all.
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    // Nothing from the query string is reflected unescaped either.
    let (_, _, echoed) =
        preview.get("/?q=%3Cscript%3Ex%3C%2Fscript%3E&place=%22%3E%3Cu%20id%3Dx%3E");
    assert!(!echoed.contains("<script>x"), "{echoed}");
    assert!(!echoed.contains("<u id=x>"), "{echoed}");
    assert!(echoed.contains("&#34;&#62;&#60;u id=x&#62;"), "{echoed}");
}

#[test]
fn warnings_show_next_to_their_entry_and_errors_on_top_after_an_edit() {
    let (_dir, src, tmp) = copy_of_fixture();
    // A service in Athens whose point is in Turkey: a warning on the
    // service (it still builds).
    edit(
        &src.join("services/location.csv"),
        "37.9838,23.7275",
        "38.4200,27.1400",
    );
    let preview = Preview::start(&src, &tmp, &["--lang", "en"], None);
    let (status, _, body) = preview.get("/");
    assert_eq!(status, 200);
    let card = body
        .split(r#"<li class="card service">"#)
        .find(|c| c.contains("Legal clinic (example)"))
        .unwrap_or_else(|| panic!("no service card: {body}"));
    let card = card.split("</li>").next().unwrap();
    assert!(
        card.contains(r#"<p class="warn" lang="en" dir="ltr">"#)
            && card.contains("services/location.csv:2")
            && card.contains("is in TR, not in GR"),
        "{card}"
    );
    assert!(body.contains("warning(s): the pack builds"), "{body}");
    assert!(!body.contains(r#"id="errors""#));

    // An edit that makes an error is shown on the next load, on top, and
    // the pack is not shown.
    edit(&src.join("services/phone.csv"), "+30", "call us +30");
    let (status, _, body) = preview.get("/");
    assert_eq!(status, 200);
    assert!(body.contains(r#"id="errors""#), "{body}");
    assert!(body.contains("the pack is not built"), "{body}");
    assert!(body.contains("services/phone.csv:2"), "{body}");
    assert!(!body.contains(r#"id="services""#), "{body}");
}

#[test]
fn the_phone_lives_at_waymark_pack_now_to_show_alerts_in_force_then() {
    let (_dir, src, tmp) = copy_of_fixture();
    let now = Preview::start(&src, &tmp, &["--lang", "en"], None);
    let (_, _, today) = now.get("/");
    assert!(today.contains("Transport strike (test data)"), "{today}");
    assert!(!today.contains("Old closure (test data)"), "{today}");
    drop(now);

    // In September 2026 the closure was in force and the strike not yet.
    let then = Preview::start(&src, &tmp, &["--lang", "en"], Some("2026-09-15T12:00:00Z"));
    let (status, _, september) = then.get("/");
    assert_eq!(status, 200, "{september}");
    assert!(september.contains("Old closure (test data)"), "{september}");
    assert!(
        !september.contains("Transport strike (test data)"),
        "{september}"
    );
}

#[test]
fn only_the_page_is_served_only_to_this_computer_and_a_missing_folder_is_refused() {
    let (_dir, src, tmp) = copy_of_fixture();
    let preview = Preview::start(&src, &tmp, &[], None);
    let (status, _, _) = preview.get("/../pack.toml");
    assert_eq!(status, 404);
    let (status, _, _) = preview.get("/pack.toml");
    assert_eq!(status, 404);
    // A page elsewhere that points its own name at 127.0.0.1 (DNS
    // rebinding) reads nothing; the names of this computer do.
    let (status, _, body) = preview.get_as("attacker.example", "/");
    assert_eq!(status, 421);
    assert!(!body.contains("Minimal fixture pack"), "{body}");
    let port = preview.addr.rsplit_once(':').unwrap().1;
    let (status, _, _) = preview.get_as(&format!("localhost:{port}"), "/");
    assert_eq!(status, 200);

    let out = Command::new(env!("CARGO_BIN_EXE_waymark-pack"))
        .args(["preview", "/nonexistent/pack", "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
