import Foundation
import NIOCore
import Testing

@testable import Discovery

/// `idleTimeout` as clients see it, with a short one (2 s): silence and half lines are closed
/// with `idle_timeout`; watchers and clients that keep asking are not. Not shorter: each test
/// must send its first bytes before the timeout, and on a loaded 2-core machine (the whole suite
/// in parallel) a task can run a few hundred milliseconds late.
@Suite("idle timeout", .timeLimit(.minutes(1)))
struct IdleTimeoutTests {
    static let timeout = Duration.seconds(2)
    static let configuration = DiscoveryServer.Configuration(idleTimeout: timeout)

    /// Reads the `idle_timeout` line and the end of the stream that must follow it; returns how
    /// long after `start` the line came.
    func expectIdleTimeout(
        _ client: inout TestClient, since start: ContinuousClock.Instant, timeout: Duration = Self.timeout
    ) async throws -> Duration {
        let error = try await client.nextObject(within: .seconds(8))
        let elapsed = ContinuousClock.now - start
        #expect(error["type"] as? String == "error")
        #expect(error["error"] as? String == "idle_timeout")
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        #expect((error["message"] as? String)?.contains("\(milliseconds) ms") == true, "\(error)")
        #expect(try await client.nextLine() == nil, "closed after the error line")
        return elapsed
    }

    @Test("a connection that never sends a line gets idle_timeout after the timeout, then EOF")
    func silent() async throws {
        try await withServer(configuration: Self.configuration) { server, path in
            let start = ContinuousClock.now
            var client = try await TestClient.connect(path)
            let elapsed = try await expectIdleTimeout(&client, since: start)
            #expect(elapsed >= Self.timeout, "not before the timeout: \(elapsed)")
            #expect(elapsed < Self.timeout + .seconds(3), "soon after the timeout: \(elapsed)")
            try await ProcessFigures.settle { server.openConnections == 0 }
            #expect(server.openConnections == 0, "a closed idle connection frees its slot")
            await client.close()
        }
    }

    @Test("bytes without a newline do not reset the timer")
    func halfLine() async throws {
        try await withServer(configuration: Self.configuration) { _, path in
            let start = ContinuousClock.now
            var client = try await TestClient.connect(path)
            try await client.send("{\"op\":\"pi")
            // Keep dribbling bytes of the same line, one every 50 ms, for far longer than the
            // timeout: if they counted, the connection would never be idle.
            let channel = client.channel
            let dribble = Task {
                for _ in 0..<120 {
                    guard (try? await channel.writeAndFlush(ByteBuffer(string: " ")).get()) != nil else { return }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            defer { dribble.cancel() }
            let elapsed = try await expectIdleTimeout(&client, since: start)
            #expect(elapsed >= Self.timeout)
            #expect(elapsed < Self.timeout + .seconds(3), "the dribble (6 s) did not keep it open: \(elapsed)")
            await client.close()
        }
    }

    @Test("a watcher stays open well past the timeout and still receives pushed snapshots")
    func watcherNeverIdle() async throws {
        try await withServer(configuration: Self.configuration) { server, path in
            var watcher = try await TestClient.connect(path)
            try await watcher.send(DiscoveryRequest.watch.line)
            #expect(try await watcher.nextSnapshot().revision == 1)
            // A silent connection opened at the same time is closed meanwhile: the timer works.
            let start = ContinuousClock.now
            var silent = try await TestClient.connect(path)
            _ = try await expectIdleTimeout(&silent, since: start)

            #expect(await watcher.staysQuiet(for: .seconds(4)), "no idle_timeout, no close for a watcher")
            let published = try #require(server.publish(Fixtures.input(Fixtures.view(leader: 2))))
            #expect(try await watcher.nextSnapshot() == published)
            #expect(server.openConnections == 1)
            await watcher.close()
        }
    }

    @Test("a connection that pings every 100 ms stays open; once it stops it times out")
    func pingKeepsOpen() async throws {
        // Twenty ping intervals per timeout.
        let timeout = Self.timeout
        try await withServer(configuration: .init(idleTimeout: timeout)) { _, path in
            var client = try await TestClient.connect(path)
            let start = ContinuousClock.now
            var pongs = 0
            var lastPing = start
            var widestGap = Duration.zero
            // At least two timeouts long and ten pings, however slowly a loaded machine answers.
            while ContinuousClock.now - start < .seconds(4) || pongs < 10 {
                widestGap = max(widestGap, ContinuousClock.now - lastPing)
                lastPing = .now
                try await client.send(DiscoveryRequest.ping.line)
                guard let line = try await client.nextLine() else {
                    Issue.record("closed after \(pongs) pongs")
                    return
                }
                #expect(line == #"{"type":"pong"}"#, "\(line)")
                pongs += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(widestGap < timeout, "pings \(widestGap) apart cannot keep a \(timeout) idle timeout at bay")
            // The clock runs from the last request, not from the connection's start.
            let elapsed = try await expectIdleTimeout(&client, since: lastPing, timeout: timeout)
            #expect(elapsed >= timeout, "\(elapsed)")
            await client.close()
        }
    }
}
