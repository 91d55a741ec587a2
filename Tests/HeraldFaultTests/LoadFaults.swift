import Discovery
import Foundation
import HeraldTestSupport
import MesosLayout
import NIOConcurrencyHelpers
import Testing
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

extension FaultSuite {
    // MARK: Load

    @Test("load: 10,000 leader changes in a row with 1,000 socket watchers: increasing revisions, one final snapshot")
    func leaderChurn() async throws {
        let environment = ProcessInfo.processInfo.environment
        let changes = Int(environment["HERALD_FAULT_CHANGES"] ?? "") ?? 10_000
        let watcherCount = Int(environment["HERALD_FAULT_WATCHERS"] ?? "") ?? 1_000
        try await Scenario.run("leader-churn", extra: "herald_socket_max_connections: \(watcherCount + 100)") {
            scenario in
            try await scenario.agreement("a leader")
            let follower = scenario.followerHosts[0]
            // The leader hosts leave; from now on the candidates are Mesos-format nodes written by
            // this test's own client, three at a time, the lowest deleted and a new one added per
            // change: every change hands leadership to the next node.
            for host in scenario.leaderHosts { await scenario.stopHost(host) }
            let watchers = try RawWatchers(socket: follower.socket, count: watcherCount)
            defer { watchers.stop() }
            try await within(.seconds(60), "every watcher's first snapshot") {
                while watchers.states.contains(where: { $0.count == 0 }) {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            // A consumer asking while the churn runs: each `get` on a fresh connection is
            // answered promptly, however many watchers the churn keeps busy. Stopped by a flag,
            // not by cancelling it: a cancelled request would end as an error of its own.
            let keepAsking = NIOLockedValueBox(true)
            let asking = Task {
                var worst = Duration.zero
                var asked = 0
                while keepAsking.withLockedValue({ $0 }) {
                    let start = ContinuousClock.now
                    _ = try await DiscoveryClient(socketPath: follower.socket, timeout: .seconds(60)).current()
                    worst = max(worst, ContinuousClock.now - start)
                    asked += 1
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return (worst, asked)
            }
            defer { asking.cancel() }
            scenario.fault("churn-\(changes)")
            let started = ContinuousClock.now
            // A long session: this process is busy reading every watcher's snapshots.
            try await withClient(servers: try Lab.servers, sessionTimeout: .seconds(30)) { client in
                var nodes: [String] = []
                var stalls = 0
                // The writer stands in for Mesos masters. With 1,000 watchers attached its own
                // connection was seen silent for 2/3 of its session timeout now and then (the C
                // client then reports ZOPERATIONTIMEOUT and reconnects, keeping the session): it
                // goes on where it was, and each such stall is recorded and reported.
                func retrying<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
                    while true {
                        do {
                            return try await body()
                        } catch let error as ZooKeeperError
                            where error.code == .operationTimeout || error.code == .connectionLoss
                        {
                            stalls += 1
                            scenario.record("test", "writer-stall", ["op": what, "error": "\(error.code)"])
                            guard stalls <= 5 else { throw error }
                        }
                    }
                }
                func add(_ number: Int) async throws {
                    let info = MasterInfo(
                        id: "churn-\(number)", ipv4: "10.77.9.\(number % 250 + 1)", port: 5050,
                        hostname: "churn-\(number)", version: nil)
                    let data = info.encoded()
                    var retry = false
                    let path = try await retrying("create") { () async throws -> String in
                        // A create whose reply was lost may have happened: adopt that node.
                        defer { retry = true }
                        for child in retry ? try await client.children(scenario.basePath).children : []
                        where child.hasPrefix("json.info_") && !nodes.contains(scenario.basePath + "/" + child) {
                            let (existing, _) = try await client.get(scenario.basePath + "/" + child)
                            if existing == data { return scenario.basePath + "/" + child }
                        }
                        return try await client.create(
                            scenario.basePath + "/json.info_", data: data, mode: .ephemeralSequential
                        ).path
                    }
                    nodes.append(path)
                }
                func remove(_ path: String) async throws {
                    try await retrying("delete") {
                        do { try await client.delete(path) } catch let error as ZooKeeperError
                            where error.code == .noNode
                        {}
                    }
                }
                for number in 0..<3 { try await add(number) }
                for number in 3..<(changes + 3) {
                    try await add(number)
                    try await remove(nodes.removeFirst())
                }
                keepAsking.withLockedValue { $0 = false }
                let (worstGet, asked) = try await asking.value
                print("leader-churn: the slowest of \(asked) gets during the churn took \(worstGet)")
                #expect(worstGet < .seconds(2), "a get took \(worstGet) during the churn")
                if stalls > 0 { print("leader-churn: the writer's connection stalled \(stalls) time(s)") }
                let took = ContinuousClock.now - started
                print("leader-churn: \(changes) leader changes written in \(took)")
                // The last three stay until every socket agrees on churn-<changes>.
                try await scenario.until(follower, within: .seconds(60), "the last leader") {
                    $0["leader"] == "churn-\(changes)" && $0["state"] == "elected"
                }
                let final = try await DiscoveryClient(socketPath: follower.socket, timeout: .seconds(5)).current()
                try await within(.seconds(60), "every watcher at the final snapshot") {
                    while watchers.states.contains(where: { $0.lastRevision != final.revision }) {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                let states = watchers.states
                #expect(states.allSatisfy { $0.increasing }, "every watcher saw increasing revisions")
                #expect(states.allSatisfy { $0.open }, "no watcher was disconnected")
                let decoder = JSONDecoder()
                let lasts = Set(states.map(\.lastLine))
                #expect(lasts.count == 1, "every watcher's last line is the same")
                let last = try lasts.first.map { try decoder.decode(Snapshot.self, from: Data($0.utf8)) }
                #expect(last == final, "… and it is the final snapshot")
                let pushed = states.map(\.count).reduce(0, +)
                print(
                    "leader-churn: \(watcherCount) watchers, final revision \(final.revision), "
                        + "\(pushed / max(watcherCount, 1)) snapshots per watcher on average")
                // Leave the group as the truth expects: no candidates but these, quorum 2 of 3 met.
                for node in nodes { try await client.delete(node) }
            }
            for host in scenario.leaderHosts { try scenario.launch(host) }
            scenario.healed()
        }
    }
}
