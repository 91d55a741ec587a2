import Foundation
import HeraldTestSupport
import Logging
import NIOCore
import Testing

@testable import Discovery

/// `maximumConnections` as clients see it: the connection over the cap gets one error line and
/// end of stream, a freed slot serves again, and the count survives connections that come and
/// go at once.
@Suite("connection cap", .timeLimit(.minutes(1)))
struct ConnectionCapTests {
    static let pong = #"{"type":"pong"}"#

    /// Connects and pings: the connection is admitted and served.
    func served(_ path: String) async throws -> TestClient {
        var client = try await TestClient.connect(path)
        try await client.send(DiscoveryRequest.ping.line)
        #expect(try await client.nextLine() == Self.pong)
        return client
    }

    /// Connects over the cap: exactly one `too_many_connections` line naming `limit`, then the
    /// end of the stream, even though the client asks for something.
    func expectRefused(_ path: String, limit: Int) async throws {
        var client = try await TestClient.connect(path)
        // The server may have closed already, then this write fails; the line must come anyway.
        try? await client.send(DiscoveryRequest.ping.line)
        let error = try await client.nextObject()
        #expect(error["type"] as? String == "error")
        #expect(error["error"] as? String == "too_many_connections")
        let message = try #require(error["message"] as? String)
        #expect(message.contains("\(limit)"), "the message names the limit: \(message)")
        #expect(try await client.nextLine() == nil, "one line, then end of stream")
        await client.close()
    }

    @Test("with a cap of 3 the 4th connection gets too_many_connections and EOF; a freed slot serves again")
    func capOfThree() async throws {
        try await withServer(configuration: .init(maximumConnections: 3)) { server, path in
            #expect(server.connectionLimit == 3)
            var held: [TestClient] = []
            for _ in 0..<3 { held.append(try await served(path)) }
            #expect(server.openConnections == 3)

            try await expectRefused(path, limit: 3)
            try await expectRefused(path, limit: 3)
            #expect(server.openConnections == 3, "refused connections are never counted")

            // The held connections are unaffected.
            for index in held.indices {
                try await held[index].send(DiscoveryRequest.get.line)
                #expect(try await held[index].nextSnapshot() == server.current)
            }

            // Close one: once the server has seen it go, a new connection is served.
            await held.removeFirst().close()
            try await ProcessFigures.settle { server.openConnections == 2 }
            #expect(server.openConnections == 2)
            held.append(try await served(path))
            try await expectRefused(path, limit: 3)
            for client in held { await client.close() }
        }
    }

    @Test("the count stays exact while 50 connections open and close at once")
    func concurrentChurn() async throws {
        try await withServer(configuration: .init(maximumConnections: 3)) { server, path in
            let outcomes = try await withThrowingTaskGroup(of: [String].self) { group in
                for index in 0..<50 {
                    group.addTask {
                        // Half of them hang up at once, racing the server's accept; the others
                        // try again when refused until they are served, so slots must be freed
                        // and reused while others come and go.
                        if !index.isMultiple(of: 2) { return [try await Self.pingOrHangUp(path, hangUp: true)] }
                        // A refused one waits a moment before it tries again (as a client should):
                        // 25 of them retrying in a tight loop for 3 slots can starve one for long
                        // on a loaded machine. Bounded in time, not in tries.
                        var outcomes: [String] = []
                        let deadline = ContinuousClock.now + .seconds(30)
                        while outcomes.last != "served", ContinuousClock.now < deadline {
                            if !outcomes.isEmpty { try await Task.sleep(for: .milliseconds(Int.random(in: 1...10))) }
                            outcomes.append(try await Self.pingOrHangUp(path, hangUp: false))
                        }
                        return outcomes
                    }
                }
                var outcomes: [String: Int] = [:]
                for try await attempts in group {
                    for outcome in attempts { outcomes[outcome, default: 0] += 1 }
                }
                return outcomes
            }
            #expect(outcomes["hung up"] == 25)
            #expect(outcomes["served"] == 25, "every pinger is served in the end: \(outcomes)")
            #expect(
                Set(outcomes.keys).isSubset(of: ["hung up", "served", "too_many_connections"]),
                "a refusal is the one error line, nothing else: \(outcomes)")

            // Every connection has gone: the count is back to zero, and exactly 3 fit again.
            try await ProcessFigures.settle { server.openConnections == 0 }
            #expect(server.openConnections == 0)
            var held: [TestClient] = []
            for _ in 0..<3 { held.append(try await served(path)) }
            try await expectRefused(path, limit: 3)
            #expect(server.openConnections == 3)
            for client in held { await client.close() }
        }
    }

    /// One short connection of the churn: what it got (`served`, an error code, `closed`), or
    /// `hung up` when it closed without asking anything.
    static func pingOrHangUp(_ path: String, hangUp: Bool) async throws -> String {
        var client = try await TestClient.connect(path)
        if hangUp {
            await client.close()
            return "hung up"
        }
        try? await client.send(DiscoveryRequest.ping.line)
        let line = try await client.nextLine()
        await client.close()
        guard let line else { return "closed" }
        if line == pong { return "served" }
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return object?["error"] as? String ?? line
    }

    @Test("one warning when the cap is reached and one notice when back under it, not a line per refusal")
    func rateLimitedLogging() async throws {
        let logs = LogRecorder()
        try await withServer(configuration: .init(maximumConnections: 3), logger: logs.logger()) { server, path in
            let warnings: @Sendable (LogRecorder.Record) -> Bool = {
                $0.level == .warning && $0.message.contains("connection limit reached")
            }
            let notices: @Sendable (LogRecorder.Record) -> Bool = {
                $0.level == .notice && $0.message.contains("back under the limit")
            }
            var held: [TestClient] = []
            for _ in 0..<3 { held.append(try await served(path)) }
            #expect(logs.records(where: warnings).isEmpty, "reaching the cap refuses nobody yet")
            for _ in 0..<5 { try await expectRefused(path, limit: 3) }
            #expect(logs.records(where: warnings).count == 1)
            #expect(logs.records(where: warnings).first?.metadata["limit"] == "3")
            #expect(logs.records(where: notices).isEmpty)

            for client in held { await client.close() }
            held.removeAll()
            try await logs.wait(where: notices)
            try await ProcessFigures.settle { server.openConnections == 0 }
            let notice = try #require(logs.records(where: notices).first)
            #expect(notice.metadata["refused"] == "5")
            #expect(logs.records(where: notices).count == 1)
            #expect(logs.records(where: warnings).count == 1)

            // A second episode is logged again, once.
            for _ in 0..<3 { held.append(try await served(path)) }
            try await expectRefused(path, limit: 3)
            #expect(logs.records(where: warnings).count == 2)
            for client in held { await client.close() }
            try await logs.wait(count: 2, where: notices)
        }
    }
}
