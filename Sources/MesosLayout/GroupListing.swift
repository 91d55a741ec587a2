/// The children of the Mesos base path, read as an election group.
///
/// A pure snapshot: Herald lists the children (with a watch), builds a view, and asks it who leads
/// under either rule. Nothing here touches ZooKeeper.
public struct GroupListing: Hashable, Sendable {
    /// The children as listed.
    public let children: [String]
    /// Children named `[label_]sequence` (see `MemberName`), sorted by sequence.
    public let members: [MemberName]
    /// All other children (`log_replicas`, `herald`, …), in the order listed.
    public let nonMembers: [String]

    public init(children: [String]) {
        self.children = children
        var members: [MemberName] = []
        var nonMembers: [String] = []
        for child in children {
            if let member = MemberName(child) {
                members.append(member)
            } else {
                nonMembers.append(child)
            }
        }
        self.members = members.sorted()
        self.nonMembers = nonMembers
    }

    /// The leading member under `rule`, or nil when there is none.
    ///
    /// Under `.pymesos` the answer is nil when the child pymesos takes is not a member at all
    /// (`herald`, say): see `pymesosChoice` for its name.
    public func leader(by rule: LeaderRule) -> MemberName? {
        switch rule {
        case .pymesos:
            return pymesosChoice.flatMap(MemberName.init)
        case .mesos:
            return members.first
        case .mesosGo:
            let withLabel: (String) -> MemberName? = { label in
                members.first { $0.label == label && $0.sequence >= 0 }
            }
            return withLabel(MemberName.jsonLabel) ?? withLabel(MemberName.protobufLabel)
        }
    }

    /// The child pymesos' detector watches as the leader: the smallest name of all children but
    /// `log_replicas` (Python's `min()` on the names; nil with no such child).
    public var pymesosChoice: String? {
        children.filter { $0 != "log_replicas" }.min { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The `json.info_` members, by sequence: the masters currently contending in the JSON format.
    public var candidates: [MemberName] {
        members.filter(\.isJSONCandidate)
    }

    /// The child Mesos itself ranks first, read with Mesos' own (looser) parsing — see
    /// `MesosChildName`. This is the node whose data to pass as `lowestData` to `hazards`.
    /// Usually `leader(by: .mesos)?.name`; it differs only when foreign names such as `x_+1` or
    /// `x_0x1` are present, which are hazards in their own right.
    public var mesosLowestChild: String? {
        children.compactMap(MesosChildName.init).min()?.name
    }
}
