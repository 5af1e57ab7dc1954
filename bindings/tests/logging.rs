//! The app's log sink hears the outcomes (unlocks, wrong passphrases, a
//! throttled attempt, packs installed and refused, a sync's summary), and
//! never a passphrase, a document's title, a path, a URL or a publisher.
//! One test in its own process: the sink is the process's.

mod support;

use std::sync::Arc;

use support::{Kept, TEST_KDF, block_on, temp_dir};
use waymark_core::content::synthetic::{SyntheticPublisher, pack};
use waymark_ffi::document::{DocumentKind, DocumentMetadata};
use waymark_ffi::error::{Result, WaymarkError};
use waymark_ffi::http::{HttpBody, HttpError, HttpRequest, HttpResponse, HttpTransport};
use waymark_ffi::sync::Network;
use waymark_ffi::{ContentStore, LogLevel, LogSink, Vault, create_vault, set_log_sink};

struct Lines(Arc<Kept<(LogLevel, String, String)>>);

impl LogSink for Lines {
    fn log(&self, level: LogLevel, target: String, message: String) -> Result<()> {
        self.0.push((level, target, message));
        Ok(())
    }
}

struct NotFound;

struct NoBody;

impl HttpBody for NoBody {
    fn read(&self, _: i32) -> std::result::Result<Vec<u8>, HttpError> {
        Ok(Vec::new())
    }
    fn release(&self) {}
}

impl HttpTransport for NotFound {
    fn send(&self, _: HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
        Ok(HttpResponse {
            status: 404,
            headers: Vec::new(),
            body: Arc::new(NoBody),
        })
    }
}

#[test]
fn the_sink_hears_outcomes_and_nothing_personal() {
    const PASSPHRASE: &str = "correct horse battery";
    const WRONG: &str = "hunter2 guess";
    const TITLE: &str = "Passport of Amanuel";
    const PUBLISHER: &str = "refugee-legal-aid";
    const URL: &str = "https://legal-aid.example/repo";

    let lines = Arc::new(Kept::default());
    // Off by default: nothing before the sink is installed.
    let dir = temp_dir();
    let vault_dir = dir.path().join("vault").to_string_lossy().into_owned();
    let vault = block_on(create_vault(
        vault_dir.clone(),
        PASSPHRASE.into(),
        Some(TEST_KDF),
    ))
    .unwrap()
    .vault;
    vault.lock();
    set_log_sink(Some(Box::new(Lines(Arc::clone(&lines)))), LogLevel::Info);

    // Unlock outcomes.
    for _ in 0..4 {
        assert!(block_on(Arc::clone(&vault).unlock(WRONG.into())).is_err());
    }
    let throttled = block_on(Arc::clone(&vault).unlock(PASSPHRASE.into())).unwrap_err();
    assert!(matches!(throttled, WaymarkError::TooManyAttempts { .. }));
    drop(vault);
    let other = temp_dir();
    let vault_two: Arc<Vault> = block_on(create_vault(
        other.path().to_string_lossy().into_owned(),
        PASSPHRASE.into(),
        Some(TEST_KDF),
    ))
    .unwrap()
    .vault;
    vault_two.lock();
    block_on(Arc::clone(&vault_two).unlock(PASSPHRASE.into())).unwrap();
    block_on(Arc::clone(&vault_two).add_document(
        DocumentMetadata {
            kind: DocumentKind::Passport,
            title: TITLE.into(),
            issuing_country: None,
            number: Some("P1234567".into()),
            holder_name: Some("Amanuel".into()),
            issued_on: None,
            expires_on: None,
            notes: String::new(),
            tags: Vec::new(),
            mime_type: "image/jpeg".into(),
        },
        vec![1, 2, 3],
    ))
    .unwrap();

    // Pack installs: one in, one refused (altered), then a sync.
    let store = block_on(ContentStore::open(
        dir.path().join("content").to_string_lossy().into_owned(),
        Some(Arc::new(NotFound)),
    ))
    .unwrap();
    let publisher = SyntheticPublisher::new(PUBLISHER).unwrap();
    block_on(Arc::clone(&store).trust_publisher(
        publisher.card().unwrap(),
        Some(waymark_ffi::content::TrustOptions {
            id: None,
            name: None,
            url: Some(URL.into()),
            ..Default::default()
        }),
    ))
    .unwrap();
    let bytes = pack(PUBLISHER, "shelters", 1, 50, 3).unwrap();
    let good = dir.path().join("good.wmbundle");
    publisher
        .bundle(&bytes, "shelters", 1, std::fs::File::create(&good).unwrap())
        .unwrap();
    block_on(Arc::clone(&store).install_pack_from_file(good.to_string_lossy().into_owned()))
        .unwrap();
    let altered = dir.path().join("altered.wmbundle");
    let mut raw = std::fs::read(&good).unwrap();
    let at = raw.len() / 2;
    raw[at] ^= 0xff;
    std::fs::write(&altered, raw).unwrap();
    assert!(
        block_on(Arc::clone(&store).install_pack_from_file(altered.to_string_lossy().into_owned()))
            .is_err()
    );
    block_on(Arc::clone(&store).sync(Network::Unmetered, None, None)).unwrap();
    set_log_sink(None, LogLevel::Info);
    block_on(Arc::clone(&vault_two).unlock(PASSPHRASE.into())).unwrap();

    let lines = lines.all();
    for line in &lines {
        println!("{:?} {} {}", line.0, line.1, line.2);
    }
    let has = |level: LogLevel, target: &str, text: &str| {
        lines
            .iter()
            .any(|(l, t, m)| *l == level && t == target && m.contains(text))
    };
    assert!(has(
        LogLevel::Warn,
        "waymark::vault",
        "wrong passphrase (4 failed attempts"
    ));
    assert!(has(LogLevel::Warn, "waymark::vault", "refused untried"));
    assert!(has(LogLevel::Info, "waymark::vault", "vault unlocked"));
    assert!(has(
        LogLevel::Info,
        "waymark::content",
        "pack shelters version 1 installed (50 entries)"
    ));
    assert!(has(LogLevel::Warn, "waymark::content", "refused"));
    assert!(has(
        LogLevel::Info,
        "waymark::sync",
        "sync done: 1 publishers"
    ));
    assert_eq!(
        lines
            .iter()
            .filter(|(_, _, m)| m == "vault unlocked")
            .count(),
        1,
        "nothing after the sink was removed"
    );
    let personal = [
        PASSPHRASE,
        WRONG,
        TITLE,
        "P1234567",
        "Amanuel",
        PUBLISHER,
        "legal-aid.example",
        &dir.path().to_string_lossy(),
        &other.path().to_string_lossy(),
        "/tmp",
    ];
    for (_, _, message) in &lines {
        for secret in personal {
            assert!(!message.contains(secret), "{message:?} holds {secret:?}");
        }
    }
}
