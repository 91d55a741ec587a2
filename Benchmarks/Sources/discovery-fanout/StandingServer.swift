import Discovery
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `--serve PATH`: a Discovery server with the benchmark's first snapshot (an elected leader) on
/// `PATH`, until stdin closes. Prints `ready` once it accepts connections. What
/// `Benchmarks/leader-oneshot` asks with `herald leader` and with the C client.
struct StandingServer {
    var path: String

    func run() async throws {
        let server = DiscoveryServer(
            configuration: .init(socketPath: path, idleTimeout: .seconds(3600)), initial: Inputs.input(0),
            logger: Logger(label: "leader-oneshot", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            try await server.waitUntilListening()
            WatcherPool.emit("ready")
            // Blocks one thread of the pool until stdin closes; the server runs on NIO's threads.
            while readLine() != nil {}
            group.cancelAll()
        }
    }
}
