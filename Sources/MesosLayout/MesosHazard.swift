/// A child of the Mesos base path that can make Mesos masters or agents exit (or lose their
/// leader), found by `GroupListing.hazards`, or that another reader of the path (pymesos, mesos-go)
/// takes for the leader when Mesos would not, found by `GroupListing.readerHazards`. Herald reports
/// these; it never deletes them.
public struct MesosHazard: Hashable, Sendable, CustomStringConvertible {
    /// The child's name, as listed.
    public var node: String
    /// One line: what Mesos would do with it, and why.
    public var reason: String

    public init(node: String, reason: String) {
        self.node = node
        self.reason = reason
    }

    public var description: String { "\(node): \(reason)" }
}

extension GroupListing {
    /// Every child that would break a Mesos master or agent, judged with Mesos' own reading of
    /// names (`MesosChildName`), per MESOS-WIRE.md "Who leads" (lines 37–42: "Garbage data, or an
    /// unknown label, at the lowest node makes Mesos masters and agents exit … report (do not
    /// delete) foreign nodes that would break Mesos") and "Sessions" ("a leading master that …
    /// sees no leader steps down").
    ///
    /// Name rules, for *every* child Mesos counts as a member — ephemeral members come and go, so
    /// any of them can become the lowest; at most one per child, in this order:
    /// 1. a label other than `json.info`, `info` or none (MESOS-WIRE line 21 lists the known ones):
    ///    at the lowest node the detector fails on the unknown label and masters and agents exit;
    /// 2. a name that is not the one Mesos reads back (`label_` + ten digits, e.g. `json.info_5`,
    ///    `x_y_0000000001` is label `x`, `_0000000001`, negative sequences): at the lowest node
    ///    Mesos finds no such node, sees no leader, and a leading master exits;
    /// 3. a sequence shared with another member (only a hand-made node can do that): Mesos keeps
    ///    one of them arbitrarily.
    ///
    /// Data rules, for the lowest member (`mesosLowestChild`) when it passed the name rules and
    /// `lowestData` is not nil (nil means not read, or vanished: "no leader yet", line 42):
    /// `json.info`: empty data, data `MasterInfo.decode` refuses, or a MasterInfo without `pid`
    /// (agents connect to the pid, line 29); `info`: empty data (protobuf with required fields
    /// missing; other protobuf bytes are not checked); no label: data that is not a UPID
    /// `NAME@IP:PORT` (Mesos would take a bogus leader).
    ///
    /// `info_` and bare-number members with well-formed names are not reported by name: Mesos
    /// reads them. Hazards come in the order of `children`, the data hazard last.
    public static func hazards(children: [String], lowestData: [UInt8]?) -> [MesosHazard] {
        GroupListing(children: children).hazards(lowestData: lowestData)
    }

    /// `hazards(children:lowestData:)` for this view's children.
    public func hazards(lowestData: [UInt8]?) -> [MesosHazard] {
        let counted = children.compactMap(MesosChildName.init)
        let bySequence = Dictionary(grouping: counted, by: \.sequence)
        var hazards: [MesosHazard] = []
        for child in counted {
            if let reason = Self.nameHazard(child, sharing: bySequence[child.sequence] ?? []) {
                hazards.append(MesosHazard(node: child.name, reason: reason))
            }
        }
        if let lowest = counted.min(), let data = lowestData,
            !hazards.contains(where: { $0.node.utf8.elementsEqual(lowest.name.utf8) }),
            let reason = Self.dataHazard(lowest, data)
        {
            hazards.append(MesosHazard(node: lowest.name, reason: reason))
        }
        return hazards
    }

    private static func nameHazard(_ child: MesosChildName, sharing group: [MesosChildName]) -> String? {
        if let label = child.label, label != MemberName.jsonLabel, label != MemberName.protobufLabel {
            return "numbered child with unknown label \"\(label)\": if it becomes the lowest member, "
                + "Mesos masters and agents exit"
        }
        if !child.readName.utf8.elementsEqual(child.name.utf8) {
            return "Mesos counts it as sequence \(child.sequence) but reads \"\(child.readName)\": "
                + "as the lowest member it means no leader, and a leading master exits"
        }
        let others = group.filter { $0 != child }.map { "\"\($0.name)\"" }
        if !others.isEmpty {
            return "shares sequence \(child.sequence) with \(others.joined(separator: ", ")): "
                + "Mesos keeps only one of them"
        }
        return nil
    }

    private static func dataHazard(_ lowest: MesosChildName, _ data: [UInt8]) -> String? {
        switch lowest.label {
        case MemberName.jsonLabel?:
            if data.isEmpty { return "lowest member has empty data: Mesos masters and agents exit" }
            do {
                let info = try MasterInfo.decode(data)
                if info.pid == nil { return "lowest member's MasterInfo has no pid: agents cannot reach the leader" }
                return nil
            } catch {
                return "lowest member's data is not a valid MasterInfo (\(error)): Mesos masters and agents exit"
            }
        case MemberName.protobufLabel?:
            return data.isEmpty
                ? "lowest member is a protobuf info_ node with empty data: Mesos masters and agents exit" : nil
        case nil:
            let text = String(validating: data, as: UTF8.self)
            if let text, MasterInfo.parsePID(text) != nil { return nil }
            return "lowest member is a bare-number node whose data is not a pid NAME@IP:PORT: "
                + "Mesos takes a bogus leader and a leading master exits"
        default:
            return nil
        }
    }
}

extension GroupListing {
    /// Every child that another reader of the base path would mistake, whoever wrote it: each
    /// child but `log_replicas` and well-formed `json.info_` candidates, with the readers it breaks.
    ///
    /// - pymesos (`LeaderRule.pymesos`) takes the smallest *name* of all children but
    ///   `log_replicas`: a child that sorts before `json.info_0000000000` (`herald`, `info_…`,
    ///   bare numbers) is always taken for the leader, and any other when no candidate sorts before it.
    /// - mesos-go (`LeaderRule.mesosGo`) reads only `json.info_` children, and `info_` ones when
    ///   there are none: an `info_` child ranked first by Mesos' sequence rule makes it disagree.
    public var readerHazards: [MesosHazard] {
        let lowestCandidate = candidates.first { $0.name == MemberName(label: $0.label, sequence: $0.sequence).name }
        let firstPossible = MemberName(label: MemberName.jsonLabel, sequence: 0).name
        var hazards: [MesosHazard] = []
        for child in children where child != "log_replicas" {
            let member = MemberName(child)
            if let member, member.isJSONCandidate,
                member.name == MemberName(label: member.label, sequence: member.sequence).name
            {
                continue
            }
            var breaks: [String] = []
            let before = { (a: String, b: String) in Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }
            if before(child, firstPossible) {
                breaks.append(
                    "pymesos frameworks take it for the leader whatever the candidates (they watch the smallest "
                        + "child name but log_replicas, and it sorts before every json.info_ name)")
            } else if lowestCandidate.map({ before(child, $0.name) }) ?? true {
                breaks.append(
                    "pymesos frameworks take it for the leader now (the smallest child name but log_replicas)")
            } else {
                breaks.append(
                    "pymesos frameworks would take it for the leader whenever no json.info_ candidate sorts before it")
            }
            if let member, member.label == MemberName.protobufLabel,
                let leader = leader(by: .mesos), leader.name == child, let json = lowestCandidate
            {
                breaks.append("Mesos ranks it first by sequence while mesos-go takes \(json.name)")
            }
            let what: String
            if child == HeraldPaths.legacyName {
                what =
                    "left by an older Herald (`herald bootstrap --migrate` removes it once no host is registered there)"
            } else if member?.label == MemberName.protobufLabel {
                what = "a protobuf info_ node of an older Mesos"
            } else if let member, member.label == nil {
                what = "a bare-number node of an older Mesos"
            } else {
                what = "not a Mesos candidate; Mesos and mesos-go skip it"
            }
            hazards.append(MesosHazard(node: child, reason: what + ": " + breaks.joined(separator: "; ")))
        }
        return hazards
    }
}

extension GroupListing {
    /// Whether `child` is a `json.info_` candidate named exactly as ZooKeeper names one (ten digits,
    /// not negative). Such a child carries no hazard of its own: none by name unless another child
    /// has the same sequence (`mesosSequence`), none for other readers, and a data hazard only as the
    /// lowest member. An incremental reader of the group judges only the other children again.
    public static func isPlainCandidate(_ member: MemberName) -> Bool {
        member.isJSONCandidate && member.sequence >= 0
            && member.name.utf8.elementsEqual(MemberName(label: member.label, sequence: member.sequence).name.utf8)
    }

    /// The sequence a Mesos master or agent reads for `child`, or nil when Mesos skips it (see
    /// `hazards(lowestData:)`: children with the same one are hazards).
    public static func mesosSequence(_ child: String) -> Int32? {
        MesosChildName(child)?.sequence
    }
}
