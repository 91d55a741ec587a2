import ElectionModel
import Testing

@testable import HeraldService

/// The cuts a hook's output goes through before the log, without processes.
@Suite("HookOutput")
struct HookOutputTests {
    @Test("lines are split per stream, across chunks, without CR and with the last partial line")
    func splitting() {
        var output = HookOutput()
        var events = output.append(Array("one\r\ntw".utf8), from: .stdout)
        events += output.append(Array("err".utf8), from: .stderr)
        events += output.append(Array("o\n\nthree".utf8), from: .stdout)
        events += output.finish()
        #expect(
            events == [
                .line(.stdout, "one", truncated: false), .line(.stdout, "two", truncated: false),
                .line(.stdout, "", truncated: false), .line(.stdout, "three", truncated: false),
                .line(.stderr, "err", truncated: false),
            ])
    }

    @Test("a long line is cut at the line limit and its rest skipped")
    func longLine() {
        var output = HookOutput(lineLimit: 4, totalLimit: 100)
        let events = output.append(Array("abcdefgh\nxy\n".utf8), from: .stdout) + output.finish()
        #expect(events == [.line(.stdout, "abcd", truncated: true), .line(.stdout, "xy", truncated: false)])
    }

    @Test("past the total limit nothing more is logged, and that is said once")
    func totalLimit() {
        var output = HookOutput(lineLimit: 100, totalLimit: 10)
        var events = output.append(Array("12345\n67890\nmore\n".utf8), from: .stdout)
        events += output.append(Array("and more\n".utf8), from: .stderr)
        events += output.finish()
        #expect(
            events == [
                .line(.stdout, "12345", truncated: false), .line(.stdout, "67890", truncated: false),
                .limitReached(10),
            ])
        #expect(output.exhausted)
    }

    @Test("invalid UTF-8 still gives a line")
    func invalidUTF8() {
        var output = HookOutput()
        let events = output.append([0x61, 0xFF, 0x62, 0x0A], from: .stderr)
        #expect(events == [.line(.stderr, "a\u{FFFD}b", truncated: false)])
    }
}

/// The environment a hook gets, built from synthetic election values.
@Suite("Hook environment")
struct HookEnvironmentTests {
    @Test("every name is present, empty when it does not apply")
    func noLeader() {
        let view = ElectionView(
            state: .noQuorum, candidates: [Fixtures.first], required: 2,
            connection: ConnectionInfo(state: .connected, sessionTimeout: .seconds(10)))
        let environment = Hook.environment(
            for: .leaderChanged(from: Fixtures.first, to: nil), view: view, role: .observer)
        #expect(
            environment == [
                "HERALD_EVENT": "leader_change", "HERALD_STATE": "no_quorum", "HERALD_ROLE": "observer",
                "HERALD_LEADER": "", "HERALD_LEADER_HOSTNAME": "", "HERALD_LEADER_NODE": "", "HERALD_EPOCH": "",
                "HERALD_PREVIOUS_LEADER": "10.0.0.1:5050", "HERALD_REASON": "",
            ])
    }

    @Test("elected takes the node and epoch from the event")
    func elected() {
        let environment = Hook.environment(
            for: .elected(ContenderID(2), node: Fixtures.second.node, epoch: 99),
            view: Fixtures.electedView(leader: Fixtures.first), role: .leader)
        #expect(environment["HERALD_LEADER"] == "10.0.0.2:5050")
        #expect(environment["HERALD_LEADER_NODE"] == "/mesos/json.info_0000000042")
        #expect(environment["HERALD_EPOCH"] == "99")
    }

    @Test("events map to hooks; the others fire none")
    func mapping() {
        #expect(Hook(.demoted(ContenderID(1), reason: .sessionExpired)) == .demoted)
        #expect(Hook(.quorumRegained(present: 2, required: 2)) == nil)
        #expect(Hook(.viewChanged(Fixtures.electedView())) == nil)
        #expect(
            Hook.environment(
                for: .demoted(ContenderID(1), reason: .sessionExpired), view: Fixtures.electedView(), role: .candidate
            )["HERALD_REASON"] == "session_expired")
    }
}
