import Election
public import ElectionModel
public import Metrics
import NIOConcurrencyHelpers

/// Herald's metrics, made through swift-metrics so that `main` decides the backend (it bootstraps
/// a `PrometheusMetricsFactory` and `MetricsServer` serves its registry).
///
/// Every metric is created here, up front, with the factory given to `init` rather than the
/// global one: tests and tools pass a factory over a private registry and never touch process
/// state, and every series exists (at 0) from the first scrape, so `rate()` and alerts on
/// absence behave from the start.
///
/// | name | type | meaning |
/// |---|---|---|
/// | `herald_zookeeper_session_state{state}` | gauge | 1 for the session's current state, 0 for the others; `state` is one of `connecting`, `connected`, `read_only`, `expired`, `closed` |
/// | `herald_leader_epoch` | gauge | the announced leader's fencing epoch, 0 without a leader (exact up to 2^53) |
/// | `herald_is_leader` | gauge | 1 while one of this process' contenders leads |
/// | `herald_quorum_required` | gauge | `herald_quorum` |
/// | `herald_quorum_present` | gauge | valid candidates in the group |
/// | `herald_socket_connections` | gauge | clients connected to the local socket |
/// | `herald_elections_won_total` | counter | times a contender of this process was elected |
/// | `herald_elections_lost_total{reason}` | counter | demotions, by `ContenderState.Reason` in snake case |
/// | `herald_leader_changes_total` | counter | changes of the announced leader, to another node or to none |
/// | `herald_published_revisions_total` | counter | snapshots published to local consumers |
/// | `herald_zookeeper_request_duration_seconds{operation}` | histogram | ZooKeeper request latency |
///
/// The service forwards every `ElectionEvent` to `observe(_:)`; the rest is fed by the parts that
/// know (the socket server, the ZooKeeper client's callers).
public final class HeraldMetrics: Sendable {
    public static let requestDurationLabel = "herald_zookeeper_request_duration_seconds"

    /// The `# HELP` text of every metric, by name (`HeraldMetricsFactory` applies them).
    public static let help: [String: String] = [
        "herald_zookeeper_session_state":
            "1 for the ZooKeeper session's current state (connecting, connected, read_only, expired, closed), 0 for the others.",
        "herald_leader_epoch": "Fencing epoch (czxid of the node) of the announced leader; 0 without a leader.",
        "herald_is_leader": "1 while a contender of this process leads, else 0.",
        "herald_quorum_required": "Valid candidates required before a leader is announced (herald_quorum).",
        "herald_quorum_present": "Valid candidate nodes in the election group.",
        "herald_socket_connections": "Clients connected to the local socket.",
        "herald_elections_won_total": "Times a contender of this process was elected.",
        "herald_elections_lost_total": "Times a contender of this process stopped leading, by reason.",
        "herald_leader_changes_total": "Changes of the announced leader, to another node or to none.",
        "herald_published_revisions_total": "Snapshots published to local consumers.",
        requestDurationLabel: "Latency of ZooKeeper requests, by operation.",
        "herald_component_failures_total": "Failures of a retried component (follower directory, metrics listener).",
        "herald_component_failing": "1 while a retried component is failing, else 0.",
    ]

    /// Buckets for ZooKeeper request latency: a healthy ensemble answers in about a millisecond
    /// on a LAN, while a struggling one takes up to the session timeout (10 s by default).
    public static let requestDurationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private let factory: any MetricsFactory
    private let sessionState: [ConnectionInfo.State: Gauge]
    private let leaderEpoch: Gauge
    private let isLeader: Gauge
    private let quorumRequired: Gauge
    private let quorumPresent: Gauge
    private let socketConnections: Gauge
    private let electionsWon: Counter
    private let electionsLost: [ContenderState.Reason: Counter]
    private let leaderChanges: Counter
    private let publishedRevisions: Counter
    /// Request timers by operation, made on first use (the operations are the client's to name).
    private let requestTimers = NIOLockedValueBox<[String: Metrics.Timer]>([:])
    /// This process' contenders that lead now: `herald_is_leader` is 1 while any does.
    private let leading = NIOLockedValueBox<Set<ContenderID>>([])

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        let states: [ConnectionInfo.State] = [.connecting, .connected, .readOnly, .expired, .closed]
        sessionState = Dictionary(
            uniqueKeysWithValues: states.map { state in
                let gauge = Gauge(
                    label: "herald_zookeeper_session_state", dimensions: [("state", state.rawValue)], factory: factory)
                gauge.record(state == .connecting ? 1 : 0)
                return (state, gauge)
            })
        func gauge(_ label: String) -> Gauge {
            let gauge = Gauge(label: label, factory: factory)
            gauge.record(0)
            return gauge
        }
        leaderEpoch = gauge("herald_leader_epoch")
        isLeader = gauge("herald_is_leader")
        quorumRequired = gauge("herald_quorum_required")
        quorumPresent = gauge("herald_quorum_present")
        socketConnections = gauge("herald_socket_connections")
        electionsWon = Counter(label: "herald_elections_won_total", factory: factory)
        let reasons: [ContenderState.Reason] = [
            .disconnected, .sessionExpired, .readOnly, .notLowest, .noQuorum, .nodeLost, .abdicated,
        ]
        electionsLost = Dictionary(
            uniqueKeysWithValues: reasons.map { reason in
                let counter = Counter(
                    label: "herald_elections_lost_total", dimensions: [("reason", reason.name)], factory: factory)
                return (reason, counter)
            })
        leaderChanges = Counter(label: "herald_leader_changes_total", factory: factory)
        publishedRevisions = Counter(label: "herald_published_revisions_total", factory: factory)
    }

    /// Updates the metrics an election event changes. Forward every event, in order.
    public func observe(_ event: ElectionEvent) {
        switch event {
        case .viewChanged(let view):
            update(from: view)
        case .leaderChanged:
            leaderChanges.increment()
        case .quorumLost, .quorumRegained:
            // The view that comes with the change carries the counts.
            break
        case .elected(let contender, _, _):
            electionsWon.increment()
            setLeading(contender, true)
        case .demoted(let contender, let reason):
            electionsLost[reason]?.increment()
            setLeading(contender, false)
        }
    }

    /// Sets the gauges a view determines: session state, epoch and quorum.
    public func update(from view: ElectionView) {
        for (state, gauge) in sessionState { gauge.record(state == view.connection.state ? 1 : 0) }
        // A Double holds the epoch exactly up to 2^53: ZooKeeper epoch (high 32 bits of the zxid)
        // below 2^21, which no ensemble reaches by leader changes.
        leaderEpoch.record(Double(view.leader?.epoch ?? 0))
        quorumRequired.record(view.required)
        quorumPresent.record(view.present)
    }

    /// The number of clients on the local socket, as the socket server counts them.
    public func setSocketConnections(_ count: Int) {
        socketConnections.record(count)
    }

    /// One snapshot was published to local consumers.
    public func publishedRevision() {
        publishedRevisions.increment()
    }

    /// One ZooKeeper request of `operation` (e.g. `get_children`, `create`) took `duration`.
    public func recordZooKeeperRequest(operation: String, duration: Duration) {
        let timer = requestTimers.withLockedValue { timers in
            if let timer = timers[operation] { return timer }
            let timer = Metrics.Timer(
                label: Self.requestDurationLabel, dimensions: [("operation", operation)], factory: factory)
            timers[operation] = timer
            return timer
        }
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    private func setLeading(_ contender: ContenderID, _ leads: Bool) {
        // Recorded under the lock, so that racing events cannot leave the gauge on an older value.
        leading.withLockedValue { leading in
            if leads { leading.insert(contender) } else { leading.remove(contender) }
            isLeader.record(leading.isEmpty ? 0 : 1)
        }
    }
}
