import Logging
import MesosLayout
import Testing

@testable import Election
@testable import ZooKeeper

/// One change in a group of 500 members, handled by the driver. `measuredChange` holds the change
/// alone, so that a profiler can take it apart from the set-up (callgrind:
/// `--toggle-collect='*measuredChange*'`).
@Suite("Group change cost")
struct GroupChangeCostTests {
    typealias H = DriverHarness

    static func info(_ sequence: Int) -> MasterInfo {
        MasterInfo(
            id: "id-\(sequence)", ipv4: "10.0.0.\(sequence % 250 + 1)", port: 5050, hostname: "m\(sequence)",
            version: nil)
    }

    /// 500 members, then one joins and the leader leaves in one listing: the work of one change.
    @Test("500 members: a change is handled")
    func fiveHundred() {
        var h = H()
        let members = (1...500).map { ($0, Self.info($0), $0 == 2 ? H.ownSession : H.otherSession) }
        h.setUp([(1, H.otherInfo, H.otherSession)] + members.dropFirst().map { ($0.0, $0.1, $0.2) })
        _ = h.send(.watchFired(generation: 1))
        var joined = H.result(members.dropFirst().map { $0 } + [(501, Self.info(501), H.otherSession)], sentAt: h.now)
        joined.fetched = joined.fetched.filter { $0.key == H.name(501) }
        Self.measuredChange(&h, joined)
        #expect(h.decisions == ["elected \(H.name(2))"])
    }

    @inline(never)
    static func measuredChange(_ h: inout H, _ result: ReadResult) {
        h.send(.readDone(generation: 1, result))
    }
}
