public import MesosLayout

/// What is true about the election, as one process sees it: the end of the flow (listing →
/// `GroupMembers` → `MemberRanking` → decided by `ObserverState` → this), the value that
/// Discovery publishes.
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
