import Foundation
import HeraldTestSupport
import Testing

@testable import DNS
@testable import HeraldConfig

/// The resolver against a real dnsmasq on loopback, and against sockets the test drives itself
/// for what dnsmasq never does (stay silent, answer garbage, answer with the wrong id).
@Suite("DNS resolver", .timeLimit(.minutes(1)))
struct DNSResolverTests {
    @Test("every A record of a name, sorted by address")
    func multipleRecords() async throws {
        let records = ["zk.herald.test": ["127.0.3.10", "127.0.3.2", "127.0.3.1", "10.1.2.3"]]
        try await withDnsmasq(records) { dnsmasq in
            let addresses = try await dnsmasq.resolver().resolveIPv4("zk.herald.test")
            #expect(addresses == ["10.1.2.3", "127.0.3.1", "127.0.3.2", "127.0.3.10"])
            #expect(try await dnsmasq.resolver().resolveIPv4("ZK.Herald.Test.") == addresses)
        }
    }

    @Test("a missing name is NXDOMAIN: 'no A records for NAME at SERVER'")
    func nxdomain() async throws {
        try await withDnsmasq([:]) { dnsmasq in
            let error = await DNSTestSupport.expectDNSError(.noRecords) {
                try await dnsmasq.resolver().resolveIPv4("missing.herald.test")
            }
            #expect(error?.description == "no A records for missing.herald.test at \(dnsmasq.server) (NXDOMAIN)")
        }
    }

    @Test("a name with no A record (only IPv6 here) is NODATA: no A records either")
    func nodata() async throws {
        try await withDnsmasq(["v6only.herald.test": ["::1"]]) { dnsmasq in
            let error = await DNSTestSupport.expectDNSError(.noRecords) {
                try await dnsmasq.resolver().resolveIPv4("v6only.herald.test")
            }
            #expect(error?.description == "no A records for v6only.herald.test at \(dnsmasq.server) (NODATA)")
        }
    }

    @Test("a CNAME chain is followed to the A records")
    func cname() async throws {
        let records = ["zk.herald.test": ["127.0.3.1", "127.0.3.2"]]
        let aliases = ["--cname=alias.herald.test,middle.herald.test", "--cname=middle.herald.test,zk.herald.test"]
        try await withDnsmasq(records, arguments: aliases) { dnsmasq in
            let addresses = try await dnsmasq.resolver().resolveIPv4("alias.herald.test")
            #expect(addresses == ["127.0.3.1", "127.0.3.2"])
        }
    }

    @Test("a reply too big for UDP is truncated, and the client asks again over TCP")
    func truncatedToTCP() async throws {
        let addresses = (1...60).map { "127.0.4.\($0)" }
        try await withDnsmasq(["many.herald.test": addresses]) { dnsmasq in
            let resolved = try await dnsmasq.resolver().resolveIPv4("many.herald.test")
            #expect(resolved == addresses)
        }
    }

    @Test("a server that never answers times out, bounded, after every attempt")
    func timeout() async throws {
        let silent = try UDPSocket()
        defer { silent.close() }
        let resolver = try DNSResolver(server: silent.server, timeout: .milliseconds(150), attempts: 2)
        let start = ContinuousClock.now
        let error = try await within(.seconds(5), "the timeout error") {
            await DNSTestSupport.expectDNSError(.timeout) { try await resolver.resolveIPv4("slow.herald.test") }
        }
        let elapsed = ContinuousClock.now - start
        #expect(
            error?.description == "DNS query A slow.herald.test to \(silent.server) timed out (2 attempts of 150ms)")
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(3), "took \(elapsed)")
    }

    @Test("nothing listening on the server's port is reported as refused, at once")
    func connectionRefused() async throws {
        let port = try DNSTestSupport.freePort()
        let resolver = try DNSResolver(server: "127.0.0.1:\(port)", timeout: .seconds(5))
        let error = try await within(.seconds(3), "the refused error") {
            await DNSTestSupport.expectDNSError(.refused) { try await resolver.resolveIPv4("zk.herald.test") }
        }
        #expect(error?.description.hasPrefix("127.0.0.1:\(port) refused the query A zk.herald.test") == true)
    }

    @Test("a REFUSED answer names the server and the query")
    func refusedAnswer() async throws {
        let server = try UDPSocket()
        defer { server.close() }
        _ = server.serve { query in [DNSReplyBuilder.reply(to: query, flags: 0x8185, answers: 0).bytes] }
        let error = await DNSTestSupport.expectDNSError(.refused) {
            try await DNSResolver(server: server.server).resolveIPv4("zk.herald.test")
        }
        #expect(error?.description == "\(server.server) refused the query A zk.herald.test (REFUSED)")
    }

    @Test("a reply with another id is ignored; the right one is taken")
    func wrongIDIgnored() async throws {
        let server = try UDPSocket()
        defer { server.close() }
        _ = server.serve { query in
            var stray = DNSReplyBuilder.reply(to: query, answers: 1)
            stray.bytes[1] ^= 0xff
            stray.a(owner: 12, "10.6.6.6")
            var real = DNSReplyBuilder.reply(to: query, answers: 1)
            real.a(owner: 12, "10.0.0.7")
            return [stray.bytes, real.bytes]
        }
        #expect(try await DNSResolver(server: server.server).resolveIPv4("zk.herald.test") == ["10.0.0.7"])
    }

    @Test("a malformed reply is an error naming the server, the query and what is wrong")
    func malformedReply() async throws {
        let server = try UDPSocket()
        defer { server.close() }
        _ = server.serve { query in
            var reply = DNSReplyBuilder.reply(to: query, answers: 1)
            reply.u16(0xc000 | UInt16(reply.bytes.count))  // a pointer to itself
            return [reply.bytes]
        }
        let error = await DNSTestSupport.expectDNSError(.malformedReply) {
            try await DNSResolver(server: server.server).resolveIPv4("zk.herald.test")
        }
        #expect(
            error?.description
                == "malformed DNS reply from \(server.server) to A zk.herald.test: a compression pointer does not point backwards"
        )
    }

    @Test("a look-up waiting for a silent server ends at once when its task is cancelled")
    func cancellation() async throws {
        let silent = try UDPSocket()
        defer { silent.close() }
        let queries = silent.serve { _ in [] }
        let resolver = try DNSResolver(server: silent.server, timeout: .seconds(30), attempts: 1)
        let lookup = Task { try await resolver.resolveIPv4("zk.herald.test") }
        _ = try await within(.seconds(5), "the query to reach the silent server") {
            for await query in queries { return query }
            throw SetupError("the silent server stopped")
        }
        let start = ContinuousClock.now
        lookup.cancel()
        let result = await lookup.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test("the system resolver finds localhost")
    func systemResolver() async throws {
        let addresses = try await DNSResolver.system.resolveIPv4("localhost")
        #expect(addresses.contains("127.0.0.1"), "\(addresses)")
        #expect(addresses == IPv4.sortedUnique(addresses.compactMap { IPv4.parse($0) }))
    }

    @Test("names that cannot be queried are refused before anything is sent")
    func invalidName() async throws {
        let error = await DNSTestSupport.expectDNSError(.invalidName) {
            try await DNSResolver(server: "127.0.0.1:9").resolveIPv4("zk..herald.test")
        }
        #expect(error?.description == "'zk..herald.test' is not a DNS name that can be queried: it has an empty label")
    }
}
