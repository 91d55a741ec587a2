/// The members of one read ranked by sequence, each with what a contender's decision needs (owner,
/// epoch, validity): the input of `ContenderState`, taken from `GroupMembers.ranking`.
public struct MemberRanking: Hashable, Sendable {
    public struct Member: Hashable, Sendable {
        public var name: String
        public var sequence: Int32
        public var ephemeralOwner: Int64
        public var czxid: Int64
        /// False for a node whose data is not a valid MasterInfo (skipped for the decision).
        public var isValid: Bool

        public init(name: String, sequence: Int32, ephemeralOwner: Int64, czxid: Int64, isValid: Bool) {
            self.name = name
            self.sequence = sequence
            self.ephemeralOwner = ephemeralOwner
            self.czxid = czxid
            self.isValid = isValid
        }
    }

    /// Members sorted by sequence.
    public let members: [Member]
    /// The base path's pzxid when it was listed: the zxid of the last child created or deleted
    /// before the listing. A view listed before the own node was created (pzxid below its czxid)
    /// says nothing about that node. `Int64.max` when unknown.
    public let pzxid: Int64

    /// The valid members, by sequence (computed once: every contender of a process asks).
    public let valid: [Member]
    private let index: [String: Member]

    public init(members: [Member], pzxid: Int64 = .max) {
        self.members = members.sorted { $0.sequence < $1.sequence }
        self.pzxid = pzxid
        valid = self.members.filter(\.isValid)
        index = Dictionary(self.members.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// A ranking from parts kept up to date one member at a time (`GroupIndex`): `members` and
    /// `valid` already sorted, `index` every member by name.
    package init(sorted members: [Member], valid: [Member], index: [String: Member], pzxid: Int64) {
        self.members = members
        self.valid = valid
        self.index = index
        self.pzxid = pzxid
    }

    /// `present` of DESIGN.md: the valid candidate nodes.
    public var present: Int { valid.count }

    public var lowestValid: Member? { valid.first }

    public func member(named name: String) -> Member? { index[name] }

    public static func == (lhs: MemberRanking, rhs: MemberRanking) -> Bool {
        lhs.members == rhs.members && lhs.pzxid == rhs.pzxid
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members)
        hasher.combine(pzxid)
    }
}
