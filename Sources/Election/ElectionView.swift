public import MesosLayout

/// A valid candidate of the election group: a `json.info_` node whose data is a MasterInfo.
public struct Candidate: Hashable, Sendable {
    /// The child's name, e.g. `json.info_0000000042`.
    public var node: String
    /// The full path, e.g. `/mesos/json.info_0000000042`.
    public var path: String
    public var sequence: Int32
    /// The node's czxid: the fencing epoch while it leads. Monotonic: a node created later has a
    /// larger one.
    public var epoch: Int64
    /// The session that owns the node.
    public var ephemeralOwner: Int64
    public var info: MasterInfo

    public init(node: String, path: String, sequence: Int32, epoch: Int64, ephemeralOwner: Int64, info: MasterInfo) {
        self.node = node
        self.path = path
        self.sequence = sequence
        self.epoch = epoch
        self.ephemeralOwner = ephemeralOwner
        self.info = info
    }
}

/// A numbered child of the base path that is not a valid candidate: skipped for the decision,
/// reported, never deleted (it may belong to someone else).
public struct InvalidMember: Hashable, Sendable, CustomStringConvertible {
    public var node: String
    public var reason: String

    public init(node: String, reason: String) {
        self.node = node
        self.reason = reason
    }

    public var description: String { "\(node): \(reason)" }
}

/// The session as the view's reader sees it.
public struct ConnectionInfo: Hashable, Sendable {
    public enum State: String, Hashable, Sendable {
        case connecting
        case connected
        case readOnly = "read_only"
        case expired
        case closed
    }

    public var state: State
    /// The server of the current (or last) connection, `host:port`.
    public var server: String?
    /// The negotiated session timeout (the configured one before the first connection).
    public var sessionTimeout: Duration
    public var sessionID: Int64?

    public init(state: State, server: String? = nil, sessionTimeout: Duration, sessionID: Int64? = nil) {
        self.state = state
        self.server = server
        self.sessionTimeout = sessionTimeout
        self.sessionID = sessionID
    }
}

/// What is true about the election, as one process sees it: the value that Discovery publishes.
public struct ElectionView: Hashable, Sendable {
    public enum State: String, Hashable, Sendable {
        /// A leader is announced.
        case elected
        /// Fewer valid candidates than required: no leader is announced.
        case noQuorum = "no_quorum"
        /// No candidate (or the group could not be read yet).
        case noLeader = "no_leader"
        /// The session is not connected; `leader` is the last one, flagged `stale`, until a session
        /// timeout has passed.
        case disconnected
    }

    public var state: State
    public var leader: Candidate?
    /// True while `leader` is the last one seen before the connection was lost.
    public var stale: Bool
    /// Valid candidates, by sequence.
    public var candidates: [Candidate]
    /// Numbered children skipped for the decision, with why.
    public var invalid: [InvalidMember]
    /// Children that would break real Mesos masters and agents (see `GroupListing.hazards`).
    public var hazards: [MesosHazard]
    /// `required` of DESIGN.md (`herald_quorum`).
    public var required: Int
    public var connection: ConnectionInfo
    /// The send time of the request whose reply came last: what the view is known to hold at.
    /// Every claim it makes lapses by the lease rule (`shown(at:ownID:leading:)`).
    public var contact: ContinuousClock.Instant?

    /// `present` of DESIGN.md: the valid candidates.
    public var present: Int { candidates.count }

    public init(
        state: State, leader: Candidate? = nil, stale: Bool = false, candidates: [Candidate] = [],
        invalid: [InvalidMember] = [], hazards: [MesosHazard] = [], required: Int, connection: ConnectionInfo,
        contact: ContinuousClock.Instant? = nil
    ) {
        self.contact = contact
        self.state = state
        self.leader = leader
        self.stale = stale
        self.candidates = candidates
        self.invalid = invalid
        self.hazards = hazards
        self.required = required
        self.connection = connection
    }

    /// The view before anything was read.
    public static func initial(required: Int, sessionTimeout: Duration) -> ElectionView {
        ElectionView(
            state: .disconnected, required: required,
            connection: ConnectionInfo(state: .connecting, sessionTimeout: sessionTimeout))
    }
}
