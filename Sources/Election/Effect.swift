import ElectionModel
import ZooKeeper

/// One ZooKeeper request (or wait) the driver asked for; runs as a child task of `run()` and
/// posts its outcome back to the loop. Never decides anything. Sessions are named by generation;
/// the run loop's `SessionTable` holds their clients.
enum Effect: Sendable {
    /// Opens the session of `generation` (off the cooperative pool) after `after`.
    case openSession(generation: Int, after: Duration)
    case authenticate(generation: Int, credential: [UInt8])
    case read(generation: Int, basePath: String, watch: Bool, known: Set<String>)
    case awaitWatch(Watch, generation: Int)
    case retryRead(generation: Int, after: Duration)
    case sessionTimer(Duration, generation: Int, disconnect: Int)
    case create(ContenderID, generation: Int, CreateRequest)
    case retryCreate(ContenderID, generation: Int, after: Duration)
    /// Deletes `path` once `gate` (if any) has returned.
    case delete(generation: Int, path: String, gate: ElectionGroup.AbdicationGate?)
    case close(generation: Int)
    case setServers(generation: Int, servers: String)
    case resume(CheckedContinuation<Void, Never>)
    /// Waits `after`, then asks for the next heartbeat.
    case heartbeatTimer(generation: Int, after: Duration)
    /// A cheap request that proves the session alive (renews the lease); `children` tells
    /// whether the last read still held when the reply came.
    case heartbeat(generation: Int, path: String, children: WatchBox)
    case leaseTimer(generation: Int, at: ContinuousClock.Instant)
    /// An exists watch on the node just below a contender, compared against the children watch.
    case watchPredecessor(generation: Int, path: String, name: String, children: WatchBox)

    typealias Count = @Sendable ((inout ElectionGroup.Statistics) -> Void) -> Void

    /// What the effect is, for logs and tests.
    var name: String {
        switch self {
        case .openSession: "openSession"
        case .authenticate: "authenticate"
        case .read: "read"
        case .awaitWatch: "awaitWatch"
        case .retryRead: "retryRead"
        case .sessionTimer: "sessionTimer"
        case .create: "create"
        case .retryCreate: "retryCreate"
        case .delete: "delete"
        case .close: "close"
        case .setServers: "setServers"
        case .resume: "resume"
        case .heartbeatTimer: "heartbeatTimer"
        case .heartbeat: "heartbeat"
        case .leaseTimer: "leaseTimer"
        case .watchPredecessor: "watchPredecessor"
        }
    }
}
