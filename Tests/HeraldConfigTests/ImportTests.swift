import Foundation
import Testing

@testable import HeraldConfig

/// `herald import` on golden host trees of both layouts (`Fixtures/import/<case>/root`, written
/// from Mantl's role templates and the Mesosphere packages' conventions): the YAML and the warnings
/// are compared with `expected.yaml` and `expected.warnings`, and the round trip is checked:
/// `herald render` from the imported file gives back every `MESOS_*` value of the input that was
/// imported. Regenerate the golden files with HERALD_UPDATE_GOLDEN=1, then review the diff.
@Suite("herald import")
struct ImportTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var exitCode: Int32
        /// Input flags that `herald import` refuses (each has its warning line): `KEY`, or
        /// `leader:KEY` / `follower:KEY` for one role's file only.
        var refused: Set<String> = []
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "mantl-leader", exitCode: 0),
        Case(
            name: "mantl-mixed", exitCode: 1,
            refused: ["MESOS_EXTERNAL_LOG_FILE", "MESOS_CONTAINERIZERS", "MESOS_EXECUTOR_REGISTRATION_TIMEOUT"]),
        Case(
            name: "mantl-conflict", exitCode: 1,
            refused: [
                "MESOS_QUORUM", "MESOS_LOGGING_LEVEL", "MESOS_CREDENTIALS", "MESOS_HOSTNAME", "MESOS_MASTER",
                "follower:MESOS_WORK_DIR",
            ]),
        Case(name: "mesosphere-leader", exitCode: 0),
        Case(name: "mesosphere-follower", exitCode: 1),
    ]

    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/import")

    @Test("golden YAML and warnings", arguments: cases)
    func golden(_ testCase: Case) throws {
        let directory = Self.fixtures.appendingPathComponent(testCase.name)
        let result = MesosImport.run(root: directory.appendingPathComponent("root").path)
        #expect(result.exitCode == testCase.exitCode)
        let warnings = result.warnings.map { "\($0)\n" }.joined()
        if ProcessInfo.processInfo.environment["HERALD_UPDATE_GOLDEN"] == "1" {
            try result.yaml.write(
                to: directory.appendingPathComponent("expected.yaml"), atomically: true, encoding: .utf8)
            try warnings.write(
                to: directory.appendingPathComponent("expected.warnings"), atomically: true, encoding: .utf8)
        }
        #expect(
            result.yaml == (try String(contentsOf: directory.appendingPathComponent("expected.yaml"), encoding: .utf8)))
        #expect(
            warnings == (try String(contentsOf: directory.appendingPathComponent("expected.warnings"), encoding: .utf8))
        )
        for secret in ["Zk-s3cret", "M4rathon-secret", "F0llower-secret", "Ag3nt-secret", "Js0n-agent-secret"] {
            #expect(!warnings.contains(secret), "a warning shows a secret")
            #expect(!result.redactedYAML.contains(secret), "--stdout shows a secret")
        }
    }

    @Test("nothing usable: exit 2")
    func empty() {
        let root = Self.fixtures.appendingPathComponent("empty/root").path
        let result = MesosImport.run(root: root)
        #expect(result.exitCode == 2)
        #expect(result.mode == nil)
        #expect(result.warnings.map(\.description) == ["no Mesos configuration found under \(root): nothing to import"])
    }

    @Test("herald render gives back the imported MESOS_* values", arguments: cases)
    func roundTrip(_ testCase: Case) throws {
        let root = Self.fixtures.appendingPathComponent(testCase.name).appendingPathComponent("root").path
        let result = MesosImport.run(root: root)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-import-\(UUID()).yaml").path
        try result.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try ConfigurationLoader.load(file: path, environment: [:])
        let host = HostFacts.resolve(configuration)
        let input = try InputFlags(root: root)
        var compared = 0
        for (role, flags) in [(MesosRender.Role.leader, input.master), (.follower, input.agent)] where !flags.isEmpty {
            let files = try MesosRender.files(role: role, configuration: configuration, host: host, directory: "/out")
            let rendered = Self.environment(files[0].contents)
            for (key, value) in flags
            where !testCase.refused.contains(key) && !testCase.refused.contains("\(role.rawValue):\(key)") {
                let name = InputFlags.canonical(key)
                if rendered[name] == nil, InputFlags.mesosDefaults[name] == value {
                    compared += 1  // Mesos' default: the same whether written or not
                    continue
                }
                if name == "MESOS_CREDENTIALS" || name == "MESOS_CREDENTIAL" {
                    let file = try #require(
                        files.first { $0.name.contains("credential") }, "\(role): no credentials file")
                    #expect(try Self.credentials(file.contents) == input.credentials(value), "\(role) \(key)")
                } else {
                    #expect(
                        rendered[name] == value,
                        "\(role) \(key): input \(value), rendered \(rendered[name] ?? "nothing")")
                }
                compared += 1
            }
        }
        #expect(compared >= 4)
    }

    static func environment(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            values[String(line[..<equals])] = value
        }
        return values
    }

    /// Principal → secret of a rendered JSON credentials file.
    static func credentials(_ json: String) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        let list =
            (object as? [String: Any])?["credentials"] as? [[String: String]] ?? [object as? [String: String] ?? [:]]
        return Dictionary(uniqueKeysWithValues: list.map { ($0["principal"] ?? "", $0["secret"] ?? "") })
    }
}

/// The input's Mesos flags as `MESOS_*` names, read the simple way a test can trust: sysconfig
/// `KEY=VALUE` lines, and the Mesosphere one-value-per-file directories.
struct InputFlags {
    var master: [String: String] = [:]
    var agent: [String: String] = [:]
    let root: String

    init(root: String) throws {
        self.root = root
        let manager = FileManager.default
        for (file, isMaster) in [("/etc/sysconfig/mesos-master", true), ("/etc/sysconfig/mesos-agent", false)] {
            guard let text = try? String(contentsOfFile: root + file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("MESOS_") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                let pair = (String(line[..<equals]), String(line[line.index(after: equals)...]))
                if isMaster { master[pair.0] = pair.1 } else { agent[pair.0] = pair.1 }
            }
        }
        let zk = (try? String(contentsOfFile: root + "/etc/mesos/zk", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for (directory, isMaster) in [("/etc/mesos-master", true), ("/etc/mesos-slave", false)] {
            guard let names = try? manager.contentsOfDirectory(atPath: root + directory) else { continue }
            var flags: [String: String] = [:]
            for name in names.sorted() {
                let path = root + directory + "/" + name
                if name.hasPrefix("?") {
                    flags["MESOS_" + name.dropFirst().uppercased()] = "true"
                } else if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                    flags["MESOS_" + name.uppercased()] = text.trimmingCharacters(in: .whitespacesAndNewlines)
                } else if let items = try? manager.contentsOfDirectory(atPath: path) {
                    flags["MESOS_" + name.uppercased()] = try items.sorted().map {
                        "\($0):"
                            + (try String(contentsOfFile: path + "/" + $0, encoding: .utf8))
                            .trimmingCharacters(in: .whitespacesAndNewlines)
                    }.joined(separator: ";")
                }
            }
            if let zk { flags[isMaster ? "MESOS_ZK" : "MESOS_MASTER"] = zk }
            if isMaster { master.merge(flags) { $1 } } else { agent.merge(flags) { $1 } }
        }
    }

    /// Flags whose value is Mesos' default, which `herald render` does not write.
    static let mesosDefaults = ["MESOS_AUTHENTICATORS": "crammd5"]

    /// Today's name of a flag Mantl wrote under its older one.
    static func canonical(_ key: String) -> String {
        switch key {
        case "MESOS_AUTHENTICATE": return "MESOS_AUTHENTICATE_FRAMEWORKS"
        case "MESOS_AUTHENTICATE_SLAVES": return "MESOS_AUTHENTICATE_AGENTS"
        default: return key
        }
    }

    /// The credentials a flag's file holds, text (`principal secret` lines) or JSON.
    func credentials(_ value: String) throws -> [String: String] {
        let path = value.hasPrefix("file://") ? String(value.dropFirst(7)) : value
        let text = try String(contentsOfFile: root + path, encoding: .utf8)
        if text.hasPrefix("{") { return try ImportTests.credentials(text) }
        var pairs: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2 { pairs[String(fields[0])] = String(fields[1]) }
        }
        return pairs
    }
}
