import Testing

@testable import DNS

/// The responder's rules, one by one, on queries captured from dig 9.18 and on built ones.
@Suite("DNS answers")
struct AnswererTests {
    /// `dig @… -p … leader.mesos.service.consul`: RD, AD, EDNS0 (payload 1232) with a cookie.
    static let digLeader = Query.hex(
        "ac8d01200001000000000001066c6561646572056d65736f73077365727669636506636f6e73756c000001000100002904d0"
            + "00000000000c000a000816802f3cc4923059")
    /// `dig +noedns +nocookie SRV _mesos._leader.service.consul`.
    static let digLeaderSRV = Query.hex(
        "f15301200001000000000000065f6d65736f73075f6c6561646572077365727669636506636f6e73756c0000210001")
    /// `dig +bufsize=4096 +nocookie LeAdEr.MeSoS.service.consul AAAA`.
    static let digMixedCaseAAAA = Query.hex(
        "080001200001000000000001064c6541644572054d65536f53077365727669636506636f6e73756c00001c00010000291000"
            + "000000000000")

    @Test("dig's query for the leader: its A record, authoritative, TTL 0, the OPT record back")
    func leaderFromDig() throws {
        let request = try #require(
            { if case .query(let request) = DNSRequest.parse(Self.digLeader) { return request } else { return nil } }())
        #expect(request.name == "leader.mesos.service.consul")
        #expect(request.edns?.payloadSize == 1232)
        let answer = try Fixture.answer(Self.digLeader)
        #expect(answer.id == 0xac8d)
        #expect(answer.isResponse && answer.authoritative && answer.rcode == 0 && !answer.truncated)
        #expect(answer.flags & 0x0100 != 0, "RD is echoed")
        #expect(answer.question == "leader.mesos.service.consul A")
        #expect(answer.answers == ["leader.mesos.service.consul 0 A 10.0.0.1"])
        #expect(answer.additionals == ["OPT 1232 0"])
    }

    @Test("SRV in the RFC 2782 form: the leader's port and target, the target's A record in the additional section")
    func leaderSRV() throws {
        let answer = try Fixture.answer(Self.digLeaderSRV)
        #expect(answer.rcode == 0)
        let target = Fixture.target("10.0.0.1")
        #expect(answer.answers == ["_mesos._leader.service.consul 0 SRV 1 1 5050 \(target)"])
        #expect(answer.additionals == ["\(target) 0 A 10.0.0.1"], "no OPT: the query had none")
    }

    @Test("names are matched without regard to case, and the question is repeated as asked")
    func mixedCase() throws {
        let answer = try Fixture.answer(Self.digMixedCaseAAAA)
        #expect(answer.question == "LeAdEr.MeSoS.service.consul AAAA")
        #expect(answer.rcode == 0 && answer.answers.isEmpty, "the leader has no IPv6 address: NODATA")
        let follower = try Fixture.answer(Query.make("FOLLOWER.mesos.SERVICE.consul", type: DNSRecordType.aaaa))
        #expect(follower.answers == ["FOLLOWER.mesos.SERVICE.consul 0 AAAA fd00:0:0:0:0:0:0:1"])
    }

    @Test("every record type of every name")
    func everyName() throws {
        let masters = try Fixture.answer(Query.make("master.mesos.service.consul"))
        #expect(masters.answers.count == 3)
        let masterSRV = try Fixture.answer(Query.make("master.mesos.service.consul", type: DNSRecordType.srv))
        #expect(masterSRV.answers.count == 3 && masterSRV.additionals.count == 3)
        let followers = try Fixture.answer(Query.make("follower.mesos.service.consul"))
        #expect(followers.answers == ["follower.mesos.service.consul 0 A 10.0.1.1"])
        let followerSRV = try Fixture.answer(Query.make("follower.mesos.service.consul", type: DNSRecordType.srv))
        #expect(followerSRV.additionals.contains("\(Fixture.target("fd00::1")) 0 AAAA fd00:0:0:0:0:0:0:1"))
        let zooKeeper = try Fixture.answer(Query.make("zookeeper.service.consul"))
        #expect(zooKeeper.answers.map { $0.split(separator: " ").last! } == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        let any = try Fixture.answer(Query.make("leader.mesos.service.consul", type: DNSRecordType.any))
        #expect(any.answers.count == 2, "A and SRV: \(any)")
        let target = try Fixture.answer(Query.make(Fixture.target("10.0.0.2")))
        #expect(target.answers == ["\(Fixture.target("10.0.0.2")) 0 A 10.0.0.2"])
        let soa = try Fixture.answer(Query.make("consul", type: DNSRecordType.soa))
        #expect(soa.answers == ["consul 0 SOA ns.consul hostmaster.consul 7 3600 600 86400 0"])
    }

    @Test("the TTL is the zone's: 0 by default, as configured otherwise, and the SOA minimum too")
    func ttl() throws {
        let answer = try Fixture.answer(Query.make("leader.mesos.service.consul"), zone: Fixture.zone(ttl: 30))
        #expect(answer.answers == ["leader.mesos.service.consul 30 A 10.0.0.1"])
        let missing = try Fixture.answer(Query.make("nothing.service.consul"), zone: Fixture.zone(ttl: 30))
        #expect(missing.authorities.first?.hasSuffix(" 30") == true, "\(missing)")
    }

    @Test("an unknown name inside the domain is NXDOMAIN with the SOA; an ancestor of a name exists")
    func nameError() throws {
        let answer = try Fixture.answer(Query.make("nothing.mesos.service.consul"))
        #expect(answer.rcode == 3 && answer.authoritative && answer.answers.isEmpty)
        #expect(answer.authorities == ["consul 0 SOA ns.consul hostmaster.consul 7 3600 600 86400 0"])
        let ancestor = try Fixture.answer(Query.make("mesos.service.consul"))
        #expect(ancestor.rcode == 0 && ancestor.answers.isEmpty && ancestor.authorities.count == 1, "\(ancestor)")
    }

    @Test("a name outside the domain, or another class, is REFUSED")
    func refused() throws {
        for query in [
            Query.make("example.com"), Query.make("consul.example.com"), Query.make("xconsul"), Query.make(""),
            Query.make("version.bind", type: 16, klass: 3),
            Query.make("leader.mesos.service.consul", klass: 3),
        ] {
            let answer = try Fixture.answer(query)
            #expect(answer.rcode == 5 && answer.answers.isEmpty && !answer.authoritative, "\(answer)")
        }
    }

    @Test("an existing name asked with another type is NOERROR, no answers, the SOA")
    func noData() throws {
        for type in [UInt16(16), 15, DNSRecordType.aaaa, DNSRecordType.ns, DNSRecordType.cname] {
            let answer = try Fixture.answer(Query.make("leader.mesos.service.consul", type: type))
            #expect(answer.rcode == 0 && answer.answers.isEmpty && answer.authorities.count == 1, "\(answer)")
        }
    }

    @Test("no leader known: the leader names answer SERVFAIL, the others still answer")
    func noLeader() throws {
        let zone = Fixture.zone(leader: nil)
        for query in [
            Query.make("leader.mesos.service.consul"),
            Query.make("_mesos._leader.service.consul", type: DNSRecordType.srv),
            Query.make("LEADER.mesos.service.consul", type: DNSRecordType.aaaa),
        ] {
            let answer = try Fixture.answer(query, zone: zone)
            #expect(answer.rcode == 2 && answer.answers.isEmpty, "\(answer)")
        }
        #expect(try Fixture.answer(Query.make("master.mesos.service.consul"), zone: zone).answers.count == 3)
    }

    @Test("an answer too big for 512 bytes sets TC over UDP; the EDNS0 size is honoured; TCP takes it all")
    func truncation() throws {
        let zone = Fixture.zone(masters: 40)
        let query = Query.make("master.mesos.service.consul", type: DNSRecordType.srv)
        let udp = try Fixture.answer(query, zone: zone)
        #expect(udp.truncated && udp.answers.isEmpty && udp.question != nil)
        let tcp = try Fixture.answer(query, zone: zone, transport: .tcp)
        #expect(!tcp.truncated && tcp.answers.count == 40 && tcp.additionals.count == 40)

        // 40 A records are 12 + 33 + 40 × 16 = 685 bytes with compression: over 512, under 1232.
        let addresses = Query.make("master.mesos.service.consul", payload: 1232)
        let big = try #require(DNSAnswerer.respond(to: addresses, zone: zone, transport: .udp))
        #expect(big.count > 512 && big.count <= 1232)
        #expect(try Decoded(big).answers.count == 40)
        let small = try Fixture.answer(Query.make("master.mesos.service.consul", payload: 512), zone: zone)
        #expect(small.truncated && small.answers.isEmpty)
        let plain = try Fixture.answer(Query.make("master.mesos.service.consul"), zone: zone)
        #expect(plain.truncated)
        // A client that offers more than 1232 still gets at most 1232 over UDP.
        let huge = try Fixture.answer(
            Query.make("master.mesos.service.consul", type: DNSRecordType.srv, payload: 65000), zone: zone)
        #expect(huge.truncated)
    }

    @Test("EDNS0 version 1 gets BADVERS; another opcode NOTIMP; an unreadable question FORMERR")
    func errors() throws {
        let badVersion = try Fixture.answer(Query.make("leader.mesos.service.consul", payload: 1232, version: 1))
        #expect(badVersion.rcode == 0 && badVersion.additionals == ["OPT 1232 16777216"], "\(badVersion)")
        var notify = Query.make("leader.mesos.service.consul")
        notify[2] = 0x20  // opcode 4 (NOTIFY)
        let notImplemented = try Fixture.answer(notify)
        #expect(notImplemented.rcode == 4 && notImplemented.id == 0x4242 && notImplemented.question == nil)
        var twoQuestions = Query.make("leader.mesos.service.consul")
        twoQuestions[5] = 2
        #expect(try Fixture.answer(twoQuestions).rcode == 1)
        let cutInName = Array(Query.make("leader.mesos.service.consul").prefix(20))
        #expect(try Fixture.answer(cutInName).rcode == 1)
        var trailing = Query.make("leader.mesos.service.consul")
        trailing.append(0)
        #expect(try Fixture.answer(trailing).rcode == 1, "bytes after the last record")
    }

    @Test("shorter than a header, or a response: no answer at all")
    func dropped() {
        #expect(DNSAnswerer.respond(to: [], zone: Fixture.zone(), transport: .udp) == nil)
        #expect(DNSAnswerer.respond(to: [0x12, 0x34, 1], zone: Fixture.zone(), transport: .udp) == nil)
        var response = Query.make("leader.mesos.service.consul")
        response[2] |= 0x80
        #expect(DNSAnswerer.respond(to: response, zone: Fixture.zone(), transport: .udp) == nil)
    }

    @Test("compression loops, forward pointers and label lengths past the end are FORMERR")
    func hostileNames() throws {
        let header: [UInt8] = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for name: [UInt8] in [
            [0xc0, 12],  // points at itself
            [0xc0, 14, 0xc0, 12],  // forwards, then back: a loop
            [63, 0x61],  // a label past the end
            [0x80, 1, 0x61, 0],  // reserved label type
            Array(repeating: [UInt8]([1, 0x61]), count: 130).flatMap { $0 } + [0],  // 261 bytes
        ] {
            let answer = try Fixture.answer(header + name + [0, 1, 0, 1])
            #expect(answer.rcode == 1, "\(name.prefix(8))")
        }
    }
}

@Suite("DNS answer cache")
struct AnswerCacheTests {
    @Test("the same query gets the same answer under its own id; another zone, a new answer")
    func reuse() throws {
        var cache = AnswerCache(capacity: 4)
        let zone = Fixture.zone()
        let firstAnswer = cache.respond(
            to: Query.make("leader.mesos.service.consul", id: 1), zone: zone, transport: .udp)
        let first = try #require(firstAnswer)
        let secondAnswer = cache.respond(
            to: Query.make("leader.mesos.service.consul", id: 2), zone: zone, transport: .udp)
        let second = try #require(secondAnswer)
        #expect(try Decoded(first).id == 1 && Decoded(second).id == 2)
        #expect(first.dropFirst(2) == second.dropFirst(2))
        let movedAnswer = cache.respond(
            to: Query.make("leader.mesos.service.consul", id: 3), zone: Fixture.zone(leader: "10.0.0.2"),
            transport: .udp)
        let moved = try #require(movedAnswer)
        #expect(try Decoded(moved).answers == ["leader.mesos.service.consul 0 A 10.0.0.2"])
        // Past its capacity it starts again rather than grow.
        for index in 0..<10 {
            _ = cache.respond(to: Query.make("n\(index).consul"), zone: zone, transport: .udp)
        }
        let short = cache.respond(to: [1, 2, 3], zone: zone, transport: .udp)
        #expect(short == nil)
        let againAnswer = cache.respond(
            to: Query.make("leader.mesos.service.consul", id: 4), zone: zone, transport: .udp)
        let again = try #require(againAnswer)
        #expect(try Decoded(again).answers == ["leader.mesos.service.consul 0 A 10.0.0.1"])
    }
}
