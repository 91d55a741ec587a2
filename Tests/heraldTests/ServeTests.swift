import Discovery
import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `herald serve` end to end: separate processes on the real shared ensemble, each test under its
/// own chroot, observed through the follower sockets as a consumer would.
@Suite("herald serve", .serialized, .timeLimit(.minutes(3)))
struct ServeTests {
    /// One `herald serve` process.
    typealias Instance = HeraldProcess

    /// Five instances (three leader hosts, two followers) on a fresh chroot; stopped afterwards.
    static func withCluster<T>(
        leaders: Int = 3, followers: Int = 2, sessionTimeoutMs: Int = 3000, extra: (String) -> String = { _ in "" },
        _ body: ([Instance], [Instance]) async throws -> T
    ) async throws -> T {
        let servers = try TestEnsemble.servers
        let directory = "/tmp/hs-\(UUID().uuidString.prefix(6).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let chroot = "herald-test-serve/\(UUID().uuidString.prefix(8).lowercased())"
        func yaml(_ name: String, mode: String, port: Int) -> String {
            let more = extra(name)
            let metrics = more.contains("herald_metrics_listen") ? "" : "herald_metrics_listen: \"\""
            return """
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
                \(metrics)
                herald_session_timeout_ms: \(sessionTimeoutMs)
                mesos_logging_level: INFO
                \(more)
                """
        }
        var leaderInstances: [Instance] = []
        var followerInstances: [Instance] = []
        defer {
            for instance in leaderInstances + followerInstances { kill(instance.pid, SIGKILL) }
        }
        do {
            for index in 1...max(leaders, 1) where leaders > 0 {
                leaderInstances.append(
                    try Instance(
                        name: "l\(index)", directory: directory,
                        yaml: yaml("l\(index)", mode: "leader", port: 5050 + index)))
            }
            for index in 1...max(followers, 1) where followers > 0 {
                followerInstances.append(
                    try Instance(
                        name: "f\(index)", directory: directory,
                        yaml: yaml("f\(index)", mode: "follower", port: 5060 + index)))
            }
            let result = try await body(leaderInstances, followerInstances)
            for instance in leaderInstances + followerInstances { await instance.stop(SIGKILL) }
            try? FileManager.default.removeItem(atPath: directory)
            return result
        } catch {
            for instance in leaderInstances + followerInstances {
                await instance.stop(SIGKILL)
                print("---- \(instance.name) log:\n\(instance.output.suffix(3000))")
            }
            throw error
        }
    }

    /// The first snapshot on `instance`'s socket that satisfies `predicate`, within `limit`.
    static func snapshot(
        _ instance: Instance, within limit: Duration = .seconds(20), _ what: String,
        _ predicate: @escaping @Sendable (Snapshot) -> Bool
    ) async throws -> (Snapshot, ContinuousClock.Instant) {
        let client = DiscoveryClient(socketPath: instance.socket, timeout: .seconds(5))
        return try await within(limit, "\(instance.name): \(what)") {
            for await snapshot in client.updates() where predicate(snapshot) { return (snapshot, .now) }
            throw SetupError("the updates of \(instance.name) ended")
        }
    }

    @Test("five processes: one leader, reported by every follower socket with its DNS names")
    func agreement() async throws {
        // f1 reads the follower list (herald_follower_list: true); f2, a follower host with no
        // use for it, only registers, on the election's session.
        try await Self.withCluster { name in
            name == "f1" ? "herald_follower_list: true" : ""
        } _: { leaders, followers in
            var seen: [Snapshot.Member] = []
            for follower in followers {
                let lists = follower.name == "f1"
                let (snapshot, _) = try await Self.snapshot(follower, "a leader, 3 candidates, 2 followers") {
                    $0.state == .elected && $0.candidates.count == 3
                        && (lists ? $0.dns["follower.mesos.service.consul"]?.count == 2 : true)
                }
                seen.append(snapshot.leader!)
                #expect(snapshot.quorum == .init(required: 2, present: 3))
                #expect(snapshot.publisher.role == .observer)
                #expect(
                    snapshot.dns["leader.mesos.service.consul"] == [.init(ip: "127.0.0.1", port: snapshot.leader!.port)]
                )
                #expect(snapshot.dns["follower.mesos.service.consul"]?.count == (lists ? 2 : nil))
                #expect(snapshot.dns["master.mesos.service.consul"]?.count == 3)
            }
            // One ZooKeeper session per follower host; a leader host keeps its election's apart.
            let ensemblePorts = Set(
                try TestEnsemble.servers.split(separator: ",").compactMap {
                    $0.split(separator: ":").last.flatMap { Int($0) }
                })
            let followerPorts = try await followers[1].establishedRemotePorts()
            let leaderPorts = try await leaders[0].establishedRemotePorts()
            #expect(followerPorts.filter(ensemblePorts.contains).count == 1, "f2's connections: \(followerPorts)")
            #expect(leaderPorts.filter(ensemblePorts.contains).count == 2, "l1's connections: \(leaderPorts)")
            #expect(Set(seen).count == 1, "the followers agree: \(seen.map(\.hostname))")
            let leaderName = try #require(seen.first?.hostname)
            for leader in leaders {
                let (own, _) = try await Self.snapshot(leader, "its own view, with the followers") {
                    $0.state == .elected && $0.dns["follower.mesos.service.consul"]?.count == 2
                }
                #expect(own.leader?.hostname == leaderName)
                #expect(own.publisher.role == (leader.name == leaderName ? .leader : .candidate))
            }
            // `herald status` sees the same, plus what only ZooKeeper knows.
            let status = try await ChildProcess.run(
                CommandLineTests.binary.path, ["status", "--config", followers[0].directory + "/f1.yaml", "--json"])
            #expect(status.status == 0, "\(status.output)")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
            #expect(report["followers"] as? [String] == ["f1", "f2"])
            let snapshot = report["snapshot"] as? [String: Any]
            #expect((snapshot?["leader"] as? [String: Any])?["hostname"] as? String == leaderName)
            let modes = (report["servers"] as? [[String: Any]])?.compactMap { $0["mode"] as? String } ?? []
            #expect(modes.count == 3 && modes.filter { $0 == "leader" }.count == 1, "server modes: \(modes)")
            let mode = try #require(
                FileManager.default.attributesOfItem(atPath: followers[0].socket)[.posixPermissions] as? Int)
            #expect(mode == 0o660)
        }
    }

    @Test("SIGTERM on the leader: a new leader on every follower socket well under the session timeout; exit 0")
    func gracefulFailover() async throws {
        try await Self.withCluster { leaders, followers in
            let (first, _) = try await Self.snapshot(followers[0], "a leader") {
                $0.state == .elected && $0.candidates.count == 3
            }
            let old = try #require(first.leader)
            let leader = try #require(leaders.first { $0.name == old.hostname })
            let start = ContinuousClock.now
            async let status = leader.stop(SIGTERM)
            var waits: [Duration] = []
            for follower in followers {
                let (_, at) = try await Self.snapshot(follower, "a new leader") {
                    $0.leader.map { $0.epoch > old.epoch } == true
                }
                waits.append(at - start)
            }
            let code = await status
            #expect(
                code == 0,
                "herald serve exits 0 after SIGTERM (status \(code.map(String.init) ?? "none")); its log: \(leader.output.suffix(3000))"
            )
            #expect(waits.allSatisfy { $0 < .milliseconds(1500) }, "failover seen after \(waits) (session timeout 3 s)")
            #expect(!FileManager.default.fileExists(atPath: leader.socket), "the socket file is removed")
        }
    }

    @Test("SIGKILL on the leader: a new leader only after the session timeout")
    func crashFailover() async throws {
        try await Self.withCluster(followers: 1) { leaders, followers in
            let (first, _) = try await Self.snapshot(followers[0], "a leader") {
                $0.state == .elected && $0.candidates.count == 3
            }
            let old = try #require(first.leader)
            let leader = try #require(leaders.first { $0.name == old.hostname })
            let start = ContinuousClock.now
            await leader.stop(SIGKILL)
            let (next, at) = try await Self.snapshot(followers[0], "a new leader") {
                $0.leader.map { $0.epoch > old.epoch } == true
            }
            #expect(at - start >= .milliseconds(2000), "not before the session expired (3 s): \(at - start)")
            #expect(next.leader?.hostname != old.hostname)
        }
    }

    @Test("a configuration error exits 2 with its one line, before any ZooKeeper connection")
    func configurationError() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-serve-\(UUID()).yml").path
        try "mesos_mode: leader\nmesos_zk_hosts: [127.0.0.1:1]\nherald_session_timeout_ms: 5\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await ChildProcess.run(CommandLineTests.binary.path, ["serve", "--config", path])
        #expect(result.status == 2)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1, "\(result.output)")
        #expect(lines.first?.contains("herald_session_timeout_ms") == true)
        #expect(!result.output.contains("ZooKeeper]"), "no ZooKeeper client started")
    }

    @Test("ZooKeeper unreachable: the socket answers disconnected, the service stays up, SIGTERM still ends it")
    func unreachable() async throws {
        let directory = "/tmp/hs-\(UUID().uuidString.prefix(6).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let instance = try Instance(
            name: "lone", directory: directory,
            yaml: """
                mesos_mode: leader
                mesos_zk_hosts: [127.0.0.1:1]
                herald_socket: \(directory)/lone.sock
                herald_metrics_listen: ""
                herald_hostname: lone
                herald_advertise_ip: 127.0.0.1
                herald_session_timeout_ms: 2000
                """)
        do {
            let (snapshot, _) = try await Self.snapshot(instance, "a disconnected snapshot") { _ in true }
            #expect(snapshot.state == .disconnected)
            #expect(snapshot.leader == nil)
            #expect(snapshot.zookeeper.state == "connecting")
            // Still serving after a few session timeouts.
            try await Task.sleep(for: .seconds(5))
            let again = try await DiscoveryClient(socketPath: instance.socket).current()
            #expect(again.state == .disconnected)
            let start = ContinuousClock.now
            let status = await instance.stop(SIGTERM)
            #expect(status == 0)
            #expect(ContinuousClock.now - start < .seconds(10), "a bounded shutdown without ZooKeeper")
        } catch {
            await instance.stop(SIGKILL)
            print(instance.output.suffix(3000))
            throw error
        }
    }

    /// `GET path` on 127.0.0.1:`port`, the whole response as text.
    static func httpGet(port: Int, path: String) throws -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SetupError("socket failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw SetupError("cannot connect to 127.0.0.1:\(port)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    @Test(
        "hooks run in order with the leader in their environment; a hanging hook is killed and the next runs; metrics are scraped"
    )
    func hooksAndMetrics() async throws {
        let port = 19_000 + Int.random(in: 0..<900)
        try await Self.withCluster(followers: 1) { name in
            name == "f1"
                ? """
                herald_on_leader_change: 'echo "$HERALD_LEADER_HOSTNAME $HERALD_STATE" >> /tmp/hs-hooks-\(port); sleep 30'
                herald_hook_timeout_ms: 400
                herald_metrics_listen: 127.0.0.1:\(port)
                """ : ""
        } _: { leaders, followers in
            let hookFile = "/tmp/hs-hooks-\(port)"
            defer { unlink(hookFile) }
            let (first, _) = try await Self.snapshot(followers[0], "a leader") {
                $0.state == .elected && $0.candidates.count == 3
            }
            let old = try #require(first.leader)
            let leader = try #require(leaders.first { $0.name == old.hostname })
            await leader.stop(SIGTERM)
            let (second, _) = try await Self.snapshot(followers[0], "the next leader") {
                $0.leader.map { $0.epoch > old.epoch } == true
            }
            // The first hook hangs until its timeout; the next one still runs after it.
            let expected = ["\(old.hostname ?? "") elected", "\(second.leader?.hostname ?? "") elected"]
            try await within(.seconds(10), "both hooks to run") {
                while true {
                    let lines = ((try? String(contentsOfFile: hookFile, encoding: .utf8)) ?? "").split(separator: "\n")
                    if lines.count >= 2 { return }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let lines = try String(contentsOfFile: hookFile, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(Array(lines.prefix(2)) == expected, "hook lines in order: \(lines)")
            #expect(followers[0].output.contains("timed out"), "the hanging hook's kill is logged")

            let scrape = try Self.httpGet(port: port, path: "/metrics")
            #expect(scrape.hasPrefix("HTTP/1.1 200"))
            #expect(scrape.contains("herald_leader_changes_total"))
            #expect(scrape.contains("herald_quorum_required 2"))
            #expect(scrape.contains("herald_zookeeper_request_duration_seconds_count"))
            #expect(scrape.contains("herald_published_revisions_total"))
            #expect(try Self.httpGet(port: port, path: "/nope").hasPrefix("HTTP/1.1 404"))
        }
    }

    @Test("a second SIGTERM ends a slow graceful shutdown at once")
    func secondSignal() async throws {
        try await Self.withCluster(leaders: 2, followers: 1) { name in
            name == "f1" ? "herald_on_leader_change: 'sleep 60'\nherald_hook_timeout_ms: 120000" : ""
        } _: { _, followers in
            _ = try await Self.snapshot(followers[0], "a leader") { $0.state == .elected }
            let follower = followers[0]
            // The hook now hangs; a graceful shutdown lets a running hook finish.
            let start = ContinuousClock.now
            await follower.stop(SIGTERM, wait: false)
            try await Task.sleep(for: .milliseconds(300))
            let status = await follower.stop(SIGTERM)
            #expect(status == 128 + SIGTERM, "ended by the second signal")
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test("Deploy/dev-cluster: up elects one leader that both followers report; status agrees; down leaves nothing")
    func devCluster() async throws {
        let script = TestEnsemble.packageRoot.appendingPathComponent("Deploy/dev-cluster").path
        let directory = "/tmp/hdc-\(UUID().uuidString.prefix(6).lowercased())"
        let environment = [
            "HERALD_BIN": CommandLineTests.binary.path, "HERALD_DEV_DIR": directory,
            "HERALD_DEV_ZK_BASE_PORT": "21990", "HERALD_DEV_METRICS_BASE_PORT": "",
        ]
        defer {
            _ = try? FileManager.default.removeItem(atPath: directory)
        }
        do {
            let up = try await ChildProcess.run(script, ["up"], environment: environment)
            #expect(up.status == 0, "\(up.output)")
            let seen = up.output.split(separator: "\n").filter { $0.contains(" sees leader ") }
            #expect(seen.count == 2, "\(up.output)")
            let leaders = Set(seen.map { $0.split(separator: " ")[3] })
            #expect(leaders.count == 1, "both followers report the same leader: \(seen)")
            #expect(up.output.contains("leader.mesos.service.consul 127.0.0.1:505"))
            let status = try await ChildProcess.run(script, ["status"], environment: environment)
            #expect(status.status == 0, "\(status.output)")
        } catch {
            _ = try? await ChildProcess.run(script, ["down"], environment: environment)
            throw error
        }
        let down = try await ChildProcess.run(script, ["down"], environment: environment)
        #expect(down.status == 0, "\(down.output)")
        let left = try await ChildProcess.run("/usr/bin/pgrep", ["-f", directory])
        #expect(left.status == 1, "nothing left running: \(left.output)")
    }
}
