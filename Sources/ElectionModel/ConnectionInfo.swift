/// The session as the view's reader sees it.
public struct ConnectionInfo: Hashable, Sendable {
    public enum State: String, Hashable, Sendable {
        case connecting
        case connected
        case readOnly = "read_only"
        case expired
        case closed
    }

    public var state: State
    /// The server of the current (or last) connection, `host:port`.
    public var server: String?
    /// The negotiated session timeout (the configured one before the first connection).
    public var sessionTimeout: Duration
    public var sessionID: Int64?

    public init(state: State, server: String? = nil, sessionTimeout: Duration, sessionID: Int64? = nil) {
        self.state = state
        self.server = server
        self.sessionTimeout = sessionTimeout
        self.sessionID = sessionID
    }
}
