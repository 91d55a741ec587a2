import Foundation
import HeraldTestSupport
import Testing

@testable import ZooKeeper

@Suite("Sessions against a real ensemble")
struct SessionTests {
    @Test("an ephemeral node vanishes for another session once its owner closes")
    func ephemeralVanishes() async throws {
        try await withClient { observer in
            let base = try await scratchPath(observer)
            let owner = try await ZooKeeperClient.connect(
                ZooKeeperConfiguration(servers: try TestEnsemble.servers), logger: testLogger)
            let (node, stat) = try await owner.create("\(base)/eph", mode: .ephemeral)
            #expect(stat.ephemeralOwner == owner.session?.id)
            let (seen, watch) = try await observer.existsAndWatch(node)
            #expect(seen?.ephemeralOwner == owner.session?.id)
            await owner.close()
            #expect(
                try await within(.seconds(10), "the ephemeral node's deletion") { try await watch.event() }.kind
                    == .deleted)
            #expect(try await observer.exists(node) == nil)
        }
    }

    @Test("a session closed from another handle reports expired and fails later calls")
    func forcedExpiry() async throws {
        try await withClient { observer in
            let base = try await scratchPath(observer)
            try await withClient(sessionTimeout: .seconds(4)) { victim in
                let (node, _) = try await victim.create("\(base)/eph", mode: .ephemeral)
                let (_, pendingWatch) = try await victim.existsAndWatch("\(base)/never")
                let events = victim.sessionEvents()
                let credentials = try #require(victim.session?.credentials)

                // A second handle on the same session, then closing it, ends the session server-side.
                let thief = try await ZooKeeperClient.connect(
                    ZooKeeperConfiguration(servers: try TestEnsemble.servers, resume: credentials),
                    logger: testLogger)
                #expect(thief.session?.id == credentials.id)
                await thief.close()

                let event = try await nextEvent(events, within: .seconds(20), "expired") { $0.isTerminal }
                #expect(event == .expired)
                // A subscriber that comes after the fact is told too.
                let late = try await nextEvent(victim.sessionEvents(), within: .seconds(5), "expired, replayed")
                #expect(late == .expired)
                #expect(victim.state == .expired)
                await expectZooKeeperError(.sessionExpired) { try await victim.get(node) }
                await expectZooKeeperError(.sessionExpired) { try await pendingWatch.event() }
                #expect(try await observer.exists(node) == nil)
            }
        }
    }

    @Test("close() fails a request that is still waiting for a connection")
    func closeFailsQueuedRequest() async throws {
        // Nothing listens on port 1: the request stays queued in the C client.
        let client = try ZooKeeperClient(
            configuration: ZooKeeperConfiguration(servers: "127.0.0.1:1", sessionTimeout: .seconds(5)),
            logger: testLogger)
        let request = Task { try await client.get("/anything") }
        let outcome = Task { () -> ZooKeeperError.Code? in
            do {
                _ = try await request.value
                return nil
            } catch let error as ZooKeeperError {
                return error.code
            }
        }
        try await within(.seconds(10), "close() of an unconnected client") { await client.close() }
        let code = try await within(.seconds(5), "the queued request to fail") { try await outcome.value }
        #expect(code == .closing || code == .connectionLoss)
        #expect(client.state == .closed)
        await expectZooKeeperError(.closing) { try await client.exists("/") }
    }

    @Test("close() with many requests and a watch in flight returns and fails or finishes them all")
    func closeWithRequestsInFlight() async throws {
        let client = try await ZooKeeperClient.connect(
            ZooKeeperConfiguration(servers: try TestEnsemble.servers), logger: testLogger)
        let base = try await scratchPath(client)
        let (_, watch) = try await client.existsAndWatch("\(base)/never")
        let counts = try await within(.seconds(20), "close() with 500 requests in flight") {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        do {
                            try await client.create("\(base)/n\(index)")
                            return true
                        } catch let error as ZooKeeperError {
                            guard error.code == .closing || error.code == .connectionLoss else { throw error }
                            return false
                        }
                    }
                }
                await client.close()
                var finished = 0
                var failed = 0
                for try await succeeded in group {
                    if succeeded { finished += 1 } else { failed += 1 }
                }
                return (finished, failed)
            }
        }
        #expect(counts.0 + counts.1 == 500)
        await expectZooKeeperError(.closing) { try await watch.event() }
        #expect(CallbackRegistry.shared.pendingWatches(owner: client.core.token) == 0)
    }

    @Test("opening and closing clients leaks no threads, descriptors or callback entries")
    func noLeaks() async throws {
        func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1 }
        func descriptors() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
        }
        // Warm up the pools the runtime keeps anyway.
        try await withClient { zk in _ = try await zk.exists("/") }
        let before = (threads(), descriptors())
        var tokens: [UInt] = []
        for _ in 0..<20 {
            try await withClient { zk in
                tokens.append(zk.core.token)
                _ = try await zk.existsAndWatch("/herald-tests-never")
            }
        }
        let after = (threads(), descriptors())
        // Each live handle holds two C threads and a socket; 20 leaked handles would add 40+.
        #expect(after.0 <= before.0 + 4, "threads: \(before.0) before, \(after.0) after")
        #expect(after.1 <= before.1 + 2, "descriptors: \(before.1) before, \(after.1) after")
        for token in tokens {
            #expect(CallbackRegistry.shared.peek(token) == nil)
            #expect(CallbackRegistry.shared.pendingWatches(owner: token) == 0)
        }
    }

    @Test("a digest-ACL node refuses an unauthenticated writer and accepts its owner")
    func digestACL() async throws {
        let credentials = ZooKeeperConfiguration.DigestCredentials(user: "herald", secret: "s3cret-\(UUID())")
        try await withClient(credentials: credentials) { owner in
            let base = try await scratchPath(owner)
            let node = "\(base)/secured"
            let acl: [ACL] = [.world(.read), .digest(user: credentials.user, secret: credentials.secret, .all)]
            try await owner.create(node, data: [1], acl: acl)
            try await owner.create("\(node)/owned", acl: acl)

            let (readBack, stat) = try await owner.getACL(node)
            #expect(Set(readBack) == Set(acl))
            #expect(stat.aversion == 0)

            try await withClient { stranger in
                let data = try await stranger.get(node).data
                #expect(data == [1])
                await expectZooKeeperError(.noAuth) { try await stranger.set(node, data: [2]) }
                // Deleting a child needs the parent's DELETE permission, creating one its CREATE.
                await expectZooKeeperError(.noAuth) { try await stranger.delete("\(node)/owned") }
                await expectZooKeeperError(.noAuth) { try await stranger.create("\(node)/child") }
                await expectZooKeeperError(.noAuth) { try await stranger.setACL(node, acl: ACL.openUnsafe) }
            }
            try await withClient(credentials: .init(user: credentials.user, secret: "wrong")) { impostor in
                await expectZooKeeperError(.noAuth) { try await impostor.set(node, data: [3]) }
            }
            try await owner.set(node, data: [4])
            #expect(try await owner.get(node).data == [4])

            // setACL with the ACL version: open it up, then a stale version is refused.
            try await owner.setACL(node, acl: ACL.openUnsafe, version: 0)
            #expect(try await owner.getACL(node).acl == ACL.openUnsafe)
            await expectZooKeeperError(.badVersion) { try await owner.setACL(node, acl: acl, version: 0) }
            try await withClient { stranger in try await stranger.set(node, data: [5]) }
        }
    }
}
