import ArgumentParser
import Foundation
import Logging
import ZooKeeper

/// Sequential round trips on one session: `get` of one node, or `create`+`delete` pairs.
/// Prints one JSON line; `Benchmarks/zk-roundtrip` runs it beside the kazoo harness.
@main
struct RoundTrip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zk-roundtrip", abstract: "ZooKeeper round-trip rate of one session.")

    enum Kind: String, ExpressibleByArgument {
        case get
        case createDelete = "create-delete"
    }

    @Option(help: "host:port list of the ensemble.")
    var servers: String

    @Option(help: "get | create-delete")
    var kind: Kind = .get

    @Option(help: "Measured operations (a create+delete pair counts as one).")
    var ops: Int = 5000

    @Option(help: "Unmeasured operations first.")
    var warmup: Int = 200

    func run() async throws {
        var logger = Logger(label: "zk-roundtrip")
        logger.logLevel = .warning
        let zk = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(servers: servers, connectTimeout: .seconds(20)), logger: logger)
        let base = "/herald-bench"
        try await zk.ensurePath(base)
        let node = "\(base)/node"
        let payload = [UInt8](repeating: 0x61, count: 64)
        if try await zk.exists(node) == nil { try await zk.create(node, data: payload) }
        let scratch = "\(base)/cd"
        if try await zk.exists(scratch) != nil { try await zk.delete(scratch) }

        func once() async throws {
            switch kind {
            case .get:
                _ = try await zk.get(node)
            case .createDelete:
                try await zk.create(scratch, data: payload)
                try await zk.delete(scratch)
            }
        }
        for _ in 0..<warmup { try await once() }
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<ops { try await once() }
        let elapsed = clock.now - start
        await zk.close()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(ops) / seconds
        print(
            #"{"impl":"herald","kind":"\#(kind.rawValue)","ops":\#(ops),"seconds":\#(seconds),"rate":\#(rate)}"#)
    }
}
