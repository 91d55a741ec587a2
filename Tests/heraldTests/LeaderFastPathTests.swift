import Foundation
import HeraldTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `herald leader --socket PATH` (and `herald leader`) is answered before ArgumentParser runs;
/// the same question spelled so that it goes through the parser (`--timeout 5`, the default, or
/// `--format hostport`) must give the same output, messages and exit code, whatever the socket
/// answers.
@Suite("herald leader --socket: the fast path and the parser agree", .timeLimit(.minutes(2)))
struct LeaderFastPathTests {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("herald").path
    }

    static let member = """
        {"epoch":4294967297,"hostname":"m1","id":"id-1","ip":"10.0.0.1","node":"/mesos/json.info_0000000001",\
        "pid":"master@10.0.0.1:5050","port":5050,"sequence":1}
        """

    /// A snapshot line as Herald's server writes it, with the given state, leader and stale flag.
    static func snapshot(state: String = "elected", leader: String? = member, stale: Bool = false) -> String {
        """
        {"candidates":[\(member)],"cluster":"mantl","dns":{"leader.mesos.service.consul":[{"ip":"10.0.0.1",\
        "port":5050}]},"leader":\(leader ?? "null"),"problems":[],"quorum":{"present":1,"required":2},"revision":3,\
        "self":{"hostname":"m1","mode":"leader","role":"leader"},"stale":\(stale),"state":"\(state)",\
        "type":"snapshot","version":1,"zookeeper":{"server":"127.0.0.1:2181","session_id":"0x1",\
        "session_timeout_ms":10000,"state":"connected"}}
        """
    }

    struct Run: Equatable, CustomStringConvertible {
        var status: Int32
        var output: String
        var description: String { "exit \(status): \(output)" }
    }

    static func herald(_ arguments: [String]) async throws -> Run {
        let result = try await ChildProcess.run(binary, arguments)
        return Run(status: result.status, output: result.output)
    }

    /// Runs the fast spelling and two parsed ones against `path`; expects them equal and returns the fast one.
    static func agree(_ path: String, _ comment: String) async throws -> Run {
        let fast = try await herald(["leader", "--socket", path])
        let parsed = try await herald(["leader", "--socket", path, "--timeout", "5"])
        let formatted = try await herald(["leader", "--format", "hostport", "--socket", path])
        #expect(fast == parsed, "\(comment)")
        #expect(fast == formatted, "\(comment)")
        return fast
    }

    @Test(
        "every kind of answer: leader, none, stale, broken, error, pong, closed",
        arguments: [
            ("elected", snapshot() + "\n", 0, "10.0.0.1:5050\n"),
            (
                "no quorum", snapshot(state: "no_quorum", leader: nil) + "\n", 1,
                "leader: no quorum: 1 of 2 required candidates present\n"
            ),
            (
                "no leader", snapshot(state: "no_leader", leader: nil) + "\n", 1,
                "leader: no leader: no candidate in the group\n"
            ),
            (
                "disconnected", snapshot(state: "disconnected", leader: nil) + "\r\n", 1,
                "leader: no leader: Herald is not connected to ZooKeeper\n"
            ),
            (
                "stale", snapshot(state: "disconnected", stale: true) + "\n", 0,
                "leader: stale: Herald lost ZooKeeper; this is the last known leader\n10.0.0.1:5050\n"
            ),
            (
                "escaped strings",
                snapshot().replacingOccurrences(of: "\"ip\":\"10.0.0.1\"", with: #""ip":"10.0.0.\u0031""#)
                    + "\n", 0, "10.0.0.1:5050\n"
            ),
            ("a key missing", snapshot().replacingOccurrences(of: "\"stale\":false,", with: "") + "\n", 3, nil),
            (
                "a wrong type",
                snapshot().replacingOccurrences(of: "\"port\":5050,\"seq", with: "\"port\":\"5050\",\"seq") + "\n", 3,
                nil
            ),
            ("an unknown state", snapshot(state: "elated") + "\n", 3, nil),
            (
                "an error line", #"{"type":"error","error":"unknown_op","message":"no such op"}"# + "\n", 3,
                "leader: server error unknown_op: no such op\n"
            ),
            ("a pong", #"{"type":"pong"}"# + "\n", 3, "leader: protocol violation: a pong in answer to get\n"),
            (
                "not JSON", "hello\n", 3,
                "leader: protocol violation: a line from the server is not a protocol message\n"
            ),
            (
                "an unknown type", #"{"type":"news"}"# + "\n", 3,
                "leader: protocol violation: unknown message type \"news\"\n"
            ),
            ("closed at once", "", 3, nil),
            ("closed within the line", snapshot(), 3, nil),
        ] as [(String, String, Int32, String?)])
    func answers(name: String, reply: String, status: Int32, output: String?) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/herald.sock"
            let server = try CannedServer(path: path, reply: Array(reply.utf8))
            defer { server.close() }
            let run = try await Self.agree(path, name)
            #expect(run.status == status, "\(name): \(run)")
            if let output { #expect(run.output == output, "\(name)") }
            if output == nil, reply.isEmpty || !reply.hasSuffix("\n") {
                #expect(run.output == "leader: \(path): the server closed the connection\n", "\(name)")
            }
        }
    }

    @Test("no socket, not a socket, a path too long: exit 3 with the same message")
    func unreachable() async throws {
        try await withTemporaryDirectory { directory in
            let missing = try await Self.agree(directory + "/none.sock", "missing")
            #expect(
                missing
                    == Run(
                        status: 3, output: "leader: cannot reach \(directory)/none.sock: No such file or directory\n"))
            let file = directory + "/file"
            #expect(FileManager.default.createFile(atPath: file, contents: Data()))
            let notSocket = try await Self.agree(file, "a regular file")
            #expect(notSocket.status == 3)
            #expect(notSocket.output.hasPrefix("leader: cannot reach \(file): "))
            let long = try await Self.agree(directory + "/" + String(repeating: "x", count: 120), "too long")
            #expect(long.status == 3)
        }
    }

    @Test("herald leader alone: $HERALD_SOCKET, else the default path, as through the parser")
    func environmentSocket() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/herald.sock"
            let server = try CannedServer(path: path, reply: Array((Self.snapshot() + "\n").utf8))
            defer { server.close() }
            for value in [path, directory + "/none.sock", ""] {
                let environment = ["HERALD_SOCKET": value]
                let fast = try await ChildProcess.run(Self.binary, ["leader"], environment: environment)
                let parsed = try await ChildProcess.run(
                    Self.binary, ["leader", "--timeout", "5"], environment: environment)
                #expect(
                    Run(status: fast.status, output: fast.output) == Run(status: parsed.status, output: parsed.output))
                if value == path { #expect(fast.status == 0 && fast.output == "10.0.0.1:5050\n") }
                if value.isEmpty { #expect(fast.output.contains("/run/herald/herald.sock") || fast.status == 0) }
            }
        }
    }

    @Test("spellings the fast path leaves to the parser still work")
    func otherSpellings() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/herald.sock"
            let server = try CannedServer(path: path, reply: Array((Self.snapshot() + "\n").utf8))
            defer { server.close() }
            #expect(try await Self.herald(["leader", "--socket=\(path)"]) == Run(status: 0, output: "10.0.0.1:5050\n"))
            #expect(try await Self.herald(["leader", "--socket", path, "--json"]).output.hasPrefix("{\"epoch\""))
            let option = try await Self.herald(["leader", "--socket", "--json"])
            #expect(option.status == 2, "\(option)")
            let empty = try await Self.herald(["leader", "--socket", ""])
            #expect([2, 3].contains(empty.status), "\(empty)")
            #expect(try await Self.herald(["leader", "--socket"]).status == 2)
        }
    }
}

/// Creates a fresh directory, runs `body` with its path and removes it.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-fast-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
}

/// A Unix-domain socket that reads each connection's first line (or up to its end), writes
/// `reply` and closes the connection, on a thread of its own.
final class CannedServer: @unchecked Sendable {
    // Written once in init, then only read; the thread owns the accepted descriptors.
    private let listener: Int32
    private let path: String

    init(path: String, reply: [UInt8]) throws {
        self.path = path
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            Glibc.close(listener)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        let descriptor = listener
        Thread {
            while true {
                let connection = accept(descriptor, nil, nil)
                if connection < 0 {
                    if errno == EINTR { continue }
                    return
                }
                var byte: UInt8 = 0
                while read(connection, &byte, 1) == 1, byte != UInt8(ascii: "\n") {}
                var sent = 0
                while sent < reply.count {
                    let count = reply.withUnsafeBytes { write(connection, $0.baseAddress! + sent, $0.count - sent) }
                    if count <= 0 { break }
                    sent += count
                }
                Glibc.close(connection)
            }
        }.start()
    }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        unlink(path)
    }
}
