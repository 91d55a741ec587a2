public import ElectionModel
public import ZooKeeper

/// The election's model takes no ZooKeeper type: the reader hands it what a Stat says.
extension MemberStat {
    public init(_ stat: Stat) {
        self.init(czxid: stat.czxid, ephemeralOwner: stat.ephemeralOwner)
    }
}

extension GroupMembers.Entry {
    /// What a `get` of a member returned.
    public init(data: [UInt8], stat: Stat) {
        self.init(data: data, stat: MemberStat(stat))
    }
}
