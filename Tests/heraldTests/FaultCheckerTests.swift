import Foundation
import HeraldTestSupport
import Testing

/// The fault suite's checker, on written histories: a clean one passes, and each invariant has a
/// history that breaks it and is reported with the hosts and the interval.
@Suite("Fault history checker")
struct FaultCheckerTests {
    static let ms: Int64 = 1_000_000
    static let rules = FaultHistory.Rules(convergence: 6000 * ms)

    /// A clean failover: l1 leads, is cut off, demotes; l2 is elected after; everyone converges.
    static let clean = """
        1000000000 l1 hook event=elected phase=start epoch=10
        1001000000 l1 hook event=elected phase=end epoch=10
        1002000000 l1 snapshot rev=3 state=elected leader=l1 epoch=10 stale=0 role=leader zk=connected
        1002000000 f1 snapshot rev=2 state=elected leader=l1 epoch=10 stale=0 role=observer zk=connected
        2000000000 test fault what=cut-l1
        3600000000 l1 snapshot rev=4 state=elected leader=l1 epoch=10 stale=1 role=candidate zk=connecting
        3600000000 l1 hook event=demoted phase=start epoch=10
        3610000000 l1 hook event=demoted phase=end epoch=10
        4100000000 l2 hook event=elected phase=start epoch=20
        4100000000 l2 snapshot rev=5 state=elected leader=l2 epoch=20 stale=0 role=leader zk=connected
        4101000000 f1 snapshot rev=3 state=elected leader=l2 epoch=20 stale=0 role=observer zk=connected
        5000000000 test heal
        6000000000 l1 snapshot rev=5 state=elected leader=l2 epoch=20 stale=0 role=candidate zk=connected
        7000000000 l1 rss kb=30000
        7000000000 l1 alive ok=1
        7000000000 test truth leader=l2 epoch=20
        8000000000 l1 process what=stopped status=0
        8000000000 test ephemerals count=0
        """

    static func history(_ text: String) -> FaultHistory { FaultHistory(text: text) }

    static func replacing(_ old: String, with new: String) -> FaultHistory {
        precondition(clean.contains(old), "the clean history has \(old)")
        return history(clean.replacingOccurrences(of: old, with: new))
    }

    @Test("a clean failover holds every invariant; lines round-trip; convergence is measured from the heal")
    func cleanHistory() {
        let history = Self.history(Self.clean)
        #expect(history.check(Self.rules).isEmpty, "\(history.check(Self.rules))")
        #expect(FaultHistory(text: history.text).events == history.events)
        #expect(history.hosts == ["f1", "l1", "l2"])
        #expect(history.convergence(Self.rules) == 1000 * Self.ms, "l1 agreed 1 s after the heal")
        let holdings = history.holdings(Self.rules)
        #expect(holdings.map(\.host) == ["l1", "l1", "l2", "l2"])
    }

    @Test("1: a demoted hook that ends after the next leader's on_elected starts is two leaders, with the interval")
    func hookOverlap() throws {
        let history = Self.replacing(
            "3610000000 l1 hook event=demoted phase=end", with: "4150000000 l1 hook event=demoted phase=end")
        let violations = history.check(Self.rules)
        #expect(violations.map(\.invariant) == [1])
        let text = try #require(violations.first?.description)
        #expect(text.contains("from 4100000000 until 4150000000"), "\(text)")
        #expect(text.contains("l1 ran on_elected") && text.contains("l2 ran on_elected"), "\(text)")
    }

    @Test("1: a socket that still shows itself leading, not stale, while another host leads is two leaders")
    func socketOverlap() {
        let history = Self.replacing(
            "3600000000 l1 snapshot rev=4 state=elected leader=l1 epoch=10 stale=1 role=candidate",
            with: "4200000000 l1 snapshot rev=4 state=elected leader=l1 epoch=10 stale=1 role=candidate")
        let violations = history.check(Self.rules)
        #expect(violations.map(\.invariant) == [1])
        #expect(violations.first?.description.contains("socket claimed to lead") == true)
    }

    @Test("1: a frozen leader holds nothing while frozen, but a slow on_demoted after the resume overlaps")
    func freeze() {
        let frozen = """
            1000000000 l1 hook event=elected phase=start epoch=10
            1000000000 l1 snapshot rev=3 state=elected leader=l1 epoch=10 stale=0 role=leader zk=connected
            2000000000 l1 process what=frozen
            4500000000 l2 hook event=elected phase=start epoch=20
            4500000000 l2 snapshot rev=4 state=elected leader=l2 epoch=20 stale=0 role=leader zk=connected
            8000000000 l1 process what=thawed
            8000000000 test heal
            8000000000 l1 snapshot rev=4 state=no_leader leader=- epoch=- stale=0 role=candidate zk=connecting
            8005000000 l1 hook event=demoted phase=start epoch=10
            8006000000 l1 hook event=demoted phase=end epoch=10
            9000000000 l1 snapshot rev=5 state=elected leader=l2 epoch=20 stale=0 role=candidate zk=connected
            9000000000 test truth leader=l2 epoch=20
            9000000000 test ephemerals count=0
            """
        #expect(Self.history(frozen).check(Self.rules).isEmpty, "\(Self.history(frozen).check(Self.rules))")
        let slow = frozen.replacingOccurrences(
            of: "8005000000 l1 hook event=demoted phase=start", with: "8400000000 l1 hook event=demoted phase=start")
        #expect(Self.history(slow).check(Self.rules).map(\.invariant) == [1], "a resumed host demoting after 400 ms")
        let claims = frozen.replacingOccurrences(
            of: "8000000000 l1 snapshot rev=4 state=no_leader leader=- epoch=- stale=0 role=candidate",
            with: "8000000000 l1 snapshot rev=4 state=elected leader=l1 epoch=10 stale=0 role=leader")
        #expect(Self.history(claims).check(Self.rules).map(\.invariant) == [1], "a resumed socket claiming to lead")
    }

    @Test("1: a killed leader holds nothing after its death")
    func killed() {
        let history = Self.replacing("2000000000 test fault what=cut-l1", with: "2000000000 l1 process what=killed")
            .events.filter { !($0.host == "l1" && $0.time > 2_000_000_000) }
        let violations = FaultHistory(events: history).check(Self.rules)
        #expect(!violations.contains { $0.invariant == 1 }, "\(violations)")
    }

    @Test("2: an epoch going backwards on one socket")
    func epochBackwards() {
        let history = Self.replacing(
            "4101000000 f1 snapshot rev=3 state=elected leader=l2 epoch=20",
            with: "4101000000 f1 snapshot rev=3 state=elected leader=l2 epoch=9")
        let violations = history.check(Self.rules)
        #expect(violations.contains { $0.invariant == 2 && $0.description.contains("f1's socket went from epoch 10") })
    }

    @Test("3: a socket that disagrees with the truth at the end, or agrees too late")
    func convergence() {
        let wrong = Self.replacing(
            "6000000000 l1 snapshot rev=5 state=elected leader=l2 epoch=20 stale=0",
            with: "6000000000 l1 snapshot rev=5 state=elected leader=l2 epoch=20 stale=1")
        #expect(wrong.check(Self.rules).map(\.invariant) == [3])
        #expect(wrong.convergence(Self.rules) == nil)
        let late = Self.replacing("6000000000 l1 snapshot", with: "6999000000 l1 snapshot")
        let tight = FaultHistory.Rules(convergence: 1500 * Self.ms)
        #expect(late.check(tight).map(\.invariant) == [3])
        #expect(late.check(tight).first?.description.contains("1999 ms after the heal") == true)
        #expect(
            Self.history(Self.clean.replacingOccurrences(of: "7000000000 test truth leader=l2 epoch=20\n", with: ""))
                .check(Self.rules).map(\.invariant) == [3])
    }

    @Test("4: a process that exits, does not answer, or grows past the bound")
    func health() {
        #expect(
            Self.replacing("7000000000 l1 alive ok=1", with: "7000000000 l1 alive ok=0").check(Self.rules)
                .map(\.invariant) == [4])
        #expect(
            Self.replacing("7000000000 l1 rss kb=30000", with: "7000000000 l1 rss kb=900000").check(Self.rules)
                .map(\.invariant) == [4])
        #expect(Self.replacing("status=0", with: "status=134").check(Self.rules).map(\.invariant) == [4])
    }

    @Test("5: ephemeral nodes left, or never counted")
    func leftovers() {
        let left = Self.replacing("ephemerals count=0", with: "ephemerals count=1 paths=/m/json.info_0000000003")
        #expect(left.check(Self.rules).map(\.invariant) == [5])
        #expect(left.check(Self.rules).first?.description.contains("json.info_0000000003") == true)
        #expect(
            Self.replacing("8000000000 test ephemerals count=0", with: "").check(Self.rules).map(\.invariant) == [5])
    }
}
