import Foundation
import HeraldTestSupport

/// `Tests/faults/lab`: the network namespaces, the bridge and the lab's own ensemble. The suite
/// runs only under `Tests/run.sh --faults`, which brings the lab up (as root) and sets
/// `HERALD_FAULTS=1` and `HERALD_LAB_ZK`.
enum Lab {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = root.appendingPathComponent("Tests/faults/lab").path

    static var enabled: Bool { ProcessInfo.processInfo.environment["HERALD_FAULTS"] == "1" }

    static var servers: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["HERALD_LAB_ZK"], !value.isEmpty else {
                throw SetupError("HERALD_LAB_ZK is not set: run the fault suite with Tests/run.sh --faults")
            }
            return value
        }
    }

    /// Runs `lab ARGS…`; throws with its output when it fails.
    @discardableResult
    static func run(_ arguments: String...) async throws -> String {
        let result = try await ChildProcess.run(script, arguments)
        guard result.status == 0 else {
            throw SetupError("lab \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output
    }

    /// Server `id` (1-based) of the lab's ensemble, as the sockets name it.
    static func server(_ id: Int) -> String { "10.77.1.\(id):21941" }

    static func serverID(_ address: String?) -> Int? {
        guard let address, address.hasPrefix("10.77.1.") else { return nil }
        return Int(address.dropFirst("10.77.1.".count).prefix { $0 != ":" })
    }

    /// How many times each scenario runs (`HERALD_FAULT_LOOPS`, 1 by default).
    static let loops = max(1, Int(ProcessInfo.processInfo.environment["HERALD_FAULT_LOOPS"] ?? "") ?? 1)
}
