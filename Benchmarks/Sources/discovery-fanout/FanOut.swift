import ArgumentParser
import Discovery
import ElectionModel
import Foundation
import Logging
import MesosLayout
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Fan-out of the Discovery server: the server in this process on a temporary socket, N watchers
/// in child processes of this executable (pools of at most `--pool-size`, so that 10,000
/// connections fit the descriptor limit), M published changes, the time from `publish` until
/// the last watcher has the new revision, the resident memory each idle connection costs the
/// server, and the wall time of a whole `herald leader` process. `Benchmarks/discovery-fanout`
/// builds it in release mode and runs it.
///
/// The floor, measured in the same run: each watcher process also holds N/pools connections to a
/// `FloorWriter` (a child process of its own), read by the same code on the same event loops; after each
/// Herald change the floor writes the same line to its N connections, and its time is taken the
/// same way. Herald and floor changes alternate, so both see the same machine.
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

    @Option(help: "Most watchers in one child process.")
    var poolSize = 5000

    @Option(help: .hidden)
    var poolSocket: String?

    @Option(help: .hidden)
    var poolFloorSocket: String?

    @Option(help: .hidden)
    var floorSocket: String?

    @Option(help: "Serve snapshots on this socket path until stdin closes (for Benchmarks/leader-oneshot).")
    var serve: String?

    func run() async throws {
        let limit = Descriptors.raiseLimit()
        if let poolSocket {
            return try await WatcherPool(socket: poolSocket, floorSocket: poolFloorSocket, size: poolSize).run()
        }
        if let serve { return try await StandingServer(path: serve).run() }
        if let floorSocket { return try FloorMain.run(path: floorSocket) }
        let counts = watchers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var rows: [Measurement] = []
        var skipped: [String] = []
        for count in counts {
            // The server's ends of every connection live in this process, plus the descriptors its
            // connection cap keeps free (the floor's live in its own process).
            let needed = count + DiscoveryServer.reservedDescriptors + 64
            guard needed <= limit, 2 * min(count, poolSize) + 64 <= limit else {
                skipped.append("N = \(count): needs \(needed) descriptors, the limit is \(limit)")
                continue
            }
            let row = try await Scenario(watchers: count, changes: changes, poolSize: poolSize).run()
            rows.append(row)
            print(
                "N=\(count): median \(row.median.micros) µs, p99 \(row.p99.micros) µs, floor median "
                    + "\(row.floorMedian.micros) µs, p99 \(row.floorP99.micros) µs, "
                    + "idle \(row.bytesPerIdleConnection) B/connection")
        }
        var leaderTimes: [Duration] = []
        if let herald { leaderTimes = try await LeaderTiming(herald: herald, runs: heraldRuns).run() }
        let report = Report(
            rows: rows, skipped: skipped, changes: changes, leaderTimes: leaderTimes, descriptorLimit: limit,
            poolSize: poolSize,
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
    var poolSize: Int

    func run() async throws -> Measurement {
        var template = Array("/tmp/hd-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw BenchmarkError("mkdtemp failed") }
        let directory = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/s.sock"
        let floor = try FloorProcess(path: directory + "/f.sock")
        defer { floor.finish() }
        let logger = Logger(label: "fanout", factory: { _ in SwiftLogNoOpLogHandler() })
        // Every watcher connects, is idle while memory is measured, then watches: no cap, no idle
        // timeout in the way.
        let server = DiscoveryServer(
            configuration: .init(socketPath: path, maximumConnections: watchers + 64, idleTimeout: .seconds(3600)),
            initial: Inputs.input(0), logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await server.waitUntilListening()

            // A few connections first, so first-use allocations do not count as per-connection cost.
            for _ in 0..<16 { close(try RawSocket.connectAndPing(path)) }
            let before = Memory.residentBytes

            // Pools of near-equal size; each connects its watchers and has each answer a ping.
            let poolCount = (watchers + poolSize - 1) / poolSize
            let sizes = (0..<poolCount).map { watchers / poolCount + ($0 < watchers % poolCount ? 1 : 0) }
            let connected = ArrivalTracker(parties: poolCount)
            let arrivals = ArrivalTracker(parties: poolCount)
            let floorArrivals = ArrivalTracker(parties: poolCount)
            let pools = try sizes.map {
                try PoolProcess(
                    socket: path, floorSocket: floor.path, size: $0, connected: connected, arrivals: arrivals,
                    floorArrivals: floorArrivals)
            }
            defer { pools.forEach { $0.finish() } }
            try await connected.waitForAll(revision: 0)
            // Idle cost: the server's resident-set growth per connected, pinged socket.
            let perConnection = (Memory.residentBytes - before) / max(1, watchers)
            while floor.count < watchers { try await Task.sleep(for: .milliseconds(10)) }

            // Then the same sockets watch.
            for pool in pools { pool.send("watch") }
            try await arrivals.waitForAll(revision: 1)

            var latencies: [Duration] = []
            var floorLatencies: [Duration] = []
            for change in 1...(changes + 5) {
                let start = Monotonic.now
                guard let published = server.publish(Inputs.input(change)) else { throw BenchmarkError("no change") }
                let last = try await arrivals.waitForAll(revision: published.revision)
                if change > 5 { latencies.append(.nanoseconds(Int64(last) - Int64(start))) }

                // The same bytes through the floor writer to the same watcher processes.
                let line = [UInt8](try published.encodedLine())
                let floorStart = try floor.push(line)
                let floorLast = try await floorArrivals.waitForAll(revision: published.revision)
                if change > 5 { floorLatencies.append(.nanoseconds(Int64(floorLast) - Int64(floorStart))) }
            }
            return Measurement(
                watchers: watchers, latencies: latencies, floorLatencies: floorLatencies,
                bytesPerIdleConnection: perConnection, snapshotBytes: (try? server.current.encodedLine().count) ?? 0)
        }
    }
}

/// A child process of this executable running `WatcherPool`: its stdout lines are fed to the
/// trackers (`connected`, then `<ns> <revision>` as the last of its watchers gets a revision).
final class PoolProcess: Sendable {
    private let process: Process
    private let input: FileHandle

    init(
        socket: String, floorSocket: String, size: Int, connected: ArrivalTracker, arrivals: ArrivalTracker,
        floorArrivals: ArrivalTracker
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--pool-socket", socket, "--pool-floor-socket", floorSocket, "--pool-size", "\(size)"]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        self.process = process
        input = stdin.fileHandleForWriting
        let output = stdout.fileHandleForReading
        Thread {
            guard let stream = fdopen(dup(output.fileDescriptor), "r") else { return }
            defer { fclose(stream) }
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(line) }
            while getline(&line, &capacity, stream) > 0, let line {
                let words = String(cString: line).split(separator: " ").map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                if words == ["connected"] {
                    connected.arrived(revision: 0)
                } else if words.count == 2, let time = UInt64(words[0]), let revision = UInt64(words[1]) {
                    arrivals.arrived(revision: revision, at: time)
                } else if words.count == 3, words[2] == "floor", let time = UInt64(words[0]),
                    let revision = UInt64(words[1])
                {
                    floorArrivals.arrived(revision: revision, at: time)
                }
            }
            let failure = BenchmarkError("a watcher pool (\(size) watchers) ended early")
            connected.fail(failure)
            arrivals.fail(failure)
            floorArrivals.fail(failure)
        }.start()
    }

    func send(_ line: String) {
        try? input.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Closes the pool's stdin (it exits on EOF) and waits for it.
    func finish() {
        try? input.close()
        process.waitUntilExit()
    }
}

/// The child side: `size` watchers on `socket` (and, with `floorSocket`, `size` connections to
/// the floor writer). Prints `connected` once every socket answered a ping (and every floor
/// connection is made), waits for `watch` on stdin, makes every socket watch, prints
/// `<ns> <revision>` as the last of its watchers receives each revision (`<ns> <revision> floor`
/// for the floor connections), and exits at EOF on stdin.
struct WatcherPool {
    var socket: String
    var floorSocket: String?
    var size: Int

    func run() async throws {
        var sockets: [Int32] = []
        for _ in 0..<size { sockets.append(try RawSocket.connectAndPing(socket)) }
        var floorSockets: [Int32] = []
        if let floorSocket {
            for _ in 0..<size { floorSockets.append(try RawSocket.connect(floorSocket)) }
        }
        Self.emit("connected")
        guard readLine() == "watch" else { return }
        let tracker = ArrivalTracker(parties: size) { revision, time in Self.emit("\(time) \(revision)") }
        let floorTracker = ArrivalTracker(parties: size) { revision, time in Self.emit("\(time) \(revision) floor") }
        var channels: [any Channel] = []
        for (descriptor, floor) in sockets.map({ ($0, false) }) + floorSockets.map({ ($0, true) }) {
            let reading = floor ? floorTracker : tracker
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RevisionReader(tracker: reading))
                    }
                }
                .withConnectedSocket(descriptor).get()
            if !floor { channel.writeAndFlush(ByteBuffer(string: "{\"op\":\"watch\"}\n"), promise: nil) }
            channels.append(channel)
        }
        while readLine() != nil {}
        for channel in channels { try? await channel.close() }
    }

    /// One write(2) per line.
    static func emit(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
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
