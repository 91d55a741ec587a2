import ArgumentParser
import Foundation
import HeraldConfig

/// `herald import`: `herald.yaml` from the Mesos configuration a Mantl (or Mesosphere-packaged)
/// host already has. See `MesosImport` for what is read and how it maps.
///
/// Every value that cannot be mapped, and every conflict between two files, is one line on
/// stderr naming the file and the line; secrets never appear there. The result is checked by
/// loading it as `herald serve` would before it is written (mode 0600, atomically).
/// Exit 0 when everything mapped, 1 with warnings, 2 when nothing usable was found.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write herald.yaml from the Mesos configuration of a Mantl or Mesosphere host.",
        discussion: """
            Reads /etc/sysconfig/mesos-master, /etc/sysconfig/mesos-agent and their credentials files \
            (Mantl 1.x), and /etc/mesos/zk, /etc/default/mesos*, /etc/mesos-master/, /etc/mesos-slave/ and \
            /etc/mesos/credentials (Mesosphere packages). Exit codes: 0 everything mapped, 1 with warnings \
            (one line each, naming the file and line), 2 nothing usable found.
            """)

    @Option(help: "Read the host's files under this directory instead of /.")
    var root = "/"

    @Option(help: "Write the configuration here (mode 0600).")
    var out: String?

    @Flag(help: "Print the configuration with secrets redacted instead of writing it.")
    var stdout = false

    func validate() throws {
        if out == nil, !stdout { throw ValidationError("give --out FILE or --stdout") }
        if out != nil, stdout { throw ValidationError("give either --out FILE or --stdout, not both") }
    }

    func run() async throws {
        let result = MesosImport.run(root: root)
        for warning in result.warnings { StandardError.write("import: \(warning)\n") }
        guard let mode = result.mode else { throw ExitCode(2) }
        let checked = Self.check(result.yaml)
        for problem in checked { StandardError.write("import: the result does not load: \(problem)\n") }
        if stdout {
            print(result.redactedYAML, terminator: "")
        } else if let out {
            do {
                try AtomicFile.write(result.yaml, to: out, mode: 0o600)
            } catch {
                throw HeraldExit(code: .failure, message: "import: cannot write \(out): \(error)")
            }
            StandardError.write(
                "import: wrote \(out) (mode 600, mesos_mode \(mode.rawValue), from \(Set(result.sources).count) files)\n"
            )
        }
        let code = checked.isEmpty ? result.exitCode : 1
        if code != 0 { throw ExitCode(code) }
    }

    /// Loads `yaml` as `herald serve` would; returns the problems (secrets are never quoted).
    static func check(_ yaml: String) -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "herald-import-\(UUID().uuidString).yaml"
        )
        .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            try AtomicFile.write(yaml, to: path, mode: 0o600)
            _ = try ConfigurationLoader.load(file: path, environment: [:])
            return []
        } catch let errors as ConfigurationErrors {
            return errors.description.split(separator: "\n").map {
                $0.replacingOccurrences(of: path, with: "herald.yaml")
            }
        } catch {
            return ["\(error)"]
        }
    }
}
