/// The observer's state machine: turns session changes and reads of the group into the
/// `ElectionView` that is published. A value type; the driver feeds it and publishes what it
/// returns.
///
/// The rules (DESIGN.md, MESOS-WIRE.md "Sessions"):
/// - the leader is the lowest valid candidate, announced only while `present >= required`;
/// - a lost connection keeps the last leader, flagged `stale`, until the session expires or a
///   session timeout passes without reconnecting (`expired`), then there is no leader;
/// - after reconnecting nothing is decided until a fresh read;
/// - fencing: a leader whose epoch is below one already announced is never announced (a new
///   session may land on a server that lags behind); the view says `no_leader` until the group
///   moves past it.
public struct ObserverState: Hashable, Sendable {
    public enum Event: Hashable, Sendable {
        case connected(server: String?, sessionTimeout: Duration, sessionID: Int64)
        /// The connection was lost; the session may live on.
        case disconnected
        /// The session expired, or a session timeout passed without reconnecting.
        case expired
        /// A fresh read of the group, taken on the current connection.
        case read(GroupMembers)
        /// The session was closed on purpose.
        case closed
        /// A reply came to a request sent at this instant: the server heard from the session then.
        case contact(ContinuousClock.Instant)
    }

    public private(set) var view: ElectionView
    /// The highest epoch ever announced.
    public private(set) var highestEpoch: Int64 = 0
    /// True between a (re)connection and the first read on it.
    public private(set) var awaitingRead = true

    public init(required: Int, sessionTimeout: Duration) {
        view = .initial(required: max(required, 1), sessionTimeout: sessionTimeout)
    }

    /// Applies `event`; returns the new view when it differs from the last one.
    public mutating func handle(_ event: Event) -> ElectionView? {
        let before = view
        switch event {
        case .connected(let server, let timeout, let id):
            view.connection = ConnectionInfo(
                state: .connected, server: server, sessionTimeout: timeout, sessionID: id)
            awaitingRead = true
        case .disconnected:
            view.connection.state = .connecting
            view.state = .disconnected
            view.stale = view.leader != nil
            awaitingRead = true
        case .expired, .closed:
            view.connection.state = event == .closed ? .closed : .expired
            view.connection.sessionID = nil
            view.contact = nil
            view.state = .disconnected
            view.leader = nil
            view.stale = false
            view.candidates = []
            view.invalid = []
            view.hazards = []
            awaitingRead = true
        case .contact(let instant):
            view.contact = instant
        case .read(let read):
            guard view.connection.state == .connected else { return nil }
            apply(read)
            awaitingRead = false
        }
        return view == before ? nil : view
    }

    private mutating func apply(_ read: GroupMembers) {
        view.candidates = read.candidates
        view.invalid = read.invalid
        view.hazards = read.hazards
        view.stale = false
        guard let lowest = read.candidates.first else {
            view.state = .noLeader
            view.leader = nil
            return
        }
        guard read.candidates.count >= view.required else {
            view.state = .noQuorum
            view.leader = nil
            return
        }
        guard lowest.epoch >= highestEpoch else {
            view.state = .noLeader
            view.leader = nil
            return
        }
        highestEpoch = lowest.epoch
        view.state = .elected
        view.leader = lowest
    }
}
