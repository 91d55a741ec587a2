import Discovery
import Foundation
import HeraldTestSupport
import Logging
import MesosLayout
import NIOConcurrencyHelpers
import Testing
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// One fault scenario: `herald serve` hosts, each in a network namespace of its own, on a fresh
/// chroot of the lab's ensemble, with everything they do recorded into one `FaultHistory`:
/// hook runs (stamped by the hooks themselves), every snapshot their sockets push (stamped on
/// receipt), process events and memory, the faults, and the ZooKeeper truth at the end.
///
/// `run` sets up, runs the body (which injects faults), waits for agreement, records the truth,
/// stops everything, counts the ephemeral nodes left, and judges the history. A failing history
/// is kept in its directory and printed; a passing one is removed.
final class Scenario: @unchecked Sendable {
    struct Host: Sendable {
        let name: String
        let index: Int
        let directory: String
        var socket: String { "\(directory)/\(name).sock" }
        var config: String { "\(directory)/\(name).yaml" }
        var log: String { "\(directory)/\(name).log" }
        var address: String { "10.77.2.\(index)" }
    }

    let name: String
    let directory: String
    let chroot: String
    let timeoutMs: Int
    let hosts: [Host]
    /// More configuration for every host (`herald_quorum: 1`, …).
    let extra: String
    /// Seconds every `on_demoted` hook sleeps between its two stamps ("" for none).
    let demotedPause: String
    /// RLIMIT_NOFILE (soft and hard) every host starts with, when set.
    let descriptorLimit: Int?
    private let state = NIOLockedValueBox(State())
    private let stamp: String

    private struct State {
        var events: [FaultHistory.Event] = []
        var pids: [String: pid_t] = [:]
        var recorders: [String: Task<Void, Never>] = [:]
        /// When each host was last started: older snapshots are its previous run's.
        var launched: [String: Int64] = [:]
        var frozen: Set<String> = []
    }

    var timeout: Duration { .milliseconds(timeoutMs) }
    var basePath: String { "/" + chroot }
    /// Herald's own path (`herald_zk_path`), beside the chroot.
    var heraldPath: String { "/" + chroot + "-herald" }

    private init(
        name: String, leaders: Int, followers: Int, timeoutMs: Int, extra: String, demotedPause: String,
        descriptorLimit: Int?
    ) throws {
        self.descriptorLimit = descriptorLimit
        self.name = name
        self.extra = extra
        self.demotedPause = demotedPause
        self.timeoutMs = timeoutMs
        let tag = UUID().uuidString.prefix(8).lowercased()
        directory = "/tmp/hf-\(name)-\(tag)"
        chroot = "herald-fault/\(name)-\(tag)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        stamp = try Monotonic.stampTool()
        let directory = directory
        hosts =
            (0..<leaders).map { Host(name: "l\($0 + 1)", index: 11 + $0, directory: directory) }
            + (0..<followers).map { Host(name: "f\($0 + 1)", index: 101 + $0, directory: directory) }
    }

    // MARK: Running a scenario

    /// Runs `body` on a fresh cluster `Lab.loops` times and judges each history with `rules`.
    static func run(
        _ name: String, leaders: Int = 3, followers: Int = 1, timeoutMs: Int = 2000,
        rules: (Scenario) -> FaultHistory.Rules = {
            FaultHistory.Rules(convergence: 3 * Int64($0.timeoutMs) * 1_000_000)
        },
        extra: String = "", demotedPause: String = "", descriptorLimit: Int? = nil,
        _ body: (Scenario) async throws -> Void
    ) async throws {
        for round in 1...Lab.loops {
            let scenario = try Scenario(
                name: name, leaders: leaders, followers: followers, timeoutMs: timeoutMs, extra: extra,
                demotedPause: demotedPause, descriptorLimit: descriptorLimit)
            let started = ContinuousClock.now
            var failure: (any Error)?
            do {
                try await scenario.start()
                try await scenario.agreement("the first leader")
                try await body(scenario)
                try await scenario.settle(within: .seconds(4 * timeoutMs / 1000 + 10))
                await scenario.checkHealth()
            } catch {
                failure = error
            }
            await scenario.stopAll()
            await scenario.countEphemerals()
            await scenario.removeHosts()
            let history = scenario.history
            let judged = rules(scenario)
            let violations = history.check(judged)
            let took = ContinuousClock.now - started
            let convergence = history.convergence(judged).map { "\($0 / 1_000_000) ms" } ?? "never"
            let held = (1...5).map { number in violations.contains { $0.invariant == number } ? "no" : "yes" }
            let line =
                "fault scenario \(name) round \(round): invariants 1-5 held: \(held.joined(separator: " ")); "
                + "worst convergence \(convergence); \(history.events.count) events; took \(took)"
                + (failure.map { "; failed: \($0)" } ?? "")
            print(line)
            Self.report(name: name, held: held, convergence: history.convergence(judged), took: took)
            let file = scenario.directory + "/history.log"
            try? history.text.write(toFile: file, atomically: true, encoding: .utf8)
            if failure == nil, violations.isEmpty {
                // HERALD_FAULT_KEEP=1 keeps every history, passing or not.
                if ProcessInfo.processInfo.environment["HERALD_FAULT_KEEP"] != "1" {
                    try? FileManager.default.removeItem(atPath: scenario.directory)
                }
                continue
            }
            for host in scenario.hosts {
                let log = (try? String(contentsOfFile: host.log, encoding: .utf8)) ?? ""
                print("---- \(host.name) log (last 3000 characters):\n\(log.suffix(3000))")
            }
            print("---- history kept in \(file)")
            for violation in violations {
                Issue.record("\(name) round \(round): invariant \(violation.invariant): \(violation.description)")
            }
            if let failure { throw failure }
        }
    }

    /// Appends one row per run to `HERALD_FAULT_REPORT` (tab-separated), for the suite's table.
    static func report(name: String, held: [String], convergence: Int64?, took: Duration) {
        guard let path = ProcessInfo.processInfo.environment["HERALD_FAULT_REPORT"], !path.isEmpty else { return }
        let row =
            ([name] + held + [convergence.map { "\($0 / 1_000_000)" } ?? "never", "\(took.components.seconds)"])
            .joined(separator: "\t") + "\n"
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { return }
        _ = row.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
        close(descriptor)
    }

    // MARK: Recording

    func record(_ host: String, _ kind: String, _ fields: [String: String] = [:], at time: Int64 = Monotonic.now()) {
        state.withLockedValue { $0.events.append(.init(time: time, host: host, kind: kind, fields: fields)) }
    }

    func fault(_ what: String) { record("test", "fault", ["what": what]) }
    func healed() { record("test", "heal") }

    /// The recorded events merged with the hooks' own stamp files.
    var history: FaultHistory {
        var events = state.withLockedValue { $0.events }
        for host in hosts {
            let text = (try? String(contentsOfFile: "\(directory)/hooks-\(host.name).log", encoding: .utf8)) ?? ""
            events += text.split(separator: "\n").compactMap { FaultHistory.Event(line: $0) }
        }
        return FaultHistory(events: events)
    }

    // MARK: Hosts

    private func yaml(_ host: Host, extra: String) throws -> String {
        let log = "\(directory)/hooks-\(host.name).log"
        func hook(_ event: String) -> String {
            let pause = event == "demoted" && !demotedPause.isEmpty ? "sleep \(demotedPause); " : ""
            return "'\(stamp) \(host.name) hook event=\(event) phase=start epoch=\"$HERALD_EPOCH\" >> \(log); \(pause)"
                + "\(stamp) \(host.name) hook event=\(event) phase=end epoch=\"$HERALD_EPOCH\" >> \(log)'"
        }
        return """
            mesos_mode: \(host.name.hasPrefix("l") ? "leader" : "follower")
            mesos_zk_hosts: \(try Lab.servers)
            mesos_zk_chroot: \(chroot)
            herald_zk_path: \(chroot)-herald
            mesos_leaders: [\(hosts.filter { $0.name.hasPrefix("l") }.map(\.name).joined(separator: ", "))]
            mesos_leader_port: 5050
            mesos_follower_port: 5051
            herald_hostname: \(host.name)
            herald_advertise_ip: \(host.address)
            herald_socket: \(host.socket)
            herald_metrics_listen: ""
            herald_session_timeout_ms: \(timeoutMs)
            herald_on_elected: \(hook("elected"))
            herald_on_demoted: \(hook("demoted"))
            herald_hook_timeout_ms: 20000
            mesos_logging_level: INFO
            \(extra)
            """
    }

    private func start() async throws {
        for host in hosts {
            try await Lab.run("host-add", host.name, "\(host.index)")
            try yaml(host, extra: extra).write(toFile: host.config, atomically: true, encoding: .utf8)
        }
        for host in hosts { try launch(host) }
        // Every host's resident set, once a second, for the memory bound.
        let sampler = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                for (name, pid) in self.state.withLockedValue({ $0.pids }) {
                    if let kib = Self.residentKiB(pid) { self.record(name, "rss", ["kb": "\(kib)"]) }
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        state.withLockedValue { $0.recorders["rss sampler"] = sampler }
    }

    /// Starts (or restarts) `host`'s `herald serve` in its namespace and records its socket.
    func launch(_ host: Host) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("herald").path
        // `ip netns exec` (and `prlimit`) exec: the pid is herald's own.
        var command = ["/usr/sbin/ip", "netns", "exec", "hf-\(host.name)", binary, "serve", "--config", host.config]
        if let descriptorLimit { command = ["/usr/bin/prlimit", "--nofile=\(descriptorLimit)"] + command }
        let pid = try ChildProcess.spawn(command[0], Array(command.dropFirst()), output: host.log)
        let now = Monotonic.now()
        record(host.name, "process", ["what": "started", "pid": "\(pid)"], at: now)
        state.withLockedValue { $0.launched[host.name] = now }
        let socket = host.socket
        let recorder = Task { [weak self] in
            let client = DiscoveryClient(socketPath: socket, timeout: .seconds(5))
            for await snapshot in client.updates(
                backoff: .init(initial: .milliseconds(20), maximum: .milliseconds(200)))
            {
                self?.record(host.name, "snapshot", Self.fields(snapshot))
            }
        }
        state.withLockedValue {
            $0.pids[host.name] = pid
            $0.recorders[host.name]?.cancel()
            $0.recorders[host.name] = recorder
        }
    }

    static func fields(_ snapshot: Snapshot) -> [String: String] {
        [
            "rev": "\(snapshot.revision)", "state": snapshot.state.rawValue,
            "leader": snapshot.leader?.hostname ?? "-", "epoch": snapshot.leader.map { "\($0.epoch)" } ?? "-",
            "stale": snapshot.stale ? "1" : "0", "role": snapshot.publisher.role.rawValue,
            "zk": snapshot.zookeeper.state, "server": snapshot.zookeeper.server ?? "-",
            // Whether this host's own node is among the candidates it shows.
            "own": snapshot.candidates.contains { $0.hostname == snapshot.publisher.hostname } ? "1" : "0",
        ]
    }

    func pid(_ host: Host) -> pid_t? { state.withLockedValue { $0.pids[host.name] } }

    func host(_ name: String) -> Host { hosts.first { $0.name == name }! }

    var leaderHosts: [Host] { hosts.filter { $0.name.hasPrefix("l") } }
    var followerHosts: [Host] { hosts.filter { $0.name.hasPrefix("f") } }

    // MARK: Faults

    func cut(_ host: Host, _ how: String = "both") async throws {
        fault("cut-\(how)-\(host.name)")
        try await Lab.run("cut", host.name, how)
    }

    func heal(_ host: Host) async throws {
        try await Lab.run("heal", host.name)
        healed()
    }

    func freeze(_ host: Host) {
        guard let pid = pid(host) else { return }
        kill(pid, SIGSTOP)
        record(host.name, "process", ["what": "frozen"])
        state.withLockedValue { _ = $0.frozen.insert(host.name) }
    }

    func thaw(_ host: Host) {
        guard let pid = pid(host) else { return }
        record(host.name, "process", ["what": "thawed"])
        kill(pid, SIGCONT)
        state.withLockedValue { _ = $0.frozen.remove(host.name) }
    }

    /// SIGKILL, reaped; the host stays down until `launch`.
    func killHost(_ host: Host) async {
        guard let pid = state.withLockedValue({ $0.pids.removeValue(forKey: host.name) }) else { return }
        kill(pid, SIGKILL)
        _ = await ChildProcess.reap(pid)
        record(host.name, "process", ["what": "killed"])
    }

    /// SIGTERM and reap: a graceful stop that must end with status 0 within 30 s; one that
    /// does not is recorded as hung (a violation of invariant 4) and SIGKILLed.
    func stopHost(_ host: Host) async {
        guard let pid = state.withLockedValue({ $0.pids.removeValue(forKey: host.name) }) else { return }
        kill(pid, SIGCONT)
        kill(pid, SIGTERM)
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await ChildProcess.reap(pid) }
            group.addTask {
                guard (try? await Task.sleep(for: .seconds(30))) != nil else { return nil }
                self.record(host.name, "alive", ["ok": "0", "why": "no-exit-30s-after-SIGTERM"])
                kill(pid, SIGKILL)
                return nil
            }
            var status: Int32 = -1
            for await result in group {
                if let result {
                    status = result
                    group.cancelAll()
                }
            }
            return status
        }
        record(host.name, "process", ["what": "stopped", "status": "\(status)"])
    }

    // MARK: Observing

    /// The newest snapshot `host`'s socket pushed since it was last started, as recorded.
    func latest(_ host: Host) -> FaultHistory.Event? {
        state.withLockedValue { state in
            let since = state.launched[host.name] ?? 0
            return state.events.last { $0.host == host.name && $0.kind == "snapshot" && $0.time >= since }
        }
    }

    /// Waits until `predicate` holds for the newest snapshot of `host`.
    @discardableResult
    func until(
        _ host: Host, within limit: Duration = .seconds(20), _ what: String,
        _ predicate: @escaping @Sendable (FaultHistory.Event) -> Bool
    ) async throws -> FaultHistory.Event {
        try await within(limit, "\(host.name): \(what)") { [self] in
            while true {
                if let snapshot = latest(host), predicate(snapshot) { return snapshot }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// Waits until every leader host's socket shows its own node among the candidates. Hosts
    /// agree on a leader as soon as a quorum is present, which may be before the last of them
    /// has created its node: whoever reads the group's order waits for this first.
    func everyCandidateIn(within limit: Duration = .seconds(30)) async throws {
        for host in leaderHosts {
            try await until(host, within: limit, "its own node among the candidates") { $0["own"] == "1" }
        }
    }

    /// Waits until every running host's socket shows the same leader, elected and not stale;
    /// returns that leader.
    @discardableResult
    func agreement(_ what: String, within limit: Duration = .seconds(30)) async throws -> Host {
        let name = try await within(limit, what) { [self] in
            while true {
                let running = state.withLockedValue { state in hosts.filter { state.pids[$0.name] != nil } }
                let newest = running.map { self.latest($0) }
                let leaders = Set(newest.map { $0?["leader"] ?? "-" })
                if leaders.count == 1, let leader = leaders.first, leader != "-",
                    newest.allSatisfy({ $0?["state"] == "elected" && $0?["stale"] == "0" })
                {
                    return leader
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        return host(name)
    }

    /// Waits until every running host's socket shows the leader ZooKeeper has (elected, not
    /// stale, same host and epoch), then records that truth. Throws if they do not agree in time.
    func settle(within limit: Duration) async throws {
        let required = extra.contains("herald_quorum: 1") ? 1 : leaderHosts.count / 2 + 1
        try await withClient(servers: try Lab.servers) { client in
            try await within(limit, "every socket agreeing with ZooKeeper") { [self] in
                while true {
                    let truth = try await Self.truth(client, basePath: basePath, required: required)
                    let running = state.withLockedValue { state in hosts.filter { state.pids[$0.name] != nil } }
                    let agree = running.allSatisfy { host in
                        guard let snapshot = latest(host) else { return false }
                        return snapshot["leader"] == truth.leader && snapshot["epoch"] == truth.epoch
                            && (truth.leader == "-" || (snapshot["state"] == "elected" && snapshot["stale"] == "0"))
                    }
                    if agree {
                        record("test", "truth", ["leader": truth.leader, "epoch": truth.epoch])
                        return
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    /// The leader as ZooKeeper has it: the lowest valid `json.info_` node (one that decodes as
    /// a MasterInfo, as Mesos reads it), if at least `required` valid ones are present.
    static func truth(
        _ client: ZooKeeperClient, basePath: String, required: Int
    ) async throws -> (leader: String, epoch: String) {
        let children = try await client.children(basePath).children
        let candidates = children.filter { $0.hasPrefix("json.info_") }
            .compactMap { name in Int(name.suffix(10)).map { (name, $0) } }.sorted { $0.1 < $1.1 }
        var valid: [(host: String, epoch: Int64)] = []
        for (name, _) in candidates {
            // Deleted meanwhile, or not a MasterInfo: not a candidate.
            guard let (data, stat) = try? await client.get(basePath + "/" + name),
                let info = try? MasterInfo.decode(data)
            else { continue }
            valid.append((info.hostname ?? "?", stat.czxid))
        }
        guard valid.count >= required, let lowest = valid.first else { return ("-", "-") }
        return (lowest.host, "\(lowest.epoch)")
    }

    /// Every running process answers a ping, and its resident set is recorded.
    func checkHealth() async {
        let running = state.withLockedValue { $0.pids }
        for host in hosts {
            guard let pid = running[host.name] else { continue }
            record(host.name, "rss", ["kb": "\(Self.residentKiB(pid) ?? -1)"])
            let answered: Bool
            do {
                try await DiscoveryClient(socketPath: host.socket, timeout: .seconds(2)).ping()
                answered = true
            } catch {
                answered = false
            }
            record(host.name, "alive", ["ok": answered && kill(pid, 0) == 0 ? "1" : "0"])
        }
    }

    static func residentKiB(_ pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }

    private func stopAll() async {
        for host in hosts { await stopHost(host) }
        let recorders = state.withLockedValue { Array($0.recorders.values) }
        for recorder in recorders { recorder.cancel() }
    }

    /// Ephemeral nodes left under the chroot and Herald's path once every process stopped: killed processes' sessions
    /// expire within a session timeout, so this waits that long (plus a margin) for zero.
    private func countEphemerals() async {
        let deadline = ContinuousClock.now + timeout * 2 + .seconds(2)
        var left: [String] = []
        repeat {
            left =
                (try? await withClient(servers: try Lab.servers) {
                    try await Self.ephemerals(under: basePath, $0) + Self.ephemerals(under: heraldPath, $0)
                })
                ?? ["(could not read the chroot)"]
            if left.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < deadline
        var fields = ["count": "\(left.count)"]
        if !left.isEmpty { fields["paths"] = left.joined(separator: ",") }
        record("test", "ephemerals", fields)
    }

    static func ephemerals(under path: String, _ client: ZooKeeperClient) async throws -> [String] {
        guard let stat = try await client.exists(path) else { return [] }
        var found = stat.isEphemeral ? [path] : []
        for child in try await client.children(path).children {
            found += try await ephemerals(under: path + "/" + child, client)
        }
        return found
    }

    private func removeHosts() async {
        for host in hosts { _ = try? await Lab.run("host-del", host.name) }
    }
}
