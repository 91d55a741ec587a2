import Dispatch
import Foundation
import HeraldTestSupport
import InMemoryLogging
import Logging
import Testing

@testable import DNS
@testable import HeraldConfig

#if canImport(Glibc)
    import Glibc
#endif

/// Helpers of the DNS tests, in one namespace so that they never clash with the helpers of
/// the other tests in this target.
enum DNSTestSupport {
    /// The distinct-address ensemble `Tests/run.sh` starts for the live refresh test
    /// (`127.0.1.1:P,127.0.1.2:P,127.0.1.3:P`, see `Deploy/zk-ensemble`, ZK_DISTINCT_IPS).
    static var distinctAddressEnsemble: [String] {
        get throws {
            let key = "HERALD_TEST_DNS_ZK"
            guard let value = ProcessInfo.processInfo.environment[key], !value.isEmpty else {
                throw SetupError(
                    "\(key) is not set: run the tests with Tests/run.sh (or start `ZK_DISTINCT_IPS=1 "
                        + "Deploy/zk-ensemble start` and export \(key) as its connect-string)")
            }
            let servers = value.split(separator: ",").map(String.init)
            guard servers.count >= 2, Set(servers.map { $0.split(separator: ":").last }).count == 1 else {
                throw SetupError("\(key)=\(value) is not a list of distinct addresses with one shared client port")
            }
            return servers
        }
    }

    /// Asks `resolver` until it answers `expected` for `name`: the way to wait for dnsmasq to
    /// start or to re-read its hosts file, which announce neither.
    static func waitForAnswer(
        _ resolver: DNSResolver, _ name: String, _ expected: [String], within limit: Duration = .seconds(10)
    ) async throws {
        try await within(limit, "\(resolver) to answer \(name) with \(expected)") {
            while true {
                if (try? await resolver.resolveIPv4(name)) == expected { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Expects `body` to throw a `DNSError` of `kind` and returns it.
    @discardableResult
    static func expectDNSError<T>(
        _ kind: DNSError.Kind, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
    ) async -> DNSError? {
        do {
            let value = try await body()
            Issue.record("expected a \(kind) DNSError, got \(value)", sourceLocation: sourceLocation)
        } catch let error as DNSError {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), "not one line: \(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected a \(kind) DNSError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// A loopback port that was free a moment ago for both UDP and TCP.
    static func freePort() throws -> Int {
        for _ in 0..<20 {
            let udp = try UDPSocket()
            defer { udp.close() }
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(tcp) }
            if bind(tcp, port: udp.port) { return udp.port }
        }
        throw SetupError("no free loopback port for both UDP and TCP")
    }

    static func bind(_ fd: Int32, port: Int) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A logger whose records the test can read.
    static func capturingLogger() -> (Logger, InMemoryLogHandler) {
        var handler = InMemoryLogHandler()
        handler.logLevel = .debug
        var logger = Logger(label: "herald.tests.dns") { _ in handler }
        logger.logLevel = .debug
        return (logger, handler)
    }
}

extension InMemoryLogHandler {
    func messages(at level: Logger.Level) -> [String] {
        entries.filter { $0.level == level }.map { "\($0.message)" }
    }
}

/// A bound UDP socket on 127.0.0.1 that the test drives itself: silent (it never reads), or
/// answering each query with bytes the test makes, to see the client meet what dnsmasq never
/// sends (wrong ids, garbage, REFUSED).
final class UDPSocket: @unchecked Sendable {
    // `fd` and `port` are set once; `closed` and `serving` are guarded by `lock`. While a
    // thread serves, that thread closes the descriptor (never under its feet).
    let fd: Int32
    let port: Int
    private let lock = NSLock()
    private var closed = false
    private var serving = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, DNSTestSupport.bind(fd, port: 0) else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { Glibc.close(fd) }
            throw SetupError("cannot bind a UDP socket on 127.0.0.1: \(reason)")
        }
        self.fd = fd
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    var server: String { "127.0.0.1:\(port)" }

    /// Answers every datagram with what `reply` makes of it (nothing for an empty list), on a
    /// Dispatch thread, until `close()`; each query received is also yielded to the stream.
    func serve(_ reply: @escaping @Sendable (_ query: [UInt8]) -> [[UInt8]]) -> AsyncStream<[UInt8]> {
        let (queries, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let fd = fd
        lock.lock()
        serving = true
        lock.unlock()
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            while !isClosed {
                peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = withUnsafeMutablePointer(to: &peer) { peerPointer in
                    peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                        buffer.withUnsafeMutableBytes {
                            recvfrom(fd, $0.baseAddress, $0.count, 0, address, &peerLength)
                        }
                    }
                }
                guard count > 0 else { continue }
                let query = Array(buffer[..<count])
                continuation.yield(query)
                for datagram in reply(query) {
                    _ = withUnsafePointer(to: &peer) { peerPointer in
                        peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                            datagram.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, peerLength) }
                        }
                    }
                }
            }
            continuation.finish()
            Glibc.close(fd)
        }
        return queries
    }

    private var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Stops serving (within the 50 ms receive timeout) and closes the socket.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        if !serving { Glibc.close(fd) }
    }
}

/// A DNS reply made by hand: header, the question copied from the query, and answers.
struct DNSReplyBuilder {
    var bytes: [UInt8] = []

    /// A reply header for `query` (its id and question), with `flags` and `answers` records.
    static func reply(to query: [UInt8], flags: UInt16 = 0x8180, answers: Int) -> DNSReplyBuilder {
        var builder = DNSReplyBuilder()
        builder.bytes = Array(query[0..<2])
        builder.u16(flags)
        builder.u16(1)
        builder.u16(UInt16(answers))
        builder.u16(0)
        builder.u16(0)
        builder.bytes += query[12...]
        return builder
    }

    mutating func u16(_ value: UInt16) {
        bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
    }

    mutating func u32(_ value: UInt32) {
        u16(UInt16(value >> 16))
        u16(UInt16(value & 0xffff))
    }

    /// Labels, then a pointer to `offset` or the root.
    mutating func name(_ labels: [String], pointer offset: Int? = nil) {
        for label in labels {
            bytes.append(UInt8(label.utf8.count))
            bytes += label.utf8
        }
        if let offset {
            u16(0xc000 | UInt16(offset))
        } else {
            bytes.append(0)
        }
    }

    /// An A record (owner written as a pointer to `offset`).
    mutating func a(owner offset: Int, _ address: String) {
        u16(0xc000 | UInt16(offset))
        u16(DNSMessage.typeA)
        u16(DNSMessage.classIN)
        u32(60)
        u16(4)
        bytes += address.split(separator: ".").map { UInt8($0)! }
    }
}
