import Foundation
import HeraldTestSupport
import MesosLayout
import Testing
import ZooKeeper

/// Protobuf `mesos.MasterInfo` as Mesos before 0.24 wrote it in `info_` nodes: id (1), ip (2,
/// the address bytes read as a little-endian uint32), port (3), pid (4), hostname (5).
enum Protobuf {
    static func masterInfo(hostname: String, ip: String, port: Int) -> [UInt8] {
        let octets = ip.split(separator: ".").compactMap { UInt32($0) }
        let packed = octets.enumerated().reduce(UInt32(0)) { $0 | ($1.element << (8 * UInt32($1.offset))) }
        return field(1, hostname + "-id") + varint(2, UInt64(packed)) + varint(3, UInt64(port))
            + field(4, "master@\(ip):\(port)") + field(5, hostname)
    }

    private static func encode(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            let low = UInt8(value & 0x7f)
            value >>= 7
            bytes.append(value == 0 ? low : low | 0x80)
        } while value != 0
        return bytes
    }

    private static func varint(_ number: UInt64, _ value: UInt64) -> [UInt8] { encode(number << 3) + encode(value) }

    private static func field(_ number: UInt64, _ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return encode(number << 3 | 2) + encode(UInt64(bytes.count)) + bytes
    }
}

/// Mesos' own leader rule (the smallest sequence over every `[label_]digits` child, any label,
/// non-numeric names skipped: `src/zookeeper/group.cpp` and `detector.cpp`), as a table, checked
/// against Herald's `GroupListing` and cross-checked against the two real detectors: each row is
/// written into a fresh chroot and each detector's first decision must be the child Herald's
/// model of that detector (`LeaderRule.mesosGo`, `GroupListing.pymesosChoice`) predicts.
@Suite("Interop: Mesos' leader rule, and each detector's, over a table of chroots", .enabled(if: Interop.enabled))
struct RuleTableTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var children: [String]
        /// The child Mesos masters and agents take for the leader.
        var mesos: String?

        var testDescription: String { "\(name): \(children.joined(separator: ", ")) → Mesos: \(mesos ?? "none")" }
    }

    static let rows: [Row] = [
        Row(name: "a", children: ["json.info_0000000001", "json.info_0000000002"], mesos: "json.info_0000000001"),
        Row(
            name: "b", children: ["log_replicas", "json.info_0000000007", "json.info_0000000004"],
            mesos: "json.info_0000000004"),
        Row(name: "c", children: ["herald", "json.info_0000000002"], mesos: "json.info_0000000002"),
        Row(name: "d", children: ["info_0000000009", "json.info_0000000004"], mesos: "json.info_0000000004"),
        Row(name: "e", children: ["info_0000000001", "json.info_0000000004"], mesos: "info_0000000001"),
        Row(name: "f", children: ["zzz", "json.info_0000000006"], mesos: "json.info_0000000006"),
        Row(name: "g", children: ["0000000003", "json.info_0000000005"], mesos: "0000000003"),
        Row(name: "h", children: ["info_0000000005", "info_0000000002"], mesos: "info_0000000002"),
    ]

    /// Each node's data names the node: JSON MasterInfo for `json.info_`, protobuf for `info_`,
    /// a pid for bare numbers, nothing for the rest.
    static func data(_ child: String, index: Int) -> [UInt8] {
        let ip = "127.0.4.\(index + 1)"
        let packed = 127 | 4 << 16 | (index + 1) << 24
        let port = 5050 + index
        switch MemberName(child)?.label {
        case MemberName.jsonLabel?:
            return Array(
                #"{"id":"\#(child)-id","ip":\#(packed),"port":\#(port),"pid":"master@\#(ip):\#(port)","hostname":"\#(child)","address":{"hostname":"\#(child)","ip":"\#(ip)","port":\#(port)}}"#
                    .utf8)
        case MemberName.protobufLabel?:
            return Protobuf.masterInfo(hostname: child, ip: ip, port: port)
        case nil where MemberName(child) != nil:
            return Array("master@\(ip):\(port)".utf8)
        default:
            return []
        }
    }

    @Test("each row", arguments: rows)
    func row(_ row: Row) async throws {
        let view = GroupListing(children: row.children)
        #expect(view.leader(by: .mesos)?.name == row.mesos, "Herald's model of Mesos' rule")
        let base = "/herald-interop/table-\(row.name)-\(UUID().uuidString.prefix(8).lowercased())/mesos"
        try await withClient { zk in
            try await zk.ensurePath(base)
            for (index, child) in row.children.enumerated() {
                try await zk.create(base + "/" + child, data: Self.data(child, index: index))
                if child == "log_replicas" { try await zk.create(base + "/log_replicas/0000000001") }
            }
        }
        let url = "zk://\(try TestEnsemble.servers)\(base)"
        async let mesosGo = Detector.once(.mesosGo, url: url)
        async let pymesos = Detector.once(.pymesos, url: url)
        let (goDecision, goOutput) = try await mesosGo
        let (pyDecision, pyOutput) = try await pymesos

        // mesos-go: json.info_ first, else info_, by sequence; decodes JSON and protobuf.
        let goChoice = try #require(view.leader(by: .mesosGo)?.name, "every row has a json.info_ or info_ child")
        #expect(goDecision?.kind == .leader, "\(goOutput)")
        #expect(goDecision?.fields["hostname"] == goChoice, "mesos-go: \(goOutput)")
        // pymesos: the smallest name but log_replicas; its driver reads only JSON with an address.
        let pyChoice = try #require(view.pymesosChoice)
        let readable = MemberName(pyChoice)?.isJSONCandidate == true
        if readable {
            let index = try #require(row.children.firstIndex(of: pyChoice))
            #expect(pyDecision?.fields["ip"] == "127.0.4.\(index + 1)", "pymesos: \(pyOutput)")
            #expect(pyDecision?.fields["port"] == "\(5050 + index)", "pymesos: \(pyOutput)")
        } else {
            #expect(pyDecision == Decision(line: "unusable node=\(pyChoice)"), "pymesos: \(pyOutput)")
        }
        print(
            "interop table \(row.name) [\(row.children.joined(separator: " "))]: Mesos \(row.mesos ?? "none"), "
                + "mesos-go \(goDecision?.line ?? "nothing"), pymesos \(pyDecision?.line ?? "nothing")")
    }
}
