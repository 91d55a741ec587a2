import Logging
import MesosLayout
import ZooKeeper

/// The loop state of an `ElectionGroup`: the session, the read cache, the observer and the
/// contenders. `handle` applies one input and returns the requests to start; the events it
/// produced are taken with `takeEvents()`. Not shared: only `run()`'s loop touches it.
struct ElectionDriver {
    /// One ZooKeeper session (a "generation"): everything tied to it dies with it.
    struct Session {
        let generation: Int
        let client: ZooKeeperClient
        var id: Int64?
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
    }

    /// A reference type: the loop walks every contender on each read and publish, and with
    /// hundreds of contenders copying each one's fields (retains) dominated that walk.
    final class Contender {
        var state: ContenderState
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

        init(state: ContenderState, info: MasterInfo, data: [UInt8]) {
            self.state = state
            self.info = info
            self.data = data
        }
    }

    private(set) var configuration: ElectionGroup.Configuration
    let logger: Logger
    private(set) var observer: ObserverState
    private(set) var generation = 0
    private var session: Session?
    private var sessionFailures = 0
    private var readFailures = 0
    private var contenders: [ContenderID: Contender] = [:]
    private var cache: [String: GroupRead.Entry] = [:]
    private var lastRead: GroupRead?
    private var deletingStrays: Set<String> = []
    private var reportedInvalid: Set<String> = []
    private var reportedHazards: Set<String> = []
    private var quorumHeld: Bool?
    /// Until when a leader may act: the last request that got a reply was sent at `t`, so the
    /// server heard from the session after `t` and cannot expire it before `t` + its timeout;
    /// the lease ends at `t` + `leaseFraction` × timeout. Renewed by reads and heartbeats.
    private(set) var leaseUntil: ContinuousClock.Instant?
    /// The lease ran out while leading: contenders are suspended until a reply renews it.
    private var leaseLapsed = false
    private var heartbeatPending = false
    private(set) var earlyElections = 0
    static let leaseFraction = 0.8
    private var demotions: [ElectionEvent] = []
    private var viewEvents: [ElectionEvent] = []
    private var elections: [ElectionEvent] = []

    init(configuration: ElectionGroup.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        observer = ObserverState(
            required: configuration.required, sessionTimeout: configuration.zooKeeper.sessionTimeout)
    }

    var leaders: [ContenderID: Int64] {
        contenders.compactMapValues {
            if case .leader(_, let epoch) = $0.state.phase { return epoch }
            return nil
        }
    }

    var ownNodes: [ContenderID: String] { contenders.compactMapValues { $0.state.ownNode?.name } }

    var sessionInfo: SessionInfo? {
        guard let session, session.connected else { return nil }
        return session.client.session
    }

    mutating func takeEvents() -> [ElectionEvent] {
        defer {
            demotions = []
            viewEvents = []
            elections = []
        }
        return demotions + viewEvents + elections
    }

    mutating func start() -> [Effect] { openSession() }

    /// Ends everything: answers waiting abdications and returns the client to close.
    mutating func shutdown() -> [ZooKeeperClient] {
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.abdicate) { _ = apply(action, for: id) }
            for waiter in contenders[id]!.waiters { waiter.resume() }
            contenders[id]!.waiters = []
        }
        observe(.closed)
        defer { session = nil }
        return session.map { [$0.client] } ?? []
    }

    mutating func handle(_ input: DriverInput) -> [Effect] {
        switch input {
        case .openSession(let generation):
            guard generation == self.generation + 1 else { return [] }
            return openSession()
        case .session(let event, let generation):
            guard generation == session?.generation else { return [] }
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
            session?.reading = false
            if session?.readWatches == true { session?.watchArmed = false }
            switch error.code {
            case .connectionLoss, .operationTimeout, .sessionExpired, .closing:
                // Read again once reconnected (or in the next session).
                return session?.connected == true ? requestRead() : []
            default:
                logger.warning(
                    "cannot read the election group",
                    metadata: ["path": "\(configuration.basePath)", "error": "\(error)"])
                return [.retryRead(generation: generation, after: nextDelay(&readFailures))]
            }
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
                metadata: ["session": "\(session.id.map(Self.hex) ?? "none")"])
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
        case .heartbeatDone(let generation, let sentAt):
            guard generation == session?.generation else { return [] }
            heartbeatPending = false
            return renewLease(sentAt: sentAt) + keepLeaseAlive()
        case .leaseCheck(let generation):
            guard generation == session?.generation, let leaseUntil, ContinuousClock.now >= leaseUntil, !leases.isEmpty
            else { return [] }
            return lapseLease()
        case .setServers(let servers):
            // New sessions use the new list; the current one moves if its server left it.
            configuration.zooKeeper.servers = servers
            if let session {
                do {
                    try session.client.setServers(servers)
                } catch {
                    logger.warning("cannot apply the new ZooKeeper servers", metadata: ["error": "\(error)"])
                }
            }
            return []
        case .contend(let id, let info):
            contenders[id] = Contender(
                state: ContenderState(required: configuration.required), info: info, data: info.encoded())
            var effects: [Effect] = []
            if let session, session.connected, session.authenticated, let sessionID = session.id {
                _ = contenders[id]!.state.handle(.session(.connected(id: sessionID)))
                if let lastRead { _ = contenders[id]!.state.handle(.view(lastRead.snapshot)) }
            }
            for action in contenders[id]!.state.handle(.start) { effects += apply(action, for: id) }
            return effects
        case .abdicate(let id, let waiter):
            guard contenders[id] != nil else { return [.resume(waiter)] }
            var effects: [Effect] = []
            for action in contenders[id]!.state.handle(.abdicate) { effects += apply(action, for: id) }
            if contenders[id]!.deleting != nil || contenders[id]!.creating == generation {
                contenders[id]!.waiters.append(waiter)
            } else {
                contenders[id] = nil
                effects.append(.resume(waiter))
            }
            return effects
        }
    }

    // MARK: Session

    private mutating func openSession() -> [Effect] {
        generation += 1
        var zooKeeper = configuration.zooKeeper
        zooKeeper.resume = nil
        zooKeeper.allowReadOnly = false
        let client: ZooKeeperClient
        do {
            client = try ZooKeeperClient(configuration: zooKeeper, logger: logger)
        } catch {
            logger.error("cannot start a ZooKeeper session", metadata: ["error": "\(error)"])
            return [.openSession(generation: generation + 1, after: nextDelay(&sessionFailures))]
        }
        let events = client.sessionEvents()
        session = Session(generation: generation, client: client, authenticated: zooKeeper.credentials == nil)
        var effects: [Effect] = [.forwardSessionEvents(events, generation: generation)]
        if client.state == .connected, let info = client.session {
            effects += sessionEvent(.connected(info))
        }
        return effects
    }

    private mutating func sessionEvent(_ event: SessionEvent) -> [Effect] {
        guard var current = session else { return [] }
        switch event {
        case .connected(let info):
            let firstConnection = current.id == nil
            current.id = info.id
            current.connected = true
            current.disconnects += 1
            session = current
            sessionFailures = 0
            observe(.connected(server: info.server, sessionTimeout: info.negotiatedTimeout, sessionID: info.id))
            if firstConnection, !current.authenticated, let credentials = configuration.zooKeeper.credentials {
                return [
                    .authenticate(
                        current.client, generation: current.generation,
                        credential: Array("\(credentials.user):\(credentials.secret)".utf8))
                ]
            }
            return current.authenticated ? usable() : []
        case .readOnly, .connecting:
            guard current.connected else { return [] }
            current.connected = false
            session = current
            observe(.disconnected)
            var effects: [Effect] = []
            for id in contenders.keys.sorted() {
                for action in contenders[id]!.state.handle(.session(.disconnected)) {
                    effects += apply(action, for: id)
                }
            }
            let timeout = current.client.session?.negotiatedTimeout ?? configuration.zooKeeper.sessionTimeout
            effects.append(.sessionTimer(timeout, generation: current.generation, disconnect: current.disconnects))
            return effects
        case .expired, .authFailed:
            if event == .authFailed {
                logger.error("ZooKeeper authentication failed for the session")
            } else {
                logger.warning(
                    "ZooKeeper session expired", metadata: ["session": "\(current.id.map(Self.hex) ?? "none")"])
            }
            return endSession()
        case .closed:
            return []
        }
    }

    /// The session is connected and authenticated: contenders may act, the group is read.
    private mutating func usable() -> [Effect] {
        guard let current = session, current.connected, current.authenticated, let sessionID = current.id else {
            return []
        }
        var effects: [Effect] = []
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.session(.connected(id: sessionID))) {
                effects += apply(action, for: id)
            }
            if let node = contenders[id]!.deleting {
                effects.append(.delete(current.client, generation: current.generation, path: path(node)))
            }
        }
        return effects + requestRead()
    }

    /// The session is over (expired, refused, or silent for a session timeout): close it,
    /// void everything tied to it, open a new one.
    private mutating func endSession() -> [Effect] {
        guard let current = session else { return [] }
        observe(.expired)
        var effects: [Effect] = [.close(current.client)]
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.session(.expired)) { effects += apply(action, for: id) }
            if contenders[id]!.deleting != nil {
                // The node goes with the session.
                contenders[id]!.deleting = nil
                effects += contenders[id]!.waiters.map(Effect.resume)
                contenders[id]!.waiters = []
                if case .idle = contenders[id]!.state.phase { contenders[id] = nil }
            }
        }
        session = nil
        lastRead = nil
        deletingStrays = []
        leaseUntil = nil
        leaseLapsed = false
        heartbeatPending = false
        return effects + [.openSession(generation: generation + 1, after: nextDelay(&sessionFailures))]
    }

    // MARK: Reads

    private mutating func requestRead() -> [Effect] {
        guard var current = session, current.connected, current.authenticated else { return [] }
        if current.reading {
            current.readAgain = true
            session = current
            return []
        }
        current.reading = true
        current.readAgain = false
        let watch = !current.watchArmed
        current.watchArmed = true
        current.readWatches = watch
        session = current
        return [
            .read(
                current.client, generation: current.generation, basePath: configuration.basePath, watch: watch,
                known: Set(cache.keys))
        ]
    }

    private mutating func readDone(_ result: ReadResult) -> [Effect] {
        guard let current = session else { return [] }
        session?.reading = false
        readFailures = 0
        var renewal = renewLease(sentAt: result.sentAt)
        var effects: [Effect] = []
        if let watch = result.watch {
            effects.append(.awaitWatch(watch, generation: current.generation))
            current.childrenWatch.current = watch
        }
        let listed = Set(result.children)
        cache = cache.filter { listed.contains($0.key) }.merging(result.fetched) { $1 }
        let read = GroupRead(
            basePath: configuration.basePath, children: result.children, pzxid: result.pzxid, entries: cache)
        effects += process(read, session: current)
        if session?.readAgain == true { effects += requestRead() }
        renewal += keepLeaseAlive()
        return renewal + effects
    }

    /// Decides on a read (or on the last read less a deleted predecessor).
    private mutating func process(_ read: GroupRead, session current: Session) -> [Effect] {
        var effects: [Effect] = []
        lastRead = read
        report(read)
        observe(.read(read))
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.view(read.snapshot)) { effects += apply(action, for: id) }
        }
        effects += deleteStrays(read, session: current)
        effects += watchPredecessor(read, session: current)
        return effects
    }

    /// When one of this process' contenders is next in line, an exists watch on the leader's node
    /// lets it lead on the deletion event itself, one read earlier than the children watch would.
    private mutating func watchPredecessor(_ read: GroupRead, session current: Session) -> [Effect] {
        let valid = read.snapshot.valid
        guard valid.count >= 2, let sessionID = current.id, let latest = session else { return [] }
        let own = Set(contenders.values.compactMap { $0.state.ownNode?.name })
        let (leader, next) = (valid[0], valid[1])
        guard !own.contains(leader.name), own.contains(next.name), next.ephemeralOwner == sessionID,
            latest.predecessor != leader.name
        else { return [] }
        session?.predecessor = leader.name
        return [
            .watchPredecessor(
                latest.client, generation: latest.generation, path: path(leader.name), name: leader.name,
                children: latest.childrenWatch)
        ]
    }

    /// The predecessor's deletion, when the last read is otherwise exact: decide on it now.
    private mutating func predecessorGone(_ name: String, exact: Bool) -> [Effect] {
        guard var current = session, current.predecessor == name else { return [] }
        current.predecessor = nil
        session = current
        guard exact, current.connected, current.authenticated, !current.reading, let last = lastRead,
            last.children.contains(name)
        else { return [] }
        cache[name] = nil
        let read = GroupRead(
            basePath: configuration.basePath, children: last.children.filter { $0 != name },
            pzxid: last.snapshot.pzxid, entries: cache)
        let before = leaders.count
        let effects = process(read, session: current)
        if leaders.count > before { earlyElections += 1 }
        return effects
    }

    /// Deletes nodes carrying one of this process' contender ids that another session owns:
    /// left by a session this process already gave up on.
    private mutating func deleteStrays(_ read: GroupRead, session current: Session) -> [Effect] {
        guard let sessionID = current.id else { return [] }
        let markers = Set(contenders.values.map(\.info.id))
        var effects: [Effect] = []
        for member in read.snapshot.members
        where member.ephemeralOwner != sessionID && markers.contains(read.ids[member.name] ?? "")
            && !deletingStrays.contains(member.name)
        {
            deletingStrays.insert(member.name)
            logger.notice("deleting a candidate node left by an earlier session", metadata: ["node": "\(member.name)"])
            effects.append(.delete(current.client, generation: current.generation, path: path(member.name)))
        }
        return effects
    }

    /// Logs each invalid member and hazard once while it stays.
    private mutating func report(_ read: GroupRead) {
        let invalidNow = Set(read.invalid.map(\.node))
        for member in read.invalid where !reportedInvalid.contains(member.node) {
            logger.warning(
                "skipping an invalid member of the election group",
                metadata: ["node": "\(member.node)", "reason": "\(member.reason)"])
        }
        reportedInvalid = invalidNow
        let hazardsNow = Set(read.hazards.map(\.description))
        for hazard in read.hazards where !reportedHazards.contains(hazard.description) {
            logger.error(
                "a child of the base path would break Mesos masters and agents",
                metadata: ["node": "\(hazard.node)", "reason": "\(hazard.reason)"])
        }
        reportedHazards = hazardsNow
    }

    // MARK: Contenders

    private mutating func apply(_ action: ContenderState.Action, for id: ContenderID) -> [Effect] {
        switch action {
        case .createCandidate:
            return startCreate(id)
        case .delete(let name):
            guard let current = session else { return [] }
            contenders[id]?.deleting = name
            return [.delete(current.client, generation: current.generation, path: path(name))]
        case .elected(let epoch):
            let node = contenders[id]?.state.ownNode?.name ?? ""
            logger.notice("elected", metadata: ["contender": "\(id.value)", "node": "\(node)", "epoch": "\(epoch)"])
            elections.append(.elected(id, node: node, epoch: epoch))
            return []
        case .demoted(let reason):
            logger.notice("demoted", metadata: ["contender": "\(id.value)", "reason": "\(reason)"])
            demotions.append(.demoted(id, reason: reason))
            return []
        }
    }

    private mutating func startCreate(_ id: ContenderID) -> [Effect] {
        guard let contender = contenders[id], contender.creating != generation, !contender.retryScheduled,
            case .joining = contender.state.phase,
            let current = session, current.connected, current.authenticated, let sessionID = current.id
        else { return [] }
        contenders[id]!.creating = current.generation
        let request = CreateRequest(
            basePath: configuration.basePath, data: contender.data, acl: configuration.nodeACL,
            marker: contender.info.id,
            sessionID: sessionID, findFirst: contender.ambiguousIn == current.generation,
            knownIDs: lastRead?.ids ?? [:])
        return [.create(id, current.client, generation: current.generation, request)]
    }

    private mutating func created(_ id: ContenderID, generation: Int, name: String, stat: Stat) -> [Effect] {
        guard contenders[id] != nil else { return [] }
        if contenders[id]!.creating == generation { contenders[id]!.creating = nil }
        // A node of a session already given up: it goes with that session (or as a stray).
        guard generation == session?.generation, let member = MemberName(name) else { return settleIdle(id) }
        contenders[id]!.failures = 0
        var effects: [Effect] = []
        let own = ContenderState.OwnNode(
            name: name, sequence: member.sequence, czxid: stat.czxid, session: stat.ephemeralOwner)
        for action in contenders[id]!.state.handle(.created(own)) { effects += apply(action, for: id) }
        // No read here: the children watch reports the new node.
        return effects
    }

    private mutating func createFailed(_ id: ContenderID, generation: Int, error: ZooKeeperError) -> [Effect] {
        guard contenders[id] != nil else { return [] }
        if contenders[id]!.creating == generation { contenders[id]!.creating = nil }
        if case .idle = contenders[id]!.state.phase {
            // Abdicated while creating, and nothing was created.
            return settleIdle(id)
        }
        guard generation == session?.generation else { return [] }
        switch error.code {
        case .connectionLoss, .operationTimeout:
            // The create may have been applied: look for the node before creating another.
            contenders[id]!.ambiguousIn = generation
        case .sessionExpired, .closing:
            break
        default:
            logger.error(
                "cannot create the candidate node", metadata: ["contender": "\(id.value)", "error": "\(error)"])
            contenders[id]!.failures += 1
        }
        var effects: [Effect] = []
        let actions = contenders[id]!.state.handle(.createFailed)
        if contenders[id]!.failures > 0, actions.contains(.createCandidate) {
            contenders[id]!.retryScheduled = true
            var failures = contenders[id]!.failures - 1
            return [.retryCreate(id, generation: generation, after: nextDelay(&failures))]
        }
        for action in actions { effects += apply(action, for: id) }
        return effects
    }

    /// Removes an abdicated contender with nothing left in flight, answering its waiters.
    private mutating func settleIdle(_ id: ContenderID) -> [Effect] {
        guard let contender = contenders[id], case .idle = contender.state.phase, contender.deleting == nil,
            contender.creating == nil
        else { return [] }
        contenders[id] = nil
        return contender.waiters.map(Effect.resume)
    }

    private mutating func deleted(_ path: String, generation: Int, error: ZooKeeperError?) -> [Effect] {
        let name = String(path.split(separator: "/").last ?? "")
        if deletingStrays.remove(name) != nil { return [] }
        guard let id = contenders.first(where: { $0.value.deleting == name })?.key else { return [] }
        if let error, generation == session?.generation,
            error.code == .connectionLoss || error.code == .operationTimeout
        {
            return []  // retried when the session is usable again
        }
        if let error, error.code != .sessionExpired && error.code != .closing {
            logger.error("cannot delete the own candidate node", metadata: ["node": "\(name)", "error": "\(error)"])
        }
        contenders[id]!.deleting = nil
        let waiters = contenders[id]!.waiters
        contenders[id]!.waiters = []
        if case .idle = contenders[id]!.state.phase { contenders[id] = nil }
        // No read here: the children watch reports the deletion.
        return waiters.map(Effect.resume)
    }

    // MARK: Lease

    /// The contenders that lead right now.
    private var leases: [ContenderID] {
        contenders.keys.filter { if case .leader = contenders[$0]!.state.phase { return true } else { return false } }
    }

    private var sessionTimeout: Duration {
        session?.client.session?.negotiatedTimeout ?? configuration.zooKeeper.sessionTimeout
    }

    /// A reply to a request sent at `sentAt` renews the lease; after a lapse, the contenders
    /// come back as on a reconnect (leading again only on a fresh view).
    private mutating func renewLease(sentAt: ContinuousClock.Instant) -> [Effect] {
        let until = sentAt + sessionTimeout * Self.leaseFraction
        guard leaseUntil.map({ until > $0 }) ?? true else { return [] }
        leaseUntil = until
        var effects: [Effect] = []
        // A timer only while leading: it turns a lapse into a `demoted` event (the
        // `leaderEpoch` query checks the deadline itself).
        if let current = session, !leases.isEmpty {
            effects.append(.leaseTimer(generation: current.generation, at: until))
        }
        if leaseLapsed, let current = session, current.connected, let id = current.id {
            leaseLapsed = false
            logger.notice("ZooKeeper answers again: contenders resume on the next read")
            for contender in contenders.keys.sorted() {
                for action in contenders[contender]!.state.handle(.session(.connected(id: id))) {
                    effects += apply(action, for: contender)
                }
            }
            effects += requestRead()
        }
        return effects
    }

    /// While a contender leads, a heartbeat every third of the session timeout renews the lease.
    private mutating func keepLeaseAlive() -> [Effect] {
        let holding = contenders.values.contains { $0.state.ownNode != nil }
        guard !heartbeatPending, holding || leaseLapsed, let current = session, current.connected else {
            return []
        }
        heartbeatPending = true
        return [
            .heartbeat(
                current.client, generation: current.generation, path: configuration.basePath,
                after: sessionTimeout / 3)
        ]
    }

    /// No reply for most of a session timeout: every leader steps down now, before the server
    /// can expire the session and another contender take over.
    private mutating func lapseLease() -> [Effect] {
        logger.warning(
            "no reply from ZooKeeper within the lease: leaders step down",
            metadata: ["lease": "\(sessionTimeout * Self.leaseFraction)"])
        leaseLapsed = true
        var effects: [Effect] = []
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.session(.disconnected)) {
                if case .demoted = action {
                    effects += apply(.demoted(.leaseExpired), for: id)
                } else {
                    effects += apply(action, for: id)
                }
            }
        }
        return effects + keepLeaseAlive()
    }

    // MARK: Observer

    private mutating func observe(_ event: ObserverState.Event) {
        let before = observer.view
        guard let view = observer.handle(event) else { return }
        viewEvents.append(.viewChanged(view))
        if before.leader?.node != view.leader?.node || before.leader?.epoch != view.leader?.epoch {
            viewEvents.append(.leaderChanged(from: before.leader, to: view.leader))
        }
        guard case .read = event else { return }
        let held = view.present >= view.required
        if let quorumHeld, quorumHeld != held {
            viewEvents.append(
                held
                    ? .quorumRegained(present: view.present, required: view.required)
                    : .quorumLost(present: view.present, required: view.required))
        }
        quorumHeld = held
    }

    // MARK: Helpers

    private func path(_ name: String) -> String { GroupRead.join(configuration.basePath, name) }

    /// `retryDelay · 2^failures`, capped; counts the failure.
    private func nextDelay(_ failures: inout Int) -> Duration {
        Self.backoff(&failures, base: configuration.retryDelay, maximum: configuration.maximumRetryDelay)
    }

    static func backoff(_ failures: inout Int, base: Duration, maximum: Duration) -> Duration {
        defer { failures += 1 }
        var delay = base
        for _ in 0..<min(failures, 16) where delay < maximum { delay = delay * 2 }
        return min(delay, maximum)
    }

    static func hex(_ id: Int64) -> String { "0x" + String(UInt64(bitPattern: id), radix: 16) }
}
