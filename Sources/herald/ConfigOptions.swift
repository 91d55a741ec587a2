import ArgumentParser
import Foundation
import HeraldConfig

/// `--config FILE` and `--set KEY=VALUE`, shared by every command that reads the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "YAML file with the Mantl variables and herald_ keys.")
    var config: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override one key (KEY=VALUE); repeatable. Secrets only through the file or HERALD_<KEY>.",
            valueName: "KEY=VALUE"))
    var overrides: [String] = []

    /// Loads and validates; a mistake ends the process with exit code 2 and one line per problem.
    func load() throws -> HeraldConfiguration {
        do {
            return try ConfigurationLoader.load(
                file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            throw HeraldExit(code: .usage, message: error.description)
        }
    }
}

/// Ends the command with an exit code of DESIGN.md and a message on stderr.
struct HeraldExit: Error {
    var code: ExitCode
    var message: String
}
