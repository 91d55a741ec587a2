import Discovery
import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The lease where users see it (DESIGN.md "One lease clock"): the sockets and the hooks of real
/// `herald serve` processes on the shared ensemble, under the faults that used to break it.
///
/// Each scenario runs `HERALD_LEASE_LOOPS` times in a row (2 by default; 30 for a release).
@Suite("The lease, end to end", .serialized, .timeLimit(.minutes(30)))
struct LeaseTests {
    static let timeoutMs = 2000
    static let timeout = Duration.milliseconds(timeoutMs)
    static let loops = max(1, Int(ProcessInfo.processInfo.environment["HERALD_LEASE_LOOPS"] ?? "") ?? 2)

    /// A snapshot as a consumer received it, with the CLOCK_MONOTONIC time of receipt.
    struct Received: Sendable {
        var time: Int64
        var snapshot: Snapshot
        var how: String
    }

    /// Watches a socket from now on and keeps everything it pushes.
    final class SocketRecorder: Sendable {
        let records = NIOLockedValueBox<[Received]>([])
        private let task: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)

        init(socket: String) {
            let client = DiscoveryClient(socketPath: socket, timeout: .seconds(30))
            let records = records
            task.withLockedValue {
                $0 = Task {
                    for await snapshot in client.updates() {
                        records.withLockedValue {
                            $0.append(Received(time: Monotonic.now(), snapshot: snapshot, how: "watch"))
                        }
                    }
                }
            }
        }

        func waitForFirst() async throws {
            try await within(.seconds(10), "the first pushed snapshot") { [records] in
                while records.withLockedValue({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
            }
        }

        func stop() -> [Received] {
            task.withLockedValue { $0?.cancel() }
            return records.withLockedValue { $0 }
        }
    }

    /// `get` on `socket` as fast as it answers, for `duration`: what a script polling the socket
    /// right after a resume would be told.
    static func poll(_ socket: String, for duration: Duration) async -> [Received] {
        let client = DiscoveryClient(socketPath: socket, timeout: .seconds(5))
        let end = ContinuousClock.now + duration
        var received: [Received] = []
        while ContinuousClock.now < end {
            if let snapshot = try? await client.current() {
                received.append(Received(time: Monotonic.now(), snapshot: snapshot, how: "get"))
            }
        }
        return received
    }

    /// Whether `snapshot`, served by `host`, tells a consumer that `host` leads.
    static func claimsToLead(_ snapshot: Snapshot, host: String) -> Bool {
        (snapshot.leader?.hostname == host && !snapshot.stale) || snapshot.publisher.role == .leader
    }

    /// Hook lines for every instance: `<ns> elected|demoted NAME EPOCH` in `<directory>/hooks-NAME.log`.
    static func hooks(
        _ name: String, directory: String, stamp: String, elected: String = "", demoted: String = ""
    ) -> String {
        let log = "\(directory)/hooks-\(name).log"
        return """
            herald_on_elected: '\(stamp) elected \(name) "$HERALD_EPOCH" >> \(log)\(elected)'
            herald_on_demoted: '\(stamp) demoted \(name) "$HERALD_EPOCH" >> \(log)\(demoted)'
            herald_hook_timeout_ms: 20000
            """
    }

    static func history(_ directory: String) -> LeadershipHistory {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("hooks-") }.map { "\(directory)/\($0)" }
        return LeadershipHistory(files: files)
    }

    static func waitForStamp(
        _ directory: String, _ host: String, _ event: String, after: Int64 = 0, within limit: Duration = .seconds(10)
    ) async throws -> LeadershipHistory.Stamp {
        try await within(limit, "\(host)'s on_\(event) hook") {
            while true {
                if let stamp = history(directory).of(host, event).first(where: { $0.time >= after }) { return stamp }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    static func withDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = "/tmp/hl-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            let result = try await body(directory)
            try? FileManager.default.removeItem(atPath: directory)
            return result
        } catch {
            print(
                "---- hook history in \(directory):\n\(history(directory).stamps.map { "\($0)" }.joined(separator: "\n"))"
            )
            throw error
        }
    }

    static func sleep(until monotonic: Int64) async throws {
        let left = monotonic - Monotonic.now()
        if left > 0 { try await Task.sleep(for: .nanoseconds(left)) }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    @Test(
        "SIGSTOP the leader past the session timeout, then SIGCONT: its socket never shows it leading; on_demoted within 200 ms"
    )
    func frozenLeader() async throws {
        let stamp = try Monotonic.stampTool()
        for round in 1...Self.loops {
            try await Self.withDirectory { directory in
                try await ServeTests.withCluster(leaders: 3, followers: 1, sessionTimeoutMs: Self.timeoutMs) { name in
                    Self.hooks(name, directory: directory, stamp: stamp)
                } _: { leaders, followers in
                    let (elected, _) = try await ServeTests.snapshot(followers[0], "a leader of three") {
                        $0.state == .elected && $0.candidates.count == 3
                    }
                    let leader = try #require(leaders.first { $0.name == elected.leader?.hostname })
                    _ = try await ServeTests.snapshot(leader, "\(leader.name) leads on its own socket") {
                        $0.publisher.role == .leader
                    }
                    _ = try await Self.waitForStamp(directory, leader.name, "elected")
                    let recorder = SocketRecorder(socket: leader.socket)
                    try await recorder.waitForFirst()

                    kill(leader.pid, SIGSTOP)
                    let stoppedAt = Monotonic.now()
                    _ = try await ServeTests.snapshot(followers[0], within: .seconds(15), "another leader") {
                        $0.state == .elected && $0.leader?.hostname != leader.name
                    }
                    try await Self.sleep(until: stoppedAt + 3 * Self.nanoseconds(Self.timeout))
                    let resumedAt = Monotonic.now()
                    kill(leader.pid, SIGCONT)
                    let polled = await Self.poll(leader.socket, for: .milliseconds(1500))
                    let demoted = try await Self.waitForStamp(directory, leader.name, "demoted", after: resumedAt)
                    _ = try await ServeTests.snapshot(leader, "\(leader.name) sees the new leader") {
                        $0.state == .elected && $0.leader?.hostname != leader.name
                    }
                    let received = recorder.stop().filter { $0.time >= resumedAt } + polled
                    #expect(!received.isEmpty, "round \(round): the resumed socket answered")
                    for item in received where Self.claimsToLead(item.snapshot, host: leader.name) {
                        Issue.record(
                            """
                            round \(round): \(leader.name)'s socket (\(item.how)) claimed it leads \
                            \((item.time - resumedAt) / 1_000_000) ms after SIGCONT: state \(item.snapshot.state), \
                            leader \(item.snapshot.leader?.hostname ?? "none"), stale \(item.snapshot.stale), \
                            role \(item.snapshot.publisher.role), revision \(item.snapshot.revision)
                            """)
                    }
                    let delay = (demoted.time - resumedAt) / 1_000_000
                    #expect(delay <= 200, "round \(round): on_demoted started \(delay) ms after SIGCONT")
                    #expect(
                        Self.history(directory).of(leader.name, "elected").count == 1,
                        "round \(round): no second on_elected on the resumed host")
                    print(
                        "lease round \(round): on_demoted \(delay) ms after SIGCONT, \(received.count) snapshots judged"
                    )
                }
            }
        }
    }

    @Test("SIGSTOP the second in line, SIGTERM the leader, SIGCONT: no on_elected on the stale view, no overlap")
    func frozenSuccessor() async throws {
        let stamp = try Monotonic.stampTool()
        for round in 1...Self.loops {
            try await Self.withDirectory { directory in
                try await ServeTests.withCluster(leaders: 3, followers: 1, sessionTimeoutMs: Self.timeoutMs) { name in
                    Self.hooks(name, directory: directory, stamp: stamp) + "\nherald_quorum: 1"
                } _: { leaders, followers in
                    let (first, _) = try await ServeTests.snapshot(followers[0], "a leader of three") {
                        $0.state == .elected && $0.candidates.count == 3
                    }
                    let order = first.candidates.compactMap(\.hostname)
                    let leader = try #require(leaders.first { $0.name == order[0] })
                    let second = try #require(leaders.first { $0.name == order[1] })
                    let third = try #require(leaders.first { $0.name == order[2] })
                    // The second in line knows the group and watches its predecessor.
                    _ = try await ServeTests.snapshot(second, "\(second.name) sees three candidates") {
                        $0.state == .elected && $0.candidates.count == 3 && $0.publisher.role == .candidate
                    }
                    _ = try await Self.waitForStamp(directory, leader.name, "elected")

                    kill(second.pid, SIGSTOP)
                    let stoppedAt = Monotonic.now()
                    #expect(await leader.stop(SIGTERM) == 0)
                    _ = try await ServeTests.snapshot(followers[0], within: .seconds(15), "\(third.name) elected") {
                        $0.state == .elected && $0.leader?.hostname == third.name
                    }
                    let thirdElected = try await Self.waitForStamp(directory, third.name, "elected")
                    try await Self.sleep(until: max(stoppedAt + 4_000_000_000, thirdElected.time + 1_000_000_000))
                    let resumedAt = Monotonic.now()
                    kill(second.pid, SIGCONT)
                    // It comes back with a new session and a new node, behind the third.
                    _ = try await ServeTests.snapshot(second, within: .seconds(15), "\(second.name) back, behind") {
                        $0.state == .elected && $0.leader?.hostname == third.name && $0.candidates.count == 2
                            && $0.publisher.role == .candidate
                    }
                    let history = Self.history(directory)
                    #expect(
                        history.of(second.name, "elected").isEmpty,
                        "round \(round): \(second.name) ran on_elected \(history.of(second.name, "elected").map { ($0.time - resumedAt) / 1_000_000 }) ms after SIGCONT"
                    )
                    for (a, b) in history.overlaps {
                        Issue.record("round \(round): two hosts held leadership at once: \(a) and \(b)")
                    }
                    print(
                        "lease round \(round): successor resumed \((resumedAt - thirdElected.time) / 1_000_000) ms after \(third.name) was elected; no stale election"
                    )
                }
            }
        }
    }

    @Test("SIGTERM while on_elected runs: on_demoted still runs and the hook's process group is gone")
    func shutdownDuringElectedHook() async throws {
        let stamp = try Monotonic.stampTool()
        for round in 1...Self.loops {
            try await Self.withDirectory { directory in
                try await ServeTests.withCluster(leaders: 1, followers: 0, sessionTimeoutMs: Self.timeoutMs) { name in
                    Self.hooks(
                        name, directory: directory, stamp: stamp,
                        elected: "; echo $$ > \(directory)/pgid; sleep 30 & sleep 5") + "\nherald_quorum: 1"
                } _: { leaders, _ in
                    let leader = leaders[0]
                    let pgidFile = "\(directory)/pgid"
                    let pgid = try await within(.seconds(15), "on_elected to start") {
                        while true {
                            if let text = try? String(contentsOfFile: pgidFile, encoding: .utf8),
                                let pgid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
                            {
                                return pgid
                            }
                            try await Task.sleep(for: .milliseconds(10))
                        }
                    }
                    let status = await leader.stop(SIGTERM)
                    #expect(status == 0, "round \(round): herald serve exit status")
                    let history = Self.history(directory)
                    #expect(history.of(leader.name, "demoted").count == 1, "round \(round): on_demoted ran once")
                    // Killed members linger as zombies until the machine's init reaps them, and
                    // a zombie still answers kill(-pgid, 0): wait, bounded, for the group to go.
                    let gone = try? await within(.seconds(10), "the hook's process group to be gone") {
                        while kill(-pgid, 0) == 0 || errno != ESRCH { try await Task.sleep(for: .milliseconds(20)) }
                        return true
                    }
                    #expect(gone == true, "round \(round): the on_elected hook's process group \(pgid) is still there")
                }
            }
        }
    }

    @Test("an unresolvable ZooKeeper host: herald serve keeps running, reports it, and SIGTERM still ends it")
    func unresolvableHost() async throws {
        for _ in 1...Self.loops { try await unresolvableHostOnce() }
    }

    func unresolvableHostOnce() async throws {
        let directory = "/tmp/hl-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let instance = try ServeTests.Instance(
            name: "f1", directory: directory,
            yaml: """
                mesos_mode: follower
                mesos_zk_hosts: herald-no-such-host.invalid:2181
                herald_hostname: f1
                herald_advertise_ip: 127.0.0.1
                herald_socket: \(directory)/f1.sock
                herald_metrics_listen: ""
                herald_session_timeout_ms: 2000
                mesos_logging_level: INFO
                """)
        defer { kill(instance.pid, SIGKILL) }
        // A follower host's one session is the election's (the follower registration shares it).
        try await within(.seconds(20), "the session to be retried twice") {
            while instance.output.components(separatedBy: "cannot start a ZooKeeper session").count < 3 {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        errno = 0
        #expect(kill(instance.pid, 0) == 0, "herald serve is still running")
        let snapshot = try await DiscoveryClient(socketPath: instance.socket, timeout: .seconds(5)).current()
        #expect(snapshot.state == .disconnected)
        #expect(instance.output.contains("cannot start a ZooKeeper session"))
        #expect(await instance.stop(SIGTERM) == 0, "SIGTERM ends it with status 0:\n\(instance.output.suffix(2000))")
    }
}
