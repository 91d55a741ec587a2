import ArgumentParser
import Discovery
import Election
import ElectionModel
import Foundation
import HeraldConfig
import HeraldSupport
import Logging
import MesosLayout
import ZooKeeper

/// `herald status`: one screen on the local Herald (its session and election, from the socket)
/// and on ZooKeeper itself (invalid members, hazards, registered followers, and each server's
/// mode from the `srvr` four-letter word). Exit 0 with a leader, 1 without, 3 when neither the
/// socket nor ZooKeeper answers.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the session, the election, the quorum and the ensemble's health.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "The local Herald's socket (default: herald_socket).")
    var socket: String?

    @Flag(help: "Print JSON instead of the screen.")
    var json = false

    @Option(help: "Seconds to wait for each source.")
    var timeout: Double = 3

    struct Report: Encodable {
        struct Server: Encodable {
            var address: String
            var mode: String?
            var error: String?
        }

        var socket: String
        var snapshot: Snapshot?
        var socketError: String?
        var invalid: [String] = []
        var hazards: [String] = []
        var followers: [String] = []
        var zooKeeperError: String?
        var servers: [Server] = []

        enum CodingKeys: String, CodingKey {
            case socket, snapshot, invalid, hazards, followers, servers
            case socketError = "socket_error"
            case zooKeeperError = "zookeeper_error"
        }
    }

    func run() async throws {
        let configuration = try options.load()
        let limit = Duration.milliseconds(Int64(max(timeout, 0.1) * 1000))
        var logger = Logger(label: "herald.status")
        logger.logLevel = .critical
        ZooKeeperClient.bootstrapLogging(logger)
        let path = socket ?? configuration.heraldSocket
        var report = Report(socket: path)
        do {
            report.snapshot = try await DiscoveryClient(socketPath: path, timeout: limit).current()
        } catch {
            report.socketError = "\(error)"
        }
        let servers = try await BootstrapCommand.servers(configuration)
        await readZooKeeper(configuration, servers: servers, limit: limit, logger: logger, into: &report)
        for entry in servers.split(separator: ",") {
            let address = String(entry)
            guard let parts = try? HostPort.split(address), let port = parts.port() else { continue }
            let host = parts.host
            do {
                let answer = try await FourLetterWord.ask("srvr", host: host, port: port, timeout: limit)
                let mode = FourLetterWord.mode(fromSrvr: answer)
                report.servers.append(.init(address: address, mode: mode, error: mode == nil ? "srvr refused" : nil))
            } catch {
                report.servers.append(.init(address: address, mode: nil, error: "\(error)"))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            StandardOutput.write(String(decoding: try encoder.encode(report), as: UTF8.self) + "\n")
        } else {
            StandardOutput.write(Self.screen(report))
        }
        if report.snapshot == nil && report.zooKeeperError != nil {
            throw ExitCode(3)
        }
        if report.snapshot?.leader == nil { throw ExitCode.failure }
    }

    private func readZooKeeper(
        _ configuration: HeraldConfiguration, servers: String, limit: Duration, logger: Logger,
        into report: inout Report
    ) async {
        do {
            let client = try await ZooKeeperClient.connect(
                ZooKeeperConfiguration(servers: servers, sessionTimeout: .seconds(10), connectTimeout: limit),
                logger: logger)
            do {
                let count = max(servers.split(separator: ",").count, 1)
                let view = try await OneShotReader.view(
                    client: client, basePath: configuration.basePath,
                    required: configuration.quorum(zooKeeperHostCount: count))
                report.invalid = view.invalid.map(\.description)
                report.hazards = view.hazards.map(\.description)
                let paths = configuration.heraldPaths
                var followers: Set<String> = []
                for directory in [paths.followers, paths.legacyFollowers] {
                    do {
                        followers.formUnion(try await client.children(directory).children)
                    } catch let error as ZooKeeperError where error.code == .noNode {}
                }
                report.followers = followers.sorted()
            } catch {
                report.zooKeeperError = "\(error)"
            }
            await client.close()
        } catch {
            report.zooKeeperError = "\(error)"
        }
    }

    static func screen(_ report: Report) -> String {
        var lines: [String] = []
        if let snapshot = report.snapshot {
            let zk = snapshot.zookeeper
            lines.append(
                "session    \(zk.state) to \(zk.server ?? "-"), id \(zk.sessionID ?? "-"), timeout \(zk.sessionTimeoutMs) ms"
            )
            lines.append(
                "election   \(snapshot.state.rawValue)\(snapshot.stale ? " (stale)" : ""), this host: "
                    + "\(snapshot.publisher.role.rawValue) (\(snapshot.publisher.mode.rawValue), \(snapshot.publisher.hostname))"
            )
            if let leader = snapshot.leader {
                lines.append(
                    "leader     \(leader.hostname ?? "-") \(leader.hostPort) epoch \(leader.epoch) node \(leader.node)")
            } else {
                lines.append("leader     none")
            }
            lines.append("quorum     \(snapshot.quorum.present) present, \(snapshot.quorum.required) required")
            for candidate in snapshot.candidates {
                lines.append("candidate  \(candidate.node) \(candidate.hostname ?? "-") \(candidate.hostPort)")
            }
            for problem in snapshot.problems {
                lines.append("problem    \(problem.component): \(problem.message) (retrying)")
            }
        } else {
            lines.append("socket     \(report.socket): \(report.socketError ?? "no answer")")
        }
        if let error = report.zooKeeperError {
            lines.append("zookeeper  \(error)")
        } else {
            lines.append(
                "followers  \(report.followers.count)\(report.followers.isEmpty ? "" : ": ")\(report.followers.joined(separator: ", "))"
            )
            for invalid in report.invalid { lines.append("invalid    \(invalid)") }
            for hazard in report.hazards { lines.append("HAZARD     \(hazard)") }
        }
        for server in report.servers {
            lines.append(
                "server     \(server.address) \(server.mode ?? "unreachable")\(server.error.map { " (\($0))" } ?? "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
