import DNS
import Discovery
import NIOConcurrencyHelpers
import Testing

@testable import HeraldService

/// The zone the responder answers from, as a function of the published snapshot.
@Suite("DNS answers from the snapshot")
struct DNSAnswersTests {
    static let names = DNSNames()

    static func snapshot(leader: Bool = true, stale: Bool = false, revision: UInt64 = 5) -> Snapshot {
        func member(_ index: Int) -> Snapshot.Member {
            Snapshot.Member(
                id: "m\(index)", hostname: "m\(index)", ip: "10.0.0.\(index)", port: 5050, pid: nil,
                node: "/mesos/json.info_\(index)", sequence: Int32(index), epoch: Int64(index))
        }
        let candidates = [member(1), member(2)]
        let followers = [SnapshotInput.Follower(hostname: "f1", ip: "10.0.1.1", port: 5051)]
        let zooKeeper = [Snapshot.Endpoint(ip: "10.0.2.1", port: 2181)]
        return Snapshot(
            revision: revision, cluster: "mantl", state: leader ? .elected : .noLeader,
            leader: leader ? candidates[0] : nil, stale: stale, candidates: candidates,
            quorum: .init(required: 2, present: 2),
            zookeeper: .init(state: "connected", server: nil, sessionTimeoutMs: 10000),
            dns: DNSMappings.records(
                leader: leader ? candidates[0] : nil, candidates: candidates, followers: followers,
                zooKeeperHosts: zooKeeper, names: names),
            publisher: .init(mode: .follower, role: .observer, hostname: "f1"))
    }

    @Test("each name of the snapshot's dns map, in the A and SRV forms Consul answers, with the TTL given")
    func names() throws {
        let zone = DNSAnswers.zone(of: Self.snapshot(), names: Self.names, ttl: 5)
        #expect(zone.ttl == 5 && zone.serial == 5 && zone.domain == "consul")
        let leader = try #require(zone.records["leader.mesos.service.consul"])
        #expect(!leader.failing && leader.addresses == [DNSZone.Address("10.0.0.1")!])
        #expect(leader.services == [DNSZone.Service(port: 5050, target: "0a000001.addr.mesos.service.consul")])
        #expect(zone.records["_mesos._leader.service.consul"]?.services.count == 1)
        #expect(zone.records["_mesos._leader.service.consul"]?.addresses.isEmpty == true)
        #expect(zone.records["master.mesos.service.consul"]?.addresses.count == 2)
        #expect(zone.records["_mesos._master.service.consul"]?.services.count == 2)
        #expect(zone.records["follower.mesos.service.consul"]?.services.map(\.port) == [5051])
        #expect(zone.records["mesos.service.consul"]?.addresses.count == 3)
        #expect(zone.records["_mesos._tcp.service.consul"]?.services.count == 3)
        #expect(zone.records["zookeeper.service.consul"]?.addresses == [DNSZone.Address("10.0.2.1")!])
        #expect(zone.records["_zookeeper._tcp.service.consul"]?.services.map(\.port) == [2181])
        #expect(zone.records["0a000101.addr.mesos.service.consul"]?.addresses == [DNSZone.Address("10.0.1.1")!])
    }

    @Test("no leader, or a stale one: the leader names fail (SERVFAIL), the others still answer")
    func failing() {
        for snapshot in [Self.snapshot(leader: false), Self.snapshot(stale: true), nil] {
            let zone = DNSAnswers.zone(of: snapshot, names: Self.names, ttl: 0)
            #expect(zone.records["leader.mesos.service.consul"]?.failing == true)
            #expect(zone.records["_mesos._leader.service.consul"]?.failing == true)
            #expect(zone.records["master.mesos.service.consul"]?.failing == false)
        }
    }

    @Test("the zone follows the source from the next call on, and is built once per revision")
    func follows() {
        let answers = DNSAnswers(names: Self.names)
        #expect(answers.zone().records["leader.mesos.service.consul"]?.failing == true, "nothing attached yet")
        let current = SharedValue(Self.snapshot(revision: 1))
        answers.attach(.init(revision: { current.value.revision }, snapshot: { current.value }))
        #expect(answers.zone().serial == 1)
        current.value = Self.snapshot(leader: false, revision: 2)
        let zone = answers.zone()
        #expect(zone.serial == 2 && zone.records["leader.mesos.service.consul"]?.failing == true)
    }
}

/// A value shared with a `@Sendable` source closure.
final class SharedValue<Value: Sendable>: Sendable {
    private let stored: NIOLockedValueBox<Value>
    init(_ value: Value) { stored = NIOLockedValueBox(value) }
    var value: Value {
        get { stored.withLockedValue { $0 } }
        set { stored.withLockedValue { $0 = newValue } }
    }
}
