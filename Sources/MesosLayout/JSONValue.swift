/// A JSON value, kept close enough to its text that Mesos' writer reproduces it byte for byte.
///
/// Used for the parts of a MasterInfo Herald carries but does not interpret (`domain`). Numbers
/// keep their literal text, so nothing is lost to floating point; object keys are unordered here
/// and sorted when written, exactly as Mesos' `JSON::Object` (a `std::map`) sorts them.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// A number, as its JSON literal (e.g. `5050`, `-1.5e3`); it must be a valid JSON number.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// An object. A key that appears twice when parsing keeps its last value (as picojson does).
    case object([String: JSONValue])

    /// The value as Mesos' JSON writer prints it (see `MesosJSONWriter`).
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        MesosJSONWriter.append(self, to: &bytes)
        return bytes
    }

    /// A short name of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let text): return "the number \(text)"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Mesos' JSON output, reproduced: stout's `jsonify` / `JSON::Object` printer
/// (`3rdparty/stout/include/stout/jsonify.hpp`, `json.hpp`).
///
/// - No whitespace anywhere; object members in `std::map` order, i.e. keys compared byte by byte.
/// - Strings escape `"` `\` **and `/`** (`\/`), `\b \f \n \r \t`, and every other byte below 0x20 or
///   equal to 0x7F as `\u00xx` in lower-case hex. All other bytes, UTF-8 included, are written raw.
enum MesosJSONWriter {
    static func append(_ value: JSONValue, to bytes: inout [UInt8]) {
        switch value {
        case .null:
            bytes += "null".utf8
        case .bool(let flag):
            bytes += (flag ? "true" : "false").utf8
        case .number(let literal):
            bytes += literal.utf8
        case .string(let text):
            appendString(text, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                append(element, to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(member.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                append(member.value, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [0x5C, UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [0x5C, 0x5C]
            case UInt8(ascii: "/"): bytes += [0x5C, UInt8(ascii: "/")]
            case 0x08: bytes += [0x5C, UInt8(ascii: "b")]
            case 0x0C: bytes += [0x5C, UInt8(ascii: "f")]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20, 0x7F:
                bytes += "\\u00".utf8
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0x0F))
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
