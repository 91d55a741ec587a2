public import Discovery
import Election
public import ElectionModel
import NIOConcurrencyHelpers

/// What `GET /health` and `GET /leader` on `herald_metrics_listen` answer, for load balancers
/// and supervisors.
///
/// Both go through the local socket, as a consumer would: `/health` pings it, `/leader` takes a
/// `get` and looks at `self.role`. So `/leader` applies the very lease rule the socket's
/// snapshots apply (`Snapshot(input:revision:now:)`), aged at the moment of the request: a host
/// past 80 % of its session timeout without a reply from ZooKeeper stops answering 200 at the
/// same instant its snapshots stop naming it leader. There is no second judgement to drift.
public final class HealthCheck: Sendable {
    /// One answer: 200 or 503, and one line saying why.
    public struct Verdict: Hashable, Sendable {
        public var healthy: Bool
        public var reason: String

        public init(healthy: Bool, reason: String) {
            self.healthy = healthy
            self.reason = reason
        }
    }

    private let client: DiscoveryClient
    private let state: NIOLockedValueBox<State>

    struct State {
        let started: ContinuousClock.Instant
        /// The last instant a session was known to be up: a contact, or a view while connected.
        var lastSession: ContinuousClock.Instant?
        /// The election's current view, once `follow(_:)` has named it.
        var view: (@Sendable () -> ElectionView)?
        /// The session timeout of the last view seen.
        var sessionTimeout: Duration
    }

    /// - Parameters:
    ///   - socketPath: `herald_socket`, which the checks query.
    ///   - timeout: how long the socket may take to answer before the check fails.
    ///   - sessionTimeout: the configured one, until a view tells the negotiated one.
    public init(socketPath: String, sessionTimeout: Duration, timeout: Duration = .seconds(2)) {
        client = DiscoveryClient(socketPath: socketPath, timeout: timeout)
        state = NIOLockedValueBox(State(started: .now, sessionTimeout: sessionTimeout))
    }

    /// Where to read the election's current view at each check (`ElectionGroup.view`).
    public func follow(_ view: @escaping @Sendable () -> ElectionView) {
        state.withLockedValue { $0.view = view }
    }

    /// Takes note of a view as the election publishes it, so that a session that came and went
    /// between two checks still counts.
    public func observe(_ view: ElectionView, at now: ContinuousClock.Instant = .now) {
        let shown = view.shown(at: now, ownID: nil, leading: false).view
        state.withLockedValue { $0.note(shown, at: now) }
    }

    /// 503 when the socket does not answer a ping, or when there has been no ZooKeeper session
    /// for longer than the session timeout (since start, if there never was one).
    public func health() async -> Verdict {
        do {
            try await client.ping()
        } catch {
            return Verdict(healthy: false, reason: "socket down: \(error)")
        }
        let now = ContinuousClock.now
        let source = state.withLockedValue { $0.view }
        // Aged as the socket ages it: a session silent for a whole timeout is not "connected".
        let view = source.map { $0().shown(at: now, ownID: nil, leading: false).view }
        let (since, never, timeout) = state.withLockedValue { state in
            if let view { state.note(view, at: now) }
            return (state.lastSession ?? state.started, state.lastSession == nil, state.sessionTimeout)
        }
        guard now - since <= timeout else {
            return Verdict(
                healthy: false,
                reason: "no ZooKeeper session for \(Self.seconds(now - since))\(never ? " since start" : ""), "
                    + "more than the session timeout (\(Self.seconds(timeout)))")
        }
        let zooKeeper = view.map { "zookeeper \($0.connection.state.rawValue), state \($0.state.rawValue)" }
        return Verdict(healthy: true, reason: "ok" + (zooKeeper.map { ": " + $0 } ?? ""))
    }

    /// 200 only while this host leads as its own socket's snapshot says right now.
    public func leader() async -> Verdict {
        let snapshot: Snapshot
        do {
            snapshot = try await client.current()
        } catch {
            return Verdict(healthy: false, reason: "socket down: \(error)")
        }
        let leader = snapshot.leader.map { "\($0.hostname ?? $0.ip) \($0.hostPort)" } ?? "none"
        guard snapshot.publisher.role == .leader else {
            return Verdict(
                healthy: false,
                reason: "not the leader: role \(snapshot.publisher.role.rawValue), state \(snapshot.state.rawValue), "
                    + "leader \(leader)")
        }
        return Verdict(healthy: true, reason: "leader: \(leader), epoch \(snapshot.leader?.epoch ?? 0)")
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = seconds * 10 + attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

extension HealthCheck.State {
    mutating func note(_ view: ElectionView, at now: ContinuousClock.Instant) {
        sessionTimeout = view.connection.sessionTimeout
        var seen = view.contact
        if view.connection.state == .connected || view.connection.state == .readOnly { seen = now }
        guard let seen else { return }
        if lastSession.map({ seen > $0 }) ?? true { lastSession = seen }
    }
}
