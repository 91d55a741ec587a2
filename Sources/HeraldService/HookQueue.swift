/// The hook runner's state: hooks waiting to run, the run loop waiting for one, the process
/// running now, and whether the runner is stopping.
///
/// A value type kept behind the runner's lock; each transition returns what to do (resume the
/// loop, log a drop, signal a process), and the runner does it after releasing the lock.
///
/// The queue rule: hooks run one at a time in submission order, and at most `capacity` wait
/// behind the running one. When a hook hangs until its timeout, events keep coming; rather than
/// grow without bound and replay a long-stale backlog, the oldest waiting hook is dropped (with
/// a warning) to make room for the newest, which describes the present.
struct HookQueue: Sendable {
    /// A submitted hook, with the command it resolved to when submitted.
    struct Entry: Sendable {
        var hook: Hook
        var command: String
        var environment: [String: String]
        /// Submission number, from 1, for the log: gaps show where hooks were dropped.
        var sequence: UInt64
    }

    private enum Phase: Sendable {
        case accepting
        /// Graceful shutdown: the running hook finishes, nothing else starts.
        case stopping
        /// The run loop has returned (or will on its next step); submissions are refused.
        case stopped
    }

    enum SubmitAction: Sendable {
        /// The loop was waiting: hand it the entry.
        case resume(CheckedContinuation<Entry?, Never>, Entry)
        /// Queued behind the running hook.
        case queued
        /// Queued, and the oldest waiting entry was dropped to make room.
        case queuedDropping(Entry)
        /// The runner is stopping: not run.
        case refused(Entry)
    }

    enum NextAction: Sendable {
        /// Run this entry now.
        case resume(CheckedContinuation<Entry?, Never>, Entry)
        /// Stop the loop; these entries were still waiting and will never run.
        case stop(CheckedContinuation<Entry?, Never>, dropped: [Entry])
        /// Nothing to do: the continuation is stored until a submission or a shutdown.
        case suspended
    }

    let capacity: Int
    private var phase = Phase.accepting
    private var pending: [Entry] = []
    private var waiter: CheckedContinuation<Entry?, Never>?
    private var running: HookProcess?
    private var cancelled = false
    private var lastSequence: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a hook queue needs room for at least one hook")
        self.capacity = capacity
    }

    /// The number of hooks waiting (not counting a running one).
    var waiting: Int { pending.count }

    mutating func submit(_ hook: Hook, command: String, environment: [String: String]) -> SubmitAction {
        lastSequence += 1
        let entry = Entry(hook: hook, command: command, environment: environment, sequence: lastSequence)
        guard case .accepting = phase else { return .refused(entry) }
        if let waiter {
            self.waiter = nil
            return .resume(waiter, entry)
        }
        pending.append(entry)
        guard pending.count > capacity else { return .queued }
        return .queuedDropping(pending.removeFirst())
    }

    /// The run loop asks for the next entry.
    mutating func next(_ continuation: CheckedContinuation<Entry?, Never>) -> NextAction {
        precondition(waiter == nil, "HookRunner.run() must not be called twice")
        switch phase {
        case .stopping, .stopped:
            phase = .stopped
            defer { pending = [] }
            return .stop(continuation, dropped: pending)
        case .accepting:
            guard pending.isEmpty else { return .resume(continuation, pending.removeFirst()) }
            waiter = continuation
            return .suspended
        }
    }

    /// Graceful shutdown: returns the loop's continuation to resume with nil when it was idle.
    mutating func shutdown() -> CheckedContinuation<Entry?, Never>? {
        guard case .accepting = phase else { return nil }
        phase = .stopping
        guard let waiter else { return nil }
        // An idle loop means nothing was pending: nothing to drop.
        self.waiter = nil
        phase = .stopped
        return waiter
    }

    /// Task cancellation: like a graceful shutdown, and the running hook is ended now too.
    mutating func cancel() -> (CheckedContinuation<Entry?, Never>?, HookProcess?) {
        cancelled = true
        return (shutdown(), running)
    }

    /// A hook's process started; false when the runner was cancelled meanwhile and the
    /// process must be ended at once.
    mutating func started(_ process: HookProcess) -> Bool {
        running = process
        return !cancelled
    }

    mutating func finished() {
        running = nil
    }
}
