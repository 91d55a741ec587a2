public import MesosLayout

/// A valid candidate of the election group: a `json.info_` node whose data is a MasterInfo.
public struct Candidate: Hashable, Sendable {
    /// The child's name, e.g. `json.info_0000000042`.
    public var node: String
    /// The full path, e.g. `/mesos/json.info_0000000042`.
    public var path: String
    public var sequence: Int32
    /// The node's czxid: the fencing epoch while it leads. Monotonic: a node created later has a
    /// larger one.
    public var epoch: Int64
    /// The session that owns the node.
    public var ephemeralOwner: Int64
    public var info: MasterInfo

    public init(node: String, path: String, sequence: Int32, epoch: Int64, ephemeralOwner: Int64, info: MasterInfo) {
        self.node = node
        self.path = path
        self.sequence = sequence
        self.epoch = epoch
        self.ephemeralOwner = ephemeralOwner
        self.info = info
    }
}
