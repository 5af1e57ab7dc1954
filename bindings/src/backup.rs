//! Backups of the vault for the apps: age files (export, import) and the
//! remote backup to S3 or WebDAV (location, backup now, status, restore on
//! a new phone), all `async`, the long ones with progress and cancellable.
//!
//! The remote backup's requests go through the app's [`HttpTransport`],
//! like sync's, with PUT, HEAD, DELETE and MKCOL beside GET.

use std::path::PathBuf;
use std::sync::Arc;

use waymark_core::backup::remote::{self, Location};
use waymark_core::backup::{
    self as core, BackupRecipients, Identity, X25519Identity, X25519Recipient,
};
use waymark_core::clock::SystemClock;
use waymark_core::sync::{Http, HttpConfig, check_proxy_url};
use waymark_core::vault::{DocumentId, RecoveryCode, VaultOptions};

use crate::error::{Result, WaymarkError};
use crate::http::{ForeignTransport, HttpTransport};
use crate::num::long;
use crate::sync::SyncCancellation;
use crate::task::{CancelOnDrop, blocking, blocking_ffi};
use crate::vault::Vault;

/// Who can open a backup file.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum BackupRecipient {
    /// A backup passphrase (not the vault's; at least 4 characters),
    /// stretched with scrypt at 2^16 (64 MiB).
    Passphrase {
        /// The passphrase.
        passphrase: String,
    },
    /// One or more age public keys (`age1…`): a caseworker's, a lawyer's,
    /// a relative's.
    AgeKeys {
        /// The keys.
        public_keys: Vec<String>,
    },
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BackupFileSummary {
    /// Documents in the file.
    pub documents: i64,
    /// Their content's bytes.
    pub content_bytes: i64,
}

/// What an import did, by document id.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BackupImportSummary {
    /// Documents added.
    pub imported: Vec<String>,
    /// Documents the vault had already (same id and last change).
    pub skipped: Vec<String>,
    /// Documents the vault had with another last change: the backup's
    /// version was added beside, under these ids.
    pub kept_both: Vec<String>,
}

/// Where a remote backup lives, with the credentials to reach it (kept
/// encrypted in the vault).
#[derive(Clone, uniffi::Enum)]
pub enum BackupLocation {
    /// An S3-compatible bucket.
    S3 {
        /// `s3://BUCKET/FOLDER`.
        url: String,
        /// The service's `https://` endpoint.
        endpoint: String,
        /// The region (`us-east-1` for services that have none).
        region: String,
        /// The access key id.
        access_key: String,
        /// The secret access key.
        secret_key: String,
    },
    /// A WebDAV folder (Nextcloud, ownCloud).
    WebDav {
        /// The folder's `https://` URL.
        url: String,
        /// The user name, if the server asks for one.
        username: Option<String>,
        /// The password (an app password for Nextcloud).
        password: Option<String>,
    },
}

impl std::fmt::Debug for BackupLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupLocation")
    }
}

impl BackupLocation {
    fn to_core(&self) -> Result<Location> {
        Ok(match self {
            BackupLocation::S3 {
                url,
                endpoint,
                region,
                access_key,
                secret_key,
            } => Location::s3(url, endpoint, region, access_key, secret_key)?,
            BackupLocation::WebDav {
                url,
                username,
                password,
            } => Location::webdav(url, username.as_deref(), password.as_deref())?,
        })
    }
}

/// Where the vault is backed up and how the last backup went.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BackupStatus {
    /// The location, without secrets (`s3://bucket/folder at https://…`,
    /// or the WebDAV folder's URL and user).
    pub location: String,
    /// When the last backup finished (milliseconds since 1970, UTC), if one
    /// did.
    pub last_backup_ms: Option<i64>,
    /// Document versions the backup held after it.
    pub stored_documents: i64,
    /// Whether documents or keys changed since.
    pub changed_since: bool,
}

/// Progress of a backup or a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct BackupProgress {
    /// Bytes sent or received so far.
    pub bytes: i64,
    /// Bytes to send or receive in all.
    pub total_bytes: i64,
    /// Documents done.
    pub documents: i64,
    /// Documents in all.
    pub total_documents: i64,
}

/// What a backup did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BackupReport {
    /// Nothing had changed: one conditional request, nothing written.
    pub unchanged: bool,
    /// Document versions uploaded.
    pub uploaded: i64,
    /// Deletions made on this phone, recorded.
    pub deleted: i64,
    /// Documents changed on two phones: both versions kept.
    pub conflicts: i64,
    /// Document versions the backup holds now.
    pub stored_documents: i64,
    /// Requests sent.
    pub requests: i64,
    /// Bytes sent (bodies).
    pub bytes_sent: i64,
    /// Bytes received (bodies).
    pub bytes_received: i64,
}

/// What opens a remote backup on a new phone.
#[derive(Clone, uniffi::Enum)]
pub enum RestoreSecret {
    /// The vault's passphrase.
    Passphrase {
        /// The passphrase.
        passphrase: String,
    },
    /// The vault's recovery code, and the new passphrase to set.
    RecoveryCode {
        /// The recovery code as the person typed it.
        code: String,
        /// The passphrase the restored vault will have.
        new_passphrase: String,
    },
}

impl std::fmt::Debug for RestoreSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RestoreSecret")
    }
}

/// A vault restored from a remote backup, unlocked.
#[derive(uniffi::Record)]
pub struct RestoredVault {
    /// The vault; the same passphrase and recovery code open it as before
    /// (with a recovery code, the passphrase is the new one).
    pub vault: Arc<Vault>,
    /// Documents restored.
    pub documents: i64,
    /// Bytes received (bodies).
    pub bytes_received: i64,
}

/// Receives a backup's or a restore's progress; the Kotlin layer turns it
/// into a `Flow`, the Swift layer into an `AsyncThrowingStream`. Called on
/// the working thread, in order: return quickly. An exception thrown here
/// is ignored.
#[uniffi::export(callback_interface)]
pub trait BackupListener: Send + Sync {
    /// Progress so far.
    fn on_progress(&self, progress: BackupProgress) -> Result<()>;
}

fn progress_of(p: remote::Progress) -> BackupProgress {
    BackupProgress {
        bytes: long(p.bytes),
        total_bytes: long(p.total_bytes),
        documents: long(p.documents as u64),
        total_documents: long(p.total_documents as u64),
    }
}

fn http(transport: Arc<dyn HttpTransport>, proxy: Option<String>) -> Result<Http> {
    if let Some(p) = &proxy
        && !check_proxy_url(p)
    {
        return Err(WaymarkError::invalid(
            "the proxy must be http://HOST:PORT, socks5://HOST:PORT or socks5h://HOST:PORT",
        ));
    }
    Ok(Http::with_transport(
        HttpConfig {
            proxy,
            ..HttpConfig::default()
        },
        Arc::new(ForeignTransport(transport)),
    )?)
}

fn ids(ids: &[DocumentId]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

#[uniffi::export]
impl Vault {
    /// Writes the vault's documents (all, or `document_ids`) to one age file
    /// at `path` (created or replaced atomically), readable with `age -d`
    /// and `tar` alone. Documents are streamed, never held whole.
    #[uniffi::method(default(document_ids = None))]
    pub async fn export_backup_to_file(
        self: Arc<Self>,
        path: String,
        to: BackupRecipient,
        document_ids: Option<Vec<String>>,
    ) -> Result<BackupFileSummary> {
        let only = document_ids
            .map(|list| {
                list.iter()
                    .map(|t| t.trim().parse::<DocumentId>())
                    .collect::<std::result::Result<Vec<_>, _>>()
            })
            .transpose()?;
        let recipients = match &to {
            BackupRecipient::Passphrase { passphrase } => BackupRecipients::passphrase(passphrase),
            BackupRecipient::AgeKeys { public_keys } => {
                let keys = public_keys
                    .iter()
                    .map(|k| X25519Recipient::parse(k.trim()))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| WaymarkError::invalid(e.to_string()))?;
                if keys.is_empty() {
                    return Err(WaymarkError::invalid("a backup needs at least one age key"));
                }
                BackupRecipients::keys(&keys)
            }
        };
        blocking(move || {
            let summary = core::export_to_file(
                self.core(),
                only.as_deref(),
                &recipients,
                &PathBuf::from(path),
            )?;
            Ok(BackupFileSummary {
                documents: long(summary.documents as u64),
                content_bytes: long(summary.content_bytes),
            })
        })
        .await
    }

    /// Imports a backup file at `path`: a passphrase backup with
    /// `passphrase`, one made to an age key with `age_identity` (the text of
    /// the identity file, `AGE-SECRET-KEY-1…`). All or nothing; documents
    /// the vault has already are skipped.
    #[uniffi::method(default(passphrase = None, age_identity = None))]
    pub async fn import_backup_from_file(
        self: Arc<Self>,
        path: String,
        passphrase: Option<String>,
        age_identity: Option<String>,
    ) -> Result<BackupImportSummary> {
        let mut identities = Vec::new();
        if let Some(text) = &age_identity {
            identities.extend(
                X25519Identity::parse_file(text)
                    .map_err(|e| WaymarkError::invalid(e.to_string()))?
                    .into_iter()
                    .map(Identity::X25519),
            );
        }
        if let Some(p) = &passphrase {
            identities.push(Identity::passphrase(p));
        }
        if identities.is_empty() {
            return Err(WaymarkError::invalid(
                "a backup file opens with its passphrase or an age identity",
            ));
        }
        blocking(move || {
            let s = core::import_file(self.core(), &PathBuf::from(path), &identities)?;
            Ok(BackupImportSummary {
                imported: ids(&s.imported),
                skipped: ids(&s.skipped),
                kept_both: ids(&s.kept_both),
            })
        })
        .await
    }

    /// Sets where the vault is backed up (kept encrypted in the vault). A
    /// new location starts a new backup; nothing is sent until
    /// [`Vault::backup_now`]. `InvalidInput` for a location that is not
    /// `https://` (plain `http://` only to this device) or not complete.
    pub async fn set_backup_location(self: Arc<Self>, location: BackupLocation) -> Result<()> {
        let location = location.to_core()?;
        blocking(move || remote::set_location(self.core(), location)).await
    }

    /// Forgets the backup location (what is stored there stays).
    pub async fn forget_backup_location(self: Arc<Self>) -> Result<()> {
        blocking(move || remote::forget_location(self.core())).await
    }

    /// Where the vault is backed up and how its last backup went; `null`/
    /// `nil` when no location is set.
    pub async fn backup_status(self: Arc<Self>) -> Result<Option<BackupStatus>> {
        blocking(move || {
            Ok(remote::status(self.core())?.map(|s| BackupStatus {
                location: s.location,
                last_backup_ms: s.last_backup.map(|t| t.timestamp_millis()),
                stored_documents: long(s.stored_revisions as u64),
                changed_since: s.changed_since,
            }))
        })
        .await
    }

    /// Backs the vault up to its location through `transport` (and `proxy`,
    /// if given): only what changed is sent; nothing changed costs one
    /// small conditional request; an interrupted backup resumes. Everything
    /// is encrypted here first. Cancel it by cancelling the coroutine
    /// (Kotlin) or with `cancellation` (Swift: call the package's
    /// `backupNow(transport:proxy:progress:)`).
    #[uniffi::method(default(proxy = None, listener = None, cancellation = None))]
    pub async fn backup_now(
        self: Arc<Self>,
        transport: Arc<dyn HttpTransport>,
        proxy: Option<String>,
        listener: Option<Box<dyn BackupListener>>,
        cancellation: Option<Arc<SyncCancellation>>,
    ) -> Result<BackupReport> {
        let http = http(transport, proxy)?;
        let guard = CancelOnDrop::with(cancellation.map(|c| c.token()));
        let cancel = guard.token();
        let result = blocking(move || {
            let mut on_progress = |p: remote::Progress| {
                if let Some(l) = &listener {
                    let _ = l.on_progress(progress_of(p));
                }
            };
            let r =
                remote::backup_now(self.core(), &http, &SystemClock, &cancel, &mut on_progress)?;
            Ok(BackupReport {
                unchanged: r.unchanged,
                uploaded: long(r.uploaded as u64),
                deleted: long(r.deleted as u64),
                conflicts: long(r.conflicts as u64),
                stored_documents: long(r.stored_revisions as u64),
                requests: long(u64::from(r.requests)),
                bytes_sent: long(r.bytes_sent),
                bytes_received: long(r.bytes_received),
            })
        })
        .await;
        guard.finish();
        result
    }
}

/// Restores the remote backup at `location` into a new vault in `dir`
/// (there must be none), with the vault's passphrase or its recovery code
/// (and a new passphrase). The restored vault is unlocked, holds every
/// document byte for byte, and keeps backing up to the same place. On any
/// failure nothing is left in `dir`.
#[uniffi::export(default(proxy = None, listener = None, cancellation = None))]
pub async fn restore_backup(
    dir: String,
    location: BackupLocation,
    secret: RestoreSecret,
    transport: Arc<dyn HttpTransport>,
    proxy: Option<String>,
    listener: Option<Box<dyn BackupListener>>,
    cancellation: Option<Arc<SyncCancellation>>,
) -> Result<RestoredVault> {
    let location = location.to_core()?;
    let http = http(transport, proxy)?;
    let code = match &secret {
        RestoreSecret::RecoveryCode { code, .. } => Some(RecoveryCode::parse(code)?),
        RestoreSecret::Passphrase { .. } => None,
    };
    let guard = CancelOnDrop::with(cancellation.map(|c| c.token()));
    let cancel = guard.token();
    let result = blocking_ffi(move || {
        let secret = match (&secret, &code) {
            (RestoreSecret::RecoveryCode { new_passphrase, .. }, Some(code)) => {
                remote::RestoreSecret::RecoveryCode {
                    code,
                    new_passphrase,
                }
            }
            (RestoreSecret::Passphrase { passphrase }, _) => {
                remote::RestoreSecret::Passphrase(passphrase)
            }
            _ => unreachable!("parsed above"),
        };
        let mut on_progress = |p: remote::Progress| {
            if let Some(l) = &listener {
                let _ = l.on_progress(progress_of(p));
            }
        };
        let (vault, report) = remote::restore(
            &PathBuf::from(dir),
            location,
            &secret,
            &http,
            VaultOptions::default(),
            &cancel,
            &mut on_progress,
        )?;
        Ok(RestoredVault {
            vault: Arc::new(Vault::from_core(vault)),
            documents: long(report.documents as u64),
            bytes_received: long(report.bytes_received),
        })
    })
    .await;
    guard.finish();
    result
}
