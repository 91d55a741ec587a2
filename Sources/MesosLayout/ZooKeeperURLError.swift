/// Why a `zk://` URL (or its parts) was refused.
///
/// Every description is one line that says what is wrong and quotes the offending part, so an
/// operator can fix the configuration without guessing. Nothing that could be a password is ever
/// quoted, nor kept in a case's payload (where `dump` would show it): not the user-info part, not a
/// port's text (with `@` mistyped as `/` or `:`, a password lands in the port position), and of a
/// host entry only its host name, or the whole entry when it is a valid IPv6 address.
public enum ZooKeeperURLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A control character (U+0000–U+001F, U+007F–U+009F) somewhere in the URL, at this
    /// 0-based character position.
    case controlCharacter(position: Int)
    /// The text does not start with `zk://`; carries the scheme that was found, if it looks like one.
    case missingScheme(found: String?)
    /// Nothing after the host list: Mesos needs an absolute base path such as `/mesos`.
    case missingPath
    /// The path is `/` alone, which would put Mesos' nodes at the ZooKeeper root.
    case rootPath
    /// A path (given to `init(hosts:path:credentials:)`) that does not start with `/`.
    case pathNotAbsolute(String)
    /// A path ending in `/`, which ZooKeeper rejects.
    case pathTrailingSlash(String)
    /// A path ending in a space: Mesos trims the URL it reads, so the space would be lost.
    case pathTrailingSpace(String)
    /// A path with an empty segment (`//`).
    case pathEmptySegment(String)
    /// A path with a `.` or `..` segment, which ZooKeeper rejects.
    case pathDotSegment(String)
    /// A path under `/zookeeper`, ZooKeeper's reserved subtree.
    case pathReserved(String)
    /// A character ZooKeeper refuses in node names (its `PathUtils.validatePath`), as a scalar value.
    case pathCharacter(UInt32)
    /// An `@` in the path. Refused so that a password containing `/` can never be mistaken for a
    /// path (Mesos starts the path at the first `/`), and so it is never printed.
    case pathContainsAt
    /// No host between `zk://` (or `@`) and the path.
    case noHost
    /// An empty entry in the host list, at this 1-based position (`h1,,h2`).
    case emptyHost(position: Int)
    /// A host entry that is neither a host name, an IPv4 address nor a bracketed IPv6 address.
    case invalidHost(String)
    /// An entry with several colons that is neither `[IPv6]:port` nor the C client's `IPv6:port`,
    /// at this 1-based position; not quoted, since it may be `user:password` missing its `@`.
    case invalidHostEntry(position: Int)
    /// An unbracketed IPv6 address without a port, which the C client would misread.
    case ipv6NeedsBrackets(String)
    /// A port that is not a decimal number, for this host.
    case invalidPort(host: String)
    /// A port outside 1–65535, for this host.
    case portOutOfRange(host: String)
    /// `@` with nothing before it.
    case emptyCredentials
    /// Credentials without `:` (digest authentication needs `user:password`).
    case credentialsWithoutPassword
    /// Credentials with nothing before the first `:`.
    case emptyUser
    /// Credentials with nothing after the first `:`.
    case emptyPassword
    /// A user name that cannot be written into the URL; the reason says why.
    case invalidUser(String)
    /// A password that cannot be written into the URL; the reason says why (never the password).
    case invalidPassword(String)

    public var description: String {
        "invalid ZooKeeper URL: " + detail
    }

    private var detail: String {
        switch self {
        case .controlCharacter(let position):
            return "control character at position \(position)"
        case .missingScheme(let found):
            if let found { return "scheme \(quoted(found)) is not \"zk://\"" }
            return "it must start with \"zk://\""
        case .missingPath:
            return "no path after the host list (expected e.g. zk://host:2181/mesos)"
        case .rootPath:
            return "path \"/\" alone is not allowed; use a base path such as /mesos"
        case .pathNotAbsolute(let path):
            return "path \(quoted(path)) does not start with \"/\""
        case .pathTrailingSlash(let path):
            return "path \(quoted(path)) ends with \"/\""
        case .pathTrailingSpace(let path):
            return "path \(quoted(path)) ends with a space, which Mesos would trim"
        case .pathEmptySegment(let path):
            return "path \(quoted(path)) has an empty segment (\"//\")"
        case .pathDotSegment(let path):
            return "path \(quoted(path)) has a \".\" or \"..\" segment"
        case .pathReserved(let path):
            return "path \(quoted(path)) is inside ZooKeeper's reserved /zookeeper tree"
        case .pathCharacter(let scalar):
            return "path contains \(scalarName(scalar)), which ZooKeeper rejects in node names"
        case .pathContainsAt:
            return "path contains \"@\" (not allowed; a password may not contain \"/\")"
        case .noHost:
            return "no host before the path"
        case .emptyHost(let position):
            return "host entry \(position) is empty"
        case .invalidHost(let host):
            return "host \(quoted(host)) is not a host name, IPv4 address or [IPv6] address"
        case .invalidHostEntry(let position):
            return "host entry \(position) has several \":\" but is not [IPv6]:port (entry not shown)"
        case .ipv6NeedsBrackets(let host):
            return "IPv6 address \(quoted(host)) needs brackets, e.g. [\(host)]:2181"
        case .invalidPort(let host):
            return "port of host \(quoted(host)) is not a decimal number"
        case .portOutOfRange(let host):
            return "port of host \(quoted(host)) is outside 1-65535"
        case .emptyCredentials:
            return "nothing before \"@\"; credentials must be user:password@"
        case .credentialsWithoutPassword:
            return "credentials before \"@\" have no \":\"; they must be user:password@"
        case .emptyUser:
            return "credentials have an empty user (expected user:password@)"
        case .emptyPassword:
            return "credentials have an empty password (expected user:password@)"
        case .invalidUser(let reason):
            return "user name \(reason)"
        case .invalidPassword(let reason):
            return "password \(reason)"
        }
    }

    private func quoted(_ text: String) -> String {
        "\"" + text + "\""
    }

    private func scalarName(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
