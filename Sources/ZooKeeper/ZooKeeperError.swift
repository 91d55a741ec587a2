/// A failed ZooKeeper call: the return code, the operation and the path it was about.
///
/// The description is one line that an operator can act on, e.g.
/// `ZooKeeper create /mesos/json.info_ failed: node already exists (ZNODEEXISTS)`.
public struct ZooKeeperError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What ZooKeeper (or the client library) answered.
    public var code: Code
    /// The client call that failed, e.g. `create`, `get`, `multi`.
    public var operation: String
    /// The node the call was about, when there is one.
    public var path: String?

    public init(_ code: Code, operation: String, path: String? = nil) {
        self.code = code
        self.operation = operation
        self.path = path
    }

    public var description: String {
        let target = path.map { " \($0)" } ?? ""
        return "ZooKeeper \(operation)\(target) failed: \(code.message) (\(code.name))"
    }
}

extension ZooKeeperError {
    /// Every return code of the 3.8 C client, plus `unknown` for a code this build does not know.
    public enum Code: Hashable, Sendable, CustomStringConvertible {
        case systemError
        case runtimeInconsistency
        case dataInconsistency
        case connectionLoss
        case marshallingError
        case unimplemented
        case operationTimeout
        case badArguments
        case invalidState
        case newConfigNoQuorum
        case reconfigInProgress
        case sslConnectionError
        case apiError
        case noNode
        case noAuth
        case badVersion
        case noChildrenForEphemerals
        case nodeExists
        case notEmpty
        case sessionExpired
        case invalidCallback
        case invalidACL
        case authFailed
        case closing
        case nothing
        case sessionMoved
        case notReadOnly
        case ephemeralOnLocalSession
        case noWatcher
        case reconfigDisabled
        case sessionClosedRequireSASLAuth
        case throttledOperation
        case unknown(Int32)

        /// Every named code with its C value, in the header's order.
        static let table: [(Code, Int32, String, String)] = [
            (.systemError, -1, "ZSYSTEMERROR", "system error"),
            (.runtimeInconsistency, -2, "ZRUNTIMEINCONSISTENCY", "runtime inconsistency"),
            (.dataInconsistency, -3, "ZDATAINCONSISTENCY", "data inconsistency"),
            (.connectionLoss, -4, "ZCONNECTIONLOSS", "connection to the server lost"),
            (.marshallingError, -5, "ZMARSHALLINGERROR", "marshalling error"),
            (.unimplemented, -6, "ZUNIMPLEMENTED", "operation not implemented"),
            (.operationTimeout, -7, "ZOPERATIONTIMEOUT", "operation timed out"),
            (.badArguments, -8, "ZBADARGUMENTS", "bad arguments"),
            (.invalidState, -9, "ZINVALIDSTATE", "invalid handle state"),
            (.newConfigNoQuorum, -13, "ZNEWCONFIGNOQUORUM", "no quorum for the new configuration"),
            (.reconfigInProgress, -14, "ZRECONFIGINPROGRESS", "reconfiguration in progress"),
            (.sslConnectionError, -15, "ZSSLCONNECTIONERROR", "SSL connection error"),
            (.apiError, -100, "ZAPIERROR", "API error"),
            (.noNode, -101, "ZNONODE", "no such node"),
            (.noAuth, -102, "ZNOAUTH", "not authorized"),
            (.badVersion, -103, "ZBADVERSION", "version mismatch"),
            (.noChildrenForEphemerals, -108, "ZNOCHILDRENFOREPHEMERALS", "ephemeral nodes cannot have children"),
            (.nodeExists, -110, "ZNODEEXISTS", "node already exists"),
            (.notEmpty, -111, "ZNOTEMPTY", "node has children"),
            (.sessionExpired, -112, "ZSESSIONEXPIRED", "session expired"),
            (.invalidCallback, -113, "ZINVALIDCALLBACK", "invalid callback"),
            (.invalidACL, -114, "ZINVALIDACL", "invalid ACL"),
            (.authFailed, -115, "ZAUTHFAILED", "authentication failed"),
            (.closing, -116, "ZCLOSING", "client is closing"),
            (.nothing, -117, "ZNOTHING", "no server responses to process"),
            (.sessionMoved, -118, "ZSESSIONMOVED", "session moved to another server"),
            (.notReadOnly, -119, "ZNOTREADONLY", "write sent to a read-only server"),
            (.ephemeralOnLocalSession, -120, "ZEPHEMERALONLOCALSESSION", "ephemeral node on a local session"),
            (.noWatcher, -121, "ZNOWATCHER", "no such watcher"),
            (.reconfigDisabled, -123, "ZRECONFIGDISABLED", "reconfiguration disabled"),
            (
                .sessionClosedRequireSASLAuth, -124, "ZSESSIONCLOSEDREQUIRESASLAUTH",
                "server requires SASL authentication"
            ),
            (.throttledOperation, -127, "ZTHROTTLEDOP", "operation throttled"),
        ]

        /// Maps a C return code; never fails (unknown values are kept as `unknown`).
        public init(rawValue: Int32) {
            if let entry = Self.table.first(where: { $0.1 == rawValue }) {
                self = entry.0
            } else {
                self = .unknown(rawValue)
            }
        }

        /// The C value of this code.
        public var rawValue: Int32 {
            if case .unknown(let value) = self { return value }
            return Self.table.first(where: { $0.0 == self })!.1
        }

        /// The C header's name, e.g. `ZNONODE`.
        public var name: String {
            if case .unknown(let value) = self { return "unknown code \(value)" }
            return Self.table.first(where: { $0.0 == self })!.2
        }

        /// A short human explanation.
        public var message: String {
            if case .unknown = self { return "unrecognised return code" }
            return Self.table.first(where: { $0.0 == self })!.3
        }

        public var description: String { name }
    }
}
