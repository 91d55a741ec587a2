public import ElectionModel
import HeraldSupport
public import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle

/// Runs the operator's shell commands for election events (`herald_on_elected`,
/// `herald_on_demoted`, `herald_on_leader_change`), one at a time, in the order submitted.
///
/// The election must never wait for a hook: a hook may hang, and a leader that cannot step down
/// until `ssh` times out is worse than no hook. So `submit` only queues (it never blocks or
/// suspends) and `run()` works through the queue:
///
/// - each hook is `/bin/sh -c COMMAND` in its own process group, stdin `/dev/null`, with
///   Herald's environment less its configuration and secrets, plus the event's
///   (`Hook.environment(for:view:role:epoch:)`);
/// - stdout lines are logged at `info`, stderr lines at `warning`, with the hook's name in the
///   metadata, within `HookOutput`'s limits;
/// - a non-zero exit is one warning; at the timeout the process group gets SIGTERM, then
///   SIGKILL after `killGrace` or as soon as the shell has exited (so children that ignore
///   SIGTERM go too), logged as one warning; then the next hook runs;
/// - a hook ends when its shell exits: what it deliberately leaves running in the background is
///   neither waited for nor killed (its output after that point is not logged);
/// - hooks follow leadership (see `HookQueue` for the rules): `demoted` is never dropped; an
///   `elected` still waiting when a `demoted` is submitted, or a `leader_change` still waiting
///   when a newer one is, is skipped with a notice rather than run late;
/// - a `demoted` submitted while an `elected` or a `leader_change` runs ends that hook's process
///   group as a timeout would, logged as one warning, and the `demoted` hook starts only once
///   none of that group is alive: the hook acting on a term that is over must not race the one
///   stepping down, nor hold it back for a whole timeout;
/// - at most `maxPending` hooks wait behind the running one; beyond that the oldest waiting one
///   that is not `demoted` is dropped, with one warning per drop.
///
/// Graceful shutdown lets the running hook finish (within its timeout), still runs the waiting
/// `demoted` hooks (and those submitted meanwhile), each within the timeout, and drops the other
/// waiting ones with one log line; cancellation also ends the running hook (SIGTERM, then
/// SIGKILL) and runs nothing more.
///
/// The blocking parts (`posix_spawn`, `poll` on the output pipes, `waitid`) run on threads of
/// their own (`BlockingPool.onOwnThread`), never on the cooperative pool, and never on the pool
/// of bounded calls, where a hanging hook would hold threads that ZooKeeper calls need.
public final class HookRunner: Service, Sendable {
    public struct Configuration: Sendable {
        /// The command for each hook; a hook without one (or with an empty one) is not run.
        public var commands: [Hook: String]
        /// How long a hook may run before its process group gets SIGTERM (`herald_hook_timeout_ms`).
        public var timeout: Duration
        /// How long after SIGTERM the process group gets SIGKILL.
        public var killGrace: Duration
        /// How many hooks may wait behind the running one before the oldest that is not
        /// `demoted` is dropped (`demoted` hooks are never dropped).
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
    private let queue: NIOLockedValueBox<Queue>
    private let demotions = NIOLockedValueBox(Demotions())

    /// How many `demoted` runs were submitted and have ended, by `HERALD_EPOCH` (an epoch can
    /// come back: a leader that reconnects in time leads again with the same node), and who waits.
    private struct Demotions {
        var submitted: [String: Int] = [:]
        var finished: [String: Int] = [:]
        var waiters: [(id: Int, epoch: String, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var nextWaiter = 0
        /// The runner has stopped: nothing more will run.
        var ended = false

        mutating func finish(_ epoch: String) -> [CheckedContinuation<Void, Never>] {
            finished[epoch, default: 0] += 1
            let done = finished[epoch]!
            let ready = waiters.filter { $0.epoch == epoch && $0.count <= done }.map(\.continuation)
            waiters.removeAll { $0.epoch == epoch && $0.count <= done }
            return ready
        }
    }

    private typealias Queue = HookQueue<CheckedContinuation<QueuedHook?, Never>, HookProcess>

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.queue = NIOLockedValueBox(Queue(capacity: max(configuration.maxPending, 1)))
    }

    /// Queues `hook` to run with `environment` added to what it inherits of Herald's own. Never
    /// waits: callable from any task or thread, also while a hook hangs. Does nothing when no
    /// command is configured for `hook`.
    public func submit(_ hook: Hook, environment: [String: String] = [:]) {
        guard let command = configuration.commands[hook] else { return }
        if hook == .demoted, let epoch = environment["HERALD_EPOCH"] {
            demotions.withLockedValue { $0.submitted[epoch, default: 0] += 1 }
        }
        let action = queue.withLockedValue { $0.submit(hook, command: command, environment: environment) }
        if let entry = action.refused {
            logger.notice("hook not run: the hook runner is shutting down", metadata: Self.metadata(entry))
            demotedEnded(entry)
        }
        for entry in action.skipped {
            logger.notice("hook skipped: its term already ended", metadata: Self.metadata(entry))
        }
        if let dropped = action.dropped {
            logger.warning(
                "hook dropped: \(configuration.maxPending) hooks were already waiting behind a running one",
                metadata: Self.metadata(dropped))
        }
        // The warning comes from the run itself, once it has ended (see `execute`).
        action.terminate?.terminate()
        if let (continuation, entry) = action.resume { continuation.resume(returning: entry) }
    }

    /// Queues the hook that `event` fires, if any, with the environment built from `view`.
    ///
    /// - Parameters:
    ///   - view: The view after the event (the hook's `HERALD_STATE` and leader come from it).
    ///   - epoch: The fencing epoch of the term the event is about, for `HERALD_EPOCH`; for
    ///     `demoted`, the epoch of the term that ended. Nil: the event's or the view's (see
    ///     `Hook.environment(for:view:role:epoch:)`).
    public func submit(for event: ElectionEvent, view: ElectionView, role: Hook.Role, epoch: Int64? = nil) {
        guard let hook = Hook(event) else { return }
        submit(hook, environment: Hook.environment(for: event, view: view, role: role, epoch: epoch))
    }

    /// The number of `demoted` hooks submitted so far for `epoch`: take it before the demotion
    /// to wait for, and pass it to `demotedFinished(epoch:after:)`.
    public func demotionMark(epoch: Int64) -> Int {
        demotions.withLockedValue { $0.submitted["\(epoch)", default: 0] }
    }

    /// Returns once a `demoted` hook for `epoch` submitted after `mark` was taken has ended (at
    /// once when no `herald_on_demoted` is configured, or the runner has stopped). Hooks run one
    /// at a time in order, so that is the one for the demotion that followed the mark. A leader
    /// that abdicates keeps its node until then, so no successor acts before this host stepped
    /// down. Bound the wait with cancellation: it returns when cancelled.
    public func demotedFinished(epoch: Int64, after mark: Int) async {
        guard configuration.commands[.demoted] != nil else { return }
        let epoch = "\(epoch)"
        let id = demotions.withLockedValue { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = demotions.withLockedValue { state -> Bool in
                    if state.ended || state.finished[epoch, default: 0] > mark || Task.isCancelled { return true }
                    state.waiters.append((id, epoch, mark + 1, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = demotions.withLockedValue { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
            }
            waiter?.resume()
        }
    }

    private func demotedEnded(_ entry: QueuedHook) {
        guard entry.hook == .demoted, let epoch = entry.environment["HERALD_EPOCH"] else { return }
        for waiter in demotions.withLockedValue({ $0.finish(epoch) }) { waiter.resume() }
    }

    public func run() async throws {
        defer {
            let waiters = demotions.withLockedValue { state in
                state.ended = true
                defer { state.waiters = [] }
                return state.waiters.map(\.continuation)
            }
            for waiter in waiters { waiter.resume() }
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                while let entry = await next() {
                    await execute(entry)
                }
            } onGracefulShutdown: {
                self.shutdown()
            }
        } onCancel: {
            let action = queue.withLockedValue { $0.cancel() }
            logDropped(action.dropped)
            action.terminate?.terminate()
            action.resume?.resume(returning: nil)
        }
    }

    /// What graceful shutdown does: the running hook may finish, the waiting `demoted` hooks
    /// still run, nothing else starts.
    func shutdown() {
        let action = queue.withLockedValue { $0.shutdown() }
        logDropped(action.dropped)
        action.resume?.resume(returning: nil)
    }

    private func next() async -> QueuedHook? {
        await withCheckedContinuation { continuation in
            switch queue.withLockedValue({ $0.next(continuation) }) {
            case .resume(let continuation, let entry):
                continuation.resume(returning: entry)
            case .stop(let continuation, let dropped):
                logDropped(dropped)
                continuation.resume(returning: nil)
            case .suspended:
                break
            }
        }
    }

    private func logDropped(_ dropped: [QueuedHook]) {
        guard !dropped.isEmpty else { return }
        logger.notice(
            "shutting down: \(dropped.count) waiting hooks dropped",
            metadata: ["hooks": .array(dropped.map { .string("\($0.hook)#\($0.sequence)") })])
    }

    /// Runs one hook to its end, its blocking parts on threads of their own.
    private func execute(_ entry: QueuedHook) async {
        defer { demotedEnded(entry) }
        var logger = self.logger
        for (key, value) in Self.metadata(entry) { logger[metadataKey: key] = value }
        let process: HookProcess
        do {
            process = try await BlockingPool.onOwnThread {
                Result { try HookProcess(command: entry.command, environment: entry.environment) }
            }.get()
        } catch {
            _ = queue.withLockedValue { $0.finished() }
            logger.error("hook could not start: \(error)")
            return
        }
        logger[metadataKey: "hook_pid"] = "\(process.pid)"
        logger.debug("hook started")
        if queue.withLockedValue({ $0.started(process) }) != nil { process.terminate() }

        let configuration = self.configuration
        let started = ContinuousClock.now
        // Both always run, even when the runner is cancelled, or the process would never be reaped.
        async let exited: Void = BlockingPool.onOwnThread { process.waitForExit() }
        let outcome = await BlockingPool.onOwnThread { [logger] in
            var output = HookOutput(
                lineLimit: configuration.outputLineLimit, totalLimit: configuration.outputTotalLimit)
            let outcome = process.supervise(timeout: configuration.timeout, grace: configuration.killGrace) {
                Self.log(output.append($0, from: $1), logger)
            }
            Self.log(output.finish(), logger)
            return outcome
        }
        await exited
        let stopped = queue.withLockedValue { $0.finished() }
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
                switch requested ? stopped : nil {
                case .termEnded: "hook stopped: its term ended"
                case .cancelled: "hook stopped: the hook runner was cancelled"
                case nil: "hook timed out after \(configuration.timeout)"
                }
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

    private static func metadata(_ entry: QueuedHook) -> Logger.Metadata {
        ["hook": "\(entry.hook)", "hook_run": "\(entry.sequence)"]
    }
}
