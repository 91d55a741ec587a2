public import Discovery
public import Election
public import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle

/// Turns what the election and the follower directory report into snapshots on the socket, and
/// hands every election event to the sinks (hooks, metrics) in order.
///
/// It subscribes at construction, before anything runs, so it misses nothing; `run()` ends when
/// both sources have ended (the election and the directory stopped), after publishing their last
/// state: the final snapshot the socket's watchers get on shutdown.
public final class Publisher: Service, Sendable {
    /// Told every election event with the view after it and this host's role.
    public typealias Sink = @Sendable (ElectionEvent, ElectionView, Snapshot.Publisher.Role) -> Void

    let server: DiscoveryServer
    let plan: ServicePlan
    let sinks: [Sink]
    let onPublished: (@Sendable (Snapshot) -> Void)?
    let logger: Logger
    private let events: AsyncStream<ElectionEvent>
    private let followerUpdates: AsyncStream<[FollowerDirectory.Registration]>?
    private let state: NIOLockedValueBox<State>

    struct State {
        var view: ElectionView
        var followers: [FollowerDirectory.Registration] = []
        var role: Snapshot.Publisher.Role
    }

    public init(
        election: ElectionService, followers: FollowerDirectory?, server: DiscoveryServer, plan: ServicePlan,
        sinks: [Sink] = [], onPublished: (@Sendable (Snapshot) -> Void)? = nil, logger: Logger
    ) {
        self.onPublished = onPublished
        self.server = server
        self.plan = plan
        self.sinks = sinks
        self.logger = logger
        events = election.group.events()
        followerUpdates = followers?.updates()
        state = NIOLockedValueBox(
            State(
                view: election.group.view, followers: followers?.followers ?? [],
                role: plan.candidate == nil ? .observer : .candidate))
    }

    /// The first input, published before anything is known (`disconnected`).
    public static func initialInput(plan: ServicePlan) -> SnapshotInput {
        SnapshotInput(
            view: .initial(required: plan.required, sessionTimeout: plan.sessionTimeout), followers: [],
            zooKeeperHosts: plan.zooKeeperHosts, cluster: plan.cluster,
            publisher: .init(
                mode: plan.publisherMode, role: plan.candidate == nil ? .observer : .candidate, hostname: plan.hostname),
            names: plan.names)
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await event in self.events { self.handle(event) }
            }
            if let followerUpdates {
                tasks.addTask {
                    for await list in followerUpdates {
                        self.state.withLockedValue { $0.followers = list }
                        self.publish()
                    }
                }
            }
        }
        // The events end when the election service stops, which it does first in a graceful
        // shutdown. A service that returns before the group reaches it fails the shutdown
        // (`serviceFinishedUnexpectedly`, and `herald serve` would exit 1), so wait for its turn.
        try? await gracefulShutdown()
    }

    private func handle(_ event: ElectionEvent) {
        let (view, role) = state.withLockedValue { state in
            switch event {
            case .viewChanged(let view): state.view = view
            case .elected: state.role = .leader
            case .demoted: state.role = .candidate
            default: break
            }
            return (state.view, state.role)
        }
        switch event {
        case .viewChanged, .elected, .demoted: publish()
        default: break
        }
        for sink in sinks { sink(event, view, role) }
    }

    private func publish() {
        let input = state.withLockedValue { state in
            SnapshotInput(
                view: state.view,
                followers: state.followers.map { .init(hostname: $0.hostname, ip: $0.ip, port: $0.port) },
                zooKeeperHosts: plan.zooKeeperHosts, cluster: plan.cluster,
                publisher: .init(mode: plan.publisherMode, role: state.role, hostname: plan.hostname), names: plan.names
            )
        }
        if let snapshot = server.publish(input) { onPublished?(snapshot) }
    }
}
