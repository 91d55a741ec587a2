/// How many connections the server has open against its cap, and when to tell the operator.
///
/// A value type kept behind the server's lock: `admit()` runs when a connection is accepted and
/// `release()` when an admitted one closes, from any event loop, so the count is exact however
/// opens and closes interleave. A refused connection is never counted, so it never needs a
/// release. Each transition returns what to log, outside the lock.
///
/// Logging is per episode, not per refusal: the first refusal after the server was under its cap
/// is one warning; the refusals that follow are only counted; the episode ends with one notice
/// once the open count has fallen `hysteresis` below the cap (a tenth of it, at least one). The
/// margin keeps a server that hovers at its cap, one close letting one retry in, from logging a
/// pair of lines for every retry.
struct ConnectionLimit: Hashable, Sendable {
    enum Admission: Hashable, Sendable {
        /// Counted: the connection is served and must be released when it closes.
        case admitted
        /// Over the cap: send `too_many_connections` naming `limit` and close. `warn` is true for
        /// the first refusal of an episode.
        case refused(limit: Int, warn: Bool)
    }

    enum Release: Hashable, Sendable {
        case quiet
        /// The episode is over: `refused` connections were turned away during it.
        case backUnder(open: Int, limit: Int, refused: Int)
    }

    /// The effective cap (at least 1); set once at start, after `DescriptorBudget` clamped it.
    var limit: Int {
        didSet { limit = max(1, limit) }
    }
    private(set) var open = 0
    /// Connections refused in the current episode; nil while the server is not refusing.
    private(set) var refusedInEpisode: Int?

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// How far below the cap the open count must fall to end an episode.
    var hysteresis: Int { max(1, limit / 10) }

    mutating func admit() -> Admission {
        if open < limit {
            open += 1
            return .admitted
        }
        if let refused = refusedInEpisode {
            refusedInEpisode = refused + 1
            return .refused(limit: limit, warn: false)
        }
        refusedInEpisode = 1
        return .refused(limit: limit, warn: true)
    }

    mutating func release() -> Release {
        guard open > 0 else {
            assertionFailure("a connection was released that was never admitted")
            return .quiet
        }
        open -= 1
        guard let refused = refusedInEpisode, open <= limit - hysteresis else { return .quiet }
        refusedInEpisode = nil
        return .backUnder(open: open, limit: limit, refused: refused)
    }
}
