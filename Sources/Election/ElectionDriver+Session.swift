import ElectionModel
import Logging
import ZooKeeper

/// Sessions: opened as effects, their events in the C client's order, ended on expiry.
extension ElectionDriver {
    /// Starts the next generation: the client is made by the open effect, off the loop.
    mutating func openSession(after delay: Duration) -> [Effect] {
        generation += 1
        session = Session(generation: generation, authenticated: configuration.zooKeeper.credentials == nil)
        return [.openSession(generation: generation, after: delay)]
    }

    /// The client exists: replay the session events that came before this report.
    mutating func sessionOpened() -> [Effect] {
        guard var current = session, !current.opened else { return [] }
        current.opened = true
        let early = current.early
        current.early = []
        session = current
        var effects: [Effect] = []
        for event in early where session?.generation == current.generation {
            effects += sessionEvent(event)
        }
        return effects
    }

    mutating func sessionEvent(_ event: SessionEvent) -> [Effect] {
        guard var current = session else { return [] }
        switch event {
        case .connected(let info):
            let firstConnection = current.id == nil
            current.info = info
            current.connected = true
            current.disconnects += 1
            session = current
            sessionFailures = 0
            observe(.connected(server: info.server, sessionTimeout: info.negotiatedTimeout, sessionID: info.id))
            if firstConnection, !current.authenticated, let credentials = configuration.zooKeeper.credentials {
                return [.authenticate(generation: current.generation, credential: credentials.authData)]
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
            effects.append(
                .sessionTimer(sessionTimeout, generation: current.generation, disconnect: current.disconnects))
            return effects
        case .expired, .authFailed:
            let sessionName = Self.hex(current.id)
            if event == .authFailed {
                logger.error("ZooKeeper authentication failed for the session")
            } else {
                logger.warning("ZooKeeper session expired", metadata: ["session": "\(sessionName)"])
            }
            return endSession()
        case .closed:
            return []
        }
    }

    /// The session is connected and authenticated: contenders may act, the group is read, the
    /// heartbeat runs.
    mutating func usable() -> [Effect] {
        guard let current = session, current.connected, current.authenticated, let sessionID = current.id else {
            return []
        }
        var effects: [Effect] = []
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.session(.connected(id: sessionID))) {
                effects += apply(action, for: id)
            }
            if let node = contenders[id]!.deleting {
                effects.append(
                    .delete(generation: current.generation, path: path(node), gate: contenders[id]!.deleteGate))
            }
        }
        return effects + requestRead() + scheduleHeartbeat()
    }

    /// The session is over (expired, refused, or silent for a session timeout): close it,
    /// void everything tied to it, open a new one.
    mutating func endSession() -> [Effect] {
        guard let current = session else { return [] }
        observe(.expired)
        var effects: [Effect] = [.close(generation: current.generation)]
        for id in contenders.keys.sorted() {
            for action in contenders[id]!.state.handle(.session(.expired)) { effects += apply(action, for: id) }
            if contenders[id]!.deleting != nil {
                // The node goes with the session.
                contenders[id]!.deleting = nil
                effects += contenders[id]!.waiters.map(Effect.resume)
                contenders[id]!.waiters = []
                if case .idle = contenders[id]!.state.phase { dropContender(id) }
            }
        }
        session = nil
        lastRead = nil
        readBasis = nil
        deletingStrays = []
        contact = nil
        leaseLapsed = false
        heartbeatScheduled = false
        return effects + openSession(after: nextDelay(&sessionFailures))
    }

    /// A session id as the logs show it (`none` before the first connection).
    static func hex(_ id: Int64?) -> String {
        guard let id else { return "none" }
        return hex(id)
    }

    /// The negotiated timeout of the current session, else the configured one.
    var sessionTimeout: Duration {
        session?.info?.negotiatedTimeout ?? configuration.zooKeeper.sessionTimeout
    }
}
