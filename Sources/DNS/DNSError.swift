/// A failed look-up of the ZooKeeper host names, as one line an operator can act on: it names
/// the server asked (or the system resolver) and the query, e.g.
/// `no A records for zookeeper.service.consul at 127.0.0.1:8600 (NXDOMAIN)`.
///
/// Two errors with the same description are the same problem: the refresher logs each distinct
/// one once.
public struct DNSError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// `herald_zk_dns_server` or a `mesos_zk_hosts` entry is not a usable address.
        case invalidAddress
        /// The name cannot be put in a query (empty or over-long label, not ASCII).
        case invalidName
        /// The name does not exist (NXDOMAIN) or has no A record.
        case noRecords
        /// No reply within the timeout, on every attempt.
        case timeout
        /// The server refused the query (RCODE REFUSED), or nothing listens on its port.
        case refused
        /// The server answered with an error code (SERVFAIL and the rest).
        case serverFailure
        /// The reply does not parse as a DNS message that answers the query.
        case malformedReply
        /// A socket call failed, or the system resolver reported a failure.
        case network
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
