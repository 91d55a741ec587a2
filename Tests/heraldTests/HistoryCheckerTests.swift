import Foundation
import HeraldTestSupport
import Testing

/// The leadership checker the end-to-end tests judge their hook histories with.
@Suite("Leadership history checker")
struct HistoryCheckerTests {
    typealias Stamp = LeadershipHistory.Stamp

    @Test("a clean hand-over has no overlap")
    func handOver() {
        let history = LeadershipHistory(stamps: [
            Stamp(time: 10, host: "l1", event: "elected"), Stamp(time: 20, host: "l1", event: "demoted"),
            Stamp(time: 21, host: "l2", event: "elected"),
        ])
        #expect(history.overlaps.isEmpty)
        #expect(history.holdings.map(\.host) == ["l1", "l2"])
    }

    @Test("an elected before the other's demoted is an overlap, naming both holdings")
    func overlap() {
        let history = LeadershipHistory(stamps: [
            Stamp(time: 10, host: "l1", event: "elected"), Stamp(time: 15, host: "l2", event: "elected"),
            Stamp(time: 20, host: "l1", event: "demoted"),
        ])
        let overlaps = history.overlaps
        #expect(overlaps.count == 1)
        #expect(overlaps.first.map { [$0.0.host, $0.1.host] } == ["l1", "l2"])
    }

    @Test("a holding with no demoted lasts to the end; a demoted without elected holds nothing")
    func openEnded() {
        let history = LeadershipHistory(stamps: [
            Stamp(time: 5, host: "l2", event: "demoted"), Stamp(time: 10, host: "l1", event: "elected"),
            Stamp(time: 1000, host: "l2", event: "elected"),
        ])
        #expect(history.overlaps.count == 1)
        #expect(history.holdings.first?.until == nil)
    }

    @Test("lines are read from files, unordered across hosts")
    func files() throws {
        let path = "/tmp/herald-history-\(UInt32.random(in: 0...UInt32.max)).log"
        try "20 demoted l1 7\n10 elected l1 7\n15 elected l2 9\ngarbage\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let history = LeadershipHistory(files: [path])
        #expect(history.stamps.map(\.time) == [10, 15, 20])
        #expect(history.stamps.first?.epoch == "7")
        #expect(history.overlaps.count == 1)
    }
}
