import Foundation
import Testing
import Waymark

/// The contract `URLSessionTransport` keeps, seen from a server.
@Suite("URLSessionTransport", .failsWhenStuck)
struct TransportTests {
    func request(_ url: String) -> HttpRequest {
        HttpRequest(
            url: url + "/metadata/timestamp.json",
            headers: [
                HttpHeader(name: "user-agent", value: "Waymark"),
                HttpHeader(name: "accept", value: "*/*"),
                HttpHeader(name: "accept-encoding", value: "identity"),
            ],
            connectTimeoutMs: 5_000, readTimeoutMs: 5_000, proxy: nil)
    }

    @Test func aRedirectIsReturnedAsItCameAndOnlyWaymarksHeadersAreSent() throws {
        let server = try BusyServer(
            answering: "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n")
        defer { server.stop() }
        let response = try URLSessionTransport().get(request: request(server.url))
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
        let response = try URLSessionTransport().get(request: request(server.url))
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
}
