import ElectionModel
import MesosLayout
import ZooKeeper

/// What the driver consumes, in order: its own requests' results, session and watch events
/// (both handed on from the C client's completion thread, so they keep the server's order),
/// timers and calls.
enum DriverInput: Sendable {
    /// The client of this generation exists; its session events follow (any that came first
    /// were kept).
    case sessionOpened(generation: Int)
    case sessionOpenFailed(generation: Int, error: String)
    case session(SessionEvent, generation: Int)
    case authenticated(generation: Int, error: ZooKeeperError?)
    case readDone(generation: Int, ReadResult)
    case readFailed(generation: Int, ZooKeeperError)
    case retryRead(generation: Int)
    case watchFired(generation: Int)
    case sessionTimer(generation: Int, disconnect: Int)
    case created(ContenderID, generation: Int, name: String, stat: Stat)
    case createFailed(ContenderID, generation: Int, error: ZooKeeperError)
    case retryCreate(ContenderID, generation: Int)
    case deleted(path: String, generation: Int, error: ZooKeeperError?)
    case contend(ContenderID, MasterInfo)
    /// Stop contending; a leader's node is deleted only once `gate` (if any) has returned.
    case abdicate(ContenderID, CheckedContinuation<Void, Never>, gate: ElectionGroup.AbdicationGate?)
    case setServers(String)
    /// Time for the next heartbeat.
    case heartbeatDue(generation: Int)
    /// A heartbeat sent at `sentAt` got a reply; `childrenIntact` when the children watch had
    /// not fired by then (so the last read still held when the server answered).
    case heartbeatDone(generation: Int, sentAt: ContinuousClock.Instant, childrenIntact: Bool)
    case heartbeatFailed(generation: Int)
    /// The node just below one of this process' contenders was deleted; `exact` when the children
    /// watch had not fired before (the last read is then exact but for this node).
    case predecessorGone(generation: Int, name: String, exact: Bool)
    case leaseCheck(generation: Int)
    /// A liveness probe (`ElectionGroup.isResponsive(within:)`): changes nothing, but the loop
    /// counts a turn for it.
    case probe
}
