//! A partial download (and the validator kept beside it) is readable by the
//! app only, like every file of the content store.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use super::*;

/// Answers every request with the whole file and an ETag.
struct Serves(Vec<u8>);

impl Transport for Serves {
    fn send(&self, _: &TransportRequest) -> std::result::Result<TransportResponse, TransportError> {
        Ok(TransportResponse {
            status: 200,
            headers: vec![("ETag".into(), "\"v1\"".into())],
            body: Box::new(std::io::Cursor::new(self.0.clone())),
        })
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_partial_download_and_its_validator_are_private_to_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("downloads");
    crate::storage::private_dir(&downloads).unwrap();
    assert_eq!(mode(&downloads), 0o700);

    let body = b"pack bytes".to_vec();
    let file = TargetFile::describe(&body);
    let http = Http::with_transport(HttpConfig::default(), Arc::new(Serves(body))).unwrap();
    let part = downloads.join("abc.part");
    // One left by an earlier version, readable by all.
    std::fs::write(&part, b"").unwrap();
    std::fs::set_permissions(&part, std::fs::Permissions::from_mode(0o644)).unwrap();

    download_resumable(
        &http,
        "https://ngo.example/targets/p.wmpack",
        &part,
        &file,
        &CancelToken::new(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(std::fs::read(&part).unwrap(), b"pack bytes");
    assert_eq!(mode(&part), 0o600);
    assert_eq!(mode(&part.with_extension("etag")), 0o600);
}
