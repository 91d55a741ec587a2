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
}
