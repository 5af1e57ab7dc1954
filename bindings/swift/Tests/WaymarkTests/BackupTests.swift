import Foundation
import Testing
import Waymark

/// Progress as the backup's listener saw it, from any thread.
final class ProgressLog: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var recorded: [BackupProgress] = []

    func record(_ progress: BackupProgress) {
        lock.lock()
        recorded.append(progress)
        lock.unlock()
    }

    var all: [BackupProgress] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}

/// `URLSessionTransport`, counting requests by method, that holds the
/// first `PUT` until ``open()``: a backup is then reliably still running
/// when a test cancels it.
final class GatedTransport: HttpTransport, @unchecked Sendable {
    private let inner = URLSessionTransport()
    private let gate = DispatchSemaphore(value: 0)
    // Guarded by `lock`.
    private let lock = NSLock()
    private var methods: [String] = []
    private var held = false

    /// The methods sent so far, in order.
    var sent: [String] {
        lock.lock()
        defer { lock.unlock() }
        return methods
    }

    /// Whether the first PUT is waiting at the gate.
    var holding: Bool {
        lock.lock()
        defer { lock.unlock() }
        return held
    }

    /// Lets the held PUT (and every later one) through.
    func open() { gate.signal() }

    func send(request: HttpRequest) throws -> HttpResponse {
        lock.lock()
        methods.append(request.method)
        let first = request.method == "PUT" && !held
        if first { held = true }
        lock.unlock()
        if first {
            // On Waymark's backup thread, never the cooperative pool. The
            // limit only keeps a broken test from hanging.
            _ = gate.wait(timeout: .now() + 30)
        }
        return try inner.send(request: request)
    }
}

/// A phone's documents backed up to a real WebDAV server (wsgidav on
/// 127.0.0.1, as a Nextcloud folder would be), through the transport the
/// package ships.
@Suite("Backup", .failsWhenStuck)
struct BackupTests {
    let home: TemporaryDirectory

    init() async throws {
        home = try TemporaryDirectory()
    }

    /// A folder below the server's root: the backup creates it (MKCOL).
    func location(_ server: WebDavServer) -> BackupLocation {
        .webDav(url: server.url + "waymark/", username: WebDavServer.username, password: WebDavServer.password)
    }

    /// A new vault holding a passport scan over two backup chunks, a small
    /// certificate and an empty note; its documents by id.
    func vaultWithDocuments(_ name: String = "vault") async throws -> (NewVault, [String: Data]) {
        let created = try await createVault(dir: home.path(name), passphrase: "correct horse", kdf: testKdf)
        let contents: [(DocumentMetadata, Data)] = [
            (DocumentMetadata(kind: .passport, title: "Passport", issuingCountry: "ER", mimeType: "image/jpeg"),
             Data((0..<2_500_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) })),
            (DocumentMetadata(kind: .birthCertificate, title: "Birth certificate"), Data("certificate".utf8)),
            (DocumentMetadata(kind: .other, title: "Empty note"), Data()),
        ]
        var documents: [String: Data] = [:]
        for (metadata, content) in contents {
            documents[try await created.vault.addDocument(metadata: metadata, content: content)] = content
        }
        return (created, documents)
    }

    /// Every document of `vault` by id.
    func contents(of vault: Vault) async throws -> [String: Data] {
        var documents: [String: Data] = [:]
        for info in try await vault.listDocuments() {
            documents[info.id] = try await vault.readDocument(id: info.id)
        }
        return documents
    }

    @Test func backupNowSendsEveryDocumentWithProgressThenFindsNothingChanged() async throws {
        let server = try await WebDavServer.start()
        defer { server.stop() }
        let (created, documents) = try await vaultWithDocuments()
        let vault = created.vault
        try await vault.setBackupLocation(location: location(server))
        #expect(try await vault.backupStatus()?.lastBackupMs == nil)

        let log = ProgressLog()
        let report = try await vault.backupNow { log.record($0) }

        #expect(!report.unchanged)
        #expect(report.uploaded == Int64(documents.count))
        #expect(report.storedDocuments == Int64(documents.count))
        #expect(report.conflicts == 0)
        #expect(report.bytesSent > Int64(documents.values.map(\.count).reduce(0, +)), "sealed chunks and the index")
        let progress = log.all
        let last = try #require(progress.last)
        #expect(last.documents == last.totalDocuments && last.totalDocuments == Int64(documents.count))
        #expect(last.bytes == last.totalBytes && last.totalBytes == Int64(documents.values.map(\.count).reduce(0, +)))
        #expect(progress.map(\.bytes) == progress.map(\.bytes).sorted())
        #expect(progress.map(\.documents) == progress.map(\.documents).sorted())

        // What the server holds is sealed: no title and no scan in the clear.
        let stored = try FileManager.default.subpathsOfDirectory(atPath: server.root.path)
        #expect(!stored.isEmpty)
        for path in stored {
            let file = server.root.appendingPathComponent(path)
            guard let bytes = try? Data(contentsOf: file) else { continue }
            #expect(bytes.range(of: Data("Birth certificate".utf8)) == nil, "\(path) holds a title")
            #expect(bytes.range(of: Data("certificate".utf8)) == nil, "\(path) holds a document")
        }

        let status = try #require(try await vault.backupStatus())
        #expect(status.lastBackupMs != nil)
        #expect(status.storedDocuments == Int64(documents.count))
        #expect(!status.changedSince)

        // Nothing changed: one small conditional request, nothing written.
        let again = try await vault.backupNow()
        #expect(again.unchanged)
        #expect(again.uploaded == 0)
        #expect(again.requests == 1)
        #expect(again.bytesSent == 0)
    }

    @Test func restoringWithTheRecoveryCodeGivesEveryDocumentByteForByte() async throws {
        let server = try await WebDavServer.start()
        defer { server.stop() }
        let (created, documents) = try await vaultWithDocuments()
        try await created.vault.setBackupLocation(location: location(server))
        _ = try await created.vault.backupNow()

        // A new phone: nothing but the location and the recovery code.
        let log = ProgressLog()
        let restoredDir = home.path("new-phone")
        let restored = try await restoreBackup(
            dir: restoredDir, location: location(server),
            secret: .recoveryCode(code: created.recoveryCode, newPassphrase: "new horse battery")
        ) { log.record($0) }

        #expect(restored.documents == Int64(documents.count))
        #expect(restored.vault.isUnlocked())
        #expect(try await contents(of: restored.vault) == documents)
        #expect(log.all.last.map { $0.documents == $0.totalDocuments } == true)
        // It keeps backing up to the same place, which has everything.
        #expect(try await restored.vault.backupStatus() != nil)
        #expect(try await restored.vault.backupNow().uploaded == 0)

        // The new passphrase opens it.
        restored.vault.lock()
        let reopened = try await Vault.open(dir: restoredDir)
        try await reopened.unlock(passphrase: "new horse battery")
        #expect(try await reopened.listDocuments().count == documents.count)
    }

    @Test func aWrongRecoveryCodeRestoresNothing() async throws {
        let server = try await WebDavServer.start()
        defer { server.stop() }
        let (created, _) = try await vaultWithDocuments()
        try await created.vault.setBackupLocation(location: location(server))
        _ = try await created.vault.backupNow()
        let other = try await createVault(dir: home.path("other"), passphrase: "other horse", kdf: testKdf)

        let restoredDir = home.path("new-phone")
        _ = await waymarkError {
            _ = try await restoreBackup(
                dir: restoredDir, location: location(server),
                secret: .recoveryCode(code: other.recoveryCode, newPassphrase: "new horse battery"))
        }

        #expect(!(await vaultExists(dir: restoredDir)))
    }

    @Test func theProgressStreamEndsWithTheReport() async throws {
        let server = try await WebDavServer.start()
        defer { server.stop() }
        let (created, documents) = try await vaultWithDocuments()
        try await created.vault.setBackupLocation(location: location(server))

        var events: [BackupEvent] = []
        for try await event in created.vault.backupProgress() {
            events.append(event)
        }

        guard case .finished(let report) = events.last else {
            Issue.record("the last event is not finished: \(String(describing: events.last))")
            return
        }
        #expect(report.uploaded == Int64(documents.count))
        let progress = events.dropLast().compactMap { event -> BackupProgress? in
            if case .progress(let p) = event { p } else { nil }
        }
        #expect(progress.count == events.count - 1, "only progress before the report")
        #expect(progress.last.map { $0.documents == $0.totalDocuments } == true)
    }

    @Test func cancellingTheTaskStopsABackupAndTheNextOneCompletesIt() async throws {
        let server = try await WebDavServer.start()
        defer { server.stop() }
        let (created, documents) = try await vaultWithDocuments()
        let vault = created.vault
        try await vault.setBackupLocation(location: location(server))
        let transport = GatedTransport()
        let backingUp = Task { try await vault.backupNow(transport: transport) }
        try await eventually("the backup to send its first PUT") { transport.holding }

        backingUp.cancel()
        let sentWhenCancelled = transport.sent.count
        transport.open()
        let result = await backingUp.result

        #expect(throws: CancellationError.self) { try result.get() }
        #expect(transport.sent.count == sentWhenCancelled, "nothing sent after the held PUT")
        #expect(try await vault.backupStatus()?.lastBackupMs == nil)

        // The next backup finishes the job, and it restores.
        let report = try await vault.backupNow()
        #expect(report.storedDocuments == Int64(documents.count))
        let restored = try await restoreBackup(
            dir: home.path("new-phone"), location: location(server),
            secret: .passphrase(passphrase: "correct horse"))
        #expect(try await contents(of: restored.vault) == documents)
    }

    @Test func anExportedFileImportsIntoAnotherVaultAllOrNothing() async throws {
        let (created, documents) = try await vaultWithDocuments()
        let file = home.path("documents.age")

        let summary = try await created.vault.exportBackupToFile(
            path: file, to: .passphrase(passphrase: "a backup passphrase"))

        #expect(summary.documents == Int64(documents.count))
        #expect(summary.contentBytes == Int64(documents.values.map(\.count).reduce(0, +)))
        let sealed = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(sealed.starts(with: Data("age-encryption.org/v1\n".utf8)), "a standard age file")

        let other = try await createVault(dir: home.path("other"), passphrase: "other horse", kdf: testKdf)
        _ = await waymarkError {
            _ = try await other.vault.importBackupFromFile(path: file, passphrase: "not the passphrase")
        }
        #expect(try await other.vault.listDocuments().isEmpty)

        let imported = try await other.vault.importBackupFromFile(path: file, passphrase: "a backup passphrase")
        #expect(Set(imported.imported) == Set(documents.keys))
        #expect(try await contents(of: other.vault) == documents)

        let again = try await other.vault.importBackupFromFile(path: file, passphrase: "a backup passphrase")
        #expect(again.imported.isEmpty)
        #expect(Set(again.skipped) == Set(documents.keys))
    }
}
