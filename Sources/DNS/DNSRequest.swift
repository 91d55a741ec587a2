/// A query as the responder reads it (RFC 1035 4.1, RFC 6891 for the OPT record): the header,
/// the one question, and the EDNS0 options that change the answer's size.
///
/// Pure byte work on untrusted input: every count and length is checked against the packet
/// before it is used, compression pointers must point backwards (so a name always ends), and a
/// name is at most 255 bytes. Nothing allocates in proportion to a count the packet claims.
public struct DNSRequest: Hashable, Sendable {
    public var id: UInt16
    /// The header's second word, as sent (the answer echoes RD and the opcode).
    public var flags: UInt16
    /// The question's labels as sent, case kept, so the answer can repeat them.
    public var labels: [[UInt8]]
    public var type: UInt16
    public var klass: UInt16
    /// The EDNS0 OPT record, when the query has one.
    public var edns: EDNS?

    public struct EDNS: Hashable, Sendable {
        /// The largest UDP reply the client takes (values under 512 count as 512).
        public var payloadSize: UInt16
        public var version: UInt8
    }

    /// The question's name in lower case without the trailing dot: `leader.mesos.service.consul`;
    /// the root is the empty string.
    public let name: String

    public init(id: UInt16, flags: UInt16, labels: [[UInt8]], type: UInt16, klass: UInt16, edns: EDNS?) {
        self.id = id
        self.flags = flags
        self.labels = labels
        self.type = type
        self.klass = klass
        self.edns = edns
        var bytes: [UInt8] = []
        bytes.reserveCapacity(labels.reduce(0) { $0 + $1.count + 1 })
        for label in labels {
            if !bytes.isEmpty { bytes.append(0x2e) }
            for byte in label { bytes.append(Self.lowercased(byte)) }
        }
        name = String(decoding: bytes, as: UTF8.self)
    }

    public var opcode: UInt8 { UInt8((flags >> 11) & 0xf) }
    public var recursionDesired: Bool { flags & 0x0100 != 0 }

    /// What reading a packet gave.
    public enum Parsed: Hashable, Sendable {
        /// A well-formed standard query.
        case query(DNSRequest)
        /// Has a header with a query's QR bit, but the rest cannot be read: FORMERR to `id`.
        case malformed(id: UInt16, flags: UInt16)
        /// Not a standard query (another opcode): NOTIMP to `id`.
        case notImplemented(id: UInt16, flags: UInt16)
        /// Not worth an answer (shorter than a header, or a response): dropped, so that a
        /// forged packet cannot make two servers answer each other forever.
        case drop
    }

    /// Reads one packet.
    public static func parse(_ bytes: some Collection<UInt8>) -> Parsed {
        let bytes = Array(bytes)
        var reader = DNSMessage.Reader(bytes: bytes)
        guard bytes.count >= 12, let id = try? reader.u16(), let flags = try? reader.u16() else { return .drop }
        guard flags & 0x8000 == 0 else { return .drop }
        guard (flags >> 11) & 0xf == 0 else { return .notImplemented(id: id, flags: flags) }
        guard let questions = try? reader.u16(), let answers = try? reader.u16(),
            let authorities = try? reader.u16(), let additionals = try? reader.u16(),
            questions == 1, answers == 0, authorities == 0
        else { return .malformed(id: id, flags: flags) }
        guard let labels = try? reader.labels(), let type = try? reader.u16(), let klass = try? reader.u16() else {
            return .malformed(id: id, flags: flags)
        }
        var edns: EDNS?
        // Only the additional section may follow: an OPT record, perhaps others (ignored).
        for _ in 0..<additionals {
            guard let owner = try? reader.labels(), let recordType = try? reader.u16(),
                let recordClass = try? reader.u16(), let ttl = try? reader.u32(), let length = try? reader.u16(),
                reader.offset + Int(length) <= bytes.count
            else { return .malformed(id: id, flags: flags) }
            reader.offset += Int(length)
            if recordType == DNSRecordType.opt {
                // One OPT record, owned by the root (RFC 6891 6.1.1).
                guard edns == nil, owner.isEmpty else { return .malformed(id: id, flags: flags) }
                edns = EDNS(payloadSize: recordClass, version: UInt8(truncatingIfNeeded: ttl >> 16))
            }
        }
        guard reader.offset == bytes.count else { return .malformed(id: id, flags: flags) }
        return .query(DNSRequest(id: id, flags: flags, labels: labels, type: type, klass: klass, edns: edns))
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte
    }
}

extension DNSMessage.Reader {
    /// A domain name at the cursor as raw labels, following compression pointers (backwards
    /// only); at most 255 bytes on the wire.
    mutating func labels() throws(DNSMessage.Malformed) -> [[UInt8]] {
        var labels: [[UInt8]] = []
        var position = offset
        var resume: Int?
        var length = 1
        while true {
            guard position < bytes.count else { throw DNSMessage.Malformed("a name runs past the end") }
            let byte = bytes[position]
            switch byte & 0xc0 {
            case 0xc0:
                guard position + 1 < bytes.count else { throw DNSMessage.Malformed("a name runs past the end") }
                let target = Int(byte & 0x3f) << 8 | Int(bytes[position + 1])
                guard target < position else {
                    throw DNSMessage.Malformed("a compression pointer does not point backwards")
                }
                if resume == nil { resume = position + 2 }
                position = target
            case 0x00:
                let count = Int(byte)
                if count == 0 {
                    offset = resume ?? position + 1
                    return labels
                }
                guard position + 1 + count <= bytes.count else {
                    throw DNSMessage.Malformed("a label runs past the end")
                }
                length += count + 1
                guard length <= 255 else { throw DNSMessage.Malformed("a name is longer than 255 bytes") }
                labels.append(Array(bytes[(position + 1)...(position + count)]))
                position += 1 + count
            default:
                throw DNSMessage.Malformed("a name uses an unknown label type")
            }
        }
    }
}
