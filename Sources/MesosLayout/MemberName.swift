/// The name of a numbered child of the Mesos base path: `[label_]sequence`.
///
/// ZooKeeper names an EPHEMERAL|SEQUENTIAL node by appending the parent's counter formatted as
/// `%010d` (`json.info_0000000042`); the counter is a signed 32-bit integer, so after overflow it
/// reads `-000000005` or `-2147483648`. The sequence is the text after the *last* `_` (or the whole
/// name), an optional `-` then ASCII digits only, within `Int32`; padding is not required. The
/// label is the text before that `_`: `json.info` (Mesos ≥ 0.24), `info` (protobuf, older), nil
/// for a bare number (a UPID string, oldest). Anything else (`log_replicas`, `herald`,
/// `json.info_abc`) is not a member.
///
/// Names compare by sequence, then by their UTF-8 bytes, so the order is total even when a foreign
/// node repeats a sequence (ZooKeeper's own counter never does); equality is byte equality.
public struct MemberName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The label of JSON MasterInfo candidates.
    public static let jsonLabel = "json.info"
    /// The label of protobuf MasterInfo candidates (Mesos before 0.24).
    public static let protobufLabel = "info"

    /// The child's exact name, as ZooKeeper lists it.
    public let name: String
    /// The text before the last `_` (empty for `_0000000001`); nil when the name has no `_`.
    public let label: String?
    /// The number after the last `_`.
    public let sequence: Int32

    /// Parses a child name; nil when it is not `[label_]sequence`.
    public init?(_ childName: String) {
        let bytes = childName.utf8
        let digits: Substring.UTF8View
        if let underscore = bytes.lastIndex(of: UInt8(ascii: "_")) {
            label = String(Substring(bytes[..<underscore]))
            digits = Substring(bytes[bytes.index(after: underscore)...]).utf8
        } else {
            label = nil
            digits = Substring(childName).utf8
        }
        guard let sequence = Self.parseSequence(digits) else { return nil }
        self.name = childName
        self.sequence = sequence
    }

    /// The name ZooKeeper gives a sequential child created as `label_` (or with no prefix).
    public init(label: String?, sequence: Int32) {
        self.name = (label.map { $0 + "_" } ?? "") + Self.zooKeeperSuffix(sequence)
        self.label = label
        self.sequence = sequence
    }

    /// Whether this is a JSON MasterInfo candidate (`json.info_…`).
    public var isJSONCandidate: Bool { label == Self.jsonLabel }

    public var description: String { name }

    /// ZooKeeper's `String.format("%010d", counter)`: zero-padded to ten characters including the
    /// sign, so `42` → `0000000042`, `-5` → `-000000005`, `Int32.min` → `-2147483648`.
    public static func zooKeeperSuffix(_ sequence: Int32) -> String {
        let magnitude = String(Int64(sequence).magnitude)
        let sign = sequence < 0 ? "-" : ""
        return sign + String(repeating: "0", count: max(0, 10 - sign.count - magnitude.count)) + magnitude
    }

    public static func < (lhs: MemberName, rhs: MemberName) -> Bool {
        if lhs.sequence != rhs.sequence { return lhs.sequence < rhs.sequence }
        return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }

    public static func == (lhs: MemberName, rhs: MemberName) -> Bool {
        lhs.name.utf8.elementsEqual(rhs.name.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        for byte in name.utf8 { hasher.combine(byte) }
    }

    /// `-?[0-9]+` within `Int32`; no `+`, spaces or hex (unlike Swift's `Int32(_:)`, which takes `+`).
    private static func parseSequence(_ text: Substring.UTF8View) -> Int32? {
        let digits = text.first == UInt8(ascii: "-") ? text.dropFirst() : text[...]
        guard !digits.isEmpty, digits.allSatisfy(IPAddress.isDigit) else { return nil }
        return Int32(Substring(text))
    }
}
