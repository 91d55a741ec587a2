import ElectionModel
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The current snapshot, encoded once, and the watchers to tell when it changes.
///
/// Behind one lock: `publish` compares, bumps the revision, encodes and hands the shared bytes to
/// every event loop that has watchers, all in one critical section, so revisions reach each loop
/// in order. Each loop has at most one fan-out queued: a publish while one is queued only replaces
/// the snapshot it will offer, so a burst of changes never builds a backlog ahead of the loop's
/// requests, and a watcher skips the revisions its loop had no time for (see
/// `LoopEntry.nextFanOut` for how a burst leaves the loop time for its requests). The per-loop
/// `WatcherSet`s are confined to their event loop and need no lock.
///
/// A snapshot is only true for a while: the lease rule (`Snapshot(input:revision:now:)`) ages it
/// with the time since the last contact with ZooKeeper. So the store keeps the input, and ages
/// it again whenever a snapshot is served (`refresh()`, for `get` and a new `watch`), whenever
/// one is about to be pushed after its `expires`, and on a timer at the next instant the rule
/// would change it. A process resumed after a freeze therefore never serves what it believed
/// before the freeze: the first thing it does with a snapshot is to age it.
final class SnapshotStore: Sendable {
    /// A snapshot with its encoded line (including `\n`), shared by every connection: NIO writes
    /// the same reference-counted buffer to each socket without copying it.
    struct Published: Sendable {
        var snapshot: Snapshot
        var line: ByteBuffer
        /// When the lease rule may change it: to be aged again (`refresh()`) before use after this.
        var expires: ContinuousClock.Instant?
        var revision: UInt64 { snapshot.revision }

        func isExpired(at now: ContinuousClock.Instant) -> Bool { expires.map { now >= $0 } ?? false }
    }

    private struct LoopEntry {
        var eventLoop: any EventLoop
        var watchers: NIOLoopBound<WatcherSet>
        /// The newest snapshot not yet offered to this loop's watchers. A fan-out is queued on the
        /// loop only when none is: publishes faster than a loop can fan out coalesce into the
        /// newest, and the loop's queue never holds more than one of them ahead of its requests.
        var pending: Published?
        /// The earliest start of the loop's next fan-out. When a newer snapshot was already
        /// waiting at the end of a fan-out, the next one starts no sooner than the last one took:
        /// fanning out then takes at most half of the loop's time, and its requests get the rest.
        /// (A loop runs every task that is ready before it looks at its sockets again, so fan-outs
        /// queued back to back would keep it from its requests for as long as the changes go on.)
        /// A change after a quiet spell fans out at once.
        var nextFanOut = NIODeadline.uptimeNanoseconds(0)
    }

    private struct State {
        var input: SnapshotInput
        var published: Published
        var loops: [ObjectIdentifier: LoopEntry] = [:]
        var shutDown = false
        /// The re-ageing timer and the instant it is set for.
        var timer: (task: Scheduled<Void>, at: ContinuousClock.Instant)?
    }

    private let state: NIOLockedValueBox<State>
    /// Where the re-ageing timer runs.
    private let timerLoop: any EventLoop

    /// Revision 1 is the initial input.
    init(initial: SnapshotInput, timerLoop: any EventLoop) {
        let now = ContinuousClock.now
        var published = Self.encode(Snapshot(input: initial, revision: 1, now: now))
        published.expires = initial.view.nextLeaseChange(after: now)
        state = NIOLockedValueBox(State(input: initial, published: published))
        self.timerLoop = timerLoop
    }

    /// The current snapshot, aged to now (a new revision when the lease rule changed it).
    func refresh() -> Published {
        state.withLockedValue { state in
            _ = update(&state, now: .now)
            return state.published
        }
    }

    /// The current snapshot, aged only when the lease rule may have changed it since it was
    /// made: what `refresh()` gives, without rebuilding the snapshot on every call (for the DNS
    /// responder, which reads it for every query).
    func fresh() -> Published {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            if !state.published.isExpired(at: now) { return state.published }
            _ = update(&state, now: now)
            return state.published
        }
    }

    /// The revision `fresh()` would give, without copying the snapshot.
    func freshRevision() -> UInt64 {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            if state.published.isExpired(at: now) { _ = update(&state, now: now) }
            return state.published.revision
        }
    }

    /// Publishes `input` unless its snapshot equals the current one (apart from the revision).
    /// Returns the new snapshot, or nil when nothing changed.
    func publish(_ input: SnapshotInput) -> Snapshot? {
        state.withLockedValue { state in
            state.input = input
            return update(&state, now: .now)
        }
    }

    /// Ages the input to `now`; publishes when the snapshot changed; sets the timer for the next
    /// change. Called with the lock held.
    private func update(_ state: inout State, now: ContinuousClock.Instant) -> Snapshot? {
        let previous = state.published.snapshot
        let candidate = Snapshot(input: state.input, revision: previous.revision, now: now)
        let expires = state.input.view.nextLeaseChange(after: now)
        schedule(&state, at: expires, now: now)
        guard candidate != previous else {
            state.published.expires = expires
            return nil
        }
        var published = Self.encode(candidate.with(revision: previous.revision + 1))
        published.expires = expires
        state.published = published
        for (key, entry) in state.loops {
            let queued = entry.pending != nil
            state.loops[key]!.pending = published
            guard !queued else { continue }
            let (box, loop, watchers) = (self.state, entry.eventLoop, entry.watchers)
            loop.execute { Self.fanOut(key, box: box, loop: loop, watchers: watchers) }
        }
        return published.snapshot
    }

    /// Offers a loop's pending snapshot to its watchers, on that loop, once its cool-down from the
    /// last fan-out is over. The pending snapshot stays set until taken here: that is what tells
    /// `update` a fan-out is already queued.
    private static func fanOut(
        _ key: ObjectIdentifier, box: NIOLockedValueBox<State>, loop: any EventLoop,
        watchers: NIOLoopBound<WatcherSet>
    ) {
        let start = NIODeadline.now()
        let step: (wait: NIODeadline?, newest: Published?) = box.withLockedValue { state in
            guard let entry = state.loops[key] else { return (nil, nil) }
            if entry.nextFanOut > start { return (entry.nextFanOut, nil) }
            state.loops[key]!.pending = nil
            return (nil, entry.pending)
        }
        if let wait = step.wait {
            loop.scheduleTask(deadline: wait) { fanOut(key, box: box, loop: loop, watchers: watchers) }
            return
        }
        guard let newest = step.newest else { return }
        watchers.value.offer(newest)
        let end = NIODeadline.now()
        box.withLockedValue { state in
            guard let entry = state.loops[key] else { return }
            state.loops[key]!.nextFanOut = entry.pending == nil ? .uptimeNanoseconds(0) : end + (end - start)
        }
    }

    private func schedule(_ state: inout State, at instant: ContinuousClock.Instant?, now: ContinuousClock.Instant) {
        guard state.timer?.at != instant else { return }
        state.timer?.task.cancel()
        state.timer = nil
        guard let instant, !state.shutDown else { return }
        let delay = TimeAmount(now.duration(to: instant)) + .milliseconds(1)
        let task = timerLoop.scheduleTask(in: delay) { [weak self] in _ = self?.refresh() }
        state.timer = (task, instant)
    }

    /// The watcher set of `eventLoop`, created on first use. Call on that event loop.
    func watchers(on eventLoop: any EventLoop) -> WatcherSet {
        eventLoop.preconditionInEventLoop()
        return state.withLockedValue { state in
            let key = ObjectIdentifier(eventLoop)
            if let entry = state.loops[key] { return entry.watchers.value }
            let watchers = WatcherSet(shutDown: state.shutDown)
            state.loops[key] = LoopEntry(eventLoop: eventLoop, watchers: NIOLoopBound(watchers, eventLoop: eventLoop))
            return watchers
        }
    }

    /// Tells every watcher that the server stops: each gets the current snapshot if it has not
    /// had it yet and is closed once that is written or `grace` has passed.
    func shutDown(grace: TimeAmount) {
        state.withLockedValue { state in
            state.shutDown = true
            state.timer?.task.cancel()
            state.timer = nil
            _ = update(&state, now: .now)
            let published = state.published
            for entry in state.loops.values {
                let watchers = entry.watchers
                entry.eventLoop.execute { watchers.value.shutDown(final: published, grace: grace) }
            }
        }
    }

    /// Encoding a value built from validated types cannot fail in practice; should it ever, the
    /// line degrades to an error line rather than taking the server down.
    static func encode(_ snapshot: Snapshot) -> Published {
        let data =
            (try? snapshot.encodedLine())
            ?? Data(DiscoveryProtocolError(.init(rawValue: "internal"), "cannot encode the snapshot").line.utf8)
        return Published(snapshot: snapshot, line: ByteBuffer(bytes: data))
    }
}

/// The watching connections of one event loop. Confined to that loop: registration, offers and
/// shutdown all run there, in the order the store submitted them.
///
/// An array in the order the watchers came, each handler knowing its own place in it: a fan-out
/// walks the handlers in the order their connections were allocated, and a removal moves the
/// last handler into the gap.
final class WatcherSet {
    private(set) var handlers: [SnapshotPushHandler] = []
    private(set) var isShutDown: Bool

    init(shutDown: Bool) {
        isShutDown = shutDown
    }

    var count: Int { handlers.count }

    func add(_ handler: SnapshotPushHandler) {
        guard handler.watcherIndex == nil else { return }
        handler.watcherIndex = handlers.count
        handlers.append(handler)
    }

    func remove(_ handler: SnapshotPushHandler) {
        guard let index = handler.watcherIndex, index < handlers.count, handlers[index] === handler else { return }
        handler.watcherIndex = nil
        let last = handlers.removeLast()
        guard index < handlers.count else { return }
        handlers[index] = last
        last.watcherIndex = index
    }

    func offer(_ published: SnapshotStore.Published) {
        for handler in handlers { handler.offer(published) }
    }

    func shutDown(final published: SnapshotStore.Published, grace: TimeAmount) {
        isShutDown = true
        // A handler's shutdown removes it from the set: walk a copy.
        for handler in handlers { handler.shutDown(final: published, grace: grace) }
    }
}
