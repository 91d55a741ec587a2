/// A Mesos ZooKeeper URL: `zk://[user:password@]host[:port][,host[:port]…]/path`.
///
/// This is the value of Mesos' `--zk` / `--master` flags (Mantl's `MESOS_ZK` and `MESOS_MASTER`)
/// and of Herald's own connection settings, so it is parsed the way Mesos parses it
/// (`src/zookeeper/url.hpp`) and then validated harder, because a URL Mesos accepts can still fail
/// much later inside ZooKeeper or the C client:
///
/// - Leading and trailing spaces, tabs and line breaks are trimmed (Mesos trims too); any other
///   control character is refused.
/// - The path starts at the first `/` after `zk://` (as in Mesos), so neither credentials nor hosts
///   can contain `/`. It must be a valid, non-root ZooKeeper path outside `/zookeeper`, without `@`.
/// - Credentials are everything before the *last* `@` before the path (as in Mesos), split at their
///   *first* `:` — which is also where ZooKeeper's digest provider splits `user:password`. So a
///   password may contain `:` and `@`; a user may contain `@` but not `:`. Mesos passes the
///   `user:password` text verbatim to `zoo_add_auth`, so both sides agree.
/// - Hosts are comma-separated; a missing port means 2181. IPv6 addresses are written in brackets
///   (`[::1]:2181`, `[fe80::1]`). An unbracketed entry with several colons is read as the C client
///   reads it: the last colon starts the (then required) port, and the rest must be IPv6.
///
/// The stored parts are validated once, at initialisation, and are immutable afterwards.
public struct ZooKeeperURL: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// ZooKeeper's client port, used when a host has none.
    public static let defaultPort = 2181

    /// The ensemble, in the order given (the C client shuffles them itself).
    public let hosts: [Host]
    /// The absolute base path (Mesos' chroot), e.g. `/mesos`.
    public let path: String
    /// Digest credentials, when the URL has `user:password@`.
    public let credentials: Credentials?

    /// Builds a URL from parts, applying the same checks as `init(parsing:)`.
    public init(hosts: [Host], path: String, credentials: Credentials? = nil) throws(ZooKeeperURLError) {
        guard !hosts.isEmpty else { throw .noHost }
        for host in hosts { try host.validate() }
        try Self.validate(path: path)
        try credentials?.validate()
        self.hosts = hosts
        self.path = path
        self.credentials = credentials
    }

    /// The server list as `zookeeper_init` takes it: `h1:p1,h2:p2`, no path.
    ///
    /// IPv6 addresses are written *without* brackets (`::1:2181`): the C client splits each entry at
    /// its last colon and hands the rest to `getaddrinfo`, which cannot resolve `[::1]`. Checked
    /// against libzookeeper-mt 3.8.0: `[::1]:2181` fails `zookeeper_init`, and inside a list the
    /// bracketed entry is silently skipped.
    public var connectString: String {
        hosts.map(\.connectForm).joined(separator: ",")
    }

    /// The URL with the password replaced by `<redacted>`; safe for logs and error messages.
    public var description: String {
        formatted(includingPassword: false)
    }

    public var debugDescription: String { description }

    /// The URL as text.
    ///
    /// - Parameters:
    ///   - includingPassword: write the real password (for the files Mesos reads) rather than
    ///     `<redacted>`.
    ///   - bracketingIPv6: write IPv6 hosts as `[::1]:2181` (the URL convention, the default) or as
    ///     `::1:2181`. Mesos hands the host list verbatim to its ZooKeeper C client, which cannot
    ///     resolve bracketed addresses (see `connectString`), so a `MESOS_ZK` / `MESOS_MASTER`
    ///     value with IPv6 hosts must be written with `false`. Both forms parse back to this URL.
    public func formatted(includingPassword: Bool, bracketingIPv6: Bool = true) -> String {
        var text = "zk://"
        if let credentials {
            text += credentials.user + ":" + (includingPassword ? credentials.password : "<redacted>") + "@"
        }
        text += hosts.map { bracketingIPv6 ? $0.description : $0.connectForm }.joined(separator: ",")
        return text + path
    }

    /// Checks a base path the way ZooKeeper's `PathUtils.validatePath` does, plus Herald's rules:
    /// not `/` alone, not under the reserved `/zookeeper`, no `@` (see `pathContainsAt`), and no
    /// trailing space (Mesos trims the URL, so the path would change).
    public static func validate(path: String) throws(ZooKeeperURLError) {
        guard !path.isEmpty else { throw .missingPath }
        if let scalar = path.unicodeScalars.first(where: { !isAllowedInPath($0) }) {
            throw .pathCharacter(scalar.value)
        }
        guard path.hasPrefix("/") else { throw .pathNotAbsolute(path) }
        guard path != "/" else { throw .rootPath }
        guard !path.contains("@") else { throw .pathContainsAt }
        guard !path.hasSuffix("/") else { throw .pathTrailingSlash(path) }
        guard !path.hasSuffix(" ") else { throw .pathTrailingSpace(path) }
        let segments = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for segment in segments {
            if segment.isEmpty { throw .pathEmptySegment(path) }
            if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) { throw .pathDotSegment(path) }
        }
        if let first = segments.first, first.elementsEqual("zookeeper".utf8) {
            throw .pathReserved(path)
        }
    }

    /// ZooKeeper refuses U+0000–U+001F, U+007F–U+009F, U+D800–U+F8FF and U+FFF0–U+FFFF, judged on
    /// Java's UTF-16 code units, so every scalar above U+FFFF (a surrogate pair there) is refused too.
    private static func isAllowedInPath(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0000...0x001F, 0x007F...0x009F, 0xD800...0xF8FF, 0xFFF0...0xFFFF, 0x10000...:
            return false
        default:
            return true
        }
    }

    /// Whether a scalar is a C0 or C1 control character (refused anywhere in a URL).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
