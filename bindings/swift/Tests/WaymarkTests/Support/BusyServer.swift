import Foundation

#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// An HTTP server on 127.0.0.1 that answers every request with
/// `503 Service Unavailable` and `Retry-After`, as a repository behind an
/// overloaded CDN would. A sync honours the wait (sleeping, cancellably),
/// so a sync against it is reliably still running when a test cancels it.
///
/// Swift may release a value right after its last use, before the end of
/// its scope: tests keep a server up with `defer { server.stop() }`.
///
/// `init(answering:)` answers every request with another canned response
/// instead, and `lastRequestHead` and `lastRequestBody` show what the
/// client sent (the transport tests).
final class BusyServer: @unchecked Sendable {
    /// `http://127.0.0.1:PORT`.
    let url: String
    private let listener: Int32
    private let response: String
    // `requests`, `head`, `body` and `stopped` are guarded by `lock`.
    private let lock = NSLock()
    private var requests = 0
    private var head = ""
    private var body = Data()
    private var stopped = false

    convenience init(retryAfterSeconds: Int) throws {
        try self.init(
            answering: "HTTP/1.1 503 Service Unavailable\r\nRetry-After: \(retryAfterSeconds)\r\n"
                + "Content-Length: 0\r\nConnection: close\r\n\r\n")
    }

    init(answering response: String) throws {
        self.response = response
        let listener = socket(AF_INET, streamSocket, 0)
        guard listener >= 0 else { throw FixtureError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw FixtureError("bind/listen on 127.0.0.1 failed")
        }
        var actual = sockaddr_in()
        var actualLength = length
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(listener, $0, &actualLength)
            }
        }
        self.listener = listener
        url = "http://127.0.0.1:\(UInt16(bigEndian: actual.sin_port))"
        Thread.detachNewThread { [self] in serve() }
    }

    /// The head (request line and headers) of the last request.
    var lastRequestHead: String {
        lock.lock()
        defer { lock.unlock() }
        return head
    }

    /// The body of the last request, as many bytes as its
    /// `Content-Length` said (empty without one).
    var lastRequestBody: Data {
        lock.lock()
        defer { lock.unlock() }
        return body
    }

    /// Requests answered so far.
    var requestCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        if first {
            // Refuses new connections at once (and wakes the accept() below
            // on Linux). The serving thread closes the socket: closed here,
            // its number could go to another test's new server while that
            // thread still accepts on it, answering that server's clients.
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    deinit { stop() }

    private func serve() {
        defer { close(listener) }
        while !isStopped {
            // Waits in slices, so that a stop is seen where shutdown() does
            // not wake accept() (Darwin).
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, 100)
            if polled < 0 && errno != EINTR { return }
            if polled <= 0 || isStopped { continue }
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            answer(connection)
            close(connection)
        }
    }

    private func answer(_ connection: Int32) {
        // Read the request head, then as much body as it announces.
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            let n = read(connection, &buffer, buffer.count)
            if n <= 0 { return }
            received.append(contentsOf: buffer[0..<n])
            headEnd = received.indices.dropLast(3).first { received[$0..<$0 + 4].elementsEqual(end) }
        }
        let bodyStart = headEnd! + 4
        let head = String(decoding: received[..<bodyStart], as: UTF8.self)
        let lines = head.lowercased().components(separatedBy: "\r\n")
        let length = lines.lazy.compactMap { line -> Int? in
            guard line.hasPrefix("content-length:") else { return nil }
            return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        if lines.contains("expect: 100-continue") {
            _ = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8).withUnsafeBytes {
                write(connection, $0.baseAddress, $0.count)
            }
        }
        while received.count - bodyStart < length {
            let n = read(connection, &buffer, buffer.count)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        lock.lock()
        requests += 1
        self.head = head
        body = Data(received[bodyStart...].prefix(length))
        lock.unlock()
        _ = Array(response.utf8).withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
    }
}
