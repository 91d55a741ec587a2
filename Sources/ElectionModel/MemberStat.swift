/// What the election takes from a member node's ZooKeeper Stat: when it was created and who owns
/// it. Neither can change while the node exists, so a member read once stays true.
public struct MemberStat: Hashable, Sendable {
    /// The transaction that created the node: the fencing epoch while it leads.
    public var czxid: Int64
    /// The session that owns the (ephemeral) node.
    public var ephemeralOwner: Int64

    public init(czxid: Int64, ephemeralOwner: Int64) {
        self.czxid = czxid
        self.ephemeralOwner = ephemeralOwner
    }
}
