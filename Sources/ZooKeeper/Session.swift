/// The identity of a ZooKeeper session: enough to resume it from another handle.
///
/// The password is a secret: it never appears in `description`.
public struct SessionCredentials: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
    public var id: Int64
    public var password: [UInt8]

    public init(id: Int64, password: [UInt8]) {
        self.id = id
        self.password = password
    }

    public var description: String { "session 0x\(String(UInt64(bitPattern: id), radix: 16))" }

    /// `dump()` and debuggers see the id only.
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "password": "<redacted>"]) }
}

/// What the client knows about its live session.
public struct SessionInfo: Hashable, Sendable, CustomStringConvertible {
    public var credentials: SessionCredentials
    /// The timeout the server granted, which may differ from the one asked for.
    public var negotiatedTimeout: Duration
    /// `host:port` of the server the session is connected to.
    public var server: String?

    public var id: Int64 { credentials.id }

    public var description: String {
        "\(credentials) on \(server ?? "no server"), timeout \(negotiatedTimeout)"
    }
}

/// A change of the session's connection state, in the order the C client reported it.
public enum SessionEvent: Hashable, Sendable {
    /// Connected to a server that serves the quorum's data (read-write).
    case connected(SessionInfo)
    /// Connected to a server that has lost its quorum; only reads are served.
    case readOnly(SessionInfo)
    /// Lost the connection; the C client is trying the next server. The session may still live.
    case connecting
    /// The server reported the session expired. Terminal: the handle must be closed.
    case expired
    /// The server refused the credentials. Terminal.
    case authFailed
    /// `close()` was called.
    case closed

    /// The session state this event leaves the client in.
    public var state: SessionState {
        switch self {
        case .connected: return .connected
        case .readOnly: return .readOnly
        case .connecting: return .connecting
        case .expired: return .expired
        case .authFailed: return .authFailed
        case .closed: return .closed
        }
    }

    /// Whether the handle can never serve again.
    public var isTerminal: Bool { state.isTerminal }
}

/// The current state of a client's session.
public enum SessionState: Hashable, Sendable {
    case connecting
    case connected
    case readOnly
    case expired
    case authFailed
    case closed
}
