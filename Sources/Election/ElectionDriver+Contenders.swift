import ElectionModel
import Logging
import MesosLayout
import ZooKeeper

/// This process' contenders: their nodes, and the actions their state machines ask for.
extension ElectionDriver {
    mutating func contend(_ id: ContenderID, _ info: MasterInfo) -> [Effect] {
        contends += 1
        addContender(
            id,
            Contender(
                id: id, changes: changes, state: ContenderState(required: configuration.required), info: info,
                data: info.encoded()))
        var effects: [Effect] = []
        if let session, session.connected, session.authenticated, let sessionID = session.id {
            _ = contenders[id]!.state.handle(.session(.connected(id: sessionID)))
            if let lastRead { _ = contenders[id]!.state.handle(.ranking(lastRead.ranking)) }
        }
        for action in contenders[id]!.state.handle(.start) { effects += apply(action, for: id) }
        return effects
    }

    mutating func abdicate(
        _ id: ContenderID, _ waiter: CheckedContinuation<Void, Never>, gate: ElectionGroup.AbdicationGate? = nil
    ) -> [Effect] {
        guard contenders[id] != nil else { return [.resume(waiter)] }
        // Only a leader's delete waits: a candidate's node going changes no one's leadership.
        if contenders[id]!.state.isLeader { contenders[id]!.deleteGate = gate }
        var effects: [Effect] = []
        for action in contenders[id]!.state.handle(.abdicate) { effects += apply(action, for: id) }
        if contenders[id]!.deleting != nil || contenders[id]!.creating == generation {
            contenders[id]!.waiters.append(waiter)
        } else {
            dropContender(id)
            effects.append(.resume(waiter))
        }
        return effects
    }

    mutating func apply(_ action: ContenderState.Action, for id: ContenderID) -> [Effect] {
        switch action {
        case .createCandidate:
            return startCreate(id)
        case .delete(let name):
            guard let current = session else { return [] }
            contenders[id]?.deleting = name
            return [.delete(generation: current.generation, path: path(name), gate: contenders[id]?.deleteGate)]
        case .elected(let epoch):
            guard let contender = contenders[id], case .leader(let own, _) = contender.state.phase else { return [] }
            guard let lease = mayLead() else {
                // The knowledge behind this decision is too old to act on (a process resumed
                // after a freeze, on events buffered meanwhile): no leader, and a fresh read.
                contender.state.phase = .candidate(own)
                staleElections += 1
                logger.notice(
                    "not leading on a stale view: reading the group again",
                    metadata: ["contender": "\(id.value)", "node": "\(own.name)"])
                return requestRead()
            }
            logger.notice(
                "elected", metadata: ["contender": "\(id.value)", "node": "\(own.name)", "epoch": "\(epoch)"])
            elections.append(.elected(id, node: own.name, epoch: epoch))
            return [.leaseTimer(generation: lease.generation, at: lease.until)]
        case .demoted(let reason):
            logger.notice("demoted", metadata: ["contender": "\(id.value)", "reason": "\(reason)"])
            demotions.append(.demoted(id, reason: reason))
            return []
        }
    }

    mutating func startCreate(_ id: ContenderID) -> [Effect] {
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
        return [.create(id, generation: current.generation, request)]
    }

    mutating func created(_ id: ContenderID, generation: Int, name: String, stat: Stat) -> [Effect] {
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

    mutating func createFailed(_ id: ContenderID, generation: Int, error: ZooKeeperError) -> [Effect] {
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
    mutating func settleIdle(_ id: ContenderID) -> [Effect] {
        guard let contender = contenders[id], case .idle = contender.state.phase, contender.deleting == nil,
            contender.creating == nil
        else { return [] }
        dropContender(id)
        return contender.waiters.map(Effect.resume)
    }

    mutating func deleted(_ path: String, generation: Int, error: ZooKeeperError?) -> [Effect] {
        let name = String(path.split(separator: "/").last ?? "")
        if deletingStrays.remove(name) != nil {
            // Not deleted: check every member again on the next read.
            if let error, error.code != .noNode { strayScope = nil }
            return []
        }
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
        if case .idle = contenders[id]!.state.phase { dropContender(id) }
        // No read here: the children watch reports the deletion.
        return waiters.map(Effect.resume)
    }
}
