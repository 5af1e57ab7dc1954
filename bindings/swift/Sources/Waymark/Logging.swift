import Foundation

/// Sends Waymark's log lines up to `maxLevel` to `sink` (an `os.Logger`,
/// say), replacing any sink installed before. Off until called. The lines
/// say what happened (an unlock, a wrong passphrase, a pack installed or
/// refused, a sync's summary) and never carry a passphrase, a document's
/// title, a path, a URL or a publisher.
///
/// `sink` is called on Waymark's threads, possibly several at once: keep it
/// quick and never call Waymark from it.
///
/// ```swift
/// let logger = Logger(subsystem: "org.example.app", category: "Waymark")
/// installLogSink(maxLevel: .info) { level, target, message in
///     logger.log(level: level == .error || level == .warn ? .error : .info, "\(target): \(message)")
/// }
/// ```
public func installLogSink(
    maxLevel: LogLevel = .info,
    _ sink: @escaping @Sendable (_ level: LogLevel, _ target: String, _ message: String) -> Void
) {
    setLogSink(sink: ClosureLogSink(sink), maxLevel: maxLevel)
}

/// Stops sending log lines (the default). Once it returns, the sink is not
/// called again.
public func removeLogSink() {
    setLogSink(sink: nil, maxLevel: .info)
}

/// A ``LogSink`` over a closure.
final class ClosureLogSink: LogSink {
    private let sink: @Sendable (LogLevel, String, String) -> Void

    init(_ sink: @escaping @Sendable (LogLevel, String, String) -> Void) {
        self.sink = sink
    }

    func log(level: LogLevel, target: String, message: String) throws {
        sink(level, target, message)
    }
}
