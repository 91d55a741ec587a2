public import Foundation

/// The wire form of a snapshot: a JSON object with `"type":"snapshot"` and every key of the
/// contract, `null` included, in sorted key order so that equal snapshots are equal bytes.
extension Snapshot: Codable {
    enum CodingKeys: String, CodingKey {
        case type, version, revision, cluster, state, leader, stale, candidates, quorum, zookeeper, dns, problems
        case publisher = "self"
    }

    /// The `type` value of a snapshot line.
    static let typeName = "snapshot"

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        guard type == Self.typeName else {
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "expected \"snapshot\", got \"\(type)\"")
        }
        self.init(
            version: try container.decode(Int.self, forKey: .version),
            revision: try container.decode(UInt64.self, forKey: .revision),
            cluster: try container.decode(String.self, forKey: .cluster),
            state: try container.decode(State.self, forKey: .state),
            leader: try container.decodeIfPresent(Member.self, forKey: .leader),
            stale: try container.decode(Bool.self, forKey: .stale),
            candidates: try container.decode([Member].self, forKey: .candidates),
            quorum: try container.decode(Quorum.self, forKey: .quorum),
            zookeeper: try container.decode(ZooKeeperStatus.self, forKey: .zookeeper),
            dns: try container.decode([String: [Endpoint]].self, forKey: .dns),
            publisher: try container.decode(Publisher.self, forKey: .publisher),
            problems: try container.decodeIfPresent([Problem].self, forKey: .problems) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.typeName, forKey: .type)
        try container.encode(version, forKey: .version)
        try container.encode(revision, forKey: .revision)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(state, forKey: .state)
        try container.encode(leader, forKey: .leader)
        try container.encode(stale, forKey: .stale)
        try container.encode(candidates, forKey: .candidates)
        try container.encode(quorum, forKey: .quorum)
        try container.encode(zookeeper, forKey: .zookeeper)
        try container.encode(dns, forKey: .dns)
        try container.encode(publisher, forKey: .publisher)
        try container.encode(problems, forKey: .problems)
    }

    /// One protocol line: the JSON object followed by `\n`.
    ///
    /// Sorted keys and unescaped slashes make the bytes a function of the value alone (node
    /// paths stay readable as `/mesos/json.info_…`).
    public func encodedLine() throws -> Data {
        var data = try Self.makeEncoder().encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Decodes one line (with or without its trailing newline).
    public static func decode(line: some Collection<UInt8>) throws -> Snapshot {
        try JSONDecoder().decode(Snapshot.self, from: Data(line))
    }

    /// The encoder every snapshot and protocol message goes through.
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
