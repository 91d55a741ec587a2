import Testing

@testable import HeraldService

/// The hook queue's rules, without tasks or processes: the loop's waiter and the running process
/// are plain numbers.
@Suite("HookQueue")
struct HookQueueTests {
    typealias Queue = HookQueue<Int, Int>

    /// Submits `hook` with its name as the command.
    static func submit(_ hook: Hook, to queue: inout Queue) -> Queue.SubmitAction {
        queue.submit(hook, command: hook.rawValue, environment: [:])
    }

    /// The loop takes the next entry as waiter `waiter`; nil when it would suspend or stop.
    static func take(_ queue: inout Queue, waiter: Int = 0) -> QueuedHook? {
        guard case .resume(let resumed, let entry) = queue.next(waiter) else { return nil }
        #expect(resumed == waiter)
        return entry
    }

    /// A queue whose loop is running an `hook` (submission 1) as process `process`.
    static func running(_ hook: Hook, process: Int = 7, capacity: Int = 8) -> Queue {
        var queue = Queue(capacity: capacity)
        #expect(queue.next(0).isSuspended)
        let action = submit(hook, to: &queue)
        #expect(action.resume?.entry.hook == hook)
        #expect(queue.started(process) == nil)
        return queue
    }

    @Test("an idle loop is handed the submission at once")
    func idleLoop() {
        var queue = Queue(capacity: 2)
        #expect(queue.next(5).isSuspended)
        let action = Self.submit(.elected, to: &queue)
        #expect(action.resume?.waiter == 5)
        #expect(action.resume?.entry.sequence == 1)
        #expect(queue.waiting.isEmpty)
    }

    @Test("beyond capacity the oldest waiting hook that is not demoted is dropped")
    func capacitySparesDemoted() {
        var queue = Self.running(.leaderChange, capacity: 2)
        #expect(Self.submit(.demoted, to: &queue).dropped == nil)  // 2
        #expect(Self.submit(.elected, to: &queue).dropped == nil)  // 3
        let full = Self.submit(.elected, to: &queue)  // 4
        #expect(full.dropped?.sequence == 3)
        #expect(queue.waiting.map(\.sequence) == [2, 4])
    }

    @Test("when only demoted hooks wait, capacity drops none of them")
    func onlyDemotedKept() {
        var queue = Self.running(.demoted, capacity: 2)
        for _ in 0..<4 {
            let action = Self.submit(.demoted, to: &queue)
            #expect(action.dropped == nil)
            #expect(action.refused == nil)
        }
        #expect(queue.waiting.map(\.sequence) == [2, 3, 4, 5])
        for sequence in 2...5 { #expect(Self.take(&queue)?.sequence == UInt64(sequence)) }
    }

    @Test("graceful shutdown drops the waiting hooks but the demoted ones, which still run")
    func shutdownKeepsDemoted() {
        var queue = Self.running(.demoted)
        _ = Self.submit(.leaderChange, to: &queue)  // 2
        _ = Self.submit(.demoted, to: &queue)  // 3
        _ = Self.submit(.elected, to: &queue)  // 4
        let shutdown = queue.shutdown()
        #expect(shutdown.resume == nil)
        #expect(shutdown.dropped.map(\.sequence) == [2, 4])
        // While stopping: a demoted is still taken, anything else is refused.
        #expect(Self.submit(.elected, to: &queue).refused?.sequence == 5)
        #expect(Self.submit(.leaderChange, to: &queue).refused?.sequence == 6)
        #expect(Self.submit(.demoted, to: &queue).refused == nil)  // 7
        #expect(queue.finished() == nil)
        #expect(Self.take(&queue)?.sequence == 3)
        #expect(Self.take(&queue)?.sequence == 7)
        guard case .stop(let waiter, let dropped) = queue.next(9) else {
            Issue.record("the loop should stop once the demoted hooks ran")
            return
        }
        #expect(waiter == 9)
        #expect(dropped.isEmpty)
        #expect(Self.submit(.demoted, to: &queue).refused?.sequence == 8)
    }

    @Test("shutting down an idle loop stops it at once")
    func shutdownIdle() {
        var queue = Queue(capacity: 2)
        #expect(queue.next(3).isSuspended)
        let shutdown = queue.shutdown()
        #expect(shutdown.resume == 3)
        #expect(shutdown.dropped.isEmpty)
        #expect(Self.submit(.demoted, to: &queue).refused != nil)
    }

    @Test("cancellation ends the running hook and drops the demoted ones too")
    func cancellation() {
        var queue = Self.running(.elected, process: 11)
        _ = Self.submit(.demoted, to: &queue)  // 2, and ends the elected run
        _ = Self.submit(.leaderChange, to: &queue)  // 3
        let cancel = queue.cancel()
        #expect(cancel.terminate == 11)
        #expect(cancel.dropped.map(\.sequence) == [3])
        #expect(Self.submit(.demoted, to: &queue).refused != nil)
        // The term ended first: that stays the reason.
        #expect(queue.finished() == .termEnded)
        guard case .stop(_, let dropped) = queue.next(0) else {
            Issue.record("a cancelled loop should stop")
            return
        }
        #expect(dropped.map(\.sequence) == [2])
    }

    @Test("a waiting elected hook is skipped when a later demoted is submitted")
    func electedSkippedByDemoted() {
        var queue = Self.running(.demoted)
        _ = Self.submit(.elected, to: &queue)  // 2
        _ = Self.submit(.leaderChange, to: &queue)  // 3
        _ = Self.submit(.elected, to: &queue)  // 4
        let demoted = Self.submit(.demoted, to: &queue)  // 5
        #expect(demoted.skipped.map(\.sequence) == [2, 4])
        #expect(demoted.terminate == nil)  // the running hook is a demoted one
        #expect(queue.waiting.map(\.sequence) == [3, 5])
        // An elected submitted after the demoted is a new term.
        #expect(Self.submit(.elected, to: &queue).skipped.isEmpty)
        #expect(queue.waiting.map(\.sequence) == [3, 5, 6])
    }

    @Test("a waiting leader_change is skipped when a newer one is submitted")
    func olderLeaderChangeSkipped() {
        var queue = Self.running(.elected)
        _ = Self.submit(.leaderChange, to: &queue)  // 2
        _ = Self.submit(.elected, to: &queue)  // 3
        let newer = Self.submit(.leaderChange, to: &queue)  // 4
        #expect(newer.skipped.map(\.sequence) == [2])
        #expect(newer.terminate == nil)
        #expect(queue.waiting.map(\.sequence) == [3, 4])
    }

    @Test("a demoted submitted while an elected or a leader_change runs ends that run")
    func demotedEndsRunning() {
        for hook in [Hook.elected, .leaderChange] {
            var queue = Self.running(hook, process: 42)
            let demoted = Self.submit(.demoted, to: &queue)
            #expect(demoted.terminate == 42)
            #expect(queue.waiting.map(\.hook) == [.demoted])
            // Asked once: a second demoted does not end it again.
            #expect(Self.submit(.demoted, to: &queue).terminate == nil)
            #expect(queue.finished() == .termEnded)
            #expect(Self.take(&queue)?.hook == .demoted)
            #expect(queue.finished() == nil)
        }
    }

    @Test("a demoted submitted before the taken hook's process started ends it once it starts")
    func demotedBeforeStart() {
        var queue = Queue(capacity: 2)
        #expect(queue.next(0).isSuspended)
        #expect(Self.submit(.elected, to: &queue).resume != nil)
        #expect(Self.submit(.demoted, to: &queue).terminate == nil)
        #expect(queue.started(9) == .termEnded)
    }

    @Test("a leader_change or elected submitted while a hook runs ends nothing")
    func othersEndNothing() {
        var queue = Self.running(.leaderChange)
        #expect(Self.submit(.leaderChange, to: &queue).terminate == nil)
        #expect(Self.submit(.elected, to: &queue).terminate == nil)
        #expect(queue.finished() == nil)
    }
}

extension HookQueue.NextAction {
    var isSuspended: Bool {
        if case .suspended = self { return true }
        return false
    }
}
