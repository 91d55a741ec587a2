import Testing

@testable import DNS
@testable import HeraldConfig

/// `mesos_zk_hosts` / `mesos_zk_dns` into the `ip:port` list the ZooKeeper client gets.
@Suite("DNS ZooKeeper host list", .timeLimit(.minutes(1)))
struct DNSHostListTests {
    @Test("without mesos_zk_hosts, every A record of mesos_zk_dns at mesos_zk_port")
    func fromDNSName() async throws {
        try await withDnsmasq(["zookeeper.herald.test": ["127.0.3.3", "127.0.3.1", "127.0.3.20"]]) { dnsmasq in
            for hosts in [nil, [String]()] {
                let list = ZooKeeperHostList(
                    hosts: hosts, dnsName: "zookeeper.herald.test", port: 2190, resolver: try dnsmasq.resolver())
                #expect(try await list.resolve() == ["127.0.3.1:2190", "127.0.3.3:2190", "127.0.3.20:2190"])
                #expect(try await list.connectString() == "127.0.3.1:2190,127.0.3.3:2190,127.0.3.20:2190")
            }
        }
    }

    @Test("mesos_zk_hosts: literals kept (IPv6 unbracketed for the C client), names resolved, sorted, unique")
    func fromHosts() async throws {
        try await withDnsmasq(["zk.herald.test": ["127.0.3.2", "127.0.3.1"]]) { dnsmasq in
            let list = ZooKeeperHostList(
                hosts: ["zk.herald.test:2182", "[::1]:2181", "127.0.3.1:2182", "10.0.0.1", "zk.herald.test"],
                dnsName: "unused.herald.test", port: 2181, resolver: try dnsmasq.resolver())
            #expect(
                try await list.resolve() == [
                    "10.0.0.1:2181", "127.0.3.1:2181", "127.0.3.1:2182", "127.0.3.2:2181", "127.0.3.2:2182",
                    "::1:2181",
                ])
        }
    }

    @Test("a name that does not resolve fails the whole list with the DNS error")
    func unresolvableHost() async throws {
        try await withDnsmasq(["zk.herald.test": ["127.0.3.1"]]) { dnsmasq in
            let list = ZooKeeperHostList(
                hosts: ["zk.herald.test", "gone.herald.test:2181"], port: 2181, resolver: try dnsmasq.resolver())
            let error = await DNSTestSupport.expectDNSError(.noRecords) { try await list.resolve() }
            #expect(error?.description == "no A records for gone.herald.test at \(dnsmasq.server) (NXDOMAIN)")
        }
    }

    @Test("literal addresses need no resolver at all")
    func literalsOnly() async throws {
        let list = ZooKeeperHostList(
            hosts: ["127.0.0.2:2181", "127.0.0.1:2181"], resolver: try DNSResolver(server: "127.0.0.1:9"))
        #expect(try await list.resolve() == ["127.0.0.1:2181", "127.0.0.2:2181"])
    }
}
