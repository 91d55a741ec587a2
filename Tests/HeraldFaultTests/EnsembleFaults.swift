import Foundation
import HeraldTestSupport
import Testing

extension FaultSuite {
    /// The server the leader's session is on, from its own socket.
    static func sessionServer(_ scenario: Scenario, _ host: Scenario.Host) throws -> Int {
        let server = scenario.latest(host)?["server"]
        guard let id = Lab.serverID(server) else {
            throw SetupError("\(host.name) names no lab server: \(server ?? "-")")
        }
        return id
    }

    /// The id of the server that leads the ensemble now.
    static func ensembleLeader() async throws -> Int {
        let status = try await Lab.run("status")
        for line in status.split(separator: "\n") where line.contains("mode=leader") {
            if let id = line.split(separator: " ").first(where: { $0.hasPrefix("id=") }).flatMap({
                Int($0.dropFirst(3))
            }) {
                return id
            }
        }
        throw SetupError("no server leads the lab ensemble: \(status)")
    }

    // MARK: Ensemble

    @Test("ensemble: the server the leader's session is on is killed, then started again")
    func killLeadersServer() async throws {
        try await Scenario.run("kill-leaders-server") { scenario in
            let leader = try await scenario.agreement("a leader")
            let server = try Self.sessionServer(scenario, leader)
            scenario.fault("kill-server-\(server)")
            try await Lab.run("zk", "kill-server", "\(server)")
            try await scenario.until(leader, within: scenario.timeout * 3, "the leader reconnects elsewhere") {
                $0["zk"] == "connected" && $0["server"] != Lab.server(server)
            }
            try await Lab.run("zk", "start-server", "\(server)")
            scenario.healed()
        }
    }

    @Test("ensemble: two of three servers killed (quorum lost), then brought back")
    func quorumLost() async throws {
        try await Scenario.run("quorum-lost") { scenario in
            try await scenario.agreement("a leader")
            scenario.fault("kill-servers-1-2")
            try await Lab.run("zk", "kill-server", "1")
            try await Lab.run("zk", "kill-server", "2")
            for host in scenario.hosts {
                try await scenario.until(host, within: scenario.timeout * 4, "no leader without a quorum") {
                    $0["leader"] == "-" || $0["stale"] == "1"
                }
            }
            try await Task.sleep(for: scenario.timeout)
            try await Lab.run("zk", "start-server", "--no-wait", "1")
            try await Lab.run("zk", "start-server", "--no-wait", "2")
            try await Lab.run("zk", "wait")
            scenario.healed()
        }
    }

    @Test("ensemble: the ZooKeeper leader server is killed, then started again")
    func killEnsembleLeader() async throws {
        try await Scenario.run("kill-zk-leader") { scenario in
            try await scenario.agreement("a leader")
            let server = try await Self.ensembleLeader()
            scenario.fault("kill-zk-leader-\(server)")
            try await Lab.run("zk", "kill-server", "\(server)")
            try await Lab.run("zk", "wait")
            try await Lab.run("zk", "start-server", "\(server)")
            scenario.healed()
        }
    }

    @Test("ensemble: a rolling restart of all three servers")
    func rollingRestart() async throws {
        try await Scenario.run("rolling-restart") { scenario in
            try await scenario.agreement("a leader")
            for server in 1...3 {
                scenario.fault("restart-server-\(server)")
                try await Lab.run("zk", "restart-server", "\(server)")
                try await Lab.run("zk", "wait")
            }
            scenario.healed()
        }
    }
}
