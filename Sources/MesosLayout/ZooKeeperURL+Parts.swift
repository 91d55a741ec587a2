extension ZooKeeperURL {
    /// One ensemble member: a host name or address, and a client port.
    public struct Host: Hashable, Sendable, CustomStringConvertible {
        /// A DNS name, an IPv4 address, or an IPv6 address *without* brackets (optionally `%zone`).
        public var host: String
        /// The client port, 1–65535.
        public var port: Int

        public init(host: String, port: Int = ZooKeeperURL.defaultPort) {
            self.host = host
            self.port = port
        }

        /// Whether `host` is an IPv6 address (the only kind of host that contains `:`).
        public var isIPv6: Bool { host.contains(":") }

        /// `host:port`, with an IPv6 address in brackets: `[::1]:2181`.
        public var description: String {
            isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
        }

        /// `host:port` as the ZooKeeper C client takes it: never bracketed (see `connectString`).
        public var connectForm: String { "\(host):\(port)" }

        func validate() throws(ZooKeeperURLError) {
            if isIPv6 {
                guard IPAddress.isIPv6(host) else { throw .invalidHost(host) }
            } else {
                guard IPAddress.isHostName(host) else { throw .invalidHost(host) }
            }
            guard (1...65535).contains(port) else { throw .portOutOfRange(host: host) }
        }
    }

    /// ZooKeeper digest credentials, `user:password` (`zoo_add_auth(zh, "digest", …)`).
    ///
    /// The password never appears in `description`, `debugDescription`, `dump`, a URL's
    /// description, or any error.
    public struct Credentials: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        /// Non-empty; no `:` (ZooKeeper splits at the first one), no `/`, no control characters.
        public var user: String
        /// Non-empty; may contain `:` and `@`; no `/` (Mesos would start the path there) and no
        /// control characters.
        public var password: String

        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }

        /// `user:<redacted>`.
        public var description: String { "\(user):<redacted>" }

        public var debugDescription: String { description }

        /// Hides the password from `dump` and other mirror-based printing.
        public var customMirror: Mirror {
            Mirror(self, children: ["user": user, "password": "<redacted>"])
        }

        /// Splits the text before the host list at its first `:`; never quotes it in an error,
        /// since without a `:` the whole text may be the password.
        init(parsingUserInfo text: Substring) throws(ZooKeeperURLError) {
            guard !text.isEmpty else { throw .emptyCredentials }
            guard let colon = text.firstIndex(of: ":") else { throw .credentialsWithoutPassword }
            self.init(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
            try validate()
        }

        func validate() throws(ZooKeeperURLError) {
            guard !user.isEmpty else { throw .emptyUser }
            guard !password.isEmpty else { throw .emptyPassword }
            if user.unicodeScalars.contains(where: ZooKeeperURL.isControl) {
                throw .invalidUser("contains a control character")
            }
            if user.contains(":") { throw .invalidUser("\"\(user)\" contains \":\"") }
            if user.contains("/") { throw .invalidUser("\"\(user)\" contains \"/\"") }
            if password.unicodeScalars.contains(where: ZooKeeperURL.isControl) {
                throw .invalidPassword("contains a control character")
            }
            if password.contains("/") {
                throw .invalidPassword("contains \"/\", which Mesos would read as the start of the path")
            }
        }
    }
}
