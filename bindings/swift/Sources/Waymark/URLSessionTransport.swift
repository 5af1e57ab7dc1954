import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Waymark's sync and remote backup over `URLSession` (the platform's HTTP
/// stack and trusted roots): the ``HttpTransport`` that ``WaymarkHome``
/// gives its content store, and the one to pass to
/// ``Vault/backupNow(transport:proxy:progress:)`` and
/// ``restoreBackup(dir:location:secret:transport:proxy:progress:)``.
///
/// It does what the contract asks:
/// - one request with the method Waymark gives (`GET` for sync; `PUT`,
///   `HEAD`, `DELETE` and WebDAV's `MKCOL` too for the backup); a `PUT`
///   uploads its body, even an empty one, with its `Content-Length`, and
///   the other methods send none;
/// - redirects are refused (the 3xx is returned as it came);
/// - an ephemeral configuration with no cookie storage and no URL cache;
/// - exactly the headers Waymark gives (`User-Agent: Waymark`, `Accept`,
///   `Accept-Encoding: identity`, and the conditional and range headers),
///   and no `Accept-Language`: `URLSession` would otherwise add the
///   person's preferred languages, which say much about a migrant. On
///   Apple's platforms it is replaced by `Accept-Language: *`, the same for
///   everyone; on Linux it is removed (see below);
/// - the connect and read timeouts (an upload that keeps sending is not
///   timed out: the read timeout counts from its last progress);
/// - the person's proxy through `connectionProxyDictionary` (HTTP, or
///   SOCKS for `socks5`/`socks5h`: CFNetwork hands the host's name to a
///   SOCKS proxy, so nothing is looked up on the phone), and otherwise an
///   empty dictionary: no system proxy (on Linux a proxy is refused, see
///   below);
/// - every status returned as it came, the body streamed as it arrives
///   (held back at 1 MiB until Waymark reads it).
///
/// Each request has its own session, invalidated when the body is
/// released.
///
/// ## On Linux
///
/// There `URLSession` is swift-corelibs-foundation's, on libcurl, and it
/// differs in ways that matter (the wire tests, `WireTests`, show them):
/// - It ignores `connectionProxyDictionary` altogether, HTTP and SOCKS
///   alike: a proxy would silently become a direct connection, which for
///   someone who set Tor or Orbot is the leak the proxy was meant to
///   prevent. So a request with a proxy is refused
///   (``HttpError/other(reason:)``) before anything is sent. libcurl still
///   honours the `http_proxy`, `https_proxy` and `all_proxy` environment
///   variables of the process when no proxy is given.
/// - It adds `Accept-Language` from the current locale, and an empty value
///   would be sent as an empty header: it is given a blank value, which
///   libcurl drops, so none is sent.
/// - It hands the headers to libcurl in the order of a dictionary it makes
///   for each request, and Swift seeds a dictionary's order with where it
///   lands in memory: the same request need not be the same bytes twice
///   (the same headers, in another order, which says nothing about the
///   person but differs from phone to phone). Nothing in the public API
///   fixes that order.
///
/// It already removes libcurl's `Expect: 100-continue` from uploads, and
/// the given `User-Agent` and `Accept-Encoding` replace its own.
///
/// ```swift
/// let store = try await ContentStore.open(dir: path, transport: URLSessionTransport())
/// ```
public final class URLSessionTransport: HttpTransport {
    public init() {}

    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https"
        else {
            throw HttpError.other(reason: "not an HTTP URL")
        }
        guard Self.methods.contains(request.method) else {
            throw HttpError.other(reason: "not a method Waymark sends")
        }
        let uploads = request.method == "PUT"
        guard uploads || request.body.isEmpty else {
            throw HttpError.other(reason: "only a PUT has a body")
        }
        let connectTimeout = Double(request.connectTimeoutMs) / 1000
        let readTimeout = Double(request.readTimeoutMs) / 1000

        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.timeoutIntervalForRequest = readTimeout
        configuration.httpMaximumConnectionsPerHost = 1
        configuration.connectionProxyDictionary = try Self.proxyDictionary(request.proxy)
        #if canImport(FoundationNetworking)
        if request.proxy != nil {
            // corelibs would connect directly: refuse rather than leak.
            throw HttpError.other(reason: Self.noProxyOnThisPlatform)
        }
        #endif

        var urlRequest = URLRequest(
            url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: readTimeout)
        urlRequest.httpMethod = request.method
        urlRequest.httpShouldHandleCookies = false
        urlRequest.setValue(Self.acceptLanguage, forHTTPHeaderField: "Accept-Language")
        for header in request.headers {
            urlRequest.setValue(header.value, forHTTPHeaderField: header.name)
        }

        let exchange = Exchange(readTimeout: readTimeout)
        let session = URLSession(configuration: configuration, delegate: exchange, delegateQueue: nil)
        // An upload task from memory: URLSession sets the Content-Length
        // (0 for an empty body) and reports the upload's progress, which
        // keeps a slow upload from timing out while it moves.
        let task = uploads
            ? session.uploadTask(with: urlRequest, from: request.body)
            : session.dataTask(with: urlRequest)
        exchange.start(task: task, session: session)
        let response = try exchange.waitForResponse(timeout: connectTimeout + readTimeout)
        var headers: [HttpHeader] = []
        for (name, value) in response.allHeaderFields {
            headers.append(HttpHeader(name: "\(name)", value: "\(value)"))
        }
        return HttpResponse(status: Int32(clamping: response.statusCode), headers: headers, body: exchange)
    }

    /// The methods of the contract; anything else is refused unsent.
    private static let methods: Set<String> = ["GET", "PUT", "HEAD", "DELETE", "MKCOL"]

    #if canImport(FoundationNetworking)
    /// swift-corelibs-foundation sends `Accept-Language: LANGUAGE` unless the
    /// request sets it; a blank value reaches libcurl as `Accept-Language:  `,
    /// which it leaves out (an empty one would be sent as `Accept-Language:`).
    private static let acceptLanguage = " "

    /// Why a request with a proxy is refused on Linux.
    private static let noProxyOnThisPlatform =
        "this platform's URLSession (swift-corelibs-foundation) ignores proxies: "
        + "refusing to connect without the proxy"
    #else
    /// CFNetwork would add the person's preferred languages; `*` is the same
    /// for everyone.
    private static let acceptLanguage = "*"
    #endif

    static func proxyDictionary(_ proxy: String?) throws -> [AnyHashable: Any] {
        guard let proxy else { return [:] }
        guard let components = URLComponents(string: proxy), let host = components.host,
              let port = components.port
        else {
            throw HttpError.other(reason: "the proxy is not a URL")
        }
        let bareHost = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        switch components.scheme {
        case "http":
            // The string keys of CFNetwork's kCFNetworkProxiesHTTP* and
            // kCFStreamPropertyHTTPSProxy*, spelled out: Linux has no CFNetwork.
            return [
                "HTTPEnable": 1, "HTTPProxy": bareHost, "HTTPPort": port,
                "HTTPSEnable": 1, "HTTPSProxy": bareHost, "HTTPSPort": port,
            ]
        case "socks5", "socks5h":
            return ["SOCKSEnable": 1, "SOCKSProxy": bareHost, "SOCKSPort": port]
        default:
            throw HttpError.other(reason: "the proxy is not HTTP or SOCKS5")
        }
    }
}

/// One request: the session's delegate, and the body Waymark reads.
private final class Exchange: NSObject, URLSessionDataDelegate, HttpBody, @unchecked Sendable {
    /// Data held before the task is suspended until Waymark reads.
    private static let highWater = 1 << 20

    private let readTimeout: TimeInterval
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var task: URLSessionDataTask?
    private var session: URLSession?
    private var response: HTTPURLResponse?
    private var buffer = Data()
    private var finished = false
    private var failure: HttpError?
    private var suspended = false
    /// When waiting for the response gives up; moved on by upload progress.
    private var deadline = Date.distantFuture

    init(readTimeout: TimeInterval) {
        self.readTimeout = readTimeout
    }

    func start(task: URLSessionDataTask, session: URLSession) {
        condition.lock()
        self.task = task
        self.session = session
        condition.unlock()
        task.resume()
    }

    func waitForResponse(timeout: TimeInterval) throws -> HTTPURLResponse {
        condition.lock()
        deadline = Date().addingTimeInterval(timeout)
        while response == nil && !finished {
            // Upload progress may have moved the deadline while waiting.
            if !condition.wait(until: deadline) && Date() >= deadline {
                failure = .timeout
                break
            }
        }
        let response = self.response
        let error = failure ?? HttpError.other(reason: "no HTTP response")
        condition.unlock()
        if let response { return response }
        release()
        throw error
    }

    // MARK: HttpBody

    func read(maxBytes: Int32) throws -> Data {
        let readDeadline = Date().addingTimeInterval(readTimeout)
        condition.lock()
        defer { condition.unlock() }
        while buffer.isEmpty && !finished {
            if suspended {
                suspended = false
                task?.resume()
            }
            if !condition.wait(until: readDeadline) {
                throw HttpError.timeout
            }
        }
        if buffer.isEmpty {
            if let failure { throw failure }
            return Data()
        }
        let count = min(Int(max(maxBytes, 1)), buffer.count)
        let chunk = Data(buffer.prefix(count))
        buffer.removeFirst(count)
        if suspended && buffer.count < Self.highWater / 2 {
            suspended = false
            task?.resume()
        }
        return chunk
    }

    func release() {
        condition.lock()
        let task = self.task
        let session = self.session
        self.task = nil
        self.session = nil
        finished = true
        buffer = Data()
        condition.broadcast()
        condition.unlock()
        task?.cancel()
        session?.invalidateAndCancel()
    }

    // MARK: URLSessionDataDelegate

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        // Not followed: the 3xx itself is the answer.
        completionHandler(nil)
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
        totalBytesSent: Int64, totalBytesExpectedToSend: Int64
    ) {
        // Still sending: the wait for the response restarts from here.
        condition.lock()
        let moved = Date().addingTimeInterval(readTimeout)
        if response == nil && moved > deadline {
            deadline = moved
        }
        condition.unlock()
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        condition.lock()
        if let http = response as? HTTPURLResponse {
            self.response = http
        } else {
            failure = .other(reason: "not an HTTP response")
            finished = true
        }
        condition.broadcast()
        condition.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        condition.lock()
        buffer.append(data)
        if buffer.count >= Self.highWater && !suspended {
            suspended = true
            dataTask.suspend()
        }
        condition.broadcast()
        condition.unlock()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        condition.lock()
        if let error, failure == nil {
            failure = Self.translate(error)
        }
        // A refused redirect completes without a response on some
        // platforms: the redirect response is then what came.
        if self.response == nil, let http = task.response as? HTTPURLResponse {
            self.response = http
            failure = nil
        }
        finished = true
        condition.broadcast()
        condition.unlock()
        session.finishTasksAndInvalidate()
    }

    /// An error as Waymark's retryable kinds; nothing of the URL or host.
    private static func translate(_ error: Error) -> HttpError {
        let code = (error as NSError).code
        switch code {
        case NSURLErrorTimedOut:
            return .timeout
        case NSURLErrorCannotConnectToHost, NSURLErrorCannotFindHost, NSURLErrorNetworkConnectionLost,
             NSURLErrorNotConnectedToInternet, NSURLErrorDNSLookupFailed, NSURLErrorSecureConnectionFailed,
             NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
             NSURLErrorServerCertificateNotYetValid, NSURLErrorServerCertificateHasUnknownRoot:
            return .connect
        default:
            return .other(reason: "URL error \(code)")
        }
    }
}
