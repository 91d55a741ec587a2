public import ElectionModel
import MesosLayout

/// The moments an operator can attach a shell command to (`herald_on_elected`,
/// `herald_on_demoted`, `herald_on_leader_change`).
///
/// The raw value is what a hook sees in `HERALD_EVENT` and what the log names it by, so it is
/// spelled like the configuration key it comes from.
public enum Hook: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// One of this process' contenders became the leader.
    case elected
    /// One of this process' contenders stopped leading.
    case demoted
    /// The announced leader changed: another node, or none.
    case leaderChange = "leader_change"

    public var description: String { rawValue }

    /// The hook an election event fires, or nil for events no hook is attached to (view changes,
    /// quorum transitions: those are visible through the socket and the metrics instead).
    public init?(_ event: ElectionEvent) {
        switch event {
        case .elected: self = .elected
        case .demoted: self = .demoted
        case .leaderChanged: self = .leaderChange
        case .viewChanged, .quorumLost, .quorumRegained: return nil
        }
    }

    /// What this process is in the election, as the socket snapshot's `self.role` spells it.
    public enum Role: String, Hashable, Sendable {
        case leader
        case candidate
        case observer
    }

    /// The variables a hook is given on top of what it inherits of Herald's environment.
    ///
    /// A hook is typically a one-line shell command (reload a proxy, move a VIP, page someone), so
    /// everything it might need is spelled out as plain text rather than left for it to query:
    ///
    /// | name | value |
    /// |---|---|
    /// | `HERALD_EVENT` | `elected`, `demoted` or `leader_change` |
    /// | `HERALD_STATE` | the view's state: `elected`, `no_quorum`, `no_leader`, `disconnected` |
    /// | `HERALD_ROLE` | `leader`, `candidate` or `observer` |
    /// | `HERALD_LEADER` | the leader's `ip:port` (what `mesos-resolve` prints), empty without one |
    /// | `HERALD_LEADER_HOSTNAME` | the leader's host name, empty when unknown |
    /// | `HERALD_LEADER_NODE` | the leader's znode path, e.g. `/mesos/json.info_0000000042` |
    /// | `HERALD_EPOCH` | the fencing epoch (decimal) of the term the event is about (see `epoch`), or empty |
    /// | `HERALD_PREVIOUS_LEADER` | `leader_change` only: the former leader's `ip:port`, or empty |
    /// | `HERALD_REASON` | `demoted` only: why, e.g. `disconnected`, `not_lowest` |
    ///
    /// Every name is always present (empty when it does not apply), so a hook written with
    /// `set -u` does not fail on the one event that lacks a value.
    ///
    /// What a hook never gets, whatever Herald's own environment holds (it is a separate program
    /// whose output is logged and which may hand its environment on):
    ///
    /// | inherited name | why |
    /// |---|---|
    /// | any `HERALD_…` | Herald's configuration, e.g. `HERALD_HERALD_ZK_SECRET`; the names above are set afresh |
    /// | containing `SECRET`, `PASSWORD`, `CREDENTIAL` or `TOKEN` (any case) | Herald's credentials stay with Herald |
    ///
    /// A hook that needs a credential reads it from a file of its own.
    ///
    /// - Parameters:
    ///   - event: The event that fires the hook. For `.elected`, the epoch and node come from the
    ///     event itself (the view may lag by one change); otherwise from `view`.
    ///   - view: The view after the event: `HERALD_STATE` and the leader's fields come from it.
    ///   - role: This process' role after the event.
    ///   - epoch: When given, `HERALD_EPOCH`: the epoch of the term the event is about. A
    ///     `demoted` is about the term that ended, whose epoch the view after the change no
    ///     longer shows. Without it: the event's for `elected`, else the leader's in `view` (for
    ///     `leader_change`, the new leader's), empty without a leader.
    public static func environment(
        for event: ElectionEvent, view: ElectionView, role: Role, epoch givenEpoch: Int64? = nil
    ) -> [String: String] {
        var leader = view.leader
        var environment: [String: String] = [
            "HERALD_EVENT": Hook(event)?.rawValue ?? "",
            "HERALD_STATE": view.state.rawValue,
            "HERALD_ROLE": role.rawValue,
            "HERALD_PREVIOUS_LEADER": "",
            "HERALD_REASON": "",
        ]
        var node = leader?.path ?? ""
        var epoch = leader.map { String($0.epoch) } ?? ""
        switch event {
        case .elected(_, let electedNode, let electedEpoch):
            // The listener gets `elected` after the view of the same change, so the view normally
            // holds the node; if it lags, say what the event knows rather than another leader.
            leader = view.candidates.first { $0.node == electedNode }
            node = leader?.path ?? electedNode
            epoch = String(electedEpoch)
        case .demoted(_, let reason):
            environment["HERALD_REASON"] = reason.name
        case .leaderChanged(let from, let to):
            leader = to
            node = to?.path ?? ""
            epoch = to.map { String($0.epoch) } ?? ""
            environment["HERALD_PREVIOUS_LEADER"] = from.map(address) ?? ""
        case .viewChanged, .quorumLost, .quorumRegained:
            break
        }
        environment["HERALD_LEADER"] = leader.map(address) ?? ""
        environment["HERALD_LEADER_HOSTNAME"] = leader.flatMap { $0.info.address?.hostname ?? $0.info.hostname } ?? ""
        environment["HERALD_LEADER_NODE"] = node
        environment["HERALD_EPOCH"] = givenEpoch.map { String($0) } ?? epoch
        return environment
    }

    /// `ip:port` as `mesos-resolve` prints it: from the libprocess pid when there is one (that is
    /// what agents connect to), else from the packed address fields.
    static func address(of candidate: Candidate) -> String {
        candidate.info.pidAddress ?? "\(candidate.info.ipv4):\(candidate.info.port)"
    }
}

extension ContenderState.Reason {
    /// Snake case, like every other value Herald shows to scripts and scrapers (`HERALD_REASON`,
    /// the `reason` label of `herald_elections_lost_total`).
    var name: String {
        switch self {
        case .disconnected: "disconnected"
        case .sessionExpired: "session_expired"
        case .readOnly: "read_only"
        case .notLowest: "not_lowest"
        case .noQuorum: "no_quorum"
        case .nodeLost: "node_lost"
        case .abdicated: "abdicated"
        case .leaseExpired: "lease_expired"
        }
    }
}
