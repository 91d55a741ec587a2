import Foundation
import HeraldTestSupport
import MesosLayout
import Testing
import ZooKeeper

extension FaultSuite {
    // MARK: Processes

    @Test("process: SIGKILL of the leader, then it starts again")
    func killLeader() async throws {
        try await Scenario.run("kill-leader") { scenario in
            let leader = try await scenario.agreement("a leader")
            await scenario.killHost(leader)
            scenario.healed()
            try await scenario.until(scenario.followerHosts[0], within: scenario.timeout * 4, "another leader") {
                $0["state"] == "elected" && $0["leader"] != leader.name && $0["stale"] == "0"
            }
            try scenario.launch(leader)
        }
    }

    @Test("process: SIGTERM of the leader whose on_demoted takes 500 ms: the successor acts only after it ended")
    func stopLeaderSlowHook() async throws {
        try await Scenario.run("stop-leader-slow-hook", demotedPause: "0.5") { scenario in
            let leader = try await scenario.agreement("a leader")
            scenario.fault("sigterm-\(leader.name)")
            await scenario.stopHost(leader)
            scenario.healed()
            let demoted = scenario.history.events.last {
                $0.host == leader.name && $0.kind == "hook" && $0["event"] == "demoted" && $0["phase"] == "end"
            }
            #expect(demoted != nil, "\(leader.name)'s on_demoted ran to its end before it exited")
        }
    }

    @Test("process: SIGSTOP of the leader past the session timeout, then SIGCONT")
    func freezeLeader() async throws {
        try await Scenario.run("freeze-leader") { scenario in
            let leader = try await scenario.agreement("a leader")
            scenario.freeze(leader)
            try await scenario.until(scenario.followerHosts[0], within: scenario.timeout * 4, "another leader") {
                $0["state"] == "elected" && $0["leader"] != leader.name && $0["stale"] == "0"
            }
            try await Task.sleep(for: scenario.timeout)
            scenario.thaw(leader)
            scenario.healed()
        }
    }

    @Test("process: SIGSTOP of the second in line while the leader abdicates, then SIGCONT")
    func freezeSuccessor() async throws {
        try await Scenario.run("freeze-successor", extra: "herald_quorum: 1") { scenario in
            let leader = try await scenario.agreement("a leader")
            try await scenario.everyCandidateIn()
            let order = try await Self.candidateOrder(scenario)
            let second = scenario.host(order[1])
            scenario.freeze(second)
            await scenario.stopHost(leader)
            try await scenario.until(scenario.followerHosts[0], within: scenario.timeout * 4, "the third leads") {
                $0["state"] == "elected" && $0["leader"] == order[2] && $0["stale"] == "0"
            }
            try await Task.sleep(for: scenario.timeout)
            scenario.thaw(second)
            scenario.healed()
        }
    }

    /// The leader hosts' names by their node's sequence, from ZooKeeper.
    static func candidateOrder(_ scenario: Scenario) async throws -> [String] {
        try await withClient(servers: try Lab.servers) { client in
            var named: [(Int, String)] = []
            for child in try await client.children(scenario.basePath).children where child.hasPrefix("json.info_") {
                let (data, _) = try await client.get(scenario.basePath + "/" + child)
                guard let sequence = Int(child.suffix(10)), let host = try? MasterInfo.decode(data).hostname else {
                    continue
                }
                named.append((sequence, host))
            }
            return named.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    @Test("process: one contender restarted 100 times in a row leaves exactly one node of its own")
    func restartContender() async throws {
        let restarts = Int(ProcessInfo.processInfo.environment["HERALD_FAULT_RESTARTS"] ?? "") ?? 100
        try await Scenario.run("restart-contender") { scenario in
            let leader = try await scenario.agreement("a leader")
            let victim = scenario.leaderHosts.first { $0.name != leader.name }!
            scenario.fault("restart-\(victim.name)-\(restarts)-times")
            for round in 1...restarts {
                await scenario.stopHost(victim)
                try scenario.launch(victim)
                try await scenario.until(victim, "restart \(round): a candidate again") {
                    $0["role"] == "candidate" && $0["state"] == "elected" && $0["own"] == "1"
                }
            }
            scenario.healed()
            try await scenario.agreement("agreement after the restarts")
            let nodes = try await withClient(servers: try Lab.servers) { client in
                try await client.children(scenario.basePath).children.filter { $0.hasPrefix("json.info_") }
            }
            #expect(nodes.count == 3, "one node per leader host after \(restarts) restarts: \(nodes.sorted())")
        }
    }

    @Test("process: 20 contenders started at the same instant elect one leader")
    func twentyAtOnce() async throws {
        try await Scenario.run("twenty-at-once", leaders: 20, followers: 1) { scenario in
            let leader = try await scenario.agreement("one leader of twenty", within: .seconds(60))
            try await scenario.everyCandidateIn()
            let candidates = try await Self.candidateOrder(scenario)
            #expect(candidates.count == 20, "twenty candidates: \(candidates)")
            #expect(candidates.first == leader.name, "the lowest node leads")
            scenario.healed()
        }
    }
}
