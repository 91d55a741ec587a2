/// Why a `DiscoveryClient` call failed.
public enum DiscoveryClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No Herald accepts connections on the path (no file, a stale socket, no permission).
    case unreachable(path: String, reason: String)
    /// The server closed the connection before answering.
    case closed(path: String)
    /// No answer within the client's timeout.
    case timedOut(path: String, after: Duration)
    /// The server sent something this client does not understand.
    case protocolViolation(String)
    /// The server answered with an error line.
    case server(DiscoveryProtocolError)
    /// The calling task was cancelled before the answer came.
    case cancelled(path: String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach \(path): \(reason)"
        case .closed(let path): "\(path): the server closed the connection"
        case .timedOut(let path, let after): "\(path): no answer within \(after)"
        case .protocolViolation(let reason): "protocol violation: \(reason)"
        case .server(let error): "server error \(error)"
        case .cancelled(let path): "\(path): the request was cancelled"
        }
    }

    /// True when the socket could not be reached at all (the CLI's exit code 3).
    public var isUnreachable: Bool {
        switch self {
        case .unreachable, .timedOut, .closed: true
        case .protocolViolation, .server, .cancelled: false
        }
    }
}
