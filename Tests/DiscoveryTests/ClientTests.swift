import ElectionModel
import Foundation
import HeraldTestSupport
import Testing

@testable import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// The client library against a real server: one-shot calls, errors, and a watch that outlives a
/// server restart.
@Suite("client library", .timeLimit(.minutes(1)))
struct ClientTests {
    @Test("current() and ping() answer from the server")
    func currentAndPing() async throws {
        try await withServer { server, path in
            let client = DiscoveryClient(socketPath: path)
            #expect(try await client.current() == server.current)
            try await client.ping()
            server.publish(Fixtures.input(Fixtures.view(leader: 3)))
            #expect(try await client.current().leader?.hostPort == "10.0.0.3:5050")
        }
    }

    @Test("no socket is `unreachable`, with the reason")
    func unreachable() async throws {
        try await withTemporaryDirectory { directory in
            let client = DiscoveryClient(socketPath: directory + "/none.sock", timeout: .seconds(2))
            await #expect {
                try await client.current()
            } throws: { error in
                guard let error = error as? DiscoveryClientError, case .unreachable(_, let reason) = error else {
                    return false
                }
                return error.isUnreachable && reason == "No such file or directory"
            }
        }
    }

    @Test("a request whose task is cancelled ends as `cancelled`, not as the server closing")
    func cancelled() async throws {
        try await withTemporaryDirectory { directory in
            // A socket that takes connections into its backlog and never answers.
            let path = directory + "/silent.sock"
            let listener = try RawSocket.listen(path)
            defer { close(listener) }
            let request = Task { try await DiscoveryClient(socketPath: path, timeout: .seconds(30)).current() }
            try await Task.sleep(for: .milliseconds(200))
            request.cancel()
            let result = await request.result
            guard case .failure(let error as DiscoveryClientError) = result, case .cancelled = error else {
                Issue.record("expected cancelled, got \(result)")
                return
            }
            #expect(!error.isUnreachable)
        }
    }

    @Test("updates() yields the current snapshot and every change, in order")
    func updates() async throws {
        try await withServer { server, path in
            var iterator = DiscoveryClient(socketPath: path).updates().makeAsyncIterator()
            #expect(await iterator.next()?.revision == 1)
            for leader: Int32 in 2...5 {
                let published = try #require(server.publish(Fixtures.input(Fixtures.view(leader: leader))))
                #expect(await iterator.next() == published)
            }
        }
    }

    @Test("updates() reconnects after a server restart and yields the new server's snapshot")
    func reconnect() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s.sock"
            func start(_ cluster: String) async throws -> (DiscoveryServer, Task<Void, any Error>) {
                let server = DiscoveryServer(
                    configuration: .init(socketPath: path), initial: Fixtures.input(cluster: cluster),
                    logger: quietLogger)
                let task = Task { try await server.run() }
                try await server.waitUntilListening()
                return (server, task)
            }
            let (first, firstTask) = try await start("before")
            let client = DiscoveryClient(socketPath: path)
            var iterator = client.updates(backoff: .init(initial: .milliseconds(10), maximum: .milliseconds(200)))
                .makeAsyncIterator()
            #expect(await iterator.next()?.cluster == "before")
            first.publish(Fixtures.input(Fixtures.view(leader: 2), cluster: "before"))
            #expect(await iterator.next()?.revision == 2)
            firstTask.cancel()
            try await firstTask.value

            let (second, secondTask) = try await start("after")
            let resumed = await iterator.next()
            #expect(resumed?.cluster == "after")
            #expect(resumed?.revision == 1, "a restarted server numbers from 1; the client yields it anyway")
            second.publish(Fixtures.input(Fixtures.view(leader: 3), cluster: "after"))
            #expect(await iterator.next()?.leader?.hostPort == "10.0.0.3:5050")
            secondTask.cancel()
            try await secondTask.value
        }
    }

    @Test("a server error line surfaces as DiscoveryClientError.server")
    func serverError() {
        let error = DiscoveryClientError.server(DiscoveryProtocolError(.unknownOp, "x"))
        #expect(!error.isUnreachable)
        #expect(error.description == "server error unknown_op: x")
    }
}
