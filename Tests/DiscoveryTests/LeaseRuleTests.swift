import Discovery
import ElectionModel
import NIOCore
import Testing

/// The lease rule on what the socket shows (DESIGN.md "One lease clock"): pure snapshots at
/// chosen instants, then the store re-ageing a snapshot with no new input.
@Suite("The lease rule on snapshots")
struct LeaseRuleTests {
    static let timeout = Duration.seconds(2)

    /// Leader m1 (id-1) elected, last contact `age` before `now`; this host is `own` (an id).
    static func input(age: Duration?, own: String?, role: Snapshot.Publisher.Role, now: ContinuousClock.Instant)
        -> SnapshotInput
    {
        var view = Fixtures.view()
        view.connection.sessionTimeout = timeout
        view.contact = age.map { now - $0 }
        var input = Fixtures.input(view)
        input.publisher.role = role
        input.ownID = own
        return input
    }

    @Test(
        "this host as leader: shown while the lease holds, stale after ⅔ T, hidden from D, no leader after T",
        arguments: [
            (Duration.milliseconds(100), String?("m1"), false, Snapshot.Publisher.Role.leader, Snapshot.State.elected),
            (Duration.milliseconds(1400), "m1", true, .leader, .elected),
            (Duration.milliseconds(1600), nil, false, .candidate, .noLeader),
            (Duration.milliseconds(1999), nil, false, .candidate, .noLeader),
            (Duration.milliseconds(2000), nil, false, .candidate, .disconnected),
        ])
    func ownLeadership(
        age: Duration, leader: String?, stale: Bool, role: Snapshot.Publisher.Role, state: Snapshot.State
    ) {
        let now = ContinuousClock.now
        let snapshot = Snapshot(
            input: Self.input(age: age, own: "id-1", role: .leader, now: now), revision: 1, now: now)
        #expect(snapshot.leader?.hostname == leader)
        #expect(snapshot.stale == stale)
        #expect(snapshot.publisher.role == role)
        #expect(snapshot.state == state)
        if state == .disconnected { #expect(snapshot.zookeeper.state == "connecting") }
    }

    @Test("this host demoted (role candidate) never shows itself as leader, even on a fresh view")
    func demotedHidesItself() {
        let now = ContinuousClock.now
        let snapshot = Snapshot(
            input: Self.input(age: .milliseconds(10), own: "id-1", role: .candidate, now: now), revision: 1, now: now)
        #expect(snapshot.leader == nil)
        #expect(snapshot.state == .noLeader)
    }

    @Test("another host's leadership goes stale by the same clock on an observer")
    func observerView() {
        let now = ContinuousClock.now
        func shown(_ age: Duration) -> Snapshot {
            Snapshot(input: Self.input(age: age, own: nil, role: .observer, now: now), revision: 1, now: now)
        }
        #expect(shown(.milliseconds(1300)).leader?.hostname == "m1")
        #expect(shown(.milliseconds(1300)).stale == false)
        #expect(shown(.milliseconds(1400)).stale == true)
        #expect(shown(.milliseconds(1900)).leader?.hostname == "m1")
        #expect(shown(.milliseconds(2100)).leader == nil)
        #expect(shown(.milliseconds(2100)).state == .disconnected)
    }

    @Test("the store ages a watched snapshot on its own: stale, then no leader, with no new input")
    func storeAgesOnItsOwn() async throws {
        // Stale after ⅔ T (4 s), no leader after T (6 s), both counted from the last contact.
        // How long the server takes to start is not up to the test on a loaded machine, so the
        // first snapshot is judged by its own age, and the rest must follow on their own.
        var view = Fixtures.view()
        view.connection.sessionTimeout = .seconds(6)
        let contact = ContinuousClock.now
        view.contact = contact
        try await withServer(initial: Fixtures.input(view)) { server, path in
            var client = try await TestClient.connect(path)
            try await client.send("{\"op\":\"watch\"}\n")
            let first = try await client.nextSnapshot()
            if ContinuousClock.now - contact < .milliseconds(3500) {
                #expect(first.leader?.hostname == "m1" && !first.stale, "fresh while younger than ⅔ T")
            }
            var seen = [first]
            while seen.count < 4, seen.last?.leader != nil {
                seen.append(try await client.nextSnapshot(within: .seconds(10)))
            }
            let states = seen.map { $0.leader == nil ? "none" : $0.stale ? "stale" : "fresh" }
            #expect(["fresh stale none", "stale none"].contains(states.joined(separator: " ")), "\(states)")
            #expect(seen.map(\.revision) == Array(first.revision..<(first.revision + UInt64(seen.count))))
            #expect(seen.last?.state == .disconnected)
            #expect(server.current.revision == seen.last?.revision)
        }
    }

    @Test("get serves the snapshot aged to the moment it is asked")
    func getIsAged() async throws {
        var view = Fixtures.view()
        view.connection.sessionTimeout = .seconds(2)
        view.contact = .now - .seconds(3)
        try await withServer(initial: Fixtures.input(view)) { _, path in
            var client = try await TestClient.connect(path)
            try await client.send("{\"op\":\"get\"}\n")
            let snapshot = try await client.nextSnapshot()
            #expect(snapshot.leader == nil)
            #expect(snapshot.state == .disconnected)
        }
    }
}
