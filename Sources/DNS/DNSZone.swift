#if canImport(Glibc)
    import Glibc
#endif

/// The record types and classes the responder knows by number.
public enum DNSRecordType {
    public static let a: UInt16 = 1
    public static let ns: UInt16 = 2
    public static let cname: UInt16 = 5
    public static let soa: UInt16 = 6
    public static let aaaa: UInt16 = 28
    public static let srv: UInt16 = 33
    public static let opt: UInt16 = 41
    public static let any: UInt16 = 255
    public static let classIN: UInt16 = 1
    public static let classANY: UInt16 = 255
}

/// Everything the responder answers from, at one instant: the names under one domain and their
/// records. A value, built once per published change and shared by every query until the next,
/// so a query never waits for the one that builds it.
///
/// Names are stored in lower case without the trailing dot. A name that is an ancestor of a
/// record's name inside the domain (an "empty non-terminal" such as `service.consul`) exists
/// too: it answers NOERROR with no records, never NXDOMAIN (RFC 8020).
public struct DNSZone: Sendable {
    /// An address record: 4 bytes (A) or 16 bytes (AAAA).
    public struct Address: Hashable, Sendable {
        public var bytes: [UInt8]

        /// Dotted IPv4 or an IPv6 literal; nil for anything else.
        public init?(_ text: String) {
            if let value = IPv4.parse(text) {
                bytes = [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
            } else if let value = IPv6.parse(text) {
                bytes = value
            } else {
                return nil
            }
        }

        public var type: UInt16 { bytes.count == 4 ? DNSRecordType.a : DNSRecordType.aaaa }
    }

    /// An SRV record (RFC 2782); `target` is a name in this zone with address records.
    public struct Service: Hashable, Sendable {
        public var priority: UInt16
        public var weight: UInt16
        public var port: UInt16
        public var target: String

        public init(priority: UInt16 = 1, weight: UInt16 = 1, port: UInt16, target: String) {
            self.priority = priority
            self.weight = weight
            self.port = port
            self.target = target
        }
    }

    /// The records of one name.
    public struct Records: Hashable, Sendable {
        public var addresses: [Address]
        public var services: [Service]
        /// When true the name answers SERVFAIL whatever the type: its answer is not known to be
        /// true right now (no leader, or a stale one), and a resolver should ask again rather
        /// than cache something wrong.
        public var failing: Bool

        public init(addresses: [Address] = [], services: [Service] = [], failing: Bool = false) {
            self.addresses = addresses
            self.services = services
            self.failing = failing
        }
    }

    /// The domain the responder is authoritative for, e.g. `consul`.
    public let domain: String
    /// TTL of every answer, and the SOA minimum (how long a negative answer may be cached).
    public let ttl: UInt32
    /// The SOA serial: grows with every change (the snapshot's revision).
    public let serial: UInt32
    public let records: [String: Records]
    /// Every name that exists: the records' names and their ancestors up to the domain.
    private let existing: Set<String>
    /// `.<domain>`, for the test of `isInside` on every query.
    private let dottedDomain: String
    /// Tells this zone from any other, copies included (see `AnswerCache`).
    let identity = Identity()

    final class Identity: Sendable {}

    public init(domain: String, ttl: UInt32 = 0, serial: UInt32 = 1, records: [String: Records]) {
        let domain = Self.normalized(domain)
        self.domain = domain
        self.ttl = ttl
        self.serial = serial
        var normalized: [String: Records] = [:]
        var existing: Set<String> = [domain]
        for (name, records) in records {
            let name = Self.normalized(name)
            guard Self.isInside(name, domain: domain) else { continue }
            normalized[name, default: Records()].addresses += records.addresses
            normalized[name, default: Records()].services += records.services
            if records.failing { normalized[name]?.failing = true }
            var ancestor = Substring(name)
            while ancestor.count > domain.count {
                existing.insert(String(ancestor))
                guard let dot = ancestor.firstIndex(of: ".") else { break }
                ancestor = ancestor[ancestor.index(after: dot)...]
            }
        }
        self.records = normalized
        self.existing = existing
        dottedDomain = "." + domain
    }

    public func contains(_ name: String) -> Bool { existing.contains(name) }

    /// Whether `name` is the domain or below it.
    public func isInside(_ name: String) -> Bool {
        domain.isEmpty || name.hasSuffix(dottedDomain) || name == domain
    }

    static func isInside(_ name: String, domain: String) -> Bool {
        domain.isEmpty || name == domain || name.hasSuffix("." + domain)
    }

    static func normalized(_ name: String) -> String {
        var text = name.lowercased()
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// IPv6 literals to their 16 bytes.
enum IPv6 {
    static func parse(_ text: String) -> [UInt8]? {
        var address = [UInt8](repeating: 0, count: 16)
        guard !text.isEmpty, inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return address
    }
}
