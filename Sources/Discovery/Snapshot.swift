/// One published state of the election, exactly as the local socket protocol (v1, DESIGN.md
/// "Local socket protocol") carries it.
///
/// The server builds it from a `SnapshotInput` (`Snapshot(input:revision:)`), encodes it once per
/// change and shares the bytes with every connection; the client library decodes it back into this
/// type. Absent values are encoded as JSON `null` rather than omitted, so every key of the contract
/// is always present and a consumer in any language can index it without checks.
public struct Snapshot: Hashable, Sendable {
    /// The protocol version this type speaks: the `version` field.
    public static let protocolVersion = 1

    /// `state`: what the election says, with the same meaning as `ElectionView.State`.
    public enum State: String, Codable, Hashable, Sendable {
        case elected
        case noQuorum = "no_quorum"
        case noLeader = "no_leader"
        case disconnected
    }

    /// A candidate (or the leader): one `json.info_` node and the master it announces.
    public struct Member: Codable, Hashable, Sendable {
        /// MasterInfo `id`.
        public var id: String
        public var hostname: String?
        /// Dotted IPv4: the address of the master's `pid` when it has one (what agents connect
        /// to), else the packed `ip` field.
        public var ip: String
        public var port: Int
        /// `master@IP:PORT`, when the node carries one.
        public var pid: String?
        /// The node's full path, e.g. `/mesos/json.info_0000000042`.
        public var node: String
        public var sequence: Int32
        /// The fencing epoch (the node's czxid): consumers reject a leader with an older one.
        public var epoch: Int64

        public init(
            id: String, hostname: String?, ip: String, port: Int, pid: String?, node: String, sequence: Int32,
            epoch: Int64
        ) {
            self.id = id
            self.hostname = hostname
            self.ip = ip
            self.port = port
            self.pid = pid
            self.node = node
            self.sequence = sequence
            self.epoch = epoch
        }

        /// `IP:PORT`, what `mesos-resolve` prints for the leader.
        public var hostPort: String { "\(ip):\(port)" }

        enum CodingKeys: String, CodingKey {
            case id, hostname, ip, port, pid, node, sequence, epoch
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(hostname, forKey: .hostname)
            try container.encode(ip, forKey: .ip)
            try container.encode(port, forKey: .port)
            try container.encode(pid, forKey: .pid)
            try container.encode(node, forKey: .node)
            try container.encode(sequence, forKey: .sequence)
            try container.encode(epoch, forKey: .epoch)
        }
    }

    /// `quorum`: `required` is `herald_quorum`, `present` the valid candidates.
    public struct Quorum: Codable, Hashable, Sendable {
        public var required: Int
        public var present: Int

        public init(required: Int, present: Int) {
            self.required = required
            self.present = present
        }
    }

    /// `zookeeper`: the publishing process's session as it sees it.
    public struct ZooKeeperStatus: Codable, Hashable, Sendable {
        /// `connecting`, `connected`, `read_only`, `expired` or `closed`.
        public var state: String
        /// `host:port` of the current (or last) server; null before the first connection.
        public var server: String?
        public var sessionTimeoutMs: Int64
        /// The session id in hex (`0x…`), null while there is none. An addition to DESIGN.md's
        /// shape, for `herald status`; readers ignore keys they do not know.
        public var sessionID: String?

        public init(state: String, server: String?, sessionTimeoutMs: Int64, sessionID: String? = nil) {
            self.state = state
            self.server = server
            self.sessionTimeoutMs = sessionTimeoutMs
            self.sessionID = sessionID
        }

        enum CodingKeys: String, CodingKey {
            case state, server
            case sessionTimeoutMs = "session_timeout_ms"
            case sessionID = "session_id"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            state = try container.decode(String.self, forKey: .state)
            server = try container.decodeIfPresent(String.self, forKey: .server)
            sessionTimeoutMs = try container.decode(Int64.self, forKey: .sessionTimeoutMs)
            sessionID = try container.decodeIfPresent(String.self, forKey: .sessionID)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(state, forKey: .state)
            try container.encode(server, forKey: .server)
            try container.encode(sessionTimeoutMs, forKey: .sessionTimeoutMs)
            try container.encode(sessionID, forKey: .sessionID)
        }
    }

    /// One DNS answer: an address and a port (A record plus the SRV port).
    public struct Endpoint: Codable, Hashable, Sendable {
        public var ip: String
        public var port: Int

        public init(ip: String, port: Int) {
            self.ip = ip
            self.port = port
        }
    }

    /// `self`: who is publishing. Named `publisher` in Swift, since `self` is taken.
    public struct Publisher: Codable, Hashable, Sendable {
        /// `mesos_mode` of DESIGN.md "Modes".
        public enum Mode: String, Codable, Hashable, Sendable { case leader, follower, mixed }
        /// What this process does in the election right now.
        public enum Role: String, Codable, Hashable, Sendable { case leader, candidate, observer }

        public var mode: Mode
        public var role: Role
        public var hostname: String

        public init(mode: Mode, role: Role, hostname: String) {
            self.mode = mode
            self.role = role
            self.hostname = hostname
        }
    }

    /// Always `protocolVersion` when built here; decoded as sent.
    public var version: Int
    /// +1 on every published change; restarts at 1 when the server restarts.
    public var revision: UInt64
    /// `mesos_cluster`.
    public var cluster: String
    public var state: State
    /// The leader, or the last one while `stale`; null when there is none.
    public var leader: Member?
    /// True while `leader` is the last one seen before the ZooKeeper connection was lost.
    public var stale: Bool
    /// Valid candidates, by sequence.
    public var candidates: [Member]
    public var quorum: Quorum
    public var zookeeper: ZooKeeperStatus
    /// Consul-style name → answers (see `DNSMappings`).
    public var dns: [String: [Endpoint]]
    /// The `self` object.
    public var publisher: Publisher
    /// What is failing on this host and being retried (`problems`; empty when all is well, and
    /// when the server predates the field).
    public var problems: [Problem]

    /// One failing part of the service, e.g. `followers`, with its last error in one line.
    public struct Problem: Codable, Hashable, Sendable {
        public var component: String
        public var message: String

        public init(component: String, message: String) {
            self.component = component
            self.message = message
        }
    }

    public init(
        version: Int = Snapshot.protocolVersion, revision: UInt64, cluster: String, state: State, leader: Member?,
        stale: Bool, candidates: [Member], quorum: Quorum, zookeeper: ZooKeeperStatus, dns: [String: [Endpoint]],
        publisher: Publisher, problems: [Problem] = []
    ) {
        self.problems = problems
        self.version = version
        self.revision = revision
        self.cluster = cluster
        self.state = state
        self.leader = leader
        self.stale = stale
        self.candidates = candidates
        self.quorum = quorum
        self.zookeeper = zookeeper
        self.dns = dns
        self.publisher = publisher
    }
}
