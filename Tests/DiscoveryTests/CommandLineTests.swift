import ElectionModel
import Foundation
import HeraldTestSupport
import Testing

@testable import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// `herald leader`, `herald watch` and `herald dns` as real processes against a server running
/// in this test process.
@Suite("herald leader, watch and dns", .timeLimit(.minutes(1)))
struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
    }

    /// The test bundle sits in the build products folder, next to the `herald` executable.
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("herald").path
    }

    func herald(_ arguments: String...) async throws -> Run {
        try await Self.run(arguments)
    }

    /// The `herald` binary as a process (`ChildProcess.run` reaps it off the Swift task pool, so
    /// the in-process server keeps answering while several commands run).
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        let result = try await ChildProcess.run(binary, arguments, environment: environment)
        return Run(status: result.status, output: result.output)
    }

    @Test(
        "herald leader prints the leader in each format and exits 0",
        arguments: [
            ([], "10.0.0.1:5050"), (["--format", "hostport"], "10.0.0.1:5050"),
            (["--format", "pid"], "master@10.0.0.1:5050"), (["--format", "url"], "http://10.0.0.1:5050"),
            (["--format", "hostname"], "m1"),
            (
                ["--json"],
                #"{"epoch":4294967297,"hostname":"m1","id":"id-1","ip":"10.0.0.1","node":"/mesos/json.info_0000000001","pid":"master@10.0.0.1:5050","port":5050,"sequence":1}"#
            ),
        ])
    func leaderFormats(options: [String], expected: String) async throws {
        try await withServer { _, path in
            let result = try await Self.run(["leader", "--socket", path] + options)
            #expect(result.status == 0)
            #expect(result.output == expected + "\n")
        }
    }

    @Test("HERALD_SOCKET is the default socket")
    func environmentSocket() async throws {
        try await withServer { _, path in
            let result = try await Self.run(["leader"], environment: ["HERALD_SOCKET": path])
            #expect(result.status == 0)
            #expect(result.output == "10.0.0.1:5050\n")
        }
    }

    @Test("no leader and no quorum exit 1 with the reason")
    func noLeader() async throws {
        try await withServer(initial: Fixtures.input(Fixtures.view(leader: nil, state: .noQuorum))) { server, path in
            let noQuorum = try await herald("leader", "--socket", path)
            #expect(noQuorum.status == 1)
            #expect(noQuorum.output == "leader: no quorum: 3 of 2 required candidates present\n")
            server.publish(Fixtures.input(Fixtures.view(leader: nil, candidates: [])))
            let none = try await herald("leader", "--socket", path)
            #expect(none.status == 1)
            #expect(none.output == "leader: no leader: no candidate in the group\n")
        }
    }

    @Test("a stale leader is printed, flagged on stderr")
    func staleLeader() async throws {
        try await withServer(initial: Fixtures.input(Fixtures.view(state: .disconnected, stale: true))) { _, path in
            let result = try await herald("leader", "--socket", path)
            #expect(result.status == 0)
            #expect(result.output.contains("10.0.0.1:5050\n"))
            #expect(result.output.contains("stale"))
        }
    }

    @Test("no socket exits 3; usage errors and credentials in --zk exit 2")
    func exitCodes() async throws {
        try await withTemporaryDirectory { directory in
            let missing = try await herald("leader", "--socket", directory + "/none.sock")
            #expect(missing.status == 3)
            #expect(missing.output == "leader: cannot reach \(directory)/none.sock: No such file or directory\n")
            #expect(try await herald("watch", "--socket", directory + "/none.sock").status == 3)
            #expect(try await herald("dns", "--socket", directory + "/none.sock").status == 3)
            #expect(try await herald("leader", "--format", "yaml").status == 2)
            #expect(try await herald("leader", "--json", "--format", "pid").status == 2)
            let secret = try await herald("leader", "--zk", "zk://u:s3cret@127.0.0.1:2181/mesos")
            #expect(secret.status == 2)
            #expect(!secret.output.contains("s3cret"))
            #expect(try await herald("leader", "--zk", "http://nope").status == 2)
        }
    }

    @Test("--wait returns once a leader is elected; without one it gives up after --timeout with 1")
    func wait() async throws {
        try await withServer(initial: Fixtures.input(Fixtures.view(leader: nil))) { server, path in
            let start = ContinuousClock.now
            // The timeout also bounds the first answer: long enough for a busy test machine.
            let gaveUp = try await herald("leader", "--socket", path, "--wait", "--timeout", "2")
            #expect(gaveUp.status == 1, "\(gaveUp.output)")
            #expect(ContinuousClock.now - start >= .seconds(2))

            async let waited = herald("leader", "--socket", path, "--wait", "--timeout", "20")
            // Elect a little later; the command succeeds whether it is already watching or not.
            try await Task.sleep(for: .milliseconds(300))
            server.publish(Fixtures.input(Fixtures.view(leader: 2)))
            let result = try await waited
            #expect(result.status == 0)
            #expect(result.output == "10.0.0.2:5050\n")
        }
    }

    @Test("herald watch streams snapshots as JSON lines")
    func watch() async throws {
        try await withServer { server, path in
            async let streamed = herald("watch", "--socket", path, "--count", "2")
            // Keep changing until the command has seen two snapshots and exited.
            let publisher = Task {
                var index = 0
                while !Task.isCancelled {
                    index += 1
                    server.publish(Fixtures.changing(index))
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            let result = try await streamed
            publisher.cancel()
            #expect(result.status == 0)
            let lines = result.output.split(separator: "\n")
            #expect(lines.count == 2)
            let revisions = try lines.map { try Snapshot.decode(line: Array($0.utf8)).revision }
            #expect(revisions.count == 2 && revisions[0] < revisions[1])
        }
    }

    @Test("herald dns prints every mapping, one name's answers, or hosts-file lines")
    func dns() async throws {
        try await withServer { _, path in
            let all = try await herald("dns", "--socket", path)
            #expect(all.status == 0)
            #expect(
                all.output == """
                    _mesos._leader.service.consul 10.0.0.1:5050
                    follower.mesos.service.consul 10.0.1.1:5051
                    follower.mesos.service.consul 10.0.1.2:5051
                    leader.mesos.service.consul 10.0.0.1:5050
                    master.mesos.service.consul 10.0.0.1:5050
                    master.mesos.service.consul 10.0.0.2:5050
                    master.mesos.service.consul 10.0.0.3:5050
                    zookeeper.service.consul 10.0.0.1:2181
                    zookeeper.service.consul 10.0.0.2:2181
                    zookeeper.service.consul 10.0.0.3:2181

                    """)
            let one = try await herald("dns", "Leader.Mesos.Service.Consul.", "--socket", path)
            #expect(one.status == 0)
            #expect(one.output == "10.0.0.1:5050\n")
            let hosts = try await herald("dns", "leader.mesos.service.consul", "--hosts", "--socket", path)
            #expect(hosts.output == "10.0.0.1 leader.mesos.service.consul\n")
            let allHosts = try await herald("dns", "--hosts", "--socket", path)
            #expect(!allHosts.output.contains("_mesos"))
            #expect(allHosts.output.contains("10.0.0.3 master.mesos.service.consul\n"))
            #expect(try await herald("dns", "nope.example", "--socket", path).status == 1)
        }
    }

    @Test("herald dns NAME exits 1 when the name has no answers")
    func dnsEmpty() async throws {
        try await withServer(initial: Fixtures.input(Fixtures.view(leader: nil))) { _, path in
            let result = try await herald("dns", "leader.mesos.service.consul", "--socket", path)
            #expect(result.status == 1)
            #expect(result.output == "dns: leader.mesos.service.consul has no answers (state no_leader)\n")
        }
    }
}
