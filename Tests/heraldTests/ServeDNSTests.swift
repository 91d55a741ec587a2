import Discovery
import Foundation
import HeraldTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `herald serve` with `herald_dns_listen`: the responder answers what the socket publishes.
extension ServeTests {
    @Test("the DNS responder answers the socket's leader, and the next leader from the revision that shows it")
    func dnsResponder() async throws {
        let ports = try (1...4).map { _ in try DNSPort.free() }
        let names = ["l1", "l2", "l3", "f1"]
        try await Self.withCluster(
            followers: 1, extra: { "herald_dns_listen: 127.0.0.1:\(ports[names.firstIndex(of: $0)!])" }
        ) {
            leaders, followers in
            let follower = followers[0]
            let port = ports[3]
            let (first, _) = try await Self.snapshot(follower, "a leader and 3 candidates") {
                $0.state == .elected && $0.candidates.count == 3
                    && $0.dns["follower.mesos.service.consul"]?.count == 1
            }
            let old = try #require(first.leader)
            #expect(try await DNSPort.dig(port, "leader.mesos.service.consul") == ["127.0.0.1"])
            #expect(
                try await DNSPort.dig(port, "_mesos._leader.service.consul", "SRV") == [
                    "1 1 \(old.port) 7f000001.addr.mesos.service.consul."
                ])
            #expect(try await DNSPort.dig(port, "master.mesos.service.consul", "SRV").count == 3)
            #expect(
                try await DNSPort.dig(port, "follower.mesos.service.consul", "SRV") == [
                    "1 1 5061 7f000001.addr.mesos.service.consul."
                ])
            let missing = try await DNSPort.run(port, "nothing.mesos.service.consul", "A")
            #expect(missing.contains("status: NXDOMAIN"), "\(missing)")
            // Every instance answers, the leader hosts too.
            for (index, leader) in leaders.enumerated() {
                #expect(
                    try await DNSPort.dig(ports[index], "_mesos._leader.service.consul", "SRV").count == 1,
                    "\(leader.name)")
            }

            // A graceful failover: once the socket shows the new leader, DNS answers it.
            let leader = try #require(leaders.first { $0.name == old.hostname })
            await leader.stop(SIGTERM)
            let (next, _) = try await Self.snapshot(follower, "a new leader") {
                $0.leader.map { $0.epoch > old.epoch } == true
            }
            let answer = try await DNSPort.dig(port, "_mesos._leader.service.consul", "SRV")
            let current = try await DiscoveryClient(socketPath: follower.socket, timeout: .seconds(5)).current()
            // The answer is that of the revision seen, or of a newer one published meanwhile.
            let expected = Set([next.leader?.port, current.leader?.port].compactMap { $0 }).map {
                ["1 1 \($0) 7f000001.addr.mesos.service.consul."]
            }
            #expect(expected.contains(answer), "\(answer) after revision \(next.revision) (now \(current.revision))")
            #expect(answer != ["1 1 \(old.port) 7f000001.addr.mesos.service.consul."], "not the old leader")
        }
    }

    @Test("herald_dns_listen: a bad value, or a port already taken, is one line naming the key and exit 2")
    func dnsConfigurationErrors() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-serve-\(UUID()).yml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "mesos_mode: leader\nmesos_zk_hosts: [127.0.0.1:1]\nherald_dns_listen: localhost:8653\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let bad = try await ChildProcess.run(CommandLineTests.binary.path, ["serve", "--config", path])
        #expect(bad.status == 2)
        #expect(bad.output.split(separator: "\n").count == 1, "\(bad.output)")
        #expect(
            bad.output.contains(": herald_dns_listen: 'localhost:8653' is not an address to listen on"), "\(bad.output)"
        )

        // The port is taken (over UDP here): nothing starts.
        let taken = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(taken) }
        let port = try DNSPort.bindAny(taken)
        try
            "mesos_mode: leader\nmesos_zk_hosts: [127.0.0.1:1]\nherald_metrics_listen: \"\"\nherald_socket: /tmp/herald-dns-\(port).sock\nherald_dns_listen: 127.0.0.1:\(port)\n"
            .write(
                toFile: path, atomically: true, encoding: .utf8)
        let busy = try await ChildProcess.run(CommandLineTests.binary.path, ["serve", "--config", path])
        #expect(busy.status == 2)
        let lines = busy.output.split(separator: "\n")
        #expect(lines.count == 1, "\(busy.output)")
        #expect(
            lines.first == "herald_dns_listen: cannot listen on 127.0.0.1:\(port) over UDP: Address already in use",
            "\(busy.output)")
        #expect(!busy.output.contains("ZooKeeper]"), "no ZooKeeper client started")
    }
}

/// Ports and `dig` for the DNS tests of `herald serve`.
enum DNSPort {
    /// `dig +short` against 127.0.0.1:`port`, sorted.
    static func dig(_ port: Int, _ name: String, _ type: String = "A") async throws -> [String] {
        let output = try await run(port, name, type, ["+short"])
        return output.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") }.sorted()
    }

    static func run(_ port: Int, _ name: String, _ type: String, _ options: [String] = []) async throws -> String {
        guard access("/usr/bin/dig", X_OK) == 0 else {
            throw SetupError("/usr/bin/dig not found: install Debian's bind9-dnsutils (Tests/run.sh does)")
        }
        return try await ChildProcess.run(
            "/usr/bin/dig", ["@127.0.0.1", "-p", "\(port)", "+tries=1", "+timeout=3"] + options + [name, type]
        ).output
    }

    /// Binds `fd` to a free loopback port and returns it.
    static func bindAny(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw SetupError("cannot bind a loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A loopback port free a moment ago for both UDP and TCP.
    static func free() throws -> Int {
        for _ in 0..<20 {
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer {
                close(udp)
                close(tcp)
            }
            let port = try bindAny(udp)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let ok = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(tcp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            if ok { return port }
        }
        throw SetupError("no free loopback port for both UDP and TCP")
    }
}
