import Foundation
import HeraldTestSupport
import Testing

/// Runs the built `herald` binary as a user would.
@Suite("herald command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
    }

    /// The test bundle sits in the build products folder, next to the `herald` executable.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("herald")
    }

    func run(_ arguments: String...) async throws -> Run {
        let result = try await ChildProcess.run(Self.binary.path, arguments)
        return Run(status: result.status, output: result.output)
    }

    @Test("--version prints the version and exits 0")
    func version() async throws {
        let result = try await run("--version")
        #expect(result.status == 0)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test("--help describes the tool and exits 0")
    func help() async throws {
        let result = try await run("--help")
        #expect(result.status == 0)
        #expect(result.output.contains("USAGE: herald"))
        #expect(result.output.contains("ZooKeeper"))
    }

    @Test("an unknown option is a usage error with exit code 2")
    func unknownOption() async throws {
        let result = try await run("--no-such-option")
        #expect(result.status == 2)
        #expect(result.output.contains("--no-such-option"))
    }

    /// Writes a configuration file for one test.
    func configFile(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cli-\(UUID()).yml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a configuration mistake exits 2 with one line per mistake, naming key and value")
    func configurationError() async throws {
        let path = try configFile("mesos_mode: boss\nmesos_zk_chrot: x\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await run("config", "--config", path)
        #expect(result.status == 2)
        #expect(
            result.output == """
                \(path):1: mesos_mode: 'boss' is not one of leader, follower, mixed
                \(path):2: mesos_zk_chrot: unknown key (did you mean 'mesos_zk_chroot'?)

                """)
    }

    @Test("herald config prints the effective configuration without secrets")
    func effectiveConfiguration() async throws {
        let path = try configFile("mesos_follower_secret: hush-hush\nmesos_cluster: prod\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await run("config", "--config", path, "--set", "mesos_mode=leader")
        #expect(result.status == 0)
        #expect(result.output.contains("mesos_mode: leader\n"))
        #expect(result.output.contains("mesos_cluster: prod\n"))
        #expect(result.output.contains("mesos_follower_secret: <redacted>\n"))
        #expect(!result.output.contains("hush-hush"))
        let refused = try await run("config", "--set", "mesos_follower_secret=hush-hush")
        #expect(refused.status == 2)
        #expect(!refused.output.contains("hush-hush"))
    }

    @Test("herald render writes the files with their modes, or prints them redacted")
    func render() async throws {
        let path = try configFile(
            "mesos_zk_hosts: [10.0.0.1:2181]\nmesos_follower_secret: s3cr3t\nherald_hostname: f1\nherald_advertise_ip: 10.0.0.9\n"
        )
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-out-\(UUID())").path
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let printed = try await run("render", "--config", path, "--role", "follower", "--stdout")
        #expect(printed.status == 0)
        #expect(printed.output.contains("MESOS_MASTER=\"zk://10.0.0.1:2181/mesos\""))
        #expect(!printed.output.contains("s3cr3t"))
        let written = try await run("render", "--config", path, "--role", "follower", "--out", directory)
        #expect(written.status == 0, "\(written.output)")
        let credential = try String(contentsOfFile: "\(directory)/mesos-agent-credential.json", encoding: .utf8)
        #expect(credential == "{\"principal\":\"follower\",\"secret\":\"s3cr3t\"}\n")
        let mode =
            try FileManager.default.attributesOfItem(atPath: "\(directory)/mesos-agent-credential.json")[
                .posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let missing = try await run("render", "--config", path, "--role", "follower")
        #expect(missing.status == 2)
    }

    @Test("herald bootstrap creates and secures the chroot, reports a differing ACL, and fails clearly offline")
    func bootstrap() async throws {
        let servers = try TestEnsemble.servers
        let root = "herald-cli-\(UUID().uuidString.prefix(8).lowercased())"
        let chroot = "\(root)/mesos"
        // Herald's own directory of this test alone: another test's may be open to the world.
        let own = "mesos_zk_hosts: \(servers)\nmesos_zk_chroot: \(chroot)\nherald_zk_path: /\(root)/herald\n"
        let secured = try configFile(own + "herald_zk_user: herald\nherald_zk_secret: s3cret\n")
        let open = try configFile(own)
        defer {
            try? FileManager.default.removeItem(atPath: secured)
            try? FileManager.default.removeItem(atPath: open)
        }
        let first = try await run("bootstrap", "--config", secured)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("created /\(chroot)\n"))
        #expect(!first.output.contains("s3cret"))
        let again = try await run("bootstrap", "--config", secured)
        #expect(again.status == 0)
        #expect(again.output.contains("exists  /\(chroot)\n"))
        // Without credentials Herald wants a world-open chroot: it reports, and changes nothing.
        let differs = try await run("bootstrap", "--config", open)
        #expect(differs.status == 1, "\(differs.output)")
        #expect(differs.output.contains("DIFFERS"))
        let offline = try await run(
            "bootstrap", "--config", open, "--set", "mesos_zk_hosts=127.0.0.1:1", "--timeout", "1")
        #expect(offline.status == 3)
        #expect(offline.output.hasPrefix("bootstrap /\(chroot): ZooKeeper connect to 127.0.0.1:1"))
    }
}
