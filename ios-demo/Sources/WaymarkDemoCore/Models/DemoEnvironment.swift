import Foundation
import Waymark

/// Time as the models see it: the current date, and a pause between the
/// ticks of a countdown. Tests move time by hand.
public struct DemoClock: Sendable {
    /// Now.
    public var now: @Sendable () -> Date
    /// Waits about this long (a countdown's tick).
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The device's clock.
    public static let system = DemoClock(now: { Date() }, sleep: { try await Task.sleep(for: $0) })
}

/// What the models need from outside that tests replace.
public struct DemoEnvironment: Sendable {
    /// The clock.
    public var clock: DemoClock
    /// The calendar days are counted in (expiry badges).
    public var calendar: Calendar
    /// Argon2id parameters for new vaults: nil (the library's default,
    /// about a second on a low-end phone) except in tests.
    public var kdf: KdfParams?
    /// How long search waits for typing to pause before it runs.
    public var searchDebounce: Duration

    public init(
        clock: DemoClock = .system, calendar: Calendar = .current, kdf: KdfParams? = nil,
        searchDebounce: Duration = .milliseconds(150)
    ) {
        self.clock = clock
        self.calendar = calendar
        self.kdf = kdf
        self.searchDebounce = searchDebounce
    }

    /// The app's environment.
    public static let live = DemoEnvironment()
}
