import ElectionModel
import MesosLayout
import ZooKeeper

/// The election group as the driver last read it, kept from one read to the next so that a
/// change costs what changed, not the size of the group.
///
/// Each member is read (`get`) and interpreted once, when it is first listed: its MasterInfo
/// decoded, its candidate, invalid entry and ranked member built, and its place found by binary
/// search in the sorted lists. It is dropped when it is no longer listed, and never read again
/// while it is (see `GroupMembers.Entry` for why that is safe). Hazards are judged again only for
/// the children that can carry one: every child but the plain `json.info_` candidates
/// (`GroupListing.isPlainCandidate`), the plain ones that share a sequence with another child, and
/// the lowest plain one, which holds the data hazard. What `read()` returns equals what
/// `GroupMembers(basePath:children:pzxid:entries:)` makes of the same listing and gets.
///
/// What still grows with the group on a read: the listing itself, and matching it against the
/// known names (one hash lookup per child; the listing is all ZooKeeper gives). Dropping a member
/// whose deletion was seen (`drop(_:)`) has no listing to match. The lists are shared with the
/// reads already handed out, so changing them copies their storage once.
struct GroupIndex {
    /// One read member, interpreted once. A class: every listing looks each child up, and a
    /// lookup then costs one retain, not one per field.
    final class Record {
        let member: MemberName
        let entry: GroupMembers.Entry
        let candidate: Candidate?
        let invalid: InvalidMember?
        let ranked: MemberRanking.Member
        /// A `json.info_` candidate named exactly as ZooKeeper names one.
        let plain: Bool

        init(
            member: MemberName, entry: GroupMembers.Entry, candidate: Candidate?, invalid: InvalidMember?,
            ranked: MemberRanking.Member, plain: Bool
        ) {
            self.member = member
            self.entry = entry
            self.candidate = candidate
            self.invalid = invalid
            self.ranked = ranked
            self.plain = plain
        }
    }

    let basePath: String
    private(set) var records: [String: Record] = [:]
    /// The names of `records`: the members a read need not get again.
    private(set) var known: Set<String> = []
    /// The children as last listed, less those dropped since.
    private(set) var children: [String] = []
    private(set) var pzxid: Int64 = .max
    private var members: [MemberRanking.Member] = []
    private var valid: [MemberRanking.Member] = []
    private var byName: [String: MemberRanking.Member] = [:]
    private var candidates: [Candidate] = []
    private var invalid: [InvalidMember] = []
    private var ids: [String: String] = [:]
    private var plainBySequence: [Int32: String] = [:]
    /// The listed children that may carry a hazard of their own, in listing order: all but the
    /// plain read candidates, and those of them that share a sequence with one of the others.
    private var scope: [String] = []
    /// The children hazards were last judged on, whether the lowest of them by Mesos' rule had
    /// been read (its data is judged), and what they were.
    private var judged: (children: [String], lowest: String?, lowestRead: Bool)?
    private var hazards: [MesosHazard] = []

    init(basePath: String) {
        self.basePath = basePath
    }

    /// Applies a listing and the gets of the children it named that were not `known` (a child
    /// listed but neither known nor fetched vanished before its get). Returns the members added.
    mutating func apply(children listed: [String], pzxid: Int64, fetched: [String: GroupMembers.Entry]) -> [String] {
        var added: [String] = []
        var listedKnown = 0
        var scope: [String] = []
        for child in listed {
            if let plain = records[child]?.plain {
                listedKnown += 1
                if !plain { scope.append(child) }
            } else if let entry = fetched[child], let member = MemberName(child) {
                let plain = insert(member, entry)
                added.append(child)
                if !plain { scope.append(child) }
            } else {
                scope.append(child)
            }
        }
        if records.count != listedKnown + added.count {
            let names = Set(listed)
            // Collected first: removing while walking `records.keys` would copy the dictionary.
            let departed = records.keys.filter { !names.contains($0) }
            for name in departed { remove(name) }
        }
        // A plain candidate with the sequence of another child carries a name hazard: judge it
        // too, in its place in the listing.
        let shared = Set(scope.compactMap { GroupListing.mesosSequence($0).flatMap { plainBySequence[$0] } })
        if !shared.isEmpty {
            scope = listed.filter { child in records[child].map { !$0.plain || shared.contains(child) } ?? true }
        }
        self.children = listed
        self.pzxid = pzxid
        self.scope = scope
        judge()
        return added
    }

    /// Drops `name`, whose deletion was seen, without a new listing.
    mutating func drop(_ name: String) {
        remove(name)
        if let index = children.firstIndex(of: name) { children.remove(at: index) }
        if let index = scope.firstIndex(of: name) { scope.remove(at: index) }
        judge()
    }

    func contains(_ name: String) -> Bool { records[name] != nil }

    /// The group as a `GroupMembers`.
    func read() -> GroupMembers {
        GroupMembers(
            basePath: basePath, children: children, candidates: candidates, invalid: invalid, hazards: hazards,
            ranking: MemberRanking(sorted: members, valid: valid, index: byName, pzxid: pzxid), ids: ids)
    }

    // MARK: Members

    /// Interprets and files a member read for the first time; returns whether it is plain.
    private mutating func insert(_ member: MemberName, _ entry: GroupMembers.Entry) -> Bool {
        let name = member.name
        var candidate: Candidate?
        var invalidMember: InvalidMember?
        if member.isJSONCandidate {
            switch entry.info {
            case .success(let info):
                candidate = Candidate(
                    node: name, path: GroupMembers.join(basePath, name), sequence: member.sequence,
                    epoch: entry.stat.czxid, ephemeralOwner: entry.stat.ephemeralOwner, info: info)
            case .failure(let error):
                invalidMember = InvalidMember(node: name, reason: error.description)
            }
        } else {
            let label = member.label.map { "label \"\($0)\"" } ?? "a bare sequence number"
            invalidMember = InvalidMember(node: name, reason: "\(label), not a json.info_ candidate")
        }
        let ranked = MemberRanking.Member(
            name: name, sequence: member.sequence, ephemeralOwner: entry.stat.ephemeralOwner,
            czxid: entry.stat.czxid, isValid: candidate != nil)
        let plain = GroupListing.isPlainCandidate(member)
        records[name] = Record(
            member: member, entry: entry, candidate: candidate, invalid: invalidMember, ranked: ranked,
            plain: plain)
        known.insert(name)
        byName[name] = ranked
        members.insert(ranked, at: Self.place(of: member, in: members) { ($0.sequence, $0.name) })
        if let candidate {
            valid.insert(ranked, at: Self.place(of: member, in: valid) { ($0.sequence, $0.name) })
            candidates.insert(candidate, at: Self.place(of: member, in: candidates) { ($0.sequence, $0.node) })
            ids[name] = candidate.info.id
        }
        if let invalidMember {
            let at = Self.place(of: member, in: invalid) { [records] in (records[$0.node]!.member.sequence, $0.node) }
            invalid.insert(invalidMember, at: at)
        }
        if plain { plainBySequence[member.sequence] = name }
        return plain
    }

    private mutating func remove(_ name: String) {
        guard let record = records.removeValue(forKey: name) else { return }
        let member = record.member
        known.remove(name)
        byName[name] = nil
        Self.remove(member, from: &members) { ($0.sequence, $0.name) }
        if record.candidate != nil {
            Self.remove(member, from: &valid) { ($0.sequence, $0.name) }
            Self.remove(member, from: &candidates) { ($0.sequence, $0.node) }
            ids[name] = nil
        }
        if record.invalid != nil { invalid.removeAll { $0.node == name } }
        if record.plain, plainBySequence[member.sequence] == name { plainBySequence[member.sequence] = nil }
    }

    /// Where `member` goes in `list`, sorted as `MemberName` sorts (sequence, then name bytes).
    private static func place<Element>(
        of member: MemberName, in list: [Element], key: (Element) -> (sequence: Int32, name: String)
    ) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            let other = key(list[middle])
            let before =
                other.sequence < member.sequence
                || (other.sequence == member.sequence
                    && other.name.utf8.lexicographicallyPrecedes(member.name.utf8))
            if before { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func remove<Element>(
        _ member: MemberName, from list: inout [Element], key: (Element) -> (sequence: Int32, name: String)
    ) {
        let at = place(of: member, in: list, key: key)
        guard at < list.count, key(list[at]).name == member.name else { return }
        list.remove(at: at)
    }

    // MARK: Hazards

    /// Judges the hazards on `scope` and the lowest plain candidate: every child a hazard can
    /// name, and every child the judgement depends on (the lowest by Mesos' rule, the lowest
    /// well-formed candidate, the children sharing a sequence). Again only when those changed.
    private mutating func judge() {
        var children = scope
        if let lowest = members.lazy.map(\.name).first(where: { self.records[$0]?.plain == true }),
            !scope.contains(lowest)
        {
            children.append(lowest)
        }
        if let judged, judged.children == children,
            judged.lowestRead == (judged.lowest.map { records[$0] != nil } ?? false)
        {
            return
        }
        let listing = GroupListing(children: children)
        let lowest = listing.mesosLowestChild
        let lowestData = lowest.flatMap { records[$0]?.entry.data }
        hazards = listing.hazards(lowestData: lowestData) + listing.readerHazards
        judged = (children, lowest, lowestData != nil)
    }
}
