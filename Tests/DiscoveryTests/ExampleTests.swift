import Discovery
import ElectionModel
import Foundation
import HeraldTestSupport
import Testing

/// `discovery-example`, a consumer built on the `Discovery` library alone, as a real process: it
/// reads the leader from a live server, and a follower host that runs it needs no ZooKeeper client
/// library (the data flows one way: Discovery knows the election's values, not its driver).
@Suite("The discovery example: a socket consumer without ZooKeeper", .timeLimit(.minutes(1)))
struct ExampleTests {
    /// The test bundle sits in the build products folder, next to the example's executable.
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("discovery-example").path
    }

    @Test("prints the leader from the socket, and the state when there is none")
    func printsLeader() async throws {
        try await withServer { server, path in
            let elected = try await ChildProcess.run(Self.binary, [path])
            #expect(elected.status == 0)
            #expect(elected.output == "10.0.0.1:5050\n")
            server.publish(Fixtures.input(Fixtures.view(leader: nil, state: .noQuorum)))
            let noQuorum = try await ChildProcess.run(Self.binary, [path])
            #expect(noQuorum.status == 1)
            #expect(noQuorum.output == "no leader: no_quorum\n")
        }
    }

    @Test("exits 3 when no Herald listens on the socket")
    func unreachable() async throws {
        try await withTemporaryDirectory { directory in
            let result = try await ChildProcess.run(Self.binary, [directory + "/missing.sock"])
            #expect(result.status == 3)
        }
    }

    @Test("loads no ZooKeeper client library (ldd), where the test process itself does")
    func noZooKeeper() async throws {
        let example = try await ChildProcess.run("/usr/bin/ldd", [Self.binary])
        #expect(example.status == 0, "\(example.output)")
        #expect(example.output.contains("libc.so"), "ldd listed nothing: \(example.output)")
        #expect(!example.output.contains("libzookeeper"), "\(example.output)")
        // The check can see the library: this test process links the ZooKeeper client.
        let tests = try await ChildProcess.run("/usr/bin/ldd", [CommandLine.arguments[0]])
        #expect(tests.output.contains("libzookeeper_mt"), "\(tests.output)")
    }
}
