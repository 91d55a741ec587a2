import Testing

@testable import DNS
@testable import HeraldConfig

/// The RFC 1035 codec on bytes made by hand: what a reply may look like, and what is refused.
@Suite("DNS message codec")
struct DNSMessageTests {
    /// A query for www.example.test with id 0x1234: the question starts at offset 12, and
    /// "example.test" at offset 16.
    static let query = try! DNSMessage.query(id: 0x1234, name: "www.example.test")

    @Test("a query has one A/IN question, recursion desired, and the id asked for")
    func queryLayout() throws {
        let bytes = try DNSMessage.query(id: 0xbeef, name: "zk.Service.consul.")
        #expect(
            bytes == [
                0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                2, 0x7a, 0x6b, 7, 0x53, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 6, 0x63, 0x6f, 0x6e, 0x73, 0x75, 0x6c, 0,
                0, 1, 0, 1,
            ])
        #expect(DNSMessage.id(of: bytes) == 0xbeef)
    }

    @Test(
        "names that cannot be queried are refused with the reason",
        arguments: [
            ("", "empty"), (".", "empty"), ("a..b", "empty label"), ("zk. consul", "not printable ASCII"),
            ("zöö.test", "not printable ASCII"), (String(repeating: "x", count: 64) + ".test", "longer than 63"),
            (Array(repeating: String(repeating: "x", count: 60), count: 5).joined(separator: "."), "longer than 255"),
        ])
    func badNames(name: String, reason: String) {
        #expect {
            try DNSMessage.query(id: 1, name: name)
        } throws: { error in
            (error as? DNSMessage.Malformed)?.reason.contains(reason) == true
        }
    }

    @Test("answers through a compressed CNAME chain give the target's A records, sorted, unique")
    func cnameChain() throws {
        var reply = DNSReplyBuilder.reply(to: Self.query, answers: 6)
        // www.example.test CNAME alias.example.test ("example.test" by pointer to offset 16)
        reply.u16(0xc00c)
        reply.u16(DNSMessage.typeCNAME)
        reply.u16(DNSMessage.classIN)
        reply.u32(60)
        reply.u16(8)
        let aliasOffset = reply.bytes.count
        reply.name(["alias"], pointer: 16)
        // alias.example.test CNAME target.example.test
        reply.u16(0xc000 | UInt16(aliasOffset))
        reply.u16(DNSMessage.typeCNAME)
        reply.u16(DNSMessage.classIN)
        reply.u32(60)
        reply.u16(9)
        let targetOffset = reply.bytes.count
        reply.name(["target"], pointer: 16)
        reply.a(owner: targetOffset, "10.0.0.10")
        reply.a(owner: targetOffset, "10.0.0.2")
        reply.a(owner: targetOffset, "10.0.0.10")
        reply.a(owner: 16, "9.9.9.9")  // example.test: not in the chain

        let parsed = try DNSMessage.parse(reply.bytes, name: "WWW.example.test")
        #expect(parsed.id == 0x1234)
        #expect(parsed.rcode == 0 && !parsed.truncated && parsed.answersQuestion)
        #expect(parsed.addresses == ["10.0.0.2", "10.0.0.10"])
        #expect(parsed.canonicalName == "target.example.test")
    }

    @Test("a truncated reply is reported as such, its answers unread")
    func truncated() throws {
        var reply = DNSReplyBuilder.reply(to: Self.query, flags: 0x8380, answers: 3)
        reply.a(owner: 12, "10.0.0.1")  // and then the datagram ends
        let parsed = try DNSMessage.parse(reply.bytes, name: "www.example.test")
        #expect(parsed.truncated)
        #expect(parsed.addresses.isEmpty)
    }

    @Test("a reply to another question is marked, so the client ignores it")
    func otherQuestion() throws {
        let other = try DNSMessage.query(id: 0x1234, name: "other.example.test")
        var reply = DNSReplyBuilder.reply(to: other, answers: 1)
        reply.a(owner: 12, "10.0.0.1")
        #expect(try DNSMessage.parse(reply.bytes, name: "www.example.test").answersQuestion == false)
    }

    @Test("NXDOMAIN and REFUSED come back as response codes, even without a question section")
    func responseCodes() throws {
        let nxdomain = DNSReplyBuilder.reply(to: Self.query, flags: 0x8183, answers: 0)
        #expect(try DNSMessage.parse(nxdomain.bytes, name: "www.example.test").rcode == 3)
        let refused: [UInt8] = [0x12, 0x34, 0x81, 0x05, 0, 0, 0, 0, 0, 0, 0, 0]
        let parsed = try DNSMessage.parse(refused, name: "www.example.test")
        #expect(parsed.rcode == 5 && parsed.answersQuestion)
    }

    static func malformedReplies() -> [(String, [UInt8])] {
        var cases: [(String, [UInt8])] = [("shorter than a DNS header", [0x12, 0x34, 0x81])]

        var forward = DNSReplyBuilder.reply(to: Self.query, answers: 1)
        forward.u16(0xc000 | UInt16(forward.bytes.count + 2))
        cases.append(("does not point backwards", forward.bytes))

        var selfLoop = DNSReplyBuilder.reply(to: Self.query, answers: 1)
        selfLoop.u16(0xc000 | UInt16(selfLoop.bytes.count))
        cases.append(("does not point backwards", selfLoop.bytes))

        var past = DNSReplyBuilder.reply(to: Self.query, answers: 1)
        past.u16(0xc00c)
        past.u16(DNSMessage.typeA)
        past.u16(DNSMessage.classIN)
        past.u32(60)
        past.u16(200)
        past.bytes += [10, 0, 0, 1]
        cases.append(("runs past the end", past.bytes))

        var longA = DNSReplyBuilder.reply(to: Self.query, answers: 1)
        longA.u16(0xc00c)
        longA.u16(DNSMessage.typeA)
        longA.u16(DNSMessage.classIN)
        longA.u32(60)
        longA.u16(5)
        longA.bytes += [10, 0, 0, 1, 1]
        cases.append(("A record of 5 bytes", longA.bytes))

        var loop = DNSReplyBuilder.reply(to: Self.query, answers: 2)
        loop.u16(0xc00c)
        loop.u16(DNSMessage.typeCNAME)
        loop.u16(DNSMessage.classIN)
        loop.u32(60)
        loop.u16(8)
        let alias = loop.bytes.count
        loop.name(["alias"], pointer: 16)
        loop.u16(0xc000 | UInt16(alias))
        loop.u16(DNSMessage.typeCNAME)
        loop.u16(DNSMessage.classIN)
        loop.u32(60)
        loop.u16(2)
        loop.u16(0xc00c)
        cases.append(("CNAME chain of www.example.test loops", loop.bytes))

        var labelType = DNSReplyBuilder.reply(to: Self.query, answers: 1)
        labelType.bytes.append(0x41)
        cases.append(("unknown label type", labelType.bytes))

        var query = Self.query
        query[2] = 0x01
        cases.append(("a query, not a response", query))
        return cases
    }

    @Test("malformed replies are refused with a reason", arguments: malformedReplies())
    func malformed(reason: String, bytes: [UInt8]) {
        #expect {
            try DNSMessage.parse(bytes, name: "www.example.test")
        } throws: { error in
            (error as? DNSMessage.Malformed)?.reason.contains(reason) == true
        }
    }
}
