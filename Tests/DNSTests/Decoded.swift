import Logging

@testable import DNS

/// An answer read back into fields the tests compare: the header, and every record as a line
/// of text in the spelling of zone files (`name TTL TYPE data`).
struct Decoded: CustomStringConvertible {
    var id: UInt16
    var flags: UInt16
    var question: String?
    var answers: [String] = []
    var authorities: [String] = []
    var additionals: [String] = []

    var rcode: UInt16 { flags & 0xf }
    var truncated: Bool { flags & 0x0200 != 0 }
    var authoritative: Bool { flags & 0x0400 != 0 }
    var isResponse: Bool { flags & 0x8000 != 0 }

    var description: String {
        "id \(id) flags \(String(flags, radix: 16)) q \(question ?? "-") an \(answers) ns \(authorities) ar \(additionals)"
    }

    init(_ bytes: [UInt8]) throws {
        var reader = DNSMessage.Reader(bytes: bytes)
        id = try reader.u16()
        flags = try reader.u16()
        let counts = [try reader.u16(), try reader.u16(), try reader.u16(), try reader.u16()]
        if counts[0] == 1 {
            let name = try reader.name()
            let type = try reader.u16()
            _ = try reader.u16()
            question = "\(name) \(Self.typeName(type))"
        }
        for _ in 0..<counts[1] { answers.append(try Self.record(&reader)) }
        for _ in 0..<counts[2] { authorities.append(try Self.record(&reader)) }
        for _ in 0..<counts[3] { additionals.append(try Self.record(&reader)) }
        guard reader.offset == bytes.count else {
            throw DNSMessage.Malformed("\(bytes.count - reader.offset) bytes left")
        }
    }

    static func record(_ reader: inout DNSMessage.Reader) throws -> String {
        let name = try reader.name()
        let type = try reader.u16()
        let klass = try reader.u16()
        let ttl = try reader.u32()
        let length = Int(try reader.u16())
        let end = reader.offset + length
        var data: String
        switch type {
        case DNSRecordType.a:
            data = IPv4.format(try reader.u32())
        case DNSRecordType.aaaa:
            var groups: [String] = []
            for _ in 0..<8 { groups.append(String(try reader.u16(), radix: 16)) }
            data = groups.joined(separator: ":")
        case DNSRecordType.srv:
            data = "\(try reader.u16()) \(try reader.u16()) \(try reader.u16()) \(try reader.name())"
        case DNSRecordType.soa:
            data = "\(try reader.name()) \(try reader.name()) \(try reader.u32())"
            for _ in 0..<4 { data += " \(try reader.u32())" }
        case DNSRecordType.opt:
            return "OPT \(klass) \(ttl)"
        default:
            data = "\(length) bytes"
        }
        guard reader.offset == end else { throw DNSMessage.Malformed("record data of \(name) is \(length) bytes") }
        return "\(name) \(ttl) \(typeName(type)) \(data)"
    }

    static func typeName(_ type: UInt16) -> String {
        switch type {
        case DNSRecordType.a: "A"
        case DNSRecordType.aaaa: "AAAA"
        case DNSRecordType.srv: "SRV"
        case DNSRecordType.soa: "SOA"
        case DNSRecordType.opt: "OPT"
        case DNSRecordType.any: "ANY"
        case 16: "TXT"
        case 15: "MX"
        default: "TYPE\(type)"
        }
    }
}

/// Queries built the way dig builds them.
enum Query {
    /// A standard query, recursion desired; `payload` adds an EDNS0 OPT record.
    static func make(
        _ name: String, type: UInt16 = DNSRecordType.a, id: UInt16 = 0x4242, payload: UInt16? = nil,
        version: UInt8 = 0, klass: UInt16 = DNSRecordType.classIN
    ) -> [UInt8] {
        var bytes: [UInt8] = [
            UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, payload == nil ? 0 : 1,
        ]
        for label in name.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += Array(label.utf8)
        }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xff), UInt8(klass >> 8), UInt8(klass & 0xff)]
        if let payload {
            bytes += [0, 0, 41, UInt8(payload >> 8), UInt8(payload & 0xff), 0, version, 0, 0, 0, 0]
        }
        return bytes
    }

    /// Bytes from hex, as captured.
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}

/// The zone most tests answer from: a leader, three masters, two followers (one on IPv6), a
/// three-server ensemble.
enum Fixture {
    static let domain = "consul"

    static func target(_ ip: String) -> String {
        let address = DNSZone.Address(ip)!
        let hex = address.bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return "\(hex).addr.mesos.service.consul"
    }

    static func zone(leader: String? = "10.0.0.1", masters: Int = 3, ttl: UInt32 = 0, serial: UInt32 = 7) -> DNSZone {
        var records: [String: DNSZone.Records] = [:]
        func add(_ name: String, _ endpoints: [(String, UInt16)], addresses: Bool = true, failing: Bool = false) {
            var entry = DNSZone.Records(failing: failing)
            for (ip, port) in endpoints {
                let address = DNSZone.Address(ip)!
                if addresses { entry.addresses.append(address) }
                entry.services.append(DNSZone.Service(port: port, target: target(ip)))
                records[target(ip)] = DNSZone.Records(addresses: [address])
            }
            records[name] = entry
        }
        let masterList = (1...max(masters, 1)).prefix(masters).map { ("10.0.0.\($0)", UInt16(5050)) }
        add("leader.mesos.service.consul", leader.map { [($0, UInt16(5050))] } ?? [], failing: leader == nil)
        add(
            "_mesos._leader.service.consul", leader.map { [($0, UInt16(5050))] } ?? [], addresses: false,
            failing: leader == nil)
        add("master.mesos.service.consul", masterList)
        add("follower.mesos.service.consul", [("10.0.1.1", 5051), ("fd00::1", 5051)])
        add("zookeeper.service.consul", [("10.0.0.1", 2181), ("10.0.0.2", 2181), ("10.0.0.3", 2181)])
        return DNSZone(domain: domain, ttl: ttl, serial: serial, records: records)
    }

    static func answer(
        _ query: [UInt8], zone: DNSZone = Fixture.zone(), transport: DNSAnswerer.Transport = .udp
    ) throws -> Decoded {
        guard let bytes = DNSAnswerer.respond(to: query, zone: zone, transport: transport) else {
            throw DNSMessage.Malformed("no answer")
        }
        return try Decoded(bytes)
    }
}

extension Fixture {
    /// Runs `body` with a responder bound with `configuration` (a free port on 127.0.0.1 by
    /// default) answering from `zone`, serving until `body` returns; always stops it.
    static func serving<T: Sendable>(
        _ configuration: DNSResponder.Configuration = .init(host: "127.0.0.1", port: 0),
        zone: @escaping @Sendable () -> DNSZone = { Fixture.zone() },
        _ body: @escaping @Sendable (DNSResponder) async throws -> T
    ) async throws -> T {
        let responder = try await DNSResponder.bind(
            configuration: configuration, logger: Logger(label: "dns.test"), zone: zone)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await responder.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(responder)
        }
    }
}
