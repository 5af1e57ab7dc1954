import Testing

extension Trait where Self == TimeLimitTrait {
    /// Every suite's limit per test: the slowest test (a 50 MB document in
    /// and out in a debug build) takes seconds, so a test over this is
    /// stuck (a stream waiting for an event that already passed, a
    /// continuation never resumed) and fails, naming itself, instead of
    /// holding the whole run until CI's limit.
    static var failsWhenStuck: Self { .timeLimit(.minutes(2)) }
}
