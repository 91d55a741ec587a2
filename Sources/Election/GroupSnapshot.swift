/// One read of the election group: every member node with what the decision needs.
public struct GroupSnapshot: Hashable, Sendable {
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

    public init(members: [Member]) {
        self.members = members.sorted { $0.sequence < $1.sequence }
    }

    public var valid: [Member] { members.filter(\.isValid) }

    /// `present` of DESIGN.md: the valid candidate nodes.
    public var present: Int { valid.count }

    public var lowestValid: Member? { valid.first }

    public func member(named name: String) -> Member? { members.first { $0.name == name } }
}
