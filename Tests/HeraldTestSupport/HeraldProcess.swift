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
    /// The remote ports of this process' established TCP connections (from `/proc`): how many
    /// ZooKeeper sessions it holds, say, when compared with the ensemble's client ports.
    public var establishedRemotePorts: [Int] {
        let fdDirectory = "/proc/\(pid)/fd"
        let links = (try? FileManager.default.contentsOfDirectory(atPath: fdDirectory)) ?? []
        var inodes = Set<String>()
        for link in links {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: fdDirectory + "/" + link),
                target.hasPrefix("socket:[")
            else { continue }
            inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
        }
        var ports: [Int] = []
        for table in ["/proc/\(pid)/net/tcp", "/proc/\(pid)/net/tcp6"] {
            // Read to the end: /proc files report no size, and a sized read stops after one page.
            let text =
                FileHandle(forReadingAtPath: table).map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) }
                ?? ""
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // sl local remote st tx:rx tr:when retrnsmt uid timeout inode
                guard fields.count > 9, fields[3] == "01", inodes.contains(String(fields[9])),
                    let port = fields[2].split(separator: ":").last.flatMap({ Int($0, radix: 16) })
                else { continue }
                ports.append(port)
            }
        }
        return ports
    }
}
