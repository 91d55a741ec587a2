import ArgumentParser
import Discovery
import MesosLayout

/// `herald leader`: print the Mesos leader like `mesos-resolve` does, for scripts and health checks.
struct LeaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leader",
        abstract: "Print the current Mesos leader (10.0.0.1:5050, like mesos-resolve).",
        discussion: """
            Asks the local Herald over its socket. While Herald has lost ZooKeeper but the session \
            timeout has not passed, the last leader is printed and flagged as stale on stderr, as \
            Mesos' own detector keeps reporting it. Exit codes: 0 a leader was printed, 1 no leader \
            or no quorum, 2 usage error, 3 the socket (or ZooKeeper) cannot be reached.
            """)

    @OptionGroup var socket: SocketOptions

    @Option(help: "Output: hostport, pid, hostname, url or json.")
    var format: LeaderFormat?

    @Flag(help: "Same as --format json.")
    var json = false

    @Flag(
        help: "Wait until there is a leader (bounded by --timeout); on a terminal, a progress line after a second.")
    var wait = false

    @Option(help: "Seconds to wait for an answer (and, with --wait, for a leader).")
    var timeout: Double = Self.defaultTimeout

    /// `--timeout`'s default, in seconds (also `LeaderFastPath`'s).
    static let defaultTimeout: Double = 5

    @Option(
        name: .customLong("zk"),
        help: ArgumentHelp("Read the election straight from ZooKeeper (zk://host:port/mesos).", valueName: "URL"))
    var zooKeeper: String?

    @Option(help: "With --zk: candidates required before a leader is announced (herald_quorum).")
    var quorum = 1

    func validate() throws {
        if json, let format, format != .json {
            throw ValidationError("--json and --format \(format.rawValue) contradict each other")
        }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number") }
        guard quorum >= 1 else { throw ValidationError("--quorum must be at least 1") }
    }

    func run() async throws {
        let limit = Self.limit(timeout)
        let source = try source(timeout: limit)
        let wait = wait
        let answer = try await WaitProgress.around(enabled: wait, timeout: Self.seconds(timeout)) {
            try await source.answer(wait: wait, timeout: limit)
        }
        try Self.report(answer, format: json ? .json : format ?? .hostport, waited: wait ? Self.seconds(timeout) : nil)
    }

    /// `--timeout` as the bound of each exchange.
    static func limit(_ timeout: Double) -> Duration {
        .milliseconds(Int64(timeout * 1000))
    }

    /// Prints the leader on stdout (and the stale warning on stderr), or throws the exit-1 error;
    /// `waited` is the `--wait` time the message names.
    static func report(_ answer: LeaderSource.LeaderAnswer, format: LeaderFormat, waited: String?) throws {
        guard let leader = answer.leader else {
            let after = waited.map { " after waiting \($0)" } ?? ""
            throw HeraldExit(code: .failure, message: "leader: \(answer.reason)\(after)")
        }
        if answer.stale {
            StandardError.write("leader: stale: Herald lost ZooKeeper; this is the last known leader\n")
        }
        StandardOutput.write(format.render(leader) + "\n")
    }

    private func source(timeout: Duration) throws -> LeaderSource {
        guard let zooKeeper else { return .socket(path: socket.path, timeout: timeout) }
        let url: ZooKeeperURL
        do {
            url = try ZooKeeperURL(parsing: zooKeeper)
        } catch {
            throw HeraldExit(code: .usage, message: "leader: --zk \(zooKeeper): \(error)")
        }
        guard url.credentials == nil else {
            // Reading the election needs no credentials, and a secret on the command line shows in ps.
            throw HeraldExit(
                code: .usage,
                message: "leader: --zk: remove user:password@ from the URL; reading the election needs no credentials")
        }
        return .zooKeeper(url, required: quorum)
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
