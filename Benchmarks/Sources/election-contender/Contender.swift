import ArgumentParser
import Dispatch
import Election
import Foundation
import Logging
import MesosLayout
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// One election process for tests and benchmarks: runs an `ElectionGroup` with `--contenders`
/// contenders (0: an observer only) and prints one line per event on stdout:
///
///     <CLOCK_MONOTONIC ns> ready
///     <ns> elected <contender> <node> <epoch>
///     <ns> demoted <contender> <reason>
///     <ns> leader <node|-> <epoch|0> <state>
///
/// SIGTERM or SIGINT: every contender abdicates (the node is deleted first), then it exits 0.
/// CLOCK_MONOTONIC is the clock of Python's `time.monotonic_ns` and Java's `System.nanoTime`
/// on Linux, so timestamps compare across processes and harnesses.
@main
struct ContenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "election-contender", abstract: "One Herald election process that prints its events.")

    @Option(help: "host:port list of the ensemble.")
    var servers: String

    @Option(help: "The election's base path.")
    var base: String

    @Option(help: "Candidates required for a leader.")
    var required: Int = 1

    @Option(help: "Contenders in this process (0 observes only).")
    var contenders: Int = 1

    @Option(help: "Session timeout in milliseconds.")
    var sessionTimeoutMs: Int = 4000

    @Option(help: "Index of this process: sets the advertised address 10.0.<index>.<n>.")
    var index: Int = 0

    func run() async throws {
        var logger = Logger(label: "election-contender")
        logger.logLevel = .warning
        ZooKeeperClient.bootstrapLogging(logger)
        let zooKeeper = ZooKeeperConfiguration(servers: servers, sessionTimeout: .milliseconds(sessionTimeoutMs))
        let group = ElectionGroup(
            configuration: .init(zooKeeper: zooKeeper, basePath: base, required: required), logger: logger)
        let events = group.events()
        let ids = (0..<contenders).map { number in
            group.contend(
                MasterInfo(
                    id: UUID().uuidString.lowercased(), ipv4: "10.0.\(index % 256).\(number % 250 + 1)",
                    port: 5050, hostname: "contender-\(index)-\(number)", version: "1.11.0"))
        }
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let stop = AsyncStream<Void>.makeStream()
        let sources = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.continuation.yield() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        Self.emit("ready")
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await group.run() }
            tasks.addTask {
                for await event in events { Self.emit(event) }
            }
            for await _ in stop.stream { break }
            for id in ids { await group.abdicate(id) }
            Self.emit("abdicated")
            tasks.cancelAll()
        }
    }

    static func emit(_ event: ElectionEvent) {
        switch event {
        case .elected(let id, let node, let epoch):
            emit("elected \(id.value) \(node) \(epoch)")
        case .demoted(let id, let reason):
            emit("demoted \(id.value) \(reason)")
        case .leaderChanged(_, let leader):
            emit("leader \(leader?.node ?? "-") \(leader?.epoch ?? 0)")
        default:
            break
        }
    }

    static func emit(_ line: String) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        // One write(2) per line: unbuffered, and whole even when the output is a shared file.
        let bytes = Array("\(nanoseconds) \(line)\n".utf8)
        _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
}
