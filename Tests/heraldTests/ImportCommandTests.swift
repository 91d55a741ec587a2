import Foundation
import HeraldTestSupport
import Testing

/// `herald import` as an operator runs it, on the golden host trees of HeraldConfigTests: exit
/// codes, the file's mode, secrets kept out of stderr and `--stdout`, and a result that
/// `herald render` accepts.
@Suite("herald import command")
struct ImportCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../HeraldConfigTests/Fixtures/import").standardizedFileURL

    static let secrets = ["Zk-s3cret", "M4rathon-secret", "F0llower-secret", "Ag3nt-secret", "Js0n-agent-secret"]

    func run(_ arguments: [String]) async throws -> ChildProcess.Result {
        try await ChildProcess.run(CommandLineTests.binary.path, arguments)
    }

    @Test(
        "exit 0 when all mapped, 1 with warnings; the file is 0600 and secrets stay out of stderr",
        arguments: [
            ("mantl-leader", Int32(0)), ("mantl-mixed", 1), ("mesosphere-leader", 0), ("mesosphere-follower", 1),
        ])
    func writes(_ name: String, _ expected: Int32) async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("herald-import-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let root = Self.fixtures.appendingPathComponent("\(name)/root").path
        let result = try await run(["import", "--root", root, "--out", out])
        #expect(result.status == expected, "\(result.output)")
        let attributes = try FileManager.default.attributesOfItem(atPath: out)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let written = try String(contentsOfFile: out, encoding: .utf8)
        let golden = try String(
            contentsOf: Self.fixtures.appendingPathComponent("\(name)/expected.yaml"), encoding: .utf8)
        #expect(written == golden)
        for secret in Self.secrets { #expect(!result.output.contains(secret)) }
        let render = try await run([
            "render", "--config", out, "--role", name.hasSuffix("follower") ? "follower" : "leader", "--stdout",
        ])
        #expect(render.status == 0, "\(render.output)")
    }

    @Test("--stdout redacts every secret")
    func stdout() async throws {
        let root = Self.fixtures.appendingPathComponent("mantl-leader/root").path
        let result = try await run(["import", "--root", root, "--stdout"])
        #expect(result.status == 0)
        #expect(result.output.contains("herald_zk_secret: \"<redacted>\""))
        for secret in Self.secrets { #expect(!result.output.contains(secret)) }
    }

    @Test("exit 2 and no file when nothing usable is found")
    func nothing() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("herald-import-\(UUID()).yaml").path
        let result = try await run([
            "import", "--root", Self.fixtures.appendingPathComponent("empty/root").path, "--out", out,
        ])
        #expect(result.status == 2)
        #expect(result.output.contains("nothing to import"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("--out or --stdout is required: usage error 2")
    func usage() async throws {
        #expect(try await run(["import"]).status == 2)
    }
}
