/// Finds the IPv4 addresses of a name, either with the system resolver or by asking one DNS
/// server directly (`herald_zk_dns_server`, e.g. the local Consul agent), so that the
/// ZooKeeper host list can follow `zookeeper.service.consul` without the host's resolver
/// configuration pointing at Consul.
public struct DNSResolver: Sendable, CustomStringConvertible {
    public enum Source: Hashable, Sendable {
        /// `getaddrinfo`, as configured on the host.
        case system
        /// Queries straight to this server: UDP, TCP when the reply is truncated.
        case server(DNSServerAddress)
    }

    public var source: Source
    /// How long one attempt waits for a reply (server mode).
    public var timeout: Duration
    /// How many times a query is sent before a timeout is reported (server mode).
    public var attempts: Int

    public init(source: Source = .system, timeout: Duration = .seconds(2), attempts: Int = 2) {
        self.source = source
        self.timeout = timeout
        self.attempts = max(attempts, 1)
    }

    /// The resolver `herald_zk_dns_server` asks for: nil or empty means the system resolver,
    /// anything else must be `IPv4:port` or `[IPv6]:port`.
    public init(server: String?, timeout: Duration = .seconds(2), attempts: Int = 2) throws(DNSError) {
        if let server, !server.isEmpty {
            self.init(source: .server(try DNSServerAddress(parsing: server)), timeout: timeout, attempts: attempts)
        } else {
            self.init(source: .system, timeout: timeout, attempts: attempts)
        }
    }

    public static var system: DNSResolver { DNSResolver() }

    public var description: String {
        switch source {
        case .system: return "the system resolver"
        case .server(let server): return "DNS server \(server)"
        }
    }

    /// Every A record of `name`, sorted by address, without duplicates. Throws `DNSError`
    /// (one line naming the server and the query) or `CancellationError`; never returns an
    /// empty list.
    public func resolveIPv4(_ name: String) async throws -> [String] {
        switch source {
        case .system:
            return try await SystemResolver.resolveIPv4(name)
        case .server(let server):
            return try await DNSExchange(server: server, name: name, timeout: timeout, attempts: attempts).run()
        }
    }
}
