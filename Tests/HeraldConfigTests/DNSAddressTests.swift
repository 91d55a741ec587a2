import Testing

@testable import DNS
@testable import HeraldConfig

/// `herald_zk_dns_server` and `mesos_zk_hosts` entries: what is accepted, and the one-line
/// refusals.
@Suite("DNS server and host addresses")
struct DNSAddressTests {
    @Test("IPv4:port and [IPv6]:port are DNS servers")
    func validServers() throws {
        let consul = try DNSServerAddress(parsing: "127.0.0.1:8600")
        #expect(consul.host == "127.0.0.1" && consul.port == 8600 && !consul.isIPv6)
        #expect(consul.description == "127.0.0.1:8600")
        let v6 = try DNSServerAddress(parsing: "[::1]:53")
        #expect(v6.host == "::1" && v6.port == 53 && v6.isIPv6)
        #expect(v6.description == "[::1]:53")
        #expect(try DNSServerAddress(parsing: "10.0.0.1:65535").port == 65535)
    }

    @Test(
        "malformed DNS servers are refused, naming the value and what is allowed",
        arguments: [
            ("127.0.0.1", "expected IPv4:port or [IPv6]:port"),
            ("127.0.0.1:", "'' is not a port (1-65535)"),
            ("127.0.0.1:0", "'0' is not a port (1-65535)"),
            ("127.0.0.1:65536", "'65536' is not a port (1-65535)"),
            ("127.0.0.1:53x", "'53x' is not a port"),
            (":53", "'' is not an IPv4 address"),
            ("localhost:8600", "'localhost' is not an IPv4 address (a host name cannot be used here"),
            ("256.0.0.1:53", "'256.0.0.1' is not an IPv4 address"),
            ("1.2.3:53", "'1.2.3' is not an IPv4 address"),
            ("01.2.3.4:53", "'01.2.3.4' is not an IPv4 address"),
            ("::1:53", "'::1' is not an IPv4 address"),
            ("[::1]", "expected [IPv6]:port"),
            ("[::1:53", "needs a closing ]"),
            ("[zz::1]:53", "'zz::1' is not an IPv6 address"),
            ("[::1]:99999", "'99999' is not a port"),
        ])
    func invalidServers(text: String, reason: String) {
        #expect {
            try DNSServerAddress(parsing: text)
        } throws: { error in
            guard let error = error as? DNSError else { return false }
            return error.kind == .invalidAddress && error.description.hasPrefix("invalid DNS server '\(text)': ")
                && error.description.contains(reason) && !error.description.contains("\n")
        }
    }

    @Test("an unset or empty herald_zk_dns_server means the system resolver")
    func systemResolverByDefault() throws {
        #expect(try DNSResolver(server: nil).source == .system)
        #expect(try DNSResolver(server: "").source == .system)
        let resolver = try DNSResolver(server: "127.0.0.1:8600", timeout: .milliseconds(500), attempts: 3)
        #expect(resolver.source == .server(try DNSServerAddress(parsing: "127.0.0.1:8600")))
        #expect(resolver.description == "DNS server 127.0.0.1:8600")
        #expect(resolver.timeout == .milliseconds(500) && resolver.attempts == 3)
        #expect(throws: DNSError.self) { try DNSResolver(server: "consul:8600") }
    }

    @Test(
        "ZooKeeper host entries split into host and port",
        arguments: [
            ("zk1", "zk1", 2181), ("zk1:2190", "zk1", 2190), ("10.0.0.1", "10.0.0.1", 2181),
            ("10.0.0.1:1", "10.0.0.1", 1), ("[::1]", "::1", 2181), ("[::1]:2182", "::1", 2182),
        ])
    func hostEntries(text: String, host: String, port: Int) throws {
        let split = try ZooKeeperHostList.split(text, defaultPort: 2181)
        #expect(split.host == host && split.port == port)
    }

    @Test(
        "malformed ZooKeeper host entries are refused",
        arguments: [
            ("", "the host is empty"), (":2181", "the host is empty"), ("zk1:0", "'0' is not a port"),
            ("zk1:", "'' is not a port"), ("::1", "write an IPv6 address as [address]:port"),
            ("[::1", "closing ]"), ("[::1]x", "expected [IPv6]:port"), ("[nope]:1", "not an IPv6 address"),
        ])
    func invalidHostEntries(text: String, reason: String) {
        #expect {
            try ZooKeeperHostList.split(text, defaultPort: 2181)
        } throws: { error in
            guard let error = error as? DNSError else { return false }
            return error.kind == .invalidAddress && error.description.contains("'\(text)'")
                && error.description.contains(reason)
        }
    }
}
