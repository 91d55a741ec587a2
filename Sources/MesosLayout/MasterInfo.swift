/// Mesos' `MasterInfo` (`include/mesos/mesos.proto`), as a master writes it into its `json.info_`
/// node and as agents, frameworks, mesos-dns and mesos-consul read it.
///
/// Herald writes these for its own candidates, so `encoded()` reproduces a Mesos master's bytes
/// exactly, and reads other masters' nodes with `decode(_:)`, which checks what Mesos needs: a
/// node whose data fails here would make Mesos masters and agents exit if it became the leader.
public struct MasterInfo: Hashable, Sendable {
    /// `mesos.Address`: the master's advertised address (since Mesos 0.24).
    public struct Address: Hashable, Sendable {
        public var hostname: String?
        /// Dotted IPv4 (or IPv6) text, as Mesos `stringify`s it.
        public var ip: String?
        /// Required by the message whenever `address` is present.
        public var port: Int

        public init(hostname: String? = nil, ip: String? = nil, port: Int) {
            self.hostname = hostname
            self.ip = ip
            self.port = port
        }
    }

    /// `DomainInfo.FaultDomain`: the region and zone names, when `domain` carries them.
    public struct FaultDomain: Hashable, Sendable {
        public var region: String
        public var zone: String

        public init(region: String, zone: String) {
            self.region = region
            self.zone = zone
        }
    }

    /// Required; a UUID in practice.
    public var id: String
    /// Required; the IPv4 address packed as Mesos packs it (see `packIPv4`).
    public var ip: UInt32
    /// Required; 1–65535.
    public var port: Int
    /// `NAME@IP:PORT` (agents connect to it, so when present it must be valid).
    public var pid: String?
    public var hostname: String?
    public var version: String?
    public var address: Address?
    /// The capability type names, e.g. `AGENT_UPDATE`, in the order written.
    public var capabilities: [String]
    /// `DomainInfo`, kept as JSON so it is re-encoded exactly; see `faultDomain` to read it.
    public var domain: JSONValue?

    /// Every field, for decoding and tests; nothing is derived or checked.
    public init(
        id: String, ip: UInt32, port: Int, pid: String? = nil, hostname: String? = nil, version: String? = nil,
        address: Address? = nil, capabilities: [String] = [], domain: JSONValue? = nil
    ) {
        self.id = id
        self.ip = ip
        self.port = port
        self.pid = pid
        self.hostname = hostname
        self.version = version
        self.address = address
        self.capabilities = capabilities
        self.domain = domain
    }

    /// What a master on `ipv4:port` writes: packed `ip`, `pid` `master@IP:PORT`, and an
    /// `address` with the same host name, IP and port.
    ///
    /// - Precondition: `ipv4` is a dotted-quad address (`packIPv4` returns non-nil). Callers hold a
    ///   validated configuration; check with `packIPv4` first when in doubt.
    public init(id: String, ipv4: String, port: Int, hostname: String?, version: String?, capabilities: [String] = []) {
        guard let packed = Self.packIPv4(ipv4) else {
            preconditionFailure("MasterInfo needs a dotted-quad IPv4 address, got \"\(ipv4)\"")
        }
        self.init(
            id: id, ip: packed, port: port, pid: "master@\(ipv4):\(port)", hostname: hostname, version: version,
            address: Address(hostname: hostname, ip: ipv4, port: port), capabilities: capabilities)
    }

    /// Packs a dotted-quad IPv4 address as Mesos does (`in_addr.s_addr`: the address in network
    /// byte order, read as a little-endian integer), so `10.0.0.1` is 16777226. Nil for anything but
    /// four decimal parts 0–255 without leading zeros.
    public static func packIPv4(_ dotted: String) -> UInt32? {
        guard let octets = IPAddress.ipv4Octets(dotted) else { return nil }
        return octets.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    /// The dotted-quad text of a packed address (the inverse of `packIPv4`).
    public static func unpackIPv4(_ value: UInt32) -> String {
        (0..<4).map { String((value >> (8 * UInt32($0))) & 0xFF) }.joined(separator: ".")
    }

    /// `ip` as dotted-quad text.
    public var ipv4: String { Self.unpackIPv4(ip) }

    /// `pid` without its name, e.g. `10.0.0.1:5050`: what `mesos-resolve` prints for the leader.
    public var pidAddress: String? {
        guard let pid, let parts = Self.parsePID(pid) else { return nil }
        return "\(parts.ip):\(parts.port)"
    }

    /// `domain.fault_domain`'s region and zone names, when present.
    public var faultDomain: FaultDomain? {
        guard case .object(let domain)? = domain, case .object(let fault)? = domain["fault_domain"],
            case .object(let region)? = fault["region"], case .string(let regionName)? = region["name"],
            case .object(let zone)? = fault["zone"], case .string(let zoneName)? = zone["name"]
        else { return nil }
        return FaultDomain(region: regionName, zone: zoneName)
    }

    /// Splits `NAME@IP:PORT` as libprocess' `UPID` does (first `@`, last `:`); NAME must be
    /// non-empty without spaces or control characters, IP a dotted quad, PORT 1–65535.
    static func parsePID(_ pid: String) -> (name: Substring, ip: Substring, port: Int)? {
        guard let at = pid.firstIndex(of: "@") else { return nil }
        let name = pid[..<at]
        let address = pid[pid.index(after: at)...]
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }),
            let colon = address.lastIndex(of: ":")
        else { return nil }
        let ip = address[..<colon]
        guard IPAddress.ipv4Octets(ip) != nil, let port = IPAddress.port(address[address.index(after: colon)...])
        else { return nil }
        return (name, ip, port)
    }
}
