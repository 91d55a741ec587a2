public import DNS
import HeraldSupport

/// The ZooKeeper servers to connect to, as `ip:port` entries: `mesos_zk_hosts` when it is set
/// (host names in it resolved too), else every A record of `mesos_zk_dns` at `mesos_zk_port`.
///
/// Resolving to addresses, rather than handing names to the C client, is what lets the
/// refresher see a change in the ensemble and apply it to a live session.
public struct ZooKeeperHostList: Sendable {
    /// `mesos_zk_hosts`: `host:port` or `host` (then `port`); nil means resolve `dnsName`.
    public var hosts: [String]?
    /// `mesos_zk_dns`.
    public var dnsName: String
    /// `mesos_zk_port`, also the port of a `hosts` entry that has none.
    public var port: Int
    public var resolver: DNSResolver

    public init(
        hosts: [String]?, dnsName: String = "zookeeper.service.consul", port: Int = 2181,
        resolver: DNSResolver = .system
    ) {
        self.hosts = hosts
        self.dnsName = dnsName
        self.port = port
        self.resolver = resolver
    }

    /// `ip:port` entries, sorted by address and port, without duplicates, never empty. An IPv6
    /// literal of `hosts` is written unbracketed (`::1:2181`): the C client splits host and port
    /// at the last colon and hands the host to getaddrinfo, which refuses brackets. Throws the
    /// first `DNSError`.
    public func resolve() async throws -> [String] {
        var entries: [Entry] = []
        guard let hosts, !hosts.isEmpty else {
            for address in try await resolver.resolveIPv4(dnsName) {
                entries.append(try Entry(host: address, port: port))
            }
            return Entry.sorted(entries)
        }
        for text in hosts {
            let (host, port) = try Self.split(text, defaultPort: port)
            if IPv4.parse(host) != nil || IPv4.isIPv6Literal(host) {
                entries.append(try Entry(host: host, port: port))
            } else {
                for address in try await resolver.resolveIPv4(host) {
                    entries.append(try Entry(host: address, port: port))
                }
            }
        }
        return Entry.sorted(entries)
    }

    /// The resolved list as the C client takes it: `ip:port,ip:port`.
    public func connectString() async throws -> String {
        Self.connectString(try await resolve())
    }

    public static func connectString(_ entries: [String]) -> String {
        entries.joined(separator: ",")
    }

    /// `host:port`, `host`, `[v6]:port` or `[v6]` into host (without brackets) and port.
    static func split(_ text: String, defaultPort: Int) throws(DNSError) -> (host: String, port: Int) {
        func invalid(_ reason: String) -> DNSError {
            DNSError(.invalidAddress, "invalid ZooKeeper host '\(text)': \(reason)")
        }
        let parts: HostPort
        do {
            parts = try HostPort.split(text)
        } catch {
            switch error {
            case .unclosedBracket:
                throw invalid("an IPv6 address needs a closing ]")
            case .junkAfterBracket:
                throw invalid("expected [IPv6]:port")
            }
        }
        let host = parts.host
        let portText = parts.portText
        if parts.bracketed {
            guard IPv4.isIPv6Literal(host) else { throw invalid("'\(host)' is not an IPv6 address") }
        } else if host.contains(":") {
            throw invalid("write an IPv6 address as [address]:port")
        }
        guard !host.isEmpty else { throw invalid("the host is empty") }
        guard let portText else { return (String(host), defaultPort) }
        guard portText.allSatisfy(\.isASCII), let port = Int(portText), (1...65535).contains(port) else {
            throw invalid("'\(portText)' is not a port (1-65535)")
        }
        return (String(host), port)
    }

    /// One server, ordered IPv4 (by address) before IPv6 (by text), then by port.
    private struct Entry: Hashable, Comparable {
        var ipv4: UInt32?
        var host: String
        var port: Int

        init(host: String, port: Int) throws(DNSError) {
            guard (1...65535).contains(port) else {
                throw DNSError(.invalidAddress, "invalid ZooKeeper port \(port) for \(host) (1-65535)")
            }
            self.ipv4 = IPv4.parse(host)
            self.host = host
            self.port = port
        }

        var text: String { "\(host):\(port)" }

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            switch (lhs.ipv4, rhs.ipv4) {
            case (let left?, let right?) where left != right: return left < right
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil) where lhs.host != rhs.host: return lhs.host < rhs.host
            default: return lhs.port < rhs.port
            }
        }

        static func sorted(_ entries: [Entry]) -> [String] {
            Set(entries).sorted().map(\.text)
        }
    }
}
