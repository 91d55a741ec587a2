import CZooKeeper
import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers
import Testing

@testable import ZooKeeper

@Suite("The server a session names")
struct ServerAddressTests {
    @Test("IPv4 and IPv6 peers are written host:port and [host]:port; other families give none")
    func format() {
        var ipv4 = sockaddr_in()
        ipv4.sin_family = sa_family_t(AF_INET)
        ipv4.sin_port = UInt16(21910).bigEndian
        ipv4.sin_addr.s_addr = UInt32(0x0A4D_0102).bigEndian
        let four = withUnsafePointer(to: &ipv4) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SessionCore.format($0) }
        }
        #expect(four == "10.77.1.2:21910")

        var ipv6 = sockaddr_in6()
        ipv6.sin6_family = sa_family_t(AF_INET6)
        ipv6.sin6_port = UInt16(2181).bigEndian
        inet_pton(AF_INET6, "fd00::7", &ipv6.sin6_addr)
        let six = withUnsafePointer(to: &ipv6) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SessionCore.format($0) }
        }
        #expect(six == "[fd00::7]:2181")

        var unix = sockaddr_un()
        unix.sun_family = sa_family_t(AF_UNIX)
        let none = withUnsafePointer(to: &unix) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SessionCore.format($0) }
        }
        #expect(none == nil)
    }

    /// The C client 3.8.0 formats every handle's server into one buffer of the process: while
    /// another handle's server is formatted over and over on another thread, each new session
    /// must still name the one server it can be on.
    @Test("each session names its own server while another handle's is formatted meanwhile")
    func ownServer() async throws {
        let servers = try TestEnsemble.servers.split(separator: ",").map(String.init)
        try #require(servers.count >= 2, "needs two servers: \(servers)")
        let (mine, other) = (servers[0], servers[1])
        try await withClient(servers: other) { neighbour in
            #expect(neighbour.session?.server == other)
            let stop = NIOLockedValueBox(false)
            let hammer = Thread {
                while !stop.withLockedValue({ $0 }) {
                    _ = neighbour.core.withHandle { handle in
                        _ = zoo_get_current_server(handle)
                        return 0
                    }
                }
            }
            hammer.start()
            defer { stop.withLockedValue { $0 = true } }
            var named: [String] = []
            for _ in 0..<40 {
                try await withClient(servers: mine) { client in
                    named.append(client.session?.server ?? "none")
                }
            }
            #expect(named.allSatisfy { $0 == mine }, "sessions on \(mine) named: \(Set(named).sorted())")
        }
    }
}
