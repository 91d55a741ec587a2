import ElectionModel
import Foundation
import Testing

@testable import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// `BlockingDiscoveryClient` (what `herald leader` uses) answers as `DiscoveryClient.current()`
/// does, with the same error for each failure: the command's messages must not depend on which
/// client asked.
@Suite("blocking one-shot client", .timeLimit(.minutes(1)))
struct BlockingClientTests {
    @Test("current() returns the server's snapshot")
    func current() async throws {
        try await withServer { server, path in
            let first = try BlockingDiscoveryClient(socketPath: path).current()
            #expect(first == server.current)
            server.publish(Fixtures.input(Fixtures.view(leader: 3)))
            let second = try BlockingDiscoveryClient(socketPath: path).current()
            #expect(second.leader?.hostPort == "10.0.0.3:5050")
        }
    }

    @Test("no socket, a silent server and a closing server fail as with DiscoveryClient")
    func failures() async throws {
        try await withTemporaryDirectory { directory in
            let missing = directory + "/none.sock"
            try await expectSameError(path: missing, timeout: .seconds(2))

            // A listener that never accepts: connect succeeds (the backlog), no answer comes.
            let silent = try RawListener(path: directory + "/silent.sock")
            defer { silent.close() }
            try await expectSameError(path: silent.path, timeout: .milliseconds(300))

            // A listener that accepts and closes at once.
            let closing = try RawListener(path: directory + "/closing.sock")
            defer { closing.close() }
            let acceptor = Thread {
                while true {
                    let connection = accept(closing.descriptor, nil, nil)
                    if connection < 0 { return }
                    Glibc.close(connection)
                }
            }
            acceptor.start()
            try await expectSameError(path: closing.path, timeout: .seconds(2))
        }
    }

    @Test("a path longer than sockaddr_un holds is unreachable with NIO's reason")
    func longPath() async throws {
        try await expectSameError(path: "/tmp/" + String(repeating: "x", count: 120), timeout: .seconds(1))
    }

    private func expectSameError(path: String, timeout: Duration) async throws {
        let expected: DiscoveryClientError
        do {
            _ = try await DiscoveryClient(socketPath: path, timeout: timeout).current()
            Issue.record("DiscoveryClient answered on \(path)")
            return
        } catch {
            expected = error
        }
        do {
            _ = try BlockingDiscoveryClient(socketPath: path, timeout: timeout).current()
            Issue.record("BlockingDiscoveryClient answered on \(path)")
        } catch {
            #expect(error == expected)
        }
    }
}

/// A bare listening Unix-domain socket that accepts only when told to.
private struct RawListener {
    let path: String
    let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
    }
}
