import ElectionModel
import Logging
import MesosLayout
import ZooKeeper

/// Reads of the base path and what is decided on them.
extension ElectionDriver {
    mutating func requestRead() -> [Effect] {
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
                generation: current.generation, basePath: configuration.basePath, watch: watch, known: group.known)
        ]
    }

    mutating func readDone(_ result: ReadResult) -> [Effect] {
        guard let current = session else { return [] }
        session?.reading = false
        readFailures = 0
        var effects = renew(sentAt: result.sentAt, readStillHolds: false)
        if let watch = result.watch {
            effects.append(.awaitWatch(watch, generation: current.generation))
            current.childrenWatch.current = watch
        }
        // Only the new members were read; the index drops the departed ones.
        let added = group.apply(children: result.children, pzxid: result.pzxid, fetched: result.fetched)
        effects += process(group.read(), basis: result.sentAt, added: added)
        if session?.readAgain == true { effects += requestRead() }
        return effects
    }

    mutating func readFailed(_ error: ZooKeeperError) -> [Effect] {
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
            guard let generation = session?.generation else { return [] }
            return [.retryRead(generation: generation, after: nextDelay(&readFailures))]
        }
    }

    /// Decides on a read (or on the last read less a deleted predecessor), known to hold at `basis`;
    /// `added` are the members read for it.
    mutating func process(_ read: GroupMembers, basis: ContinuousClock.Instant, added: [String]) -> [Effect] {
        guard let current = session else { return [] }
        var effects: [Effect] = []
        lastRead = read
        readBasis = basis
        report(read)
        observe(.read(read))
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.ranking(read.ranking)) { effects += apply(action, for: id) }
        }
        effects += deleteStrays(read, added: added, session: current)
        effects += watchPredecessor(read, session: current)
        return effects
    }

    /// When one of this process' contenders is next in line, an exists watch on the leader's node
    /// lets it lead on the deletion event itself, one read earlier than the children watch would.
    /// The leader may be this process' own too (several contenders in one process): its
    /// abdication then hands over on the same event.
    mutating func watchPredecessor(_ read: GroupMembers, session current: Session) -> [Effect] {
        let valid = read.ranking.valid
        guard valid.count >= 2, let sessionID = current.id, let latest = session else { return [] }
        let (leader, next) = (valid[0], valid[1])
        guard next.ephemeralOwner == sessionID, latest.predecessor != leader.name,
            contenders.values.contains(where: { $0.state.ownNode?.name == next.name })
        else { return [] }
        session?.predecessor = leader.name
        return [
            .watchPredecessor(
                generation: latest.generation, path: path(leader.name), name: leader.name,
                children: latest.childrenWatch)
        ]
    }

    /// The predecessor's deletion, when the last read is otherwise exact: decide on it now, on
    /// the last read's knowledge (`readBasis`), which the lease rule then judges.
    mutating func predecessorGone(_ name: String, exact: Bool) -> [Effect] {
        guard var current = session, current.predecessor == name else { return [] }
        current.predecessor = nil
        session = current
        guard exact, current.connected, current.authenticated, !current.reading, lastRead != nil,
            let basis = readBasis, group.contains(name)
        else { return [] }
        group.drop(name)
        let before = elections.count
        let effects = process(group.read(), basis: basis, added: [])
        if elections.count > before { earlyElections += 1 }
        return effects
    }

    /// Deletes nodes carrying one of this process' contender ids that another session owns:
    /// left by a session this process already gave up on. A member's owner and id never change,
    /// so only the `added` members are checked, unless the session or the contenders changed
    /// (or a delete of a stray failed) since the last check of all of them.
    mutating func deleteStrays(_ read: GroupMembers, added: [String], session current: Session) -> [Effect] {
        guard let sessionID = current.id else { return [] }
        let names: [String]
        if let scope = strayScope, scope.session == sessionID, scope.contends == contends {
            names = added
        } else {
            names = read.ranking.members.map(\.name)
            strayScope = (sessionID, contends)
        }
        let ids = names.compactMap { name in read.ids[name].map { (name, $0) } }
        guard !ids.isEmpty else { return [] }
        let markers = Set(contenders.values.map(\.info.id))
        var effects: [Effect] = []
        for (name, id) in ids where markers.contains(id) && !deletingStrays.contains(name) {
            guard let member = read.ranking.member(named: name), member.ephemeralOwner != sessionID else { continue }
            deletingStrays.insert(name)
            logger.notice("deleting a candidate node left by an earlier session", metadata: ["node": "\(member.name)"])
            effects.append(.delete(generation: current.generation, path: path(member.name), gate: nil))
        }
        return effects
    }

    /// Logs each invalid member and hazard once while it stays.
    mutating func report(_ read: GroupMembers) {
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
}
