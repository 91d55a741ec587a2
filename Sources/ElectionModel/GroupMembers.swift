public import MesosLayout

/// One read of the base path with every member's data, parsed: who is a valid candidate, what is
/// skipped and why, what would break real Mesos. The step after the listing (`GroupListing`, names
/// only) and before the decision (`ranking`, then `ObserverState` makes the `ElectionView`). Pure:
/// the reader fills it with what ZooKeeper returned.
public struct GroupMembers: Hashable, Sendable {
    /// What a plain `get` of one numbered child returned, decoded once: the election reads a
    /// member once and keeps it while it is listed (`GroupIndex`). That relies on a member's data
    /// never changing, which holds for the sequential ephemeral nodes of Mesos masters (written
    /// once at create); the lowest node's owner, which the decision does rest on, comes from the
    /// same `get`'s Stat and cannot change at all.
    public struct Entry: Hashable, Sendable {
        public let data: [UInt8]
        public let stat: MemberStat
        /// The data as a MasterInfo, or why it is not one.
        public let info: Result<MasterInfo, MasterInfoError>

        public init(data: [UInt8], stat: MemberStat) {
            self.data = data
            self.stat = stat
            info = Result { () throws(MasterInfoError) in try MasterInfo.decode(data) }
        }
    }

    public let basePath: String
    /// The children as listed.
    public let children: [String]
    /// Valid `json.info_` candidates, by sequence.
    public let candidates: [Candidate]
    /// Numbered children skipped for the decision, by sequence.
    public let invalid: [InvalidMember]
    /// Children that would break real Mesos masters and agents.
    public let hazards: [MesosHazard]
    /// Every numbered child that was read (vanished ones are absent), ranked for the contenders.
    public let ranking: MemberRanking
    /// Each read member's MasterInfo id, by child name, to find a contender's own node.
    public let ids: [String: String]

    /// Interprets `children` with `entries`, the gets of the numbered children (a child listed
    /// but absent from `entries` vanished before it could be read: "no leader yet", not an error).
    /// `pzxid` is the base path's, from the listing (see `MemberRanking.pzxid`).
    public init(basePath: String, children: [String], pzxid: Int64 = .max, entries: [String: Entry]) {
        self.basePath = basePath
        self.children = children
        let listing = GroupListing(children: children)
        var candidates: [Candidate] = []
        var invalid: [InvalidMember] = []
        var members: [MemberRanking.Member] = []
        var ids: [String: String] = [:]
        for member in listing.members {
            guard let entry = entries[member.name] else { continue }
            var valid = false
            if member.isJSONCandidate {
                switch entry.info {
                case .success(let info):
                    candidates.append(
                        Candidate(
                            node: member.name, path: Self.join(basePath, member.name), sequence: member.sequence,
                            epoch: entry.stat.czxid, ephemeralOwner: entry.stat.ephemeralOwner, info: info))
                    ids[member.name] = info.id
                    valid = true
                case .failure(let error):
                    invalid.append(InvalidMember(node: member.name, reason: error.description))
                }
            } else {
                let label = member.label.map { "label \"\($0)\"" } ?? "a bare sequence number"
                invalid.append(
                    InvalidMember(node: member.name, reason: "\(label), not a json.info_ candidate"))
            }
            members.append(
                MemberRanking.Member(
                    name: member.name, sequence: member.sequence, ephemeralOwner: entry.stat.ephemeralOwner,
                    czxid: entry.stat.czxid, isValid: valid))
        }
        self.candidates = candidates
        self.invalid = invalid
        self.ranking = MemberRanking(members: members, pzxid: pzxid)
        self.ids = ids
        let lowestData = listing.mesosLowestChild.flatMap { entries[$0]?.data }
        self.hazards = listing.hazards(lowestData: lowestData) + listing.readerHazards
    }

    /// A read assembled from parts kept up to date one member at a time (`GroupIndex`).
    package init(
        basePath: String, children: [String], candidates: [Candidate], invalid: [InvalidMember],
        hazards: [MesosHazard], ranking: MemberRanking, ids: [String: String]
    ) {
        self.basePath = basePath
        self.children = children
        self.candidates = candidates
        self.invalid = invalid
        self.hazards = hazards
        self.ranking = ranking
        self.ids = ids
    }

    /// `base/child`, for a base of `/` too.
    package static func join(_ base: String, _ child: String) -> String {
        base.hasSuffix("/") ? base + child : base + "/" + child
    }
}
