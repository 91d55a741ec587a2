#if canImport(Glibc)
    import Glibc
#endif

/// The socket server's share of the process' file descriptors.
///
/// Every local connection costs one descriptor. If they could take them all, Herald could no
/// longer open a ZooKeeper socket, spawn a hook or accept on the metrics listener; so at start the
/// server raises the soft `RLIMIT_NOFILE` to the hard one and keeps `reserved` descriptors out of
/// its cap.
enum DescriptorBudget {
    /// Descriptors kept free for everything but local connections.
    static let reserved = 256

    /// The process' `RLIMIT_NOFILE` after `raiseSoftLimit()`.
    struct Limits: Hashable, Sendable {
        /// The soft limit in force (what `open`/`accept` are held to).
        var soft: Int
        var hard: Int
        /// The soft limit before, when it was raised.
        var raisedFrom: Int?
    }

    /// The cap the server enforces: `maximumConnections`, lowered so that `reserved` descriptors
    /// stay below `softLimit`, and never below 1 (a server that refuses everyone is of no use; on a
    /// process that tight, one connection is the least bad choice).
    static func connectionCap(maximumConnections: Int, softLimit: Int) -> Int {
        max(1, min(maximumConnections, softLimit - reserved))
    }

    /// Raises the soft descriptor limit to the hard one when it is lower. Process-wide and
    /// idempotent. When the hard limit is unlimited or the kernel refuses it (above
    /// `fs.nr_open`), the soft limit stays as it was. Nil when the limits cannot be read.
    static func raiseSoftLimit() -> Limits? {
        let resource = Int32(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        let before = Int(clamping: limit.rlim_cur)
        var result = Limits(soft: before, hard: Int(clamping: limit.rlim_max))
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 {
                result.soft = Int(clamping: raised.rlim_cur)
                result.raisedFrom = before
            }
        }
        return result
    }
}
