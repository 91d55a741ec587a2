import ElectionModel
import Foundation
import NIOCore
import Testing

@testable import Discovery

/// The server as clients see it: each request kind and each kind of bad input, over a real socket.
@Suite("server protocol", .timeLimit(.minutes(1)))
struct ServerProtocolTests {
    @Test("get answers the current snapshot; ping answers pong; both on one connection")
    func getAndPing() async throws {
        try await withServer { server, path in
            var client = try await TestClient.connect(path)
            try await client.send(DiscoveryRequest.get.line)
            let snapshot = try await client.nextSnapshot()
            #expect(snapshot == server.current)
            #expect(snapshot.revision == 1)
            try await client.send(DiscoveryRequest.ping.line)
            #expect(try await client.nextLine() == #"{"type":"pong"}"#)
            try await client.send("\n\r\n" + DiscoveryRequest.get.line)
            #expect(try await client.nextSnapshot().revision == 1)
            await client.close()
        }
    }

    @Test("watch sends the current snapshot, then each change; an identical input is not a change")
    func watch() async throws {
        try await withServer { server, path in
            var client = try await TestClient.connect(path)
            try await client.send(DiscoveryRequest.watch.line)
            #expect(try await client.nextSnapshot().revision == 1)
            #expect(server.publish(Fixtures.input()) == nil)
            let changed = try #require(server.publish(Fixtures.input(Fixtures.view(leader: 2))))
            #expect(changed.revision == 2)
            let pushed = try await client.nextSnapshot()
            #expect(pushed == changed)
            #expect(pushed.leader?.hostPort == "10.0.0.2:5050")
            // get on a watching connection comes through the same ordered path.
            try await client.send(DiscoveryRequest.get.line)
            #expect(try await client.nextSnapshot().revision == 2)
            try await client.send(DiscoveryRequest.watch.line)
            #expect(try await client.nextObject()["error"] as? String == "already_watching")
            server.publish(Fixtures.input(Fixtures.view(leader: 3)))
            #expect(try await client.nextSnapshot().revision == 3)
            await client.close()
        }
    }

    @Test("invalid JSON, wrong shapes and unknown ops are error lines; the connection stays usable")
    func errorsKeepConnection() async throws {
        try await withServer { _, path in
            var client = try await TestClient.connect(path)
            for (line, code) in [
                ("{\"op\":", "invalid_json"), ("[]", "invalid_request"), ("{\"op\":\"reboot\"}", "unknown_op"),
            ] {
                try await client.send(line + "\n")
                let error = try await client.nextObject()
                #expect(error["type"] as? String == "error")
                #expect(error["error"] as? String == code)
                #expect((error["message"] as? String)?.isEmpty == false)
            }
            try await client.send(DiscoveryRequest.ping.line)
            #expect(try await client.nextLine() == #"{"type":"pong"}"#)
            await client.close()
        }
    }

    @Test("binary garbage gets error lines and leaves the connection usable")
    func binaryGarbage() async throws {
        try await withServer { _, path in
            var client = try await TestClient.connect(path)
            var generator = SystemRandomNumberGenerator()
            var garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
            garbage.removeAll { $0 == UInt8(ascii: "\n") }
            garbage += [0x00, 0xFF, 0xC3, 0x28, UInt8(ascii: "\n")]
            try await client.send(bytes: garbage)
            #expect(try await client.nextObject()["error"] as? String == "invalid_json")
            try await client.send(DiscoveryRequest.ping.line)
            #expect(try await client.nextLine() == #"{"type":"pong"}"#)
            await client.close()
        }
    }

    @Test("a line of exactly 64 KiB is read; one byte more gets line_too_long and that connection closes")
    func lineTooLong() async throws {
        try await withServer { _, path in
            var other = try await TestClient.connect(path)
            var client = try await TestClient.connect(path)
            try await client.send(String(repeating: "x", count: 64 * 1024) + "\n")
            #expect(try await client.nextObject()["error"] as? String == "invalid_json")
            try await client.send(String(repeating: "x", count: 64 * 1024 + 1) + "\n")
            #expect(try await client.nextObject()["error"] as? String == "line_too_long")
            #expect(try await client.nextLine() == nil, "the server closes the connection")
            // An endless line without any newline is cut off the same way.
            var endless = try await TestClient.connect(path)
            try await endless.send(String(repeating: "y", count: 200 * 1024))
            #expect(try await endless.nextObject()["error"] as? String == "line_too_long")
            #expect(try await endless.nextLine() == nil)
            try await other.send(DiscoveryRequest.ping.line)
            #expect(try await other.nextLine() == #"{"type":"pong"}"#, "other connections are unaffected")
            await other.close()
        }
    }

    @Test("clients that connect and never write, or stop mid-line, do not block others")
    func idleClients() async throws {
        try await withServer { server, path in
            var idle: [TestClient] = []
            for index in 0..<50 {
                let client = try await TestClient.connect(path)
                if index.isMultiple(of: 2) { try await client.send("{\"op\":\"ge") }
                idle.append(client)
            }
            var client = try await TestClient.connect(path)
            try await client.send(DiscoveryRequest.get.line)
            #expect(try await client.nextSnapshot(within: .seconds(2)) == server.current)
            for client in idle { await client.close() }
            await client.close()
        }
    }

    @Test("on shutdown a watcher gets the newest snapshot, then end of stream")
    func shutdownFinalSnapshot() async throws {
        try await withTemporaryDirectory { directory in
            let server = DiscoveryServer(
                configuration: .init(socketPath: directory + "/s.sock"), initial: Fixtures.input(), logger: quietLogger)
            let running = Task { try await server.run() }
            try await server.waitUntilListening()
            var watcher = try await TestClient.connect(server.configuration.socketPath)
            try await watcher.send(DiscoveryRequest.watch.line)
            #expect(try await watcher.nextSnapshot().revision == 1)
            server.publish(Fixtures.input(Fixtures.view(leader: nil, state: .disconnected)))
            running.cancel()
            try await running.value
            #expect(try await watcher.nextSnapshot().revision == 2)
            #expect(try await watcher.nextLine() == nil)
            #expect(!FileManager.default.fileExists(atPath: server.configuration.socketPath), "the socket is removed")
        }
    }
}
