import HeraldSupport
import Testing

@Suite("Backoff")
struct BackoffTests {
    @Test func doublesFromInitialUpToMaximum() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        let delays = (0..<9).map { backoff.delay(after: $0) }
        #expect(
            delays == [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000].map { Duration.milliseconds($0) })
    }

    @Test func theShiftsItReplaces() {
        // min(base << min(failures, cap), maximum), as each user computed it before.
        for (base, cap, maximum) in [(100, 6, 5000), (200, 5, 5000), (200, 8, 30_000)] {
            let backoff = Backoff(initial: .milliseconds(base), maximum: .milliseconds(maximum))
            for failures in 0..<40 {
                #expect(backoff.delay(after: failures) == .milliseconds(min(base << min(failures, cap), maximum)))
            }
        }
    }

    @Test func maximumIsAtLeastInitial() {
        let backoff = Backoff(initial: .seconds(2), maximum: .seconds(1))
        #expect(backoff.maximum == .seconds(2))
        #expect(backoff.delay(after: 0) == .seconds(2))
        #expect(backoff.delay(after: 5) == .seconds(2))
    }

    @Test func manyFailuresNeitherOverflowNorLoop() {
        let backoff = Backoff(initial: .nanoseconds(1), maximum: .seconds(3600))
        #expect(backoff.delay(after: .max) == .seconds(3600))
        #expect(Backoff(initial: .zero, maximum: .seconds(1)).delay(after: .max) == .zero)
        #expect(backoff.delay(after: -1) == .nanoseconds(1))
    }

    @Test func nextCountsTheFailure() {
        let backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2))
        var failures = 0
        #expect(backoff.next(&failures) == .milliseconds(50))
        #expect(backoff.next(&failures) == .milliseconds(100))
        #expect(failures == 2)
    }
}
