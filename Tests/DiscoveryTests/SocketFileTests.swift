import Foundation
import Testing

@testable import Discovery

#if canImport(Glibc)
    import Glibc
#endif

/// The socket file: its mode, and what the server does with whatever is already at the path.
@Suite("socket file", .timeLimit(.minutes(1)))
struct SocketFileTests {
    func server(_ path: String) -> DiscoveryServer {
        DiscoveryServer(configuration: .init(socketPath: path), initial: Fixtures.input(), logger: quietLogger)
    }

    func mode(_ path: String) -> mode_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_mode
    }

    @Test("the socket is created with mode 0660")
    func mode0660() async throws {
        try await withServer { _, path in
            let status = try #require(mode(path))
            #expect(status & S_IFMT == S_IFSOCK)
            #expect(status & 0o7777 == 0o660)
        }
    }

    @Test("another configured mode is applied exactly")
    func otherMode() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s.sock"
            let server = DiscoveryServer(
                configuration: .init(socketPath: path, mode: 0o600), initial: Fixtures.input(), logger: quietLogger)
            let running = Task { try await server.run() }
            try await server.waitUntilListening()
            #expect(mode(path).map { $0 & 0o7777 } == 0o600)
            running.cancel()
            try await running.value
        }
    }

    @Test("a stale socket (nobody listening) is replaced")
    func staleSocket() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s.sock"
            // Leave a socket file behind as a crashed process would: bound, closed, never unlinked.
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            close(descriptor)
            try #require(bound == 0)
            #expect(!SocketFile.isListening(path: path))
            try await withServer(path: path) { server, path in
                var client = try await TestClient.connect(path)
                try await client.send(DiscoveryRequest.get.line)
                #expect(try await client.nextSnapshot() == server.current)
                await client.close()
            }
        }
    }

    @Test("an existing file that is not a socket is refused and left alone")
    func notASocket() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/s.sock"
            try "precious".write(toFile: path, atomically: false, encoding: .utf8)
            await #expect(throws: DiscoveryServerError.notASocket(path: path)) { try await server(path).run() }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
            let error = DiscoveryServerError.notASocket(path: path)
            #expect(error.description.contains("is not a socket"))
        }
    }

    @Test("a live socket is refused; its server keeps serving")
    func liveSocket() async throws {
        try await withServer { first, path in
            let second = server(path)
            await #expect(throws: DiscoveryServerError.inUse(path: path)) { try await second.run() }
            await #expect(throws: DiscoveryServerError.inUse(path: path)) { try await second.waitUntilListening() }
            var client = try await TestClient.connect(path)
            try await client.send(DiscoveryRequest.get.line)
            #expect(try await client.nextSnapshot() == first.current)
            await client.close()
        }
    }

    @Test("a path over 103 bytes is refused with a one-line error")
    func pathTooLong() async throws {
        let path = "/tmp/" + String(repeating: "p", count: 99)
        #expect(path.utf8.count == 104)
        let error = DiscoveryServerError.pathTooLong(path: path, bytes: 104)
        await #expect(throws: error) { try await server(path).run() }
        #expect(error.description == "socket path is 104 bytes, longer than the limit of 103: \(path)")
        #expect(!error.description.contains("\n"))
        let fits = "/tmp/" + String(repeating: "p", count: 98)
        #expect(throws: Never.self) { try SocketFile.prepare(path: fits) }
    }

    @Test("a missing directory is a clear error")
    func missingDirectory() async throws {
        let path = "/tmp/hd-does-not-exist-\(getpid())/s.sock"
        await #expect {
            try await server(path).run()
        } throws: { error in
            (error as? DiscoveryServerError)?.description.hasPrefix("cannot set up socket \(path)") == true
        }
    }
}
