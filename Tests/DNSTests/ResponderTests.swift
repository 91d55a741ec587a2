import HeraldTestSupport
import Testing

@testable import DNS

/// The responder on a real socket, asked by real clients: dig, dnspython, and dig through dnsmasq
/// and unbound forwarding only `mesos.service.consul` to it.
@Suite("DNS responder with real clients", .timeLimit(.minutes(3)))
struct ResponderTests {
    static let leaderTarget = Fixture.target("10.0.0.1")

    @Test("dig: every record type, over UDP and TCP")
    func digRecords() async throws {
        try await TestResponder.with { responder in
            let port = responder.port
            let leader = try await RealClients.dig(port: port, "leader.mesos.service.consul")
            #expect(leader.contains("status: NOERROR") && leader.contains("flags: qr aa rd;"), "\(leader)")
            #expect(leader.contains("leader.mesos.service.consul. 0\tIN\tA\t10.0.0.1"), "\(leader)")

            let srv = try await RealClients.dig(port: port, "_mesos._leader.service.consul", "SRV")
            #expect(srv.contains("_mesos._leader.service.consul. 0 IN\tSRV\t1 1 5050 \(Self.leaderTarget)."), "\(srv)")
            #expect(srv.contains(";; ADDITIONAL SECTION:\n\(Self.leaderTarget). 0 IN A\t10.0.0.1"), "\(srv)")

            #expect(
                try await RealClients.short(port: port, "follower.mesos.service.consul", "AAAA") == ["fd00::1"])
            #expect(
                try await RealClients.short(port: port, "master.mesos.service.consul")
                    == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
            #expect(
                try await RealClients.short(port: port, "zookeeper.service.consul", "A", ["+tcp"])
                    == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
            #expect(try await RealClients.short(port: port, "LEADER.Mesos.SERVICE.consul") == ["10.0.0.1"])
        }
    }

    @Test("dig: NXDOMAIN with the SOA, REFUSED outside the domain, NODATA for another type, SERVFAIL without a leader")
    func digErrors() async throws {
        try await TestResponder.with { responder in
            let port = responder.port
            let missing = try await RealClients.dig(port: port, "nothing.mesos.service.consul")
            #expect(missing.contains("status: NXDOMAIN"), "\(missing)")
            #expect(
                missing.contains(";; AUTHORITY SECTION:\nconsul.\t\t\t0\tIN\tSOA\tns.consul. hostmaster.consul. 7"),
                "\(missing)")
            let outside = try await RealClients.dig(port: port, "example.com")
            #expect(outside.contains("status: REFUSED"), "\(outside)")
            let other = try await RealClients.dig(port: port, "leader.mesos.service.consul", "TXT")
            #expect(other.contains("status: NOERROR") && other.contains("ANSWER: 0,"), "\(other)")

            responder.set(Fixture.zone(leader: nil))
            let noLeader = try await RealClients.dig(port: port, "leader.mesos.service.consul")
            #expect(noLeader.contains("status: SERVFAIL"), "\(noLeader)")
            let noLeaderSRV = try await RealClients.dig(port: port, "_mesos._leader.service.consul", "SRV")
            #expect(noLeaderSRV.contains("status: SERVFAIL"), "\(noLeaderSRV)")
        }
    }

    @Test("dig: TC over UDP, the whole answer over TCP, the EDNS0 size honoured")
    func digTruncation() async throws {
        try await TestResponder.with(Fixture.zone(masters: 40)) { responder in
            let port = responder.port
            let udp = try await RealClients.dig(
                port: port, "master.mesos.service.consul", "SRV", ["+ignore", "+noedns"])
            #expect(udp.contains("flags: qr aa tc rd;"), "\(udp)")
            #expect(udp.contains("ANSWER: 0,"), "\(udp)")
            // Without +ignore dig asks again over TCP, as a resolver does.
            let retried = try await RealClients.dig(port: port, "master.mesos.service.consul", "SRV", ["+noedns"])
            #expect(retried.contains("ANSWER: 40,") && retried.contains("ADDITIONAL: 40"), "\(retried)")
            #expect(retried.contains("(TCP)"), "\(retried)")
            // 40 A records (685 bytes) fit the 1232 bytes dig offers, not 512.
            let fits = try await RealClients.dig(port: port, "master.mesos.service.consul", "A", ["+ignore"])
            #expect(fits.contains("ANSWER: 40,") && !fits.contains(" tc "), "\(fits)")
            let small = try await RealClients.dig(
                port: port, "master.mesos.service.consul", "A", ["+ignore", "+bufsize=512"])
            #expect(small.contains("flags: qr aa tc rd;"), "\(small)")
        }
    }

    @Test("a change of the zone is answered from the next query on")
    func change() async throws {
        try await TestResponder.with { responder in
            let before = try await RealClients.short(port: responder.port, "leader.mesos.service.consul")
            #expect(before == ["10.0.0.1"])
            responder.set(Fixture.zone(leader: "10.0.0.2", serial: 8))
            let after = try await RealClients.short(port: responder.port, "leader.mesos.service.consul")
            #expect(after == ["10.0.0.2"])
        }
    }

    @Test("dnspython: A, SRV with its additional records, NXDOMAIN, NODATA, SERVFAIL, REFUSED, TCP, FORMERR")
    func dnspython() async throws {
        try await TestResponder.with { responder in
            let output = try await RealClients.python(
                port: responder.port,
                """
                import os, socket, dns.message, dns.query, dns.rcode, dns.rdatatype, dns.flags
                port = int(os.environ["PORT"])
                def ask(name, kind, tcp=False):
                    q = dns.message.make_query(name, kind)
                    return (dns.query.tcp if tcp else dns.query.udp)(q, "127.0.0.1", port=port, timeout=3)
                r = ask("leader.mesos.service.consul", "A")
                print("A", dns.rcode.to_text(r.rcode()), sorted(str(x) for x in r.answer[0]), bool(r.flags & dns.flags.AA))
                r = ask("_mesos._leader.service.consul", "SRV")
                print("SRV", [str(x) for x in r.answer[0]], [x.to_text() for x in r.additional])
                r = ask("master.mesos.service.consul", "SRV", tcp=True)
                print("TCP", len(r.answer[0]), len(r.additional))
                print("NX", dns.rcode.to_text(ask("none.mesos.service.consul", "A").rcode()))
                r = ask("leader.mesos.service.consul", "MX")
                print("NODATA", dns.rcode.to_text(r.rcode()), len(r.answer), r.authority[0].rdtype == dns.rdatatype.SOA)
                print("OUT", dns.rcode.to_text(ask("www.example.org", "A").rcode()))
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
                s.sendto(bytes.fromhex("abcd01000002000000000000"), ("127.0.0.1", port))
                print("FORMERR", dns.rcode.to_text(dns.message.from_wire(s.recv(512)).rcode()))
                """)
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.contains("A NOERROR ['10.0.0.1'] True"), "\(output)")
            #expect(
                lines.contains(
                    "SRV ['1 1 5050 \(Self.leaderTarget).'] ['\(Self.leaderTarget). 0 IN A 10.0.0.1']"),
                "\(output)")
            #expect(lines.contains("TCP 3 3"), "\(output)")
            #expect(lines.contains("NX NXDOMAIN"), "\(output)")
            #expect(lines.contains("NODATA NOERROR 0 True"), "\(output)")
            #expect(lines.contains("OUT REFUSED"), "\(output)")
            #expect(lines.contains("FORMERR FORMERR"), "\(output)")

            responder.set(Fixture.zone(leader: nil))
            let servfail = try await RealClients.python(
                port: responder.port,
                """
                import os, dns.message, dns.query, dns.rcode
                q = dns.message.make_query("leader.mesos.service.consul", "A")
                r = dns.query.udp(q, "127.0.0.1", port=int(os.environ["PORT"]), timeout=3)
                print(dns.rcode.to_text(r.rcode()))
                """)
            #expect(servfail == "SERVFAIL\n")
        }
    }

    @Test("through dnsmasq and unbound forwarding only the subdomain: answers, errors, and a change at once")
    func forwarders() async throws {
        // The Consul agent that keeps the rest of `consul`: here another responder.
        var consulRecords = Fixture.zone().records
        consulRecords["zookeeper.service.consul"] = DNSZone.Records(addresses: [DNSZone.Address("10.9.9.9")!])
        let consulZone = DNSZone(domain: "consul", records: consulRecords)
        try await TestResponder.with(consulZone) { consul in
            try await TestResponder.with { herald in
                for start in [Forwarder.dnsmasq, Forwarder.unbound] {
                    herald.set(Fixture.zone())
                    let forwarder = try await start(herald.port, consul.port)
                    try await Forwarder.with(forwarder) { forwarder in
                        let name = forwarder.program
                        let port = forwarder.port
                        #expect(
                            try await RealClients.short(port: port, "leader.mesos.service.consul") == ["10.0.0.1"],
                            "\(name)")
                        #expect(
                            try await RealClients.short(port: port, "_mesos._leader.service.consul", "SRV")
                                == ["1 1 5050 \(Self.leaderTarget)."], "\(name)")
                        #expect(
                            try await RealClients.short(port: port, "follower.mesos.service.consul", "AAAA")
                                == ["fd00::1"], "\(name)")
                        #expect(
                            try await RealClients.short(port: port, "zookeeper.service.consul") == ["10.9.9.9"],
                            "\(name): the rest of consul is Consul's")
                        let missing = try await RealClients.dig(port: port, "nothing.mesos.service.consul")
                        #expect(missing.contains("status: NXDOMAIN"), "\(name): \(missing)")

                        herald.set(Fixture.zone(leader: "10.0.0.3", serial: 9))
                        #expect(
                            try await RealClients.short(port: port, "leader.mesos.service.consul") == ["10.0.0.3"],
                            "\(name): TTL 0, nothing cached")
                        herald.set(Fixture.zone(leader: nil, serial: 10))
                        let noLeader = try await RealClients.dig(port: port, "leader.mesos.service.consul")
                        #expect(noLeader.contains("status: SERVFAIL"), "\(name): \(noLeader)")
                    }
                }
            }
        }
    }
}
