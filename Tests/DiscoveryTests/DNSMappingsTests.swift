import ElectionModel
import MesosLayout
import Testing

@testable import Discovery

/// The Consul-style names of DESIGN.md, as a pure function of the election.
@Suite("DNS mappings")
struct DNSMappingsTests {
    func dns(_ input: SnapshotInput) -> [String: [Snapshot.Endpoint]] {
        Snapshot(input: input, revision: 1).dns
    }

    func endpoint(_ ip: String, _ port: Int) -> Snapshot.Endpoint { Snapshot.Endpoint(ip: ip, port: port) }

    @Test("the leader, every candidate by sequence, followers, the ensemble and the SRV name")
    func allNames() {
        let records = dns(Fixtures.input(Fixtures.view(leader: 2, candidates: [3, 2, 5]), followers: 2))
        #expect(records["leader.mesos.service.consul"] == [endpoint("10.0.0.2", 5050)])
        #expect(
            records["master.mesos.service.consul"]
                == [endpoint("10.0.0.2", 5050), endpoint("10.0.0.3", 5050), endpoint("10.0.0.5", 5050)])
        #expect(records["follower.mesos.service.consul"] == [endpoint("10.0.1.1", 5051), endpoint("10.0.1.2", 5051)])
        #expect(records["zookeeper.service.consul"]?.count == 3)
        #expect(records["_mesos._leader.service.consul"] == [endpoint("10.0.0.2", 5050)])
        #expect(records.count == 5)
    }

    @Test("no leader: the leader names are present and empty; candidates still map")
    func noLeader() {
        let records = dns(Fixtures.input(Fixtures.view(leader: nil, state: .noQuorum)))
        #expect(records["leader.mesos.service.consul"] == [])
        #expect(records["_mesos._leader.service.consul"] == [])
        #expect(records["master.mesos.service.consul"]?.count == 3)
    }

    @Test("a stale leader still maps: it is the last known one")
    func staleLeader() {
        let records = dns(Fixtures.input(Fixtures.view(state: .disconnected, stale: true)))
        #expect(records["leader.mesos.service.consul"] == [endpoint("10.0.0.1", 5050)])
    }

    @Test("domain and service are configurable, lower-cased, without a trailing dot")
    func customNames() {
        let names = DNSNames(domain: "Example.ORG.", service: "prod")
        #expect(
            names.all == [
                "leader.prod.service.example.org", "master.prod.service.example.org",
                "follower.prod.service.example.org", "zookeeper.service.example.org",
                "_prod._leader.service.example.org",
            ])
        let records = dns(Fixtures.input(names: names))
        #expect(Set(records.keys) == Set(names.all))
    }

    @Test("duplicate answers collapse, first occurrence kept")
    func duplicates() {
        let leader = Snapshot.Member(candidate: Fixtures.candidate(1))
        let records = DNSMappings.records(
            leader: leader, candidates: [leader, leader], followers: [], zooKeeperHosts: [], names: DNSNames())
        #expect(records["master.mesos.service.consul"] == [endpoint("10.0.0.1", 5050)])
        #expect(records["follower.mesos.service.consul"] == [])
    }

    @Test("a member's address comes from its pid when it has one")
    func pidAddress() {
        var candidate = Fixtures.candidate(1)
        candidate.info.pid = "master@10.9.9.9:6060"
        let member = Snapshot.Member(candidate: candidate)
        #expect(member.hostPort == "10.9.9.9:6060")
        candidate.info.pid = nil
        #expect(Snapshot.Member(candidate: candidate).hostPort == "10.0.0.1:5050")
    }
}
