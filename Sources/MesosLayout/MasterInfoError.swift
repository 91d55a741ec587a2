/// Why bytes are not a MasterInfo a Mesos agent could use.
///
/// Descriptions are one line naming the field (dotted for nested ones: `address.port`,
/// `capabilities[1].type`). Node data is not secret, so offending values are quoted, shortened.
public enum MasterInfoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No bytes at all.
    case empty
    /// Not UTF-8; the offset of the first bad byte.
    case notUTF8(offset: Int)
    /// Not JSON (RFC 8259); the byte offset and what was wrong there.
    case malformedJSON(offset: Int, reason: String)
    /// Valid JSON, but the top level is not an object (the kind found).
    case notAnObject(found: String)
    /// A required field (`id`, `ip`, `port`, `address.port`, …) is absent.
    case missingField(String)
    /// A field has the wrong JSON type.
    case wrongType(field: String, expected: String, found: String)
    /// An integer field is outside its range (the literal, and the allowed range).
    case outOfRange(field: String, value: String, allowed: String)
    /// `pid` is not `NAME@IPv4:PORT`.
    case invalidPID(String)

    public var description: String {
        switch self {
        case .empty:
            return "MasterInfo data is empty"
        case .notUTF8(let offset):
            return "MasterInfo data is not valid UTF-8 (bad byte at offset \(offset))"
        case .malformedJSON(let offset, let reason):
            return "MasterInfo data is not valid JSON at offset \(offset): \(reason)"
        case .notAnObject(let found):
            return "MasterInfo data is \(found), not a JSON object"
        case .missingField(let field):
            return "MasterInfo is missing the required field \"\(field)\""
        case .wrongType(let field, let expected, let found):
            return "MasterInfo field \"\(field)\" must be \(expected), found \(Self.shortened(found))"
        case .outOfRange(let field, let value, let allowed):
            return "MasterInfo field \"\(field)\" is \(Self.shortened(value)), outside \(allowed)"
        case .invalidPID(let pid):
            return "MasterInfo field \"pid\" is \"\(Self.shortened(pid))\", not NAME@IP:PORT"
        }
    }

    private static func shortened(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
        return escaped.count > 80 ? String(escaped.prefix(77)) + "..." : escaped
    }
}
