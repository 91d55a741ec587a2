extension ElectionGroup {
    /// Counters for benchmarks and status: every request the group sent, every watch event.
    public struct Statistics: Hashable, Sendable {
        public var requests = 0
        public var watchEvents = 0
        public var reads = 0
        public var sessions = 0
        /// Lease heartbeats (not in `requests`): one per quarter of a session timeout while connected.
        public var heartbeats = 0
        /// Elections refused because the lease or the read behind them was too old (a process
        /// resumed after a freeze, deciding on events buffered meanwhile).
        public var staleElections = 0
        /// Elections decided on the predecessor's deletion event, before the read that confirms.
        public var earlyElections = 0
        /// Exists watches set on the node just below a contender.
        public var predecessorWatches = 0

        public init() {}
    }
}
