import Foundation
import HeraldTestSupport
import Testing

/// The fault suite: every scenario runs real `herald serve` hosts in network namespaces on the
/// lab's ensemble and is judged by `FaultHistory`'s invariants. The scenarios share the lab (its
/// servers are stopped and cut), so they run one at a time. Run with `Tests/run.sh --faults`.
@Suite(
    "Faults, judged on recorded histories", .serialized, .timeLimit(.minutes(20)),
    .enabled(if: Lab.enabled, "the fault suite runs under Tests/run.sh --faults (root, network namespaces)"))
struct FaultSuite {
    // MARK: Network

    @Test("network: the leader host cut off both ways past the session timeout, then healed")
    func cutLeaderPastTimeout() async throws {
        try await Scenario.run("cut-leader") { scenario in
            let leader = try await scenario.agreement("a leader")
            let follower = scenario.followerHosts[0]
            try await scenario.cut(leader)
            try await scenario.until(follower, within: scenario.timeout * 4, "another leader") {
                $0["state"] == "elected" && $0["leader"] != leader.name && $0["stale"] == "0"
            }
            try await scenario.until(leader, within: scenario.timeout, "the cut leader no longer leads") {
                $0["role"] != "leader"
            }
            try await Task.sleep(for: scenario.timeout)
            try await scenario.heal(leader)
        }
    }

    @Test("network: the leader host cut off for less than the session timeout")
    func cutLeaderBriefly() async throws {
        try await Scenario.run("cut-leader-briefly") { scenario in
            let leader = try await scenario.agreement("a leader")
            try await scenario.cut(leader)
            try await Task.sleep(for: scenario.timeout * 0.4)
            try await scenario.heal(leader)
        }
    }

    @Test("network: the leader's replies dropped (one direction) past the session timeout")
    func cutLeaderInbound() async throws {
        try await Scenario.run("cut-leader-inbound") { scenario in
            let leader = try await scenario.agreement("a leader")
            try await scenario.cut(leader, "in")
            try await scenario.until(scenario.followerHosts[0], within: scenario.timeout * 4, "another leader") {
                $0["state"] == "elected" && $0["leader"] != leader.name && $0["stale"] == "0"
            }
            try await scenario.heal(leader)
        }
    }

    @Test("network: the leader's requests dropped (the other direction) past the session timeout")
    func cutLeaderOutbound() async throws {
        try await Scenario.run("cut-leader-outbound") { scenario in
            let leader = try await scenario.agreement("a leader")
            try await scenario.cut(leader, "out")
            try await scenario.until(scenario.followerHosts[0], within: scenario.timeout * 4, "another leader") {
                $0["state"] == "elected" && $0["leader"] != leader.name && $0["stale"] == "0"
            }
            try await scenario.heal(leader)
        }
    }

    @Test("network: 300 ms ± 100 ms delay and 5 % loss on the leader's link for a minute")
    func slowLeaderLink() async throws {
        let seconds = Int(ProcessInfo.processInfo.environment["HERALD_FAULT_SLOW_SECONDS"] ?? "") ?? 60
        try await Scenario.run("slow-leader-link") { scenario in
            let leader = try await scenario.agreement("a leader")
            scenario.fault("netem-\(leader.name)")
            try await Lab.run("slow", leader.name, "300", "100", "5")
            try await Task.sleep(for: .seconds(seconds))
            try await scenario.heal(leader)
        }
    }

    @Test("network: a follower host cut off past the session timeout, then healed")
    func cutFollower() async throws {
        try await Scenario.run("cut-follower") { scenario in
            let follower = scenario.followerHosts[0]
            try await scenario.agreement("a leader")
            try await scenario.cut(follower)
            try await scenario.until(follower, within: scenario.timeout * 3, "the cut follower's socket says so") {
                $0["stale"] == "1" || $0["leader"] == "-"
            }
            try await Task.sleep(for: scenario.timeout)
            try await scenario.heal(follower)
        }
    }

    @Test("network: the ensemble split 2 / 1, the leader host able to reach only the minority server")
    func splitEnsemble() async throws {
        try await Scenario.run("split-ensemble") { scenario in
            let leader = try await scenario.agreement("a leader")
            scenario.fault("only-server-3-\(leader.name)")
            try await Lab.run("only", leader.name, "3")
            scenario.fault("split-server-3")
            try await Lab.run("split", "3")
            try await scenario.until(scenario.followerHosts[0], within: scenario.timeout * 4, "another leader") {
                $0["state"] == "elected" && $0["leader"] != leader.name && $0["stale"] == "0"
            }
            try await Task.sleep(for: scenario.timeout)
            try await Lab.run("unsplit")
            try await scenario.heal(leader)
        }
    }
}
