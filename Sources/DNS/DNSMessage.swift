/// The few parts of RFC 1035 that asking for A records needs: one question out, the answer
/// section back, with name compression and CNAME chains.
///
/// Pure byte work, no I/O, so every rule about what a reply may look like is unit-tested.
enum DNSMessage {
    static let typeA: UInt16 = 1
    static let typeCNAME: UInt16 = 5
    static let classIN: UInt16 = 1
    /// The largest reply a plain (non-EDNS) UDP query may get; beyond it the server sets TC.
    static let udpLimit = 512

    /// What a reply says, once it is known to answer our question.
    struct Reply: Equatable {
        var id: UInt16
        var truncated: Bool
        var rcode: UInt8
        /// Whether the question section repeats our question (a reply to something else is
        /// ignored, like one with the wrong id). True when the server sent no question back.
        var answersQuestion: Bool
        /// The A records of the name or of a name its CNAME chain leads to, sorted, unique.
        /// Empty when truncated.
        var addresses: [String]
        /// The end of the CNAME chain, when the name is an alias.
        var canonicalName: String?
    }

    struct Malformed: Error, Equatable {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// The labels of `name` (a trailing dot allowed); throws a reason when it cannot be queried.
    static func labels(of name: String) throws(Malformed) -> [[UInt8]] {
        var text = Substring(name)
        if text.hasSuffix(".") { text = text.dropLast() }
        guard !text.isEmpty else { throw Malformed("the name is empty") }
        var total = 1
        var labels: [[UInt8]] = []
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(label.utf8)
            guard !bytes.isEmpty else { throw Malformed("it has an empty label") }
            guard bytes.count <= 63 else { throw Malformed("label '\(label)' is longer than 63 bytes") }
            guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw Malformed("label '\(label)' is not printable ASCII")
            }
            total += bytes.count + 1
            labels.append(bytes)
        }
        guard total <= 255 else { throw Malformed("it is longer than 255 bytes") }
        return labels
    }

    /// A standard query for the A records of `name`, recursion desired.
    static func query(id: UInt16, name: String) throws(Malformed) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 + name.utf8.count)
        append16(id, to: &bytes)
        append16(0x0100, to: &bytes)  // QR=0, OPCODE=0, RD=1
        append16(1, to: &bytes)  // QDCOUNT
        append16(0, to: &bytes)  // ANCOUNT
        append16(0, to: &bytes)  // NSCOUNT
        append16(0, to: &bytes)  // ARCOUNT
        for label in try labels(of: name) {
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
        }
        bytes.append(0)
        append16(typeA, to: &bytes)
        append16(classIN, to: &bytes)
        return bytes
    }

    /// The id of a reply, or nil when it is too short to have one.
    static func id(of bytes: [UInt8]) -> UInt16? {
        bytes.count >= 2 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : nil
    }

    /// Parses a reply to the A query for `name`.
    static func parse(_ bytes: [UInt8], name: String) throws(Malformed) -> Reply {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= 12 else {
            throw Malformed("the reply is \(bytes.count) bytes, shorter than a DNS header")
        }
        let id = try reader.u16()
        let flags = try reader.u16()
        let questions = try reader.u16()
        let answers = try reader.u16()
        _ = try reader.u16()  // NSCOUNT
        _ = try reader.u16()  // ARCOUNT
        guard flags & 0x8000 != 0 else { throw Malformed("it is a query, not a response") }
        guard (flags >> 11) & 0xf == 0 else { throw Malformed("opcode \((flags >> 11) & 0xf) is not a standard query") }
        let truncated = flags & 0x0200 != 0
        let rcode = UInt8(flags & 0xf)
        let wanted = try labels(of: name).map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
            .lowercased()

        var answersQuestion = true
        if questions > 1 { throw Malformed("it has \(questions) questions") }
        if questions == 1 {
            let questionName = try reader.name()
            let type = try reader.u16()
            let klass = try reader.u16()
            answersQuestion = questionName.lowercased() == wanted && type == typeA && klass == classIN
        } else if rcode == 0 && !truncated {
            throw Malformed("it has no question section")
        }
        var reply = Reply(
            id: id, truncated: truncated, rcode: rcode, answersQuestion: answersQuestion, addresses: [],
            canonicalName: nil)
        guard answersQuestion, !truncated, rcode == 0 else { return reply }

        var aliases: [String: String] = [:]
        var records: [(owner: String, address: UInt32)] = []
        for index in 1..<(Int(answers) + 1) {
            let owner = try reader.name().lowercased()
            let type = try reader.u16()
            let klass = try reader.u16()
            _ = try reader.u32()  // TTL
            let length = Int(try reader.u16())
            guard reader.offset + length <= bytes.count else {
                throw Malformed("answer \(index) runs past the end of the reply")
            }
            let end = reader.offset + length
            switch (type, klass) {
            case (typeA, classIN):
                guard length == 4 else { throw Malformed("answer \(index) is an A record of \(length) bytes") }
                records.append((owner, try reader.u32()))
            case (typeCNAME, classIN):
                let target = try reader.name().lowercased()
                guard reader.offset == end else { throw Malformed("answer \(index): the CNAME does not fill its data") }
                guard aliases[owner] == nil || aliases[owner] == target else {
                    throw Malformed("\(owner) has two CNAME records")
                }
                aliases[owner] = target
            default:
                reader.offset = end
            }
        }

        var chain: Set<String> = [wanted]
        var current = wanted
        while let target = aliases[current] {
            guard chain.insert(target).inserted else { throw Malformed("the CNAME chain of \(wanted) loops") }
            current = target
        }
        reply.canonicalName = current == wanted ? nil : current
        reply.addresses = IPv4.sortedUnique(records.filter { chain.contains($0.owner) }.map(\.address))
        return reply
    }

    private static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }

    /// A cursor over the whole reply (compression pointers are offsets into it).
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u16() throws(Malformed) -> UInt16 {
            guard offset + 2 <= bytes.count else { throw Malformed("it ends in the middle of a field") }
            defer { offset += 2 }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }

        mutating func u32() throws(Malformed) -> UInt32 {
            UInt32(try u16()) << 16 | UInt32(try u16())
        }

        /// A domain name at the cursor, following compression pointers; the cursor ends after
        /// the name as written here (after the first pointer, if any).
        mutating func name() throws(Malformed) -> String {
            var labels: [String] = []
            var position = offset
            var resume: Int?
            var length = 1
            while true {
                guard position < bytes.count else { throw Malformed("a name runs past the end of the reply") }
                let byte = bytes[position]
                switch byte & 0xc0 {
                case 0xc0:
                    guard position + 1 < bytes.count else { throw Malformed("a name runs past the end of the reply") }
                    let target = Int(byte & 0x3f) << 8 | Int(bytes[position + 1])
                    // Only backwards: every jump then lands earlier, so a name always ends.
                    guard target < position else { throw Malformed("a compression pointer does not point backwards") }
                    if resume == nil { resume = position + 2 }
                    position = target
                case 0x00:
                    let count = Int(byte)
                    if count == 0 {
                        offset = resume ?? position + 1
                        return labels.joined(separator: ".")
                    }
                    guard position + 1 + count <= bytes.count else {
                        throw Malformed("a name runs past the end of the reply")
                    }
                    length += count + 1
                    guard length <= 255 else { throw Malformed("a name is longer than 255 bytes") }
                    labels.append(String(decoding: bytes[(position + 1)...(position + count)], as: UTF8.self))
                    position += 1 + count
                default:
                    throw Malformed("a name uses an unknown label type 0x\(String(byte, radix: 16))")
                }
            }
        }
    }
}
