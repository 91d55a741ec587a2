import ElectionModel
import Testing
import ZooKeeper

@testable import Election

/// The driver with a manual clock, one test per order of events around the lease (DESIGN.md
/// "One lease clock"); each asserts what is emitted and what would be published.
@Suite("Election driver: the lease")
struct ElectionDriverTests {
    typealias H = DriverHarness

    @Test("elected on a fresh read, with the lease timer armed at D")
    func electedArmsTheLease() {
        var h = H()
        _ = h.driver.start(now: h.now)
        h.send(.contend(H.me, H.myInfo))
        h.send(.sessionOpened(generation: 1))
        h.send(.session(.connected(H.session()), generation: 1))
        h.send(.created(H.me, generation: 1, name: H.name(2), stat: Stat(czxid: 102, ephemeralOwner: H.ownSession)))
        let sentAt = h.now
        h.advance(.milliseconds(10))
        let effects = h.send(.readDone(generation: 1, H.result(H.mineOnly, sentAt: sentAt)))
        #expect(h.decisions == ["elected \(H.name(2))"])
        #expect(effects.leaseTimer() == sentAt + H.lease)
        #expect(h.driver.leaseUntil == sentAt + H.lease)
        #expect(h.driver.observer.view.contact == sentAt)
    }

    @Test("resume with a buffered deletion before CONNECTING: no election on the stale view")
    func bufferedDeletionAfterFreeze() {
        var h = H()
        h.setUp(H.both)
        #expect(h.decisions.isEmpty)
        h.heartbeat()
        // Frozen past the session timeout; the leader abdicated meanwhile. On resume the
        // predecessor's deletion is handled first, before any session event.
        h.advance(H.timeout * 2)
        let effects = h.send(.predecessorGone(generation: 1, name: H.name(1), exact: true))
        #expect(h.decisions.isEmpty)
        #expect(h.driver.staleElections == 1)
        #expect(h.driver.leaders.isEmpty)
        #expect(effects.names.contains("read"))
        // Then the C client finds the connection dead and the session expired.
        h.send(.session(.connecting, generation: 1))
        let ended = h.send(.session(.expired, generation: 1))
        #expect(ended.names.contains("close") && ended.names.contains("openSession"))
        #expect(h.decisions.isEmpty)
    }

    @Test("the same deletion while the heartbeat keeps the read fresh: elected at once")
    func freshDeletionElects() {
        var h = H()
        h.setUp(H.both)
        h.advance(H.timeout)
        // Heartbeats answered with the children watch intact keep the last read current.
        h.heartbeat()
        h.advance(.milliseconds(100))
        let effects = h.send(.predecessorGone(generation: 1, name: H.name(1), exact: true))
        #expect(h.decisions == ["elected \(H.name(2))"])
        #expect(effects.leaseTimer() != nil)
        #expect(h.driver.earlyElections == 1)
    }

    @Test("resume with CONNECTING first: the leader is demoted for its lease before the disconnect")
    func connectingAfterFreeze() {
        var h = H()
        h.setUp(H.mineOnly)
        #expect(h.decisions == ["elected \(H.name(2))"])
        h.advance(H.timeout * 3)
        h.send(.session(.connecting, generation: 1))
        #expect(h.decisions == ["elected \(H.name(2))", "demoted leaseExpired"])
        #expect(h.driver.leaders.isEmpty)
        // A reconnect with a fresh read afterwards may lead again (the session survived).
        h.send(.session(.connected(H.session()), generation: 1))
        h.send(.readDone(generation: 1, H.result(H.mineOnly, sentAt: h.now)))
        #expect(h.decisions.last == "elected \(H.name(2))")
    }

    @Test("a read sent before D but answered after D renews nothing and elects no one")
    func readAnsweredAfterTheLease() {
        var h = H()
        h.setUp(H.mineOnly)
        let contact = h.now
        h.advance(.milliseconds(500))
        let sentAt = h.now
        h.advance(H.lease)  // now past both D and sentAt + the lease
        h.send(.readDone(generation: 1, H.result(H.mineOnly, sentAt: sentAt)))
        #expect(h.decisions == ["elected \(H.name(2))", "demoted leaseExpired"])
        #expect(h.driver.leaseUntil == contact + H.lease)
    }

    @Test("a candidate's read answered late (> 80 % of the timeout after it was sent) is not acted on")
    func lateReadDoesNotElect() {
        var h = H()
        h.setUp(H.both)
        h.heartbeat()
        let sentAt = h.now
        h.advance(H.lease + .milliseconds(1))
        h.heartbeat()  // the lease itself is renewed
        let effects = h.send(.readDone(generation: 1, H.result(H.mineOnly, sentAt: sentAt)))
        #expect(h.decisions.isEmpty)
        #expect(effects.names.contains("read"))
        // The next read, fresh, elects.
        h.send(.readDone(generation: 1, H.result(H.mineOnly, sentAt: h.now)))
        #expect(h.decisions == ["elected \(H.name(2))"])
    }

    @Test("a heartbeat that fails, then reconnection within the timeout")
    func failedHeartbeatThenReconnect() {
        var h = H()
        h.setUp(H.mineOnly)
        var effects = h.send(.heartbeatDue(generation: 1))
        #expect(effects.names == ["heartbeat", "heartbeatTimer"])
        h.send(.heartbeatFailed(generation: 1))
        h.advance(H.timeout / 4)
        effects = h.send(.heartbeatDue(generation: 1))
        #expect(effects.names == ["heartbeat", "heartbeatTimer"], "heartbeats go on after a failure")
        h.send(.session(.connecting, generation: 1))
        #expect(h.decisions.last == "demoted disconnected")
        h.advance(.milliseconds(300))
        effects = h.send(.session(.connected(H.session()), generation: 1))
        #expect(effects.names.contains("read"))
        #expect(h.decisions.last == "demoted disconnected", "no leading again before a fresh read")
        effects = h.send(.readDone(generation: 1, H.result(H.mineOnly, sentAt: h.now)))
        #expect(h.decisions.last == "elected \(H.name(2))")
        #expect(effects.leaseTimer() == h.now + H.lease)
    }

    @Test("the lease lapsing with no other input: the lease timer alone demotes")
    func leaseTimerDemotes() {
        var h = H()
        let effects: [Effect] = {
            h.setUp(H.mineOnly)
            return []
        }()
        #expect(effects.isEmpty)
        h.advance(H.lease - .milliseconds(1))
        h.send(.leaseCheck(generation: 1))
        #expect(h.decisions == ["elected \(H.name(2))"])
        h.advance(.milliseconds(1))
        h.send(.leaseCheck(generation: 1))
        #expect(h.decisions == ["elected \(H.name(2))", "demoted leaseExpired"])
        // A heartbeat sent after the lapse renews and brings the contender back on a fresh read.
        let renewed = h.send(.heartbeatDone(generation: 1, sentAt: h.now, childrenIntact: true))
        #expect(renewed.names.contains("read"))
        h.send(.readDone(generation: 1, H.result(H.mineOnly, sentAt: h.now)))
        #expect(h.decisions.last == "elected \(H.name(2))")
    }

    @Test("a reconnect to another server within the timeout: leading again only on a fresh read")
    func reconnectToAnotherServer() {
        var h = H()
        h.setUp(H.mineOnly)
        h.send(.session(.connecting, generation: 1))
        h.advance(.milliseconds(800))
        h.send(.session(.connected(H.session(server: "zk2:2181")), generation: 1))
        #expect(h.decisions == ["elected \(H.name(2))", "demoted disconnected"])
        #expect(h.driver.observer.view.connection.server == "zk2:2181")
        h.send(.readDone(generation: 1, H.result(H.mineOnly, sentAt: h.now)))
        #expect(h.decisions == ["elected \(H.name(2))", "demoted disconnected", "elected \(H.name(2))"])
    }

    @Test("expiry during an abdication: demoted once, the waiter answered, a new session")
    func expiryDuringAbdication() async {
        var h = H()
        h.setUp(H.mineOnly)
        await withCheckedContinuation { waiter in
            let abdicating = h.send(.abdicate(H.me, waiter, gate: nil))
            #expect(abdicating.names == ["delete"])
            #expect(h.decisions == ["elected \(H.name(2))", "demoted abdicated"])
            let ended = h.send(.session(.expired, generation: 1))
            #expect(ended.names.contains("close") && ended.names.contains("openSession"))
            for effect in ended { if case .resume(let continuation) = effect { continuation.resume() } }
        }
        #expect(h.decisions == ["elected \(H.name(2))", "demoted abdicated"])
        #expect(h.driver.contenders.isEmpty)
    }

    @Test("a leader's abdication gate rides on its node's delete; a candidate's delete has none")
    func abdicationGate() async {
        var h = H()
        h.setUp(H.mineOnly)
        await withCheckedContinuation { waiter in
            let effects = h.send(.abdicate(H.me, waiter, gate: {}))
            #expect(h.decisions == ["elected \(H.name(2))", "demoted abdicated"], "demoted before the gate")
            let gates = effects.compactMap { effect -> Bool? in
                if case .delete(_, _, let gate) = effect { return gate != nil }
                return nil
            }
            #expect(gates == [true], "the leader's delete waits for the gate")
            let ended = h.send(.session(.expired, generation: 1))
            for effect in ended { if case .resume(let continuation) = effect { continuation.resume() } }
        }
        var candidate = H()
        candidate.setUp(H.both)
        await withCheckedContinuation { waiter in
            let effects = candidate.send(.abdicate(H.me, waiter, gate: {}))
            let gates = effects.compactMap { effect -> Bool? in
                if case .delete(_, _, let gate) = effect { return gate != nil }
                return nil
            }
            #expect(gates == [false], "a candidate's node goes at once")
            let ended = candidate.send(.session(.expired, generation: 1))
            for effect in ended { if case .resume(let continuation) = effect { continuation.resume() } }
        }
    }

    @Test("session events that come before the open effect reports back are kept, in order")
    func earlySessionEvents() {
        var h = H()
        _ = h.driver.start(now: h.now)
        h.send(.session(.connected(H.session()), generation: 1))
        #expect(h.driver.sessionInfo == nil)
        let effects = h.send(.sessionOpened(generation: 1))
        #expect(h.driver.sessionInfo?.id == H.ownSession)
        #expect(effects.names.contains("read"))
    }
}
