import ArgumentParser
import BenchmarkSupport
import Election
import ElectionModel
import Foundation
import HeraldService
import HeraldTestSupport
import Logging
import MesosLayout
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// What one follower joining or leaving costs the ensemble, with N followers registered as
/// `FollowerDirectory` instances in pools of child processes and three leader hosts reading the
/// list; the time and bytes for every follower to be back after all voters restart; and, with
/// observers, the voters' failover time while followers churn on the observers.
/// `Benchmarks/follower-churn` starts the ensembles and runs it.
@main
struct FollowerChurn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follower-churn", abstract: "Follower directory cost at scale.",
        subcommands: [Measure.self, PoolCommand.self], defaultSubcommand: Measure.self)
}

struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pool", abstract: "A pool of follower hosts.")

    @Option var servers: String
    @Option var root: String
    @Option var prefix: String
    @Option var count: Int
    @Option var sessionTimeoutMs = 60000
    @Flag var lists = false

    func run() async throws {
        try await Pool.run(
            servers: servers, root: root, prefix: prefix, count: count, lists: lists,
            sessionTimeout: .milliseconds(sessionTimeoutMs))
    }
}

struct Measure: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "measure", abstract: "Run the measurements.")

    @Option(help: "Voters' connect string.")
    var servers: String

    @Option(help: "Observers' connect string: follower pools use them (and the failover is measured).")
    var observers: String?

    @Option(help: "The zk-ensemble script and its directory, for mntr and restarts.")
    var ensemble: String

    @Option(help: "ZK_ENSEMBLE_DIR of the ensemble.")
    var ensembleDirectory: String

    @Option(help: "Servers in all (voters and observers), for the mntr sums.")
    var serverCount = 3

    @Option(parsing: .upToNextOption, help: "Follower counts.")
    var counts: [Int] = [100, 1000]

    @Option(help: "Followers per pool process.")
    var poolSize = 250

    @Option(help: "Joins and leaves measured per count.")
    var rounds = 3

    @Option(help: "Seconds of each measuring window.")
    var window = 3.0

    @Flag(help: "Every follower reads the list too (the earlier design), for comparison.")
    var everyHostLists = false

    @Flag(help: "Restart every voter once per count and time the return of every follower.")
    var restart = false

    @Option(help: "Failover rounds (with --observers): idle, then during churn.")
    var failoverRounds = 5

    @Option var label = "Herald"
    @Option var csv: String?
    @Option var markdown: String?
    @Option var command = "follower-churn"

    static let logger: Logger = {
        var logger = Logger(label: "follower-churn")
        logger.logLevel = .critical
        return logger
    }()

    struct Counters {
        var packets = 0
        var bytes = 0

        static func - (a: Counters, b: Counters) -> Counters {
            Counters(packets: a.packets - b.packets, bytes: a.bytes - b.bytes)
        }
    }

    func mntr() async throws -> Counters {
        var total = Counters()
        for id in 1...serverCount {
            let result = try await ChildProcess.run(
                ensemble, ["mntr", "\(id)"], environment: ["ZK_ENSEMBLE_DIR": ensembleDirectory])
            for line in result.output.split(separator: "\n") {
                let fields = line.split(separator: "\t")
                guard fields.count == 2, let value = Int(fields[1]) else { continue }
                switch fields[0] {
                case "zk_packets_received", "zk_packets_sent": total.packets += value
                case "zk_response_bytes": total.bytes += value
                default: break
                }
            }
        }
        return total
    }

    func run() async throws {
        ZooKeeperClient.bootstrapLogging(Self.logger)
        var rows: [[String]] = []
        for count in counts {
            rows += try await measure(count: count)
        }
        if observers != nil {
            rows += try await failovers()
        }
        let header = ["design", "followers", "measure", "packets", "response_bytes", "ms"]
        let csvText = ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        if let csv { try csvText.write(toFile: csv, atomically: true, encoding: .utf8) }
        var markdownText = """
            # follower-churn

            `\(command)` on \(Summary.machine), \(Date()). Per join and per leave: the ensemble's packets
            (received + sent) and response bytes from `mntr`, summed over every server, minus an idle
            window of the same length (\(window) s), median of \(rounds). Burst: ten joins at once, per join.

            | design | followers | measure | packets | response bytes | ms |
            |---|---:|---|---:|---:|---:|

            """
        for row in rows { markdownText += "| " + row.joined(separator: " | ") + " |\n" }
        print(markdownText)
        if let markdown { try markdownText.write(toFile: markdown, atomically: true, encoding: .utf8) }
    }

    /// Leader hosts: three directories that read the list, on the voters.
    func listers(root: String) -> [FollowerDirectory] {
        (0..<3).map { _ in
            FollowerDirectory(
                zooKeeper: .init(servers: servers, sessionTimeout: .seconds(10)),
                paths: HeraldPaths(mesosBase: "/unused", root: root), registration: nil, acl: ACL.openUnsafe,
                logger: Self.logger, lists: true)
        }
    }

    func follower(root: String, name: String) -> FollowerDirectory {
        FollowerDirectory(
            zooKeeper: .init(servers: observers ?? servers, sessionTimeout: .seconds(30)),
            paths: HeraldPaths(mesosBase: "/unused", root: root),
            registration: .init(hostname: name, ip: "10.255.0.1", port: 5051), acl: ACL.openUnsafe,
            logger: Self.logger, lists: everyHostLists)
    }

    /// Waits until `done`, judged again at each element of `changes` (subscribed before the first
    /// judgement, so no change is missed), within `limit`.
    func waitUntil<Element: Sendable>(
        _ what: String, within limit: Duration = .seconds(120), on changes: [AsyncStream<Element>],
        _ done: () async -> Bool
    ) async throws {
        let (merged, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let met = await withTaskGroup(of: Void.self) { group -> Bool in
            defer { group.cancelAll() }
            for stream in changes {
                group.addTask {
                    for await _ in stream { changed.yield() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                changed.finish()
            }
            changed.yield()
            for await _ in merged where await done() { return true }
            return false
        }
        guard met else { throw SetupError("timed out waiting for \(what)") }
    }

    /// Waits until `done`, looked at every 5 ms: for what announces no change to this process
    /// (the pools' logs, a fresh read of the directory).
    func pollUntil(_ what: String, within limit: Duration = .seconds(120), _ done: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while !(await done()) {
            guard ContinuousClock.now < deadline else { throw SetupError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func measure(count: Int) async throws -> [[String]] {
        let root = "/herald-churn/\(count)-\(UUID().uuidString.prefix(8).lowercased())"
        let design = everyHostLists ? "every host lists" : label
        let directory = "/tmp/follower-churn-\(count)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let leaders = listers(root: root)
        let leaderTasks = leaders.map { leader in Task { await leader.run() } }
        defer { leaderTasks.forEach { $0.cancel() } }
        // The pools.
        var pools: [(pid: pid_t, log: String)] = []
        var left = count
        var index = 0
        while left > 0 {
            let size = min(poolSize, left)
            let log = "\(directory)/pool-\(index).log"
            var arguments = [
                "pool", "--servers", observers ?? servers, "--root", root, "--prefix", "p\(index)", "--count",
                "\(size)",
            ]
            if everyHostLists { arguments.append("--lists") }
            pools.append((try ChildProcess.spawn(CommandLine.arguments[0], arguments, output: log), log))
            left -= size
            index += 1
        }
        defer {
            for pool in pools { _ = ChildProcess.stop(pool.pid, signal: SIGTERM) }
        }
        let started = ContinuousClock.now
        try await pollUntil("\(count) followers registered", within: .seconds(600)) {
            pools.allSatisfy { ((try? String(contentsOfFile: $0.log, encoding: .utf8)) ?? "").contains("registered") }
        }
        try await waitUntil("the leader hosts to list \(count)", on: leaders.map { $0.updates() }) {
            leaders.allSatisfy { $0.followers.count == count }
        }
        print("\(design) N=\(count): registered in \(Summary.milliseconds(.now - started)) ms", terminator: "\n")
        try await Task.sleep(for: .seconds(2))
        let windowLength = Duration.milliseconds(Int64(window * 1000))

        func measured(_ action: () async throws -> Void) async throws -> (Counters, Double) {
            let idleStart = try await mntr()
            try await Task.sleep(for: windowLength)
            let idle = try await mntr() - idleStart
            let before = try await mntr()
            let start = ContinuousClock.now
            try await action()
            let took = Summary.milliseconds(.now - start)
            try await Task.sleep(until: start + windowLength)
            return (try await mntr() - before - idle, took)
        }

        var joins: [(Counters, Double)] = []
        var leaves: [(Counters, Double)] = []
        for round in 0..<rounds {
            let joiner = follower(root: root, name: "joiner-\(round)")
            var joining: Task<Void, Never>?
            joins.append(
                try await measured {
                    joining = Task { await joiner.run() }
                    try await waitUntil("a join", on: leaders.map { $0.updates() }) {
                        leaders.allSatisfy { $0.followers.count == count + 1 }
                    }
                })
            guard let task = joining else { continue }
            leaves.append(
                try await measured {
                    task.cancel()
                    await task.value
                    try await waitUntil("a leave", on: leaders.map { $0.updates() }) {
                        leaders.allSatisfy { $0.followers.count == count }
                    }
                })
        }
        let burst = (0..<10).map { follower(root: root, name: "burst-\($0)") }
        var burstTasks: [Task<Void, Never>] = []
        let (burstCost, burstTime) = try await measured {
            burstTasks = burst.map { joiner in Task { await joiner.run() } }
            try await waitUntil("a burst of 10", on: leaders.map { $0.updates() }) {
                leaders.allSatisfy { $0.followers.count == count + 10 }
            }
        }
        for task in burstTasks { task.cancel() }
        for task in burstTasks { await task.value }
        try await waitUntil("the burst to leave", on: leaders.map { $0.updates() }) {
            leaders.allSatisfy { $0.followers.count == count }
        }

        func median(_ samples: [(Counters, Double)]) -> (Int, Int, Double) {
            let packets = samples.map(\.0.packets).sorted()
            let bytes = samples.map(\.0.bytes).sorted()
            let times = samples.map(\.1).sorted()
            return (packets[packets.count / 2], bytes[bytes.count / 2], times[times.count / 2])
        }
        let join = median(joins)
        let leave = median(leaves)
        var rows = [
            [design, "\(count)", "join", "\(join.0)", "\(join.1)", String(format: "%.1f", join.2)],
            [design, "\(count)", "leave", "\(leave.0)", "\(leave.1)", String(format: "%.1f", leave.2)],
            [
                design, "\(count)", "burst of 10, per join", "\(burstCost.packets / 10)", "\(burstCost.bytes / 10)",
                String(format: "%.1f", burstTime),
            ],
        ]
        if restart {
            let start = ContinuousClock.now
            for id in 1...3 {
                _ = try await ChildProcess.run(
                    ensemble, ["stop-server", "\(id)"], environment: ["ZK_ENSEMBLE_DIR": ensembleDirectory])
            }
            for id in 1...3 {
                _ = try await ChildProcess.run(
                    ensemble, ["start-server", "--no-wait", "\(id)"],
                    environment: ["ZK_ENSEMBLE_DIR": ensembleDirectory])
            }
            _ = try await ChildProcess.run(ensemble, ["wait"], environment: ["ZK_ENSEMBLE_DIR": ensembleDirectory])
            let probe = try await ZooKeeperClient.connect(
                .init(servers: servers, sessionTimeout: .seconds(30), connectTimeout: .seconds(60)), logger: Self.logger
            )
            try await pollUntil("every follower back", within: .seconds(300)) {
                let children = (try? await probe.children(root + "/followers").children.count) ?? 0
                return children == count && leaders.allSatisfy { $0.followers.count == count }
            }
            await probe.close()
            let took = Summary.milliseconds(.now - start)
            // The voters' counters started again with them; observers kept theirs.
            let after = try await mntr()
            rows.append([
                design, "\(count)", "all voters restarted: back (since restart, voters + observers)",
                "\(after.packets)", "\(after.bytes)", String(format: "%.0f", took),
            ])
        }
        for pool in pools { _ = ChildProcess.stop(pool.pid, signal: SIGTERM) }
        for pool in pools { _ = await ChildProcess.reap(pool.pid) }
        return rows
    }

    /// Three contenders on the voters; the leader abdicates and the time until another leads is
    /// measured, first with the observers' followers quiet, then while followers join and leave
    /// on the observers as fast as they can.
    func failovers() async throws -> [[String]] {
        let base = "/herald-churn/election-\(UUID().uuidString.prefix(8).lowercased())"
        let groups = (0..<3).map { _ in
            ElectionGroup(
                configuration: .init(
                    zooKeeper: .init(servers: servers, sessionTimeout: .seconds(4)), basePath: base, required: 2),
                logger: Self.logger)
        }
        let runs = groups.map { group in Task { await group.run() } }
        defer { runs.forEach { $0.cancel() } }
        var ids = groups.enumerated().map { index, group in
            group.contend(
                MasterInfo(id: "c\(index)", ipv4: "127.0.0.1", port: 5050 + index, hostname: "c\(index)", version: nil))
        }
        func leaderIndex() -> Int? { groups.indices.first { groups[$0].leaderEpoch(ids[$0]) != nil } }
        func round() async throws -> Double {
            try await waitUntil("a leader with three candidates", on: groups.map { $0.events() }) {
                leaderIndex() != nil && groups.allSatisfy { $0.view.present == 3 }
            }
            let old = leaderIndex()!
            let start = ContinuousClock.now
            await groups[old].abdicate(ids[old])
            try await waitUntil("a successor", on: groups.map { $0.events() }) {
                leaderIndex().map { $0 != old } == true
            }
            let took = Summary.milliseconds(.now - start)
            ids[old] = groups[old].contend(
                MasterInfo(
                    id: "c\(old)-\(UUID().uuidString.prefix(4))", ipv4: "127.0.0.1", port: 5050 + old,
                    hostname: "c\(old)", version: nil))
            return took
        }
        var quiet: [Double] = []
        for _ in 0..<failoverRounds { quiet.append(try await round()) }
        // Churn on the observers: joins and leaves back to back, twenty at a time.
        let root = "/herald-churn/failover-churn-\(UUID().uuidString.prefix(8).lowercased())"
        let churn = Task {
            var generation = 0
            while !Task.isCancelled {
                let batch = (0..<20).map { follower(root: root, name: "churn-\(generation)-\($0)") }
                generation += 1
                let tasks = batch.map { directory in Task { await directory.run() } }
                try? await Task.sleep(for: .milliseconds(300))
                for task in tasks { task.cancel() }
                for task in tasks { await task.value }
            }
        }
        try await Task.sleep(for: .seconds(2))
        var busy: [Double] = []
        for _ in 0..<failoverRounds { busy.append(try await round()) }
        churn.cancel()
        await churn.value
        let q = Summary(quiet)
        let b = Summary(busy)
        return [
            [
                label, "-", "voters' failover, observers quiet (median / max)", "-", "-",
                String(format: "%.1f / %.1f", q.median, q.max),
            ],
            [
                label, "-", "voters' failover, followers churning on the observers (median / max)", "-", "-",
                String(format: "%.1f / %.1f", b.median, b.max),
            ],
        ]
    }
}
