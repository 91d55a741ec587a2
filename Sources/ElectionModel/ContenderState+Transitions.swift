extension ContenderState {
    /// Applies one event; returns what the driver must do, in order.
    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .start:
            guard phase == .idle else { return [] }
            return joinIfConnected()
        case .session(let new):
            return sessionChanged(to: new)
        case .ranking(let read):
            // Only a ranking read on the current connection counts.
            guard case .connected = session else { return [] }
            ranking = read
            return evaluate()
        case .created(let own):
            return adopt(own)
        case .createFailed:
            guard phase == .joining else { return [] }
            if case .connected = session { return [.createCandidate] }
            phase = .waitingForSession
            return []
        case .abdicate:
            return abdicate()
        }
    }

    /// The node this contender holds, if any.
    public var ownNode: OwnNode? {
        switch phase {
        case .candidate(let own), .leader(let own, _), .suspended(let own): return own
        default: return nil
        }
    }

    public var isLeader: Bool {
        if case .leader = phase { return true }
        return false
    }

    /// The result of a create: adopted when it belongs to the current session.
    private mutating func adopt(_ own: OwnNode) -> [Action] {
        switch phase {
        case .idle:
            // Abdicated while the create was in flight: the node must not stay.
            return [.delete(own.name)]
        case .joining:
            switch session {
            case .connected(let id) where own.session == id:
                phase = .candidate(own)
                return evaluate()
            case .disconnected, .readOnly:
                // The session may survive the disconnect: keep the node, decide after reconnecting.
                phase = .suspended(own)
                return []
            case .connected:
                // Made by a session that is gone: it vanishes with it.
                return [.createCandidate]
            case .expired:
                phase = .expired
                return []
            }
        default:
            return []
        }
    }

    private mutating func joinIfConnected() -> [Action] {
        if case .connected = session {
            phase = .joining
            return [.createCandidate]
        }
        phase = .waitingForSession
        return []
    }

    private mutating func sessionChanged(to new: Session) -> [Action] {
        session = new
        switch new {
        case .connected(let id):
            switch phase {
            case .idle, .joining:
                return []
            case .waitingForSession, .expired:
                phase = .joining
                return [.createCandidate]
            case .suspended(let own):
                guard own.session == id else {
                    phase = .joining
                    return [.createCandidate]
                }
                // Resume only on a fresh ranking (the driver reads the group after reconnecting).
                phase = .candidate(own)
                return []
            case .candidate, .leader:
                return evaluate()
            }
        case .readOnly, .disconnected:
            ranking = nil
            let reason: Reason = new == .disconnected ? .disconnected : .readOnly
            switch phase {
            case .leader(let own, _):
                phase = .suspended(own)
                return [.demoted(reason)]
            case .candidate(let own):
                phase = .suspended(own)
                return []
            default:
                return []
            }
        case .expired:
            ranking = nil
            switch phase {
            case .idle:
                return []
            case .leader:
                phase = .expired
                return [.demoted(.sessionExpired)]
            default:
                phase = .expired
                return []
            }
        }
    }

    private mutating func evaluate() -> [Action] {
        guard case .connected(let id) = session, let ranking else { return [] }
        let own: OwnNode
        let leading: Bool
        switch phase {
        case .candidate(let node):
            own = node
            leading = false
        case .leader(let node, _):
            own = node
            leading = true
        default:
            return []
        }
        // A listing older than the own node's create cannot show it: wait for a newer one.
        guard ranking.pzxid >= own.czxid else { return [] }
        guard own.session == id, let mine = ranking.member(named: own.name), mine.ephemeralOwner == id else {
            // The node is gone (or is not this session's): contend again with a new one.
            phase = .joining
            return (leading ? [.demoted(.nodeLost)] : []) + [.createCandidate]
        }
        let lowest = ranking.lowestValid?.name == own.name
        let quorum = ranking.present >= required
        if lowest && quorum {
            guard !leading else { return [] }
            phase = .leader(own, epoch: mine.czxid)
            return [.elected(epoch: mine.czxid)]
        }
        guard leading else { return [] }
        phase = .candidate(own)
        return [.demoted(lowest ? .noQuorum : .notLowest)]
    }

    /// Stop leading at once (listeners hear `demoted` before the node goes), then delete the own
    /// node: the successor wakes a round trip later, and two leaders never overlap. The caller of
    /// `abdicate` is answered once the delete is done.
    private mutating func abdicate() -> [Action] {
        let previous = phase
        phase = .idle
        switch previous {
        case .leader(let own, _): return [.demoted(.abdicated), .delete(own.name)]
        case .candidate(let own), .suspended(let own): return [.delete(own.name)]
        default: return []
        }
    }
}
