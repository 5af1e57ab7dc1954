import Foundation
import Testing
import Waymark

/// The contract `URLSessionTransport` keeps, seen from a server.
@Suite("URLSessionTransport", .failsWhenStuck)
struct TransportTests {
    func request(_ url: String, method: String = "GET", body: Data = Data()) -> HttpRequest {
        HttpRequest(
            method: method,
            url: url + "/metadata/timestamp.json",
            headers: [
                HttpHeader(name: "user-agent", value: "Waymark"),
                HttpHeader(name: "accept", value: "*/*"),
                HttpHeader(name: "accept-encoding", value: "identity"),
            ],
            connectTimeoutMs: 5_000, readTimeoutMs: 5_000, proxy: nil, body: body)
    }

    /// The server's answer to every request: 201, no body.
    static let created = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    @Test func aRedirectIsReturnedAsItCameAndOnlyWaymarksHeadersAreSent() throws {
        let server = try BusyServer(
            answering: "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n")
        defer { server.stop() }
        let response = try URLSessionTransport().send(request: request(server.url))
        #expect(response.status == 302)
        #expect(try response.body.read(maxBytes: 1024).isEmpty)
        response.body.release()
        #expect(server.requestCount == 1, "the redirect was not followed")
        let lines = server.lastRequestHead.lowercased().components(separatedBy: "\r\n")
        #expect(lines.contains("user-agent: waymark"))
        #expect(lines.contains("accept-encoding: identity"))
        #expect(!lines.contains { $0.hasPrefix("cookie") || $0.hasPrefix("referer") })
        // A no-cache request would send every phone through a CDN to the origin.
        #expect(!lines.contains { $0.hasPrefix("cache-control") || $0.hasPrefix("pragma") })
    }

    @Test func anErrorStatusAndItsBodyComeBackAsAnAnswer() throws {
        let server = try BusyServer(
            answering: "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\n"
                + "Connection: close\r\n\r\nbusy")
        defer { server.stop() }
        let response = try URLSessionTransport().send(request: request(server.url))
        #expect(response.status == 503)
        #expect(response.headers.contains { $0.name.lowercased() == "retry-after" && $0.value == "7" })
        var body = Data()
        while true {
            let chunk = try response.body.read(maxBytes: 1024)
            if chunk.isEmpty { break }
            body.append(chunk)
        }
        #expect(String(decoding: body, as: UTF8.self) == "busy")
        response.body.release()
    }

    @Test func aPutSendsItsBodyWithItsLength() throws {
        let server = try BusyServer(answering: Self.created)
        defer { server.stop() }
        // Bytes that are not text, larger than one socket read.
        let sealed = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        var put = request(server.url, method: "PUT", body: sealed)
        put.headers.append(HttpHeader(name: "content-type", value: "application/octet-stream"))
        let response = try URLSessionTransport().send(request: put)
        response.body.release()
        #expect(response.status == 201)
        let lines = server.lastRequestHead.lowercased().components(separatedBy: "\r\n")
        #expect(lines.first?.hasPrefix("put /metadata/timestamp.json ") == true)
        #expect(lines.contains("content-length: \(sealed.count)"))
        #expect(lines.filter { $0.hasPrefix("content-type") } == ["content-type: application/octet-stream"])
        #expect(!lines.contains { $0.hasPrefix("transfer-encoding") })
        #expect(server.lastRequestBody == sealed)
    }

    @Test func anEmptyPutStillSendsItsContentLength() throws {
        let server = try BusyServer(answering: Self.created)
        defer { server.stop() }
        let response = try URLSessionTransport().send(request: request(server.url, method: "PUT"))
        response.body.release()
        #expect(response.status == 201)
        let lines = server.lastRequestHead.lowercased().components(separatedBy: "\r\n")
        #expect(lines.first?.hasPrefix("put ") == true)
        #expect(lines.contains("content-length: 0"))
    }

    @Test(arguments: ["HEAD", "DELETE", "MKCOL"])
    func theBackupsOtherMethodsAreSentAsGivenWithoutABody(method: String) throws {
        let server = try BusyServer(answering: Self.created)
        defer { server.stop() }
        let response = try URLSessionTransport().send(request: request(server.url, method: method))
        #expect(response.status == 201)
        #expect(try response.body.read(maxBytes: 1024).isEmpty)
        response.body.release()
        let lines = server.lastRequestHead.lowercased().components(separatedBy: "\r\n")
        #expect(lines.first?.hasPrefix("\(method.lowercased()) /metadata/timestamp.json ") == true)
        #expect(!lines.contains { $0.hasPrefix("content-type") })
        #expect(!lines.contains { $0.hasPrefix("transfer-encoding") })
        #expect(server.lastRequestBody.isEmpty)
    }

    @Test func aMethodOutsideTheContractIsRefusedUnsent() throws {
        let server = try BusyServer(answering: Self.created)
        defer { server.stop() }
        #expect(throws: HttpError.self) {
            try URLSessionTransport().send(request: request(server.url, method: "POST", body: Data("x".utf8)))
        }
        #expect(throws: HttpError.self) {
            try URLSessionTransport().send(request: request(server.url, method: "GET", body: Data("x".utf8)))
        }
        #expect(server.requestCount == 0)
    }
}
