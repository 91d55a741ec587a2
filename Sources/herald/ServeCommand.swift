import ArgumentParser
import Foundation
import HeraldConfig
import HeraldService
import Logging
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle
import ZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

/// `herald serve`: the long-running service (DESIGN.md "Modes").
///
/// The configuration is checked before anything else (exit 2, one line per mistake). ZooKeeper
/// being unreachable never ends the service: it keeps retrying and the socket keeps answering
/// (`disconnected`). SIGTERM or SIGINT shut it down gracefully: abdicate, final snapshot to the
/// socket's watchers, session closed, socket removed, exit 0, within a bounded time; a second
/// signal ends it at once.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Herald service: election, follower registration and the local socket.")

    @OptionGroup var options: ConfigOptions

    @Option(
        help: "Seconds a graceful shutdown may take; then the services are cancelled, and the process ends within 5 s.")
    var shutdownTimeout = 30

    func run() async throws {
        let configuration = try options.load()
        let logger = try Self.bootstrapLogging(configuration)
        let servers = try await BootstrapCommand.servers(configuration)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(HeraldMetrics.prometheusFactory(registry: registry))
        let server: HeraldServer
        do {
            server = try await HeraldServer.assemble(
                configuration: configuration, host: HostFacts.resolve(configuration), servers: servers,
                registry: registry, environment: ProcessInfo.processInfo.environment, logger: logger)
        } catch let error as HeraldServer.SetupError {
            throw HeraldExit(code: .usage, message: error.description)
        }
        let group = server.serviceGroup(
            logger: logger, gracefulShutdownSignals: [], maximumGracefulShutdownDuration: .seconds(shutdownTimeout))
        let signals = SignalHandling(group: group, logger: logger) { server.notifier?.stopping() }
        defer {
            signals.cancel()
            server.notifier?.stopping()
        }
        let plan = server.plan
        logger.notice(
            "herald serving",
            metadata: [
                "mode": "\(plan.mode.rawValue)", "socket": "\(plan.socketPath)", "zookeeper": "\(servers)",
                "base": "\(plan.basePath)", "quorum": "\(plan.required)",
            ])
        try await group.run()
        logger.notice("herald stopped")
    }

    /// swift-log to stderr (and `herald_log_file`) at `mesos_logging_level`; the C client's log too.
    static func bootstrapLogging(_ configuration: HeraldConfiguration) throws -> Logger {
        let level: Logger.Level =
            switch configuration.mesosLoggingLevel {
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
        let file = try configuration.heraldLogFile.map { try FileLogHandler.Sink(path: $0) }
        LoggingSystem.bootstrap { label in
            var stderr = StreamLogHandler.standardError(label: label)
            stderr.logLevel = level
            guard let file else { return stderr }
            var copy = FileLogHandler(label: label, sink: file)
            copy.logLevel = level
            return MultiplexLogHandler([stderr, copy])
        }
        var logger = Logger(label: "herald")
        logger.logLevel = level
        ZooKeeperClient.bootstrapLogging(logger)
        return logger
    }
}

/// SIGTERM/SIGINT: the first starts the group's graceful shutdown (whose own limits end the
/// process if it takes too long, `HeraldServer.serviceGroup`); a second one ends it at once.
///
/// A real `sigaction` handler writes the signal number to a pipe that a thread of its own
/// reads. Not a `DispatchSource`: on Linux, libdispatch reads signals from a `signalfd` and
/// blocks them only in its own thread, with the disposition set to ignore; a signal the kernel
/// hands to any other thread of the process (the ZooKeeper client's, NIO's, the pools') is then
/// discarded, and `herald serve` now and then slept through a SIGTERM. A handler runs on
/// whichever thread receives the signal, and the pipe is async-signal-safe. Hooks do not inherit
/// it: a caught signal is reset to its default by `exec`.
final class SignalHandling: Sendable {
    private let stopped = SignalCounter()

    /// - Parameter onShutdown: called on the first signal, before the graceful shutdown starts.
    init(group: ServiceGroup, logger: Logger, onShutdown: @escaping @Sendable () -> Void = {}) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            logger.critical("cannot create the signal pipe: \(String(cString: strerror(errno)))")
            return
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        signalPipe = ends[1]
        for number in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipe, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        let caught = SignalCounter()
        let stopped = stopped
        let reader = ends[0]
        Thread {
            var byte: UInt8 = 0
            while true {
                let got = read(reader, &byte, 1)
                if got < 0, errno == EINTR { continue }
                guard got == 1 else { break }
                guard stopped.count == 0 else { continue }
                let number = Int32(byte)
                if caught.increment() > 1 {
                    logger.warning("second signal: exiting at once")
                    _exit(128 + number)
                }
                logger.notice("shutting down", metadata: ["signal": "\(number)"])
                onShutdown()
                Task { await group.triggerGracefulShutdown() }
            }
        }.start()
    }

    /// The service ended: later signals are ignored (the process is about to exit).
    func cancel() {
        _ = stopped.increment()
    }
}

/// The write end of `SignalHandling`'s pipe, for the signal handler (which can capture nothing).
nonisolated(unsafe) private var signalPipe: Int32 = -1

/// A counter safe to bump from the signal thread and the service.
final class SignalCounter: Sendable {
    private let value = NIOLockedValueBox(0)

    func increment() -> Int {
        value.withLockedValue {
            $0 += 1
            return $0
        }
    }

    var count: Int { value.withLockedValue { $0 } }
}
