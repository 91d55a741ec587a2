import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// The `herald` command: a thin layer over the library modules.
@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "ZooKeeper-backed coordination sidecar for Mesos clusters (Mantl layout).",
        discussion: """
            Manages the Mesos chroot in ZooKeeper, runs a quorum-aware leader election in Mesos' own \
            znode format, and publishes the leader to local consumers.

            Exit codes: 0 ok, 1 no leader or no quorum, 2 usage or configuration error, \
            3 cannot reach the socket or ZooKeeper.
            """,
        version: HeraldVersion.string,
        subcommands: [
            ServeCommand.self, ConfigCommand.self, RenderCommand.self, BootstrapCommand.self, LeaderCommand.self,
            WatchCommand.self, DNSCommand.self, StatusCommand.self, ImportCommand.self,
        ]
    )

    /// Herald's exit codes (DESIGN.md): usage errors are 2, not ArgumentParser's 64.
    ///
    /// `herald leader --socket PATH` alone is answered before ArgumentParser builds the command
    /// tree (`LeaderFastPath`): scripts and health checks run it in loops, and parsing costs more
    /// than the exchange. Its output, exit codes and messages are the same as through the parser.
    static func main() async {
        if let path = LeaderFastPath.socketPath(in: CommandLine.arguments.dropFirst()) {
            LeaderFastPath.run(socketPath: path)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(with: error)
        }
    }

    /// Ends the process for an error thrown by a command (or by parsing): the message on stderr
    /// (stdout for `--help` and `--version`) and DESIGN.md's exit code.
    static func exit(with error: any Error) -> Never {
        if let exit = error as? HeraldExit {
            StandardError.write(exit.message + "\n")
            Glibc.exit(exit.code.rawValue)
        }
        let code = exitCode(for: error)
        let message = fullMessage(for: error)
        if !message.isEmpty {
            if code == .success {
                print(message)
            } else {
                StandardError.write(message + "\n")
            }
        }
        Glibc.exit(code == .validationFailure ? ExitCode.usage.rawValue : code.rawValue)
    }
}

extension ExitCode {
    /// Usage or configuration error.
    static let usage = ExitCode(2)
}

enum HeraldVersion {
    static let string = "0.1.0"
}

enum StandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}
