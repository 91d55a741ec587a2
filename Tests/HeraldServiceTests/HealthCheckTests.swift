import Discovery
import ElectionModel
import Foundation
import HeraldTestSupport
import Logging
import MesosLayout
import Prometheus
import Testing

@testable import HeraldService

/// `/health` and `/leader` over real loopback HTTP, answered from a real socket server: the
/// leader check applies the snapshots' own lease rule, and each 503 says why in one line.
@Suite("health checks", .timeLimit(.minutes(1)))
struct HealthCheckTests {
    /// A socket server publishing `make()`, a metrics server with a `HealthCheck` on it. The
    /// input is made again (its contact aged from now) for the check's view and just before
    /// `body`, so that the time the set-up takes does not count.
    func withChecks(
        socket existing: Bool = true, _ make: @escaping @Sendable () -> SnapshotInput,
        _ body: (Int) async throws -> Void
    ) async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("h.sock").path
            let logs = LogRecorder()
            let discovery = DiscoveryServer(
                configuration: .init(socketPath: path), initial: make(), logger: logs.logger())
            let health = HealthCheck(socketPath: path, sessionTimeout: Self.timeout, timeout: .seconds(5))
            health.follow { make().view }
            let metrics = MetricsServer(
                configuration: .init(host: "127.0.0.1", port: 0), registry: PrometheusCollectorRegistry(),
                health: health, logger: logs.logger())
            try await withThrowingTaskGroup(of: Void.self) { group in
                if existing {
                    group.addTask { try await discovery.run() }
                    try await discovery.waitUntilListening()
                }
                group.addTask { try await metrics.run() }
                let port = try await metrics.listeningPort()
                discovery.publish(make())
                try await body(port)
                metrics.shutdown()
                group.cancelAll()
                do { try await group.waitForAll() } catch is CancellationError {}
            }
        }
    }

    /// The session timeout of these views: long, so that a loaded machine's delays (seconds)
    /// cannot move a view from one side of the lease rule's lines (0.8 T, T) to the other.
    static let timeout = Duration.seconds(60)

    /// An elected view led by `first` whose last contact was `contactAge` before `now`.
    static func input(
        contactAge: Duration, role: Snapshot.Publisher.Role, ownID: String = Fixtures.first.info.id
    ) -> SnapshotInput {
        var view = Fixtures.electedView(leader: Fixtures.first)
        view.connection.sessionTimeout = Self.timeout
        view.contact = .now - contactAge
        return SnapshotInput(
            view: view, cluster: "mantl", publisher: .init(mode: .leader, role: role, hostname: "m1"),
            ownID: ownID)
    }

    @Test("the leader within its lease: /leader 200, /health 200")
    func leader() async throws {
        try await withChecks({ Self.input(contactAge: .seconds(1), role: .leader) }) { port in
            let leader = try await RawHTTPClient.get(port: port, "/leader")
            #expect(leader.status == 200)
            #expect(leader.body == "leader: m1 10.0.0.1:5050, epoch 4294967342\n")
            let health = try await RawHTTPClient.get(port: port, "/health")
            #expect(health.status == 200)
            #expect(health.body == "ok: zookeeper connected, state elected\n")
        }
    }

    @Test("past 80 % of the session timeout the same leader gets 503, as its snapshots drop it")
    func lapsedLease() async throws {
        try await withChecks({ Self.input(contactAge: .seconds(51), role: .leader) }) { port in
            let leader = try await RawHTTPClient.get(port: port, "/leader")
            #expect(leader.status == 503)
            #expect(leader.body == "not the leader: role candidate, state no_leader, leader none\n")
            #expect(try await RawHTTPClient.get(port: port, "/health").status == 200)
        }
    }

    @Test("another candidate: /leader 503 naming the leader")
    func candidate() async throws {
        try await withChecks({ Self.input(contactAge: .seconds(1), role: .candidate, ownID: Fixtures.second.info.id) })
        {
            port in
            let leader = try await RawHTTPClient.get(port: port, "/leader")
            #expect(leader.status == 503)
            #expect(leader.body.hasPrefix("not the leader: role candidate, state elected, leader m1 10.0.0.1:5050"))
        }
    }

    @Test("no ZooKeeper contact for longer than the session timeout: /health 503")
    func noSession() async throws {
        try await withChecks({ Self.input(contactAge: .seconds(75), role: .candidate) }) { port in
            let health = try await RawHTTPClient.get(port: port, "/health")
            #expect(health.status == 503)
            #expect(health.body.hasPrefix("no ZooKeeper session for 7"))
            #expect(health.body.hasSuffix("more than the session timeout (60.0 s)\n"))
        }
    }

    @Test("no socket: both 503 with the reason")
    func socketDown() async throws {
        try await withChecks(socket: false, { Self.input(contactAge: .seconds(1), role: .leader) }) { port in
            for path in ["/health", "/leader"] {
                let response = try await RawHTTPClient.get(port: port, path)
                #expect(response.status == 503)
                #expect(response.body.hasPrefix("socket down: "), "\(path): \(response.body)")
            }
        }
    }
}
