/// Writes one answer: the header, the question as asked (case kept), then records, with name
/// compression (RFC 1035 4.1.4) against every name suffix already written.
struct DNSWriter {
    private(set) var bytes: [UInt8] = []
    private var answers = 0
    private var authorities = 0
    private var additionals = 0
    /// Lower-case name suffix → where it was written, for compression pointers; the question's
    /// suffixes are added on first use (most answers only ever point at the whole question).
    private var offsets: [String: Int] = [:]
    private let questionName: String
    private let questionLabels: [[UInt8]]
    private var questionIndexed = false

    /// The header (QR, the opcode and RD of the query, AA when `authoritative`, `code`) and the
    /// question.
    init(request: DNSRequest, code: UInt8, authoritative: Bool) {
        bytes.reserveCapacity(256)
        questionName = request.name
        questionLabels = request.labels
        let flags = 0x8000 | (request.flags & 0x7900) | (authoritative ? 0x0400 : 0) | UInt16(code & 0xf)
        append16(request.id)
        append16(flags)
        append16(1)
        append16(0)
        append16(0)
        append16(0)
        appendRaw(request.labels)
        append16(request.type)
        append16(request.klass)
    }

    mutating func setTruncated() {
        bytes[2] |= 0x02
    }

    mutating func setCounts(answers: Int, authorities: Int, additionals: Int) {
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    /// The header counts filled in.
    mutating func finish() -> [UInt8] {
        put16(UInt16(answers), at: 6)
        put16(UInt16(authorities), at: 8)
        put16(UInt16(additionals), at: 10)
        return bytes
    }

    /// An A or AAAA record of `owner` (nil: the question's name).
    mutating func appendAddress(owner: String?, _ address: DNSZone.Address, ttl: UInt32) {
        appendName(owner ?? questionName)
        append16(address.type)
        append16(DNSRecordType.classIN)
        append32(ttl)
        append16(UInt16(address.bytes.count))
        bytes += address.bytes
    }

    mutating func appendService(owner: String?, _ service: DNSZone.Service, ttl: UInt32) {
        appendName(owner ?? questionName)
        append16(DNSRecordType.srv)
        append16(DNSRecordType.classIN)
        append32(ttl)
        let lengthAt = bytes.count
        append16(0)
        append16(service.priority)
        append16(service.weight)
        append16(service.port)
        appendName(service.target)
        put16(UInt16(bytes.count - lengthAt - 2), at: lengthAt)
    }

    /// The zone's SOA: `ns.<domain>`, `hostmaster.<domain>`, the serial, and the TTL as the
    /// negative-caching minimum.
    mutating func appendSOA(zone: DNSZone) {
        appendName(zone.domain)
        append16(DNSRecordType.soa)
        append16(DNSRecordType.classIN)
        append32(zone.ttl)
        let lengthAt = bytes.count
        append16(0)
        appendName(zone.domain.isEmpty ? "ns" : "ns.\(zone.domain)")
        appendName(zone.domain.isEmpty ? "hostmaster" : "hostmaster.\(zone.domain)")
        append32(zone.serial)
        append32(3600)  // refresh
        append32(600)  // retry
        append32(86400)  // expire
        append32(zone.ttl)  // minimum: how long "no such name" may be cached
        put16(UInt16(bytes.count - lengthAt - 2), at: lengthAt)
    }

    /// The OPT record of an EDNS0 answer: our payload size, version 0.
    mutating func appendOPT(extendedCode: UInt8) {
        bytes.append(0)  // the root
        append16(DNSRecordType.opt)
        append16(UInt16(DNSAnswerer.maximumUDPPayload))
        append32(UInt32(extendedCode) << 24)
        append16(0)
        additionals += 1
    }

    /// The question as asked, at offset 12.
    private mutating func appendRaw(_ labels: [[UInt8]]) {
        for label in labels {
            bytes.append(UInt8(label.count))
            bytes += label
        }
        bytes.append(0)
    }

    /// A name, as a pointer to the question when it is the question's name, else with
    /// compression against every suffix written so far.
    private mutating func appendName(_ name: String) {
        if name == questionName, !name.isEmpty {
            append16(0xc00c)
            return
        }
        if !questionIndexed {
            questionIndexed = true
            var offset = 12
            for index in questionLabels.indices {
                let suffix = questionLabels[index...].map {
                    String(decoding: $0.map(DNSRequest.lowercased), as: UTF8.self)
                }.joined(separator: ".")
                offsets[suffix] = offset
                offset += 1 + questionLabels[index].count
            }
        }
        appendName(name.isEmpty ? [] : name.split(separator: ".").map { Array($0.utf8) })
    }

    private mutating func appendName(_ labels: [[UInt8]]) {
        for index in labels.indices {
            let suffix = labels[index...].map { String(decoding: $0.map(DNSRequest.lowercased), as: UTF8.self) }
                .joined(separator: ".")
            if let offset = offsets[suffix] {
                append16(0xc000 | UInt16(offset))
                return
            }
            if bytes.count < 0x3fff { offsets[suffix] = bytes.count }
            bytes.append(UInt8(labels[index].count))
            bytes += labels[index]
        }
        bytes.append(0)
    }

    private mutating func append16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }

    private mutating func append32(_ value: UInt32) {
        append16(UInt16(value >> 16))
        append16(UInt16(value & 0xffff))
    }

    private mutating func put16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xff)
    }
}
