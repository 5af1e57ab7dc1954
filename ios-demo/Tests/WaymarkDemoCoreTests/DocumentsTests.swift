import Foundation
import Testing
import Waymark
@testable import WaymarkDemoCore

@Suite("Documents", .timeLimit(.minutes(1)))
@MainActor
struct DocumentsTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    @Test func aDocumentAddedFromAStreamIsStoredWithNoPlaintextFileAnywhere() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        let documents = try #require(app.documents)
        // A recognisable "scan" of 300 KB arriving in camera-sized pieces.
        let marker = Data("PASSPORT-OF-AMANUEL-TESFAY-".utf8)
        let scan = Data((0..<(300_000 / marker.count)).flatMap { _ in marker })
        let pieces = stride(from: 0, to: scan.count, by: 32_768).map { scan[$0..<min($0 + 32_768, scan.count)] }

        let id = await documents.add(
            DocumentMetadata(kind: .passport, title: "Amanuel passport", mimeType: "image/jpeg"),
            contentsOf: chunks(pieces.map { Data($0) }))

        let stored = try #require(id, "\(documents.message ?? "")")
        #expect(documents.rows.map(\.id) == [stored])
        #expect(documents.rows.first?.symbol == DocumentKind.passport.symbol)
        // No file under the app's home holds the scan or its title in clear.
        for file in home.allFiles() {
            let bytes = try Data(contentsOf: file)
            #expect(bytes.range(of: marker) == nil, "plaintext in \(file.lastPathComponent)")
            #expect(bytes.range(of: Data("Amanuel".utf8)) == nil, "title in \(file.lastPathComponent)")
        }
        // And it reads back, chunk by chunk, for the viewer.
        var read = Data()
        for try await chunk in documents.content(of: stored) { read.append(chunk) }
        #expect(read == scan)
    }

    @Test func aFileFromThePickerIsStoredAndNoCopyIsLeftInTheApp() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        let documents = try #require(app.documents)
        let elsewhere = try TemporaryDirectory()
        let picked = elsewhere.url("residence-permit.pdf")
        let marker = Data("PERMIT-OF-HAWA-MOHAMMED-".utf8)
        try Data((0..<5000).flatMap { _ in marker }).write(to: picked)

        let id = try #require(await documents.add(
            DocumentMetadata(kind: .residencePermit, title: "Permit", mimeType: "application/pdf"), fromFile: picked))

        #expect(documents.rows.map(\.id) == [id])
        for file in home.allFiles() {
            #expect(try Data(contentsOf: file).range(of: marker) == nil, "plaintext in \(file.lastPathComponent)")
        }
        // A file that is gone by the time it is read: a message, nothing stored.
        #expect(await documents.add(
            DocumentMetadata(kind: .other, title: "Gone"), fromFile: elsewhere.url("missing.pdf")) == nil)
        #expect(documents.message != nil)
        #expect(documents.rows.count == 1)
    }

    @Test func aStreamThatFailsStoresNothingAndSaysSo() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        let documents = try #require(app.documents)
        struct CameraGone: Error {}
        let failing = AsyncThrowingStream<Data, any Error> { continuation in
            continuation.yield(Data("half".utf8))
            continuation.finish(throwing: CameraGone())
        }
        let id = await documents.add(DocumentMetadata(kind: .other, title: "Broken"), contentsOf: failing)
        #expect(id == nil)
        #expect(documents.message == Strings(.english)[.errorInternal])
        await documents.reload()
        #expect(documents.rows.isEmpty)

        documents.pickerCancelled()
        #expect(documents.message == nil)
    }

    @Test func expiryBadgesShowExpiredAndSoonButNotFarOff() async throws {
        let time = ManualTime()
        let app = await freshApp(home, time: time)
        try await completeFirstRun(app)
        let documents = try #require(app.documents)
        let today = time.now
        func day(_ offset: Int) -> String {
            let date = utcCalendar.date(byAdding: .day, value: offset, to: today)!
            let parts = utcCalendar.dateComponents([.year, .month, .day], from: date)
            return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        }
        for (title, expires) in [("Old visa", day(-3)), ("Permit", day(45)), ("Passport", day(2000)), ("Letter", nil)] {
            _ = await documents.add(
                DocumentMetadata(kind: .visa, title: title, expiresOn: expires), contentsOf: chunks([Data([1])]))
        }

        let badges = Dictionary(uniqueKeysWithValues: documents.rows.map { ($0.title, $0.badge) })
        #expect(badges["Old visa"] == .expired)
        #expect(badges["Permit"] == .expiresSoon(daysLeft: 45))
        #expect(badges["Passport"] == .some(nil))
        #expect(badges["Letter"] == .some(nil))
        #expect(documents.rows.first { $0.title == "Permit" }?.badgeText == "Expires in 45 days")
    }

    @Test func exportHappensOnlyAfterTheWarningIsAccepted() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        let documents = try #require(app.documents)
        let id = try #require(await documents.add(
            DocumentMetadata(kind: .medical, title: "Vaccination"), contentsOf: chunks([Data("card".utf8)])))
        let outside = try TemporaryDirectory()
        let copy = outside.url("copy.jpg")

        #expect(!(await documents.confirmExport(to: copy)), "no export without the warning")
        documents.requestExport(id: id)
        #expect(documents.exportPending?.id == id)
        #expect(documents.exportWarning.contains("NOT"))
        documents.cancelExport()
        #expect(!(await documents.confirmExport(to: copy)))
        #expect(!FileManager.default.fileExists(atPath: copy.path))

        documents.requestExport(id: id)
        #expect(await documents.confirmExport(to: copy))
        #expect(try Data(contentsOf: copy) == Data("card".utf8))
    }

    @Test func editingAndDeleting() async throws {
        let app = await freshApp(home)
        try await completeFirstRun(app)
        let documents = try #require(app.documents)
        let id = try #require(await documents.add(
            DocumentMetadata(kind: .other, title: "Paper"), contentsOf: chunks([Data([7])])))

        var metadata = try #require(documents.rows.first?.metadata)
        metadata.title = "Birth certificate"
        metadata.kind = .birthCertificate
        #expect(await documents.update(id: id, metadata: metadata))
        #expect(documents.rows.first?.title == "Birth certificate")

        metadata.expiresOn = "not a date"
        #expect(!(await documents.update(id: id, metadata: metadata)))
        #expect(documents.message == Strings(.english)[.errorInvalidInput])
        #expect(documents.rows.first?.metadata.expiresOn == nil, "nothing changed")

        #expect(await documents.delete(id: id))
        #expect(documents.rows.isEmpty)
    }
}
