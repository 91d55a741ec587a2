import ElectionModel
import Logging

/// The lease and the heartbeat that renews it, and the observer that publishes the view.
extension ElectionDriver {
    /// D: until when a leader may act.
    var leaseUntil: ContinuousClock.Instant? { contact.map { $0 + sessionTimeout * Self.leaseFraction } }

    /// Whether any contender leads (a scan without lookups or copies: it runs on every input).
    var anyLeader: Bool { contenders.values.contains { $0.state.isLeader } }

    /// Whether a contender may be elected now: the session is connected, now < D, and the read
    /// behind the decision was known to hold less than the lease's share of the timeout ago.
    /// Returns the deadline to arm the lease timer with.
    func mayLead() -> (generation: Int, until: ContinuousClock.Instant)? {
        guard let current = session, current.connected, let until = leaseUntil, now < until, let readBasis,
            now - readBasis < sessionTimeout * Self.leaseFraction
        else { return nil }
        return (current.generation, until)
    }

    /// Demotes every leader whose lease has run out. Runs before every input.
    mutating func checkLease() -> [Effect] {
        guard anyLeader else { return [] }
        if let until = leaseUntil, now < until { return [] }
        return lapseLease()
    }

    /// A reply to a request sent at `sentAt`: the contact moves on, and, when the children watch
    /// had not fired by then (`readStillHolds`), so does the knowledge of the last read. A reply
    /// whose lease would already have ended renews nothing. After a lapse, the contenders come
    /// back as on a reconnect (leading again only on a fresh read).
    mutating func renew(sentAt: ContinuousClock.Instant, readStillHolds: Bool) -> [Effect] {
        let until = sentAt + sessionTimeout * Self.leaseFraction
        guard until > now, let current = session else { return [] }
        if readStillHolds, lastRead != nil, let basis = readBasis, sentAt > basis { readBasis = sentAt }
        guard contact.map({ sentAt > $0 }) ?? true else { return [] }
        contact = sentAt
        observe(.contact(sentAt))
        var effects: [Effect] = []
        // A timer only while leading: it turns a lapse into a `demoted` event even when no other
        // input comes.
        if anyLeader {
            effects.append(.leaseTimer(generation: current.generation, at: until))
        }
        if leaseLapsed, current.connected, let id = current.id {
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

    /// Sends a heartbeat and schedules the next: while connected, one every quarter of the
    /// session timeout, each sent without waiting for the last one's reply, so that a slow
    /// reply does not stretch the interval.
    mutating func heartbeat() -> [Effect] {
        guard let current = session, current.connected else { return [] }
        return [
            .heartbeat(generation: current.generation, path: configuration.basePath, children: current.childrenWatch)
        ]
            + scheduleHeartbeat()
    }

    mutating func scheduleHeartbeat() -> [Effect] {
        guard !heartbeatScheduled, let current = session, current.connected else { return [] }
        heartbeatScheduled = true
        return [.heartbeatTimer(generation: current.generation, after: sessionTimeout / 4)]
    }

    /// No reply for most of a session timeout: every leader steps down now, before the server
    /// can expire the session and another contender take over.
    mutating func lapseLease() -> [Effect] {
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
        return effects
    }

    // MARK: Observer

    mutating func observe(_ event: ObserverState.Event) {
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
}
