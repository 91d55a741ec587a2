/// The contender's state machine: a value type whose transitions are pure, so that every
/// (state, event) pair can be tested without ZooKeeper. The election driver (`ElectionDriver`,
/// in the `Election` module) feeds it session events, fresh rankings of the group and the results
/// of its own requests, and carries out the actions it returns, outside any lock.
///
/// The rules are DESIGN.md's: a contender leads only while its own node is the lowest valid
/// member, is owned by its current session, the session is connected to a quorum-serving server
/// (not read-only), and `present >= required`. It steps down at the first disconnect, resumes
/// only on a fresh ranking after reconnecting, and treats expiry as terminal for the session.
public struct ContenderState: Hashable, Sendable {
    /// This contender's candidate node.
    public struct OwnNode: Hashable, Sendable {
        public var name: String
        public var sequence: Int32
        /// The node's czxid: the fencing epoch when it leads.
        public var czxid: Int64
        /// The session that created it (its ephemeralOwner).
        public var session: Int64

        public init(name: String, sequence: Int32, czxid: Int64, session: Int64) {
            self.name = name
            self.sequence = sequence
            self.czxid = czxid
            self.session = session
        }
    }

    public enum Phase: Hashable, Sendable {
        /// Not contending (before `start`, or after abdicating).
        case idle
        /// Waiting for a connected session to create the candidate node in.
        case waitingForSession
        /// The candidate node is being created.
        case joining
        /// Own node exists; not the leader.
        case candidate(OwnNode)
        /// Own node exists and leads with this epoch.
        case leader(OwnNode, epoch: Int64)
        /// Disconnected (or read-only): stepped down; the node lives on if the session survives.
        case suspended(OwnNode)
        /// The session expired: everything tied to it is void until a new session.
        case expired
    }

    public enum Session: Hashable, Sendable {
        case connected(id: Int64)
        case readOnly(id: Int64)
        case disconnected
        case expired
    }

    public enum Event: Hashable, Sendable {
        case start
        case session(Session)
        /// A fresh read of the group, ranked, taken while connected.
        case ranking(MemberRanking)
        /// The create of the candidate node succeeded.
        case created(OwnNode)
        /// The create failed (connection loss, …): try again when connected.
        case createFailed
        case abdicate
    }

    public enum Action: Hashable, Sendable {
        /// Create (or find, by the session marker) the candidate node.
        case createCandidate
        /// Delete this node (own node on abdication, or a stray from an older session).
        case delete(String)
        case elected(epoch: Int64)
        case demoted(Reason)
    }

    public enum Reason: Hashable, Sendable {
        case disconnected
        case sessionExpired
        case readOnly
        case notLowest
        case noQuorum
        case nodeLost
        case abdicated
        /// No reply from ZooKeeper for most of a session timeout (the process was paused, or
        /// the network is silent): the session may be expiring, so the leader stops at once.
        case leaseExpired
    }

    public package(set) var phase: Phase = .idle
    public package(set) var session: Session = .disconnected
    /// The last ranking read while connected; cleared on disconnect so that nothing is decided on
    /// a read older than the current connection.
    public package(set) var ranking: MemberRanking?
    public let required: Int

    public init(required: Int) {
        self.required = max(required, 1)
    }
}
