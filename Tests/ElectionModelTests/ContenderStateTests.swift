import ElectionModel
import Testing

@Suite("Contender state machine")
struct ContenderStateTests {
    typealias Phase = ContenderState.Phase
    typealias Action = ContenderState.Action

    static let own = ContenderState.OwnNode(name: "json.info_0000000005", sequence: 5, czxid: 0x1_0000_0010, session: 1)

    static func member(_ sequence: Int32, owner: Int64, czxid: Int64 = 1, valid: Bool = true) -> MemberRanking.Member {
        .init(
            name: "json.info_" + String(repeating: "0", count: 10 - "\(sequence)".count) + "\(sequence)",
            sequence: sequence, ephemeralOwner: owner, czxid: czxid, isValid: valid)
    }

    /// A group where the own node (sequence 5, session 1) is lowest of three valid members.
    static let leading = MemberRanking(members: [
        member(5, owner: 1, czxid: own.czxid), member(7, owner: 2), member(9, owner: 3),
    ])
    /// A group where another session's node (sequence 3) is lower.
    static let following = MemberRanking(members: [
        member(3, owner: 9), member(5, owner: 1, czxid: own.czxid),
    ])

    /// Drives a fresh machine (required = 2) into each phase through real events only.
    enum Start: String, CaseIterable, CustomStringConvertible {
        case idle, waitingForSession, joining, candidate, leader, suspended, expired
        var description: String { rawValue }

        func make() -> ContenderState {
            var state = ContenderState(required: 2)
            switch self {
            case .idle:
                _ = state.handle(.session(.connected(id: 1)))
            case .waitingForSession:
                _ = state.handle(.start)
            case .joining:
                _ = state.handle(.session(.connected(id: 1)))
                _ = state.handle(.start)
            case .candidate, .leader, .suspended:
                _ = state.handle(.session(.connected(id: 1)))
                _ = state.handle(.start)
                _ = state.handle(.created(ContenderStateTests.own))
                _ = state.handle(
                    .ranking(self == .leader ? ContenderStateTests.leading : ContenderStateTests.following))
                if self == .suspended { _ = state.handle(.session(.disconnected)) }
            case .expired:
                _ = state.handle(.start)
                _ = state.handle(.session(.expired))
            }
            return state
        }
    }

    @Test("each start phase is reached as intended", arguments: Start.allCases)
    func startPhases(start: Start) {
        let expected: [Start: Phase] = [
            .idle: .idle, .waitingForSession: .waitingForSession, .joining: .joining,
            .candidate: .candidate(Self.own), .leader: .leader(Self.own, epoch: Self.own.czxid),
            .suspended: .suspended(Self.own), .expired: .expired,
        ]
        #expect(start.make().phase == expected[start])
    }

    static let sessionEvents: [ContenderState.Session] = [
        .connected(id: 1), .connected(id: 2), .readOnly(id: 1), .disconnected, .expired,
    ]

    /// The whole table: every session event in every phase, with the phase and actions after it.
    static let table: [Start: [(Phase, [Action])]] = [
        .idle: [(.idle, []), (.idle, []), (.idle, []), (.idle, []), (.idle, [])],
        .waitingForSession: [
            (.joining, [.createCandidate]), (.joining, [.createCandidate]), (.waitingForSession, []),
            (.waitingForSession, []), (.expired, []),
        ],
        .joining: [(.joining, []), (.joining, []), (.joining, []), (.joining, []), (.expired, [])],
        .candidate: [
            (.candidate(own), []), (.joining, [.createCandidate]), (.suspended(own), []), (.suspended(own), []),
            (.expired, []),
        ],
        .leader: [
            (.leader(own, epoch: own.czxid), []), (.joining, [.demoted(.nodeLost), .createCandidate]),
            (.suspended(own), [.demoted(.readOnly)]), (.suspended(own), [.demoted(.disconnected)]),
            (.expired, [.demoted(.sessionExpired)]),
        ],
        .suspended: [
            (.candidate(own), []), (.joining, [.createCandidate]), (.suspended(own), []), (.suspended(own), []),
            (.expired, []),
        ],
        .expired: [
            (.joining, [.createCandidate]), (.joining, [.createCandidate]), (.expired, []), (.expired, []),
            (.expired, []),
        ],
    ]

    @Test("every session event in every phase", arguments: Start.allCases)
    func sessionEventsInEveryPhase(start: Start) throws {
        let rows = try #require(Self.table[start])
        for (event, (phase, actions)) in zip(Self.sessionEvents, rows) {
            var state = start.make()
            let produced = state.handle(.session(event))
            #expect(state.phase == phase, "\(start) + \(event)")
            #expect(produced == actions, "\(start) + \(event)")
        }
    }

    @Test("elected only as the lowest valid member with a quorum, with its czxid as epoch")
    func election() {
        var state = ContenderState(required: 2)
        _ = state.handle(.session(.connected(id: 1)))
        #expect(state.handle(.start) == [.createCandidate])
        #expect(state.handle(.created(Self.own)) == [])  // no view yet
        let alone = MemberRanking(members: [Self.member(5, owner: 1, czxid: Self.own.czxid)])
        #expect(state.handle(.ranking(alone)) == [])  // present 1 < required 2
        #expect(!state.isLeader)
        #expect(state.handle(.ranking(Self.leading)) == [.elected(epoch: Self.own.czxid)])
        #expect(state.handle(.ranking(Self.leading)) == [])  // no repeated announcement
        #expect(state.handle(.ranking(alone)) == [.demoted(.noQuorum)])
    }

    @Test("invalid members are skipped for the decision and do not count toward the quorum")
    func invalidMembersSkipped() {
        var state = Start.candidate.make()
        let view = MemberRanking(members: [
            Self.member(2, owner: 8, valid: false), Self.member(5, owner: 1, czxid: Self.own.czxid),
            Self.member(6, owner: 7, valid: false),
        ])
        #expect(state.handle(.ranking(view)) == [])  // lowest valid, but present 1 < 2
        let withPeer = MemberRanking(members: view.members + [Self.member(8, owner: 4)])
        #expect(state.handle(.ranking(withPeer)) == [.elected(epoch: Self.own.czxid)])
    }

    @Test("a lower node appearing demotes the leader; its own node vanishing makes it contend again")
    func demotions() {
        var state = Start.leader.make()
        #expect(state.handle(.ranking(Self.following)) == [.demoted(.notLowest)])
        #expect(state.phase == .candidate(Self.own))
        var leader = Start.leader.make()
        let gone = MemberRanking(members: [Self.member(7, owner: 2), Self.member(9, owner: 3)])
        #expect(leader.handle(.ranking(gone)) == [.demoted(.nodeLost), .createCandidate])
        #expect(leader.phase == .joining)
        var owned = Start.leader.make()
        let stolen = MemberRanking(members: [
            Self.member(5, owner: 42, czxid: Self.own.czxid), Self.member(7, owner: 2),
        ])
        #expect(owned.handle(.ranking(stolen)) == [.demoted(.nodeLost), .createCandidate])
    }

    @Test("after a reconnect the old view is not trusted: leadership resumes only on a fresh view")
    func resumeOnFreshView() {
        var state = Start.leader.make()
        #expect(state.handle(.session(.disconnected)) == [.demoted(.disconnected)])
        #expect(state.ranking == nil)
        #expect(state.handle(.session(.connected(id: 1))) == [])
        #expect(state.phase == .candidate(Self.own))
        #expect(state.handle(.ranking(Self.leading)) == [.elected(epoch: Self.own.czxid)])
    }

    @Test("a view delivered while disconnected is ignored")
    func staleViewIgnored() {
        var state = Start.suspended.make()
        #expect(state.handle(.ranking(Self.leading)) == [])
        #expect(state.ranking == nil)
        #expect(!state.isLeader)
    }

    @Test("abdication stops leading at once, then deletes the own node", arguments: Start.allCases)
    func abdication(start: Start) {
        var state = start.make()
        let actions = state.handle(.abdicate)
        #expect(state.phase == .idle)
        switch start {
        case .leader: #expect(actions == [.demoted(.abdicated), .delete(Self.own.name)])
        case .candidate, .suspended: #expect(actions == [.delete(Self.own.name)])
        default: #expect(actions.isEmpty)
        }
    }

    @Test("create results: adopted in the current session, removed after abdication, kept across a disconnect")
    func createResults() {
        var abdicated = Start.joining.make()
        _ = abdicated.handle(.abdicate)
        #expect(abdicated.handle(.created(Self.own)) == [.delete(Self.own.name)])

        var disconnected = Start.joining.make()
        _ = disconnected.handle(.session(.disconnected))
        #expect(disconnected.handle(.created(Self.own)) == [])
        #expect(disconnected.phase == .suspended(Self.own))

        var otherSession = Start.joining.make()
        _ = otherSession.handle(.session(.connected(id: 2)))
        #expect(otherSession.handle(.created(Self.own)) == [.createCandidate])

        var failed = Start.joining.make()
        #expect(failed.handle(.createFailed) == [.createCandidate])
        _ = failed.handle(.session(.disconnected))
        #expect(failed.handle(.createFailed) == [])
        #expect(failed.phase == .waitingForSession)
        #expect(failed.handle(.session(.connected(id: 1))) == [.createCandidate])
    }
}

extension ContenderStateTests {
    @Test("a listing taken before the own node was created decides nothing; a later one does")
    func listingOlderThanOwnNode() {
        var state = ContenderState(required: 1)
        _ = state.handle(.session(.connected(id: 1)))
        _ = state.handle(.start)
        _ = state.handle(.created(Self.own))
        // Listed before the create: the own node cannot be in it, which is not a loss.
        let before = MemberRanking(members: [Self.member(3, owner: 9)], pzxid: Self.own.czxid - 1)
        #expect(state.handle(.ranking(before)) == [])
        #expect(state.phase == .candidate(Self.own))
        let after = MemberRanking(
            members: [Self.member(5, owner: 1, czxid: Self.own.czxid)], pzxid: Self.own.czxid)
        #expect(state.handle(.ranking(after)) == [.elected(epoch: Self.own.czxid)])
        // A later listing without the node: it is lost.
        let lost = MemberRanking(members: [], pzxid: Self.own.czxid + 5)
        #expect(state.handle(.ranking(lost)) == [.demoted(.nodeLost), .createCandidate])
    }
}
