import Foundation
import HeraldTestSupport
import Testing

@testable import DNS

/// The UDP side of the responder: its own thread, batches of queries, its socket released on stop.
@Suite("DNS responder over UDP", .timeLimit(.minutes(1)))
struct DatagramServerTests {
    /// Sends each packet from a socket of its own, all before reading any answer, then reads each
    /// socket's answer (nil when none came within a second); on a thread of its own.
    static func exchange(port: Int, _ packets: [[UInt8]]) async throws -> [[UInt8]?] {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                var sockets: [Int32] = []
                defer { for fd in sockets { close(fd) } }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(port).bigEndian
                address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
                for packet in packets {
                    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                    guard fd >= 0 else { return continuation.resume(throwing: SetupError("socket failed")) }
                    sockets.append(fd)
                    var timeout = timeval(tv_sec: 1, tv_usec: 0)
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    let sent = withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                            packet.withUnsafeBytes {
                                sendto(
                                    fd, $0.baseAddress, $0.count, 0, pointer, socklen_t(MemoryLayout<sockaddr_in>.size))
                            }
                        }
                    }
                    guard sent == packet.count else {
                        return continuation.resume(throwing: SetupError("sendto sent \(sent) of \(packet.count)"))
                    }
                }
                var answers: [[UInt8]?] = []
                for fd in sockets {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    answers.append(count > 0 ? Array(buffer[..<count]) : nil)
                }
                continuation.resume(returning: answers)
            }.start()
        }
    }

    @Test("60 senders at once, read in batches: each gets the answer to its own query")
    func ownAnswers() async throws {
        try await Fixture.serving { responder in
            let ids = (1...60).map { UInt16($0 * 1000 + 7) }
            let answers = try await Self.exchange(
                port: responder.port, ids.map { Query.make("leader.mesos.service.consul", id: $0) })
            for (id, answer) in zip(ids, answers) {
                let answer = try #require(answer, "query \(id) got no answer")
                #expect(UInt16(answer[0]) << 8 | UInt16(answer[1]) == id)
                let decoded = try Decoded(answer)
                #expect(decoded.answers == ["leader.mesos.service.consul 0 A 10.0.0.1"])
            }
        }
    }

    @Test("a datagram longer than any query is dropped; the next query is answered")
    func oversized() async throws {
        try await Fixture.serving { responder in
            var long = Query.make("leader.mesos.service.consul", id: 1)
            long += [UInt8](repeating: 0, count: DatagramServer.slot + 100 - long.count)
            let answers = try await Self.exchange(
                port: responder.port, [long, Query.make("leader.mesos.service.consul", id: 2)])
            #expect(answers[0] == nil, "the long datagram got an answer")
            #expect(answers[1].map { UInt16($0[0]) << 8 | UInt16($0[1]) } == 2)
        }
    }

    @Test("a stopped responder releases its port: a new one binds it and answers")
    func rebind() async throws {
        let port = try await Fixture.serving { responder in
            let answers = try await Self.exchange(port: responder.port, [Query.make("leader.mesos.service.consul")])
            #expect(answers[0] != nil)
            return responder.port
        }
        try await Fixture.serving(.init(host: "127.0.0.1", port: port)) { responder in
            #expect(responder.port == port)
            let answers = try await Self.exchange(port: port, [Query.make("zookeeper.service.consul", id: 9)])
            #expect(answers[0].map { UInt16($0[0]) << 8 | UInt16($0[1]) } == 9)
        }
    }
}
