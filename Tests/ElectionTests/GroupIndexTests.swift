import ElectionModel
import HeraldTestSupport
import Logging
import MesosLayout
import Testing

@testable import Election
@testable import ZooKeeper

/// The incremental group read: each member read once, departed ones dropped, and the same
/// interpretation as a read of the whole group.
@Suite("Incremental group read")
struct GroupIndexTests {
    typealias H = DriverHarness

    static let base = "/mesos"

    static func info(_ sequence: Int) -> MasterInfo {
        MasterInfo(
            id: "id-\(sequence)", ipv4: "10.0.0.\(abs(sequence) % 250 + 1)", port: 5050, hostname: "m\(sequence)",
            version: nil)
    }

    /// A get of `child`: a MasterInfo for `json.info_` children, a pid for others, garbage for `bad`.
    static func entry(_ child: String, bad: Set<String> = []) -> GroupMembers.Entry {
        let sequence = MemberName(child).map { Int($0.sequence) } ?? 0
        let data =
            bad.contains(child)
            ? Array("{".utf8)
            : MemberName(child)?.isJSONCandidate == true
                ? info(sequence).encoded() : Array("master@10.0.0.9:5050".utf8)
        let czxid = Int64(1000 + sequence)
        return GroupMembers.Entry(data: data, stat: Stat(czxid: czxid, mzxid: czxid, ephemeralOwner: Int64(sequence)))
    }

    /// Applies `listing` to `index` (getting what it does not know) and checks the result
    /// against a read of the whole group; returns the names it got.
    @discardableResult
    static func expectSame(
        _ index: inout GroupIndex, _ listing: [String], bad: Set<String> = [], vanished: Set<String> = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [String] {
        let wanted = listing.filter { MemberName($0) != nil && !index.known.contains($0) && !vanished.contains($0) }
        let fetched = Dictionary(uniqueKeysWithValues: wanted.map { ($0, entry($0, bad: bad)) })
        index.apply(children: listing, pzxid: 77, fetched: fetched)
        var entries: [String: GroupMembers.Entry] = [:]
        for child in listing where MemberName(child) != nil && !vanished.contains(child) {
            entries[child] = entry(child, bad: bad)
        }
        let whole = GroupMembers(basePath: base, children: listing, pzxid: 77, entries: entries)
        let read = index.read()
        #expect(read == whole, sourceLocation: sourceLocation)
        #expect(read.hazards == whole.hazards, sourceLocation: sourceLocation)
        #expect(read.ranking.members == whole.ranking.members, sourceLocation: sourceLocation)
        #expect(read.ranking.valid == whole.ranking.valid, sourceLocation: sourceLocation)
        #expect(read.ids == whole.ids, sourceLocation: sourceLocation)
        for member in whole.ranking.members {
            #expect(read.ranking.member(named: member.name) == member, sourceLocation: sourceLocation)
        }
        return Array(fetched.keys)
    }

    @Test("joins, departures and foreign children read as a read of the whole group does")
    func sameAsWholeRead() {
        var index = GroupIndex(basePath: Self.base)
        let plain = (1...40).map(H.name)
        var listing = plain.shuffled()
        #expect(Self.expectSame(&index, listing).count == 40)
        // The leader leaves, a newcomer joins: only the newcomer is read.
        listing.removeAll { $0 == H.name(1) }
        listing.append(H.name(41))
        #expect(Self.expectSame(&index, listing) == [H.name(41)])
        // Departures only: nothing is read.
        listing.removeAll { [H.name(2), H.name(17), H.name(41)].contains($0) }
        #expect(Self.expectSame(&index, listing).isEmpty)
        // Foreign children of every kind, a garbage candidate at the bottom, a shared sequence.
        let foreign = [
            "log_replicas", "herald", "info_0000000005", "0000000006", "x_+7", "json.info_8", "json.info_-000000003",
            "info_0000000010", "json.info_0000000001", "zz_0000000012",
        ]
        listing += foreign
        Self.expectSame(&index, listing.shuffled(), bad: ["json.info_0000000001"])
        // The garbage lowest leaves: the next one's data is judged.
        listing.removeAll { $0 == "json.info_0000000001" || $0 == "json.info_-000000003" }
        Self.expectSame(&index, listing)
        // One that vanished between the listing and its get.
        listing.append(H.name(0))
        Self.expectSame(&index, listing, vanished: [H.name(0)])
        listing.removeAll { $0 == H.name(0) || foreign.contains($0) }
        Self.expectSame(&index, listing.shuffled())
        #expect(index.read().hazards.isEmpty)
        #expect(index.records.count == listing.count)
    }

    @Test("a deletion seen on its own drops the member without a listing")
    func dropWithoutListing() {
        var index = GroupIndex(basePath: Self.base)
        let listing = (3...9).map(H.name) + ["herald", "info_0000000004"]
        Self.expectSame(&index, listing)
        index.drop(H.name(3))
        let rest = listing.filter { $0 != H.name(3) }
        let members = rest.filter { MemberName($0) != nil }
        let entries = Dictionary(uniqueKeysWithValues: members.map { ($0, Self.entry($0)) })
        let whole = GroupMembers(basePath: Self.base, children: rest, pzxid: 77, entries: entries)
        #expect(index.read() == whole)
        #expect(index.read().hazards == whole.hazards)
        #expect(!index.known.contains(H.name(3)))
    }

    @Test("the driver never gets a member it knows, and a departure gets nothing")
    func driverReadsOnlyNewMembers() {
        var h = H()
        h.setUp(H.both)
        // The children watch fires: the read asks only for members it does not know.
        var effects = h.send(.watchFired(generation: 1))
        #expect(Self.known(effects) == [H.name(1), H.name(2)])
        let joined = [(1, H.otherInfo, H.otherSession), (2, H.myInfo, H.ownSession), (3, H.otherInfo, H.otherSession)]
        var result = H.result(joined, sentAt: h.now)
        result.fetched = result.fetched.filter { $0.key == H.name(3) }
        h.send(.readDone(generation: 1, result))
        effects = h.send(.watchFired(generation: 1))
        #expect(Self.known(effects) == [H.name(1), H.name(2), H.name(3)])
        // The leader leaves: the listing names no member to get, and the decision is made.
        result = H.result(Array(joined.dropFirst()), sentAt: h.now)
        result.fetched = [:]
        h.send(.readDone(generation: 1, result))
        #expect(h.decisions == ["elected \(H.name(2))"])
        effects = h.send(.watchFired(generation: 1))
        #expect(Self.known(effects) == [H.name(2), H.name(3)])
    }

    static func known(_ effects: [Effect]) -> Set<String>? {
        for effect in effects { if case .read(_, _, _, let known) = effect { return known } }
        return nil
    }

    @Test("on the ensemble: a join costs one get, a departure none, and no member is got twice")
    func getsOnTheEnsemble() async throws {
        let base = try await ElectionHarness.freshBase()
        try await withClient { client in
            var nodes: [String] = []
            for index in 0..<20 {
                let (path, _) = try await client.create(
                    base + "/json.info_", data: ElectionHarness.info(index).encoded(), mode: .ephemeralSequential)
                nodes.append(path)
            }
            let created = nodes
            let observer = try ElectionHarness.group(base: base, required: 1)
            try await ElectionHarness.running([observer]) {
                try await ElectionHarness.view(of: observer, "20 candidates") { $0.present == 20 }
                let gets = { (statistics: ElectionGroup.Statistics) in statistics.requests - statistics.reads }
                #expect(gets(observer.statistics) == 20, "one get per member")
                var before = observer.statistics
                _ = try await client.create(
                    base + "/json.info_", data: ElectionHarness.info(20).encoded(), mode: .ephemeralSequential)
                try await ElectionHarness.view(of: observer, "a joined candidate") { $0.present == 21 }
                #expect(gets(observer.statistics) - gets(before) == 1, "a join gets the newcomer only")
                for (count, path) in zip([20, 19, 18], created.prefix(3)) {
                    before = observer.statistics
                    try await client.delete(path)
                    try await ElectionHarness.view(of: observer, "a departure") { $0.present == count }
                    #expect(gets(observer.statistics) == gets(before), "a departure gets nothing")
                    #expect(observer.statistics.reads > before.reads, "the departure was listed")
                }
                #expect(observer.view.leader?.path == created[3])
            }
        }
    }
}
