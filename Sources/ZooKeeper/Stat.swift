/// The metadata ZooKeeper keeps for every node, as returned with most replies.
public struct Stat: Hashable, Sendable {
    /// The transaction that created the node (Herald's fencing epoch is taken from it).
    public var czxid: Int64
    /// The transaction that last changed the node's data.
    public var mzxid: Int64
    /// Creation time, milliseconds since the epoch.
    public var ctime: Int64
    /// Last modification time, milliseconds since the epoch.
    public var mtime: Int64
    /// Data version: the value to pass for a conditional `set` or `delete`.
    public var version: Int32
    /// Number of changes to the node's children.
    public var cversion: Int32
    /// Number of changes to the node's ACL.
    public var aversion: Int32
    /// The owning session of an ephemeral node, 0 for a persistent one.
    public var ephemeralOwner: Int64
    /// Length of the node's data in bytes.
    public var dataLength: Int32
    /// Number of children.
    public var numChildren: Int32
    /// The transaction that last changed the node's children.
    public var pzxid: Int64

    public init(
        czxid: Int64 = 0, mzxid: Int64 = 0, ctime: Int64 = 0, mtime: Int64 = 0,
        version: Int32 = 0, cversion: Int32 = 0, aversion: Int32 = 0, ephemeralOwner: Int64 = 0,
        dataLength: Int32 = 0, numChildren: Int32 = 0, pzxid: Int64 = 0
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }

    /// Whether the node is ephemeral (owned by a session).
    public var isEphemeral: Bool { ephemeralOwner != 0 }
}

/// The version argument that skips the version check on `set`, `delete` and `check`.
public let anyVersion: Int32 = -1
