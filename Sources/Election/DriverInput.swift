import ElectionModel
import MesosLayout
import NIOConcurrencyHelpers
import ZooKeeper

/// The children watch of the last read the loop processed; read on the completion thread.
final class WatchBox: Sendable {
    private let watch = NIOLockedValueBox<Watch?>(nil)

    var current: Watch? {
        get { watch.withLockedValue { $0 } }
        set { watch.withLockedValue { $0 = newValue } }
    }

    /// Whether nothing changed among the children since the last read: its watch has not fired.
    var intact: Bool { current.map { !$0.hasFired } ?? false }
}

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

/// A read of the base path: the listing, and the gets of members not known yet.
struct ReadResult: Sendable {
    var children: [String]
    var pzxid: Int64
    /// Gets of the numbered children that were not in the cache (vanished ones are absent).
    var fetched: [String: GroupMembers.Entry]
    /// The watch left by this read (children, or existence of a missing base path).
    var watch: Watch?
    /// When the listing was sent: the server heard from the session after this.
    var sentAt: ContinuousClock.Instant

    init(
        children: [String], pzxid: Int64, fetched: [String: GroupMembers.Entry], watch: Watch? = nil,
        sentAt: ContinuousClock.Instant
    ) {
        self.children = children
        self.pzxid = pzxid
        self.fetched = fetched
        self.watch = watch
        self.sentAt = sentAt
    }
}

/// What a contender's create needs; `findFirst` after an ambiguous failure in this session.
struct CreateRequest: Sendable {
    var basePath: String
    var data: [UInt8]
    var acl: [ACL]
    var marker: String
    var sessionID: Int64
    var findFirst: Bool
    /// MasterInfo ids of members already read, to skip their gets.
    var knownIDs: [String: String]
}
