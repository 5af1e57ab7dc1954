//! Backups as the apps reach them: a backup file exported and imported, and
//! the remote backup to a real WebDAV server (wsgidav, started here) through
//! an app-style `HttpTransport`, with progress, "nothing changed",
//! cancellation and a restore on a new phone with the recovery code.

mod support;

#[path = "../../core/tests/servers/mod.rs"]
mod servers;

use std::io::Read;
use std::sync::{Arc, Mutex};

use support::{Kept, TEST_KDF, block_on, temp_dir};
use waymark_core::sync::{
    Method, ReqwestTransport, Transport, TransportErrorKind, TransportRequest,
};
use waymark_ffi::document::{DocumentKind, DocumentMetadata};
use waymark_ffi::error::{Result, WaymarkError};
use waymark_ffi::{
    BackupListener, BackupLocation, BackupProgress, BackupRecipient, HttpBody, HttpError,
    HttpHeader, HttpRequest, HttpResponse, HttpTransport, RestoreSecret, SyncCancellation, Vault,
    create_vault, restore_backup,
};

const PASSPHRASE: &str = "correct horse battery";

/// An app's transport, as the Kotlin and Swift layers write one: here over
/// the core's reqwest transport. Records each request's method.
#[derive(Default)]
struct AppTransport {
    inner: ReqwestTransport,
    methods: Mutex<Vec<String>>,
}

struct Body(Mutex<Box<dyn Read + Send>>);

impl HttpBody for Body {
    fn read(&self, max_bytes: i32) -> std::result::Result<Vec<u8>, HttpError> {
        let mut buf = vec![0u8; max_bytes.max(1) as usize];
        let n = self
            .0
            .lock()
            .unwrap()
            .read(&mut buf)
            .map_err(|e| HttpError::Other {
                reason: e.to_string(),
            })?;
        buf.truncate(n);
        Ok(buf)
    }
    fn release(&self) {}
}

impl HttpTransport for AppTransport {
    fn send(&self, request: HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
        self.methods.lock().unwrap().push(request.method.clone());
        let method = match request.method.as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "MKCOL" => Method::Mkcol,
            other => {
                return Err(HttpError::Other {
                    reason: format!("no such method {other}"),
                });
            }
        };
        let response = self
            .inner
            .send(&TransportRequest {
                method,
                url: request.url,
                body: request.body,
                headers: request
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect(),
                connect_timeout: std::time::Duration::from_millis(
                    request.connect_timeout_ms as u64,
                ),
                read_timeout: std::time::Duration::from_millis(request.read_timeout_ms as u64),
                proxy: request.proxy,
            })
            .map_err(|e| match e.kind {
                TransportErrorKind::Timeout => HttpError::Timeout,
                TransportErrorKind::Connect => HttpError::Connect,
                TransportErrorKind::Other => HttpError::Other { reason: e.message },
            })?;
        Ok(HttpResponse {
            status: i32::from(response.status),
            headers: response
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: Arc::new(Body(Mutex::new(response.body))),
        })
    }
}

struct Progress(Arc<Kept<BackupProgress>>);

impl BackupListener for Progress {
    fn on_progress(&self, progress: BackupProgress) -> Result<()> {
        self.0.push(progress);
        Ok(())
    }
}

fn metadata(title: &str) -> DocumentMetadata {
    DocumentMetadata {
        kind: DocumentKind::Passport,
        title: title.into(),
        issuing_country: None,
        number: None,
        holder_name: None,
        issued_on: None,
        expires_on: None,
        notes: String::new(),
        tags: Vec::new(),
        mime_type: "image/jpeg".into(),
    }
}

fn location(port: u16) -> BackupLocation {
    BackupLocation::WebDav {
        url: format!("http://127.0.0.1:{port}/backups/amal"),
        username: Some("alice".into()),
        password: Some("s3cret".into()),
    }
}

fn documents(vault: &Arc<Vault>) -> Vec<(String, String, Vec<u8>)> {
    let mut out: Vec<_> = block_on(Arc::clone(vault).list_documents())
        .unwrap()
        .into_iter()
        .map(|d| {
            let bytes = block_on(Arc::clone(vault).read_document(d.id.clone())).unwrap();
            (d.id, d.metadata.title, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_remote_backup_through_an_app_transport_restores_on_a_new_phone() {
    let served = temp_dir();
    let root = served.path().join("dav");
    std::fs::create_dir(&root).unwrap();
    let dav = servers::wsgidav(&root);

    let phone = temp_dir();
    let created = block_on(create_vault(
        phone.path().join("vault").to_string_lossy().into_owned(),
        PASSPHRASE.into(),
        Some(TEST_KDF),
    ))
    .unwrap();
    let vault = created.vault;
    for n in 0..3 {
        let content = vec![n as u8; 300_000 + n * 1000];
        block_on(Arc::clone(&vault).add_document(metadata(&format!("scan {n}")), content)).unwrap();
    }
    assert_eq!(block_on(Arc::clone(&vault).backup_status()).unwrap(), None);
    block_on(Arc::clone(&vault).set_backup_location(location(dav.port))).unwrap();

    let transport = Arc::new(AppTransport::default());
    let kept = Arc::new(Kept::default());
    let report = block_on(Arc::clone(&vault).backup_now(
        transport.clone(),
        None,
        Some(Box::new(Progress(kept.clone()))),
        None,
    ))
    .unwrap();
    assert_eq!((report.uploaded, report.stored_documents), (3, 3));
    let progress = kept.all();
    let last = progress.last().unwrap();
    assert_eq!((last.documents, last.total_documents), (3, 3));
    assert_eq!(last.bytes, last.total_bytes);
    assert!(progress.windows(2).all(|w| w[0].bytes <= w[1].bytes));
    let methods = transport.methods.lock().unwrap().clone();
    for m in ["GET", "MKCOL", "PUT"] {
        assert!(methods.iter().any(|x| x == m), "{m} in {methods:?}");
    }

    transport.methods.lock().unwrap().clear();
    let again =
        block_on(Arc::clone(&vault).backup_now(transport.clone(), None, None, None)).unwrap();
    assert!(again.unchanged);
    assert_eq!(
        *transport.methods.lock().unwrap(),
        ["GET"],
        "one conditional request"
    );
    let status = block_on(Arc::clone(&vault).backup_status())
        .unwrap()
        .unwrap();
    assert!(!status.changed_since && status.stored_documents == 3);
    assert!(status.location.contains("backups/amal") && !status.location.contains("s3cret"));

    // A backup cancelled before it starts stops, and changes nothing.
    block_on(Arc::clone(&vault).add_document(metadata("late"), vec![9; 1000])).unwrap();
    let cancel = SyncCancellation::new();
    cancel.cancel();
    let stopped =
        block_on(Arc::clone(&vault).backup_now(transport.clone(), None, None, Some(cancel)));
    assert!(
        matches!(stopped, Err(WaymarkError::Cancelled)),
        "{stopped:?}"
    );
    assert!(
        block_on(Arc::clone(&vault).backup_status())
            .unwrap()
            .unwrap()
            .changed_since
    );
    block_on(Arc::clone(&vault).backup_now(transport.clone(), None, None, None)).unwrap();

    // A new phone, with the recovery code.
    let new_phone = temp_dir();
    let dir = new_phone
        .path()
        .join("vault")
        .to_string_lossy()
        .into_owned();
    let wrong = block_on(restore_backup(
        dir.clone(),
        location(dav.port),
        RestoreSecret::Passphrase {
            passphrase: "not it".into(),
        },
        transport.clone(),
        None,
        None,
        None,
    ));
    assert!(matches!(wrong, Err(WaymarkError::WrongPassphrase { .. })));
    let restored = block_on(restore_backup(
        dir,
        location(dav.port),
        RestoreSecret::RecoveryCode {
            code: created.recovery_code.clone(),
            new_passphrase: "new phone passphrase".into(),
        },
        transport,
        None,
        None,
        None,
    ))
    .unwrap();
    assert_eq!(restored.documents, 4);
    assert_eq!(documents(&restored.vault), documents(&vault));
    restored.vault.lock();
    block_on(Arc::clone(&restored.vault).unlock("new phone passphrase".into())).unwrap();
}

#[test]
fn a_backup_file_exported_to_an_age_key_imports_on_another_vault() {
    let dir = temp_dir();
    let make = |name: &str| {
        block_on(create_vault(
            dir.path().join(name).to_string_lossy().into_owned(),
            PASSPHRASE.into(),
            Some(TEST_KDF),
        ))
        .unwrap()
        .vault
    };
    let (a, b) = (make("a"), make("b"));
    block_on(Arc::clone(&a).add_document(metadata("permit"), b"permit scan".to_vec())).unwrap();
    let file = dir.path().join("backup.age").to_string_lossy().into_owned();
    let key = waymark_core::backup::X25519Identity::generate().unwrap();
    let summary = block_on(Arc::clone(&a).export_backup_to_file(
        file.clone(),
        BackupRecipient::AgeKeys {
            public_keys: vec![key.to_public().to_string()],
        },
        None,
    ))
    .unwrap();
    assert_eq!(summary.documents, 1);
    let none = block_on(Arc::clone(&b).import_backup_from_file(file.clone(), None, None));
    assert!(matches!(none, Err(WaymarkError::InvalidInput { .. })));
    let imported = block_on(Arc::clone(&b).import_backup_from_file(
        file.clone(),
        None,
        Some(key.to_secret_string().to_string()),
    ))
    .unwrap();
    assert_eq!(imported.imported.len(), 1);
    let again = block_on(Arc::clone(&b).import_backup_from_file(
        file,
        None,
        Some(key.to_secret_string().to_string()),
    ))
    .unwrap();
    assert_eq!((again.imported.len(), again.skipped.len()), (0, 1));
    assert_eq!(documents(&a)[0].2, documents(&b)[0].2);
}
