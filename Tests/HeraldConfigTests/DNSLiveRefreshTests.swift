import HeraldTestSupport
import Logging
import Testing
import ZooKeeper

@testable import DNS
@testable import HeraldConfig

/// The whole path against a real ensemble whose servers have distinct loopback addresses and
/// one client port (`ZK_DISTINCT_IPS=1 Deploy/zk-ensemble`, started by `Tests/run.sh`), so that
/// a DNS answer, not a port, decides which server the session may use.
@Suite("DNS live refresh against the distinct-address ensemble", .serialized, .timeLimit(.minutes(2)))
struct DNSLiveRefreshTests {
    @Test("a changed A record moves the live session to the new server, keeping the session")
    func dnsChangeMovesSession() async throws {
        let ensemble = try DNSTestSupport.distinctAddressEnsemble
        let (first, second) = (ensemble[0], ensemble[1])
        let firstIP = String(first.split(separator: ":")[0])
        let secondIP = String(second.split(separator: ":")[0])
        let port = try #require(Int(first.split(separator: ":")[1]))
        let name = "zookeeper.herald.test"

        try await withDnsmasq([name: [firstIP]]) { dnsmasq in
            let hostList = ZooKeeperHostList(hosts: nil, dnsName: name, port: port, resolver: try dnsmasq.resolver())
            let servers = try await hostList.resolve()
            #expect(servers == [first])

            var clientLogger = Logger(label: "herald.tests.dns.zookeeper")
            clientLogger.logLevel = .warning
            let configuration = ZooKeeperConfiguration(
                servers: ZooKeeperHostList.connectString(servers), sessionTimeout: .seconds(8),
                connectTimeout: .seconds(20))
            let client = try await ZooKeeperClient.connect(configuration, logger: clientLogger)
            do {
                let before = try #require(client.session)
                #expect(before.server == first)
                let events = client.sessionEvents()
                let (logger, logs) = DNSTestSupport.capturingLogger()
                let refresher = ZooKeeperHostsRefresher(
                    hostList: hostList, servers: servers, interval: .milliseconds(100), logger: logger
                ) { try client.setServers($0) }

                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await refresher.run() }
                    try await dnsmasq.setRecords([name: [secondIP]], waitingFor: name)
                    let after = try await within(.seconds(20), "the session to connect to \(second)") {
                        for await event in events {
                            if case .connected(let info) = event, info.server == second { return info }
                        }
                        throw SetupError("the session events ended before a connection to \(second)")
                    }
                    #expect(after.id == before.id, "a new session instead of the old one moved")
                    group.cancelAll()
                }
                #expect(client.session?.server == second)
                #expect(client.state == .connected)
                #expect(refresher.servers == [second])
                #expect(logs.messages(at: .info).contains("ZooKeeper servers changed"))
                #expect(logs.messages(at: .warning).isEmpty, "\(logs.messages(at: .warning))")
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        }
    }
}
