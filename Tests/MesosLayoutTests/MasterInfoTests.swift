import Foundation
import MesosLayout
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("MasterInfo: IPv4 packing, Mesos-identical encoding, strict decoding")
struct MasterInfoTests {
    static let packed: [(String, UInt32)] = [
        ("0.0.0.0", 0),
        ("255.255.255.255", 4_294_967_295),
        ("127.0.0.1", 16_777_343),
        ("10.0.0.1", 16_777_226),
        ("192.168.1.10", 167_880_896),
        ("1.2.3.4", 0x0403_0201),
        ("172.16.254.3", 0x03FE_10AC),
    ]

    @Test("packIPv4 packs network order read little-endian, as in_addr.s_addr", arguments: packed)
    func packs(dotted: String, value: UInt32) {
        #expect(MasterInfo.packIPv4(dotted) == value)
        #expect(MasterInfo.unpackIPv4(value) == dotted)
        // Independent oracle: what Mesos itself stores, `inet_pton` into an in_addr, on this host.
        var address = in_addr()
        #expect(inet_pton(AF_INET, dotted, &address) == 1)
        #expect(UInt32(littleEndian: address.s_addr) == value)
    }

    @Test(
        "packIPv4 refuses anything but a strict dotted quad",
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "a.b.c.d", " 1.2.3.4",
            "1.2.3.4 ", "1..3.4", "-1.2.3.4", "+1.2.3.4", "1.2.3.4.", "0x1.2.3.4", "1111.2.3.4", "::1", "１.2.3.4",
        ])
    func refusesBadIPv4(text: String) {
        #expect(MasterInfo.packIPv4(text) == nil)
    }

    @Test("unpack then pack is the identity on random values")
    func packRoundTrip() {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<2000 {
            let value = UInt32.random(in: .min ... .max, using: &random)
            #expect(MasterInfo.packIPv4(MasterInfo.unpackIPv4(value)) == value)
        }
    }

    static let wireExample = MasterInfo(id: "6fcd…", ipv4: "10.0.0.1", port: 5050, hostname: "m1", version: "1.11.0")

    @Test("encoding the MESOS-WIRE.md example reproduces its exact bytes")
    func wireExampleBytes() throws {
        let fixture = try Fixture.bytes("wire-example.json")
        #expect(Self.wireExample.encoded() == fixture)
        #expect(try MasterInfo.decode(fixture) == Self.wireExample)
        #expect(Self.wireExample.ip == 16_777_226)
        #expect(Self.wireExample.pid == "master@10.0.0.1:5050")
        #expect(Self.wireExample.address == MasterInfo.Address(hostname: "m1", ip: "10.0.0.1", port: 5050))
        #expect(Self.wireExample.ipv4 == "10.0.0.1")
        #expect(Self.wireExample.pidAddress == "10.0.0.1:5050")
    }

    @Test("capabilities are written as [{\"type\":NAME}] in order, keys sorted at every level")
    func capabilitiesBytes() throws {
        let info = MasterInfo(
            id: "3c2d7e1a-9b4f-4e6a-8d0c-5f1b2a3c4d5e", ipv4: "192.168.1.10", port: 5050,
            hostname: "leader-1.node.consul", version: "1.11.0",
            capabilities: ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"])
        let fixture = try Fixture.bytes("master-capabilities.json")
        #expect(info.encoded() == fixture)
        #expect(try MasterInfo.decode(fixture) == info)
    }

    @Test("a domain is kept verbatim and re-encoded identically, slash escaped as \\/")
    func domain() throws {
        let fixture = try Fixture.bytes("master-domain.json")
        let info = try MasterInfo.decode(fixture)
        #expect(info.faultDomain == MasterInfo.FaultDomain(region: "eu/west-1", zone: "eu-west-1a"))
        #expect(info.capabilities == ["AGENT_UPDATE"])
        #expect(info.encoded() == fixture)
        #expect(String(decoding: fixture, as: UTF8.self).contains(#""eu\/west-1""#))
        var built = MasterInfo(
            id: "b1e2c3d4-0000-4000-8000-000000000002", ipv4: "10.0.0.2", port: 5050, hostname: "m2", version: "1.11.0",
            capabilities: ["AGENT_UPDATE"])
        built.domain = .object([
            "fault_domain": .object([
                "zone": .object(["name": .string("eu-west-1a")]), "region": .object(["name": .string("eu/west-1")]),
            ])
        ])
        #expect(built == info)
        #expect(built.encoded() == fixture)
    }

    @Test("unknown keys, whitespace, key order and \\u escapes do not matter to the decoder")
    func unknownKeys() throws {
        let info = try MasterInfo.decode(try Fixture.bytes("master-unknown-keys.json"))
        #expect(info == Self.wireExample)
        #expect(info.encoded() == (try Fixture.bytes("wire-example.json")))
    }

    @Test("an older shape without address, version or capabilities decodes and re-encodes as is")
    func olderShape() throws {
        let fixture = try Fixture.bytes("master-no-address.json")
        let info = try MasterInfo.decode(fixture)
        #expect(info.address == nil)
        #expect(info.version == nil)
        #expect(info.capabilities.isEmpty)
        #expect(info.ipv4 == "10.0.0.3")
        #expect(info.encoded() == fixture)
    }

    static let malformed: [(String, MasterInfoError, String)] = [
        ("bad-empty.json", .empty, "is empty"),
        ("bad-missing-id.json", .missingField("id"), "missing the required field \"id\""),
        ("bad-missing-ip.json", .missingField("ip"), "field \"ip\""),
        ("bad-missing-port.json", .missingField("port"), "field \"port\""),
        (
            "bad-id-number.json", .wrongType(field: "id", expected: "a string", found: "the number 42"),
            "\"id\" must be a string"
        ),
        (
            "bad-ip-string.json", .wrongType(field: "ip", expected: "an integer in 0-4294967295", found: "a string"),
            "\"ip\" must be an integer in 0-4294967295, found a string"
        ),
        (
            "bad-ip-fraction.json",
            .wrongType(field: "ip", expected: "an integer in 0-4294967295", found: "the number 1.5"),
            "found the number 1.5"
        ),
        (
            "bad-ip-negative.json",
            .wrongType(field: "ip", expected: "an integer in 0-4294967295", found: "the number -1"), "\"ip\""
        ),
        (
            "bad-ip-too-big.json", .outOfRange(field: "ip", value: "4294967296", allowed: "0-4294967295"),
            "\"ip\" is 4294967296, outside 0-4294967295"
        ),
        ("bad-port-range.json", .outOfRange(field: "port", value: "70000", allowed: "1-65535"), "\"port\" is 70000"),
        ("bad-pid.json", .invalidPID("10.0.0.1:5050"), "\"pid\" is \"10.0.0.1:5050\", not NAME@IP:PORT"),
        ("bad-pid-port.json", .invalidPID("master@10.0.0.1:http"), "NAME@IP:PORT"),
        ("bad-hostname-null.json", .wrongType(field: "hostname", expected: "a string", found: "null"), "\"hostname\""),
        ("bad-address-port.json", .missingField("address.port"), "\"address.port\""),
        (
            "bad-address-type.json", .wrongType(field: "address", expected: "an object", found: "a string"),
            "\"address\" must be an object"
        ),
        (
            "bad-capability.json", .wrongType(field: "capabilities[0]", expected: "an object", found: "a string"),
            "\"capabilities[0]\""
        ),
        (
            "bad-capability-type.json",
            .wrongType(field: "capabilities[0].type", expected: "a string", found: "the number 1"),
            "capabilities[0].type"
        ),
        ("bad-domain.json", .missingField("domain.fault_domain.zone"), "\"domain.fault_domain.zone\""),
        ("bad-not-object.json", .notAnObject(found: "an array"), "is an array, not a JSON object"),
        (
            "bad-truncated.json", .malformedJSON(offset: 83, reason: "unterminated string"),
            "not valid JSON at offset 83"
        ),
        ("bad-trailing.json", .malformedJSON(offset: 37, reason: "unexpected content after the value"), "offset 37"),
        ("bad-protobuf.bin", .notUTF8(offset: 11), "not valid UTF-8"),
        ("bad-not-utf8.json", .notUTF8(offset: 7), "bad byte at offset 7"),
    ]

    @Test("malformed node data is refused with a one-line error naming the field", arguments: malformed)
    func refusesMalformed(fixture: String, expected: MasterInfoError, fragment: String) throws {
        let bytes = try Fixture.bytes(fixture)
        #expect(throws: expected) { try MasterInfo.decode(bytes) }
        #expect(expected.description.contains(fragment), "\(expected.description)")
        #expect(!expected.description.contains("\n"))
    }

    @Test(
        "the JSON reader is strict RFC 8259",
        arguments: [
            #"{"id":"x","ip":1,"port":1,}"#, #"{'id':"x"}"#, #"{"id":"x","ip":01,"port":1}"#,
            #"{"id":"x","ip":1.,"port":1}"#,
            #"{"id":"\x","ip":1,"port":1}"#, #"{"id":"\ud800","ip":1,"port":1}"#, #"{"id":"\udc00x","ip":1,"port":1}"#,
            "{\"id\":\"a\tb\",\"ip\":1,\"port\":1}", "\u{FEFF}{\"id\":\"x\",\"ip\":1,\"port\":1}", #"{"id" "x"}"#,
            #"{"id":"x","ip":1,"port":1"#, #"{"id":"x","ip":tru,"port":1}"#, #"{"id":"x","ip":-,"port":1}"#,
            #"{"id":"x","ip":1e,"port":1}"#, "{\"id\":\"x\"}\u{0}", #"{"id":"\u12"}"#, "\u{0B}{}",
        ])
    func strictJSON(text: String) {
        #expect {
            try MasterInfo.decode(Array(text.utf8))
        } throws: { error in
            guard let error = error as? MasterInfoError else { return false }
            if case .malformedJSON = error { return true }
            return false
        }
    }

    @Test("deep nesting is refused instead of recursing without bound")
    func depthLimit() {
        let deep = #"{"id":"x","ip":1,"port":1,"x":"# + String(repeating: "[", count: 10_000)
        #expect(throws: MasterInfoError.malformedJSON(offset: 93, reason: "nested deeper than 64 levels")) {
            try MasterInfo.decode(Array(deep.utf8))
        }
        let fine =
            #"{"id":"x","ip":1,"port":1,"x":"# + String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(throws: Never.self) { try MasterInfo.decode(Array((fine + "}").utf8)) }
    }

    @Test("validate() refuses values whose encoding Mesos would not accept")
    func validation() throws {
        try Self.wireExample.validate()
        var info = Self.wireExample
        info.pid = "master@m1:5050"
        #expect(throws: MasterInfoError.invalidPID("master@m1:5050")) { try info.validate() }
        info = Self.wireExample
        info.port = 0
        #expect(throws: MasterInfoError.outOfRange(field: "port", value: "0", allowed: "1-65535")) {
            try info.validate()
        }
        info = Self.wireExample
        info.domain = .object(["fault_domain": .object(["zone": .object(["name": .string("z")])])])
        #expect(throws: MasterInfoError.missingField("domain.fault_domain.region")) { try info.validate() }
    }

    @Test("a duplicated key keeps its last value, as picojson does")
    func duplicateKeys() throws {
        let info = try MasterInfo.decode(Array(#"{"id":"a","ip":1,"port":5050,"id":"b"}"#.utf8))
        #expect(info.id == "b")
    }

    @Test("strings are escaped exactly as stout's jsonify escapes them")
    func escaping() {
        var info = MasterInfo(id: "x", ip: 0, port: 1)
        info.hostname = "a/b\"c\\d\u{1}\u{1F}\u{7F}\u{8}\u{C}\n\r\té€😀"
        let text = String(decoding: info.encoded(), as: UTF8.self)
        #expect(text == #"{"hostname":"a\/b\"c\\d\u0001\u001f\u007f\b\f\n\r\té€😀","id":"x","ip":0,"port":1}"#)
        #expect(JSONValue.string("</script>").encoded() == Array(#""<\/script>""#.utf8))
    }

    @Test("decode(encoded()) is the identity, and Foundation reads our bytes as the same strings")
    func codecRoundTripProperty() throws {
        var random = SeededGenerator(seed: 5050)
        let alphabet: [Character] =
            Array("abcXYZ019 -_.:@/\\\"'{}[],é€😀") + ["\u{0}", "\u{1}", "\n", "\t", "\u{7F}", "\u{85}"]
        for _ in 0..<300 {
            var info = MasterInfo(
                id: random.string(from: alphabet, maxLength: 40), ip: .random(in: .min ... .max, using: &random),
                port: .random(in: 1...65535, using: &random))
            if Bool.random(using: &random) { info.hostname = random.string(from: alphabet, maxLength: 30) }
            if Bool.random(using: &random) { info.version = random.string(from: alphabet, maxLength: 10) }
            if Bool.random(using: &random) {
                info.pid = "master(\(Int.random(in: 1...9, using: &random)))@\(info.ipv4):\(info.port)"
            }
            if Bool.random(using: &random) {
                info.address = .init(
                    hostname: Bool.random(using: &random) ? random.string(from: alphabet, maxLength: 12) : nil,
                    ip: info.ipv4, port: info.port)
            }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                info.capabilities.append(random.string(from: alphabet, maxLength: 15))
            }
            if Bool.random(using: &random) {
                info.domain = .object([
                    random.string(from: alphabet, maxLength: 8): .array([.null, .bool(true), .number("-1.5e3")]),
                    "fault_domain": .object([
                        "region": .object(["name": .string(random.string(from: alphabet, maxLength: 8))]),
                        "zone": .object(["name": .string(random.string(from: alphabet, maxLength: 8))]),
                    ]),
                ])
            }
            let bytes = info.encoded()
            #expect(!bytes.contains(UInt8(ascii: " ")) || info.hasSpaceInStrings)
            #expect(try MasterInfo.decode(bytes) == info)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            #expect(object["id"] as? String == info.id)
            #expect(object["hostname"] as? String == info.hostname)
            #expect((object["ip"] as? NSNumber)?.uint32Value == info.ip)
        }
    }
}

extension MasterInfo {
    /// Whether any string field holds a space (the only way an encoding can contain one).
    fileprivate var hasSpaceInStrings: Bool {
        let strings = [id, hostname, version, address?.hostname].compactMap { $0 } + capabilities
        return strings.contains { $0.contains(" ") }
            || domain.map { String(decoding: $0.encoded(), as: UTF8.self) }?
                .contains(" ") == true
    }
}
