import HeraldTestSupport
import Testing

@testable import ZooKeeper

@Suite("Watches against a real ensemble")
struct WatchTests {
    /// Watches of this client that the registry still holds (0 once they fired or failed).
    private func pendingWatches(_ zk: ZooKeeperClient) -> Int {
        CallbackRegistry.shared.pendingWatches(owner: zk.core.token)
    }

    @Test("a data watch fires once, with dataChanged, however many changes follow")
    func dataWatchFiresOnce() async throws {
        try await withClient { zk in
            let node = "\(try await scratchPath(zk))/watched"
            try await zk.create(node, data: [0])
            let (_, _, watch) = try await zk.getAndWatch(node)
            #expect(pendingWatches(zk) == 1)
            try await zk.set(node, data: [1])
            try await zk.set(node, data: [2])
            // The server sends notifications before later replies: once this read returns,
            // every notification for the two sets has been delivered.
            _ = try await zk.get(node)
            var events: [WatchEvent] = []
            for try await event in watch { events.append(event) }
            #expect(events == [WatchEvent(kind: .dataChanged, path: node)])
            #expect(pendingWatches(zk) == 0)
        }
    }

    @Test("an exists watch on a missing node fires with created")
    func existsWatchOnCreate() async throws {
        try await withClient { zk in
            let node = "\(try await scratchPath(zk))/later"
            let (stat, watch) = try await zk.existsAndWatch(node)
            #expect(stat == nil)
            try await zk.create(node)
            #expect(try await watch.event() == WatchEvent(kind: .created, path: node))
            #expect(watch.hasFired)
        }
    }

    @Test("a data watch fires with deleted when the node goes")
    func dataWatchOnDelete() async throws {
        try await withClient { zk in
            let node = "\(try await scratchPath(zk))/doomed"
            try await zk.create(node)
            let (_, _, watch) = try await zk.getAndWatch(node)
            try await zk.delete(node)
            #expect(try await watch.event() == WatchEvent(kind: .deleted, path: node))
        }
    }

    @Test("a children watch fires once with childrenChanged, not on data changes")
    func childrenWatch() async throws {
        try await withClient { zk in
            let base = try await scratchPath(zk)
            let (children, _, watch) = try await zk.childrenAndWatch(base)
            #expect(children.isEmpty)
            try await zk.set(base, data: [1])
            _ = try await zk.get(base)
            #expect(!watch.hasFired)
            try await zk.create("\(base)/a")
            try await zk.create("\(base)/b")
            _ = try await zk.get(base)
            #expect(try await watch.event() == WatchEvent(kind: .childrenChanged, path: base))
            #expect(pendingWatches(zk) == 0)
        }
    }

    @Test("another session's change fires the watch")
    func crossSessionWatch() async throws {
        try await withClient { zk in
            let node = "\(try await scratchPath(zk))/shared"
            try await zk.create(node)
            let (_, _, watch) = try await zk.getAndWatch(node)
            try await withClient { other in try await other.set(node, data: [42]) }
            let event = try await within(.seconds(10), "the data watch") { try await watch.event() }
            #expect(event == WatchEvent(kind: .dataChanged, path: node))
        }
    }

    @Test("a read that fails leaves no watch behind")
    func failedReadLeavesNoWatch() async throws {
        try await withClient { zk in
            let base = try await scratchPath(zk)
            await expectZooKeeperError(.noNode) { try await zk.getAndWatch("\(base)/absent") }
            await expectZooKeeperError(.noNode) { try await zk.childrenAndWatch("\(base)/absent") }
            #expect(pendingWatches(zk) == 0)
        }
    }
}
