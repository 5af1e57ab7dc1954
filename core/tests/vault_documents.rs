//! Documents: add, list, read, update, delete, expiry reminders, and what
//! lies on disk.

mod common;

use chrono::NaiveDate;
use common::*;
use waymark_core::Error;
use waymark_core::clock::Clock;
use waymark_core::types::CountryCode;
use waymark_core::vault::{DocumentKind, Vault, VaultOptions};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn documents_round_trip_with_all_their_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    let mut m = meta(DocumentKind::ResidencePermit, "Permit");
    m.issuing_country = Some("de".parse::<CountryCode>().unwrap());
    m.number = Some("RP-1".into());
    m.holder_name = Some("Amina".into());
    m.issued_on = Some(date(2025, 1, 1));
    m.expires_on = Some(date(2027, 1, 1));
    m.notes = "keep dry".into();
    m.tags = vec!["family".into()];
    m.mime_type = "image/jpeg".into();
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let id = vault.add_document_bytes(m.clone(), &content).unwrap();

    let listed = vault.list_documents().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].metadata, m);
    assert_eq!(listed[0].size, content.len() as u64);
    assert_eq!(listed[0].created_at, clock.now());
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], &content[..]);

    // Survives closing and reopening.
    drop(vault);
    let vault = Vault::open(&dir.path().join("vault"), options(&clock)).unwrap();
    assert!(matches!(vault.list_documents(), Err(Error::Locked)));
    vault.unlock(PASS).unwrap();
    assert_eq!(vault.document(&id).unwrap().metadata, m);
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], &content[..]);
}

#[test]
fn empty_and_exact_chunk_sized_documents_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    for size in [0usize, 1, 65_535, 65_536, 65_537, 131_072] {
        let content = vec![0x5a; size];
        let id = vault
            .add_document_bytes(meta(DocumentKind::Other, "x"), &content)
            .unwrap();
        assert_eq!(
            vault.read_document_bytes(&id).unwrap().len(),
            size,
            "size {size}"
        );
    }
}

#[test]
fn a_file_added_and_exported_is_identical_and_its_mime_type_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    let src = dir.path().join("scan.pdf");
    std::fs::write(&src, b"%PDF-1.4 sample").unwrap();
    let id = vault
        .add_document_file(meta(DocumentKind::Education, "Diploma"), &src)
        .unwrap();
    assert_eq!(
        vault.document(&id).unwrap().metadata.mime_type,
        "application/pdf"
    );
    let out = dir.path().join("out.pdf");
    assert_eq!(vault.export_document(&id, &out).unwrap(), 15);
    assert_eq!(std::fs::read(&out).unwrap(), b"%PDF-1.4 sample");
}

#[test]
fn update_replace_and_delete_change_only_what_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (vault, _) = new_vault(dir.path(), &clock);
    let keep = vault
        .add_document_bytes(meta(DocumentKind::Visa, "Visa"), b"visa")
        .unwrap();
    let id = vault
        .add_document_bytes(meta(DocumentKind::Passport, "Old title"), b"v1")
        .unwrap();

    clock.advance(chrono::Duration::hours(1));
    let mut m = meta(DocumentKind::Passport, "New title");
    m.expires_on = Some(date(2030, 1, 1));
    let updated = vault.update_metadata(&id, m.clone()).unwrap();
    assert_eq!(updated.metadata, m);
    assert!(updated.updated_at > updated.created_at);
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], b"v1");

    vault.replace_content(&id, &b"version two"[..]).unwrap();
    assert!(
        !blob_path(vault.dir(), &id, 1).exists(),
        "the old version's file is removed"
    );
    assert!(blob_path(vault.dir(), &id, 2).exists());
    assert!(
        !blob_path(vault.dir(), &id, 1).exists(),
        "the old version's file is removed"
    );
    assert!(blob_path(vault.dir(), &id, 2).exists());
    assert_eq!(&vault.read_document_bytes(&id).unwrap()[..], b"version two");
    assert_eq!(vault.document(&id).unwrap().size, 11);
    assert_eq!(vault.document(&id).unwrap().metadata, m);

    vault.delete_document(&id).unwrap();
    assert!(matches!(vault.document(&id), Err(Error::NotFound(_))));
    assert!(matches!(
        vault.read_document_bytes(&id),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        vault.delete_document(&id),
        Err(Error::NotFound(_))
    ));
    let left: Vec<_> = vault
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, vec![keep]);
    assert_eq!(
        blob_count(vault.dir()),
        1,
        "the deleted document's file is gone too"
    );
    assert!(blob_path(vault.dir(), &keep, 1).exists());
}

#[test]
fn invalid_metadata_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    let mut m = meta(DocumentKind::Passport, "  ");
    assert!(matches!(
        vault.add_document_bytes(m.clone(), b"x"),
        Err(Error::InvalidInput(_))
    ));
    m.title = "ok".into();
    m.mime_type = "not a mime".into();
    assert!(matches!(
        vault.add_document_bytes(m, b"x"),
        Err(Error::InvalidInput(_))
    ));
    assert!(vault.list_documents().unwrap().is_empty());
}

#[test]
fn a_failing_reader_stores_nothing() {
    struct Broken(usize);
    impl std::io::Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("card removed"));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            buf[..n].fill(1);
            Ok(n)
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    assert!(
        vault
            .add_document(meta(DocumentKind::Other, "x"), Broken(300_000))
            .is_err()
    );
    assert!(vault.list_documents().unwrap().is_empty());
    assert_eq!(blob_count(vault.dir()), 0, "no content file left behind");
}

#[test]
fn expiry_reminders_list_expired_and_soon_expiring_soonest_first() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock(); // 2026-06-01
    let (vault, _) = new_vault(dir.path(), &clock);
    let add = |title: &str, expires: Option<NaiveDate>| {
        let mut m = meta(DocumentKind::Visa, title);
        m.expires_on = expires;
        vault.add_document_bytes(m, b"x").unwrap()
    };
    add("in a year", Some(date(2027, 6, 1)));
    add("in 14 days", Some(date(2026, 6, 15)));
    add("never", None);
    add("expired", Some(date(2026, 5, 1)));
    add("today", Some(date(2026, 6, 1)));
    add("in 30 days", Some(date(2026, 7, 1)));

    let r = vault.expiry_reminders(30).unwrap();
    let titles: Vec<_> = r
        .iter()
        .map(|x| x.document.metadata.title.as_str())
        .collect();
    assert_eq!(titles, ["expired", "today", "in 14 days", "in 30 days"]);
    let days: Vec<_> = r.iter().map(|x| x.days_left).collect();
    assert_eq!(days, [-31, 0, 14, 30]);
    let expired: Vec<_> = r.iter().map(|x| x.expired).collect();
    assert_eq!(expired, [true, false, false, false]);

    assert_eq!(vault.expiry_reminders(0).unwrap().len(), 2);
    clock.advance(chrono::Duration::days(400));
    assert_eq!(
        vault.expiry_reminders(0).unwrap().len(),
        5,
        "all dated ones are past by then"
    );
}

#[test]
fn known_plaintext_appears_in_no_file_of_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = new_vault(dir.path(), &clock());
    let content = b"CONTENT-CANARY-8d1e CONTENT-CANARY-8d1e CONTENT-CANARY-8d1e".repeat(5000);
    let mut m = meta(DocumentKind::Passport, "TITLE-CANARY-51d2");
    m.holder_name = Some("HOLDER-CANARY-Qx7".into());
    m.number = Some("NUMBER-CANARY-993".into());
    m.notes = "NOTES-CANARY-e4".into();
    m.tags = vec!["TAG-CANARY-z1".into()];
    let id = vault.add_document_bytes(m.clone(), &content).unwrap();
    // A second document, then an update and a delete, to leave old pages in
    // the WAL and free lists.
    let gone = vault
        .add_document_bytes(m.clone(), b"DELETED-CANARY-0f")
        .unwrap();
    m.title = "TITLE-CANARY-51d2 renamed".into();
    vault.update_metadata(&id, m).unwrap();
    vault.delete_document(&gone).unwrap();
    let needles: [&[u8]; 7] = [
        b"CONTENT-CANARY-8d1e",
        b"TITLE-CANARY-51d2",
        b"HOLDER-CANARY-Qx7",
        b"NUMBER-CANARY-993",
        b"NOTES-CANARY-e4",
        b"TAG-CANARY-z1",
        b"DELETED-CANARY-0f",
    ];
    let vault_dir = vault.dir().to_path_buf();
    // While open: database, WAL and shared-memory files all exist.
    assert!(common::files_below(&vault_dir).len() >= 2);
    assert_eq!(
        plaintext_found(&vault_dir, &needles),
        Vec::<(String, String)>::new()
    );
    vault.lock();
    drop(vault);
    assert_eq!(
        plaintext_found(&vault_dir, &needles),
        Vec::<(String, String)>::new()
    );
    // The scan can find things: the exported file holds the content.
    let vault = Vault::open(&vault_dir, VaultOptions::for_tests()).unwrap();
    vault.unlock(PASS).unwrap();
    vault
        .export_document(&id, &vault_dir.join("exported.bin"))
        .unwrap();
    assert_eq!(plaintext_found(&vault_dir, &needles[..1]).len(), 1);
}
