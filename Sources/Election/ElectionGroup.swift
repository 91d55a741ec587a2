public import ElectionModel
import HeraldSupport
public import Logging
public import MesosLayout
import NIOConcurrencyHelpers
public import ZooKeeper

/// The election of one process: one ZooKeeper session, one children watch on the base path,
/// the observer's view, and any number of contenders, each with at most one candidate node.
///
/// `run()` drives it until cancelled; everything else may be called from any task. All
/// decisions are made by two value types (`ObserverState`, `ContenderState`) on one loop that
/// consumes session events, reads and request results in order; ZooKeeper requests run as
/// child tasks of `run()` and report back to the loop. Listeners get `ElectionEvent`s through
/// `events()`, each on its own unbounded stream, so a slow listener never stalls the loop.
///
/// Sessions: a lost connection demotes every leader at once and starts a local timer of one
/// negotiated session timeout; reconnecting in time resumes (after a fresh read), the timer
/// firing or the server reporting expiry ends the session: it is closed and a new one opened,
/// with new candidate nodes. An own node left by an older session (same MasterInfo id, another
/// owner) is deleted on sight.
public final class ElectionGroup: Sendable {
    struct Shared {
        var view: ElectionView
        /// The contenders that lead, with their epochs: at most a few, so a list (`leaderEpoch`
        /// is called in loops, for every contender).
        var leaders: [(id: ContenderID, epoch: Int64)] = []
        var ownNodes: [ContenderID: String] = [:]
        var session: SessionInfo?
        var leaseUntil: ContinuousClock.Instant?
        /// The servers new sessions use (`setServers` changes them).
        var zooKeeper: ZooKeeperConfiguration
        var nextContender = 0
        var statistics = Statistics()
        var started = false
        /// Inputs the loop has handled: what `isResponsive(within:)` watches move.
        var turns = 0
    }

    public let configuration: Configuration
    let logger: Logger
    let shared: NIOLockedValueBox<Shared>
    let inputs: AsyncStream<DriverInput>
    let post: AsyncStream<DriverInput>.Continuation
    let sessions = SessionTable()
    let listeners = Broadcaster<ElectionEvent>()

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        shared = NIOLockedValueBox(
            Shared(
                view: .initial(
                    required: configuration.required, sessionTimeout: configuration.zooKeeper.sessionTimeout),
                zooKeeper: configuration.zooKeeper))
        (inputs, post) = AsyncStream.makeStream()
    }

    deinit {
        post.finish()
        listeners.finish()
    }

    /// The view as last published.
    public var view: ElectionView { shared.withLockedValue { $0.view } }

    /// The current session (id, server, negotiated timeout), nil while none is connected yet.
    public var session: SessionInfo? { shared.withLockedValue { $0.session } }

    public var statistics: Statistics { shared.withLockedValue { $0.statistics } }

    /// The group's ZooKeeper client now (once one is open) and each new one, one per session,
    /// until `run()` ends: for a part of the same process that wants to share the session (a
    /// follower host's registration) rather than open its own. Each client is opened, connected
    /// and closed by the group, never by its users, and it carries the group's credentials.
    public func clients() -> AsyncStream<ZooKeeperClient> { sessions.updates() }

    /// The epoch of `contender` while it leads, else nil: the check to make before acting as the
    /// leader. It also honours the lease: once most of a session timeout has passed without a
    /// reply from ZooKeeper (a paused process, a silent network) it is nil at once, before the
    /// server can expire the session and elect someone else, and before any event says so.
    public func leaderEpoch(_ contender: ContenderID) -> Int64? {
        shared.withLockedValue { state in
            // The clock is read only for a leader.
            guard let epoch = state.leaders.first(where: { $0.id == contender })?.epoch,
                let until = state.leaseUntil, ContinuousClock.now < until
            else { return nil }
            return epoch
        }
    }

    /// The name of `contender`'s candidate node while it holds one.
    public func ownNode(_ contender: ContenderID) -> String? { shared.withLockedValue { $0.ownNodes[contender] } }

    /// Every event from now on, in order, until the group's `run()` ends.
    public func events() -> AsyncStream<ElectionEvent> {
        listeners.stream()
    }

    /// Starts contending with `info` as the candidate node's data (its `id` marks the node as
    /// this contender's). Returns at once; watch `events()` for the outcome.
    public func contend(_ info: MasterInfo) -> ContenderID {
        let id = shared.withLockedValue { state in
            state.nextContender += 1
            return ContenderID(state.nextContender)
        }
        post.yield(.contend(id, info))
        return id
    }

    /// Replaces the ensemble's server list (`host:port,…`), e.g. after DNS changed: the current
    /// session moves if its server left the list, new sessions use it.
    public func setServers(_ servers: String) {
        post.yield(.setServers(servers))
    }

    /// Awaited between a leader's `demoted` and the delete of its node, e.g. until the
    /// demoted host's own hook has run: no successor can be elected while the node is there.
    public typealias AbdicationGate = @Sendable () async -> Void

    /// Stops contending: a leader is demoted at once, then the own node is deleted, for a
    /// leader only after `gate` has returned. Returns once the node is gone (or its session is,
    /// which removes it too). Without a running loop it returns at once.
    public func abdicate(_ contender: ContenderID, after gate: AbdicationGate? = nil) async {
        await withCheckedContinuation { continuation in
            if case .terminated = post.yield(.abdicate(contender, continuation, gate: gate)) {
                continuation.resume()
            }
        }
    }

    /// Runs the election until the calling task is cancelled, then closes the session (which
    /// removes every candidate node of this process). Call once.
    public func run() async {
        let alreadyStarted = shared.withLockedValue { state in
            defer { state.started = true }
            return state.started
        }
        precondition(!alreadyStarted, "ElectionGroup.run() called twice")
        var driver = ElectionDriver(configuration: configuration, logger: logger, now: .now)
        let sessions = sessions
        let context = Effect.Context(
            post: post, sessions: sessions, zooKeeper: { [shared] in shared.withLockedValue { $0.zooKeeper } },
            logger: logger
        ) { [shared] update in shared.withLockedValue { update(&$0.statistics) } }
        await withDiscardingTaskGroup { group in
            func perform(_ effects: [Effect]) {
                for effect in effects {
                    group.addTask { await effect.perform(context) }
                }
            }
            perform(driver.start(now: .now))
            publish(&driver)
            for await input in inputs {
                perform(driver.handle(input, now: .now))
                publish(&driver)
            }
            let final = driver.shutdown(now: .now)
            publish(&driver)
            group.cancelAll()
            for effect in final { await effect.perform(context) }
            sessions.finish()
            for client in sessions.removeAll() { await client.close() }
        }
        listeners.finish()
    }

    /// Hands the driver's new events and state to listeners and readers.
    private func publish(_ driver: inout ElectionDriver) {
        let events = driver.takeEvents()
        // Only the contenders that changed: with hundreds of them, a walk of all on every input
        // cost more than the decision.
        let contenders = driver.takeContenderChanges()
        let receivers = shared.withLockedValue { state in
            state.view = driver.observer.view
            for contender in contenders {
                state.ownNodes[contender.id] = contender.ownNode
                state.leaders.removeAll { $0.id == contender.id }
                if let epoch = contender.epoch { state.leaders.append((id: contender.id, epoch: epoch)) }
            }
            state.session = driver.sessionInfo
            state.leaseUntil = driver.leaseUntil
            state.zooKeeper = driver.configuration.zooKeeper
            state.turns &+= 1
            state.statistics.sessions = driver.generation
            state.statistics.staleElections = driver.staleElections
            state.statistics.earlyElections = driver.earlyElections
            return listeners.receivers()
        }
        guard !events.isEmpty else { return }
        receivers.yield(contentsOf: events)
    }
}
