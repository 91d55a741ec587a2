import Testing

@testable import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// The pure parts of the connection cap: the clamp against the descriptor limit and the count's
/// state machine with its once-per-episode logging.
@Suite("connection limit arithmetic")
struct ConnectionLimitTests {
    @Test(
        "the cap keeps 256 descriptors free and is at least 1",
        arguments: [
            // (maximumConnections, soft limit, cap)
            (512, 100, 1),  // soft limit below the reserve
            (512, 256, 1),  // soft limit equal to the reserve
            (512, 257, 1),  // one above the reserve
            (512, 700, 444),  // above the reserve, below what the cap needs
            (512, 768, 512),  // exactly the cap plus the reserve
            (512, 1024, 512),  // above: the configured cap stands
            (512, 20_000, 512),
            (3, 1024, 3),
            (1, 0, 1),
            (512, Int.max, 512),  // an unlimited soft limit
        ])
    func clamp(maximumConnections: Int, softLimit: Int, cap: Int) {
        #expect(DescriptorBudget.reserved == 256)
        #expect(DescriptorBudget.connectionCap(maximumConnections: maximumConnections, softLimit: softLimit) == cap)
    }

    @Test("raising the soft descriptor limit leaves it at the hard one and reports what is in force")
    func raiseSoftLimit() throws {
        let limits = try #require(DescriptorBudget.raiseSoftLimit())
        var actual = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &actual) == 0)
        #expect(limits.soft == Int(clamping: actual.rlim_cur))
        #expect(limits.hard == Int(clamping: actual.rlim_max))
        #expect(limits.soft <= limits.hard)
        if let before = limits.raisedFrom { #expect(before < limits.soft) }
        // Idempotent: a second call has nothing to raise.
        #expect(DescriptorBudget.raiseSoftLimit()?.raisedFrom == nil)
    }

    @Test("admissions up to the cap, refusals beyond it, releases free slots")
    func counting() {
        var limit = ConnectionLimit(limit: 3)
        for _ in 0..<3 { #expect(limit.admit() == .admitted) }
        #expect(limit.open == 3)
        #expect(limit.admit() == .refused(limit: 3, warn: true))
        #expect(limit.admit() == .refused(limit: 3, warn: false))
        #expect(limit.open == 3, "refusals are not counted")
        #expect(limit.release() == .backUnder(open: 2, limit: 3, refused: 2))
        #expect(limit.admit() == .admitted)
        #expect(limit.admit() == .refused(limit: 3, warn: true), "a new episode warns again")
        for open in [2, 1, 0] {
            let release = limit.release()
            #expect(release == (open == 2 ? .backUnder(open: 2, limit: 3, refused: 1) : .quiet))
        }
        #expect(limit.open == 0)
    }

    @Test("an episode ends a tenth of the cap below it, so hovering at the cap logs nothing more")
    func hysteresis() {
        var limit = ConnectionLimit(limit: 100)
        #expect(limit.hysteresis == 10)
        for _ in 0..<100 { _ = limit.admit() }
        #expect(limit.admit() == .refused(limit: 100, warn: true))
        // One closes, one retry gets in, the next is refused: all quiet.
        for _ in 0..<20 {
            #expect(limit.release() == .quiet)
            #expect(limit.admit() == .admitted)
            #expect(limit.admit() == .refused(limit: 100, warn: false))
        }
        for _ in 0..<9 { #expect(limit.release() == .quiet) }
        #expect(limit.release() == .backUnder(open: 90, limit: 100, refused: 21))
        #expect(limit.release() == .quiet)
    }

    @Test("the cap is at least 1, also when set after start")
    func atLeastOne() {
        var limit = ConnectionLimit(limit: 0)
        #expect(limit.limit == 1)
        limit.limit = -5
        #expect(limit.limit == 1)
        limit.limit = 7
        #expect(limit.limit == 7)
    }
}
