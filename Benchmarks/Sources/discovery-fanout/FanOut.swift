import ArgumentParser
import Discovery
import Election
import Foundation
import Logging
import MesosLayout
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Fan-out of the Discovery server in one process: N watchers on a temporary socket, M published
/// changes, the time from `publish` until the last watcher has the new revision, the resident
/// memory each idle connection costs the server, and the wall time of a whole `herald leader`
/// process. `Benchmarks/discovery-fanout` builds it in release mode and runs it.
@main
struct FanOut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discovery-fanout", abstract: "Discovery socket fan-out latency and per-connection memory.")

    @Option(help: "Comma-separated watcher counts.")
    var watchers = "10,1000,10000"

    @Option(help: "Measured changes per watcher count (after 5 unmeasured ones).")
    var changes = 100

    @Option(help: "The herald executable to time as a whole process (skipped when absent).")
    var herald: String?

    @Option(help: "Runs of `herald leader`.")
    var heraldRuns = 20

    @Option(help: "Directory for discovery-fanout.md and .csv (nothing written when absent).")
    var out: String?

    @Option(help: "The command line to record in the report.")
    var command: String?

    func run() async throws {
        let limit = Descriptors.raiseLimit()
        let counts = watchers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var rows: [Measurement] = []
        var skipped: [String] = []
        for count in counts {
            // Both ends of every connection live in this process, plus some slack.
            guard 2 * count + 64 <= limit else {
                skipped.append("N = \(count): needs \(2 * count + 64) descriptors, the limit is \(limit)")
                continue
            }
            let row = try await Scenario(watchers: count, changes: changes).run()
            rows.append(row)
            print(
                "N=\(count): median \(row.median.micros) µs, p99 \(row.p99.micros) µs, "
                    + "idle \(row.bytesPerIdleConnection) B/connection")
        }
        var leaderTimes: [Duration] = []
        if let herald { leaderTimes = try await LeaderTiming(herald: herald, runs: heraldRuns).run() }
        let report = Report(
            rows: rows, skipped: skipped, changes: changes, leaderTimes: leaderTimes, descriptorLimit: limit,
            command: command ?? CommandLine.arguments.joined(separator: " "))
        print(report.markdown)
        if let out {
            try report.markdown.write(toFile: out + "/discovery-fanout.md", atomically: true, encoding: .utf8)
            try report.csv.write(toFile: out + "/discovery-fanout.csv", atomically: true, encoding: .utf8)
        }
    }
}

/// One watcher count: set-up, idle memory, then the timed changes.
struct Scenario {
    var watchers: Int
    var changes: Int

    func run() async throws -> Measurement {
        var template = Array("/tmp/hd-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw BenchmarkError("mkdtemp failed") }
        let directory = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/s.sock"
        let logger = Logger(label: "fanout", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = DiscoveryServer(
            configuration: .init(socketPath: path), initial: Inputs.input(0), logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await server.waitUntilListening()

            // Idle cost: plain connected sockets (their client side is kernel memory, not RSS),
            // each confirmed by a ping so the server has set the connection up.
            // A few connections first, so first-use allocations do not count as per-connection cost.
            for _ in 0..<16 { close(try RawSocket.connectAndPing(path)) }
            let before = Memory.residentBytes
            var sockets: [Int32] = []
            for _ in 0..<watchers { sockets.append(try RawSocket.connectAndPing(path)) }
            let perConnection = (Memory.residentBytes - before) / max(1, watchers)

            // Then the same sockets watch, read by NIO.
            let tracker = ArrivalTracker(watchers: watchers)
            var channels: [any Channel] = []
            for descriptor in sockets {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(RevisionReader(tracker: tracker))
                        }
                    }
                    .withConnectedSocket(descriptor).get()
                channel.writeAndFlush(ByteBuffer(string: "{\"op\":\"watch\"}\n"), promise: nil)
                channels.append(channel)
            }
            try await tracker.waitForAll(revision: 1)

            var latencies: [Duration] = []
            for change in 1...(changes + 5) {
                let start = ContinuousClock.now
                guard let published = server.publish(Inputs.input(change)) else { throw BenchmarkError("no change") }
                let last = try await tracker.waitForAll(revision: published.revision)
                if change > 5 { latencies.append(last - start) }
            }
            for channel in channels { try? await channel.close() }
            return Measurement(
                watchers: watchers, latencies: latencies, bytesPerIdleConnection: perConnection,
                snapshotBytes: (try? server.current.encodedLine().count) ?? 0)
        }
    }
}

/// The inputs published: three candidates, 20 followers, one field changing per change.
enum Inputs {
    static func input(_ index: Int) -> SnapshotInput {
        let candidates: [Candidate] = (1...3).map { sequence in
            let info = MasterInfo(
                id: "id-\(sequence)", ipv4: "10.0.0.\(sequence)", port: 5050, hostname: "m\(sequence)",
                version: "1.11.0")
            let node = "json.info_000000000\(sequence)"
            return Candidate(
                node: node, path: "/mesos/\(node)", sequence: Int32(sequence), epoch: 4_294_967_296 + Int64(sequence),
                ephemeralOwner: Int64(sequence), info: info)
        }
        let view = ElectionView(
            state: .elected, leader: candidates[index % 3], candidates: candidates, required: 2,
            connection: ConnectionInfo(state: .connected, server: "127.0.0.1:\(index)", sessionTimeout: .seconds(10)))
        return SnapshotInput(
            view: view,
            followers: (1...20).map { SnapshotInput.Follower(hostname: "f\($0)", ip: "10.0.1.\($0)", port: 5051) },
            zooKeeperHosts: (1...3).map { Snapshot.Endpoint(ip: "10.0.0.\($0)", port: 2181) }, cluster: "mantl",
            publisher: Snapshot.Publisher(mode: .leader, role: .candidate, hostname: "m1"))
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var micros: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
