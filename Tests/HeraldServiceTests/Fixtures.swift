import ElectionModel
import Foundation
import HeraldTestSupport
import MesosLayout

@testable import HeraldService

/// Synthetic election values and scratch files shared by the suites.
enum Fixtures {
    static func candidate(_ sequence: Int32, ip: String, hostname: String, epoch: Int64) -> Candidate {
        let node = String(format: "json.info_%010d", sequence)
        return Candidate(
            node: node, path: "/mesos/\(node)", sequence: sequence, epoch: epoch,
            ephemeralOwner: 0x1000 + Int64(sequence),
            info: MasterInfo(id: "id-\(sequence)", ipv4: ip, port: 5050, hostname: hostname, version: "1.11.0"))
    }

    static let first = candidate(41, ip: "10.0.0.1", hostname: "m1", epoch: 4_294_967_342)
    static let second = candidate(42, ip: "10.0.0.2", hostname: "m2", epoch: 4_294_967_400)

    /// An elected view led by `leader`, with `first` and `second` as candidates.
    static func electedView(leader: Candidate = first, required: Int = 2) -> ElectionView {
        ElectionView(
            state: .elected, leader: leader, candidates: [first, second], required: required,
            connection: ConnectionInfo(
                state: .connected, server: "127.0.0.1:2181", sessionTimeout: .seconds(10), sessionID: 0x1234))
    }

    /// A fresh directory, removed after `body`.
    static func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-service-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    static func lines(of file: URL) -> [String] {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }
}

extension LogRecorder.Record {
    var hook: String? { metadata["hook"] }
}
