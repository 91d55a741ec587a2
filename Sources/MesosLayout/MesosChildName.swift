/// A child name read exactly as a Mesos master or agent reads it, quirks included.
///
/// `GroupProcess::cache` (`src/zookeeper/group.cpp`) splits the name with `strings::tokenize(_, "_")`
/// (empty tokens dropped), takes the *first* token as the label when there are several, and the
/// last through `numify<int32_t>` (`boost::lexical_cast`, so a leading `+` or `-` is accepted, plus
/// stout's own `0x…` / `-0x…` hexadecimal). To read a member's data it rebuilds the name as
/// `label_` + `%.*d` with precision 10 (`GroupProcess::zkBasename`), which is not always the name
/// listed. `MemberName` is the strict reading Herald uses; this one exists to find what Mesos
/// would trip over.
struct MesosChildName: Comparable {
    let name: String
    let label: String?
    let sequence: Int32

    init?(_ name: String) {
        let tokens = name.utf8.split(separator: UInt8(ascii: "_"))
        guard let last = tokens.last, let sequence = Self.numify(Array(last)) else { return nil }
        self.name = name
        self.label = tokens.count > 1 ? String(Substring(tokens[0])) : nil
        self.sequence = sequence
    }

    /// The name Mesos `get`s for this member's data.
    var readName: String {
        let magnitude = String(Int64(sequence).magnitude)
        let digits = String(repeating: "0", count: max(0, 10 - magnitude.count)) + magnitude
        return (label.map { $0 + "_" } ?? "") + (sequence < 0 ? "-" : "") + digits
    }

    static func < (lhs: MesosChildName, rhs: MesosChildName) -> Bool {
        if lhs.sequence != rhs.sequence { return lhs.sequence < rhs.sequence }
        return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }

    static func == (lhs: MesosChildName, rhs: MesosChildName) -> Bool {
        lhs.name.utf8.elementsEqual(rhs.name.utf8)
    }

    /// stout's `numify<int32_t>`: decimal with an optional sign, or `0x`/`-0x` hexadecimal.
    static func numify(_ bytes: [UInt8]) -> Int32? {
        let isHexPrefix: (ArraySlice<UInt8>) -> Bool = {
            $0.count >= 2 && $0.first == UInt8(ascii: "0") && ($0.dropFirst().first.map { $0 | 0x20 } == 0x78)
        }
        if isHexPrefix(bytes[...]) { return hex(bytes.dropFirst(2)) }
        if bytes.first == UInt8(ascii: "-"), isHexPrefix(bytes.dropFirst()) {
            return hex(bytes.dropFirst(3)).map { -$0 }
        }
        var digits = bytes[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy(IPAddress.isDigit) else { return nil }
        var value: Int64 = 0
        for digit in digits {
            value = value * 10 + Int64(digit - UInt8(ascii: "0"))
            if value > Int64(Int32.max) + 1 { return nil }
        }
        return Int32(exactly: negative ? -value : value)
    }

    /// Hex digits (at least one) with a value up to `Int32.max`, as `std::hex` extraction into an
    /// `int32_t` accepts them.
    private static func hex(_ digits: ArraySlice<UInt8>) -> Int32? {
        guard !digits.isEmpty else { return nil }
        var value: Int64 = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | Int64(nibble)
            if value > Int64(Int32.max) { return nil }
        }
        return Int32(value)
    }
}
