public import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// One `herald serve` process of the built binary, with its configuration, socket and log in
/// `directory`.
public final class HeraldProcess: Sendable {
    public let name: String
    public let directory: String
    public let pid: pid_t
    private let reaped = NIOLockedValueBox(false)

    /// The built `herald`, next to the test bundle.
    public static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("herald")
    }

    public var socket: String { directory + "/\(name).sock" }
    public var log: String { directory + "/\(name).log" }

    /// Writes `yaml` to `directory/name.yaml` and starts `herald serve` on it.
    public init(name: String, directory: String, yaml: String) throws {
        self.name = name
        self.directory = directory
        let config = directory + "/\(name).yaml"
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        pid = try ChildProcess.spawn(
            Self.binary.path, ["serve", "--config", config], output: directory + "/\(name).log")
    }

    /// Sends `signal`; with `wait`, reaps the process on a thread of its own and returns its status.
    @discardableResult
    public func stop(_ signal: Int32 = SIGTERM, wait: Bool = true) async -> Int32? {
        guard !reaped.withLockedValue({ $0 }) else { return nil }
        kill(pid, signal)
        guard wait else { return nil }
        return await reap()
    }

    public func reap() async -> Int32 {
        let status = await ChildProcess.reap(pid)
        reaped.withLockedValue { $0 = true }
        return status
    }

    public var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

extension HeraldProcess {
    /// The remote ports of this process' established TCP connections, as `ss` (iproute2) reports
    /// them: how many ZooKeeper sessions it holds, compared with the ensemble's client ports.
    public func establishedRemotePorts() async throws -> [Int] {
        let result = try await ChildProcess.run("/usr/bin/env", ["ss", "-Htnp", "state", "established"])
        guard result.status == 0 else { throw SetupError("ss failed (\(result.status)): \(result.output)") }
        return result.output.split(separator: "\n").compactMap { line -> Int? in
            guard line.contains("pid=\(pid),") else { return nil }
            // Recv-Q Send-Q Local:Port Peer:Port Process
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4 else { return nil }
            return fields[3].split(separator: ":").last.flatMap { Int($0) }
        }
    }
}
