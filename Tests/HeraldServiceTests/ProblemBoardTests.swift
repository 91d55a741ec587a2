import Discovery
import Foundation
import HeraldTestSupport
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing

@testable import HeraldService

/// What failing helpers report: the board, and the retrying service that feeds it.
@Suite("Problems reported while retrying", .timeLimit(.minutes(1)))
struct ProblemBoardTests {
    @Test("report and clear, one line per component, listeners told of each change only")
    func board() {
        let board = ProblemBoard()
        let changes = NIOLockedValueBox(0)
        board.onChange { changes.withLockedValue { $0 += 1 } }
        board.report("followers", "cannot start a ZooKeeper session:\nhost not found")
        board.report("followers", "cannot start a ZooKeeper session:\nhost not found")
        board.report("metrics listener", "address in use")
        #expect(
            board.current == [
                .init(component: "followers", message: "cannot start a ZooKeeper session: host not found"),
                .init(component: "metrics listener", message: "address in use"),
            ])
        #expect(changes.withLockedValue { $0 } == 2, "the same problem again is no change")
        board.clear("followers")
        board.clear("followers")
        #expect(board.current.map(\.component) == ["metrics listener"])
        #expect(changes.withLockedValue { $0 } == 3)
    }

    struct Failing: Service {
        let attempts: NIOLockedValueBox<Int>
        func run() async throws {
            let attempt = attempts.withLockedValue {
                $0 += 1
                return $0
            }
            struct Refused: Error, CustomStringConvertible { var description: String { "port 9100 taken" } }
            // Fails twice, then runs until cancelled.
            if attempt <= 2 { throw Refused() }
            try await Task.sleep(for: .seconds(60))
        }
    }

    @Test("a retrying service reports each failure and clears it once an attempt has run for a while")
    func retrying() async throws {
        let board = ProblemBoard()
        let attempts = NIOLockedValueBox(0)
        let logs = LogRecorder()
        let service = RetryingService("metrics listener", logger: logs.logger(), problems: board) {
            Failing(attempts: attempts)
        }
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await within(.seconds(10), "the failure reported") {
            while board.current.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(board.current == [.init(component: "metrics listener", message: "port 9100 taken")])
        try await within(.seconds(10), "the problem cleared once the third attempt keeps running") {
            while !board.current.isEmpty || attempts.withLockedValue({ $0 }) < 3 {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(attempts.withLockedValue { $0 } == 3)
    }

    @Test("snapshots carry the problems; a snapshot from an older server, without the field, decodes with none")
    func snapshotField() throws {
        let snapshot = Snapshot(
            revision: 3, cluster: "mantl", state: .noLeader, leader: nil, stale: false, candidates: [],
            quorum: .init(required: 2, present: 0),
            zookeeper: .init(state: "connected", server: nil, sessionTimeoutMs: 4000), dns: [:],
            publisher: .init(mode: .follower, role: .observer, hostname: "f1"),
            problems: [.init(component: "followers", message: "no session")])
        let line = try snapshot.encodedLine()
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains("\"problems\":[{\"component\":\"followers\",\"message\":\"no session\"}]"))
        #expect(try Snapshot.decode(line: line) == snapshot)
        let older = text.replacingOccurrences(
            of: ",\"problems\":[{\"component\":\"followers\",\"message\":\"no session\"}]", with: "")
        #expect(!older.contains("problems"))
        #expect(try Snapshot.decode(line: Array(older.utf8)).problems == [])
    }
}
