/// One step of an all-or-nothing `multi` transaction.
public enum Operation: Hashable, Sendable {
    case check(path: String, version: Int32)
    case create(path: String, data: [UInt8], mode: CreateMode, acl: [ACL])
    case set(path: String, data: [UInt8], version: Int32)
    case delete(path: String, version: Int32)

    public var path: String {
        switch self {
        case .check(let path, _), .create(let path, _, _, _), .set(let path, _, _),
            .delete(let path, _):
            return path
        }
    }

    var name: String {
        switch self {
        case .check: return "check"
        case .create: return "create"
        case .set: return "set"
        case .delete: return "delete"
        }
    }
}

/// What one step of a successful `multi` produced.
public enum OperationResult: Hashable, Sendable {
    case check
    /// The created path (with its sequence suffix for sequential modes).
    case create(path: String)
    case set(Stat)
    case delete
}

/// A `multi` that changed nothing because one step failed.
///
/// `codes` holds every step's answer (ZooKeeper reports `ZOK` before the failing step and
/// `ZRUNTIMEINCONSISTENCY` after it); `failedIndex` points at the step that failed.
public struct MultiError: Error, Hashable, Sendable, CustomStringConvertible {
    public var failedIndex: Int
    public var codes: [ZooKeeperError.Code?]
    public var error: ZooKeeperError

    public var description: String {
        "ZooKeeper multi failed at step \(failedIndex + 1) of \(codes.count): \(error)"
    }
}
