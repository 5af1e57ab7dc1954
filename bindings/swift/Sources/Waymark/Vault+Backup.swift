import Foundation

/// One step of a remote backup, as ``Vault/backupProgress(transport:proxy:)``
/// streams it.
public enum BackupEvent: Sendable, Equatable {
    /// Bytes and documents sent so far, of how many.
    case progress(BackupProgress)
    /// The backup is done; always the last event.
    case finished(report: BackupReport)
}

extension Vault {
    /// Backs the vault up to its location (``Vault/setBackupLocation(location:)``)
    /// through `transport`, reporting progress to `progress`, and returns
    /// what it did.
    ///
    /// Everything is encrypted on the phone first. Only what changed since
    /// the last backup is sent; when nothing changed it costs one small
    /// conditional request (``BackupReport/unchanged``). An interrupted
    /// backup resumes where it stopped.
    ///
    /// Unlike the generated
    /// `backupNowWithCancellation(transport:proxy:listener:cancellation:)`,
    /// this one stops when the calling `Task` is cancelled: the backup ends
    /// at its next request or chunk and this throws `CancellationError`.
    /// What was sent stays usable; the next backup goes on from there.
    ///
    /// ```swift
    /// try await vault.setBackupLocation(location: .webDav(
    ///     url: "https://cloud.example.org/remote.php/dav/files/amal/Waymark/",
    ///     username: "amal", password: appPassword))
    /// let report = try await vault.backupNow { progress in
    ///     Task { @MainActor in model.show(progress) }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - transport: The HTTP client (``URLSessionTransport`` unless the
    ///     app has its own).
    ///   - proxy: `http://HOST:PORT`, `socks5://HOST:PORT` or
    ///     `socks5h://HOST:PORT` (Orbot); nil to connect directly.
    ///   - progress: Called on the backing-up thread, in order. Return
    ///     quickly: hop to the main actor to update the UI.
    /// - Returns: What the backup sent and what the backup holds now.
    /// - Throws: `CancellationError` if the Task was cancelled,
    ///   ``WaymarkError`` otherwise (``WaymarkError/locked``; no location
    ///   set; ``WaymarkError/network(reason:retryable:retryAfterSeconds:)``
    ///   when the server could not be reached…).
    public func backupNow(
        transport: any HttpTransport = URLSessionTransport(),
        proxy: String? = nil,
        progress: (@Sendable (BackupProgress) -> Void)? = nil
    ) async throws -> BackupReport {
        try await withSyncCancellation { cancellation in
            try await backupNowWithCancellation(
                transport: transport, proxy: proxy, listener: progress.map(BackupProgressForwarder.init),
                cancellation: cancellation)
        }
    }

    /// Backs the vault up, as an asynchronous sequence of its progress
    /// that ends with ``BackupEvent/finished(report:)``, the report.
    ///
    /// The backup starts when the sequence is created. Stop iterating (or
    /// cancel the iterating Task) and the backup is cancelled; errors end
    /// the sequence by throwing (``WaymarkError``).
    ///
    /// ```swift
    /// for try await event in vault.backupProgress() {
    ///     switch event {
    ///     case .progress(let p):
    ///         progressBar.update(Double(p.bytes) / Double(max(p.totalBytes, 1)))
    ///     case .finished(let report):
    ///         show(report)
    ///     }
    /// }
    /// ```
    ///
    /// Like any `AsyncThrowingStream`, the sequence just ends (without
    /// ``BackupEvent/finished(report:)``) when the iterating Task is
    /// cancelled.
    ///
    /// - Parameters:
    ///   - transport: The HTTP client.
    ///   - proxy: The proxy, or nil to connect directly.
    public func backupProgress(
        transport: any HttpTransport = URLSessionTransport(),
        proxy: String? = nil
    ) -> AsyncThrowingStream<BackupEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task { [self] in
                do {
                    let report = try await backupNow(transport: transport, proxy: proxy) { progress in
                        continuation.yield(.progress(progress))
                    }
                    continuation.yield(.finished(report: report))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            // Called when the backup finishes too, when cancelling is a no-op.
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Restores the remote backup at `location` into a new vault in `dir`, on
/// a new phone, and returns it unlocked.
///
/// `dir` must hold no vault. The restored vault holds every document byte
/// for byte, opens with the same passphrase and recovery code as before
/// (with ``RestoreSecret/recoveryCode(code:newPassphrase:)``, the
/// passphrase is the new one), and keeps backing up to the same place. On
/// any failure, cancellation included, nothing is left in `dir`.
///
/// Stops when the calling `Task` is cancelled (`CancellationError`),
/// unlike the generated
/// `restoreBackupWithCancellation(dir:location:secret:transport:proxy:listener:cancellation:)`.
///
/// ```swift
/// let restored = try await restoreBackup(
///     dir: home.vaultDirectory.path, location: location,
///     secret: .recoveryCode(code: typedCode, newPassphrase: newPassphrase)
/// ) { progress in
///     Task { @MainActor in model.show(progress) }
/// }
/// ```
///
/// - Parameters:
///   - dir: The new vault's directory.
///   - location: Where the backup is, with its credentials.
///   - secret: The vault's passphrase, or its recovery code and a new
///     passphrase.
///   - transport: The HTTP client (``URLSessionTransport`` unless the app
///     has its own).
///   - proxy: The proxy, or nil to connect directly.
///   - progress: Called on the restoring thread, in order. Return quickly.
/// - Returns: The vault, unlocked, and what was restored.
/// - Throws: `CancellationError` if the Task was cancelled,
///   ``WaymarkError`` otherwise (a wrong secret:
///   ``WaymarkError/wrongPassphrase(attempts:retryAfterSeconds:)`` or
///   ``WaymarkError/invalidInput(reason:)``; an unreachable server:
///   ``WaymarkError/network(reason:retryable:retryAfterSeconds:)``…).
public func restoreBackup(
    dir: String,
    location: BackupLocation,
    secret: RestoreSecret,
    transport: any HttpTransport = URLSessionTransport(),
    proxy: String? = nil,
    progress: (@Sendable (BackupProgress) -> Void)? = nil
) async throws -> RestoredVault {
    try await withSyncCancellation { cancellation in
        try await restoreBackupWithCancellation(
            dir: dir, location: location, secret: secret, transport: transport, proxy: proxy,
            listener: progress.map(BackupProgressForwarder.init), cancellation: cancellation)
    }
}

/// Forwards the Rust backup's progress to a closure.
final class BackupProgressForwarder: BackupListener {
    private let handler: @Sendable (BackupProgress) -> Void

    init(_ handler: @escaping @Sendable (BackupProgress) -> Void) {
        self.handler = handler
    }

    func onProgress(progress: BackupProgress) throws {
        handler(progress)
    }
}
