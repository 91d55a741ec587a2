import ArgumentParser
import HeraldConfig

/// `herald config`: the effective configuration, secrets redacted.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the effective configuration with every secret redacted.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        print(ConfigurationLoader.describe(configuration))
    }
}
