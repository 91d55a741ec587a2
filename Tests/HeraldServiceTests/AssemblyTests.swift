import Discovery
import Foundation
import HeraldConfig
import HeraldTestSupport
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

@testable import HeraldService

/// The whole service of `herald serve`, assembled from a configuration and run in this process.
@Suite("The service assembled from a configuration, in-process", .timeLimit(.minutes(1)))
struct AssemblyTests {
    @Test("a leader host leads, publishes itself on its socket, runs its on_elected hook, and stops when asked")
    func leaderHost() async throws {
        let servers = try TestEnsemble.servers
        try await Fixtures.withTemporaryDirectory { directory in
            let socket = directory.appendingPathComponent("herald.sock").path
            let hookOutput = directory.appendingPathComponent("elected").path
            var configuration = HeraldConfiguration()
            configuration.mesosMode = .leader
            configuration.mesosZkHosts = servers.split(separator: ",").map(String.init)
            let root = "herald-assembly-\(UUID().uuidString.prefix(8))"
            configuration.mesosZkChroot = "\(root)/mesos"
            configuration.heraldZkPath = "\(root)/herald"
            configuration.heraldQuorum = 1
            configuration.heraldSocket = socket
            configuration.heraldMetricsListen = ""
            configuration.heraldSessionTimeoutMs = 4000
            configuration.heraldOnElected = "echo \"$HERALD_LEADER\" > \(hookOutput)"
            let logger = Logger(label: "assembly", factory: { _ in SwiftLogNoOpLogHandler() })
            let server = try await HeraldServer.assemble(
                configuration: configuration, host: HostFacts(hostname: "inproc", ipv4: "10.9.9.9"), servers: servers,
                logger: logger)
            let group = server.serviceGroup(logger: logger, gracefulShutdownSignals: [])
            let running = Task { try await group.run() }
            let led = try await within(.seconds(20), "the socket's snapshot naming this host the leader") {
                for await snapshot in DiscoveryClient(socketPath: socket).updates()
                where snapshot.leader?.hostname == "inproc" {
                    return snapshot
                }
                throw SetupError("the socket's updates ended")
            }
            #expect(led.leader?.hostPort == "10.9.9.9:5050")
            // The hook's file appears when the hook has run; nothing announces it to this test.
            let hooked = try await within(.seconds(10), "the on_elected hook's output") {
                while true {
                    if let text = try? String(contentsOfFile: hookOutput, encoding: .utf8), text.hasSuffix("\n") {
                        return text
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(hooked == "10.9.9.9:5050\n")
            await group.triggerGracefulShutdown()
            try await within(.seconds(20), "the group's end after a graceful shutdown") { try await running.value }
            #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed")
        }
    }

    @Test("a DNS port already taken: an error naming herald_dns_listen, before anything runs")
    func dnsPortTaken() async throws {
        // The port is taken over UDP.
        let holder = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { holder.close(promise: nil) }
        let port = try #require(holder.localAddress?.port)
        var configuration = HeraldConfiguration()
        configuration.mesosMode = .leader
        configuration.mesosZkHosts = ["127.0.0.1:1"]
        configuration.heraldDnsListen = "127.0.0.1:\(port)"
        let logger = Logger(label: "assembly", factory: { _ in SwiftLogNoOpLogHandler() })
        do {
            _ = try await HeraldServer.assemble(
                configuration: configuration, host: HostFacts(hostname: "h", ipv4: "10.0.0.1"), servers: "127.0.0.1:1",
                logger: logger)
            Issue.record("assembled with the DNS port taken")
        } catch let error as HeraldServer.SetupError {
            #expect(error.key == "herald_dns_listen")
            #expect(error.description.hasSuffix("Address already in use"), "\(error)")
        }
    }
}
