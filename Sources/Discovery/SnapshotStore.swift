import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The current snapshot, encoded once, and the watchers to tell when it changes.
///
/// Behind one lock: `publish` compares, bumps the revision, encodes and hands the shared bytes to
/// every event loop that has watchers, all in one critical section, so revisions reach each loop
/// in order. The per-loop `WatcherSet`s are confined to their event loop and need no lock.
final class SnapshotStore: Sendable {
    /// A snapshot with its encoded line (including `\n`), shared by every connection: NIO writes
    /// the same reference-counted buffer to each socket without copying it.
    struct Published: Sendable {
        var snapshot: Snapshot
        var line: ByteBuffer
        var revision: UInt64 { snapshot.revision }
    }

    private struct LoopEntry {
        var eventLoop: any EventLoop
        var watchers: NIOLoopBound<WatcherSet>
    }

    private struct State {
        var published: Published
        var loops: [ObjectIdentifier: LoopEntry] = [:]
        var shutDown = false
    }

    private let state: NIOLockedValueBox<State>

    /// Revision 1 is the initial input.
    init(initial: SnapshotInput) {
        state = NIOLockedValueBox(State(published: Self.encode(Snapshot(input: initial, revision: 1))))
    }

    var current: Published { state.withLockedValue { $0.published } }

    /// Publishes `input` unless its snapshot equals the current one (apart from the revision).
    /// Returns the new snapshot, or nil when nothing changed.
    func publish(_ input: SnapshotInput) -> Snapshot? {
        state.withLockedValue { state in
            let previous = state.published.snapshot
            let candidate = Snapshot(input: input, revision: previous.revision)
            guard candidate != previous else { return nil }
            let published = Self.encode(candidate.with(revision: previous.revision + 1))
            state.published = published
            for entry in state.loops.values {
                let watchers = entry.watchers
                entry.eventLoop.execute { watchers.value.offer(published) }
            }
            return published.snapshot
        }
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
final class WatcherSet {
    private var handlers: [ObjectIdentifier: SnapshotPushHandler] = [:]
    private(set) var isShutDown: Bool

    init(shutDown: Bool) {
        isShutDown = shutDown
    }

    var count: Int { handlers.count }

    func add(_ handler: SnapshotPushHandler) {
        handlers[ObjectIdentifier(handler)] = handler
    }

    func remove(_ handler: SnapshotPushHandler) {
        handlers.removeValue(forKey: ObjectIdentifier(handler))
    }

    func offer(_ published: SnapshotStore.Published) {
        for handler in handlers.values { handler.offer(published) }
    }

    func shutDown(final published: SnapshotStore.Published, grace: TimeAmount) {
        isShutDown = true
        for handler in handlers.values { handler.shutDown(final: published, grace: grace) }
    }
}
