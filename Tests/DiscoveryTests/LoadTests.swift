import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import Discovery

/// Many connections, stalled readers and churn: run one after another, since they measure the
/// whole process's descriptors and memory.
@Suite("server under load", .serialized, .timeLimit(.minutes(3)))
struct LoadTests {
    init() {
        ProcessFigures.raiseDescriptorLimit()
    }

    @Test("1,000 concurrent watchers each receive every one of 20 revisions, in order")
    func fanOut() async throws {
        try await withServer(configuration: .init(maximumConnections: 2000)) { server, path in
            var watchers: [TestClient] = []
            for _ in 0..<1000 {
                let watcher = try await TestClient.connect(path)
                try await watcher.send(DiscoveryRequest.watch.line)
                watchers.append(watcher)
            }
            for index in watchers.indices {
                #expect(try await watchers[index].nextSnapshot().revision == 1)
            }
            for change in 2...21 {
                let published = try #require(server.publish(Fixtures.changing(change)))
                #expect(published.revision == UInt64(change))
                for index in watchers.indices {
                    let snapshot = try await watchers[index].nextSnapshot()
                    guard snapshot == published else {
                        Issue.record("watcher \(index) got revision \(snapshot.revision), expected \(change)")
                        return
                    }
                }
            }
            for watcher in watchers { await watcher.close() }
        }
    }

    @Test("a watcher that never reads while 10,000 changes are published keeps memory and others' latency flat")
    func stalledWatcher() async throws {
        try await withServer { server, path in
            // ~8 KiB snapshots: 10,000 of them queued would be ~80 MB, far above the bound below.
            let followers = 100
            server.publish(Fixtures.changing(0, followers: followers))
            let stalled = try await TestClient.connect(path, autoRead: false)
            try await stalled.send(DiscoveryRequest.watch.line)
            var probe = try await TestClient.connect(path)
            try await probe.send(DiscoveryRequest.watch.line)
            _ = try await probe.nextSnapshot()

            /// Publish one change, time until the reading watcher has it.
            func latency(_ index: Int) async throws -> Duration {
                let start = ContinuousClock.now
                let published = try #require(server.publish(Fixtures.changing(index, followers: followers)))
                while try await probe.nextSnapshot().revision < published.revision {}
                return ContinuousClock.now - start
            }
            func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }

            var before: [Duration] = []
            for index in 1...50 { before.append(try await latency(index)) }
            let residentBefore = ProcessFigures.residentBytes

            // The flood: the probe keeps reading (skipping is allowed), the stalled one never reads.
            let flood = Task {
                for index in 100..<10_100 { server.publish(Fixtures.changing(index, followers: followers)) }
            }
            await flood.value
            var after: [Duration] = []
            for index in 20_000..<20_050 { after.append(try await latency(index)) }
            let grown = ProcessFigures.residentBytes - residentBefore

            #expect(server.current.revision >= 10_100)
            #expect(grown < 32 << 20, "resident memory grew by \(grown >> 20) MiB while one watcher stalled")
            #expect(
                median(after) < median(before) * 10 + .milliseconds(20),
                "median latency \(median(before)) before the flood, \(median(after)) after")
            await stalled.close()
            await probe.close()
        }
    }

    @Test(
        "a publish storm with 1,000 watchers: requests are answered promptly, every watcher ends at the last revision")
    func publishStorm() async throws {
        try await withServer(configuration: .init(maximumConnections: 2000)) { server, path in
            let watchers = try RawWatchers(socket: path, count: 1000)
            defer { watchers.stop() }
            try await within(.seconds(30), "every watcher's first snapshot") {
                while watchers.states.contains(where: { $0.count == 0 }) {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            // As fast as this process can publish: far more than two event loops can fan out to
            // 1,000 watchers each time.
            let storming = NIOLockedValueBox(true)
            let storm = Task.detached {
                var index = 0
                while storming.withLockedValue({ $0 }) {
                    index += 1
                    server.publish(Fixtures.changing(index))
                }
                return index
            }
            var worst = Duration.zero
            var asked = 0
            let until = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < until {
                let start = ContinuousClock.now
                var client = try await TestClient.connect(path)
                try await client.send(DiscoveryRequest.get.line)
                _ = try await client.nextSnapshot(within: .seconds(30))
                await client.close()
                worst = max(worst, ContinuousClock.now - start)
                asked += 1
                try await Task.sleep(for: .milliseconds(20))
            }
            storming.withLockedValue { $0 = false }
            let published = await storm.value
            let last = server.current.revision
            try await within(.seconds(30), "every watcher at the last revision") {
                while watchers.states.contains(where: { $0.lastRevision != last }) {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            print("publish storm: \(published) publishes; worst get of \(asked): \(worst)")
            #expect(worst < .seconds(1), "a get took \(worst) during the storm")
            #expect(watchers.states.allSatisfy { $0.increasing && $0.open })
        }
    }

    @Test("3,000 connect/disconnect cycles leak no descriptors and no memory")
    func churn() async throws {
        try await withServer { server, path in
            // Warm up allocator pools and NIO's per-loop caches before taking the baseline.
            for _ in 0..<200 { try await cycle(path, watch: false) }
            let descriptorsBefore = ProcessFigures.openDescriptors
            let residentBefore = ProcessFigures.residentBytes
            for index in 0..<3000 {
                try await cycle(path, watch: index.isMultiple(of: 3))
                if index.isMultiple(of: 500) { server.publish(Fixtures.changing(index)) }
            }
            try await ProcessFigures.settle { ProcessFigures.openDescriptors <= descriptorsBefore + 4 }
            let descriptorsAfter = ProcessFigures.openDescriptors
            let grown = ProcessFigures.residentBytes - residentBefore
            #expect(descriptorsAfter <= descriptorsBefore + 4, "descriptors \(descriptorsBefore) → \(descriptorsAfter)")
            #expect(grown < 16 << 20, "resident memory grew by \(grown >> 20) MiB over 3,000 connections")
        }
    }

    /// One short connection: a ping, or a watch that takes its first snapshot, then close.
    func cycle(_ path: String, watch: Bool) async throws {
        var client = try await TestClient.connect(path)
        if watch {
            try await client.send(DiscoveryRequest.watch.line)
            _ = try await client.nextSnapshot()
        } else {
            try await client.send(DiscoveryRequest.ping.line)
            _ = try await client.nextLine()
        }
        await client.close()
    }
}
