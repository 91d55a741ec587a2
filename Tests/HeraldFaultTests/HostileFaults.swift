import Discovery
import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers
import Testing
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

extension FaultSuite {
    // MARK: Hostile input

    @Test("hostile: a 1 MB and a malformed json.info_ and a foreign numbered child; two leaders stop, then return")
    func hostileNodes() async throws {
        try await Scenario.run("hostile-nodes") { scenario in
            let leader = try await scenario.agreement("a leader")
            scenario.fault("foreign-nodes")
            try await withClient(servers: try Lab.servers) { client in
                let base = scenario.basePath
                // A valid MasterInfo can never be this large: 1,000,000 bytes of JSON-looking noise.
                let huge = Array(("{\"hostname\":\"" + String(repeating: "x", count: 999_980) + "\"}").utf8)
                _ = try await client.create(base + "/json.info_", data: huge, mode: .persistentSequential)
                _ = try await client.create(
                    base + "/json.info_", data: Array("{\"not json".utf8), mode: .persistentSequential)
                _ = try await client.create(base + "/foreign_", data: [], mode: .persistentSequential)
            }
            // Two of three valid candidates leave: with the quorum at 2, the remaining one must not
            // count the foreign nodes as candidates, and every socket says no quorum.
            let others = scenario.leaderHosts.filter { $0.name != leader.name }
            let leaving = [leader, others[0]]
            for host in leaving { await scenario.stopHost(host) }
            for host in scenario.hosts where !leaving.contains(where: { $0.name == host.name }) {
                try await scenario.until(host, within: scenario.timeout * 3, "no leader with one valid candidate") {
                    $0["leader"] == "-"
                }
            }
            for host in leaving { try scenario.launch(host) }
            scenario.healed()
        }
    }

    @Test("hostile: someone deletes Herald's follower directory; the follower registers again")
    func bookkeepingDeleted() async throws {
        try await Scenario.run("bookkeeping-deleted") { scenario in
            try await scenario.agreement("a leader")
            let directory = scenario.heraldPath
            try await withClient(servers: try Lab.servers) { client in
                try await within(.seconds(20), "the follower registered") {
                    while try await client.exists(directory + "/followers/f1") == nil {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                scenario.fault("delete-\(directory)")
                try await Self.deleteRecursively(directory, client)
                scenario.healed()
                try await within(.seconds(20), "the follower registered again") {
                    while try await client.exists(directory + "/followers/f1") == nil {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
        }
    }

    /// Deletes `path` and everything below it, as a hostile operator would, again and again while
    /// Herald makes its nodes again in between (a registration re-made between the delete of the
    /// last child and the delete of the parent makes ZooKeeper refuse that with ZNOTEMPTY).
    static func deleteRecursively(_ path: String, _ client: ZooKeeperClient) async throws {
        for attempt in 1...100 {
            for child in (try? await client.children(path).children) ?? [] {
                try await deleteRecursively(path + "/" + child, client)
            }
            do {
                try await client.delete(path)
                return
            } catch let error as ZooKeeperError where error.code == .noNode {
                return
            } catch let error as ZooKeeperError where error.code == .notEmpty && attempt < 100 {
                continue
            }
        }
    }

    @Test("hostile: the chroot's ACL becomes read-only while Herald runs; a restarted host waits, then recovers")
    func aclChanged() async throws {
        try await Scenario.run("acl-changed") { scenario in
            let leader = try await scenario.agreement("a leader")
            // Every host in the group before the ACL forbids creating nodes: a successor is needed.
            try await scenario.everyCandidateIn()
            try await withClient(servers: try Lab.servers) { client in
                let (acl, _) = try await client.getACL(scenario.basePath)
                scenario.fault("acl-read-only")
                // Read (and admin, so that the test can restore it): no one may create or delete.
                try await client.setACL(scenario.basePath, acl: [.world([.read, .admin])])
                // The leader leaves (its node cannot be deleted now: it goes with its session) and
                // comes back, but cannot create a node while the ACL forbids it.
                await scenario.stopHost(leader)
                try scenario.launch(leader)
                try await scenario.until(leader, within: scenario.timeout * 3, "the restarted host serves its socket") {
                    $0["state"] == "elected" && $0["leader"] != leader.name
                }
                #expect(scenario.latest(leader)?["role"] != "leader")
                try await client.setACL(scenario.basePath, acl: acl)
                scenario.healed()
                try await within(.seconds(30), "the restarted host's node, once the ACL allows it") {
                    while try await !Self.candidateOrder(scenario).contains(leader.name) {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
        }
    }

    @Test(
        "hostile: garbage, half lines and huge lines from 500 clients at once; a failover still reaches every watcher")
    func socketGarbage() async throws {
        try await Scenario.run("socket-garbage") { scenario in
            let leader = try await scenario.agreement("a leader")
            let follower = scenario.followerHosts[0]
            scenario.fault("500-hostile-clients")
            let answered = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        if Self.hostileClient(follower.socket, kind: index % 4) { answered.withLockedValue { $0 += 1 } }
                    }
                }
                // Meanwhile the leader changes: every watcher must still be told.
                group.addTask { await scenario.stopHost(leader) }
                try await group.waitForAll()
            }
            #expect(answered.withLockedValue { $0 } >= 125, "the clients asking for errors got error lines")
            try await scenario.until(follower, within: scenario.timeout * 2, "the follower saw the new leader") {
                $0["state"] == "elected" && $0["leader"] != leader.name
            }
            try scenario.launch(leader)
            scenario.healed()
        }
    }

    /// One hostile client on `socket`, on a thread of its own (plain blocking sockets): 0 sends
    /// garbage lines and reads the error, 1 a half line then hangs up, 2 a 100 KB line, 3 connects
    /// and closes at once. Returns true when an error line came back.
    static func hostileClient(_ socket: String, kind: Int) -> Bool {
        guard let descriptor = try? RawSocket.connect(socket) else { return false }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func send(_ text: String) {
            _ = text.utf8CString.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count - 1) }
        }
        switch kind {
        case 0:
            send("\u{1}\u{2}garbage{{{\n{\"op\":\"nope\"}\n")
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(descriptor, &buffer, buffer.count)
            return count > 0 && String(decoding: buffer.prefix(count), as: UTF8.self).contains("\"error\"")
        case 1:
            send("{\"op\":\"wat")
        case 2:
            send(String(repeating: "y", count: 100_000) + "\n")
        default:
            break
        }
        return false
    }
}

extension FaultSuite {
    @Test(
        "hostile: more idle socket connections than the descriptor limit; the cap answers one line, hooks and reconnection go on"
    )
    func socketFlood() async throws {
        // 400 descriptors: the socket's cap becomes 400 - 256 = 144, the rest stays for ZooKeeper
        // and the hooks. 600 idle connections are more than the process could hold.
        try await Scenario.run(
            "socket-flood", extra: "herald_socket_idle_timeout_ms: 4000", descriptorLimit: 400
        ) { scenario in
            let leader = try await scenario.agreement("a leader")
            scenario.fault("600-idle-connections-\(leader.name)")
            var flood: [Int32] = []
            defer { for descriptor in flood { close(descriptor) } }
            for _ in 0..<600 { flood.append(try RawSocket.connect(leader.socket)) }
            let refused = flood.filter { Self.readsRefusal($0) }.count
            #expect(refused >= 600 - 144, "connections over the cap got the one error line: \(refused)")
            #expect(refused < 600, "the cap let some connections in")
            // With the cap reached, the leader is cut off past the session timeout: its lease
            // runs out (on_demoted), and after the heal it reconnects with a new session.
            try await scenario.cut(leader)
            try await scenario.until(scenario.followerHosts[0], within: scenario.timeout * 4, "another leader") {
                $0["state"] == "elected" && $0["leader"] != leader.name && $0["stale"] == "0"
            }
            try await scenario.heal(leader)
            let demoted = scenario.history.events.contains {
                $0.host == leader.name && $0.kind == "hook" && $0["event"] == "demoted" && $0["phase"] == "end"
            }
            #expect(demoted, "on_demoted ran with the socket at its cap")
            // The idle ones are closed after herald_socket_idle_timeout_ms: room again for pings.
            try await Task.sleep(for: .seconds(5))
        }
    }

    /// Whether `descriptor` got the cap's error line and then EOF (waits up to 5 s).
    static func readsRefusal(_ descriptor: Int32) -> Bool {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return false }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self)
        return text.contains("too_many_connections") && read(descriptor, &buffer, buffer.count) == 0
    }
}
