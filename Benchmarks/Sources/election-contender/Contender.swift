import ArgumentParser
import Dispatch
import Election
import ElectionModel
import Foundation
import HeraldTestSupport
import Logging
import MesosLayout
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// One election process for the election benchmarks: runs an `ElectionGroup` with `--contenders`
/// contenders (0: an observer only) and prints one line per event on stdout, the protocol the
/// election benchmark's harnesses share (`Benchmarks/election/PROTOCOL.md`):
///
///     <CLOCK_MONOTONIC ns> ready
///     <ns> elected <name>             the library says this contender leads
///     <ns> demoted <name>             … no longer leads
///     <ns> lead <name> <0|1>          the contender's own belief changed (polled every --poll-ms)
///     <ns> leader <name|->            the leader this process sees changed
///     <ns> releasing <name>           asked to release (stdin `release NAME`, or SIGTERM for all)
///     <ns> released <name>            released
///
/// Contenders are named `<name>` (one) or `<name>-<i>` (several); the name is the MasterInfo
/// host name. SIGTERM or SIGINT: every contender releases (the node is deleted first), then exit 0.
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

    @Option(help: "Name of this process' contender(s).")
    var name: String?

    @Option(help: "Index of this process: sets the advertised address 10.0.<index>.<n> (and the default name).")
    var index: Int = 0

    @Option(help: "How often each contender's belief is polled, in milliseconds (0: never).")
    var pollMs: Int = 1

    func run() async throws {
        var logger = Logger(label: "election-contender")
        logger.logLevel = .warning
        ZooKeeperClient.bootstrapLogging(logger)
        let zooKeeper = ZooKeeperConfiguration(servers: servers, sessionTimeout: .milliseconds(sessionTimeoutMs))
        let group = ElectionGroup(
            configuration: .init(zooKeeper: zooKeeper, basePath: base, required: required), logger: logger)
        let events = group.events()
        let base = name ?? "contender-\(index)"
        let names = (0..<contenders).map { contenders == 1 ? base : "\(base)-\($0)" }
        var byID: [ContenderID: String] = [:]
        var byName: [String: ContenderID] = [:]
        for (number, contenderName) in names.enumerated() {
            let id = group.contend(
                MasterInfo(
                    id: UUID().uuidString.lowercased(), ipv4: "10.0.\(index % 256).\(number % 250 + 1)",
                    port: 5050, hostname: contenderName, version: nil))
            byID[id] = contenderName
            byName[contenderName] = id
        }
        let nameOf = byID
        let idOf = byName
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
        ContenderLines.emit("ready")
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await group.run() }
            tasks.addTask {
                for await event in events { ContenderLines.emit(event, names: nameOf) }
            }
            if pollMs > 0, !nameOf.isEmpty {
                tasks.addTask { await ContenderLines.pollBeliefs(group, nameOf, every: .milliseconds(pollMs)) }
            }
            tasks.addTask {
                // stdin: `release NAME` lines.
                for await line in Self.standardInputLines() {
                    let words = line.split(separator: " ")
                    guard words.count == 2, words[0] == "release", let id = idOf[String(words[1])] else { continue }
                    ContenderLines.emit("releasing \(words[1])")
                    await group.abdicate(id)
                    ContenderLines.emit("released \(words[1])")
                }
            }
            for await _ in stop.stream { break }
            for (id, contenderName) in nameOf.sorted(by: { $0.key < $1.key }) {
                ContenderLines.emit("releasing \(contenderName)")
                await group.abdicate(id)
                ContenderLines.emit("released \(contenderName)")
            }
            Glibc.exit(0)
        }
    }

    /// Lines of stdin, read on a thread of their own; ends at EOF.
    static func standardInputLines() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        Thread {
            while let line = readLine() { continuation.yield(line) }
            continuation.finish()
        }.start()
        return stream
    }
}
