import ArgumentParser
import Discovery
import Foundation

/// How `herald leader` prints the leader.
enum LeaderFormat: String, CaseIterable, ExpressibleByArgument {
    /// `10.0.0.1:5050`, what `mesos-resolve` prints.
    case hostport
    /// `master@10.0.0.1:5050`, the libprocess pid agents connect to.
    case pid
    /// The master's host name (its IP when it has none).
    case hostname
    /// `http://10.0.0.1:5050`, the master's web UI and API.
    case url
    /// The leader object of the snapshot, one line.
    case json

    func render(_ leader: Snapshot.Member) -> String {
        switch self {
        case .hostport: leader.hostPort
        case .pid: leader.pid ?? "master@\(leader.hostPort)"
        case .hostname: leader.hostname ?? leader.ip
        case .url: "http://\(leader.hostPort)"
        case .json: Self.json(leader)
        }
    }

    private static func json(_ leader: Snapshot.Member) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(leader) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
