import Foundation
import HeraldTestSupport
import MesosLayout
import Testing
import ZooKeeper

/// `herald leader --zk` against the real shared ensemble, with nodes written by another client.
@Suite("herald leader --zk", .timeLimit(.minutes(1)))
struct ZooKeeperModeTests {
    @Test("a Mesos-format node written by another client is the leader; formats, quorum and exit codes")
    func mesosNode() async throws {
        let servers = try TestEnsemble.servers
        let base = "/herald-test-cli/\(UUID().uuidString.prefix(8).lowercased())"
        let url = "zk://\(servers)\(base)"
        let mesos = MasterInfo(
            id: "cli-zk", ipv4: "10.4.5.6", port: 5050, hostname: "master-a", version: "1.11.0")
        try await withClient { client in
            _ = try await client.ensurePath(base)
            let empty = try await CommandLineTests.run(["leader", "--zk", url])
            #expect(empty.status == 1)
            #expect(empty.output == "leader: no leader: no candidate in the group\n")

            _ = try await client.create(base + "/json.info_", data: Array("not json".utf8), mode: .ephemeralSequential)
            let (path, _) = try await client.create(
                base + "/json.info_", data: mesos.encoded(), mode: .ephemeralSequential)
            let plain = try await CommandLineTests.run(["leader", "--zk", url])
            #expect(plain.status == 0)
            #expect(plain.output == "10.4.5.6:5050\n")
            let pid = try await CommandLineTests.run(["leader", "--zk", url, "--format", "pid"])
            #expect(pid.output == "master@10.4.5.6:5050\n")
            let json = try await CommandLineTests.run(["leader", "--zk", url, "--json"])
            #expect(json.output.contains("\"node\":\"\(path)\""))
            let strict = try await CommandLineTests.run(["leader", "--zk", url, "--quorum", "2"])
            #expect(strict.status == 1)
            #expect(strict.output.hasPrefix("leader: no quorum: 1 of 2"))
            let waited = try await CommandLineTests.run(["leader", "--zk", url, "--wait", "--timeout", "10"])
            #expect(waited.output == "10.4.5.6:5050\n")
        }
        let unreachable = try await CommandLineTests.run(["leader", "--zk", "zk://127.0.0.1:1/mesos", "--timeout", "1"])
        #expect(unreachable.status == 3)
        #expect(unreachable.output.hasPrefix("leader: cannot reach ZooKeeper at 127.0.0.1:1"))
    }
}
