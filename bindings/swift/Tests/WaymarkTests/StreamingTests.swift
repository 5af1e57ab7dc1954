import Foundation
import Testing
import Waymark

/// The process's peak resident memory so far, in bytes (Linux `VmHWM`;
/// nil where there is no procfs).
func peakResidentMemory() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
    else { return nil }
    return kib * 1024
}

/// A scan's bytes, made as they are needed (xorshift64*): the test never
/// holds the document.
struct Scan {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func next(_ count: Int) -> Data {
        var out = Data(capacity: count + 8)
        while out.count < count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            withUnsafeBytes(of: (state &* 0x2545_F491_4F6C_DD1D).littleEndian) { out.append(contentsOf: $0) }
        }
        return out.prefix(count)
    }
}

/// `total` bytes of the scan as an async sequence of 256 KiB chunks.
struct ScanChunks: AsyncSequence, Sendable {
    typealias Element = Data
    let total: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var scan = Scan()
        var left: Int

        mutating func next() async -> Data? {
            guard left > 0 else { return nil }
            let n = Swift.min(left, 256 * 1024)
            left -= n
            return scan.next(n)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(left: total) }
}

@Suite("Streaming", .serialized, .failsWhenStuck)
struct StreamingTests {
    let home: TemporaryDirectory

    init() throws {
        home = try TemporaryDirectory()
    }

    /// The peak memory is the process's: `scripts/swift-test` runs this
    /// suite in a process of its own and sets `WAYMARK_MEASURE_PEAK_MEMORY`;
    /// alongside the other suites (`swift test`), their vaults' Argon2id
    /// memory would be counted too, so the figure is only printed.
    @Test func a50MBScanStreamsInAndOutWithBoundedMemoryAndNoPlaintextFile() async throws {
        let size = 50 * 1024 * 1024
        let vaultDir = home.url.appendingPathComponent("vault")
        // The lightest Argon2id: its memory is not the streaming's.
        let lightest = KdfParams(memoryKib: 64, iterations: 1, parallelism: 1)
        let vault = try await createVault(dir: vaultDir.path, passphrase: "correct horse", kdf: lightest).vault
        let measuring = ProcessInfo.processInfo.environment["WAYMARK_MEASURE_PEAK_MEMORY"] != nil
        let temporary = FileManager.default.temporaryDirectory.path
        let temporaryBefore = Set(try FileManager.default.contentsOfDirectory(atPath: temporary))
        let before = peakResidentMemory()

        let id = try await vault.addDocument(
            DocumentMetadata(kind: .passport, title: "Scan", mimeType: "image/jpeg"), contentsOf: ScanChunks(total: size))
        #expect(try await vault.document(id: id).size == Int64(size))

        var check = Scan()
        var received = 0
        var same = true
        for try await chunk in vault.content(ofDocument: id) {
            same = same && chunk == check.next(chunk.count)
            received += chunk.count
        }
        #expect(received == size)
        #expect(same, "the content came back byte for byte")

        if let before, let after = peakResidentMemory() {
            let grew = after - before
            print("50 MB document: peak memory +\(grew / 1024) KiB streaming in and out")
            if measuring {
                #expect(grew < 16 * 1024 * 1024, "the document was held in memory: +\(grew) bytes")
            }
        }
        if measuring {
            let temporaryAfter = Set(try FileManager.default.contentsOfDirectory(atPath: temporary))
            #expect(temporaryAfter == temporaryBefore, "no temporary file")
        }
        // Only the database and one sealed content file.
        let files = FileManager.default.enumerator(atPath: vaultDir.path)?
            .compactMap { $0 as? String }
            .filter { !$0.hasSuffix("blobs") } ?? []
        #expect(files.allSatisfy { $0.hasPrefix("vault.db") || $0 == "blobs/\(id).1" }, "\(files)")
    }

    @Test func anInputStreamGoesInAndAFileHandleTakesItOut() async throws {
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        var scan = Scan()
        let bytes = scan.next(300_000)
        let id = try await vault.addDocument(DocumentMetadata(kind: .visa, title: "Visa"), from: InputStream(data: bytes))

        let copy = home.url.appendingPathComponent("copy")
        guard FileManager.default.createFile(atPath: copy.path, contents: nil) else {
            throw FixtureError("cannot create \(copy.path)")
        }
        let handle = try FileHandle(forWritingTo: copy)
        let size = try await vault.readDocument(id: id, to: handle)
        try handle.close()
        #expect(size == Int64(bytes.count))
        #expect(try Data(contentsOf: copy) == bytes)

        try await vault.replaceDocumentContent(id: id, from: InputStream(data: Data("better scan".utf8)))
        #expect(try await vault.readDocument(id: id) == Data("better scan".utf8))
    }

    @Test func aSequenceThatFailsStoresNothingAndItsErrorIsThrown() async throws {
        struct CameraFailed: Error, Equatable {}
        struct Failing: AsyncSequence, Sendable {
            typealias Element = Data
            struct AsyncIterator: AsyncIteratorProtocol {
                var sent = 0
                mutating func next() async throws -> Data? {
                    sent += 1
                    if sent > 3 { throw CameraFailed() }
                    return Data(repeating: 7, count: 100_000)
                }
            }
            func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
        }
        let vault = try await createVault(dir: home.path("vault"), passphrase: "correct horse", kdf: testKdf).vault
        await #expect(throws: CameraFailed()) {
            _ = try await vault.addDocument(DocumentMetadata(kind: .other, title: "Photo"), contentsOf: Failing())
        }
        #expect(try await vault.listDocuments().isEmpty)
    }
}
