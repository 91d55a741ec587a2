import ArgumentParser
import BenchmarkSupport
import Discovery
import Foundation
import HeraldTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `herald serve` as an operator runs it: three leader hosts and a follower as separate
/// processes on a real ensemble. Measures the SIGTERM failover time as the follower's socket
/// reports it, the idle RSS and CPU of one instance, and the time of one `herald leader` call as
/// a whole process (socket and `--zk`). `Benchmarks/serve-failover` starts the ensemble and runs it.
@main
struct ServeFailover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-failover", abstract: "herald serve failover, idle cost and CLI call times.")

    @Option(help: "host:port list of the ensemble.")
    var servers: String

    @Option(help: "The herald executable.")
    var herald: String

    @Option(help: "SIGTERM failover rounds.")
    var rounds = 20

    @Option(help: "Seconds of idle measurement.")
    var idleSeconds = 20

    @Option(help: "herald leader calls per mode.")
    var calls = 20

    @Option(help: "Markdown report to write.")
    var out: String?

    @Option(help: "The command line to print in the report.")
    var command = "serve-failover"

    @Option(help: "Pause rounds: SIGSTOP the leader for 1.5 session timeouts, then SIGCONT (0: none).")
    var pauseRounds = 0

    @Option(help: "herald_session_timeout_ms of every instance.")
    var sessionTimeoutMs = 10000

    @Flag(help: "Only the pause rounds: no failover, idle or CLI measurements.")
    var onlyPause = false

    @Option(help: "CSV file for the pause samples (measure,round,value_ms).")
    var pauseCsv: String?

    struct Instance {
        let name: String
        var pid: pid_t
        let config: String
        let socket: String
    }

    func run() async throws {
        let directory = "/tmp/hsb-\(UUID().uuidString.prefix(6).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let chroot = "herald-bench-serve/\(UUID().uuidString.prefix(8).lowercased())"
        var instances: [String: Instance] = [:]
        let stamp = try Monotonic.stampTool()
        func start(_ name: String, mode: String, port: Int) throws {
            let config = "\(directory)/\(name).yaml"
            try """
            mesos_mode: \(mode)
            mesos_zk_hosts: \(servers)
            mesos_zk_chroot: \(chroot)
            herald_zk_path: \(chroot)-herald
            mesos_leaders: [l1, l2, l3]
            mesos_leader_port: \(port)
            mesos_follower_port: \(port)
            herald_hostname: \(name)
            herald_advertise_ip: 127.0.0.1
            herald_socket: \(directory)/\(name).sock
            herald_metrics_listen: ""
            herald_session_timeout_ms: \(sessionTimeoutMs)
            herald_on_elected: '\(stamp) elected \(name) "$HERALD_EPOCH" >> \(directory)/hooks-\(name).log'
            herald_on_demoted: '\(stamp) demoted \(name) "$HERALD_EPOCH" >> \(directory)/hooks-\(name).log'
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let pid = try ChildProcess.spawn(herald, ["serve", "--config", config], output: "\(directory)/\(name).log")
            instances[name] = Instance(name: name, pid: pid, config: config, socket: "\(directory)/\(name).sock")
        }
        defer {
            for instance in instances.values { ChildProcess.stop(instance.pid, signal: SIGKILL) }
        }
        for index in 1...3 { try start("l\(index)", mode: "leader", port: 5050 + index) }
        try start("f1", mode: "follower", port: 5061)
        let follower = DiscoveryClient(socketPath: instances["f1"]!.socket)

        let pause = try await pauseRounds(
            instances: instances.mapValues { ($0.pid, $0.socket) }, follower: follower, directory: directory)
        if onlyPause {
            let report = (pauseReport(pause) + [""]).joined(separator: "\n")
            print(report)
            if let out { try report.write(toFile: out, atomically: true, encoding: .utf8) }
            if let pauseCsv { try Self.csv(pause).write(toFile: pauseCsv, atomically: true, encoding: .utf8) }
            for instance in instances.values { ChildProcess.stop(instance.pid, signal: SIGTERM) }
            instances = [:]
            try? FileManager.default.removeItem(atPath: directory)
            return
        }

        var failovers: [Double] = []
        for round in 0...rounds {
            let (snapshot, _) = try await Self.first(follower, "3 candidates and a leader") {
                $0.state == .elected && $0.candidates.count == 3
            }
            let old = snapshot.leader!
            guard let leader = instances[old.hostname ?? ""] else {
                throw Failure("unknown leader \(old.hostname ?? "?")")
            }
            let began = ContinuousClock.now
            kill(leader.pid, SIGTERM)
            let (_, at) = try await Self.first(follower, "a new leader") {
                $0.leader.map { $0.epoch > old.epoch } == true
            }
            if round > 0 { failovers.append(Self.ms(at - began)) }
            ChildProcess.stop(leader.pid, signal: nil)
            try start(leader.name, mode: "leader", port: 5050 + Int(leader.name.dropFirst())!)
        }
        _ = try await Self.first(follower, "3 candidates") { $0.state == .elected && $0.candidates.count == 3 }

        // Idle cost of the follower and of a candidate.
        var idle: [(String, Double, Double)] = []
        for name in ["f1", "l1"] {
            let pid = instances[name]!.pid
            let before = try Self.cpuSeconds(pid)
            try await Task.sleep(for: .seconds(idleSeconds))
            let after = try Self.cpuSeconds(pid)
            idle.append((name, try Self.rssMiB(pid), (after - before) / Double(idleSeconds) * 100))
        }

        // One `herald leader` call as a whole process.
        var socketCalls: [Double] = []
        var zkCalls: [Double] = []
        let url = "zk://\(servers)/\(chroot)"
        for _ in 0..<calls {
            socketCalls.append(try Self.timed(herald, ["leader", "--socket", instances["f1"]!.socket]))
            zkCalls.append(try Self.timed(herald, ["leader", "--zk", url]))
        }

        var lines = [
            "# herald serve: failover, idle cost, CLI calls", "",
            "- Command: `\(command)`", "- Machine: \(Summary.machine)",
            "- Date: \(ISO8601DateFormatter().string(from: Date()))",
            "- 3 leader hosts + 1 follower as separate `herald serve` processes (release build), "
                + "3-server loopback ensemble, herald_session_timeout_ms 10000.", "",
            "| measure | median | p99 | min | max | runs |", "|---|---:|---:|---:|---:|---:|",
            Self.row("SIGTERM on the leader → new leader on the follower's socket", failovers, "ms"),
            Self.row("`herald leader --socket` (whole process)", socketCalls, "ms"),
            Self.row("`herald leader --zk` (whole process)", zkCalls, "ms"),
            "", "| idle instance | RSS | CPU over \(idleSeconds) s |", "|---|---:|---:|",
        ]
        for (name, rss, cpu) in idle {
            lines.append(
                "| \(name == "f1" ? "follower" : "leader host (candidate)") | \(String(format: "%.1f", rss)) MiB | \(String(format: "%.2f", cpu)) % |"
            )
        }
        if pauseRounds > 0 { lines += [""] + pauseReport(pause) }
        if let pauseCsv { try Self.csv(pause).write(toFile: pauseCsv, atomically: true, encoding: .utf8) }
        let report = lines.joined(separator: "\n") + "\n"
        print(report)
        if let out { try report.write(toFile: out, atomically: true, encoding: .utf8) }
        for instance in instances.values { ChildProcess.stop(instance.pid, signal: SIGTERM) }
        instances = [:]
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func first(
        _ client: DiscoveryClient, _ what: String, _ predicate: @escaping @Sendable (Snapshot) -> Bool
    ) async throws -> (Snapshot, ContinuousClock.Instant) {
        try await withThrowingTaskGroup(of: (Snapshot, ContinuousClock.Instant)?.self) { group in
            group.addTask {
                for await snapshot in client.updates() where predicate(snapshot) { return (snapshot, .now) }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                throw Failure("timed out waiting for \(what)")
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let value = result else { throw Failure("no \(what)") }
            return value
        }
    }

    static func ms(_ duration: Duration) -> Double { Summary.milliseconds(duration) }

    static func timed(_ executable: String, _ arguments: [String]) throws -> Double {
        let start = ContinuousClock.now
        let pid = try ChildProcess.spawn(executable, arguments, output: "/dev/null")
        ChildProcess.stop(pid, signal: nil)
        return ms(ContinuousClock.now - start)
    }

    static func cpuSeconds(_ pid: pid_t) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { throw Failure("bad /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // utime and stime are fields 14 and 15; after the command they are the 12th and 13th.
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func rssMiB(_ pid: pid_t) throws -> Double {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    static func row(_ name: String, _ values: [Double], _ unit: String) -> String {
        let summary = Summary(values)
        guard summary.count > 0 else { return "| \(name) | – | – | – | – | 0 |" }
        func f(_ v: Double) -> String { String(format: "%.1f", v) + " " + unit }
        return
            "| \(name) | \(f(summary.median)) | \(f(summary.p99)) | \(f(summary.min)) | \(f(summary.max)) | \(summary.count) |"
    }
}
