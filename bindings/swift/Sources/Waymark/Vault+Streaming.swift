import Foundation

// Documents streamed in and out: the Rust side reads and writes in 64 KiB
// chunks on a Waymark thread (``DocumentSource``, ``DocumentSink``), so
// neither a whole scan in memory nor a plaintext file ever exists. The
// types here adapt Foundation's streams and Swift's async sequences.

extension Vault {
    /// Adds a document whose content is read from `stream`, and returns its
    /// id.
    ///
    /// The content is encrypted as it is read, 64 KiB at a time: no
    /// plaintext file is written and memory stays bounded whatever the size.
    /// The stream is opened if it is not yet, and closed only if it was
    /// opened here. Nothing is stored unless the whole stream was read; if
    /// reading fails, the stream's error is thrown.
    public func addDocument(_ metadata: DocumentMetadata, from stream: InputStream) async throws -> String {
        let source = StreamSource(stream)
        defer { source.closeIfOpenedHere() }
        return try await source.rethrowing { try await addDocumentFromSource(metadata: metadata, source: source) }
    }

    /// Adds a document whose content is read from `handle` (from its current
    /// offset to its end), streamed as ``addDocument(_:from:)-(_,InputStream)``
    /// reads a stream. The handle is not closed.
    public func addDocument(_ metadata: DocumentMetadata, from handle: FileHandle) async throws -> String {
        let source = HandleSource(handle)
        return try await source.rethrowing { try await addDocumentFromSource(metadata: metadata, source: source) }
    }

    /// Adds a document whose content arrives as a sequence of `Data`
    /// chunks (a camera's output, a network download), and returns its id.
    ///
    /// The chunks are taken one at a time, as the vault encrypts them: at
    /// most one waits in memory. Cancelling the calling Task stops the add
    /// at its next chunk, nothing stored; the sequence's error is thrown.
    public func addDocument<Chunks: AsyncSequence & Sendable>(
        _ metadata: DocumentMetadata, contentsOf chunks: Chunks
    ) async throws -> String where Chunks.Element == Data {
        let handoff = AsyncToBlocking()
        let feeder = Task { await handoff.feed(chunks) }
        defer {
            handoff.abandon()
            feeder.cancel()
        }
        let source = HandoffSource(handoff)
        return try await withTaskCancellationHandler {
            try await source.rethrowing { try await addDocumentFromSource(metadata: metadata, source: source) }
        } onCancel: {
            handoff.abandon()
        }
    }

    /// Replaces a document's content with what `stream` holds, streamed as
    /// ``addDocument(_:from:)-(_,InputStream)`` reads it; the old content
    /// stays unless the whole stream was read.
    public func replaceDocumentContent(id: String, from stream: InputStream) async throws {
        let source = StreamSource(stream)
        defer { source.closeIfOpenedHere() }
        try await source.rethrowing { try await replaceDocumentContentFromSource(id: id, source: source) }
    }

    /// Writes a document's content to `handle`, 64 KiB at a time, each
    /// chunk authenticated before it is written, and returns its size.
    ///
    /// If it fails part-way (``WaymarkError/integrity(reason:)``: the stored
    /// content was altered; or the handle's error, thrown as it was), what
    /// was written is an authentic prefix that the app MUST discard.
    public func readDocument(id: String, to handle: FileHandle) async throws -> Int64 {
        let sink = ClosureSink { chunk in try handle.write(contentsOf: chunk) }
        return try await sink.rethrowing { try await readDocumentInto(id: id, sink: sink) }
    }

    /// A document's content as a sequence of `Data` chunks (64 KiB each but
    /// the last), each authenticated before it is handed over: for a viewer
    /// that takes data as it comes, with no file and no whole copy in
    /// memory.
    ///
    /// The vault reads one chunk ahead of the iteration and waits for it:
    /// iterate to the end or stop (leave the loop, drop the sequence) to
    /// release the vault. If the sequence throws part-way
    /// (``WaymarkError/integrity(reason:)``), discard what it gave.
    ///
    /// ```swift
    /// for try await chunk in vault.content(ofDocument: id) {
    ///     viewer.append(chunk)
    /// }
    /// ```
    public func content(ofDocument id: String) -> AsyncThrowingStream<Data, any Error> {
        let pipe = BlockingToAsync()
        let reader = Task { [self] in
            do {
                _ = try await readDocumentInto(id: id, sink: PipeSink(pipe))
                pipe.finish(nil)
            } catch {
                pipe.finish(error)
            }
        }
        let consumer = PipeConsumer(pipe: pipe, reader: reader)
        return AsyncThrowingStream(unfolding: { try await consumer.next() })
    }
}

/// Keeps the first error the app's side threw, so that the caller sees it
/// rather than the Rust side's account of it.
class Rethrowing: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var failure: (any Error)?

    /// Runs `io`, keeping an error that is not Waymark's own.
    func guarded<T>(_ io: () throws -> T) throws -> T {
        do {
            return try io()
        } catch let error as WaymarkError {
            throw error
        } catch {
            lock.lock()
            if failure == nil { failure = error }
            lock.unlock()
            // Its text is the app's: not copied into Waymark's error.
            throw WaymarkError.internal(reason: "the app's stream failed")
        }
    }

    func rethrowing<T>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as WaymarkError {
            throw keptFailure() ?? error
        }
    }

    private func keptFailure() -> (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }
}

/// An `InputStream` as the Rust side reads it (one read at a time).
final class StreamSource: Rethrowing, DocumentSource, @unchecked Sendable {
    private let stream: InputStream
    private let openedHere: Bool

    init(_ stream: InputStream) {
        self.stream = stream
        openedHere = stream.streamStatus == .notOpen
        if openedHere { stream.open() }
    }

    func read(maxLen: Int32) throws -> Data {
        try guarded {
            var buffer = [UInt8](repeating: 0, count: Int(min(max(maxLen, 1), 1 << 20)))
            let n = stream.read(&buffer, maxLength: buffer.count)
            if n < 0 { throw stream.streamError ?? CocoaError(.fileReadUnknown) }
            return Data(buffer[0..<n])
        }
    }

    func closeIfOpenedHere() {
        if openedHere { stream.close() }
    }
}

/// A `FileHandle` as the Rust side reads it.
final class HandleSource: Rethrowing, DocumentSource, @unchecked Sendable {
    private let handle: FileHandle

    init(_ handle: FileHandle) { self.handle = handle }

    func read(maxLen: Int32) throws -> Data {
        try guarded { try handle.read(upToCount: Int(min(max(maxLen, 1), 1 << 20))) ?? Data() }
    }
}

/// A sink that calls a closure with each chunk.
final class ClosureSink: Rethrowing, DocumentSink, @unchecked Sendable {
    private let write: (Data) throws -> Void

    init(_ write: @escaping (Data) throws -> Void) { self.write = write }

    func write(chunk: Data) throws {
        try guarded { try write(chunk) }
    }
}

/// Chunks an async sequence produces, taken one at a time by a blocking
/// reader (the Rust side, on its own thread): at most one waits.
final class AsyncToBlocking: @unchecked Sendable {
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var chunk: Data?
    private var taken: CheckedContinuation<Void, Never>?
    private var ended = false
    private var failure: (any Error)?
    private var abandoned = false

    /// Hands every chunk of `chunks` over, each once the previous was taken.
    func feed<Chunks: AsyncSequence>(_ chunks: Chunks) async where Chunks.Element == Data {
        do {
            for try await next in chunks where !next.isEmpty {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    condition.lock()
                    if abandoned {
                        condition.unlock()
                        continuation.resume()
                        return
                    }
                    chunk = next
                    taken = continuation
                    condition.broadcast()
                    condition.unlock()
                }
                if isAbandoned { return }
            }
            end(nil)
        } catch {
            end(error)
        }
    }

    private var isAbandoned: Bool {
        condition.lock()
        defer { condition.unlock() }
        return abandoned
    }

    private func end(_ error: (any Error)?) {
        condition.lock()
        ended = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, blocking until there is one; nil at the end.
    func take() throws -> Data? {
        condition.lock()
        defer { condition.unlock() }
        while chunk == nil && !ended && !abandoned {
            condition.wait()
        }
        if abandoned { throw CancellationError() }
        if let next = chunk {
            chunk = nil
            taken?.resume()
            taken = nil
            return next
        }
        if let failure { throw failure }
        return nil
    }

    /// The reader is gone (or the Task cancelled): stop both sides.
    func abandon() {
        condition.lock()
        abandoned = true
        chunk = nil
        let waiting = taken
        taken = nil
        condition.broadcast()
        condition.unlock()
        waiting?.resume()
    }
}

/// The Rust side reading an async sequence's chunks in the sizes it asks.
final class HandoffSource: Rethrowing, DocumentSource, @unchecked Sendable {
    private let handoff: AsyncToBlocking
    // Only the Rust side's one reading thread touches it.
    private var rest = Data()

    init(_ handoff: AsyncToBlocking) { self.handoff = handoff }

    func read(maxLen: Int32) throws -> Data {
        try guarded {
            if rest.isEmpty {
                guard let next = try handoff.take() else { return Data() }
                rest = next
            }
            let n = min(Int(max(maxLen, 1)), rest.count)
            let out = rest.prefix(n)
            rest = rest.dropFirst(n)
            return Data(out)
        }
    }
}

/// Chunks the Rust side writes (blocking, on its own thread), taken by an
/// async consumer: the writer waits until its chunk was taken.
final class BlockingToAsync: @unchecked Sendable {
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var chunk: Data?
    private var waiter: CheckedContinuation<Data?, any Error>?
    private var ended = false
    private var failure: (any Error)?
    private var abandoned = false

    /// Hands `data` to the consumer and waits until it is taken.
    func put(_ data: Data) throws {
        condition.lock()
        defer { condition.unlock() }
        if abandoned { throw CancellationError() }
        if let waiting = waiter {
            waiter = nil
            waiting.resume(returning: data)
            return
        }
        chunk = data
        while chunk != nil && !abandoned {
            condition.wait()
        }
        if abandoned { throw CancellationError() }
    }

    /// The writer is done (`error` if it failed).
    func finish(_ error: (any Error)?) {
        condition.lock()
        ended = true
        failure = error
        let waiting = waiter
        waiter = nil
        condition.unlock()
        if let waiting {
            if let error { waiting.resume(throwing: error) } else { waiting.resume(returning: nil) }
        }
    }

    /// The next chunk; nil at the end.
    func next() async throws -> Data? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if let ready = chunk {
                chunk = nil
                condition.broadcast()
                condition.unlock()
                continuation.resume(returning: ready)
            } else if ended {
                let failure = self.failure
                condition.unlock()
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// The consumer is gone: the writer stops at its next chunk.
    func abandon() {
        condition.lock()
        abandoned = true
        chunk = nil
        condition.broadcast()
        condition.unlock()
    }
}

/// Writes the Rust side's chunks into a pipe.
final class PipeSink: DocumentSink, @unchecked Sendable {
    private let pipe: BlockingToAsync

    init(_ pipe: BlockingToAsync) { self.pipe = pipe }

    func write(chunk: Data) throws {
        do {
            try pipe.put(chunk)
        } catch {
            throw WaymarkError.cancelled
        }
    }
}

/// The consumer's end of a pipe: when the stream goes (iterated to the
/// end, left early, dropped), the pipe is abandoned and the vault released.
final class PipeConsumer: Sendable {
    private let pipe: BlockingToAsync
    private let reader: Task<Void, Never>

    init(pipe: BlockingToAsync, reader: Task<Void, Never>) {
        self.pipe = pipe
        self.reader = reader
    }

    func next() async throws -> Data? {
        try await withTaskCancellationHandler {
            try await pipe.next()
        } onCancel: { [pipe] in
            pipe.abandon()
        }
    }

    deinit {
        pipe.abandon()
        reader.cancel()
    }
}
