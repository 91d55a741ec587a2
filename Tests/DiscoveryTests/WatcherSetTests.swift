import HeraldTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import Discovery

/// The watchers of one event loop: an array walked in arrival order, each handler knowing its
/// place, a removal filling the gap with the last one.
@Suite("watcher set")
struct WatcherSetTests {
    /// Adds and removes in a scrambled order (a multiplicative permutation), removes some twice,
    /// and after every step compares the set with a plain model of who should be in it.
    @Test("adds and removes in any order keep exactly the watchers still there, each at its recorded place")
    func addRemove() {
        let store = SnapshotStore(initial: Fixtures.input(), timerLoop: MultiThreadedEventLoopGroup.singleton.next())
        let set = WatcherSet(shutDown: false)
        var model: [ObjectIdentifier: SnapshotPushHandler] = [:]
        var everyone: [SnapshotPushHandler] = []

        func add() {
            let handler = SnapshotPushHandler(store: store)
            set.add(handler)
            set.add(handler)  // a second add is ignored
            everyone.append(handler)
            model[ObjectIdentifier(handler)] = handler
        }
        func check(_ step: String) {
            #expect(set.count == model.count, "\(step): \(set.count) watchers, expected \(model.count)")
            #expect(Set(set.handlers.map(ObjectIdentifier.init)) == Set(model.keys), "\(step): the wrong watchers")
            for (index, handler) in set.handlers.enumerated() where handler.watcherIndex != index {
                let believed = handler.watcherIndex.map(String.init) ?? "nowhere"
                Issue.record("\(step): the handler at \(index) believes it is at \(believed)")
            }
        }

        for _ in 0..<211 { add() }
        check("after 211 adds")
        for step in 0..<211 {
            let victim = everyone[(step * 97) % 211]
            set.remove(victim)
            model[ObjectIdentifier(victim)] = nil
            if step % 3 == 0 { set.remove(victim) }  // removed twice: channelInactive, then handlerRemoved
            if step % 5 == 0 { add() }
            check("step \(step)")
        }
        #expect(set.count == 43, "the 43 added during the removals remain")
        for handler in everyone where model[ObjectIdentifier(handler)] == nil {
            #expect(handler.watcherIndex == nil, "a removed handler keeps no place")
        }
    }

    @Test("watchers that leave in a scrambled order: every one still watching gets the next revision")
    func leavesThenPublish() async throws {
        try await withServer { server, path in
            var watchers: [TestClient] = []
            for _ in 0..<41 {
                var watcher = try await TestClient.connect(path)
                try await watcher.send(DiscoveryRequest.watch.line)
                #expect(try await watcher.nextSnapshot().revision == 1)
                watchers.append(watcher)
            }
            // 41 is prime: (k * 17) % 41 visits 28 distinct watchers in no simple order.
            let leaving = Set((0..<28).map { ($0 * 17) % 41 })
            for index in (0..<28).map({ ($0 * 17) % 41 }) { await watchers[index].close() }
            // Wait until the server has seen every close, so that a missed removal would show.
            try await within(.seconds(10), "the server to see the closes") {
                while server.openConnections > 41 - leaving.count { try await Task.sleep(for: .milliseconds(10)) }
            }
            let published = try #require(server.publish(Fixtures.changing(7)))
            for index in watchers.indices where !leaving.contains(index) {
                let snapshot = try await watchers[index].nextSnapshot()
                #expect(snapshot.revision == published.revision, "watcher \(index) got revision \(snapshot.revision)")
            }
            for index in watchers.indices where !leaving.contains(index) { await watchers[index].close() }
        }
    }
}
