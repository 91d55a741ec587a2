/// Retry delays: `initial`, doubled after each failure, capped at `maximum`. The one backoff of
/// the project; each user keeps its own count of failures (and resets it on success).
public struct Backoff: Hashable, Sendable {
    public var initial: Duration
    public var maximum: Duration

    /// `maximum` is at least `initial`.
    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// The delay after `failures` failures in a row: `initial · 2^failures`, at most `maximum`.
    public func delay(after failures: Int) -> Duration {
        var delay = initial
        var doublings = min(max(failures, 0), 62)
        while doublings > 0, delay < maximum {
            delay = delay * 2
            doublings -= 1
        }
        return min(delay, maximum)
    }

    /// The delay after `failures` failures, and one failure more counted.
    public func next(_ failures: inout Int) -> Duration {
        defer { failures += 1 }
        return delay(after: failures)
    }
}
