import ElectionModel
import MesosLayout
import Testing

@Suite("Observer state machine")
struct ObserverStateTests {
    static let base = "/mesos"

    static func entry(_ info: MasterInfo?, czxid: Int64, owner: Int64 = 7) -> GroupMembers.Entry {
        GroupMembers.Entry(
            data: info?.encoded() ?? Array("garbage".utf8), stat: MemberStat(czxid: czxid, ephemeralOwner: owner))
    }

    static func info(_ n: Int) -> MasterInfo {
        MasterInfo(id: "id-\(n)", ipv4: "10.0.0.\(n)", port: 5050, hostname: "m\(n)", version: "1.11.0")
    }

    /// A read with valid candidates at the given sequences (czxid = 100 + sequence).
    static func read(_ sequences: [Int32], invalid: [Int32] = []) -> GroupMembers {
        var entries: [String: GroupMembers.Entry] = [:]
        var children: [String] = ["log_replicas"]
        for sequence in sequences {
            let name = MemberName(label: "json.info", sequence: sequence).name
            children.append(name)
            entries[name] = entry(info(Int(sequence)), czxid: 100 + Int64(sequence))
        }
        for sequence in invalid {
            let name = MemberName(label: "json.info", sequence: sequence).name
            children.append(name)
            entries[name] = entry(nil, czxid: 100 + Int64(sequence))
        }
        return GroupMembers(basePath: base, children: children, entries: entries)
    }

    static func connected() -> ObserverState {
        var state = ObserverState(required: 2, sessionTimeout: .seconds(10))
        _ = state.handle(.connected(server: "127.0.0.1:2181", sessionTimeout: .seconds(4), sessionID: 9))
        return state
    }

    @Test("before any read: disconnected, no leader")
    func initial() {
        let state = ObserverState(required: 2, sessionTimeout: .seconds(10))
        #expect(state.view.state == .disconnected)
        #expect(state.view.leader == nil)
        #expect(state.view.connection.state == .connecting)
        #expect(state.view.connection.sessionTimeout == .seconds(10))
    }

    @Test("the lowest valid candidate leads with its czxid as epoch, once present >= required")
    func elected() throws {
        var state = Self.connected()
        let viewResult = state.handle(.read(Self.read([3, 5, 8])))
        let view = try #require(viewResult)
        #expect(view.state == .elected)
        #expect(view.leader?.node == "json.info_0000000003")
        #expect(view.leader?.epoch == 103)
        #expect(view.leader?.path == "/mesos/json.info_0000000003")
        #expect(view.candidates.map(\.sequence) == [3, 5, 8])
        #expect(view.present == 3)
        #expect(
            view.connection
                == ConnectionInfo(
                    state: .connected, server: "127.0.0.1:2181", sessionTimeout: .seconds(4), sessionID: 9))
        let result1 = state.handle(.read(Self.read([3, 5, 8])))
        #expect(result1 == nil, "an identical read changes nothing")
    }

    @Test("fewer valid candidates than required: no_quorum and no leader; none at all: no_leader")
    func quorum() {
        var state = Self.connected()
        let result2 = state.handle(.read(Self.read([4], invalid: [2])))
        #expect(result2?.state == .noQuorum)
        #expect(state.view.leader == nil)
        #expect(state.view.invalid.map(\.node) == ["json.info_0000000002"])
        let result3 = state.handle(.read(Self.read([])))
        #expect(result3?.state == .noLeader)
    }

    @Test("invalid members are skipped: the lowest valid one leads")
    func invalidSkipped() {
        var state = Self.connected()
        let view = state.handle(.read(Self.read([5, 6], invalid: [1])))
        #expect(view?.leader?.sequence == 5)
        #expect(view?.hazards.map(\.node) == ["json.info_0000000001"])
    }

    @Test("a lost connection keeps the last leader flagged stale; expiry drops it; reads only count when connected")
    func staleThenExpired() throws {
        var state = Self.connected()
        _ = state.handle(.read(Self.read([3, 5])))
        let staleResult = state.handle(.disconnected)
        let stale = try #require(staleResult)
        #expect(stale.state == .disconnected)
        #expect(stale.stale)
        #expect(stale.leader?.sequence == 3)
        #expect(stale.connection.state == .connecting)
        let result4 = state.handle(.read(Self.read([5, 8])))
        #expect(result4 == nil, "a read while disconnected is ignored")
        let expiredResult = state.handle(.expired)
        let expired = try #require(expiredResult)
        #expect(expired.leader == nil)
        #expect(!expired.stale)
        #expect(expired.candidates.isEmpty)
        #expect(expired.connection.state == .expired)
    }

    @Test("reconnecting keeps the stale leader until a fresh read")
    func reconnect() throws {
        var state = Self.connected()
        _ = state.handle(.read(Self.read([3, 5])))
        _ = state.handle(.disconnected)
        let backResult = state.handle(.connected(server: "127.0.0.1:2182", sessionTimeout: .seconds(4), sessionID: 9))
        let back = try #require(backResult)
        #expect(back.stale)
        #expect(back.state == .disconnected)
        #expect(state.awaitingRead)
        let freshResult = state.handle(.read(Self.read([5])))
        let fresh = try #require(freshResult)
        #expect(!fresh.stale)
        #expect(fresh.state == .noQuorum)
    }

    @Test("fencing: a leader with an epoch below one already announced is never announced")
    func fencing() throws {
        var state = Self.connected()
        _ = state.handle(.read(Self.read([5, 6])))
        #expect(state.highestEpoch == 105)
        _ = state.handle(.expired)
        _ = state.handle(.connected(server: "127.0.0.1:2183", sessionTimeout: .seconds(4), sessionID: 10))
        // A lagging server still lists an older leader.
        let laggingResult = state.handle(.read(Self.read([3, 5, 6])))
        let lagging = try #require(laggingResult)
        #expect(lagging.state == .noLeader)
        #expect(lagging.leader == nil)
        let result5 = state.handle(.read(Self.read([5, 6])))
        #expect(result5?.leader?.sequence == 5)
        let result6 = state.handle(.read(Self.read([6, 7])))
        #expect(result6?.leader?.epoch == 106)
    }

    @Test("a closed session reports closed with no leader")
    func closed() {
        var state = Self.connected()
        _ = state.handle(.read(Self.read([3, 5])))
        let view = state.handle(.closed)
        #expect(view?.connection.state == .closed)
        #expect(view?.leader == nil)
    }
}

@Suite("Group reads")
struct GroupMembersTests {
    @Test("members are classified; vanished ones are left out; non-members ignored")
    func classify() {
        let info = ObserverStateTests.info(1)
        let read = GroupMembers(
            basePath: "/mesos",
            children: [
                "json.info_0000000004", "json.info_0000000002", "info_0000000001", "log_replicas", "herald",
                "json.info_0000000009",
            ],
            pzxid: 55,
            entries: [
                "json.info_0000000004": ObserverStateTests.entry(info, czxid: 40, owner: 3),
                "json.info_0000000002": ObserverStateTests.entry(nil, czxid: 20),
                "info_0000000001": ObserverStateTests.entry(info, czxid: 10),
            ])
        #expect(read.candidates.map(\.node) == ["json.info_0000000004"])
        #expect(read.candidates.first?.ephemeralOwner == 3)
        #expect(read.candidates.first?.info == info)
        #expect(read.invalid.map(\.node) == ["info_0000000001", "json.info_0000000002"])
        #expect(read.invalid.first?.reason == #"label "info", not a json.info_ candidate"#)
        #expect(
            read.ranking.members.map(\.name) == ["info_0000000001", "json.info_0000000002", "json.info_0000000004"])
        #expect(read.ranking.members.map(\.isValid) == [false, false, true])
        #expect(read.ranking.pzxid == 55)
        #expect(read.ids == ["json.info_0000000004": info.id])
        // The lowest (info_) is Mesos-readable, so nothing breaks Mesos; pymesos takes info_ and
        // herald for the leader, and mesos-go disagrees with Mesos about the info_ node.
        #expect(read.hazards.map(\.node) == ["info_0000000001", "herald"], "\(read.hazards)")
        #expect(read.hazards.allSatisfy { $0.reason.contains("pymesos") })
    }

    @Test("a base path of / joins without a double slash")
    func rootJoin() {
        #expect(GroupMembers.join("/", "json.info_0000000001") == "/json.info_0000000001")
        #expect(GroupMembers.join("/mesos", "x") == "/mesos/x")
    }
}
