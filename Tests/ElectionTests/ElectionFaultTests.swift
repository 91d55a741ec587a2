import Election
import ElectionModel
import Foundation
import HeraldTestSupport
import MesosLayout
import Testing
import ZooKeeper

/// Faults on the dedicated fault ensemble: these tests stop its servers, so they run one at a
/// time and never on the shared ensemble.
@Suite("Election under faults", .serialized, .timeLimit(.minutes(3)))
struct ElectionFaultTests {
    @Test("stopping the leader's server: it steps down, reconnects elsewhere, resumes with the same node and epoch")
    func leaderServerStops() async throws {
        try await TestEnsemble.withFaultEnsemble { servers in
            let base = try await ElectionHarness.freshBase(servers: servers)
            let leader = try ElectionHarness.group(
                base: base, required: 1, servers: servers, sessionTimeout: .seconds(8))
            let other = try ElectionHarness.group(
                base: base, required: 1, servers: servers, sessionTimeout: .seconds(8))
            let log = EventLog()
            let recorders = [leader, other].enumerated().map { log.record($0.element, as: $0.offset) }
            defer { recorders.forEach { $0.cancel() } }
            try await ElectionHarness.running([leader, other]) {
                let id = leader.contend(ElectionHarness.info(1))
                let elected = try await ElectionHarness.agreedLeader([leader], "the first leader")
                _ = other.contend(ElectionHarness.info(2))
                _ = try await ElectionHarness.view(of: other, "both candidates") {
                    $0.present == 2 && $0.state == .elected
                }
                let before = try #require(leader.session)
                let server = try #require(TestEnsemble.faultServerID(before.server ?? ""), "server of \(before)")
                let events = leader.events()
                try await TestEnsemble.withServerStopped(server) {
                    let demotion = try await within(.seconds(10), "the leader's demotion") {
                        for await event in events {
                            if case .demoted(id, let reason) = event { return reason }
                        }
                        throw SetupError("no demotion")
                    }
                    #expect(demotion == .disconnected)
                    let resumed = try await within(.seconds(20), "the leader to resume") {
                        for await event in events {
                            if case .elected(id, let node, let epoch) = event { return (node, epoch) }
                        }
                        throw SetupError("no election")
                    }
                    #expect(resumed.0 == elected.node, "the same node")
                    #expect(resumed.1 == elected.epoch, "the same epoch")
                    // Read while the old server is still down (later the client may move again).
                    let after = try #require(leader.session)
                    #expect(after.id == before.id, "the same session")
                    #expect(after.server != before.server, "another server")
                }
                #expect(log.elections().filter { $0.group == 1 }.isEmpty, "the other contender never led")
            }
        }
    }

    @Test("forced expiry of the leader's session: it demotes before anyone else is elected, then re-contends")
    func leaderSessionExpires() async throws {
        try await TestEnsemble.withFaultEnsemble { servers in
            let base = try await ElectionHarness.freshBase(servers: servers)
            let leader = try ElectionHarness.group(base: base, required: 1, servers: servers)
            let other = try ElectionHarness.group(base: base, required: 1, servers: servers)
            let log = EventLog()
            let recorders = [leader, other].enumerated().map { log.record($0.element, as: $0.offset) }
            defer { recorders.forEach { $0.cancel() } }
            try await ElectionHarness.running([leader, other]) {
                let id = leader.contend(ElectionHarness.info(1))
                let first = try await ElectionHarness.agreedLeader([leader], "the first leader")
                let otherID = other.contend(ElectionHarness.info(2))
                _ = try await ElectionHarness.view(of: other, "both candidates") {
                    $0.present == 2 && $0.state == .elected
                }
                let session = try #require(leader.session)
                let mark = log.all.count

                // A second handle on the same server takes the session over, then closes it.
                let thief = ZooKeeperConfiguration(
                    servers: try #require(session.server), sessionTimeout: session.negotiatedTimeout,
                    resume: session.credentials)
                let client = try await ZooKeeperClient.connect(thief, logger: testLogger)
                await client.close()

                let next = try await ElectionHarness.agreedLeader([other], "the other contender leads") {
                    $0.epoch > first.epoch
                }
                #expect(other.leaderEpoch(otherID) == next.epoch)
                @Sendable func moves() -> [String] {
                    log.all.dropFirst(mark).compactMap { entry -> String? in
                        switch entry.event {
                        case .demoted(id, _): return "demoted"
                        case .elected(otherID, _, _): return "elected"
                        default: return nil
                        }
                    }
                }
                // The recorders run on their own tasks: let them catch up with the election seen above.
                try await within(.seconds(5), "the recorder to log the election") {
                    while !moves().contains("elected") { try await Task.sleep(for: .milliseconds(5)) }
                }
                let moves = moves()
                #expect(moves.prefix(2) == ["demoted", "elected"], "the old leader demoted first: \(moves)")
                // The old leader contends again in a new session, with a new node.
                try await ElectionHarness.until(leader, "a new node for the old leader in a new session") {
                    leader.ownNode(id).map { $0 != first.node } == true
                        && leader.session.map { $0.id != session.id } == true
                }
                let renewed = try #require(leader.ownNode(id))
                #expect(renewed > next.node, "the new node comes after the new leader's")
                #expect(leader.leaderEpoch(id) == nil)
                #expect(leader.statistics.sessions >= 2)
            }
        }
    }

    @Test(
        "the whole ensemble down for longer than a session timeout: stale leader, then none, then a new session and node"
    )
    func ensembleDown() async throws {
        try await TestEnsemble.withFaultEnsemble { servers in
            let base = try await ElectionHarness.freshBase(servers: servers)
            let group = try ElectionHarness.group(
                base: base, required: 1, servers: servers, sessionTimeout: .seconds(2))
            try await ElectionHarness.running([group]) {
                let id = group.contend(ElectionHarness.info(1))
                let first = try await ElectionHarness.agreedLeader([group], "the first leader")
                let session = try #require(group.session)
                let events = group.events()
                do {
                    for server in 1...3 { try await TestEnsemble.script("stop-server", "\(server)") }
                    // The Mesos detector rule: the last leader, stale, then none once the timeout passed.
                    let views = try await within(.seconds(15), "the view to give up on the session") {
                        var seen: [ElectionView] = []
                        for await event in events {
                            guard case .viewChanged(let view) = event else { continue }
                            seen.append(view)
                            if view.connection.state == .expired { return seen }
                        }
                        throw SetupError("the group stopped")
                    }
                    let stale = views.first { $0.state == .disconnected && $0.stale }
                    #expect(stale?.leader?.node == first.node, "the last leader is kept, flagged stale")
                    #expect(views.last?.leader == nil, "no leader after a session timeout")
                    #expect(group.leaderEpoch(id) == nil, "demoted while disconnected")
                } catch {
                    try? await Self.startAll()
                    throw error
                }
                try await Self.startAll()
                // The servers restore the old session (its node included); the group has moved on to a
                // new session, whose node must lead once the old node is gone (deleted as a stray).
                let next = try await ElectionHarness.agreedLeader(
                    [group], within: .seconds(40), "a leader in a new session"
                ) {
                    $0.epoch > first.epoch
                }
                #expect(group.leaderEpoch(id) == next.epoch)
                #expect(next.node != first.node)
                #expect(group.session.map { $0.id != session.id } == true, "a new session")
                #expect(group.view.candidates.map(\.node) == [next.node], "the old node is gone")
            }
        }
    }

    /// Starts every fault-ensemble server (none can serve alone), then waits for them.
    static func startAll() async throws {
        for server in 1...3 { try await TestEnsemble.script("start-server", "--no-wait", "\(server)") }
        try await TestEnsemble.script("wait")
    }
}
