import Election
import ElectionModel
import Foundation
import HeraldTestSupport
import MesosLayout
import Testing
import ZooKeeper

@Suite("Election on a real 3-server ensemble", .timeLimit(.minutes(3)))
struct ElectionGroupTests {
    @Test("3 contenders and 2 observers agree on one leader and its epoch; abdication moves it to a higher epoch")
    func agreementAndAbdication() async throws {
        let base = try await ElectionHarness.freshBase()
        let contenders = try (0..<3).map { _ in try ElectionHarness.group(base: base, required: 2) }
        let observers = try (0..<2).map { _ in try ElectionHarness.group(base: base, required: 2) }
        let everyone = contenders + observers
        try await ElectionHarness.running(everyone) {
            let ids = contenders.enumerated().map { $0.element.contend(ElectionHarness.info($0.offset)) }
            let first = try await ElectionHarness.agreedLeader(everyone, "the first leader") { _ in true }
            let leaders = zip(contenders, ids).filter { $0.0.leaderEpoch($0.1) != nil }
            try #require(leaders.count == 1, "exactly one contender leads")
            let (leaderGroup, leaderID) = leaders[0]
            #expect(leaderGroup.leaderEpoch(leaderID) == first.epoch)
            #expect(leaderGroup.ownNode(leaderID) == first.node)
            #expect(first.ephemeralOwner == leaderGroup.session?.id)
            // Every candidate is seen by everyone, by sequence.
            let all = try await ElectionHarness.view(of: observers[0], "three candidates") { $0.present == 3 }
            #expect(all.candidates.map(\.sequence) == all.candidates.map(\.sequence).sorted())
            #expect(all.candidates.first?.node == first.node)

            await leaderGroup.abdicate(leaderID)
            #expect(leaderGroup.ownNode(leaderID) == nil, "the node is gone when abdicate returns")
            let others = everyone.filter { $0 !== leaderGroup }
            let second = try await ElectionHarness.agreedLeader(others, "the next leader") { $0.epoch > first.epoch }
            #expect(second.node == all.candidates[1].node, "the next lowest candidate leads")
            let newLeaders = zip(contenders, ids).filter { $0.0.leaderEpoch($0.1) != nil }
            #expect(newLeaders.count == 1)
            #expect(newLeaders.first?.0.leaderEpoch(newLeaders.first!.1) == second.epoch)
            // Leading on the predecessor's deletion event is opportunistic (it needs the watch in
            // place and an exact last read); `predecessorEvent` checks it where that is arranged.
            #expect((newLeaders.first?.0.statistics.earlyElections ?? 0) <= 1)
        }
    }

    @Test("required = 2 with one candidate is no_quorum; a second candidate gets one elected")
    func quorum() async throws {
        let base = try await ElectionHarness.freshBase()
        let first = try ElectionHarness.group(base: base, required: 2)
        let second = try ElectionHarness.group(base: base, required: 2)
        let observer = try ElectionHarness.group(base: base, required: 2)
        let log = EventLog()
        let recorders = [first, second, observer].enumerated().map { log.record($0.element, as: $0.offset) }
        defer { recorders.forEach { $0.cancel() } }
        try await ElectionHarness.running([first, second, observer]) {
            let firstID = first.contend(ElectionHarness.info(1))
            for group in [first, observer] {
                let view = try await ElectionHarness.view(of: group, "no_quorum with one candidate") {
                    $0.state == .noQuorum && $0.present == 1
                }
                #expect(view.leader == nil)
                #expect(view.required == 2)
            }
            #expect(first.leaderEpoch(firstID) == nil, "no leader without a quorum")
            #expect(log.elections().isEmpty)

            let observerEvents = observer.events()
            _ = second.contend(ElectionHarness.info(2))
            let leader = try await ElectionHarness.agreedLeader([first, second, observer], "a leader with quorum")
            #expect(first.leaderEpoch(firstID) == leader.epoch, "the first (lowest) candidate leads")
            let regained = try await within(.seconds(10), "the observer's quorumRegained") {
                for await event in observerEvents {
                    if case .quorumRegained(let present, let required) = event { return (present, required) }
                }
                throw SetupError("the observer stopped")
            }
            #expect(regained == (2, 2), "the observer reported the quorum regained")
        }
    }

    @Test("a json.info_ node written by another client with Mesos' bytes and a lower sequence leads")
    func foreignMesosLeader() async throws {
        let base = try await ElectionHarness.freshBase()
        let mesos = MasterInfo(
            id: "20251126-0000-0000-0000-000000000001", ipv4: "10.1.2.3", port: 5050, hostname: "mesos-master-1",
            version: "1.11.0", capabilities: ["AGENT_UPDATE", "AGENT_DRAINING"])
        try await withClient { client in
            let (path, _) = try await client.create(
                base + "/json.info_", data: mesos.encoded(), mode: .ephemeralSequential)
            let contender = try ElectionHarness.group(base: base, required: 1)
            let observer = try ElectionHarness.group(base: base, required: 1)
            try await ElectionHarness.running([contender, observer]) {
                let id = contender.contend(ElectionHarness.info(1))
                let leader = try await ElectionHarness.agreedLeader([contender, observer], "the Mesos master leads")
                #expect(leader.path == path)
                #expect(leader.info == mesos)
                #expect(leader.info.pidAddress == "10.1.2.3:5050")
                _ = try await ElectionHarness.view(of: observer, "both candidates") { $0.present == 2 }
                #expect(contender.leaderEpoch(id) == nil, "Herald's contender follows the lower Mesos node")
                #expect(contender.ownNode(id) != nil)
            }
        }
    }

    @Test("a node carrying this contender's id but owned by another session (an older one) is deleted on sight")
    func strayOwnNodeDeleted() async throws {
        let base = try await ElectionHarness.freshBase()
        let info = ElectionHarness.info(1)
        try await withClient { raw in
            let (stray, _) = try await raw.create(
                base + "/json.info_", data: info.encoded(), mode: .ephemeralSequential)
            let group = try ElectionHarness.group(base: base, required: 1)
            try await ElectionHarness.running([group]) {
                let id = group.contend(info)
                let leader = try await ElectionHarness.agreedLeader([group], "the contender's own node leads") {
                    $0.path != stray
                }
                #expect(group.ownNode(id) == leader.node)
                #expect(group.leaderEpoch(id) == leader.epoch)
                let left = try await raw.exists(stray)
                #expect(left == nil, "the stray node was deleted")
                #expect(group.view.candidates.map(\.node) == [leader.node], "one node per contender")
            }
        }
    }

    @Test("a malformed json.info_ node is skipped for the decision and reported")
    func malformedMember() async throws {
        let base = try await ElectionHarness.freshBase()
        try await withClient { client in
            let (garbage, _) = try await client.create(
                base + "/json.info_", data: Array(#"{"id":"x","ip":"#.utf8), mode: .ephemeralSequential)
            let (protobuf, _) = try await client.create(
                base + "/info_", data: [0x0a, 0x01], mode: .ephemeralSequential)
            let contender = try ElectionHarness.group(base: base, required: 1)
            let observer = try ElectionHarness.group(base: base, required: 1)
            try await ElectionHarness.running([contender, observer]) {
                let id = contender.contend(ElectionHarness.info(1))
                let leader = try await ElectionHarness.agreedLeader([contender, observer], "Herald's contender leads")
                #expect(contender.leaderEpoch(id) == leader.epoch)
                let view = observer.view
                let invalid = Set(view.invalid.map(\.node))
                let garbageName = String(garbage.split(separator: "/").last!)
                let protobufName = String(protobuf.split(separator: "/").last!)
                #expect(invalid == [garbageName, protobufName])
                #expect(view.invalid.first { $0.node == garbageName }?.reason.contains("JSON") == true)
                #expect(view.hazards.contains { $0.node == garbageName }, "the lowest node would break Mesos")
                #expect(view.candidates.map(\.node) == [leader.node])
            }
        }
    }

    @Test("50 contenders in one process fail over one at a time; only the successor wakes up")
    func fiftyContenders() async throws {
        let base = try await ElectionHarness.freshBase()
        let group = try ElectionHarness.group(base: base, required: 1)
        // A listener that never reads: it must not hold anything up.
        let neverRead = group.events()
        defer { withExtendedLifetime(neverRead) {} }
        try await ElectionHarness.running([group]) {
            var ids: [ContenderID] = []
            for index in 0..<50 {
                ids.append(group.contend(ElectionHarness.info(index)))
                // One at a time, so that sequences follow the contender order.
                _ = try await ElectionHarness.view(of: group, "candidate \(index)") { $0.present == index + 1 }
            }
            _ = try await ElectionHarness.agreedLeader([group], "the first leader")
            var order = ids.sorted { group.ownNode($0)! < group.ownNode($1)! }
            #expect(order == ids)
            var before = group.statistics
            var perFailover: [Int] = []
            while order.count > 1 {
                let leader = order.removeFirst()
                let successor = order[0]
                let events = group.events()
                await group.abdicate(leader)
                // Every contender move until the successor leads: exactly the old leader's
                // demotion, then the successor's election; no other contender wakes up.
                let moves = try await within(.seconds(10), "the successor of \(leader)") {
                    var moves: [ContenderID] = []
                    for await event in events {
                        switch event {
                        case .elected(let id, _, _):
                            moves.append(id)
                            if id == successor { return moves }
                        case .demoted(let id, _):
                            moves.append(id)
                        default:
                            break
                        }
                    }
                    return moves
                }
                #expect(moves == [leader, successor], "events after abdicating \(leader)")
                #expect(ids.filter { group.leaderEpoch($0) != nil } == [successor])
                let now = group.statistics
                perFailover.append(now.requests - before.requests)
                before = now
            }
            // The delete, the exists watch on the next leader's node, the read that re-arms the
            // children watch, and a second read when that watch fired while the previous
            // failover's confirming read was still out (the successor leads before it returns).
            #expect(perFailover.allSatisfy { $0 <= 4 }, "ZooKeeper requests per failover: \(perFailover)")
        }
    }
}

extension ElectionGroupTests {
    @Test("a one-shot read follows the observer's rules: Mesos' node leads, malformed nodes are skipped")
    func oneShotRead() async throws {
        let base = try await ElectionHarness.freshBase()
        let mesos = MasterInfo(
            id: "one-shot", ipv4: "10.9.8.7", port: 5050, hostname: "mesos-a", version: "1.11.0")
        try await withClient { client in
            let missing = try await OneShotReader.view(client: client, basePath: base + "/absent", required: 1)
            #expect(missing.state == .noLeader)
            _ = try await client.create(base + "/json.info_", data: Array("{".utf8), mode: .ephemeralSequential)
            let (path, stat) = try await client.create(
                base + "/json.info_", data: mesos.encoded(), mode: .ephemeralSequential)
            _ = try await client.create(base + "/log_replicas", data: [])
            let view = try await OneShotReader.view(client: client, basePath: base, required: 1)
            #expect(view.state == .elected)
            #expect(view.leader?.path == path)
            #expect(view.leader?.epoch == stat.czxid)
            #expect(view.leader?.info == mesos)
            #expect(view.invalid.count == 1)
            let strict = try await OneShotReader.view(client: client, basePath: base, required: 2)
            #expect(strict.state == .noQuorum)
            #expect(strict.leader == nil)
        }
    }
}

extension ElectionGroupTests {
    @Test("with digest credentials the candidate node is world-readable and all its creator's, as Mesos makes it")
    func credentials() async throws {
        let base = try await ElectionHarness.freshBase()
        let credentials = ZooKeeperConfiguration.DigestCredentials(user: "herald", secret: "s3cret-\(UUID())")
        let zooKeeper = ZooKeeperConfiguration(
            servers: try TestEnsemble.servers, sessionTimeout: .seconds(4), credentials: credentials)
        let group = ElectionGroup(
            configuration: .init(zooKeeper: zooKeeper, basePath: base, required: 1), logger: testLogger)
        try await ElectionHarness.running([group]) {
            let id = group.contend(ElectionHarness.info(1))
            let leader = try await ElectionHarness.agreedLeader([group], "the authenticated contender leads")
            #expect(group.leaderEpoch(id) == leader.epoch)
            try await withClient { stranger in
                let (acl, _) = try await stranger.getACL(leader.path)
                #expect(acl.count == 2)
                #expect(acl.contains(.world(.read)))
                #expect(acl.contains { $0.scheme == "digest" && $0.permissions == .all && $0.id.hasPrefix("herald:") })
                // (Deleting is the parent's ACL's business; writing is the node's.)
                let refused = await #expect(throws: ZooKeeperError.self, "a stranger cannot overwrite it") {
                    try await stranger.set(leader.path, data: Array("{}".utf8))
                }
                #expect(refused?.code == .noAuth)
            }
        }
    }
}

extension ElectionGroupTests {
    @Test("the contender next in line leads on its predecessor's deletion event, before the confirming read")
    func predecessorEvent() async throws {
        let base = try await ElectionHarness.freshBase()
        let first = try ElectionHarness.group(base: base, required: 1)
        let second = try ElectionHarness.group(base: base, required: 1)
        try await ElectionHarness.running([first, second]) {
            let firstID = first.contend(ElectionHarness.info(1))
            _ = try await ElectionHarness.agreedLeader([first], "the first contender leads")
            let secondID = second.contend(ElectionHarness.info(2))
            _ = try await ElectionHarness.view(of: second, "both candidates") {
                $0.present == 2 && $0.state == .elected
            }
            try await Self.handOver(from: first, firstID, to: second, secondID)
            #expect(second.statistics.earlyElections == 1, "elected on the deletion event")
            // The confirming read agrees.
            _ = try await ElectionHarness.view(of: second, "the confirming read") {
                $0.present == 1 && $0.state == .elected
            }
            #expect(second.leaderEpoch(secondID) != nil)
        }
    }

    @Test("two contenders of one process: when the leader abdicates, the other leads on the deletion event")
    func ownPredecessorEvent() async throws {
        let base = try await ElectionHarness.freshBase()
        let group = try ElectionHarness.group(base: base, required: 1)
        try await ElectionHarness.running([group]) {
            let firstID = group.contend(ElectionHarness.info(1))
            _ = try await ElectionHarness.agreedLeader([group], "the first contender leads")
            let secondID = group.contend(ElectionHarness.info(2))
            _ = try await ElectionHarness.view(of: group, "both candidates") { $0.present == 2 && $0.state == .elected }
            try await Self.handOver(from: group, firstID, to: group, secondID)
            #expect(group.statistics.earlyElections == 1, "elected on the deletion event, not on a read")
            #expect(group.leaderEpoch(secondID) != nil)
            #expect(group.leaderEpoch(firstID) == nil)
        }
    }

    /// Once `successor` has its exists watch on the leader's node (set one round trip after the
    /// read that shows both), `leader` abdicates; returns when `successorID` is elected.
    static func handOver(
        from leader: ElectionGroup, _ leaderID: ContenderID, to successor: ElectionGroup, _ successorID: ContenderID
    ) async throws {
        try await within(.seconds(10), "the predecessor watch") {
            while successor.statistics.predecessorWatches < 1 { try await Task.sleep(for: .milliseconds(10)) }
        }
        let events = successor.events()
        await leader.abdicate(leaderID)
        try await within(.seconds(10), "the successor's election") {
            for await event in events {
                if case .elected(successorID, _, _) = event { return }
            }
            throw SetupError("the group stopped")
        }
    }
}
