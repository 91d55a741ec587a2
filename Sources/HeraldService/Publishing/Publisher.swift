import AsyncAlgorithms
public import Discovery
import Election
public import ElectionModel
public import Logging
import MesosLayout
public import ServiceLifecycle

/// Turns what the election and the follower directory report into snapshots on the socket, and
/// hands every election event to the sinks (hooks, metrics) in order.
///
/// It subscribes at construction, before anything runs, so it misses nothing; `run()` ends when
/// both sources have ended (the election and the directory stopped), after publishing their last
/// state: the final snapshot the socket's watchers get on shutdown.
///
/// One loop over its merged inputs (election events, follower lists, problem changes, graceful
/// shutdown) owns the state and publishes, one input after the other: a snapshot never shows an
/// older input after a newer one.
public final class Publisher: Service, Sendable {
    /// Told every election event with the view after it and this host's role.
    public typealias Sink = @Sendable (Change) -> Void

    /// One election event as the sinks see it: with the view after it and this host's role,
    /// both as the lease rule lets them be shown now (`ElectionView.shown(at:ownID:leading:)`),
    /// so that a hook never hears this host named leader once its lease has run out.
    public struct Change: Sendable {
        public var event: ElectionEvent
        public var view: ElectionView
        public var role: Snapshot.Publisher.Role
        /// The fencing epoch of the term the event is about: the new one for `elected`, the one
        /// that ended for `demoted`.
        public var epoch: Int64?
        /// False for an `elected` whose lease had already run out when it reached the publisher
        /// (a process resumed after a freeze): its term is over before it began, and the
        /// `demoted` that ends it follows. Such an event must not start anything.
        public var current: Bool
    }

    let server: DiscoveryServer
    let plan: ServicePlan
    let sinks: [Sink]
    let onPublished: (@Sendable (Snapshot) -> Void)?
    let logger: Logger
    private let events: AsyncStream<ElectionEvent>
    private let followerUpdates: AsyncStream<[FollowerDirectory.Registration]>?
    /// The state before the first input; from then on the loop's own.
    private let initial: State
    private let problems: ProblemBoard?

    struct State {
        var view: ElectionView
        var followers: [FollowerDirectory.Registration] = []
        var role: Snapshot.Publisher.Role
        /// The epoch of this host's term while it leads.
        var term: Int64?
    }

    public init(
        election: ElectionService, followers: FollowerDirectory?, server: DiscoveryServer, plan: ServicePlan,
        sinks: [Sink] = [], onPublished: (@Sendable (Snapshot) -> Void)? = nil, problems: ProblemBoard? = nil,
        logger: Logger
    ) {
        self.problems = problems
        self.onPublished = onPublished
        self.server = server
        self.plan = plan
        self.sinks = sinks
        self.logger = logger
        events = election.group.events()
        followerUpdates = followers?.updates()
        initial = State(
            view: election.group.view, followers: followers?.followers ?? [],
            role: plan.candidate == nil ? .observer : .candidate)
    }

    /// What the loop handles, in the order it arrives.
    private enum Input: Sendable {
        case event(ElectionEvent)
        case followers([FollowerDirectory.Registration])
        case problemsChanged
        /// The election's events or the directory's lists have ended.
        case sourceEnded
        /// Graceful shutdown has reached this service.
        case shutdown
    }

    /// The first input, published before anything is known (`disconnected`).
    public static func initialInput(plan: ServicePlan) -> SnapshotInput {
        SnapshotInput(
            view: .initial(required: plan.required, sessionTimeout: plan.sessionTimeout),
            followers: plan.listsFollowers ? [] : nil,
            zooKeeperHosts: plan.zooKeeperHosts, cluster: plan.cluster,
            publisher: .init(
                mode: plan.publisherMode, role: plan.candidate == nil ? .observer : .candidate, hostname: plan.hostname),
            names: plan.names, ownID: plan.candidate?.id)
    }

    public func run() async throws {
        let (problemChanges, problemsChanged) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        problems?.onChange { problemsChanged.yield() }
        let (shutdown, shutdownRequested) = AsyncStream<Void>.makeStream()
        let lists = followerUpdates ?? AsyncStream { $0.finish() }
        let inputs = merge(
            merge(
                chain(events.map { Input.event($0) }, [Input.sourceEnded].async),
                chain(lists.map { Input.followers($0) }, [Input.sourceEnded].async)),
            problemChanges.map { Input.problemsChanged },
            shutdown.map { Input.shutdown })
        var state = initial
        publish(state)
        var ended = 0
        var shuttingDown = false
        // The events end when the election service stops, which it does first in a graceful
        // shutdown. A service that returns before the group reaches it fails the shutdown
        // (`serviceFinishedUnexpectedly`, and `herald serve` would exit 1), so the loop also
        // waits for its turn.
        await withGracefulShutdownHandler {
            loop: for await input in inputs {
                switch input {
                case .event(let event):
                    handle(event, &state)
                case .followers(let list):
                    state.followers = list
                    publish(state)
                case .problemsChanged:
                    publish(state)
                case .sourceEnded:
                    ended += 1
                case .shutdown:
                    shuttingDown = true
                }
                if ended == 2, shuttingDown { break loop }
            }
        } onGracefulShutdown: {
            shutdownRequested.yield()
        }
    }

    private func handle(_ event: ElectionEvent, _ state: inout State) {
        let ownID = plan.candidate?.id
        var epoch: Int64?
        switch event {
        case .viewChanged(let view):
            state.view = view
        case .elected(_, _, let elected):
            state.role = .leader
            state.term = elected
            epoch = elected
        case .demoted:
            state.role = .candidate
            epoch = state.term
            state.term = nil
        case .leaderChanged(_, let to):
            epoch = to?.epoch
        case .quorumLost, .quorumRegained:
            break
        }
        let (view, leading) = state.view.shown(at: .now, ownID: ownID, leading: state.role == .leader)
        let role: Snapshot.Publisher.Role = leading ? .leader : (state.role == .leader ? .candidate : state.role)
        var current = true
        if case .elected = event { current = leading }
        let change = Change(event: event, view: view, role: role, epoch: epoch, current: current)
        switch event {
        case .viewChanged, .elected, .demoted: publish(state)
        default: break
        }
        if !change.current {
            logger.warning("elected after the lease had already run out: not acting on it")
        }
        for sink in sinks { sink(change) }
    }

    private func publish(_ state: State) {
        let input = SnapshotInput(
            view: state.view,
            followers: plan.listsFollowers
                ? state.followers.map { .init(hostname: $0.hostname, ip: $0.ip, port: $0.port) } : nil,
            zooKeeperHosts: plan.zooKeeperHosts, cluster: plan.cluster,
            publisher: .init(mode: plan.publisherMode, role: state.role, hostname: plan.hostname),
            names: plan.names,
            ownID: plan.candidate?.id, problems: problems?.current ?? [])
        if let snapshot = server.publish(input) { onPublished?(snapshot) }
    }
}
