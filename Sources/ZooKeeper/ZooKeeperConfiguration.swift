/// How to reach an ensemble and which session to ask for.
public struct ZooKeeperConfiguration: Sendable, CustomStringConvertible {
    /// Digest credentials (`zoo_add_auth(zh, "digest", "user:secret")`). The secret never
    /// appears in `description`.
    public struct DigestCredentials: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
        public var user: String
        public var secret: String

        public init(user: String, secret: String) {
            self.user = user
            self.secret = secret
        }

        /// The credentials when both parts are configured, else nil (no authentication): the one
        /// place a configuration's optional user and secret become credentials.
        public static func given(user: String?, secret: String?) -> DigestCredentials? {
            guard let user, let secret else { return nil }
            return DigestCredentials(user: user, secret: secret)
        }

        /// `user:secret`, the bytes `zoo_add_auth` takes for the digest scheme (and that the
        /// server hashes into the ACL identity, `ACL.digestID`).
        public var authData: [UInt8] { Array("\(user):\(secret)".utf8) }

        public var description: String { "\(user):<redacted>" }

        /// `dump()` and debuggers see the user only.
        public var customMirror: Mirror { Mirror(self, children: ["user": user, "secret": "<redacted>"]) }
    }

    /// `host:port[,host:port…]`, as the C client takes it (no chroot suffix).
    public var servers: String
    /// The session timeout to ask for; the server may grant another (see `SessionInfo`).
    public var sessionTimeout: Duration
    /// How long `connect` waits for the first connection; nil means one session timeout.
    public var connectTimeout: Duration?
    public var credentials: DigestCredentials?
    /// Accept read-only connections to servers that have lost their quorum. Off by default, and
    /// best left off: when the 3.8 C client later finds a read-write server it completes pending
    /// requests as if they had succeeded, without a reply.
    public var allowReadOnly: Bool
    /// Resume this session instead of starting a new one.
    public var resume: SessionCredentials?
    /// How often, at most, the C client re-resolves the server host names while connected
    /// (`zoo_set_servers_resolution_delay`). It still resolves them on every connection loss,
    /// and `setServers` applies a new list at once. Nil keeps the C library's default: a
    /// `getaddrinfo` per server, with netlink address dumps, on every I/O wakeup, before each
    /// request and after each reply, which costs milliseconds per round trip.
    public var hostResolutionInterval: Duration? = .seconds(10)
    /// Told the operation name and the time to its reply, for every request that got one (any
    /// result code); called on the C completion thread, so it must only record.
    public var requestObserver: (@Sendable (_ operation: String, _ duration: Duration) -> Void)?

    public init(
        servers: String,
        sessionTimeout: Duration = .seconds(10),
        connectTimeout: Duration? = nil,
        credentials: DigestCredentials? = nil,
        allowReadOnly: Bool = false,
        resume: SessionCredentials? = nil
    ) {
        self.servers = servers
        self.sessionTimeout = sessionTimeout
        self.connectTimeout = connectTimeout
        self.credentials = credentials
        self.allowReadOnly = allowReadOnly
        self.resume = resume
    }

    public var description: String {
        var parts = ["servers=\(servers)", "sessionTimeout=\(sessionTimeout)"]
        if let credentials { parts.append("credentials=\(credentials)") }
        if allowReadOnly { parts.append("readOnly=allowed") }
        if let resume { parts.append("resume=\(resume)") }
        return parts.joined(separator: " ")
    }
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
