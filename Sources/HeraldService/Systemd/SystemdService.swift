public import Discovery
public import Election
public import Logging
public import ServiceLifecycle

/// `herald serve`'s side of `Type=notify`, run in the service group (only under systemd):
///
/// - `READY=1` once the local socket answers a `get` and the snapshot it serves comes from
///   ZooKeeper (a state other than `disconnected`), so that a unit ordered `After=herald.service`
///   finds the leader published. If ZooKeeper stays unreachable for a whole session timeout,
///   READY=1 is sent anyway with a STATUS saying so: Herald serves `disconnected` then, as
///   designed, and must not be killed by `TimeoutStartSec=` for an outage of the ensemble.
/// - `STATUS=` whenever the state, the leader or this host's role changes.
/// - `WATCHDOG=1` every half `WatchdogSec=`, but only while the socket answers and the election
///   loop takes a probe (`ElectionGroup.isResponsive(within:)`): a wedged process misses its
///   pings and systemd restarts it. A ZooKeeper outage is not a wedge: the loop still turns.
/// - `STOPPING=1` comes from `SystemdNotifier.stopping()`, called when the shutdown begins.
public struct SystemdService: Service {
    let notifier: SystemdNotifier
    let client: DiscoveryClient
    let election: ElectionGroup
    let sessionTimeout: Duration
    let logger: Logger

    public init(
        notifier: SystemdNotifier, socketPath: String, election: ElectionGroup, sessionTimeout: Duration,
        logger: Logger
    ) {
        self.notifier = notifier
        client = DiscoveryClient(socketPath: socketPath, timeout: .seconds(2))
        self.election = election
        self.sessionTimeout = sessionTimeout
        self.logger = logger
    }

    /// Ends at graceful shutdown (its sleeps are cancelled: not an error).
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await notifyUntilStopped() }
        } catch is CancellationError {
            return
        }
    }

    private func notifyUntilStopped() async throws {
        var status = try await waitUntilReady()
        // Half the ping interval at most, so a ping comes every interval give or take half a tick.
        let tick = min((notifier.watchdogInterval ?? .seconds(2)) / 2, .seconds(1))
        var lastPing = ContinuousClock.now
        while !notifier.isStopping {
            try await Task.sleep(for: tick)
            guard !notifier.isStopping else { break }
            let snapshot = try? await client.current()
            if let snapshot, Self.status(snapshot) != status {
                status = Self.status(snapshot)
                notifier.send("STATUS=" + status)
            }
            guard let interval = notifier.watchdogInterval, ContinuousClock.now - lastPing >= interval - tick / 2
            else { continue }
            guard snapshot != nil else {
                logger.warning("the local socket does not answer: no watchdog ping")
                continue
            }
            guard await election.isResponsive(within: tick) else {
                logger.warning("the election loop does not answer: no watchdog ping")
                continue
            }
            if !notifier.isStopping, notifier.send("WATCHDOG=1") { lastPing = .now }
        }
    }

    /// Polls the socket until it serves a snapshot from ZooKeeper (or a session timeout has
    /// passed without one), sends READY=1 with the first STATUS, and returns that status.
    private func waitUntilReady() async throws -> String {
        let start = ContinuousClock.now
        while true {
            if let snapshot = try? await client.current() {
                if snapshot.state != .disconnected || ContinuousClock.now - start >= sessionTimeout {
                    var status = Self.status(snapshot)
                    if snapshot.state == .disconnected { status += " (ready without ZooKeeper: still trying)" }
                    notifier.send("READY=1\nSTATUS=" + status)
                    return status
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// One line: the state, the leader, and this host's role.
    static func status(_ snapshot: Snapshot) -> String {
        let leader =
            snapshot.leader.map { "leader \($0.hostname ?? $0.ip) \($0.hostPort) epoch \($0.epoch)" } ?? "no leader"
        return
            "\(snapshot.state.rawValue); \(leader); quorum \(snapshot.quorum.present)/\(snapshot.quorum.required); "
            + "this host \(snapshot.publisher.role.rawValue)"
    }
}
