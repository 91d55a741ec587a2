/// A submitted hook, with the command it resolved to when submitted.
struct QueuedHook: Sendable {
    var hook: Hook
    var command: String
    var environment: [String: String]
    /// Submission number, from 1, for the log: gaps show where hooks were dropped or skipped.
    var sequence: UInt64
}

/// The hook runner's state: hooks waiting to run, the run loop waiting for one, the hook running
/// now, and whether the runner is stopping.
///
/// A value type kept behind the runner's lock; each transition returns what to do (resume the
/// loop, log a drop or a skip, end a process), and the runner does it after releasing the lock.
/// It is generic over the loop's continuation (`Waiter`) and the running process (`Process`) so
/// that its rules are tested without tasks or processes.
///
/// The rules follow leadership, because a hook acts on it (moves a VIP, fences a peer):
///
/// - Hooks run one at a time in submission order.
/// - `demoted` is never dropped: it is what steps a former leader down. Everything else may be.
/// - A hook about a term that has ended is not run late: a `demoted` ends the term of every
///   `elected` submitted before it (at most one of the process' contenders leads at a time, so
///   a `demoted` always closes the latest `elected`), and a `leader_change` ends the older
///   waiting ones (the newer describes the present). Those are skipped, with a notice.
/// - A `demoted` also ends the running hook when that is an `elected` (whose term it closes) or
///   a `leader_change` (which describes a leader from before the demotion): the `demoted` hook
///   must not wait behind either for a whole timeout.
/// - At most `capacity` hooks wait behind the running one. When a hook hangs until its timeout,
///   events keep coming; rather than grow without bound and replay a long-stale backlog, the
///   oldest waiting hook that is not `demoted` is dropped (with a warning) to make room. If only
///   `demoted` hooks are waiting, all of them are kept.
/// - Graceful shutdown drops the waiting hooks except `demoted` ones, which still run (each
///   within the hook timeout), like a `demoted` submitted while stopping; other submissions are
///   refused. Cancellation ends everything: the running hook too.
struct HookQueue<Waiter: Sendable, Process: Sendable>: Sendable {
    typealias Entry = QueuedHook

    /// Why the runner ends a running hook before its timeout.
    enum StopReason: Hashable, Sendable {
        /// A `demoted` was submitted: the term the hook is about is over.
        case termEnded
        /// The runner's task was cancelled.
        case cancelled
    }

    private enum Phase: Sendable {
        case accepting
        /// Graceful shutdown: the running hook finishes, only `demoted` hooks still start.
        case stopping
        /// The run loop has returned (or will on its next step); submissions are refused.
        case stopped
    }

    /// The entry the loop took, its process once started, and why it is being ended early.
    private struct Current: Sendable {
        var entry: Entry
        var process: Process?
        var stop: StopReason?
    }

    /// What a submission asks of the runner; any part may be empty.
    struct SubmitAction: Sendable {
        /// The loop was waiting: resume it with this entry.
        var resume: (waiter: Waiter, entry: Entry)?
        /// Not accepted: the runner is stopping (and this is not `demoted`) or has stopped.
        var refused: Entry?
        /// Waiting entries whose term the new one ended; they will not run.
        var skipped: [Entry] = []
        /// The oldest waiting entry that is not `demoted`, dropped to stay within capacity.
        var dropped: Entry?
        /// The running hook's term ended: end its process group.
        var terminate: Process?
    }

    enum NextAction: Sendable {
        /// Run this entry now.
        case resume(Waiter, Entry)
        /// Stop the loop; these entries were still waiting and will never run.
        case stop(Waiter, dropped: [Entry])
        /// Nothing to do: the waiter is stored until a submission or a shutdown.
        case suspended
    }

    struct ShutdownAction: Sendable {
        /// The loop was idle: resume it with nil.
        var resume: Waiter?
        /// The waiting entries that will not run.
        var dropped: [Entry] = []
    }

    struct CancelAction: Sendable {
        /// The loop was idle: resume it with nil.
        var resume: Waiter?
        /// The waiting entries that will not run (`demoted` ones are dropped by the loop's next step).
        var dropped: [Entry] = []
        /// The running hook's process: end it now.
        var terminate: Process?
    }

    let capacity: Int
    private var phase = Phase.accepting
    private var pending: [Entry] = []
    private var waiter: Waiter?
    private var current: Current?
    private var cancelled = false
    private var lastSequence: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a hook queue needs room for at least one hook")
        self.capacity = capacity
    }

    /// The hooks waiting (not counting a running one), oldest first.
    var waiting: [Entry] { pending }

    mutating func submit(_ hook: Hook, command: String, environment: [String: String]) -> SubmitAction {
        lastSequence += 1
        let entry = Entry(hook: hook, command: command, environment: environment, sequence: lastSequence)
        var action = SubmitAction()
        switch phase {
        case .accepting where !cancelled, .stopping where !cancelled && hook == .demoted:
            break
        case .accepting, .stopping, .stopped:
            action.refused = entry
            return action
        }
        switch hook {
        case .demoted:
            action.skipped = remove { $0.hook == .elected }
            if var running = current, running.stop == nil, running.entry.hook != .demoted {
                running.stop = .termEnded
                current = running
                // Nil when the process is not started yet: `started` then says to end it at once.
                action.terminate = running.process
            }
        case .leaderChange:
            action.skipped = remove { $0.hook == .leaderChange }
        case .elected:
            break
        }
        if let waiter {
            // An idle loop means nothing was pending and nothing is running.
            self.waiter = nil
            current = Current(entry: entry)
            action.resume = (waiter, entry)
            return action
        }
        pending.append(entry)
        if pending.count > capacity, let oldest = pending.firstIndex(where: { $0.hook != .demoted }) {
            action.dropped = pending.remove(at: oldest)
        }
        return action
    }

    /// The run loop asks for the next entry; the previous one, if any, has finished.
    mutating func next(_ waiter: Waiter) -> NextAction {
        precondition(self.waiter == nil, "HookRunner.run() must not be called twice")
        current = nil
        switch phase {
        case .stopped:
            return stop(waiter)
        case .stopping where cancelled || pending.isEmpty:
            // Only `demoted` entries are left while stopping; a cancellation drops them too.
            return stop(waiter)
        case .accepting where pending.isEmpty:
            self.waiter = waiter
            return .suspended
        case .accepting, .stopping:
            let entry = pending.removeFirst()
            current = Current(entry: entry)
            return .resume(waiter, entry)
        }
    }

    /// Graceful shutdown: drops the waiting entries that are not `demoted`.
    mutating func shutdown() -> ShutdownAction {
        guard case .accepting = phase else { return ShutdownAction() }
        phase = .stopping
        var action = ShutdownAction(dropped: remove { $0.hook != .demoted })
        if let waiter {
            // An idle loop means nothing was pending: it can stop now.
            self.waiter = nil
            phase = .stopped
            action.resume = waiter
        }
        return action
    }

    /// Task cancellation: like a graceful shutdown, and the running hook is ended now too.
    mutating func cancel() -> CancelAction {
        cancelled = true
        let shutdown = shutdown()
        var action = CancelAction(resume: shutdown.resume, dropped: shutdown.dropped)
        if var running = current {
            if running.stop == nil { running.stop = .cancelled }
            current = running
            action.terminate = running.process
        }
        return action
    }

    /// The current entry's process started. Returns why it must be ended at once, when its term
    /// ended or the runner was cancelled while it was being started.
    mutating func started(_ process: Process) -> StopReason? {
        precondition(current != nil, "a hook started without being taken from the queue")
        current?.process = process
        return current?.stop
    }

    /// The current entry's run ended; returns why the runner ended it early, if it did.
    mutating func finished() -> StopReason? {
        defer { current = nil }
        return current?.stop
    }

    private mutating func stop(_ waiter: Waiter) -> NextAction {
        phase = .stopped
        defer { pending = [] }
        return .stop(waiter, dropped: pending)
    }

    /// Removes the waiting entries matching `predicate`, returning them oldest first.
    private mutating func remove(where predicate: (Entry) -> Bool) -> [Entry] {
        let removed = pending.filter(predicate)
        if !removed.isEmpty { pending.removeAll(where: predicate) }
        return removed
    }
}
