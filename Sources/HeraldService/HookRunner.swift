public import Election
public import Logging
import NIOConcurrencyHelpers
import NIOPosix
public import ServiceLifecycle

/// Runs the operator's shell commands for election events (`herald_on_elected`,
/// `herald_on_demoted`, `herald_on_leader_change`), one at a time, in the order submitted.
///
/// The election must never wait for a hook: a hook may hang, and a leader that cannot step down
/// until `ssh` times out is worse than no hook. So `submit` only queues (it never blocks or
/// suspends) and `run()` works through the queue:
///
/// - each hook is `/bin/sh -c COMMAND` in its own process group, stdin `/dev/null`, with
///   Herald's environment plus the event's (`Hook.environment(for:view:role:)`);
/// - stdout lines are logged at `info`, stderr lines at `warning`, with the hook's name in the
///   metadata, within `HookOutput`'s limits;
/// - a non-zero exit is one warning; at the timeout the process group gets SIGTERM and, after
///   `killGrace`, SIGKILL (so children that ignore SIGTERM go too), logged as one warning;
///   then the next hook runs;
/// - a hook ends when its shell exits: what it deliberately leaves running in the background is
///   neither waited for nor killed (its output after that point is not logged);
/// - at most `maxPending` hooks wait behind the running one; beyond that the oldest waiting
///   one is dropped, with one warning per drop (see `HookQueue`).
///
/// Graceful shutdown lets the running hook finish (within its timeout) and drops the waiting
/// ones with one log line; cancellation also ends the running hook (SIGTERM, then SIGKILL).
///
/// The blocking parts (`posix_spawn`, `poll` on the output pipes, `waitid`) run on two threads of
/// the runner's own `NIOThreadPool`, never on the cooperative pool, and never on a shared pool
/// where a hanging hook would hold threads that ZooKeeper calls need.
public final class HookRunner: Service, Sendable {
    public struct Configuration: Sendable {
        /// The command for each hook; a hook without one (or with an empty one) is not run.
        public var commands: [Hook: String]
        /// How long a hook may run before its process group gets SIGTERM (`herald_hook_timeout_ms`).
        public var timeout: Duration
        /// How long after SIGTERM the process group gets SIGKILL.
        public var killGrace: Duration
        /// How many hooks may wait behind the running one before the oldest is dropped.
        public var maxPending: Int
        /// The longest line of output logged as is; longer ones are cut there.
        public var outputLineLimit: Int
        /// The most output, in bytes, logged for one run.
        public var outputTotalLimit: Int

        public init(
            onElected: String? = nil, onDemoted: String? = nil, onLeaderChange: String? = nil,
            timeout: Duration = .seconds(10), killGrace: Duration = .seconds(2), maxPending: Int = 64,
            outputLineLimit: Int = 4096, outputTotalLimit: Int = 65536
        ) {
            var commands: [Hook: String] = [:]
            commands[.elected] = onElected
            commands[.demoted] = onDemoted
            commands[.leaderChange] = onLeaderChange
            self.commands = commands.filter { !$0.value.allSatisfy(\.isWhitespace) }
            self.timeout = timeout
            self.killGrace = killGrace
            self.maxPending = maxPending
            self.outputLineLimit = outputLineLimit
            self.outputTotalLimit = outputTotalLimit
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    private let queue: NIOLockedValueBox<HookQueue>

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.queue = NIOLockedValueBox(HookQueue(capacity: max(configuration.maxPending, 1)))
    }

    /// Queues `hook` to run with `environment` added to Herald's own. Never waits: callable from
    /// any task or thread, also while a hook hangs. Does nothing when no command is configured
    /// for `hook`.
    public func submit(_ hook: Hook, environment: [String: String] = [:]) {
        guard let command = configuration.commands[hook] else { return }
        let action = queue.withLockedValue { $0.submit(hook, command: command, environment: environment) }
        switch action {
        case .resume(let continuation, let entry):
            continuation.resume(returning: entry)
        case .queued:
            break
        case .queuedDropping(let dropped):
            logger.warning(
                "hook dropped: \(configuration.maxPending) hooks were already waiting behind a running one",
                metadata: Self.metadata(dropped))
        case .refused(let entry):
            logger.notice("hook not run: the hook runner is shutting down", metadata: Self.metadata(entry))
        }
    }

    /// Queues the hook that `event` fires, if any, with the environment built from `view`.
    public func submit(for event: ElectionEvent, view: ElectionView, role: Hook.Role) {
        guard let hook = Hook(event) else { return }
        submit(hook, environment: Hook.environment(for: event, view: view, role: role))
    }

    public func run() async throws {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                while let entry = await next() {
                    await execute(entry, on: pool)
                }
            } onGracefulShutdown: {
                self.shutdown()
            }
        } onCancel: {
            let (waiter, running) = queue.withLockedValue { $0.cancel() }
            waiter?.resume(returning: nil)
            running?.terminate()
        }
        try await pool.shutdownGracefully()
    }

    /// What graceful shutdown does: no new hook starts; the running one may finish.
    func shutdown() {
        queue.withLockedValue { $0.shutdown() }?.resume(returning: nil)
    }

    private func next() async -> HookQueue.Entry? {
        await withCheckedContinuation { continuation in
            switch queue.withLockedValue({ $0.next(continuation) }) {
            case .resume(let continuation, let entry):
                continuation.resume(returning: entry)
            case .stop(let continuation, let dropped):
                if !dropped.isEmpty {
                    logger.notice(
                        "shutting down: \(dropped.count) waiting hooks dropped",
                        metadata: ["hooks": .array(dropped.map { .string("\($0.hook)#\($0.sequence)") })])
                }
                continuation.resume(returning: nil)
            case .suspended:
                break
            }
        }
    }

    /// Runs one hook to its end, its blocking parts on `pool`.
    private func execute(_ entry: HookQueue.Entry, on pool: NIOThreadPool) async {
        var logger = self.logger
        for (key, value) in Self.metadata(entry) { logger[metadataKey: key] = value }
        let process: HookProcess
        do {
            process = try await Self.blocking(on: pool) {
                Result { try HookProcess(command: entry.command, environment: entry.environment) }
            }.get()
        } catch {
            logger.error("hook could not start: \(error)")
            return
        }
        logger[metadataKey: "hook_pid"] = "\(process.pid)"
        logger.debug("hook started")
        if !queue.withLockedValue({ $0.started(process) }) { process.terminate() }
        defer { queue.withLockedValue { $0.finished() } }

        let configuration = self.configuration
        let started = ContinuousClock.now
        async let exited: Void = Self.blocking(on: pool) { process.waitForExit() }
        let outcome = await Self.blocking(on: pool) { [logger] in
            var output = HookOutput(
                lineLimit: configuration.outputLineLimit, totalLimit: configuration.outputTotalLimit)
            let outcome = process.supervise(timeout: configuration.timeout, grace: configuration.killGrace) {
                Self.log(output.append($0, from: $1), logger)
            }
            Self.log(output.finish(), logger)
            return outcome
        }
        await exited
        let elapsed = ContinuousClock.now - started
        switch outcome {
        case .exited(0):
            logger.info("hook finished", metadata: ["elapsed": "\(elapsed)"])
        case .exited(let status):
            logger.warning("hook failed with exit status \(status)", metadata: ["elapsed": "\(elapsed)"])
        case .signalled(let signal):
            logger.warning("hook was killed by signal \(signal)", metadata: ["elapsed": "\(elapsed)"])
        case .terminated(let killed, let requested):
            let how =
                killed
                ? "SIGTERM, and SIGKILL \(configuration.killGrace) later"
                : "SIGTERM and ended within \(configuration.killGrace)"
            let why =
                requested
                ? "hook stopped: the hook runner was cancelled" : "hook timed out after \(configuration.timeout)"
            logger.warning("\(why); its process group got \(how)", metadata: ["elapsed": "\(elapsed)"])
        }
    }

    private static func log(_ events: [HookOutput.Event], _ logger: Logger) {
        for event in events {
            switch event {
            case .line(let stream, let line, let truncated):
                var metadata: Logger.Metadata = ["stream": "\(stream.rawValue)"]
                if truncated { metadata["truncated"] = "true" }
                let level: Logger.Level = stream == .stdout ? .info : .warning
                logger.log(level: level, "\(line)", metadata: metadata)
            case .limitReached(let bytes):
                logger.warning("hook output past \(bytes) bytes not logged")
            }
        }
    }

    /// Runs `body` on `pool` and always runs it, unlike `runIfActive`, which skips work whose
    /// task was cancelled: a hook's waiter and supervisor must run even then, or its process
    /// would never be reaped.
    private static func blocking<T: Sendable>(on pool: NIOThreadPool, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            // The pool is shut down only after the loop, so its `.cancelled` state cannot occur
            // here; the body runs on the pool's thread either way.
            pool.submit { _ in continuation.resume(returning: body()) }
        }
    }

    private static func metadata(_ entry: HookQueue.Entry) -> Logger.Metadata {
        ["hook": "\(entry.hook)", "hook_run": "\(entry.sequence)"]
    }
}
