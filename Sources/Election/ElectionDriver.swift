import ElectionModel
import HeraldSupport
import Logging
import MesosLayout
import ZooKeeper

/// The decisions of an `ElectionGroup`: the session, the read cache, the observer, the
/// contenders and the lease, as a state machine without I/O. `handle(_:now:)` applies one input
/// at the given instant and returns the effects to perform (requests, timers, opening and closing
/// sessions, which it names by generation); the events it produced are taken with
/// `takeEvents()`. Not shared: only `run()`'s loop touches it, and tests drive it with a manual
/// clock.
///
/// The lease (DESIGN.md "One lease clock"): per session, D = the send time of the request whose
/// reply came last + `leaseFraction` × the negotiated timeout. Before any input is handled,
/// every leader whose D has passed is demoted; `elected` is only ever emitted while now < D and
/// on a read whose knowledge is less than `leaseFraction` × the timeout old. The files
/// `ElectionDriver+Session`, `+Reads`, `+Contenders` and `+Lease` hold each concern.
struct ElectionDriver {
    /// One ZooKeeper session (a "generation"): everything tied to it dies with it.
    struct Session {
        let generation: Int
        /// The open effect reported back: the client exists. Session events that came first are
        /// kept in `early`, in order.
        var opened = false
        var early: [SessionEvent] = []
        /// The last connection's session: id, server, negotiated timeout.
        var info: SessionInfo?
        var connected = false
        var authenticated: Bool
        /// Counts connections; a session timer only fires for the disconnect it was started for.
        var disconnects = 0
        var watchArmed = false
        /// The children watch left by the last processed read that armed one.
        let childrenWatch = WatchBox()
        /// The node an exists watch is set on (the one just below a contender).
        var predecessor: String?
        /// Whether the read in flight leaves a watch.
        var readWatches = false
        var reading = false
        var readAgain = false

        var id: Int64? { info?.id }
    }

    /// The contenders whose published facts (own node, leadership) may have changed since
    /// `takeContenderChanges()` last looked: a phase changed, or the contender came or went.
    final class ChangeLog {
        var ids: Set<ContenderID> = []
    }

    /// A reference type: the loop walks every contender on each read, and with hundreds of
    /// contenders copying each one's fields (retains) dominated that walk.
    final class Contender {
        let id: ContenderID
        let changes: ChangeLog
        var state: ContenderState {
            didSet { if state.phase != oldValue.phase { changes.ids.insert(id) } }
        }
        let info: MasterInfo
        let data: [UInt8]
        /// The generation of the create in flight, if any.
        var creating: Int?
        /// A create in this generation failed without a verdict: look for the node before the next.
        var ambiguousIn: Int?
        var failures = 0
        var retryScheduled = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// The own node being deleted after abdication.
        var deleting: String?
        /// Awaited before that delete is sent (the service's `on_demoted` hook finishing).
        var deleteGate: ElectionGroup.AbdicationGate?

        /// The epoch it leads with, nil unless it leads.
        var leadingEpoch: Int64? {
            if case .leader(_, let epoch) = state.phase { return epoch }
            return nil
        }

        init(id: ContenderID, changes: ChangeLog, state: ContenderState, info: MasterInfo, data: [UInt8]) {
            self.id = id
            self.changes = changes
            self.state = state
            self.info = info
            self.data = data
        }
    }

    /// The share of the negotiated session timeout a leader may act on after the last contact.
    static let leaseFraction = 0.8

    var configuration: ElectionGroup.Configuration
    let logger: Logger
    var observer: ObserverState
    var generation = 0
    var session: Session?
    var sessionFailures = 0
    var readFailures = 0
    /// Changed only through `addContender` and `dropContender`, which log the change.
    private(set) var contenders: [ContenderID: Contender] = [:]
    let changes = ChangeLog()
    /// Every member read so far, interpreted once (`GroupIndex`).
    var group: GroupIndex
    var lastRead: GroupMembers?
    /// Counts `contend` calls: a new contender's marker makes every member worth checking for strays.
    var contends = 0
    /// The session and `contends` the last full check for strays was made with; later reads
    /// check only their new members.
    var strayScope: (session: Int64, contends: Int)?
    var deletingStrays: Set<String> = []
    var reportedInvalid: Set<String> = []
    var reportedHazards: Set<String> = []
    var quorumHeld: Bool?
    /// The instant of the input being handled.
    var now: ContinuousClock.Instant
    /// The send time of the request whose reply came last in this session: the server heard
    /// from the session after it, so it cannot expire the session before it + the timeout.
    var contact: ContinuousClock.Instant?
    /// Until when `lastRead` is known to hold: its own send time, moved on by every heartbeat
    /// answered while its children watch had not fired.
    var readBasis: ContinuousClock.Instant?
    /// The lease ran out while leading: contenders are suspended until a reply renews it.
    var leaseLapsed = false
    var heartbeatScheduled = false
    var earlyElections = 0
    /// Elections refused because the lease or the read behind them was too old.
    var staleElections = 0
    var demotions: [ElectionEvent] = []
    var viewEvents: [ElectionEvent] = []
    var elections: [ElectionEvent] = []

    init(configuration: ElectionGroup.Configuration, logger: Logger, now: ContinuousClock.Instant) {
        self.configuration = configuration
        self.logger = logger
        self.now = now
        group = GroupIndex(basePath: configuration.basePath)
        observer = ObserverState(
            required: configuration.required, sessionTimeout: configuration.zooKeeper.sessionTimeout)
    }

    var leaders: [ContenderID: Int64] { contenders.compactMapValues(\.leadingEpoch) }

    var sessionInfo: SessionInfo? {
        guard let session, session.connected else { return nil }
        return session.info
    }

    /// What `ElectionGroup` publishes of each contender, for those that may have changed since
    /// this was last called: its own node and its epoch while it leads (both nil once it is
    /// gone). The cost follows the changes, not the number of contenders.
    mutating func takeContenderChanges() -> [(id: ContenderID, ownNode: String?, epoch: Int64?)] {
        guard !changes.ids.isEmpty else { return [] }
        defer { changes.ids.removeAll(keepingCapacity: true) }
        return changes.ids.map { id in
            guard let contender = contenders[id] else { return (id, nil, nil) }
            return (id, contender.state.ownNode?.name, contender.leadingEpoch)
        }
    }

    mutating func addContender(_ id: ContenderID, _ contender: Contender) {
        contenders[id] = contender
        changes.ids.insert(id)
    }

    mutating func dropContender(_ id: ContenderID) {
        contenders[id] = nil
        changes.ids.insert(id)
    }

    mutating func takeEvents() -> [ElectionEvent] {
        defer {
            demotions = []
            viewEvents = []
            elections = []
        }
        return demotions + viewEvents + elections
    }

    mutating func start(now: ContinuousClock.Instant) -> [Effect] {
        self.now = now
        return openSession(after: .zero)
    }

    /// Ends everything: demotes, answers waiting abdications; the run loop closes the clients.
    mutating func shutdown(now: ContinuousClock.Instant) -> [Effect] {
        self.now = now
        var effects: [Effect] = []
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.abdicate) { _ = apply(action, for: id) }
            effects += contenders[id]!.waiters.map(Effect.resume)
            contenders[id]!.waiters = []
        }
        observe(.closed)
        session = nil
        return effects
    }

    mutating func handle(_ input: DriverInput, now: ContinuousClock.Instant) -> [Effect] {
        self.now = now
        // A process resumed after a freeze, or a loop that fell behind: no leader acts on
        // anything before its lease is checked.
        var effects = checkLease()
        effects += dispatch(input)
        return effects
    }

    private mutating func dispatch(_ input: DriverInput) -> [Effect] {
        switch input {
        case .sessionOpened(let generation):
            guard generation == session?.generation else { return [.close(generation: generation)] }
            return sessionOpened()
        case .sessionOpenFailed(let generation, let error):
            guard generation == session?.generation else { return [] }
            logger.error("cannot start a ZooKeeper session", metadata: ["error": "\(error)"])
            session = nil
            return openSession(after: nextDelay(&sessionFailures))
        case .session(let event, let generation):
            guard generation == session?.generation else { return [] }
            guard session!.opened else {
                session!.early.append(event)
                return []
            }
            return sessionEvent(event)
        case .authenticated(let generation, let error):
            guard generation == session?.generation else { return [] }
            if let error {
                logger.error("ZooKeeper refused the digest credentials", metadata: ["error": "\(error.code)"])
                return endSession()
            }
            session?.authenticated = true
            return usable()
        case .readDone(let generation, let result):
            guard generation == session?.generation else { return [] }
            return readDone(result)
        case .readFailed(let generation, let error):
            guard generation == session?.generation else { return [] }
            return readFailed(error)
        case .retryRead(let generation):
            guard generation == session?.generation else { return [] }
            return requestRead()
        case .watchFired(let generation):
            guard generation == session?.generation else { return [] }
            session?.watchArmed = false
            return requestRead()
        case .sessionTimer(let generation, let disconnect):
            guard let session, generation == session.generation, disconnect == session.disconnects, !session.connected
            else { return [] }
            logger.warning(
                "no ZooKeeper connection for a whole session timeout: treating the session as expired",
                metadata: ["session": "\(Self.hex(session.id))"])
            return endSession()
        case .created(let id, let generation, let name, let stat):
            return created(id, generation: generation, name: name, stat: stat)
        case .createFailed(let id, let generation, let error):
            return createFailed(id, generation: generation, error: error)
        case .retryCreate(let id, let generation):
            guard generation == session?.generation, contenders[id] != nil else { return [] }
            contenders[id]!.retryScheduled = false
            return startCreate(id)
        case .deleted(let path, let generation, let error):
            return deleted(path, generation: generation, error: error)
        case .predecessorGone(let generation, let name, let exact):
            guard generation == session?.generation else { return [] }
            return predecessorGone(name, exact: exact)
        case .heartbeatDue(let generation):
            guard generation == session?.generation else { return [] }
            heartbeatScheduled = false
            return heartbeat()
        case .heartbeatDone(let generation, let sentAt, let intact):
            guard generation == session?.generation else { return [] }
            return renew(sentAt: sentAt, readStillHolds: intact)
        case .heartbeatFailed(let generation):
            // The next one is already scheduled; a reconnect schedules one too.
            guard generation == session?.generation else { return [] }
            return []
        case .leaseCheck, .probe:
            // `handle` checked the lease before coming here; a probe only proves the loop turns.
            return []
        case .setServers(let servers):
            // New sessions use the new list; the current one moves if its server left it.
            configuration.zooKeeper.servers = servers
            guard let session, session.opened else { return [] }
            return [.setServers(generation: session.generation, servers: servers)]
        case .contend(let id, let info):
            return contend(id, info)
        case .abdicate(let id, let waiter, let gate):
            return abdicate(id, waiter, gate: gate)
        }
    }

    // MARK: Helpers

    func path(_ name: String) -> String { GroupMembers.join(configuration.basePath, name) }

    /// `retryDelay · 2^failures`, capped; counts the failure.
    func nextDelay(_ failures: inout Int) -> Duration {
        Self.backoff(&failures, base: configuration.retryDelay, maximum: configuration.maximumRetryDelay)
    }

    /// At most 16 doublings of `base`, whatever `maximum` says.
    static func backoff(_ failures: inout Int, base: Duration, maximum: Duration) -> Duration {
        Backoff(initial: min(base, maximum), maximum: min(maximum, base * 65536)).next(&failures)
    }

    static func hex(_ id: Int64) -> String { "0x" + String(UInt64(bitPattern: id), radix: 16) }
}
