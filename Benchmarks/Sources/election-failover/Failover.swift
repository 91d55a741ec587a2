import ArgumentParser
import BenchmarkSupport
import Election
import ElectionModel
import Foundation
import HeraldTestSupport
import Logging
import MesosLayout
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// Failover figures of Herald's election against a real ensemble; `Benchmarks/election-failover`
/// starts the ensemble, builds and runs this, and keeps the report.
///
/// Clean rounds: 3 contenders and 2 observers, each its own `ElectionGroup` (own session) in
/// this process, `required` 2. The leader abdicates; timed from the call to the successor's
/// `elected` event and to the last observer's `leaderChanged`; ZooKeeper requests and watch
/// events are counted over all five sessions. The old leader then contends again.
///
/// Crash rounds: 3 `election-contender` processes and an observer here; the leader's process
/// gets SIGKILL; timed to the observer's next leader, against the session timeout.
@main
struct Failover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "election-failover", abstract: "Herald election failover times on a real ensemble.")

    @Option(help: "host:port list of the ensemble.")
    var servers: String

    @Option(help: "Clean (abdication) rounds.")
    var rounds: Int = 60

    @Option(help: "Crash (SIGKILL) rounds.")
    var crashRounds: Int = 5

    @Option(help: "Session timeout of the crash rounds' processes, in milliseconds.")
    var sessionTimeoutMs: Int = 2000

    @Option(help: "The election-contender executable (default: next to this one).")
    var contenderBinary: String?

    @Option(help: "Markdown report to write (a .csv of every sample goes next to it).")
    var out: String?

    @Option(help: "The command line to print in the report.")
    var command: String = "election-failover"

    func run() async throws {
        var logger = Logger(label: "election-failover")
        logger.logLevel = .error
        ZooKeeperClient.bootstrapLogging(logger)
        let clean = try await cleanRounds(logger: logger)
        let crash = try await crashRounds(logger: logger)
        let report = Report(clean: clean, crash: crash, command: command, sessionTimeoutMs: sessionTimeoutMs)
        print(report.markdown)
        if let out {
            try report.markdown.write(toFile: out, atomically: true, encoding: .utf8)
            let csv = out.hasSuffix(".md") ? String(out.dropLast(3)) + ".csv" : out + ".csv"
            try report.csv.write(toFile: csv, atomically: true, encoding: .utf8)
        }
    }

    // MARK: Clean rounds

    struct CleanSample {
        var elected: Duration
        var informed: Duration
        var requests: Int
        var watchEvents: Int
    }

    func cleanRounds(logger: Logger) async throws -> [CleanSample] {
        let base = "/herald-bench/failover-\(UUID().uuidString.prefix(8).lowercased())"
        let setup = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(servers: servers, connectTimeout: .seconds(20)), logger: logger)
        _ = try await setup.ensurePath(base)
        await setup.close()
        func group() -> ElectionGroup {
            ElectionGroup(
                configuration: .init(
                    zooKeeper: ZooKeeperConfiguration(servers: servers, sessionTimeout: .seconds(10)), basePath: base,
                    required: 2),
                logger: logger)
        }
        let contenders = (0..<3).map { _ in group() }
        let observers = (0..<2).map { _ in group() }
        let everyone = contenders + observers
        return try await withThrowingTaskGroup(of: [CleanSample]?.self) { tasks in
            for member in everyone {
                tasks.addTask {
                    await member.run(); return nil
                }
            }
            tasks.addTask {
                var ids = contenders.enumerated().map { $0.element.contend(Self.info($0.offset)) }
                var samples: [CleanSample] = []
                for round in 0..<(rounds + 1) {
                    try await Self.settled(everyone, present: 3)
                    guard let leader = contenders.indices.first(where: { contenders[$0].leaderEpoch(ids[$0]) != nil })
                    else { throw BenchmarkError("round \(round): no contender leads") }
                    let previous = try Self.leader(of: observers[0])
                    let successorEvents = contenders.indices.filter { $0 != leader }.map { contenders[$0].events() }
                    let observerEvents = observers.map { $0.events() }
                    let before = Self.totals(everyone)
                    let start = ContinuousClock.now
                    await contenders[leader].abdicate(ids[leader])
                    let elected = try await Self.first(successorEvents, "an election") {
                        if case .elected = $0 { return true }
                        return false
                    }
                    var informed = start
                    for events in observerEvents {
                        let at = try await Self.first([events], "an observer's new leader") {
                            if case .leaderChanged(_, let to?) = $0 { return to.epoch > previous.epoch }
                            return false
                        }
                        informed = max(informed, at)
                    }
                    try await Self.settledLeader(everyone, after: previous.epoch)
                    let after = Self.totals(everyone)
                    if round > 0 {  // the first round warms up
                        samples.append(
                            CleanSample(
                                elected: elected - start, informed: informed - start,
                                requests: after.requests - before.requests,
                                watchEvents: after.watchEvents - before.watchEvents))
                    }
                    ids[leader] = contenders[leader].contend(Self.info(leader))
                }
                return samples
            }
            defer { tasks.cancelAll() }
            while let result = try await tasks.next() {
                if let samples = result { return samples }
            }
            throw BenchmarkError("the rounds did not finish")
        }
    }

    static func info(_ index: Int) -> MasterInfo {
        MasterInfo(
            id: UUID().uuidString.lowercased(), ipv4: "10.0.0.\(index + 1)", port: 5050, hostname: "m\(index)",
            version: "1.11.0")
    }

    static func totals(_ groups: [ElectionGroup]) -> ElectionGroup.Statistics {
        groups.map(\.statistics).reduce(into: ElectionGroup.Statistics()) {
            $0.requests += $1.requests
            $0.watchEvents += $1.watchEvents
        }
    }

    static func leader(of group: ElectionGroup) throws -> Candidate {
        guard let leader = group.view.leader else { throw BenchmarkError("no leader") }
        return leader
    }

    /// The time the first matching event arrives on any of `streams`.
    static func first(
        _ streams: [AsyncStream<ElectionEvent>], _ what: String, _ matches: @escaping @Sendable (ElectionEvent) -> Bool
    ) async throws -> ContinuousClock.Instant {
        try await withThrowingTaskGroup(of: ContinuousClock.Instant?.self) { group in
            for stream in streams {
                group.addTask {
                    for await event in stream where matches(event) { return .now }
                    return nil
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                throw BenchmarkError("timed out waiting for \(what)")
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let at = result { return at }
            }
            throw BenchmarkError("no \(what)")
        }
    }

    /// Waits until every group sees `present` candidates and a leader.
    static func settled(_ groups: [ElectionGroup], present: Int) async throws {
        for group in groups {
            try await until(group, "\(present) candidates") { $0.present == present && $0.state == .elected }
        }
    }

    static func settledLeader(_ groups: [ElectionGroup], after epoch: Int64) async throws {
        for group in groups {
            try await until(group, "a leader after epoch \(epoch)") { ($0.leader?.epoch ?? 0) > epoch }
        }
    }

    static func until(
        _ group: ElectionGroup, _ what: String, _ predicate: @escaping @Sendable (ElectionView) -> Bool
    ) async throws {
        let events = group.events()
        if predicate(group.view) { return }
        _ = try await first([events], what) {
            if case .viewChanged(let view) = $0 { return predicate(view) }
            return false
        }
    }

    // MARK: Crash rounds

    struct CrashSample {
        var failover: Duration
        var negotiatedTimeout: Duration
    }

    func crashRounds(logger: Logger) async throws -> [CrashSample] {
        guard crashRounds > 0 else { return [] }
        let binary =
            contenderBinary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("election-contender").path
        let base = "/herald-bench/crash-\(UUID().uuidString.prefix(8).lowercased())"
        let observer = ElectionGroup(
            configuration: .init(
                zooKeeper: ZooKeeperConfiguration(servers: servers, sessionTimeout: .milliseconds(sessionTimeoutMs)),
                basePath: base, required: 2),
            logger: logger)
        var processes: [Int: pid_t] = [:]
        func spawn(_ index: Int) throws {
            processes[index] = try ChildProcess.spawn(
                binary,
                [
                    "--servers", servers, "--base", base, "--required", "2", "--session-timeout-ms",
                    "\(sessionTimeoutMs)", "--index", "\(index)",
                ], output: "/dev/null")
        }
        defer { for pid in processes.values { ChildProcess.stop(pid, signal: SIGKILL) } }
        let setup = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(servers: servers, connectTimeout: .seconds(20)), logger: logger)
        _ = try await setup.ensurePath(base)
        await setup.close()
        for index in 0..<3 { try spawn(index) }
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await observer.run() }
            defer { tasks.cancelAll() }
            var samples: [CrashSample] = []
            for _ in 0..<crashRounds {
                try await Self.until(observer, "3 candidates") { $0.present == 3 && $0.state == .elected }
                let leader = try Self.leader(of: observer)
                guard let hostname = leader.info.hostname, let index = Int(hostname.split(separator: "-")[1]),
                    let pid = processes[index]
                else { throw BenchmarkError("leader \(leader.info.hostname ?? "?") is not one of the processes") }
                let events = observer.events()
                let start = ContinuousClock.now
                ChildProcess.stop(pid, signal: SIGKILL)
                processes[index] = nil
                let at = try await Self.first([events], "a new leader after the crash") {
                    if case .leaderChanged(_, let to?) = $0 { return to.epoch > leader.epoch }
                    return false
                }
                samples.append(
                    CrashSample(
                        failover: at - start,
                        negotiatedTimeout: observer.session?.negotiatedTimeout ?? .milliseconds(sessionTimeoutMs)))
                try spawn(index)
            }
            return samples
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
