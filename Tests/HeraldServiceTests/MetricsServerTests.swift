import ElectionModel
import Foundation
import HeraldTestSupport
import Logging
import Metrics
import NIOCore
import Prometheus
import Testing

@testable import HeraldService

/// The metrics endpoint over real loopback connections, and the metrics it exposes.
@Suite("MetricsServer", .timeLimit(.minutes(1)))
struct MetricsServerTests {
    /// Runs a server on `127.0.0.1:0` beside `body`, then shuts it down gracefully.
    func withServer(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        idleTimeout: Duration = .seconds(60),
        _ body: (MetricsServer, Int, LogRecorder) async throws -> Void
    ) async throws {
        let logs = LogRecorder()
        let server = MetricsServer(
            configuration: .init(host: "127.0.0.1", port: 0, idleTimeout: idleTimeout), registry: registry,
            logger: logs.logger())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let port = try await server.listeningPort()
            try await body(server, port, logs)
            server.shutdown()
            try await group.waitForAll()
        }
    }

    @Test("GET /metrics serves the exposition of metrics fed from a view and events")
    func scrape() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = HeraldMetrics(factory: HeraldMetrics.prometheusFactory(registry: registry))
        let view = Fixtures.electedView(leader: Fixtures.first)
        metrics.observe(.viewChanged(view))
        metrics.observe(.leaderChanged(from: nil, to: Fixtures.first))
        metrics.observe(.elected(ContenderID(1), node: Fixtures.first.node, epoch: Fixtures.first.epoch))
        metrics.observe(.quorumRegained(present: 2, required: 2))
        metrics.setSocketConnections(3)
        metrics.publishedRevision()
        metrics.publishedRevision()
        metrics.recordZooKeeperRequest(operation: "get_children", duration: .milliseconds(3))
        metrics.recordZooKeeperRequest(operation: "get_children", duration: .milliseconds(30))

        try await withServer(registry: registry) { _, port, _ in
            let response = try await RawHTTPClient.get(port: port, "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let exposition = try Exposition(response.body)
            #expect(exposition.types["herald_is_leader"] == "gauge")
            #expect(exposition.types["herald_zookeeper_session_state"] == "gauge")
            #expect(exposition.types["herald_elections_won_total"] == "counter")
            #expect(exposition.types["herald_elections_lost_total"] == "counter")
            #expect(exposition.types["herald_zookeeper_request_duration_seconds"] == "histogram")
            #expect(exposition.values["herald_is_leader"] == 1)
            #expect(exposition.values["herald_leader_epoch"] == 4_294_967_342)
            #expect(exposition.values["herald_quorum_required"] == 2)
            #expect(exposition.values["herald_quorum_present"] == 2)
            #expect(exposition.values["herald_socket_connections"] == 3)
            #expect(exposition.values[#"herald_zookeeper_session_state{state="connected"}"#] == 1)
            #expect(exposition.values[#"herald_zookeeper_session_state{state="connecting"}"#] == 0)
            #expect(exposition.values["herald_elections_won_total"] == 1)
            #expect(exposition.values[#"herald_elections_lost_total{reason="not_lowest"}"#] == 0)
            #expect(exposition.values["herald_leader_changes_total"] == 1)
            #expect(exposition.values["herald_published_revisions_total"] == 2)
            let histogram = "herald_zookeeper_request_duration_seconds"
            #expect(exposition.values[#"\#(histogram)_count{operation="get_children"}"#] == 2)
            #expect(exposition.values[#"\#(histogram)_bucket{operation="get_children",le="0.005"}"#] == 1)
            let sum = try #require(exposition.values[#"\#(histogram)_sum{operation="get_children"}"#])
            #expect(abs(sum - 0.033) < 1e-9)

            // Losing the lead shows on the next scrape.
            metrics.observe(.demoted(ContenderID(1), reason: .disconnected))
            metrics.observe(
                .viewChanged(
                    ElectionView(
                        state: .disconnected, leader: Fixtures.first, stale: true, candidates: [Fixtures.first],
                        required: 2, connection: ConnectionInfo(state: .connecting, sessionTimeout: .seconds(10)))))
            let after = try Exposition(try await RawHTTPClient.get(port: port, "/metrics").body)
            #expect(after.values["herald_is_leader"] == 0)
            #expect(after.values[#"herald_elections_lost_total{reason="disconnected"}"#] == 1)
            #expect(after.values[#"herald_zookeeper_session_state{state="connected"}"#] == 0)
            #expect(after.values[#"herald_zookeeper_session_state{state="connecting"}"#] == 1)
            #expect(after.values["herald_quorum_present"] == 1)
        }
    }

    @Test("another path is 404, another method 405, HEAD has no body")
    func statuses() async throws {
        try await withServer { _, port, _ in
            #expect(try await RawHTTPClient.get(port: port, "/").status == 404)
            #expect(try await RawHTTPClient.get(port: port, "/metrics/extra").status == 404)
            let post = try await RawHTTPClient.get(port: port, "/metrics", method: "POST")
            #expect(post.status == 405)
            #expect(post.headers["allow"] == "GET, HEAD")
            #expect(try await RawHTTPClient.get(port: port, "/metrics?name=x").status == 200)
            let head = try await RawHTTPClient.get(port: port, "/metrics", method: "HEAD")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }

    @Test("garbage from one client gets a 400 and does not stop the server")
    func garbage() async throws {
        try await withServer { _, port, _ in
            let garbage: [UInt8] = Array("\u{1}\u{2}NOT HTTP AT ALL\r\n\r\n".utf8) + [0xFF, 0x00, 0x0A]
            let reply = try await RawHTTPClient.exchange(port: port, garbage)
            #expect(reply.hasPrefix("HTTP/1.1 400"))
            // A client that gives up in the middle of its request.
            try await RawHTTPClient.abandon(port: port, "GET /metr")
            #expect(try await RawHTTPClient.get(port: port, "/metrics").status == 200)
        }
    }

    @Test("keep-alive: two pipelined requests on one connection")
    func keepAlive() async throws {
        try await withServer { _, port, _ in
            let raw = try await RawHTTPClient.exchange(
                port: port,
                "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(raw.components(separatedBy: "HTTP/1.1 ").count == 3)
            #expect(raw.hasPrefix("HTTP/1.1 200"))
            #expect(raw.contains("HTTP/1.1 404"))
        }
    }

    @Test("an idle connection is closed")
    func idle() async throws {
        try await withServer(idleTimeout: .milliseconds(200)) { _, port, _ in
            let clock = ContinuousClock()
            let started = clock.now
            // Sends nothing, reads until the server closes.
            let reply = try await RawHTTPClient.exchange(port: port, "")
            #expect(reply.isEmpty)
            #expect(clock.now - started < .seconds(10))
        }
    }

    @Test("graceful shutdown closes the listener and open connections")
    func shutdown() async throws {
        let logs = LogRecorder()
        let server = MetricsServer(
            configuration: .init(host: "127.0.0.1", port: 0), registry: PrometheusCollectorRegistry(),
            logger: logs.logger())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let port = try await server.listeningPort()
            // An idle keep-alive connection, which must not hold the shutdown up.
            // (Its end may be a reset: only that it ends matters.)
            group.addTask {
                _ = try? await RawHTTPClient.exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            try await logs.wait { $0.message == "metrics request" }
            server.shutdown()
            try await group.waitForAll()
            await #expect(throws: (any Error).self) { try await RawHTTPClient.get(port: port, "/metrics") }
        }
        #expect(logs.records(where: { $0.message == "metrics server stopped" }).count == 1)
    }

    @Test("a port in use is one error naming the address")
    func bindFailure() async throws {
        try await withServer { _, port, _ in
            let second = MetricsServer(
                configuration: .init(host: "127.0.0.1", port: port), registry: PrometheusCollectorRegistry(),
                logger: LogRecorder().logger())
            let error = await #expect(throws: MetricsServerError.self) { try await second.run() }
            #expect(error?.description.hasPrefix("cannot serve metrics on 127.0.0.1:\(port): ") == true)
            #expect(error?.description.contains("\n") == false)
            await #expect(throws: MetricsServerError.self) { try await second.listeningPort() }
        }
    }

    @Test("herald_metrics_listen values")
    func listen() throws {
        let v4 = try MetricsServer.Configuration(listen: "127.0.0.1:9150")
        #expect(v4.host == "127.0.0.1" && v4.port == 9150)
        let v6 = try MetricsServer.Configuration(listen: "[::1]:0")
        #expect(v6.host == "::1" && v6.port == 0 && v6.address == "[::1]:0")
        #expect(throws: MetricsServerError.self) { try MetricsServer.Configuration(listen: "localhost") }
        #expect(throws: MetricsServerError.self) { try MetricsServer.Configuration(listen: ":9150") }
        #expect(throws: MetricsServerError.self) { try MetricsServer.Configuration(listen: "h:70000") }
    }
}

/// The Prometheus text format, read back: `# TYPE` lines and each series' value.
struct Exposition {
    var types: [String: String] = [:]
    /// Values by series, as written: `name` or `name{label="value",…}`.
    var values: [String: Double] = [:]

    struct Malformed: Error {
        var line: String
    }

    init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4 else { throw Malformed(line: String(line)) }
                types[String(parts[2])] = String(parts[3])
            } else if line.hasPrefix("#") {
                continue
            } else {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
                else { throw Malformed(line: String(line)) }
                values[String(line[..<space])] = value
            }
        }
    }
}
