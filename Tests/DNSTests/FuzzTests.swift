import Foundation
import Logging
import Testing

@testable import DNS

#if canImport(Glibc)
    import Glibc
#endif

/// Malformed packets from a seeded generator: truncated headers, compression loops, label lengths
/// past the end, huge counts, and bit flips of good queries.
///
/// Process-wide memory is measured, so `Tests/run.sh` runs this suite alone (after the others).
@Suite("DNS fuzz", .serialized, .timeLimit(.minutes(3)))
struct FuzzTests {
    /// xorshift64*: the same packets on every run for a seed.
    struct Generator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }

        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }

        /// One malformed packet, of a kind chosen at random.
        mutating func packet() -> [UInt8] {
            let good = Query.make(
                ["leader.mesos.service.consul", "master.mesos.service.consul", "x.consul"][below(3)],
                type: [DNSRecordType.a, DNSRecordType.srv, DNSRecordType.any][below(3)],
                id: UInt16(truncatingIfNeeded: next()), payload: below(2) == 0 ? nil : 4096)
            let header: [UInt8] = [UInt8(below(256)), UInt8(below(256)), 1, 0]
            switch below(7) {
            case 0:  // a truncated header
                return Array(good.prefix(below(12)))
            case 1:  // a compression loop, or a pointer forwards
                let at = 12 + below(4) * 2
                return header + [0, 1, 0, 0, 0, 0, 0, 0] + [0xc0, UInt8(at)] + bytes(below(6))
            case 2:  // a label length past the end
                return header + [0, 1, 0, 0, 0, 0, 0, 0] + [UInt8(below(64) + 8)] + bytes(below(8))
            case 3:  // huge counts
                var packet = good
                for offset in [4, 6, 8, 10] where below(2) == 0 {
                    packet[offset] = 0xff
                    packet[offset + 1] = UInt8(below(256))
                }
                return packet
            case 4:  // bit flips in a good query
                var packet = good
                for _ in 0..<(1 + below(4)) { packet[below(packet.count)] ^= UInt8(1 << below(8)) }
                return packet
            case 5:  // a good query cut anywhere
                return Array(good.prefix(below(good.count)))
            default:  // noise
                return header + bytes(below(80))
            }
        }
    }

    @Test("100,000 malformed packets: each gets nothing or a well-formed answer to its id")
    func codec() throws {
        var generator = Generator(state: 0x6865_7261_6c64)
        let zone = Fixture.zone()
        var answered = 0
        for _ in 0..<100_000 {
            let packet = generator.packet()
            guard let answer = DNSAnswerer.respond(to: packet, zone: zone, transport: .udp) else { continue }
            answered += 1
            let decoded = try Decoded(answer)
            #expect(decoded.isResponse && answer.count <= 1232)
            #expect(Array(answer.prefix(2)) == Array(packet.prefix(2)))
        }
        #expect(answered > 10000, "the generator makes packets that get answers too (\(answered))")
    }

    @Test("100,000 malformed datagrams at the responder: it answers correctly after, its memory has not grown")
    func live() async throws {
        let logger = Logger(label: "fuzz")
        let zone = Fixture.zone()
        let responder = try await DNSResponder.bind(
            configuration: .init(host: "127.0.0.1", port: 0), logger: logger, zone: { zone })
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await responder.run() }
            defer { group.cancelAll() }
            // Warm-up: the first answers allocate what the responder keeps (buffers, the pool).
            try await blast(port: responder.port, count: 5_000, seed: 1)
            let before = Self.residentBytes()
            try await blast(port: responder.port, count: 100_000, seed: 0x6865_7261_6c64)
            let answer = try await RealClients.dig(port: responder.port, "leader.mesos.service.consul")
            #expect(answer.contains("status: NOERROR"), "\(answer)")
            #expect(answer.contains("leader.mesos.service.consul. 0\tIN\tA\t10.0.0.1"), "\(answer)")
            let grown = Self.residentBytes() - before
            #expect(grown < 16 << 20, "resident memory grew by \(grown >> 10) KiB")
        }
    }

    /// Sends `count` packets from one UDP socket, draining answers so none queue up, on a thread of
    /// its own (blocking calls stay off the cooperative pool).
    private func blast(port: Int, count: Int, seed: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread {
                let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                guard fd >= 0 else { return continuation.resume(throwing: FuzzError("socket failed")) }
                defer { close(fd) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(port).bigEndian
                address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
                var generator = Generator(state: seed)
                var buffer = [UInt8](repeating: 0, count: 2048)
                for index in 0..<count {
                    let packet = generator.packet()
                    _ = withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                            packet.withUnsafeBytes {
                                sendto(
                                    fd, $0.baseAddress, $0.count, 0, pointer, socklen_t(MemoryLayout<sockaddr_in>.size))
                            }
                        }
                    }
                    // Now and then wait for the responder to catch up, so the socket buffer never
                    // overflows into drops that would hide a stall.
                    if index % 64 == 63 {
                        while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) })
                            > 0
                        {}
                    }
                }
                // A last good query: once its answer is back, every packet before it has been read
                // (one socket, in order), so what follows measures the responder at rest.
                let marker = Query.make("leader.mesos.service.consul", id: 0xfeed)
                // Sent again every 200 ms: a datagram may be dropped when the socket's buffer is
                // full, and a dropped marker must not look like a responder that stopped.
                var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let deadline = ContinuousClock.now + .seconds(30)
                var answered = false
                while !answered, ContinuousClock.now < deadline {
                    _ = withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                            marker.withUnsafeBytes {
                                sendto(
                                    fd, $0.baseAddress, $0.count, 0, pointer, socklen_t(MemoryLayout<sockaddr_in>.size))
                            }
                        }
                    }
                    while true {
                        let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                        if received < 0 { break }
                        if received >= 2, buffer[0] == 0xfe, buffer[1] == 0xed {
                            answered = true
                            break
                        }
                    }
                }
                guard answered else {
                    return continuation.resume(
                        throwing: FuzzError("no answer to a good query within 30 s after \(count) malformed packets"))
                }
                continuation.resume()
            }.start()
        }
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

struct FuzzError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
