import Discovery
import ElectionModel
import HeraldConfig
import HeraldSupport
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import Election
@testable import HeraldService

@Suite("Publisher", .timeLimit(.minutes(1)))
struct PublisherTests {
    /// Election views and follower lists arrive at once, each newer than the one before (the
    /// quorum's `required` and the follower's port count up); every snapshot must show each
    /// source's inputs in their order: an older input never lands after a newer one.
    @Test("an older input never lands after a newer one", arguments: 0..<5)
    func ordered(round: Int) async throws {
        var configuration = HeraldConfiguration()
        configuration.mesosMode = .leader
        let plan = ServicePlan(
            configuration: configuration, host: HostFacts(hostname: "h1", ipv4: "10.0.0.9"), servers: "127.0.0.1:2181")
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let election = ElectionService(plan: plan, logger: logger)
        let followers = FollowerDirectory(
            zooKeeper: plan.zooKeeper, paths: plan.paths, registration: nil, acl: plan.acl, logger: logger)
        let server = DiscoveryServer(
            configuration: .init(socketPath: "/nonexistent/herald.sock"), initial: Publisher.initialInput(plan: plan),
            logger: logger)
        let published = NIOLockedValueBox<[Snapshot]>([])
        let (done, finished) = AsyncStream<Void>.makeStream()
        let count = 2000
        let follower = plan.names.follower
        let publisher = Publisher(
            election: election, followers: followers, server: server, plan: plan,
            onPublished: { snapshot in
                published.withLockedValue { $0.append(snapshot) }
                if snapshot.quorum.required == count, snapshot.dns[follower]?.first?.port == count {
                    finished.yield()
                }
            }, logger: logger)
        let run = Task { try await publisher.run() }
        defer { run.cancel() }
        await withTaskGroup(of: Void.self) { feeders in
            feeders.addTask {
                for required in 1...count {
                    election.group.listeners.yield(
                        .viewChanged(.initial(required: required, sessionTimeout: .seconds(10))))
                }
            }
            feeders.addTask {
                for port in 1...count {
                    followers.listeners.yield([.init(hostname: "f1", ip: "10.0.1.1", port: port)])
                }
            }
        }
        try await withTimeout(.seconds(30), onTimeout: TimeoutExpired(limit: .seconds(30))) {
            for await _ in done { return }
        }
        let snapshots = published.withLockedValue { $0 }.sorted { $0.revision < $1.revision }
        var required = 0
        var port = 0
        for snapshot in snapshots {
            let followerPort = snapshot.dns[follower]?.first?.port ?? 0
            #expect(
                snapshot.quorum.required >= required && followerPort >= port,
                "revision \(snapshot.revision) shows an older input: required \(snapshot.quorum.required) after \(required), follower port \(followerPort) after \(port)"
            )
            required = snapshot.quorum.required
            port = followerPort
        }
    }
}
