import Election
import ElectionModel
import Foundation
import HeraldTestSupport
import MesosLayout
import Testing
import ZooKeeper

/// A candidate node whose create reply never arrives, on a real server: the connection is cut
/// by a proxy after the server applied the create and before its reply reached the client.
@Suite("Candidate creation across a lost reply", .timeLimit(.minutes(2)))
struct ElectionLostReplyTests {
    @Test("a create applied but unanswered is found again by its marker: one node, owned by the session, which leads")
    func lostCreateReply() async throws {
        let server = String(try TestEnsemble.servers.split(separator: ",")[0])
        let proxy = try ZooKeeperProxy(server: server)
        defer { proxy.close() }
        let base = try await ElectionHarness.freshBase()
        proxy.loseNextReply(toOpcodes: ZooKeeperProxy.createOpcodes)
        let group = try ElectionHarness.group(
            base: base, required: 1, servers: proxy.address, sessionTimeout: .seconds(8))
        let info = ElectionHarness.info(1)
        try await ElectionHarness.running([group]) {
            let id = group.contend(info)
            let leader = try await ElectionHarness.agreedLeader([group], "the contender to lead after the lost reply")
            #expect(proxy.lostPaths == ["\(base)/json.info_"], "the lost reply was the candidate's create")
            let session = try #require(group.session)
            #expect(group.statistics.sessions == 1, "the same session throughout, not the expiry path")

            let mine = try await withClient { client in
                var mine: [(name: String, stat: Stat)] = []
                for name in try await client.children(base).children {
                    let (data, stat) = try await client.get("\(base)/\(name)")
                    if (try? MasterInfo.decode(data))?.id == info.id { mine.append((name, stat)) }
                }
                return mine
            }
            #expect(mine.map(\.name) == [leader.node], "exactly one candidate node, the leader's")
            #expect(mine.first?.stat.ephemeralOwner == session.id)
            #expect(group.leaderEpoch(id) == mine.first?.stat.czxid)
            #expect(group.ownNode(id) == leader.node)
        }
    }
}
